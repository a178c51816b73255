/* paths.c - the lexical checks of a file_path, before any disk is touched:
 * relative, no "..", no empty or NUL, and normalized so that "./a//b" and
 * "a/b" name one file. Symbolic links are the file provider's to check. */
#include "internal.h"

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
