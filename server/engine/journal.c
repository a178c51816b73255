/* journal.c - the redo log that makes an apply all or nothing across a
 * crash, and the recovery that reads it.
 *
 * The journal is `.apls-journal` in the root. Before apls touches anything
 * it writes there its intent: every target, the names of its temporary file
 * and backup (chosen up front, short and fixed in length: `.apls-ID-K.new`,
 * `.apls-ID-K.old`), the size and hash of its old and new content, and the
 * folders it will make. Then:
 *
 *   intent ─▶ folders, temporary files, backups ─▶ "sealed" ─▶ renames ─▶ end
 *   (each step fsynced before the next)          │
 *                                    a rename fails: "undo" ─▶ put back
 *
 * 3.2 operations on paths go through the same steps: a DELETE of a file or
 * folder renames it, after the seal, to its backup name in its folder (one
 * atomic step a crash either did or did not do), and the end removes the
 * backup; a RENAME is one rename after the seal, never over an existing
 * path; a folder to make is one of the folders made before the seal.
 *
 * Whoever finds a journal (the next check, apply, recover or the language
 * server) settles it: without "sealed", nothing was renamed yet, so the
 * temporary files, backups and folders are removed (rolled back); sealed,
 * every new content is complete on disk, so the renames are finished (rolled
 * forward); "undo" rolls back with the backups. Each step of both directions
 * can be run again after a crash in it: a step that is done is recognised
 * (its temporary file or backup is gone, or the content is already the one
 * wanted). An undo never removes a file whose old content it cannot put
 * back, and says where that content is when it cannot.
 *
 * The lock: the root folder is flock()ed while a journal is written or
 * settled, so a live apply's journal is never mistaken for a crashed one;
 * the journal is created with O_EXCL, so two applies never share one. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "apls-journal 1\n"

/* ------------------------------------------------------------ the text */

static void add_escaped_as(ap_buf *b, const char *s, bool spaces)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == '%' || c == 0x7f || (spaces && c == ' '))
            ap_buf_addf(b, "%%%02X", c);
        else
            ap_buf_addc(b, (char)c);
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void add_escaped(ap_buf *b, const char *s)
{
    add_escaped_as(b, s, false);
}

/* The path s[0..n) unescaped, or NULL when it is not a normalized path. */
static char *unescape_path(const char *s, size_t n)
{
    ap_buf b = AP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            ap_buf_addc(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            ap_buf_addc(&b, s[i]);
        }
    }
    size_t len;
    char *raw = ap_buf_detach(&b, &len);
    const char *why;
    char *norm = ap_path_normalize(raw, len, &why);
    bool same = norm && strcmp(norm, raw) == 0;
    free(raw);
    if (!same) {
        free(norm);
        return NULL;
    }
    return norm;
}

/* A temporary or backup name as apls makes them: never a path. */
static bool our_name(const char *s)
{
    if (strncmp(s, ".apls-", 6) != 0 || strlen(s) >= sizeof ((ap_jentry *)0)->tmp)
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '/')
            return false;
    return true;
}

char *ap_journal_format(const ap_journal *j, size_t *len)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, HEADER);
    for (size_t i = 0; i < j->n_dirs; i++) {
        ap_buf_adds(&b, "dir ");
        add_escaped(&b, j->dirs[i]);
        ap_buf_addc(&b, '\n');
    }
    for (size_t i = 0; i < j->n; i++) {
        const ap_jentry *e = &j->e[i];
        if (e->kind == 'M') { /* two paths, spaces escaped */
            ap_buf_adds(&b, "move ");
            add_escaped_as(&b, e->path, true);
            ap_buf_addc(&b, ' ');
            add_escaped_as(&b, e->path2, true);
            ap_buf_addc(&b, '\n');
            continue;
        }
        ap_buf_addf(&b, "file %c %" PRIu64 " %016" PRIx64 " %" PRIu64 " %016" PRIx64 " %s %s ", e->kind,
                    e->old_size, e->old_hash, e->new_size, e->new_hash, e->tmp[0] ? e->tmp : "-",
                    e->bak[0] ? e->bak : "-");
        add_escaped(&b, e->path);
        ap_buf_addc(&b, '\n');
    }
    ap_buf_addf(&b, "end %zu %zu\n", j->n, j->n_dirs);
    return ap_buf_detach(&b, len);
}

