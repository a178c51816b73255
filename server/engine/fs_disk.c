/* fs_disk.c - the file provider for the disk under a root folder.
 *
 * The root is opened once; every file is reached from that descriptor.
 * A file_path is resolved one component at a time: a symbolic link on the
 * way is followed only while it stays inside the root, and the result is
 * the file's canonical path (no link on the way), which is what the run
 * groups changes by and what the commit writes through, never following a
 * link again. Two spellings of one file (a symlinked folder, a hard link)
 * are one group.
 *
 * A target that is itself a symbolic link, or a regular file with other hard
 * links, is read (through the link) but refused as soon as the patch would
 * write it, since replacing it would turn the link into a file or split the
 * links; with "through links" the link's file is changed instead, and a
 * hard-linked file is rewritten in place.
 *
 * Files are opened non-blocking and checked with fstat before any read, so a
 * FIFO or a device named by a hostile patch is refused instead of hanging
 * the run. What each file was when read (device, inode, size, mtime) is kept
 * for the commit's re-check. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TARGET_BYTES (256u << 20)
#define MAX_LINKS 40

typedef struct stamp_slot {
    char *path;
    ap_stamp st;
} stamp_slot;

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    char *path;
} file_id;

typedef struct disk_fs {
    ap_fs fs;
    char *root;      /* as given */
    char *real_root; /* realpath of it, or NULL when it does not exist */
    int rootfd;      /* -1 when it does not exist */
    long name_max;
    bool through_links;
    stamp_slot *stamps; /* open addressing by path */
    size_t n_stamps, cap_stamps;
    file_id *ids;    /* files with several hard links: who named them first */
    size_t n_ids, cap_ids;
    ap_text_cache *shared; /* texts read by other providers of one run, or NULL */
} disk_fs;

/* ---------------------------------------------------------- shared texts */

/* The texts one command has read, by the file they were read from: a run
 * over many patches (apls check a.ap b.ap ...) reads and indexes each
 * target once. A file is the same when its device, inode, size and
 * modification time are (what the commit's re-check trusts too). */
typedef struct shared_text {
    ap_stamp st;
    ap_text *text;
} shared_text;

struct ap_text_cache {
    shared_text *texts;
    size_t n, cap;
    size_t bytes, max_bytes;
};

ap_text_cache *ap_text_cache_new(size_t max_bytes)
{
    ap_text_cache *c = ap_xcalloc(1, sizeof *c);
    c->max_bytes = max_bytes;
    return c;
}

void ap_text_cache_free(ap_text_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        ap_text_release(c->texts[i].text);
    free(c->texts);
    free(c);
}

static shared_text *shared_find(ap_text_cache *c, const struct stat *st)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (c->texts[i].st.dev == st->st_dev && c->texts[i].st.ino == st->st_ino)
            return &c->texts[i];
    return NULL;
}

