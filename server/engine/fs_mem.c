/* fs_mem.c - a file provider over memory, for tests and fuzzers: the whole
 * engine runs without touching the disk. Folders are those a file stands in
 * and those made empty with ap_fs_mem_mkdir. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct mem_file {
    char *path;
    ap_text *text;   /* NULL: made at each load (make) */
    ap_text *(*make)(void *ctx);
    void *ctx;
    bool read_only;
} mem_file;

typedef struct mem_fs {
    ap_fs fs;
    mem_file *files;
    size_t n, cap;
    char *root;      /* what it says it stands for, or NULL */
    char **dirs;       /* folders made with mkdir (a file's stand by themselves) */
    size_t n_dirs, cap_dirs;
} mem_fs;

static mem_file *find(mem_fs *m, const char *path)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->files[i].path, path) == 0)
            return &m->files[i];
    return NULL;
}

/* Is path dir itself or below it? */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static ap_path_kind mem_kind(ap_fs *fs, const char *path)
{
    mem_fs *m = (mem_fs *)fs;
    if (find(m, path))
        return AP_PATH_FILE;
    for (size_t i = 0; i < m->n_dirs; i++)
        if (under(m->dirs[i], path))
            return AP_PATH_DIR;
    for (size_t i = 0; i < m->n; i++)
        if (under(m->files[i].path, path))
            return AP_PATH_DIR;
    return AP_PATH_NONE;
}

static ap_code mem_check(ap_fs *fs, const char *path, char **why)
{
    (void)fs;
    (void)path;
    (void)why;
    return AP_OK;
}

static ap_code mem_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    mem_file *f = find((mem_fs *)fs, path);
    if (!f) {
        if (mem_kind(fs, path) == AP_PATH_DIR) {
            *why = ap_xstrdup("is a folder, not a file");
            return AP_INVALID_FILE_PATH;
        }
        return AP_FILE_NOT_FOUND;
    }
    ap_text *t = f->text ? ap_text_retain(f->text) : f->make(f->ctx);
    if (t->has_nul) {
        ap_text_release(t);
        *why = ap_xstrdup("is a binary file (it contains NUL bytes); apls edits text");
        return AP_FILE_NOT_TEXT;
    }
    *out = t;
    return AP_OK;
}

static ap_code mem_writable(ap_fs *fs, const char *path, char **why)
{
    mem_file *f = find((mem_fs *)fs, path);
    if (f && f->read_only) {
        *why = ap_xstrdup("the file is read-only");
        return AP_FILE_READ_ONLY;
    }
    return AP_OK;
}

static const char *mem_root(ap_fs *fs)
{
    return ((mem_fs *)fs)->root;
}

/* A file, or a folder: the start of a file's path up to a '/'. */
static bool mem_exists(ap_fs *fs, const char *path)
{
    mem_fs *m = (mem_fs *)fs;
    size_t n = strlen(path);
    for (size_t i = 0; i < m->n; i++)
        if (strncmp(m->files[i].path, path, n) == 0 && (m->files[i].path[n] == '\0' || m->files[i].path[n] == '/'))
            return true;
    return false;
}

static bool mem_list(ap_fs *fs, void (*each)(void *ctx, const char *path), void *ctx)
{
    mem_fs *m = (mem_fs *)fs;
    for (size_t i = 0; i < m->n; i++) {
        if (i == AP_LIST_ENTRIES)
            return false;
        each(ctx, m->files[i].path);
    }
    return true;
}

ap_fs *ap_fs_mem_new(void)
{
    mem_fs *m = ap_xcalloc(1, sizeof *m);
    m->fs.check_path = mem_check;
    m->fs.load = mem_load;
    m->fs.writable = mem_writable;
    m->fs.root = mem_root;
    m->fs.exists = mem_exists;
    m->fs.list = mem_list;
    m->fs.kind = mem_kind;
    return &m->fs;
}

void ap_fs_mem_set_root(ap_fs *fs, const char *root)
{
    mem_fs *m = (mem_fs *)fs;
    free(m->root);
    m->root = root ? ap_xstrdup(root) : NULL;
}