/* Reads a journal's text into j. Returns 1 when it holds a whole intent, 0
 * when it stops before the intent's end (apls was stopped while writing it:
 * nothing else was done yet), -1 when it is not a journal of apls. */
int ap_journal_parse(const char *s, size_t n, ap_journal *j)
{
    size_t hl = strlen(HEADER);
    if (n < hl)
        return memcmp(s, HEADER, n) == 0 ? 0 : -1;
    if (memcmp(s, HEADER, hl) != 0)
        return -1;
    size_t i = hl, cap_e = 0, cap_d = 0;
    bool ended = false;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        if (!nl)
            break; /* a record cut short: as if it were not there */
        const char *line = s + i;
        size_t ll = (size_t)(nl - line);
        i += ll + 1;
        if (!ended && ll > 4 && memcmp(line, "dir ", 4) == 0) {
            char *d = unescape_path(line + 4, ll - 4);
            if (!d)
                return -1;
            AP_GROW(j->dirs, j->n_dirs, cap_d);
            j->dirs[j->n_dirs++] = d;
        } else if (!ended && ll > 5 && memcmp(line, "file ", 5) == 0) {
            char *l = ap_xmemdup(line, ll);
            ap_jentry e;
            memset(&e, 0, sizeof e);
            char kind;
            int used = 0;
            if (sscanf(l, "file %c %" SCNu64 " %" SCNx64 " %" SCNu64 " %" SCNx64 " %47s %47s %n", &kind,
                       &e.old_size, &e.old_hash, &e.new_size, &e.new_hash, e.tmp, e.bak, &used) < 7 ||
                used == 0 || (kind != 'R' && kind != 'C' && kind != 'I' && kind != 'D') ||
                (kind == 'D' ? strcmp(e.tmp, "-") != 0 : !our_name(e.tmp)) ||
                (strcmp(e.bak, "-") != 0 && !our_name(e.bak)) || (kind != 'C' && !our_name(e.bak))) {
                free(l);
                return -1;
            }
            e.kind = kind;
            if (strcmp(e.tmp, "-") == 0)
                e.tmp[0] = '\0';
            if (strcmp(e.bak, "-") == 0)
                e.bak[0] = '\0';
            e.path = unescape_path(l + used, ll - (size_t)used);
            free(l);
            if (!e.path)
                return -1;
            e.dirfd = e.dirfd2 = -1;
            AP_GROW(j->e, j->n, cap_e);
            j->e[j->n++] = e;
        } else if (!ended && ll > 5 && memcmp(line, "move ", 5) == 0) {
            const char *a = line + 5, *sp = memchr(a, ' ', ll - 5);
            ap_jentry e;
            memset(&e, 0, sizeof e);
            e.kind = 'M';
            e.dirfd = e.dirfd2 = -1;
            e.path = sp ? unescape_path(a, (size_t)(sp - a)) : NULL;
            e.path2 = sp ? unescape_path(sp + 1, (size_t)(line + ll - sp - 1)) : NULL;
            if (!e.path || !e.path2) {
                free(e.path);
                free(e.path2);
                return -1;
            }
            AP_GROW(j->e, j->n, cap_e);
            j->e[j->n++] = e;
        } else if (!ended && ll > 4 && memcmp(line, "end ", 4) == 0) {
            size_t nf, nd;
            char *l = ap_xmemdup(line, ll);
            int ok = sscanf(l, "end %zu %zu", &nf, &nd) == 2 && nf == j->n && nd == j->n_dirs;
            free(l);
            if (!ok)
                return -1;
            ended = true;
        } else if (ended && ll == 6 && memcmp(line, "sealed", 6) == 0) {
            j->sealed = true;
        } else if (ended && j->sealed && ll == 4 && memcmp(line, "undo", 4) == 0) {
            j->undo = true;
        } else {
            return -1;
        }
    }
    return ended ? 1 : 0;
}