static bool same_stamp(const ap_stamp *a, const struct stat *st)
{
    return a->size == st->st_size && a->mtime.tv_sec == st->st_mtim.tv_sec &&
           a->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void shared_put(ap_text_cache *c, const struct stat *st, ap_text *t)
{
    shared_text *s = shared_find(c, st);
    if (s) {
        c->bytes -= ap_text_len(s->text);
        ap_text_release(s->text);
    } else {
        if (c->bytes + ap_text_len(t) > c->max_bytes)
            return;
        AP_GROW(c->texts, c->n, c->cap);
        s = &c->texts[c->n++];
    }
    s->st = (ap_stamp){st->st_dev, st->st_ino, st->st_size, st->st_mtim, true};
    s->text = ap_text_retain(t);
    c->bytes += ap_text_len(t);
}

void ap_fs_disk_share_texts(ap_fs *fs, ap_text_cache *c)
{
    ((disk_fs *)fs)->shared = c;
}

/* ----------------------------------------------------------- resolving */

typedef struct resolved {
    char *canon;     /* root-relative, no link on the way */
    bool exists;
    bool is_link;    /* the last component is a link, not followed */
    struct stat st;  /* lstat of canon, when it exists */
} resolved;

static void push_parts(char ***stack, size_t *n, size_t *cap, const char *s)
{
    /* components pushed in reverse, so the first is popped first */
    size_t len = strlen(s), end = len;
    for (size_t i = len + 1; i-- > 0;) {
        if (i == 0 || s[i - 1] == '/') {
            size_t k = end - i;
            if (k > 0 && !(k == 1 && s[i] == '.')) {
                AP_GROW(*stack, *n, *cap);
                (*stack)[(*n)++] = ap_xmemdup(s + i, k);
            }
            end = i ? i - 1 : 0;
        }
    }
}

static void resolved_release(resolved *r)
{
    free(r->canon);
    r->canon = NULL;
}

/* Resolves path (normalized, root-relative). follow_final: whether a link
 * in the last place is followed too. */
static ap_code resolve(disk_fs *d, const char *path, bool follow_final, resolved *out, char **why)
{
    memset(out, 0, sizeof *out);
    if (d->rootfd < 0) {
        *why = ap_xprintf("the root folder '%s' does not exist", d->root);
        return AP_INVALID_FILE_PATH;
    }
    char **stack = NULL;
    size_t n = 0, cap = 0;
    push_parts(&stack, &n, &cap, path);
    ap_buf cur = AP_BUF_INIT;
    ap_buf_adds(&cur, "");
    bool exists = true;
    int links = 0;
    char *last_link = NULL;
    ap_code rc = AP_OK;
    while (n > 0 && rc == AP_OK) {
        char *name = stack[--n];
        if (strcmp(name, "..") == 0) {
            char *slash = strrchr(cur.s, '/');
            if (cur.len == 0) {
                *why = ap_xprintf("it leads out of the root through the symbolic link '%s'",
                                  last_link ? last_link : path);
                rc = AP_INVALID_FILE_PATH;
            } else {
                cur.len = slash ? (size_t)(slash - cur.s) : 0;
                cur.s[cur.len] = '\0';
            }
            free(name);
            continue;
        }
        if (d->name_max > 0 && (long)strlen(name) > d->name_max) {
            *why = ap_xprintf("the name '%.40s...' is %zu bytes long; the file system allows %ld",
                              name, strlen(name), d->name_max);
            rc = AP_INVALID_FILE_PATH;
            free(name);
            break;
        }
        size_t mark = cur.len;
        if (cur.len)
            ap_buf_addc(&cur, '/');
        ap_buf_adds(&cur, name);
        free(name);
        if (!exists)
            continue;
        struct stat st;
        if (fstatat(d->rootfd, cur.s, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) {
                exists = false;
                continue;
            }
            if (errno == ENOTDIR) {
                cur.len = mark;
                cur.s[mark] = '\0';
                *why = ap_xprintf("'%s' is a file, not a folder", cur.s);
            } else {
                *why = ap_xprintf("'%s' cannot be reached: %s", cur.s, strerror(errno));
            }
            rc = AP_INVALID_FILE_PATH;
            break;
        }
        if (S_ISLNK(st.st_mode) && (n > 0 || follow_final)) {
            char target[PATH_MAX + 1];
            ssize_t tl = readlinkat(d->rootfd, cur.s, target, PATH_MAX);
            if (++links > MAX_LINKS || tl <= 0) {
                *why = ap_xprintf("'%s' is a symbolic link that leads nowhere (a loop?)", cur.s);
                rc = AP_INVALID_FILE_PATH;
                break;
            }
            target[tl] = '\0';
            free(last_link);
            last_link = ap_xstrdup(cur.s);
            cur.len = mark;
            cur.s[mark] = '\0';
            if (target[0] == '/') {
                size_t rl = strlen(d->real_root);
                bool in = strncmp(target, d->real_root, rl) == 0 &&
                          (target[rl] == '\0' || target[rl] == '/' || rl == 1);
                if (!in) {
                    *why = ap_xprintf("it leads out of the root through the symbolic link '%s'", last_link);
                    rc = AP_INVALID_FILE_PATH;
                    break;
                }
                cur.len = 0;
                cur.s[0] = '\0';
                push_parts(&stack, &n, &cap, target + (rl == 1 ? 0 : rl));
            } else {
                push_parts(&stack, &n, &cap, target);
            }
            continue;
        }
        if (S_ISLNK(st.st_mode))
            out->is_link = true;
        else if (!S_ISDIR(st.st_mode) && n > 0) {
            *why = ap_xprintf("'%s' is a file, not a folder", cur.s);
            rc = AP_INVALID_FILE_PATH;
            break;
        }
        out->st = st;
    }
    while (n > 0)
        free(stack[--n]);
    free(stack);
    free(last_link);
    if (rc != AP_OK) {
        ap_buf_release(&cur);
        return rc;
    }
    out->exists = exists;
    out->canon = ap_buf_detach(&cur, NULL);
    return AP_OK;
}

/* --------------------------------------------------------------- hooks */

static ap_code disk_check(ap_fs *fs, const char *path, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    resolved r, f;
    ap_code rc = resolve(d, path, false, &r, why);
    if (rc != AP_OK)
        return rc;
    if (r.is_link) {
        /* a link in the last place must lead to something inside the root */
        rc = resolve(d, path, true, &f, why);
        if (rc == AP_OK && !f.exists) {
            *why = ap_xprintf("'%s' is a symbolic link that leads nowhere", r.canon);
            rc = AP_INVALID_FILE_PATH;
        }
        resolved_release(&f);
    }
    resolved_release(&r);
    return rc;
}

/* A file with several hard links: the path that named it first. */
static const char *first_name(disk_fs *d, const struct stat *st, const char *canon)
{
    for (size_t i = 0; i < d->n_ids; i++)
        if (d->ids[i].dev == st->st_dev && d->ids[i].ino == st->st_ino)
            return d->ids[i].path;
    AP_GROW(d->ids, d->n_ids, d->cap_ids);
    d->ids[d->n_ids++] = (file_id){st->st_dev, st->st_ino, ap_xstrdup(canon)};
    return canon;
}

static char *disk_canonical(ap_fs *fs, const char *path)
{
    disk_fs *d = (disk_fs *)fs;
    resolved r;
    char *why = NULL;
    if (resolve(d, path, d->through_links, &r, &why) != AP_OK) {
        free(why);
        return NULL;
    }
    const char *name = r.canon;
    if (r.exists && S_ISREG(r.st.st_mode) && r.st.st_nlink > 1)
        name = first_name(d, &r.st, r.canon);
    char *out = strcmp(name, path) != 0 ? ap_xstrdup(name) : NULL;
    resolved_release(&r);
    return out;
}

static stamp_slot *stamp_find(disk_fs *d, const char *path, bool add)
{
    if (add && (d->n_stamps + 1) * 2 > d->cap_stamps) {
        size_t cap = d->cap_stamps ? d->cap_stamps * 2 : 64;
        stamp_slot *old = d->stamps;
        size_t old_cap = d->cap_stamps;
        d->stamps = ap_xcalloc(cap, sizeof *d->stamps);
        d->cap_stamps = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].path)
                continue;
            size_t j = ap_hash(old[i].path, strlen(old[i].path)) & (cap - 1);
            while (d->stamps[j].path)
                j = (j + 1) & (cap - 1);
            d->stamps[j] = old[i];
        }
        free(old);
    }
    if (!d->cap_stamps)
        return NULL;
    size_t j = ap_hash(path, strlen(path)) & (d->cap_stamps - 1);
    while (d->stamps[j].path && strcmp(d->stamps[j].path, path) != 0)
        j = (j + 1) & (d->cap_stamps - 1);
    if (!d->stamps[j].path) {
        if (!add)
            return NULL;
        d->stamps[j].path = ap_xstrdup(path);
        d->n_stamps++;
    }
    return &d->stamps[j];
}

