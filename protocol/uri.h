/* uri.h - file: URIs <-> absolute paths.
 *
 * Encoding follows VS Code: only the unreserved characters A-Z a-z 0-9 - . _ ~
 * and "/" stay literal; every other byte (space, ":", "%", "#", non-ASCII...)
 * becomes %XX with upper-case hex. Decoding accepts hex of either case, keeps
 * an invalid escape literally, and ignores a query or fragment. So
 * "file:///a%20b", "file:///a%20%62" and "file:///a b" all name "/a b". */
#ifndef APLS_LSP_URI_H
#define APLS_LSP_URI_H

#include <stdbool.h>

/* True when uri has the scheme "file" (any case); borrows uri. */
bool lsp_uri_is_file(const char *uri);

/* The absolute path of a file: URI with an empty or "localhost" authority;
 * NULL for another scheme, a remote host, a relative path or an escaped NUL.
 * The caller frees the result. */
char *lsp_uri_to_path(const char *uri);

/* The file: URI of an absolute path ("file:///..."); NULL if path does not
 * start with "/". The caller frees the result. */
char *lsp_path_to_uri(const char *path);

/* Percent-decodes s[0..] (either hex case, invalid escapes kept); the caller
 * frees the result, which may hold NULs before its terminating one if s had
 * "%00". */
char *lsp_uri_decode(const char *s);

#endif
