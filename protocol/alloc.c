/* alloc.c - the one place where out-of-memory aborts. */
#include "alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void lsp_oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *lsp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        lsp_oom(n);
    return p;
}

void *lsp_xcalloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        lsp_oom(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        lsp_oom(n * size);
    return p;
}

void *lsp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        lsp_oom(n);
    return q;
}

void *lsp_xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        lsp_oom(SIZE_MAX);
    return lsp_xrealloc(p, n * size);
}

char *lsp_xstrdup(const char *s)
{
    return lsp_xmemdup(s, strlen(s));
}

char *lsp_xmemdup(const void *p, size_t n)
{
    if (n == SIZE_MAX)
        lsp_oom(n);
    char *q = lsp_xmalloc(n + 1);
    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

char *lsp_xasprintf(const char *fmt, ...)
{
    /* vasprintf rather than vsnprintf(NULL, 0, ...): gcc 12 with
     * -fsanitize=undefined warns "null format string" on the latter. */
    va_list ap;
    va_start(ap, fmt);
    char *s = lsp_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

char *lsp_xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        lsp_oom(strlen(fmt));
    return s;
}
