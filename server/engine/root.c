/* root.c - which folder a patch's file_paths resolve against when nobody
 * says (ap-2.0.md section 5): the patch's own folder or the enclosing
 * workspace, whichever holds more of its targets; the first candidate wins a
 * tie. Shared by the command line and the language server. */
#include "internal.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *ap_workspace_of(const char *dir)
{
    static const char *const marks[] = {".git", ".hg", ".svn", ".apls-root"};
    char *d = realpath(dir, NULL);
    if (!d)
        return NULL;
    for (;;) {
        for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
            char *probe = ap_xprintf("%s/%s", d, marks[i]);
            struct stat st;
            bool found = lstat(probe, &st) == 0;
            free(probe);
            if (found)
                return d;
        }
        if (strcmp(d, "/") == 0)
            break;
        char *up = ap_xstrdup(dirname(d));
        free(d);
        d = up;
    }
    free(d);
    return NULL;
}

/* 2 for each target that exists under root, 1 for a new file whose folder does. */
static int score(const ap_patch *p, const char *root)
{
    int s = 0;
    for (size_t i = 0; i < p->n_changes; i++) {
        const ap_change *c = &p->changes[i];
        if (!c->ok)
            continue;
        char *path = ap_xprintf("%s/%s", root, c->file_path.value);
        struct stat st;
        if (stat(path, &st) == 0) {
            s += 2;
        } else if (c->n_mods > 0 && c->mods[0].action == AP_CREATE_FILE) {
            char *d = dirname(path);
            s += stat(d, &st) == 0 && S_ISDIR(st.st_mode);
        }
        free(path);
    }
    return s;
}

char *ap_root_why(const char *const *candidates, size_t pick)
{
    if (pick == 1)
        return ap_xprintf("the workspace (the nearest folder with .git, .hg, .svn or .apls-root), which "
                          "holds more of the patch's files than its own folder");
    if (candidates[1] && strcmp(candidates[0], candidates[1]) != 0)
        return ap_xprintf("the patch's folder, which holds as many of its files as the workspace %s",
                          candidates[1]);
    return ap_xstrdup("the patch's folder");
}

size_t ap_root_choose(const ap_patch *p, const char *const *candidates, size_t n)
{
    /* one candidate (the patch's folder is the workspace): nothing to weigh,
     * and no stat of every target (the server chooses again whenever the
     * patch's file_paths change) */
    size_t first = n, distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = candidates[k] && strcmp(candidates[k], candidates[i]) == 0;
        if (first == n)
            first = i;
        distinct += !seen;
    }
    if (distinct <= 1)
        return first < n ? first : 0;
    size_t best = 0;
    int best_score = -1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        int s = score(p, candidates[i]);
        if (s > best_score) {
            best = i;
            best_score = s;
        }
    }
    return best;
}
