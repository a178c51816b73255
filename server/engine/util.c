/* util.c - allocation (out of memory aborts here, and only here), byte
 * buffers and the arena for inserted text. */
#include "internal.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *ap_oom(size_t n)
{
    fprintf(stderr, "apls: out of memory (%zu bytes)\n", n);
    abort();
}

/* Huge pages for the heap (ap_use_huge_pages). A command builds texts of
 * every target once and exits: faulting their memory in 4 KiB at a time
 * was a fifth of an r4 dry run on a virtual machine (docs/bench.md). The
 * heap grows in steps of HEAP_STEP, and each step is advised for
 * transparent huge pages before anything touches it (the kernel's
 * "madvise" mode); what lies below the heap's top when this is turned on
 * stays as it is. */
#define HEAP_STEP (32u << 20)
static uintptr_t advised_end; /* 0: off */

static void advise_heap(void)
{
#ifdef MADV_HUGEPAGE
    uintptr_t end = (uintptr_t)sbrk(0); /* libc's cached break: no system call */
    if (end <= advised_end || end == (uintptr_t)-1)
        return; /* every allocation asks: the page size only when the heap grew */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = advised_end & ~(page - 1);
    end = (end + page - 1) & ~(page - 1);
    madvise((void *)start, end - start, MADV_HUGEPAGE);
    advised_end = end;
#endif
}

void ap_use_huge_pages(void)
{
#ifdef MADV_HUGEPAGE
    if (advised_end)
        return;
    mallopt(M_TOP_PAD, HEAP_STEP);
    uintptr_t top = (uintptr_t)sbrk(0);
    if (top != (uintptr_t)-1)
        advised_end = top;
#endif
}

/* How much freed memory may wait in the heap before its whole pages go
 * back: handing them back on every call (a file's records and tables
 * freed) made malloc_trim walk the heap and madvise every free page, 54,000
 * calls at r5, and the next file's records and tables, which reuse most of
 * those holes, fault them in again (131,000 page faults, a third of a dry
 * run's CPU). Only free memory that is not reused builds up; it goes back
 * once it reaches this. */
#define HEAP_HOLES (1u << 20)

void ap_heap_release(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    /* (only a command's heap: ap_use_huge_pages turned on) */
    static size_t low = SIZE_MAX; /* the least free memory since the last trim */
    if (!advised_end)
        return;
    size_t free_now = mallinfo2().fordblks;
    if (free_now < low)
        low = free_now;
    if (free_now - low >= HEAP_HOLES) {
        malloc_trim(0);
        low = free_now;
    }
#endif
}

void *ap_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (advised_end)
        advise_heap();
    return p ? p : ap_oom(n);
}

void *ap_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (advised_end)
        advise_heap();
    return p ? p : ap_oom(n * size);
}

void *ap_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (advised_end)
        advise_heap();
    return q ? q : ap_oom(n);
}

char *ap_xmemdup(const char *s, size_t n)
{
    char *p = ap_xmalloc(n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ap_xstrdup(const char *s)
{
    return ap_xmemdup(s, strlen(s));
}

char *ap_xvprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    if (n < 0)
        return ap_oom(strlen(fmt));
    return s;
}

char *ap_xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ap_xvprintf(fmt, ap);
    va_end(ap);
    return s;
}

void ap_buf_grow(ap_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->s = ap_xrealloc(b->s, cap);
    b->cap = cap;
}

void ap_buf_add(ap_buf *b, const char *s, size_t n)
{
    ap_buf_grow(b, n);
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void ap_buf_adds(ap_buf *b, const char *s)
{
    ap_buf_add(b, s, strlen(s));
}

void ap_buf_addc(ap_buf *b, char c)
{
    ap_buf_add(b, &c, 1);
}

void ap_buf_addf(ap_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = ap_xvprintf(fmt, ap);
    va_end(ap);
    ap_buf_adds(b, s);
    free(s);
}

char *ap_buf_detach(ap_buf *b, size_t *len)
{
    if (!b->s)
        ap_buf_grow(b, 0), b->s[0] = '\0';
    char *s = b->s;
    if (len)
        *len = b->len;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void ap_buf_release(ap_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

struct ap_arena_block {
    struct ap_arena_block *next;
    size_t used, cap;
    char data[];
};

char *ap_arena_copy(ap_arena *a, const char *s, size_t n)
{
    struct ap_arena_block *b = a->head;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > 16384 ? n + 1 : 16384;
        b = ap_xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    char *p = b->data + b->used;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

void ap_arena_release(ap_arena *a)
{
    while (a->head) {
        struct ap_arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}