/* The entry of path, emptied (a new one at the end). */
static mem_file *entry(mem_fs *m, const char *path)
{
    mem_file *f = find(m, path);
    if (!f) {
        AP_GROW(m->files, m->n, m->cap);
        f = &m->files[m->n++];
        memset(f, 0, sizeof *f);
        f->path = ap_xstrdup(path);
    } else {
        ap_text_release(f->text);
        f->text = NULL;
        f->make = NULL;
        f->ctx = NULL;
        f->read_only = false;
    }
    return f;
}

void ap_fs_mem_put_text(ap_fs *fs, const char *path, ap_text *text, bool read_only)
{
    mem_file *f = entry((mem_fs *)fs, path);
    f->text = ap_text_retain(text);
    f->read_only = read_only;
}

void ap_fs_mem_put_made(ap_fs *fs, const char *path, ap_text *(*make)(void *ctx), void *ctx)
{
    mem_file *f = entry((mem_fs *)fs, path);
    f->make = make;
    f->ctx = ctx;
}

void ap_fs_mem_put(ap_fs *fs, const char *path, const char *bytes, size_t len, bool read_only)
{
    ap_text *t = ap_text_new(bytes, len);
    ap_fs_mem_put_text(fs, path, t, read_only);
    ap_text_release(t);
}

void ap_fs_mem_mkdir(ap_fs *fs, const char *path)
{
    mem_fs *m = (mem_fs *)fs;
    if (mem_kind(fs, path) == AP_PATH_DIR)
        return;
    AP_GROW(m->dirs, m->n_dirs, m->cap_dirs);
    m->dirs[m->n_dirs++] = ap_xstrdup(path);
}

const char *ap_fs_mem_get(ap_fs *fs, const char *path, size_t *len)
{
    mem_file *f = find((mem_fs *)fs, path);
    if (!f || !f->text)
        return NULL;
    *len = f->text->len;
    return f->text->bytes;
}

/* Removes path and everything below it. */
static void remove_tree(mem_fs *m, const char *path)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (under(m->files[i].path, path)) {
            free(m->files[i].path);
            ap_text_release(m->files[i].text);
        } else {
            m->files[k++] = m->files[i];
        }
    }
    m->n = k;
    k = 0;
    for (size_t i = 0; i < m->n_dirs; i++) {
        if (under(m->dirs[i], path))
            free(m->dirs[i]);
        else
            m->dirs[k++] = m->dirs[i];
    }
    m->n_dirs = k;
}

/* Moves path and everything below it to dest. */
static void move_tree(mem_fs *m, const char *path, const char *dest)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < m->n; i++)
        if (under(m->files[i].path, path)) {
            char *p = ap_xprintf("%s%s", dest, m->files[i].path + n);
            free(m->files[i].path);
            m->files[i].path = p;
        }
    for (size_t i = 0; i < m->n_dirs; i++)
        if (under(m->dirs[i], path)) {
            char *p = ap_xprintf("%s%s", dest, m->dirs[i] + n);
            free(m->dirs[i]);
            m->dirs[i] = p;
        }
}

void ap_fs_mem_commit(ap_fs *fs, ap_run *run)
{
    mem_fs *m = (mem_fs *)fs;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        if (f->status == AP_FILE_DELETED)
            remove_tree(m, f->path);
        else if (f->status == AP_FILE_RENAMED)
            move_tree(m, f->path, f->dest);
        else if (f->status == AP_FILE_DIR_CREATED)
            ap_fs_mem_mkdir(fs, f->path);
    }
    for (size_t i = 0; i < run->n_files; i++) {
        ap_run_render(run, i);
        ap_file *f = &run->files[i];
        if (f->status == AP_FILE_MODIFIED || f->status == AP_FILE_CREATED)
            ap_fs_mem_put(fs, f->path, f->after, f->after_len, false);
    }
}

void ap_fs_mem_free(ap_fs *fs)
{
    mem_fs *m = (mem_fs *)fs;
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->files[i].path);
        ap_text_release(m->files[i].text);
    }
    for (size_t i = 0; i < m->n_dirs; i++)
        free(m->dirs[i]);
    free(m->dirs);
    free(m->files);
    free(m->root);
    free(m);
}