void ap_journal_release(ap_journal *j)
{
    for (size_t i = 0; i < j->n; i++) {
        free(j->e[i].path);
        free(j->e[i].path2);
        if (j->e[i].dirfd >= 0 && !j->e[i].shared_fd)
            close(j->e[i].dirfd);
        if (j->e[i].dirfd2 >= 0)
            close(j->e[i].dirfd2);
    }
    free(j->e);
    for (size_t i = 0; i < j->n_dirs; i++)
        free(j->dirs[i]);
    free(j->dirs);
    if (j->fd >= 0)
        close(j->fd);
    memset(j, 0, sizeof *j);
    j->fd = -1;
}

/* --------------------------------------------------------- writing it */

bool ap_journal_begin(ap_journal *j, char **why)
{
    size_t len;
    char *text = ap_journal_format(j, &len);
    j->fd = openat(j->rootfd, AP_JOURNAL, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        *why = errno == EEXIST
                   ? ap_xstrdup("another apls apply is running in this root (its journal "
                                "'" AP_JOURNAL "' exists)")
                   : ap_xprintf("cannot write the journal '" AP_JOURNAL "': %s", strerror(errno));
        free(text);
        return false;
    }
    bool ok = ap_write_all(j->fd, text, len) && fsync(j->fd) == 0 && fsync(j->rootfd) == 0;
    free(text);
    if (!ok) {
        *why = ap_xprintf("cannot write the journal '" AP_JOURNAL "': %s", strerror(errno));
        close(j->fd);
        j->fd = -1;
        unlinkat(j->rootfd, AP_JOURNAL, 0);
        return false;
    }
    return true;
}

