/* utf8.h - strict UTF-8 decoding, one sequence at a time.
 *
 * Valid means RFC 3629: shortest form, no surrogates (U+D800..U+DFFF), at most
 * U+10FFFF. Callers treat a byte that does not start a valid sequence as one
 * invalid unit and move on by one byte. */
#ifndef APLS_LSP_UTF8_H
#define APLS_LSP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s[0..n): returns its length (1 to 4) and stores the
 * code point in *cp, or returns 0 when s does not start with a complete valid
 * sequence (or n is 0). Reads at most n bytes; no memory is allocated. */
size_t lsp_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Copies s[0..n) replacing each invalid byte by U+FFFD, so the result is valid
 * UTF-8 (NULs are kept); stores the new length in *out_len if not NULL; the
 * caller frees the NUL-terminated result. */
char *lsp_utf8_sanitize(const char *s, size_t n, size_t *out_len);

#endif
