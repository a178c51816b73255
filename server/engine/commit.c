/* commit.c - writing a rendered run to disk as one transaction.
 *
 * Phase 1 writes every new content to a temporary file beside its target
 * (same folder, so the rename cannot cross file systems), with the target's
 * mode; folders for new files are made first. Any failure here removes the
 * temporary files and the folders made, and the disk is as it was.
 * Phase 2 renames them into place. Each target about to be replaced is first
 * hard-linked to a backup name, so that if a rename fails half-way the
 * targets already replaced are put back. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct pending {
    char *target, *tmp, *backup;
    bool renamed;
} pending;

static bool write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* Makes the missing folders of path's parent, recording each one made. */
static bool make_parents(const char *path, char ***made, size_t *nmade, char **why)
{
    char *dir = ap_xstrdup(path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        struct stat st;
        if (stat(dir, &st) != 0) {
            if (mkdir(dir, 0777) != 0) {
                *why = ap_xprintf("cannot make folder '%s': %s", dir, strerror(errno));
                free(dir);
                return false;
            }
            *made = ap_xrealloc(*made, (*nmade + 1) * sizeof **made);
            (*made)[(*nmade)++] = ap_xstrdup(dir);
        } else if (!S_ISDIR(st.st_mode)) {
            *why = ap_xprintf("'%s' is a file, not a folder", dir);
            free(dir);
            return false;
        }
        *p = '/';
    }
    free(dir);
    return true;
}

static char *sibling(const char *target, const char *tag)
{
    const char *slash = strrchr(target, '/');
    size_t dir = slash ? (size_t)(slash - target) + 1 : 0;
    return ap_xprintf("%.*s.%s.apls-%s-XXXXXX", (int)dir, target, target + dir, tag);
}

ap_code ap_commit_disk(ap_run *run, const char *root, char **why)
{
    pending *pend = NULL;
    size_t np = 0;
    char **made = NULL;
    size_t nmade = 0;
    ap_code rc = AP_OK;
    mode_t mask = umask(0);
    umask(mask);

    for (size_t i = 0; i < run->n_files && rc == AP_OK; i++) {
        ap_file *f = &run->files[i];
        ap_run_render(run, i);
        if (f->status != AP_FILE_MODIFIED && f->status != AP_FILE_CREATED)
            continue;
        char *target = ap_xprintf("%s/%s", root, f->path);
        struct stat st;
        bool exists = stat(target, &st) == 0;
        if (!exists && !make_parents(target, &made, &nmade, why)) {
            free(target);
            rc = AP_IO_ERROR;
            break;
        }
        char *tmp = sibling(target, "new");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            *why = ap_xprintf("cannot write beside '%s': %s", f->path, strerror(errno));
            free(tmp);
            free(target);
            rc = AP_IO_ERROR;
            break;
        }
        pend = ap_xrealloc(pend, (np + 1) * sizeof *pend);
        pend[np++] = (pending){target, tmp, NULL, false};
        mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~mask);
        bool ok = write_all(fd, f->after, f->after_len) && fchmod(fd, mode) == 0;
        if (ok && exists && fchown(fd, st.st_uid, st.st_gid) != 0) {
            /* not being allowed to give the file away is fine */
        }
        ok = ok && fsync(fd) == 0;
        if (close(fd) != 0)
            ok = false;
        if (!ok) {
            *why = ap_xprintf("cannot write '%s': %s", f->path, strerror(errno));
            rc = AP_IO_ERROR;
        }
    }
    if (rc == AP_OK) {
        for (size_t i = 0; i < np && rc == AP_OK; i++) {
            struct stat st;
            if (stat(pend[i].target, &st) == 0) {
                pend[i].backup = sibling(pend[i].target, "old");
                int fd = mkstemp(pend[i].backup);
                if (fd >= 0) {
                    close(fd);
                    unlink(pend[i].backup);
                    if (link(pend[i].target, pend[i].backup) != 0) {
                        free(pend[i].backup); /* no hard links here: no backup */
                        pend[i].backup = NULL;
                    }
                } else {
                    free(pend[i].backup);
                    pend[i].backup = NULL;
                }
            }
            if (rename(pend[i].tmp, pend[i].target) != 0) {
                *why = ap_xprintf("cannot replace '%s': %s", pend[i].target, strerror(errno));
                rc = AP_IO_ERROR;
                break;
            }
            pend[i].renamed = true;
        }
    }
    /* undo on failure, tidy up always */
    for (size_t i = np; i-- > 0;) {
        if (rc != AP_OK && pend[i].renamed) {
            if (pend[i].backup)
                rename(pend[i].backup, pend[i].target);
            else
                unlink(pend[i].target);
        }
        if (!pend[i].renamed)
            unlink(pend[i].tmp);
        if (pend[i].backup && (rc == AP_OK || !pend[i].renamed))
            unlink(pend[i].backup);
        free(pend[i].target);
        free(pend[i].tmp);
        free(pend[i].backup);
    }
    free(pend);
    for (size_t i = nmade; i-- > 0;) {
        if (rc != AP_OK)
            rmdir(made[i]);
        free(made[i]);
    }
    free(made);
    return rc;
}
