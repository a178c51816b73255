/* alloc.h - allocation that never returns NULL.
 *
 * A language server cannot do anything useful once malloc fails, so every
 * allocation of aplsproto goes through these wrappers, which print one line
 * to stderr and abort() in exactly one place (lsp_oom). */
#ifndef APLS_LSP_ALLOC_H
#define APLS_LSP_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Reports that n bytes could not be allocated and aborts. */
_Noreturn void lsp_oom(size_t n);

/* Allocates n bytes (n may be 0); the caller frees with free(). */
void *lsp_xmalloc(size_t n);

/* Allocates n zeroed elements of size bytes, checking n * size for overflow;
 * the caller frees with free(). */
void *lsp_xcalloc(size_t n, size_t size);

/* Resizes p (which may be NULL) to n bytes; the caller frees the result with
 * free() and must no longer use p. */
void *lsp_xrealloc(void *p, size_t n);

/* Resizes the array p to n elements of size bytes, checking for overflow; the
 * caller frees the result and must no longer use p. */
void *lsp_xreallocarray(void *p, size_t n, size_t size);

/* Copies the string s; the caller frees the copy. */
char *lsp_xstrdup(const char *s);

/* Copies n bytes of p and adds a NUL (p may hold NULs); the caller frees it. */
char *lsp_xmemdup(const void *p, size_t n);

/* Formats like printf into a new string; the caller frees it. */
char *lsp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats like vprintf into a new string; the caller frees it. */
char *lsp_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
