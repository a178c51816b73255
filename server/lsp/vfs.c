/* vfs.c - the engine's file provider inside the server: an open document
 * wins over the disk, and every answer is kept so that a target is split and
 * indexed once per content version (a buffer's stamp, or a disk file's
 * identity), not once per keystroke.
 *
 * When to ask the disk again. Diagnostics rely on watch events: a cached
 * disk answer is used as it is while a change of that file would be reported
 * (watch.c drops it then), except for the targets of the change an edit
 * touched (apls_vfs_recheck). Edits rely on nothing: apls_vfs_verify asks the
 * disk for every target. Asking means a stat (device, inode, size, mtime,
 * ctime: a rewrite that puts the mtime back still moves the ctime) and a read
 * when it differs; a file that changed within RACY_NS of its read is "racy"
 * (timestamps are coarse: a second change in the same tick keeps them) and
 * is read again and compared byte for byte. */
#include "server.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RACY_NS 2000000000ull /* FAT has 2 s timestamps; ext4 and tmpfs a clock tick */

typedef struct vfs {
    ap_fs fs;
    apls_server *srv;
    apls_patch *owner;   /* records what the analysis read */
    char *root;
    ap_fs *disk;         /* symbolic-link checks and disk reads */
    bool verify;         /* trust no cached disk answer */
    char **fresh;        /* absolute paths to ask the disk about anyway */
    size_t n_fresh;
} vfs;

/* (joined by hand: every target's path is joined several times an
 * analysis, and a formatted print cost about 1,000 instructions each) */
static char *full_path(const vfs *v, const char *path)
{
    size_t r = strlen(v->root), p = strlen(path);
    char *abs = lsp_xmalloc(r + 1 + p + 1);
    memcpy(abs, v->root, r);
    abs[r] = '/';
    memcpy(abs + r + 1, path, p + 1);
    return abs;
}

/* The slot of path in an open-addressing index over n strings (names[i]
 * through get): a hit, or the free slot where it would go. Every target is
 * looked up several times per analysis: a scan of all of them each time
 * cost more than the analysis of an unchanged file. */
static uint32_t *index_slot(uint32_t *index, size_t mask, const char *path, const char *(*get)(const void *, size_t),
                            const void *arr)
{
    size_t j = (size_t)ap_hash(path, strlen(path)) & mask;
    while (index[j] && strcmp(get(arr, index[j] - 1), path) != 0)
        j = (j + 1) & mask;
    return &index[j];
}

/* A new index for n strings, at most half full. */
static uint32_t *index_build(size_t n, size_t *mask, const char *(*get)(const void *, size_t), const void *arr)
{
    size_t size = 64;
    while (size < 2 * (n + 1))
        size *= 2;
    uint32_t *index = lsp_xcalloc(size, sizeof *index);
    *mask = size - 1;
    for (size_t i = 0; i < n; i++)
        *index_slot(index, *mask, get(arr, i), get, arr) = (uint32_t)i + 1;
    return index;
}

static const char *cached_path(const void *arr, size_t i)
{
    return ((const apls_cached *)arr)[i].path;
}

static void cache_reindex(apls_server *s)
{
    free(s->cache_index);
    s->cache_index = index_build(s->n_cache, &s->cache_mask, cached_path, s->cache);
}

static apls_cached *cache_find(apls_server *s, const char *path)
{
    if (!s->cache_index)
        return NULL;
    uint32_t at = *index_slot(s->cache_index, s->cache_mask, path, cached_path, s->cache);
    return at ? &s->cache[at - 1] : NULL;
}

static apls_cached *cache_slot(apls_server *s, const char *path)
{
    apls_cached *c = cache_find(s, path);
    if (c)
        return c;
    if (s->n_cache == s->cap_cache) {
        s->cap_cache = s->cap_cache ? s->cap_cache * 2 : 16;
        s->cache = lsp_xrealloc(s->cache, s->cap_cache * sizeof *s->cache);
    }
    c = &s->cache[s->n_cache++];
    memset(c, 0, sizeof *c);
    c->path = lsp_xstrdup(path);
    if (!s->cache_index || 2 * (s->n_cache + 1) > s->cache_mask + 1)
        cache_reindex(s);
    else
        *index_slot(s->cache_index, s->cache_mask, path, cached_path, s->cache) = (uint32_t)s->n_cache;
    return c;
}

