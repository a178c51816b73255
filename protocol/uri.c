/* uri.c - file: URIs <-> absolute paths. */
#include "uri.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new string and stores its length; caller frees. */
static char *decode_n(const char *s, size_t n, size_t *out_len)
{
    char *out = lsp_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n && s[i] == '%' ? hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

char *lsp_uri_decode(const char *s)
{
    size_t len;
    return decode_n(s, strlen(s), &len);
}

bool lsp_uri_is_file(const char *uri)
{
    return strncasecmp(uri, "file:", 5) == 0;
}

char *lsp_uri_to_path(const char *uri)
{
    if (!lsp_uri_is_file(uri))
        return NULL;
    const char *p = uri + 5;
    if (p[0] == '/' && p[1] == '/') {
        /* An authority: only the local host names a local file. */
        const char *auth = p + 2;
        const char *slash = strchr(auth, '/');
        size_t auth_len = slash ? (size_t)(slash - auth) : strlen(auth);
        if (auth_len != 0 && !(auth_len == 9 && strncasecmp(auth, "localhost", 9) == 0))
            return NULL;
        if (!slash)
            return NULL;
        p = slash;
    }
    if (p[0] != '/')
        return NULL;
    size_t n = strcspn(p, "?#");
    size_t len;
    char *path = decode_n(p, n, &len);
    if (strlen(path) != len) { /* an escaped NUL cannot be in a path */
        free(path);
        return NULL;
    }
    return path;
}

char *lsp_path_to_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    if (path[0] != '/')
        return NULL;
    size_t n = strlen(path);
    char *uri = lsp_xmalloc(7 + n * 3 + 1);
    memcpy(uri, "file://", 7);
    size_t o = 7;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            uri[o++] = (char)c;
        } else {
            uri[o++] = '%';
            uri[o++] = hex[c >> 4];
            uri[o++] = hex[c & 15];
        }
    }
    uri[o] = '\0';
    return uri;
}
