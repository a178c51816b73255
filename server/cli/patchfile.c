/* patchfile.c - reading a patch from disk and choosing its root.
 *
 * Without --root, a patch's file_paths resolve against its own folder or the
 * enclosing workspace (the nearest folder above it holding .git, .hg, .svn
 * or .apls-root), whichever more of its targets exist in (ap-2.0.md section
 * 5); the patch's folder wins a tie. The choice is printed with the files. */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *read_file(const char *path, size_t *len, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(err, "apls: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        fprintf(err, "apls: cannot read '%s': %s\n", path,
                S_ISDIR(st.st_mode) ? "it is a folder" : strerror(errno));
        fclose(f);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > AP_MAX_PATCH_BYTES) {
        /* refuse without reading: the engine says why */
        fclose(f);
        *len = (size_t)st.st_size;
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > AP_MAX_PATCH_BYTES) {
                *len = n;
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(err, "apls: cannot read '%s'\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The nearest folder at or above dir that marks a workspace, or NULL. */
static char *workspace_of(const char *dir)
{
    static const char *const marks[] = {".git", ".hg", ".svn", ".apls-root"};
    char *d = strdup(dir);
    for (;;) {
        for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
            char probe[PATH_MAX];
            snprintf(probe, sizeof probe, "%s/%s", d, marks[i]);
            struct stat st;
            if (lstat(probe, &st) == 0)
                return d;
        }
        if (strcmp(d, "/") == 0)
            break;
        char *up = strdup(dirname(d));
        free(d);
        d = up;
    }
    free(d);
    return NULL;
}

/* How many of the patch's targets a root holds (2 for an existing target,
 * 1 for a new file whose folder exists). */
static int score(const ap_patch *p, const char *root)
{
    int s = 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        const ap_change *c = &p->changes[i];
        if (!c->ok)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, c->file_path.value);
        struct stat st;
        if (stat(path, &st) == 0) {
            s += 2;
        } else if (c->n_mods > 0 && c->mods[0].action == AP_CREATE_FILE) {
            char *d = strdup(path);
            s += is_dir(dirname(d));
            free(d);
        }
    }
    return s;
}

int cli_patch_load(cli_patch *cp, const char *arg, const char *root_opt, ap_ws_mode ws, FILE *err)
{
    memset(cp, 0, sizeof *cp);
    cp->arg = arg;
    size_t len = 0;
    char *text = read_file(arg, &len, err);
    if (!text && len <= AP_MAX_PATCH_BYTES)
        return 2;
    cp->patch = ap_patch_parse(text ? text : "", text ? len : AP_MAX_PATCH_BYTES + 1);
    if (!text) {
        /* too large: the engine's message, with the real size */
        char msg[128];
        snprintf(msg, sizeof msg, "the patch is %zu bytes; apls reads patches of up to %u MiB", len,
                 AP_MAX_PATCH_BYTES >> 20);
        free(cp->patch->problems[0].message);
        cp->patch->problems[0].message = strdup(msg);
    }
    free(text);

    if (root_opt) {
        cp->root = strdup(root_opt);
    } else {
        char *abs = realpath(arg, NULL);
        char *dir = strdup(dirname(abs ? abs : (char *)arg));
        free(abs);
        char *ws_root = workspace_of(dir);
        cp->root = dir;
        cp->root_guessed = true;
        if (ws_root && strcmp(ws_root, dir) != 0 && score(cp->patch, ws_root) > score(cp->patch, dir)) {
            free(cp->root);
            cp->root = ws_root;
        } else {
            free(ws_root);
        }
    }
    if (!is_dir(cp->root))
        fprintf(err, "apls: warning: the root '%s' is not a folder\n", cp->root);
    cp->fs = ap_fs_disk_new(cp->root);
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = ws;
    cp->run = ap_run_new(cp->patch, cp->fs, &o);
    return 0;
}

void cli_patch_release(cli_patch *cp)
{
    ap_run_free(cp->run);
    ap_fs_disk_free(cp->fs);
    ap_patch_free(cp->patch);
    free(cp->root);
    memset(cp, 0, sizeof *cp);
}