/* Forgets the text (the checks stay). */
static void forget_text(apls_cached *c)
{
    ap_text_release(c->text);
    c->text = NULL;
    free(c->why);
    c->why = NULL;
    c->loaded = false;
}

static void cache_clear(apls_cached *c)
{
    forget_text(c);
    free(c->check_root);
    free(c->check_why);
    free(c->writable_why);
    free(c->canonical_root);
    free(c->canonical);
    free(c->kind_root);
    free(c->path);
}

static void listings_clear(apls_server *s)
{
    for (size_t i = 0; i < sizeof s->listings / sizeof *s->listings; i++) {
        apls_listing *l = &s->listings[i];
        for (size_t k = 0; k < l->n; k++)
            free(l->paths[k]);
        free(l->paths);
        free(l->root);
        memset(l, 0, sizeof *l);
    }
}

/* The text last dropped from the cache, kept (or, with NULL, let go) until
 * its file is read again: the new text follows it (ap_text_follow). */
static void keep_left(apls_server *s, const char *path, ap_text *text)
{
    ap_text_release(s->left_text);
    free(s->left_path);
    s->left_text = text ? ap_text_retain(text) : NULL;
    s->left_path = path ? lsp_xstrdup(path) : NULL;
}

void apls_cache_drop(apls_server *s, const char *path)
{
    listings_clear(s); /* a file changed: one may have come or gone */
    apls_cached *c = cache_find(s, path);
    if (c) {
        if (c->text)
            keep_left(s, c->path, c->text);
        cache_clear(c);
        *c = s->cache[--s->n_cache];
        cache_reindex(s); /* (a file changed on disk: rare beside lookups) */
    }
}

static const char *dep_path(const void *arr, size_t i);

/* Does an open patch's latest analysis read abs? */
static bool depended_on(const apls_server *s, const char *abs)
{
    for (size_t i = 0; i < s->n_patches; i++) {
        const apls_patch *p = s->patches[i];
        if (p->dep_index && *index_slot(p->dep_index, p->dep_mask, abs, dep_path, p->deps))
            return true;
    }
    return false;
}

void apls_cache_trim(apls_server *s)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n_cache; i++) {
        if (depended_on(s, s->cache[i].path))
            s->cache[kept++] = s->cache[i];
        else
            cache_clear(&s->cache[i]);
    }
    if (kept != s->n_cache) {
        s->n_cache = kept;
        cache_reindex(s);
    }
}

size_t apls_cache_texts(const apls_server *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_cache; i++)
        n += s->cache[i].text != NULL;
    return n;
}

void apls_cache_free(apls_server *s)
{
    listings_clear(s);
    for (size_t i = 0; i < s->n_cache; i++)
        cache_clear(&s->cache[i]);
    free(s->cache);
    s->cache = NULL;
    s->n_cache = s->cap_cache = 0;
    free(s->cache_index);
    s->cache_index = NULL;
    keep_left(s, NULL, NULL);
}

static const char *dep_path(const void *arr, size_t i)
{
    return ((char *const *)arr)[i];
}

static void add_dep(apls_patch *p, const char *abs)
{
    if (!p->dep_index || 2 * (p->n_deps + 1) > p->dep_mask + 1) {
        free(p->dep_index);
        p->dep_index = index_build(p->n_deps, &p->dep_mask, dep_path, p->deps);
    }
    uint32_t *slot = index_slot(p->dep_index, p->dep_mask, abs, dep_path, p->deps);
    if (*slot)
        return;
    if (p->n_deps == p->cap_deps) {
        p->cap_deps = p->cap_deps ? p->cap_deps * 2 : 8;
        p->deps = lsp_xrealloc(p->deps, p->cap_deps * sizeof *p->deps);
    }
    p->deps[p->n_deps++] = lsp_xstrdup(abs);
    *slot = (uint32_t)p->n_deps;
}

/* May a cached disk answer for abs be used without asking the disk? */
static bool trusted(const vfs *v, const char *abs)
{
    if (v->verify)
        return false;
    for (size_t i = 0; i < v->n_fresh; i++)
        if (strcmp(v->fresh[i], abs) == 0)
            return false;
    return apls_watch_covers(v->srv, abs);
}