static ap_code disk_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    resolved r;
    ap_code rc = resolve(d, path, true, &r, why);
    if (rc != AP_OK)
        return rc;
    if (!r.exists) {
        resolved_release(&r);
        return AP_FILE_NOT_FOUND;
    }
    int fd = ap_open_beneath(d->rootfd, r.canon, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    resolved_release(&r);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return AP_FILE_NOT_FOUND;
        *why = errno == ELOOP || errno == EXDEV
                   ? ap_xstrdup("changed while being read (a symbolic link appeared on its way)")
                   : ap_xprintf("cannot be read: %s", strerror(errno));
        return AP_IO_ERROR;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = ap_xprintf("cannot be read: %s", strerror(errno));
        close(fd);
        return AP_IO_ERROR;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        *why = ap_xstrdup("is a folder, not a file");
        return AP_INVALID_FILE_PATH;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        *why = ap_xstrdup("is not a regular file (a device, FIFO or socket)");
        return AP_INVALID_FILE_PATH;
    }
    if ((uint64_t)st.st_size > MAX_TARGET_BYTES) {
        close(fd);
        *why = ap_xprintf("is %lld bytes; apls edits files of up to %u MiB", (long long)st.st_size,
                          MAX_TARGET_BYTES >> 20);
        return AP_IO_ERROR;
    }
    shared_text *known = shared_find(d->shared, &st);
    if (known && same_stamp(&known->st, &st)) {
        close(fd);
        stamp_slot *s = stamp_find(d, path, true);
        s->st = known->st;
        *out = ap_text_retain(known->text);
        return AP_OK;
    }
    size_t len = 0;
    char *buf = ap_read_fd_sized(fd, (size_t)st.st_size, MAX_TARGET_BYTES, &len);
    int err = errno;
    close(fd);
    if (!buf) {
        *why = err == EFBIG ? ap_xstrdup("grew too large while being read")
                            : ap_xprintf("cannot be read: %s", strerror(err));
        return AP_IO_ERROR;
    }
    if (memchr(buf, '\0', len)) {
        free(buf);
        *why = ap_xstrdup("is a binary file (it contains NUL bytes); apls edits text");
        return AP_FILE_NOT_TEXT;
    }
    stamp_slot *s = stamp_find(d, path, true);
    s->st = (ap_stamp){st.st_dev, st.st_ino, st.st_size, st.st_mtim, true};
    *out = ap_text_adopt_known(buf, len, false);
    if (d->shared)
        shared_put(d->shared, &st, *out);
    return AP_OK;
}