bool ap_journal_mark(ap_journal *j, const char *record)
{
    char line[16];
    snprintf(line, sizeof line, "%s\n", record);
    if (j->fd < 0)
        j->fd = openat(j->rootfd, AP_JOURNAL, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    else
        lseek(j->fd, 0, SEEK_END);
    bool ok = j->fd >= 0 && ap_write_all(j->fd, line, strlen(line)) && fsync(j->fd) == 0;
    if (ok && strcmp(record, "sealed") == 0)
        j->sealed = true;
    if (ok && strcmp(record, "undo") == 0)
        j->undo = true;
    return ok;
}

/* ------------------------------------------------------- settling it */

static bool exists_at(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool holds(int dirfd, const char *name, uint64_t size, uint64_t hash)
{
    uint64_t s, h;
    return ap_hash_at(dirfd, name, &s, &h) && s == size && h == hash;
}

static bool same_file_at(int dirfd, const char *a, const char *b)
{
    struct stat x, y;
    return fstatat(dirfd, a, &x, AT_SYMLINK_NOFOLLOW) == 0 &&
           fstatat(dirfd, b, &y, AT_SYMLINK_NOFOLLOW) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Removes one of apls's own files; false (with the reason in trouble)
 * when it is still there. */
static bool remove_ours(const ap_jentry *e, const char *name, ap_buf *trouble)
{
    if (unlinkat(e->dirfd, name, 0) == 0 || errno == ENOENT)
        return true;
    char *dir;
    const char *base;
    ap_path_split(e->path, &dir, &base);
    ap_buf_addf(trouble, "; could not remove '%s%s%s': %s", dir, *dir ? "/" : "", name, strerror(errno));
    free(dir);
    return false;
}

/* "dir/name" for messages (malloc'd). */
static char *beside(const ap_jentry *e, const char *name)
{
    char *dir;
    const char *base;
    ap_path_split(e->path, &dir, &base);
    char *s = *dir ? ap_xprintf("%s/%s", dir, name) : ap_xstrdup(name);
    free(dir);
    return s;
}

/* Puts a new file in place without replacing one that appeared meanwhile:
 * renameat2(RENAME_NOREPLACE), else a hard link, else a plain rename. A
 * hard link leaves the temporary name behind: the end removes it. */
static bool place_new(int dirfd, const char *tmp, const char *name)
{
    if (exists_at(dirfd, name) && same_file_at(dirfd, tmp, name))
        return true; /* linked before a stop */
    if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
        return true;
    if (errno == EEXIST)
        return false;
    if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
        return true;
    if (errno == EEXIST)
        return false;
    if (exists_at(dirfd, name)) {
        errno = EEXIST;
        return false;
    }
    return renameat(dirfd, tmp, dirfd, name) == 0;
}

/* Moves n1 (in folder f1) to n2 (in f2), never over something there. */
static bool move_noreplace(int f1, const char *n1, int f2, const char *n2)
{
    if (renameat2(f1, n1, f2, n2, RENAME_NOREPLACE) == 0)
        return true;
    if (errno != EINVAL && errno != ENOSYS)
        return false;
    if (exists_at(f2, n2)) { /* a file system without RENAME_NOREPLACE */
        errno = EEXIST;
        return false;
    }
    return renameat(f1, n1, f2, n2) == 0;
}

/* Removes name in dirfd and everything below it (a backup of a deleted
 * folder), never following a link, one folder open at a time: false when
 * something could not be removed (what could is gone). */
static bool remove_tree(int top, const char *name)
{
    struct stat st;
    if (fstatat(top, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(top, name, 0) == 0 || errno == ENOENT;
    ap_buf path = AP_BUF_INIT;
    ap_buf_adds(&path, name);
    bool ok = true;
    while (ok) {
        int fd = ap_open_dir_beneath(top, path.s);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
            if (fd >= 0)
                close(fd);
            ok = false;
            break;
        }
        char *sub = NULL;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            struct stat s2;
            if (fstatat(dirfd(d), de->d_name, &s2, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            if (S_ISDIR(s2.st_mode)) {
                if (!sub)
                    sub = ap_xstrdup(de->d_name);
            } else if (unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT) {
                ok = false;
            }
        }
        closedir(d);
        if (ok && sub) { /* down into the first folder left */
            ap_buf_addc(&path, '/');
            ap_buf_adds(&path, sub);
            free(sub);
            continue;
        }
        free(sub);
        if (!ok)
            break;
        /* empty: it goes, and the walk goes back up */
        char *parent;
        const char *base;
        ap_path_split(path.s, &parent, &base);
        int pfd = ap_open_dir_beneath(top, parent);
        ok = pfd >= 0 && (unlinkat(pfd, base, AT_REMOVEDIR) == 0 || errno == ENOENT);
        if (pfd >= 0)
            close(pfd);
        bool last = strcmp(path.s, name) == 0;
        path.len = strlen(parent);
        path.s[path.len] = '\0';
        free(parent);
        if (last)
            break;
    }
    ap_buf_release(&path);
    return ok;
}

/* 'D' and 'M' after the seal: the path moved aside to its backup name, or
 * to its new place. Done before when the source is gone. */
static bool forward_path_op(ap_jentry *e, const char *name, char **why)
{
    if (e->kind == 'D') {
        if (!exists_at(e->dirfd, name))
            return true;
        if (move_noreplace(e->dirfd, name, e->dirfd, e->bak))
            return true;
        *why = ap_xprintf("cannot delete '%s': %s", e->path, strerror(errno));
        return false;
    }
    char *dir2;
    const char *name2;
    ap_path_split(e->path2, &dir2, &name2);
    free(dir2);
    bool there = e->dirfd2 >= 0 && exists_at(e->dirfd2, name2);
    if (!exists_at(e->dirfd, name) && there)
        return true;
    if (e->dirfd2 >= 0 && move_noreplace(e->dirfd, name, e->dirfd2, name2))
        return true;
    *why = e->dirfd2 < 0 ? ap_xprintf("cannot reach the folder of '%s'", e->path2)
                         : ap_xprintf("cannot rename '%s' to '%s': %s", e->path, e->path2,
                                      errno == EEXIST ? "the new path was taken meanwhile" : strerror(errno));
    return false;
}

/* Finishes entry e; on failure *why says what could not be done. */
static bool forward_one(ap_jentry *e, char **why)
{
    if (e->dirfd < 0) {
        *why = ap_xprintf("cannot reach the folder of '%s'", e->path);
        return false;
    }
    const char *name;
    char *dir;
    ap_path_split(e->path, &dir, &name);
    free(dir);
    if (e->kind == 'D' || e->kind == 'M')
        return forward_path_op(e, name, why);
    if (!exists_at(e->dirfd, e->tmp))
        return true; /* done before */
    bool ok;
    if (e->kind == 'R')
        ok = renameat(e->dirfd, e->tmp, e->dirfd, name) == 0;
    else if (e->kind == 'C')
        ok = place_new(e->dirfd, e->tmp, name);
    else
        ok = ap_copy_into_at(e->dirfd, e->tmp, name);
    if (!ok)
        *why = ap_xprintf("cannot %s '%s': %s", e->kind == 'C' ? "create" : "replace", e->path,
                          errno == EEXIST ? "it was created meanwhile by someone else" : strerror(errno));
    return ok;
}

/* Puts entry e back as it was: false when it cannot (trouble says why and
 * where the old content is). Leftovers it cannot remove go to trouble too,
 * and clear *clean. */
static bool backward_one(const ap_journal *j, ap_jentry *e, ap_buf *trouble, bool *clean)
{
    if (e->dirfd < 0)
        return true; /* its folder was never made: nothing of it exists */
    const char *name;
    char *dir;
    ap_path_split(e->path, &dir, &name);
    free(dir);
    if (e->kind == 'D' || e->kind == 'M') {
        /* nothing of it happens before the seal; after, it is moved back */
        int f2 = e->kind == 'D' ? e->dirfd : e->dirfd2;
        char *dir2 = NULL;
        const char *name2 = e->bak;
        if (e->kind == 'M')
            ap_path_split(e->path2, &dir2, &name2);
        bool ok = true;
        if (j->sealed && f2 >= 0 && exists_at(f2, name2) && !exists_at(e->dirfd, name) &&
            !move_noreplace(f2, name2, e->dirfd, name)) {
            char *where = e->kind == 'D' ? beside(e, e->bak) : ap_xstrdup(e->path2);
            ap_buf_addf(trouble, "; could not put '%s' back (%s): it is at '%s'", e->path, strerror(errno), where);
            free(where);
            ok = false;
        }
        free(dir2);
        return ok;
    }
    bool touched = j->sealed && (e->kind == 'I' || !exists_at(e->dirfd, e->tmp) ||
                                 (e->kind == 'C' && same_file_at(e->dirfd, e->tmp, name)));
    bool ok = true;
    if (!touched) {
        *clean &= remove_ours(e, e->tmp, trouble);
        if (e->bak[0])
            *clean &= remove_ours(e, e->bak, trouble);
        return true;
    }
    if (e->kind == 'C') {
        if (exists_at(e->dirfd, name)) {
            if (holds(e->dirfd, name, e->new_size, e->new_hash)) {
                if (unlinkat(e->dirfd, name, 0) != 0) {
                    ap_buf_addf(trouble, "; could not remove the new file '%s': %s", e->path, strerror(errno));
                    ok = false;
                }
            } else {
                ap_buf_addf(trouble, "; left '%s', which someone else changed meanwhile", e->path);
                ok = false;
            }
        }
    } else if (e->kind == 'R') {
        if (exists_at(e->dirfd, e->bak)) {
            if (same_file_at(e->dirfd, e->bak, name)) {
                *clean &= remove_ours(e, e->bak, trouble);
            } else if (renameat(e->dirfd, e->bak, e->dirfd, name) != 0) {
                char *where = beside(e, e->bak);
                ap_buf_addf(trouble, "; could not put back '%s' (%s): its old content is in '%s'", e->path,
                            strerror(errno), where);
                free(where);
                ok = false;
            }
        } else if (!holds(e->dirfd, name, e->old_size, e->old_hash)) {
            ap_buf_addf(trouble, "; could not put back '%s': its backup is gone", e->path);
            ok = false;
        }
    } else { /* 'I': written in place; its backup is a copy */
        if (!holds(e->dirfd, name, e->old_size, e->old_hash)) {
            if (!exists_at(e->dirfd, e->bak)) {
                ap_buf_addf(trouble, "; could not put back '%s': its backup is gone", e->path);
                ok = false;
            } else if (!ap_copy_into_at(e->dirfd, e->bak, name)) {
                char *where = beside(e, e->bak);
                ap_buf_addf(trouble, "; could not put back '%s' (%s): its old content is in '%s'", e->path,
                            strerror(errno), where);
                free(where);
                ok = false;
            }
        }
        if (ok)
            *clean &= remove_ours(e, e->bak, trouble);
    }
    if (ok)
        *clean &= remove_ours(e, e->tmp, trouble);
    return ok;
}

/* The folders of every entry and the parents of every folder made, synced:
 * false when one of them could not be. */
bool ap_journal_sync(const ap_journal *j)
{
    bool ok = true;
    for (size_t i = 0; i < j->n; i++)
        if (j->e[i].dirfd >= 0 && !j->e[i].shared_fd && fsync(j->e[i].dirfd) != 0)
            ok = false;
    return ok;
}

static bool sync_folders(const ap_journal *j)
{
    bool ok = ap_journal_sync(j);
    for (size_t i = 0; i < j->n_dirs; i++) {
        char *parent;
        const char *name;
        ap_path_split(j->dirs[i], &parent, &name);
        int fd = ap_open_dir_beneath(j->rootfd, parent);
        if (fd >= 0) {
            if (fsync(fd) != 0)
                ok = false;
            close(fd);
        }
        free(parent);
    }
    return ok;
}

/* The end of a settled journal: once what it did is durable, it goes. A
 * journal that stays is settled again by the next apls in this root. */
static void finish(ap_journal *j)
{
    if (!sync_folders(j))
        return;
    if (j->fd >= 0) {
        close(j->fd);
        j->fd = -1;
    }
    if (unlinkat(j->rootfd, AP_JOURNAL, 0) == 0)
        fsync(j->rootfd);
}

bool ap_journal_backward(ap_journal *j, char **trouble)
{
    ap_buf t = AP_BUF_INIT;
    bool ok = true, clean = true;
    for (size_t i = j->n; i-- > 0;)
        ok &= backward_one(j, &j->e[i], &t, &clean);
    for (size_t i = j->n_dirs; ok && clean && i-- > 0;) {
        char *parent;
        const char *name;
        ap_path_split(j->dirs[i], &parent, &name);
        int fd = ap_open_dir_beneath(j->rootfd, parent);
        if (fd >= 0 && unlinkat(fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
            ap_buf_addf(&t, "; could not remove the folder '%s' it made: %s", j->dirs[i], strerror(errno));
            clean = false;
        }
        if (fd >= 0)
            close(fd);
        free(parent);
    }
    if (ok && clean) {
        finish(j);
        ap_buf_release(&t);
        *trouble = NULL;
    } else {
        sync_folders(j);
        *trouble = ap_buf_detach(&t, NULL);
    }
    return ok;
}

bool ap_journal_forward(ap_journal *j, char **why)
{
    for (size_t i = 0; i < j->n; i++)
        if (!forward_one(&j->e[i], why))
            return false;
    /* every file is new; the rest is tidying, which the next apls in this
     * root finishes if it cannot be done now */
    if (!sync_folders(j))
        return true;
    ap_buf t = AP_BUF_INIT;
    bool clean = true;
    for (size_t i = 0; i < j->n; i++) {
        if (j->e[i].dirfd < 0 || j->e[i].kind == 'M')
            continue;
        if (j->e[i].kind == 'D') /* what was deleted, and all below it */
            clean &= remove_tree(j->e[i].dirfd, j->e[i].bak);
        else if (j->e[i].bak[0])
            clean &= remove_ours(&j->e[i], j->e[i].bak, &t);
        if (j->e[i].tmp[0])
            clean &= remove_ours(&j->e[i], j->e[i].tmp, &t); /* a new file placed by a hard link */
    }
    ap_buf_release(&t);
    if (clean)
        finish(j);
    return true;
}

void ap_journal_open_folders(ap_journal *j)
{
    struct rlimit rl;
    if (j->n > 256 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* folder -> the first entry holding it (open addressing; index + 1) */
    size_t cap = 16;
    while (cap < j->n * 2)
        cap *= 2;
    size_t *slot = ap_xcalloc(cap, sizeof *slot);
    char **dirs = ap_xcalloc(j->n ? j->n : 1, sizeof *dirs);
    for (size_t i = 0; i < j->n; i++) {
        const char *name;
        ap_path_split(j->e[i].path, &dirs[i], &name);
        size_t h = ap_hash(dirs[i], strlen(dirs[i])) & (cap - 1);
        while (slot[h] && strcmp(dirs[slot[h] - 1], dirs[i]) != 0)
            h = (h + 1) & (cap - 1);
        if (!slot[h]) {
            slot[h] = i + 1;
            if (j->e[i].dirfd < 0)
                j->e[i].dirfd = ap_open_dir_beneath(j->rootfd, dirs[i]);
        } else if (j->e[i].dirfd < 0 || j->e[i].shared_fd) {
            j->e[i].dirfd = j->e[slot[h] - 1].dirfd;
            j->e[i].shared_fd = true;
        }
    }
    for (size_t i = 0; i < j->n; i++)
        free(dirs[i]);
    free(dirs);
    free(slot);
    /* where a move goes: its own descriptor */
    for (size_t i = 0; i < j->n; i++) {
        ap_jentry *e = &j->e[i];
        if (e->kind != 'M' || e->dirfd2 >= 0)
            continue;
        char *dir2;
        const char *name2;
        ap_path_split(e->path2, &dir2, &name2);
        e->dirfd2 = ap_open_dir_beneath(j->rootfd, dir2);
        free(dir2);
    }
}

/* ----------------------------------------------------------- recovery */

/* Can a sealed journal be finished? Every rename not yet done must still
 * find the old content in place (or, for a new file, no file). */
static bool can_finish(const ap_journal *j)
{
    for (size_t i = 0; i < j->n; i++) {
        const ap_jentry *e = &j->e[i];
        if (e->dirfd < 0)
            return false;
        if (e->kind == 'D')
            continue; /* moved aside, or not yet: either way it can go */
        if (e->kind == 'M') { /* exactly one of the two paths stands */
            char *dir, *dir2;
            const char *name, *name2;
            ap_path_split(e->path, &dir, &name);
            ap_path_split(e->path2, &dir2, &name2);
            bool src = exists_at(e->dirfd, name), dst = e->dirfd2 >= 0 && exists_at(e->dirfd2, name2);
            free(dir);
            free(dir2);
            if (src == dst)
                return false;
            continue;
        }
        if (!exists_at(e->dirfd, e->tmp))
            continue;
        if (!holds(e->dirfd, e->tmp, e->new_size, e->new_hash))
            return false;
        const char *name;
        char *dir;
        ap_path_split(e->path, &dir, &name);
        free(dir);
        if (e->kind == 'R' && !holds(e->dirfd, name, e->old_size, e->old_hash))
            return false;
        if (e->kind == 'C' && exists_at(e->dirfd, name) && !same_file_at(e->dirfd, e->tmp, name))
            return false;
    }
    return true;
}

static ap_recovery settle(int rootfd, const char *root, char **msg)
{
    int fd = openat(rootfd, AP_JOURNAL, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return AP_RECOVER_NONE;
        *msg = ap_xprintf("cannot read the journal '%s/" AP_JOURNAL "': %s", root, strerror(errno));
        return AP_RECOVER_FAILED;
    }
    size_t len = 0;
    char *text = ap_read_fd(fd, 64u << 20, &len);
    close(fd);
    if (!text) {
        *msg = ap_xprintf("cannot read the journal '%s/" AP_JOURNAL "': %s", root, strerror(errno));
        return AP_RECOVER_FAILED;
    }
    ap_journal j;
    memset(&j, 0, sizeof j);
    j.fd = -1;
    j.rootfd = rootfd;
    int whole = ap_journal_parse(text, len, &j);
    free(text);
    if (whole < 0) {
        ap_journal_release(&j);
        *msg = ap_xprintf("'%s/" AP_JOURNAL "' is not a journal apls can read; if no apls apply is "
                          "running there, look at it and remove it",
                          root);
        return AP_RECOVER_FAILED;
    }
    if (whole == 0) { /* stopped while writing its intent: nothing else was done */
        ap_journal_release(&j);
        unlinkat(rootfd, AP_JOURNAL, 0);
        fsync(rootfd);
        *msg = ap_xprintf("an apply interrupted in '%s' had changed nothing; its journal is removed", root);
        return AP_RECOVER_ROLLED_BACK;
    }
    j.rootfd = rootfd;
    ap_journal_open_folders(&j);
    ap_recovery r;
    char *why = NULL, *trouble = NULL;
    if (j.sealed && !j.undo && can_finish(&j) && ap_journal_forward(&j, &why)) {
        *msg = ap_xprintf("finished an apply interrupted in '%s': %zu file%s written", root, j.n,
                          j.n == 1 ? "" : "s");
        r = AP_RECOVER_FINISHED;
    } else {
        if (j.sealed && !j.undo)
            ap_journal_mark(&j, "undo");
        if (ap_journal_backward(&j, &trouble)) {
            *msg = ap_xprintf("undid an apply interrupted in '%s': its %zu file%s are as they were%s%s", root,
                              j.n, j.n == 1 ? "" : "s", why ? " (" : "", why ? why : "");
            r = AP_RECOVER_ROLLED_BACK;
        } else {
            *msg = ap_xprintf("could not undo an apply interrupted in '%s'%s; its journal '" AP_JOURNAL
                              "' is kept: run `apls recover --root %s` again once that is mended",
                              root, trouble, root);
            r = AP_RECOVER_FAILED;
        }
    }
    free(why);
    free(trouble);
    ap_journal_release(&j);
    return r;
}

int ap_root_lock(int rootfd)
{
    if (flock(rootfd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    /* no locks on this file system: the journal's O_EXCL still keeps two
     * applies apart, but a live one cannot be told from a stopped one */
    return errno == EWOULDBLOCK ? -1 : 0;
}

ap_recovery ap_recover(const char *root, char **msg)
{
    *msg = NULL;
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return AP_RECOVER_NONE;
    ap_recovery r = ap_recover_fd(rootfd, root, msg);
    close(rootfd);
    return r;
}

ap_recovery ap_recover_fd(int rootfd, const char *root, char **msg)
{
    *msg = NULL;
    struct stat st;
    if (fstatat(rootfd, AP_JOURNAL, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return AP_RECOVER_NONE;
    if (ap_root_lock(rootfd) != 0) {
        *msg = ap_xprintf("another apls apply is running in '%s'", root);
        return AP_RECOVER_BUSY;
    }
    ap_recovery r = ap_recover_locked(rootfd, root, msg);
    flock(rootfd, LOCK_UN);
    return r;
}

ap_recovery ap_recover_locked(int rootfd, const char *root, char **msg)
{
    *msg = NULL;
    return settle(rootfd, root, msg);
}
