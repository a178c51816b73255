/* watch.c - noticing targets that change on disk.
 *
 * Where the client offers dynamic registration, it watches for us
 * (workspace/didChangeWatchedFiles). Where it does not (Neovim 0.7), libuv
 * watches the folders of the files the open patches read. Either way a
 * change drops the cached text and re-checks the patches that read it. */
#include "server.h"

#include "alloc.h"
#include "uri.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

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

static void changed(apls_server *s, const char *path)
{
    lsp_log(LSP_LOG_DEBUG, "changed on disk: %s", path);
    apls_cache_drop(s, path);
    apls_dependents_changed(s, path);
}

static void on_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    (void)events;
    dir_watch *w = h->data;
    if (status < 0 || !filename)
        return;
    char *path = lsp_xasprintf("%s/%s", w->dir, filename);
    changed(w->srv, path);
    free(path);
}

static void watch_closed(uv_handle_t *h)
{
    dir_watch *w = h->data;
    free(w->dir);
    free(w);
}

void apls_watch_paths(apls_server *s, char **paths, size_t n)
{
    if (s->client.watch_dynamic || !s->watch)
        return;
    for (size_t i = 0; i < n; i++) {
        char *copy = lsp_xstrdup(paths[i]);
        const char *dir = dirname(copy);
        bool known = false;
        for (size_t k = 0; k < s->watch->n && !known; k++)
            known = strcmp(s->watch->dirs[k]->dir, dir) == 0;
        if (!known && s->watch->n < MAX_WATCHED_DIRS) {
            dir_watch *w = lsp_xcalloc(1, sizeof *w);
            w->srv = s;
            w->dir = lsp_xstrdup(dir);
            uv_fs_event_init(s->loop, &w->handle);
            w->handle.data = w;
            if (uv_fs_event_start(&w->handle, on_event, w->dir, 0) == 0) {
                s->watch->dirs = lsp_xrealloc(s->watch->dirs, (s->watch->n + 1) * sizeof *s->watch->dirs);
                s->watch->dirs[s->watch->n++] = w;
            } else {
                /* the folder does not exist (yet): nothing to watch */
                uv_close((uv_handle_t *)&w->handle, watch_closed);
            }
        }
        free(copy);
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
        if (path)
            changed(s, path);
        free(path);
    }
}
