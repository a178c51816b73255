/* commit.c - writing a run to disk as one transaction that a crash, a full
 * disk, a concurrent writer or a swapped symbolic link cannot half-apply.
 *
 *   plan       every target reached from the root descriptor, never through
 *              a link; folders to make; names of temporary files and backups
 *   journal    the intent, synced (journal.c; also the lock against a second
 *              apply in the same root)
 *   prepare    folders made; each new content written to its temporary file
 *              beside the target with the target's metadata, synced; each
 *              target backed up (a hard link, else a copy), synced
 *   re-check   each target is still the file that was read (device, inode,
 *              size, mtime, bytes) and its folder still the one held
 *   seal       from here a crash finishes the apply instead of undoing it
 *   rename     each temporary file over its target (a hard-linked target
 *              with --through-links: rewritten in place)
 *   end        folders synced, backups and journal removed
 *
 * 3.2 operations on paths ride along: a folder to make is one of the
 * folders made; a file or folder to delete is moved aside to its backup
 * name after the seal and removed at the end; a rename is one rename after
 * the seal, never over a path that appeared meanwhile. Each is planned and
 * re-checked like a target (what stands there is what stood there when the
 * plan looked).
 *
 * Any failure before the seal removes what was made; a failure after it
 * puts every replaced target back from its backup. Every write goes through
 * a folder descriptor held since the plan, so a folder swapped for a link
 * meanwhile can make the apply fail but never make it write elsewhere. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct target {
    const char *path;
    const char *bytes;
    size_t len;
    const char *old;        /* the content read; NULL: a new file */
    size_t old_len;
    const ap_stamp *stamp;  /* what it was when read, if known */
} target;

/* A 3.2 operation on a path: 'D' delete, 'M' move to dest, 'K' make a
 * folder. */
typedef struct pathop {
    char op;
    const char *path, *dest;
    dev_t dev;        /* what stood at path when planned */
    ino_t ino;
} pathop;

typedef struct txn {
    ap_journal j;
    const target *t;
    size_t n;         /* targets: entries [0, n) of the journal */
    pathop *ops;      /* then the deletions and moves, in order */
    size_t n_ops;
    const char *root;
    bool links_ok;
    char *why;
    ap_code code;
} txn;