static ap_code disk_writable(ap_fs *fs, const char *path, char **why)
{
    disk_fs *d = (disk_fs *)fs;
    resolved r, f;
    ap_code rc = resolve(d, path, false, &r, why);
    if (rc != AP_OK)
        return rc;
    rc = resolve(d, path, true, &f, why);
    if (rc != AP_OK) {
        resolved_release(&r);
        return rc;
    }
    if (r.is_link && !d->through_links) {
        *why = ap_xprintf("'%s' is a symbolic link (to '%s'); replacing it would turn the link into "
                          "a file: name '%s' in the patch, or use --through-links",
                          r.canon, f.canon, f.canon);
        rc = AP_INVALID_FILE_PATH;
    } else if (f.exists && S_ISREG(f.st.st_mode) && f.st.st_nlink > 1 && !d->through_links) {
        *why = ap_xprintf("'%s' has %lu other hard link%s; replacing it would split them: use "
                          "--through-links to rewrite it in place",
                          f.canon, (unsigned long)f.st.st_nlink - 1, f.st.st_nlink == 2 ? "" : "s");
        rc = AP_INVALID_FILE_PATH;
    } else if (f.exists && faccessat(d->rootfd, f.canon, W_OK, 0) != 0 && errno != ENOENT) {
        /* What an in-place write would be told: the mode bits for a user, a
         * read-only mount for everyone (root may write a 0444 file, as the
         * reference patcher does). The rename apls writes with would bypass
         * both, so it asks first. */
        *why = ap_xprintf("the file is read-only (%s)", strerror(errno));
        rc = AP_FILE_READ_ONLY;
    }
    resolved_release(&r);
    resolved_release(&f);
    return rc;
}

