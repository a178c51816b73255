/* paths.c - the lexical checks of a file_path, before any disk is touched:
 * relative, no "..", no empty, NUL or control character, and normalized so that "./a//b" and
 * "a/b" name one file. Symbolic links are the file provider's to check. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static char *normalize(const char *path, size_t len, bool folder, const char **why)
{
    if (len == 0) {
        *why = "the path is empty";
        return NULL;
    }
    if (memchr(path, '\0', len)) {
        *why = "the path contains a NUL character";
        return NULL;
    }
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)path[k];
        if (c < 0x20 || c == 0x7f) {
            /* A real name may hold one, but a patch naming it is far more
             * likely hostile: "a.c\n+++ b/x" would forge a diff header and
             * an ESC would drive the reader's terminal. */
            *why = "the path contains a control character (a newline, tab, escape, ...); "
                   "apls refuses such names, which would forge its messages and diffs";
            return NULL;
        }
    }
    if (path[0] == '/') {
        *why = "the path is absolute; paths are relative to the patch's root";
        return NULL;
    }
    if (len >= 2 && path[1] == ':' && ((path[0] | 32) >= 'a' && (path[0] | 32) <= 'z')) {
        *why = "the path is absolute (a drive letter); paths are relative to the patch's root";
        return NULL;
    }
    ap_buf out = AP_BUF_INIT;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t n = j - i;
        if (n == 2 && path[i] == '.' && path[i + 1] == '.') {
            ap_buf_release(&out);
            *why = "the path has a '..' component and could leave the root";
            return NULL;
        }
        if (n > 0 && !(n == 1 && path[i] == '.')) {
            if (out.len)
                ap_buf_addc(&out, '/');
            ap_buf_add(&out, path + i, n);
        }
        i = j + 1;
    }
    if ((path[len - 1] == '/' && !folder) || out.len == 0) {
        ap_buf_release(&out);
        *why = "the path names a folder, not a file";
        return NULL;
    }
    return ap_buf_detach(&out, NULL);
}

char *ap_path_normalize(const char *path, size_t len, const char **why)
{
    return normalize(path, len, false, why);
}

char *ap_path_normalize_any(const char *path, size_t len, const char **why)
{
    return normalize(path, len, true, why);
}

/* Order where '/' sorts before every other byte, so that the paths below a
 * folder "x/" come right after "x" itself. */
static int folder_order(const void *a, const void *b)
{
    const unsigned char *x = (const unsigned char *)(*(const ap_file *const *)a)->path;
    const unsigned char *y = (const unsigned char *)(*(const ap_file *const *)b)->path;
    for (;; x++, y++) {
        unsigned cx = *x == '/' ? 1 : *x ? *x + 1u : 0, cy = *y == '/' ? 1 : *y ? *y + 1u : 0;
        if (cx != cy || !cx)
            return (int)cx - (int)cy;
    }
}

void ap_paths_conflicts(ap_run *run, const ap_patch *patch)
{
    if (run->n_files < 2)
        return;
    ap_file **by = ap_xmalloc(run->n_files * sizeof *by);
    for (size_t i = 0; i < run->n_files; i++)
        by[i] = &run->files[i];
    qsort(by, run->n_files, sizeof *by, folder_order);
    for (size_t i = 0; i + 1 < run->n_files; i++) {
        const ap_file *dir = by[i], *below = by[i + 1];
        /* a 3.2 operation on a folder: fileops.c says what may stand below */
        if (dir->path_op)
            continue;
        size_t n = strlen(dir->path);
        if (strncmp(below->path, dir->path, n) != 0 || below->path[n] != '/')
            continue;
        /* report it on the change that comes later in the patch */
        const ap_file *late = dir->first_change > below->first_change ? dir : below;
        const ap_file *early = late == dir ? below : dir;
        ap_problem_add(&run->problems, &run->n_problems, AP_INVALID_FILE_PATH, AP_ERROR,
                       patch->changes[late->first_change].file_path.span, late->first_change, -1,
                       "invalid file_path: '%s' would be a file and '%s' needs it to be a folder "
                       "(changes %d and %d)",
                       dir->path, below->path, early->first_change + 1, late->first_change + 1);
    }
    free(by);
}