static unsigned long long ns_of(struct timespec t)
{
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static apls_disk_id id_of(const struct stat *st)
{
    return (apls_disk_id){(unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
                          (unsigned long long)st->st_size, ns_of(st->st_mtim), ns_of(st->st_ctim)};
}

static bool same_id(apls_disk_id a, apls_disk_id b)
{
    return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns &&
           a.ctime_ns == b.ctime_ns;
}

static bool same_text(const ap_text *a, const ap_text *b)
{
    return ap_text_len(a) == ap_text_len(b) && memcmp(ap_text_bytes(a), ap_text_bytes(b), ap_text_len(a)) == 0;
}

/* Brings c (the disk file abs, root-relative path) in line with the disk:
 * read again when its identity moved or it is racy; a text read again with
 * the same bytes stays the same ap_text (so runs keep what they computed). */
static void ask_disk(vfs *v, apls_cached *c, const char *abs, const char *path)
{
    struct stat st;
    bool exists = stat(abs, &st) == 0;
    v->srv->counts.stats++;
    apls_disk_id id = exists ? id_of(&st) : (apls_disk_id){0};
    bool same = c->loaded && !c->from_doc && c->exists == exists && same_id(c->id, id);
    if (same && !c->racy)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* before the read: a change during it is racy */
    ap_text *t = NULL;
    char *why = NULL;
    ap_code code = v->disk->load(v->disk, path, &t, &why);
    v->srv->counts.reads++;
    v->srv->counts.indexed += t != NULL;
    if (c->loaded && !c->from_doc && code == c->code &&
        (t && c->text ? same_text(t, c->text) : !t && !c->text)) {
        ap_text_release(t);
        free(why);
    } else {
        if (c->loaded)
            lsp_log(LSP_LOG_DEBUG, "changed on disk: %s", abs);
        /* a target edited: what its last text computed that still holds */
        apls_server *srv = v->srv;
        if (c->text)
            ap_text_follow(t, c->text);
        else if (srv->left_text && strcmp(srv->left_path, abs) == 0) {
            ap_text_follow(t, srv->left_text);
            keep_left(srv, NULL, NULL); /* read again: not wanted any more */
        }
        forget_text(c);
        c->text = t;
        c->code = code;
        c->why = why;
    }
    c->loaded = true;
    c->from_doc = false;
    c->exists = exists;
    c->id = id;
    unsigned long long last = id.mtime_ns > id.ctime_ns ? id.mtime_ns : id.ctime_ns;
    c->racy = exists && last + RACY_NS > ns_of(now);
}

static ap_code vfs_check(ap_fs *fs, const char *path, char **why)
{
    vfs *v = (vfs *)fs;
    char *abs = full_path(v, path);
    if (v->owner)
        add_dep(v->owner, abs);
    apls_cached *c = cache_slot(v->srv, abs);
    if (!(c->check_root && strcmp(c->check_root, v->root) == 0 && trusted(v, abs))) {
        free(c->check_root);
        free(c->check_why);
        c->check_why = NULL;
        c->check_code = v->disk->check_path(v->disk, path, &c->check_why);
        v->srv->counts.checks++;
        c->check_root = lsp_xstrdup(v->root);
    }
    free(abs);
    *why = c->check_why ? lsp_xstrdup(c->check_why) : NULL;
    return c->check_code;
}

static ap_code vfs_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    vfs *v = (vfs *)fs;
    char *abs = full_path(v, path);
    if (v->owner)
        add_dep(v->owner, abs);
    apls_cached *c = cache_slot(v->srv, abs);
    const lsp_doc *doc = lsp_docstore_find_path(v->srv->docs, abs);
    if (doc) {
        if (!(c->loaded && c->from_doc && c->stamp == doc->stamp)) {
            ap_text *was = c->text ? ap_text_retain(c->text) : NULL;
            forget_text(c);
            c->loaded = true;
            c->from_doc = true;
            c->stamp = doc->stamp;
            if (memchr(doc->text, '\0', doc->len)) {
                c->code = AP_FILE_NOT_TEXT;
                c->why = lsp_xstrdup("is a binary file (it contains NUL bytes); apls edits text");
            } else {
                c->code = AP_OK;
                c->text = ap_text_new(doc->text, doc->len);
                ap_text_follow(c->text, was); /* an unsaved edit: a line or two */
                v->srv->counts.indexed++;
            }
            ap_text_release(was);
        }
    } else if (!(c->loaded && !c->from_doc && trusted(v, abs))) {
        ask_disk(v, c, abs, path);
    }
    free(abs);
    if (c->text) {
        *out = ap_text_retain(c->text);
        return AP_OK;
    }
    *why = c->why ? lsp_xstrdup(c->why) : NULL;
    return c->code;
}

/* Kept like the path checks: resolving the links on a path's way costs a
 * readlink or stat per component, for every target at every keystroke. */
static char *vfs_canonical(ap_fs *fs, const char *path)
{
    vfs *v = (vfs *)fs;
    char *abs = full_path(v, path);
    apls_cached *c = cache_slot(v->srv, abs);
    if (!(c->canonical_root && strcmp(c->canonical_root, v->root) == 0 && trusted(v, abs))) {
        free(c->canonical_root);
        free(c->canonical);
        c->canonical = v->disk->canonical(v->disk, path);
        v->srv->counts.canonicals++;
        c->canonical_root = lsp_xstrdup(v->root);
    }
    free(abs);
    return c->canonical ? lsp_xstrdup(c->canonical) : NULL;
}

static ap_code vfs_writable(ap_fs *fs, const char *path, char **why)
{
    vfs *v = (vfs *)fs;
    if (!v->disk->writable)
        return AP_OK;
    char *abs = full_path(v, path);
    apls_cached *c = cache_slot(v->srv, abs);
    if (!(c->writable_known && trusted(v, abs))) {
        free(c->writable_why);
        c->writable_why = NULL;
        c->writable_code = v->disk->writable(v->disk, path, &c->writable_why);
        v->srv->counts.writables++;
        c->writable_known = true;
    }
    free(abs);
    *why = c->writable_why ? lsp_xstrdup(c->writable_why) : NULL;
    return c->writable_code;
}

static const char *vfs_root(ap_fs *fs)
{
    vfs *v = (vfs *)fs;
    return v->disk->root(v->disk);
}

/* An open buffer names a file as well as the disk does. */
static bool vfs_exists(ap_fs *fs, const char *path)
{
    vfs *v = (vfs *)fs;
    char *abs = full_path(v, path);
    bool open = lsp_docstore_find_path(v->srv->docs, abs) != NULL;
    free(abs);
    return open || v->disk->exists(v->disk, path);
}

/* What stands at a path (3.2 RENAME, DELETE of a path, CREATE of a folder,
 * and every FILE path, for a project folder named twice): an open buffer is
 * a file; else the disk says (one stat), kept like the path checks: 3.2 asks
 * it of every target at every keystroke. Before an edit is built the paths
 * of the operations are asked again (apls_vfs_kind_now). A dependency like
 * any read, so a change there re-checks the patch. */
static ap_path_kind kind_of(vfs *v, const char *path, bool now)
{
    char *abs = full_path(v, path);
    if (v->owner)
        add_dep(v->owner, abs);
    ap_path_kind k = AP_PATH_FILE;
    if (!lsp_docstore_find_path(v->srv->docs, abs)) {
        apls_cached *c = cache_slot(v->srv, abs);
        if (now || !(c->kind_root && strcmp(c->kind_root, v->root) == 0 && trusted(v, abs))) {
            free(c->kind_root);
            c->kind = v->disk->kind ? v->disk->kind(v->disk, path) : AP_PATH_OTHER;
            c->kind_root = lsp_xstrdup(v->root);
            v->srv->counts.stats++;
        }
        k = c->kind;
    }
    free(abs);
    return k;
}

static ap_path_kind vfs_kind(ap_fs *fs, const char *path)
{
    return kind_of((vfs *)fs, path, false);
}

ap_path_kind apls_vfs_kind_now(ap_fs *fs, const char *path)
{
    return kind_of((vfs *)fs, path, true);
}

#define LISTING_MS 5000

static void collect(void *ctx, const char *path)
{
    apls_listing *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->paths = lsp_xrealloc(l->paths, l->cap * sizeof *l->paths);
    }
    l->paths[l->n++] = lsp_xstrdup(path);
}

