/* watch.c - noticing targets that change on disk.
 *
 * Where the client offers dynamic registration, it watches for us
 * (workspace/didChangeWatchedFiles). Where it does not (Neovim 0.7), libuv
 * watches the folders of the files the open patches read (or, for a folder
 * not made yet, the nearest one above it that exists). Either way a change
 * drops the cached text and re-checks the patches that read it, or read
 * anything below a folder that was made, removed or renamed. */
#include "server.h"

#include "alloc.h"
#include "uri.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WATCHED_DIRS 256

typedef struct dir_watch {
    uv_fs_event_t handle;
    apls_server *srv;
    char *dir;
} dir_watch;

struct apls_watch {
    dir_watch **dirs;
    size_t n;
};

void apls_watch_init(apls_server *s)
{
    s->watch = lsp_xcalloc(1, sizeof *s->watch);
}

/* came_or_went: the file may have appeared or gone (false for a client's
 * "changed" event: its bytes changed, it was there before and after). */
static void changed_how(apls_server *s, const char *path, bool came_or_went)
{
    lsp_log(LSP_LOG_DEBUG, "changed on disk: %s", path);
    apls_cache_drop(s, path);
    /* a target that appeared or went may move the choice of the root */
    for (size_t i = 0; came_or_went && i < s->n_patches; i++)
        s->patches[i]->rechoose_root = true;
    apls_dependents_changed(s, path);
}

static void changed(apls_server *s, const char *path)
{
    changed_how(s, path, true);
}

/* path, and every file an open patch read below it (a folder made, removed
 * or renamed changes all of them). */
static void changed_below(apls_server *s, const char *path)
{
    size_t n = strlen(path), count = 0;
    char **hit = NULL;
    for (size_t i = 0; i < s->n_patches; i++) {
        const apls_patch *p = s->patches[i];
        for (size_t k = 0; k < p->n_deps; k++) {
            if (strncmp(p->deps[k], path, n) == 0 && p->deps[k][n] == '/') {
                hit = lsp_xrealloc(hit, (count + 1) * sizeof *hit);
                hit[count++] = lsp_xstrdup(p->deps[k]);
            }
        }
    }
    changed(s, path);
    /* copies: a re-check (with no debounce) rebuilds the lists at once */
    for (size_t i = 0; i < count; i++) {
        changed(s, hit[i]);
        free(hit[i]);
    }
    free(hit);
}

static void watch_closed(uv_handle_t *h)
{
    dir_watch *w = h->data;
    free(w->dir);
    free(w);
}

static void unwatch(apls_server *s, dir_watch *w)
{
    for (size_t i = 0; i < s->watch->n; i++) {
        if (s->watch->dirs[i] == w) {
            s->watch->dirs[i] = s->watch->dirs[--s->watch->n];
            break;
        }
    }
    uv_close((uv_handle_t *)&w->handle, watch_closed);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void on_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    (void)events;
    dir_watch *w = h->data;
    apls_server *s = w->srv;
    if (status < 0)
        return;
    const char *slash = strrchr(w->dir, '/');
    const char *own = slash ? slash + 1 : w->dir;
    if (!filename || strcmp(filename, own) == 0) {
        /* (maybe) about the folder itself: inotify names it by its own name.
         * Gone: stop watching it (the next check watches what is left above
         * it). Else watch it afresh: it may be a new folder of that name. */
        char *dir = lsp_xstrdup(w->dir);
        if (is_dir(dir)) {
            uv_fs_event_stop(h);
            if (uv_fs_event_start(h, on_event, w->dir, 0) != 0)
                unwatch(s, w);
        } else {
            unwatch(s, w);
        }
        changed_below(s, dir);
        free(dir);
        if (!filename)
            return;
    }
    /* (w stays valid until its close callback, even when unwatched above) */
    char *path = lsp_xasprintf("%s/%s", w->dir, filename);
    changed_below(s, path);
    free(path);
}

/* The watch of path's own folder, or NULL. */
static dir_watch *watch_of_folder(const apls_server *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    for (size_t k = 0; s->watch && k < s->watch->n; k++) {
        const char *dir = s->watch->dirs[k]->dir;
        if (strncmp(dir, path, n) == 0 && dir[n] == '\0')
            return s->watch->dirs[k];
    }
    return NULL;
}

bool apls_watch_covers(const apls_server *s, const char *path)
{
    if (s->client.watch_dynamic) {
        /* the client watches the workspace folders (the glob registered is all files) */
        for (size_t i = 0; i < s->n_folders; i++) {
            size_t n = strlen(s->folders[i]);
            if (strncmp(path, s->folders[i], n) == 0 && (path[n] == '/' || n == 1))
                return true;
        }
        return false;
    }
    return watch_of_folder(s, path) != NULL;
}

void apls_watch_paths(apls_server *s, char **paths, size_t n)
{
    if (s->client.watch_dynamic || !s->watch)
        return;
    for (size_t i = 0; i < n; i++) {
        if (watch_of_folder(s, paths[i]))
            continue; /* (no system call for what is watched already) */
        /* the file's folder, or the nearest one above it that exists: its
         * making is what shows first */
        char *dir = lsp_xstrdup(paths[i]);
        for (;;) {
            char *cut = strrchr(dir, '/');
            if (!cut) {
                dir[0] = '\0';
                break;
            }
            if (cut == dir) {
                dir[1] = '\0';
                break;
            }
            *cut = '\0';
            if (is_dir(dir))
                break;
        }
        bool known = false;
        for (size_t k = 0; k < s->watch->n && !known; k++)
            known = strcmp(s->watch->dirs[k]->dir, dir) == 0;
        if (!known && s->watch->n < MAX_WATCHED_DIRS && is_dir(dir)) {
            dir_watch *w = lsp_xcalloc(1, sizeof *w);
            w->srv = s;
            w->dir = dir;
            dir = NULL;
            uv_fs_event_init(s->loop, &w->handle);
            w->handle.data = w;
            if (uv_fs_event_start(&w->handle, on_event, w->dir, 0) == 0) {
                s->watch->dirs = lsp_xrealloc(s->watch->dirs, (s->watch->n + 1) * sizeof *s->watch->dirs);
                s->watch->dirs[s->watch->n++] = w;
            } else {
                uv_close((uv_handle_t *)&w->handle, watch_closed);
            }
        }
        free(dir);
    }
}

void apls_watch_close(apls_server *s)
{
    if (!s->watch)
        return;
    for (size_t i = 0; i < s->watch->n; i++)
        uv_close((uv_handle_t *)&s->watch->dirs[i]->handle, watch_closed);
    free(s->watch->dirs);
    free(s->watch);
    s->watch = NULL;
}

void apls_on_watched_files(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    apls_server *s = data;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(params, "changes"), i, c) {
        const char *uri = json_string_value(json_object_get(c, "uri"));
        char *path = uri ? lsp_uri_to_path(uri) : NULL;
        json_t *type = json_object_get(c, "type");
        if (path) /* FileChangeType 2: Changed (1 Created, 3 Deleted) */
            changed_how(s, path, !(json_is_integer(type) && json_integer_value(type) == 2));
        free(path);
    }
}