static bool fail(txn *x, ap_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(txn *x, ap_code code, const char *fmt, ...)
{
    if (!x->why) {
        va_list ap;
        va_start(ap, fmt);
        x->why = ap_xvprintf(fmt, ap);
        va_end(ap);
        x->code = code;
    }
    return false;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A short random tag: temporary names never grow with the target's. */
static void make_tag(char out[13])
{
    unsigned char r[6];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 20);
        memcpy(r, &v, sizeof r);
    }
    for (int i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static bool listed(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* The missing folders of dir, parents first, added to the journal. */
static bool plan_folders(txn *x, const char *dir, size_t *cap)
{
    ap_journal *j = &x->j;
    for (const char *p = dir;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char *prefix = ap_xmemdup(dir, (size_t)(p - dir));
        if (!listed(j->dirs, j->n_dirs, prefix)) {
            int fd = ap_open_dir_beneath(j->rootfd, prefix);
            if (fd >= 0) {
                close(fd);
                free(prefix);
            } else if (errno == ENOENT) {
                AP_GROW(j->dirs, j->n_dirs, *cap);
                j->dirs[j->n_dirs++] = prefix;
            } else {
                fail(x, AP_TARGET_CHANGED, "'%s' %s since the patch was checked", prefix,
                     errno == ENOTDIR ? "is a file, not a folder," : "became a symbolic link or moved");
                free(prefix);
                return false;
            }
        } else {
            free(prefix);
        }
        if (!*p)
            return true;
    }
}

/* The deletions and moves: each path must still be what the check saw. */
static bool plan_ops(txn *x, const char *tag, size_t *cap_dirs)
{
    ap_journal *j = &x->j;
    size_t k = x->n;
    for (size_t i = 0; i < x->n_ops; i++) {
        pathop *o = &x->ops[i];
        if (o->op == 'K') {
            if (!plan_folders(x, o->path, cap_dirs))
                return false;
            continue;
        }
        ap_jentry *e = &j->e[k++];
        char *dir;
        const char *name;
        ap_path_split(o->path, &dir, &name);
        free(dir);
        struct stat st;
        if (e->dirfd < 0 || fstatat(e->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return fail(x, AP_TARGET_CHANGED, "'%s' was removed or moved since the patch was checked", o->path);
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        if (o->op == 'D') {
            snprintf(e->bak, sizeof e->bak, ".apls-%s-%zu.old", tag, k - 1);
            continue;
        }
        char *dir2;
        const char *name2;
        ap_path_split(o->dest, &dir2, &name2);
        bool ok = true;
        if (e->dirfd2 >= 0 && fstatat(e->dirfd2, name2, &st, AT_SYMLINK_NOFOLLOW) == 0)
            ok = fail(x, AP_FILE_EXISTS, "'%s' exists: it was created since the patch was checked", o->dest);
        else if (e->dirfd2 < 0)
            ok = plan_folders(x, dir2, cap_dirs);
        free(dir2);
        if (!ok)
            return false;
    }
    return true;
}

static bool plan(txn *x, size_t n)
{
    ap_journal *j = &x->j;
    char tag[13];
    make_tag(tag);
    size_t cap_dirs = 0;
    j->e = ap_xcalloc(n + x->n_ops + 1, sizeof *j->e);
    for (size_t i = 0; i < n; i++) {
        j->e[j->n].path = ap_xstrdup(x->t[i].path);
        j->e[j->n].dirfd2 = -1;
        j->e[j->n++].dirfd = -1;
    }
    for (size_t i = 0; i < x->n_ops; i++) {
        if (x->ops[i].op == 'K')
            continue;
        ap_jentry *e = &j->e[j->n++];
        e->kind = x->ops[i].op;
        e->path = ap_xstrdup(x->ops[i].path);
        e->path2 = x->ops[i].dest ? ap_xstrdup(x->ops[i].dest) : NULL;
        e->dirfd = e->dirfd2 = -1;
    }
    ap_journal_open_folders(j);
    if (!plan_ops(x, tag, &cap_dirs))
        return false;
    for (size_t i = 0; i < n; i++) {
        const target *t = &x->t[i];
        ap_jentry *e = &j->e[i];
        snprintf(e->tmp, sizeof e->tmp, ".apls-%s-%zu.new", tag, i);
        char *dir;
        const char *name;
        ap_path_split(t->path, &dir, &name);
        if (e->dirfd < 0) {
            bool ok = t->old ? fail(x, AP_TARGET_CHANGED, "the folder of '%s' is gone or became a symbolic "
                                    "link since it was read", t->path)
                             : plan_folders(x, dir, &cap_dirs);
            free(dir);
            if (!ok)
                return false;
            e->kind = 'C';
            e->new_size = t->len;
            e->new_hash = ap_hash(t->bytes, t->len);
            continue;
        }
        free(dir);
        struct stat st;
        bool present = fstatat(e->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!t->old) {
            if (present)
                return fail(x, AP_FILE_EXISTS, "'%s' exists: it was created since the patch was checked",
                            t->path);
            e->kind = 'C';
        } else if (!present) {
            return fail(x, AP_TARGET_CHANGED, "'%s' was removed or moved since it was read", t->path);
        } else if (!S_ISREG(st.st_mode)) {
            return fail(x, AP_TARGET_CHANGED, "'%s' is no longer a regular file (%s)", t->path,
                        S_ISLNK(st.st_mode) ? "a symbolic link took its place" : "something else took its place");
        } else if (st.st_nlink > 1 && !x->links_ok) {
            return fail(x, AP_INVALID_FILE_PATH, "'%s' has other hard links; replacing it would split them: "
                        "use --through-links to rewrite it in place", t->path);
        } else {
            e->kind = st.st_nlink > 1 ? 'I' : 'R';
            snprintf(e->bak, sizeof e->bak, ".apls-%s-%zu.old", tag, i);
            e->old_size = t->old_len;
            e->old_hash = ap_hash(t->old, t->old_len);
        }
        e->new_size = t->len;
        e->new_hash = ap_hash(t->bytes, t->len);
    }
    return true;
}

static bool make_folders(txn *x)
{
    ap_journal *j = &x->j;
    for (size_t i = 0; i < j->n_dirs; i++) {
        char *parent;
        const char *name;
        ap_path_split(j->dirs[i], &parent, &name);
        int fd = ap_open_dir_beneath(j->rootfd, parent);
        bool ok = fd >= 0 && mkdirat(fd, name, 0777) == 0;
        int err = errno;
        if (fd >= 0)
            close(fd);
        free(parent);
        if (!ok)
            return fail(x, AP_IO_ERROR, "cannot make the folder '%s': %s", j->dirs[i],
                        err == EEXIST ? "it appeared meanwhile" : strerror(err));
    }
    ap_journal_open_folders(j);
    for (size_t i = 0; i < j->n; i++)
        if (j->e[i].dirfd < 0 || (j->e[i].kind == 'M' && j->e[i].dirfd2 < 0))
            return fail(x, AP_TARGET_CHANGED, "the folder of '%s' moved while apls made it",
                        j->e[i].dirfd < 0 ? j->e[i].path : j->e[i].path2);
    return true;
}

static bool write_temp(txn *x, size_t i)
{
    ap_jentry *e = &x->j.e[i];
    const target *t = &x->t[i];
    int fd = openat(e->dirfd, e->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    e->kind == 'C' ? 0666 : 0600);
    if (fd < 0)
        return fail(x, AP_IO_ERROR, "cannot write beside '%s': %s", t->path, strerror(errno));
    bool ok = ap_write_all(fd, t->bytes, t->len);
    if (!ok)
        fail(x, AP_IO_ERROR, "cannot write '%s': %s", t->path, strerror(errno));
    if (ok && e->kind == 'R') {
        int src = openat(e->dirfd, base_name(t->path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        char *why = NULL;
        if (src < 0 || fstat(src, &st) != 0)
            ok = fail(x, AP_TARGET_CHANGED, "'%s' cannot be read again: %s", t->path, strerror(errno));
        else if (!ap_meta_copy(src, &st, fd, &why))
            ok = fail(x, AP_IO_ERROR, "cannot keep the metadata of '%s': %s", t->path, why);
        free(why);
        if (src >= 0)
            close(src);
    }
    if (ok && fsync(fd) != 0)
        ok = fail(x, AP_IO_ERROR, "cannot write '%s': %s", t->path, strerror(errno));
    if (close(fd) != 0 && ok)
        ok = fail(x, AP_IO_ERROR, "cannot write '%s': %s", t->path, strerror(errno));
    return ok;
}

/* A backup of each target: a hard link (the same file under a second name),
 * or a copy with the same metadata where links cannot be made; always a
 * copy for a file rewritten in place. */
static bool back_up(txn *x, size_t i)
{
    ap_jentry *e = &x->j.e[i];
    const char *name = base_name(e->path);
    if (e->kind == 'C')
        return true;
    if (e->kind == 'R' && linkat(e->dirfd, name, e->dirfd, e->bak, 0) == 0)
        return true;
    int link_err = e->kind == 'R' ? errno : 0;
    char *why = NULL;
    if (ap_copy_new_at(e->dirfd, name, e->bak, &why)) {
        free(why);
        return true;
    }
    if (link_err)
        fail(x, AP_IO_ERROR, "cannot back up '%s' before replacing it (no hard link: %s; no copy: %s)",
             e->path, strerror(link_err), why);
    else
        fail(x, AP_IO_ERROR, "cannot back up '%s' before rewriting it: %s", e->path, why);
    free(why);
    return false;
}

static bool sync_folders(txn *x)
{
    if (!ap_journal_sync(&x->j))
        return fail(x, AP_IO_ERROR, "cannot sync the folders of the files: %s", strerror(errno));
    return true;
}

static bool same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Right before the renames: each target is still the file that was read,
 * and each folder still the one the plan reached. */
static bool recheck(txn *x)
{
    ap_journal *j = &x->j;
    for (size_t i = x->n, k = 0; i < j->n; i++, k++) {
        while (x->ops[k].op == 'K')
            k++;
        const pathop *o = &x->ops[k];
        ap_jentry *e = &j->e[i];
        char *dir, *dir2 = NULL;
        const char *name, *name2 = NULL;
        ap_path_split(e->path, &dir, &name);
        struct stat now;
        bool same = fstatat(e->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == o->dev &&
                    now.st_ino == o->ino;
        bool taken = false;
        if (e->kind == 'M') {
            ap_path_split(e->path2, &dir2, &name2);
            taken = fstatat(e->dirfd2, name2, &now, AT_SYMLINK_NOFOLLOW) == 0;
        }
        free(dir);
        free(dir2);
        if (!same)
            return fail(x, AP_TARGET_CHANGED, "'%s' changed since it was checked", e->path);
        if (taken)
            return fail(x, AP_FILE_EXISTS, "'%s' exists: it was created while apls worked", e->path2);
    }
    for (size_t i = 0; i < x->n; i++) {
        ap_jentry *e = &j->e[i];
        const target *t = &x->t[i];
        char *dir;
        const char *name;
        ap_path_split(e->path, &dir, &name);
        struct stat held, now;
        bool same = true;
        if (!e->shared_fd) {
            int fd = ap_open_dir_beneath(j->rootfd, dir);
            same = fd >= 0 && fstat(fd, &now) == 0 && fstat(e->dirfd, &held) == 0 &&
                   now.st_dev == held.st_dev && now.st_ino == held.st_ino;
            if (fd >= 0)
                close(fd);
        }
        if (!same) {
            fail(x, AP_TARGET_CHANGED, "the folder '%s' of '%s' was moved or replaced while apls worked",
                 *dir ? dir : ".", e->path);
            free(dir);
            return false;
        }
        free(dir);
        if (e->kind == 'C') {
            if (fstatat(e->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0)
                return fail(x, AP_FILE_EXISTS, "'%s' exists: it was created while apls worked", e->path);
            continue;
        }
        int fd = openat(e->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        bool ok = fd >= 0 && fstat(fd, &now) == 0 && S_ISREG(now.st_mode);
        const ap_stamp *s = t->stamp;
        if (ok && s && s->known)
            ok = now.st_dev == s->dev && now.st_ino == s->ino && now.st_size == s->size &&
                 same_time(now.st_mtim, s->mtime);
        size_t len = 0;
        char *bytes = ok ? ap_read_fd(fd, t->old_len + 1, &len) : NULL;
        ok = bytes && len == t->old_len && memcmp(bytes, t->old, len) == 0;
        free(bytes);
        if (fd >= 0)
            close(fd);
        if (!ok)
            return fail(x, AP_TARGET_CHANGED, "'%s' changed since it was read", e->path);
    }
    return true;
}

static ap_code transact(ap_fs *disk, const target *t, size_t n, pathop *ops, size_t n_ops, char **why,
                        bool *unchanged)
{
    *unchanged = true;
    *why = NULL;
    if (n == 0 && n_ops == 0)
        return AP_OK;
    txn x;
    memset(&x, 0, sizeof x);
    x.t = t;
    x.n = n;
    x.ops = ops;
    x.n_ops = n_ops;
    x.root = ap_fs_disk_root(disk);
    x.links_ok = ap_fs_disk_links_ok(disk);
    x.j.fd = -1;
    x.j.rootfd = ap_fs_disk_rootfd(disk);
    if (x.j.rootfd < 0) {
        *why = ap_xprintf("the root folder '%s' cannot be opened; nothing was changed", x.root);
        return AP_IO_ERROR;
    }
    if (ap_root_lock(x.j.rootfd) != 0) {
        *why = ap_xprintf("another apls apply is running in '%s'; nothing was changed", x.root);
        return AP_IO_ERROR;
    }
    char *msg = NULL;
    if (ap_recover_locked(x.j.rootfd, x.root, &msg) == AP_RECOVER_FAILED) {
        *why = ap_xprintf("%s; this apply changed nothing", msg);
        free(msg);
        flock(x.j.rootfd, LOCK_UN);
        return AP_IO_ERROR;
    }
    free(msg);

    bool begun = false, ok = plan(&x, n);
    if (ok)
        ok = begun = ap_journal_begin(&x.j, &x.why);
    if (!ok && !x.code)
        x.code = AP_IO_ERROR;
    ok = ok && make_folders(&x);
    for (size_t i = 0; ok && i < n; i++)
        ok = write_temp(&x, i);
    for (size_t i = 0; ok && i < n; i++)
        ok = back_up(&x, i);
    ok = ok && sync_folders(&x) && recheck(&x);
    if (ok && !ap_journal_mark(&x.j, "sealed"))
        ok = fail(&x, AP_IO_ERROR, "cannot write the journal '" AP_JOURNAL "': %s", strerror(errno));
    char *trouble = NULL;
    if (ok) {
        char *fwd = NULL;
        if (!ap_journal_forward(&x.j, &fwd)) {
            ap_journal_mark(&x.j, "undo");
            if (ap_journal_backward(&x.j, &trouble)) {
                *why = ap_xprintf("%s; nothing was changed: every file is as it was", fwd);
            } else {
                *why = ap_xprintf("%s; the undo failed, some files are new and some old%s; the journal "
                                  "'%s/" AP_JOURNAL "' is kept: `apls recover --root %s` tries again",
                                  fwd, trouble, x.root, x.root);
                *unchanged = false;
            }
            free(fwd);
            x.code = AP_IO_ERROR;
        }
    } else if (begun) {
        if (ap_journal_backward(&x.j, &trouble))
            *why = ap_xprintf("%s; nothing was changed", x.why);
        else
            *why = ap_xprintf("%s; nothing was changed, but the cleaning up failed%s", x.why, trouble);
    } else {
        *why = ap_xprintf("%s; nothing was changed", x.why);
    }
    free(trouble);
    free(x.why);
    ap_journal_release(&x.j);
    flock(ap_fs_disk_rootfd(disk), LOCK_UN);
    return *why ? x.code : AP_OK;
}

ap_code ap_commit_disk(ap_run *run, ap_fs *disk, char **why, bool *unchanged)
{
    target *t = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *t);
    pathop *ops = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *ops);
    size_t n = 0, n_ops = 0;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        char op = f->status == AP_FILE_DELETED ? 'D' : f->status == AP_FILE_RENAMED ? 'M'
                  : f->status == AP_FILE_DIR_CREATED ? 'K' : 0;
        if (op) {
            ops[n_ops++] = (pathop){op, f->path, f->dest, 0, 0};
            continue;
        }
        ap_run_render(run, i);
        if (f->status != AP_FILE_MODIFIED && f->status != AP_FILE_CREATED)
            continue;
        t[n].path = f->path;
        t[n].bytes = f->after;
        t[n].len = f->after_len;
        if (f->before) {
            t[n].old = ap_text_bytes(f->before);
            t[n].old_len = ap_text_len(f->before);
        }
        t[n].stamp = ap_fs_disk_stamp(disk, f->path);
        n++;
    }
    ap_code rc = transact(disk, t, n, ops, n_ops, why, unchanged);
    free(t);
    free(ops);
    return rc;
}

ap_code ap_disk_create(ap_fs *disk, const ap_new_file *files, size_t n, char **why)
{
    target *t = ap_xcalloc(n ? n : 1, sizeof *t);
    pathop *ops = ap_xcalloc(n ? n : 1, sizeof *ops);
    size_t n_files = 0, n_ops = 0;
    for (size_t i = 0; i < n; i++) {
        const char *bad = NULL;
        char *norm = ap_path_normalize(files[i].path, strlen(files[i].path), &bad);
        bool same = norm && strcmp(norm, files[i].path) == 0;
        free(norm);
        if (!same) {
            *why = ap_xprintf("'%s' is not a plain path below the root%s%s", files[i].path, bad ? ": " : "",
                              bad ? bad : "");
            free(t);
            free(ops);
            return AP_INVALID_FILE_PATH;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(files[k].path, files[i].path) == 0) {
                *why = ap_xprintf("'%s' is named twice", files[i].path);
                free(t);
                free(ops);
                return AP_INVALID_FILE_PATH;
            }
        }
        if (files[i].bytes)
            t[n_files++] = (target){files[i].path, files[i].bytes, files[i].len, NULL, 0, NULL};
        else /* a folder (3.2 CREATE without content) */
            ops[n_ops++] = (pathop){'K', files[i].path, NULL, 0, 0};
    }
    bool unchanged;
    ap_code rc = transact(disk, t, n_files, ops, n_ops, why, &unchanged);
    free(t);
    free(ops);
    return rc;
}