/* What stands at path, reached as everything else is (a symbolic link in
 * the last place is the link itself: an operation on the path moves or
 * removes the link, never what it points to). */
static ap_path_kind disk_kind(ap_fs *fs, const char *path)
{
    disk_fs *d = (disk_fs *)fs;
    resolved r;
    char *why = NULL;
    if (resolve(d, path, false, &r, &why) != AP_OK) {
        free(why);
        return AP_PATH_OTHER;
    }
    ap_path_kind k = !r.exists                                ? AP_PATH_NONE
                     : r.is_link || S_ISREG(r.st.st_mode)     ? AP_PATH_FILE
                     : S_ISDIR(r.st.st_mode)                  ? AP_PATH_DIR
                                                              : AP_PATH_OTHER;
    resolved_release(&r);
    return k;
}

/* ------------------------------------------------------------ the rest */

static const char *disk_root(ap_fs *fs)
{
    disk_fs *d = (disk_fs *)fs;
    return d->real_root ? d->real_root : d->root;
}

ap_fs *ap_fs_disk_new(const char *root)
{
    disk_fs *d = ap_xcalloc(1, sizeof *d);
    d->fs.check_path = disk_check;
    d->fs.load = disk_load;
    d->fs.writable = disk_writable;
    d->fs.kind = disk_kind;
    d->fs.canonical = disk_canonical;
    d->fs.root = disk_root;
    d->fs.exists = ap_disk_exists; /* fs_list.c: from the root's descriptor */
    d->fs.list = ap_disk_list;
    d->root = ap_xstrdup(root);
    d->real_root = realpath(root, NULL);
    d->rootfd = d->real_root ? open(d->real_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    d->name_max = d->rootfd >= 0 ? fpathconf(d->rootfd, _PC_NAME_MAX) : -1;
    return &d->fs;
}

void ap_fs_disk_through_links(ap_fs *fs, bool on)
{
    ((disk_fs *)fs)->through_links = on;
}

void ap_fs_disk_free(ap_fs *fs)
{
    disk_fs *d = (disk_fs *)fs;
    if (!d)
        return;
    for (size_t i = 0; i < d->cap_stamps; i++)
        free(d->stamps[i].path);
    free(d->stamps);
    for (size_t i = 0; i < d->n_ids; i++)
        free(d->ids[i].path);
    free(d->ids);
    if (d->rootfd >= 0)
        close(d->rootfd);
    free(d->root);
    free(d->real_root);
    free(d);
}

/* What the commit asks of a disk provider; NULL when fs is another kind. */
static disk_fs *as_disk(ap_fs *fs)
{
    return fs && fs->load == disk_load ? (disk_fs *)fs : NULL;
}

int ap_fs_disk_rootfd(ap_fs *fs)
{
    disk_fs *d = as_disk(fs);
    return d ? d->rootfd : -1;
}

const char *ap_fs_disk_root(ap_fs *fs)
{
    disk_fs *d = as_disk(fs);
    return d ? d->root : "";
}

bool ap_fs_disk_links_ok(ap_fs *fs)
{
    disk_fs *d = as_disk(fs);
    return d && d->through_links;
}

const ap_stamp *ap_fs_disk_stamp(ap_fs *fs, const char *path)
{
    disk_fs *d = as_disk(fs);
    stamp_slot *s = d ? stamp_find(d, path, false) : NULL;
    return s ? &s->st : NULL;
}