/* The disk's listing of the root, from the server's cache when it is a few
 * seconds old at most (dropped too when a file changes on disk). */
static bool vfs_list(ap_fs *fs, void (*each)(void *ctx, const char *path), void *ctx)
{
    vfs *v = (vfs *)fs;
    apls_server *s = v->srv;
    size_t n = sizeof s->listings / sizeof *s->listings, use = 0;
    uint64_t now = uv_now(s->loop);
    apls_listing *l = NULL;
    for (size_t i = 0; i < n && !l; i++)
        if (s->listings[i].root && strcmp(s->listings[i].root, v->root) == 0 &&
            now - s->listings[i].at < LISTING_MS)
            l = &s->listings[i];
    if (!l) {
        for (size_t i = 1; i < n; i++) /* the oldest (or an empty) slot */
            if (s->listings[i].at < s->listings[use].at)
                use = i;
        l = &s->listings[use];
        for (size_t k = 0; k < l->n; k++)
            free(l->paths[k]);
        free(l->paths);
        free(l->root);
        memset(l, 0, sizeof *l);
        l->root = lsp_xstrdup(v->root);
        l->complete = v->disk->list(v->disk, collect, l);
        l->at = now;
    }
    for (size_t k = 0; k < l->n; k++)
        each(ctx, l->paths[k]);
    return l->complete;
}

