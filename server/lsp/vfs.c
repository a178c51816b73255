/* vfs.c - the engine's file provider inside the server: an open document
 * wins over the disk, and every text is kept so that a target is split and
 * indexed once per content version (a buffer's version, or a disk file's
 * device, inode, size and mtime), not once per keystroke. */
#include "server.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct vfs {
    ap_fs fs;
    apls_server *srv;
    apls_patch *owner;   /* records what the analysis read */
    char *root;
    ap_fs *disk;         /* symbolic-link checks and disk reads */
} vfs;

static char *full_path(const vfs *v, const char *path)
{
    size_t n = strlen(v->root) + strlen(path) + 2;
    char *s = lsp_xmalloc(n);
    snprintf(s, n, "%s/%s", v->root, path);
    return s;
}

static apls_cached *cache_slot(apls_server *s, const char *path)
{
    for (size_t i = 0; i < s->n_cache; i++)
        if (strcmp(s->cache[i].path, path) == 0)
            return &s->cache[i];
    if (s->n_cache == s->cap_cache) {
        s->cap_cache = s->cap_cache ? s->cap_cache * 2 : 16;
        s->cache = lsp_xrealloc(s->cache, s->cap_cache * sizeof *s->cache);
    }
    apls_cached *c = &s->cache[s->n_cache++];
    memset(c, 0, sizeof *c);
    c->path = lsp_xstrdup(path);
    return c;
}

static void cache_clear(apls_cached *c)
{
    ap_text_release(c->text);
    c->text = NULL;
    free(c->why);
    c->why = NULL;
}

void apls_cache_drop(apls_server *s, const char *path)
{
    for (size_t i = 0; i < s->n_cache; i++) {
        if (strcmp(s->cache[i].path, path) == 0) {
            cache_clear(&s->cache[i]);
            free(s->cache[i].path);
            s->cache[i] = s->cache[--s->n_cache];
            return;
        }
    }
}

void apls_cache_free(apls_server *s)
{
    for (size_t i = 0; i < s->n_cache; i++) {
        cache_clear(&s->cache[i]);
        free(s->cache[i].path);
    }
    free(s->cache);
    s->cache = NULL;
    s->n_cache = s->cap_cache = 0;
}

static void add_dep(apls_patch *p, const char *abs)
{
    for (size_t i = 0; i < p->n_deps; i++)
        if (strcmp(p->deps[i], abs) == 0)
            return;
    if (p->n_deps == p->cap_deps) {
        p->cap_deps = p->cap_deps ? p->cap_deps * 2 : 8;
        p->deps = lsp_xrealloc(p->deps, p->cap_deps * sizeof *p->deps);
    }
    p->deps[p->n_deps++] = lsp_xstrdup(abs);
}

static ap_code vfs_check(ap_fs *fs, const char *path, char **why)
{
    vfs *v = (vfs *)fs;
    return v->disk->check_path(v->disk, path, why);
}

static ap_code vfs_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    vfs *v = (vfs *)fs;
    char *abs = full_path(v, path);
    if (v->owner)
        add_dep(v->owner, abs);
    apls_cached *c;
    const lsp_doc *doc = lsp_docstore_find_path(v->srv->docs, abs);
    if (doc) {
        c = cache_slot(v->srv, abs);
        if (!(c->from_doc && c->version == doc->version && (c->text || c->code))) {
            cache_clear(c);
            c->from_doc = true;
            c->version = doc->version;
            if (memchr(doc->text, '\0', doc->len)) {
                c->code = AP_FILE_NOT_TEXT;
                c->why = lsp_xstrdup("is a binary file (it contains NUL bytes); apls edits text");
            } else {
                c->code = AP_OK;
                c->text = ap_text_new(doc->text, doc->len);
            }
        }
    } else {
        struct stat st;
        if (stat(abs, &st) != 0) {
            free(abs);
            return v->disk->load(v->disk, path, out, why);
        }
        c = cache_slot(v->srv, abs);
        unsigned long long mt = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
                                (unsigned long long)st.st_mtim.tv_nsec;
        if (c->from_doc || c->dev != (unsigned long long)st.st_dev ||
            c->ino != (unsigned long long)st.st_ino || c->size != (unsigned long long)st.st_size ||
            c->mtime_ns != mt || (!c->text && !c->code)) {
            cache_clear(c);
            c->from_doc = false;
            c->dev = st.st_dev;
            c->ino = st.st_ino;
            c->size = (unsigned long long)st.st_size;
            c->mtime_ns = mt;
            c->code = v->disk->load(v->disk, path, &c->text, &c->why);
            if (c->code == AP_FILE_NOT_FOUND) {
                /* gone between stat and open: do not remember */
                ap_code code = c->code;
                apls_cache_drop(v->srv, abs);
                free(abs);
                return code;
            }
        }
    }
    free(abs);
    if (c->text) {
        *out = ap_text_retain(c->text);
        return AP_OK;
    }
    *why = c->why ? lsp_xstrdup(c->why) : NULL;
    return c->code;
}

static char *vfs_canonical(ap_fs *fs, const char *path)
{
    vfs *v = (vfs *)fs;
    return v->disk->canonical(v->disk, path);
}

static ap_code vfs_writable(ap_fs *fs, const char *path, char **why)
{
    vfs *v = (vfs *)fs;
    return v->disk->writable ? v->disk->writable(v->disk, path, why) : AP_OK;
}

ap_fs *apls_vfs_new(apls_server *s, apls_patch *owner, const char *root)
{
    vfs *v = lsp_xcalloc(1, sizeof *v);
    v->fs.check_path = vfs_check;
    v->fs.load = vfs_load;
    v->fs.writable = vfs_writable;
    v->fs.canonical = vfs_canonical;
    v->srv = s;
    v->owner = owner;
    v->root = lsp_xstrdup(root);
    v->disk = ap_fs_disk_new(root);
    /* an editor writes through a link, into the file, as its buffer does */
    ap_fs_disk_through_links(v->disk, true);
    return &v->fs;
}

void apls_vfs_free(ap_fs *fs)
{
    vfs *v = (vfs *)fs;
    if (!v)
        return;
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