ap_fs *apls_vfs_new(apls_server *s, apls_patch *owner, const char *root)
{
    vfs *v = lsp_xcalloc(1, sizeof *v);
    v->fs.check_path = vfs_check;
    v->fs.load = vfs_load;
    v->fs.writable = vfs_writable;
    v->fs.canonical = vfs_canonical;
    v->fs.root = vfs_root;
    v->fs.exists = vfs_exists;
    v->fs.list = vfs_list;
    v->fs.kind = vfs_kind;
    v->srv = s;
    v->owner = owner;
    v->root = lsp_xstrdup(root);
    v->disk = ap_fs_disk_new(root);
    /* an editor writes through a link, into the file, as its buffer does */
    ap_fs_disk_through_links(v->disk, true);
    return &v->fs;
}

void apls_vfs_recheck(ap_fs *fs, const char *path)
{
    vfs *v = (vfs *)fs;
    v->fresh = lsp_xrealloc(v->fresh, (v->n_fresh + 1) * sizeof *v->fresh);
    v->fresh[v->n_fresh++] = full_path(v, path);
}

/* A string that may be NULL, compared. */
static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool apls_vfs_verify(ap_fs *fs, char **paths, size_t n)
{
    vfs *v = (vfs *)fs;
    size_t root_len = strlen(v->root);
    bool changed = false;
    v->verify = true;
    for (size_t i = 0; i < n; i++) {
        apls_cached *c = cache_find(v->srv, paths[i]);
        if (!c || strncmp(paths[i], v->root, root_len) != 0 || paths[i][root_len] != '/')
            continue;
        const char *path = paths[i] + root_len + 1;
        char *why = NULL;
        if (c->check_root) {
            ap_code was = c->check_code;
            char *was_why = c->check_why ? lsp_xstrdup(c->check_why) : NULL;
            vfs_check(fs, path, &why);
            changed |= was != c->check_code || !same_str(was_why, c->check_why);
            free(was_why);
            free(why);
            why = NULL;
        }
        if (c->loaded && !lsp_docstore_find_path(v->srv->docs, paths[i])) {
            const ap_text *was = c->text;
            ap_code was_code = c->code;
            ask_disk(v, c, paths[i], path);
            changed |= was != c->text || was_code != c->code;
        }
        if (c->writable_known) {
            ap_code was = c->writable_code;
            vfs_writable(fs, path, &why);
            changed |= was != c->writable_code;
            free(why);
        }
    }
    v->verify = false;
    return changed;
}

void apls_vfs_free(ap_fs *fs)
{
    vfs *v = (vfs *)fs;
    if (!v)
        return;
    for (size_t i = 0; i < v->n_fresh; i++)
        free(v->fresh[i]);
    free(v->fresh);
    ap_fs_disk_free(v->disk);
    free(v->root);
    free(v);
}

const ap_text *apls_run_text(const apls_patch *p, size_t i)
{
    if (!p->run || i >= p->run->n_files)
        return NULL;
    return p->run->files[i].before;
}
