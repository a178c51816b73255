/* problem_order.h - problems of two results compared in one canonical order.
 *
 * The engine sorts problems by place and severity only, so problems at one
 * place may come in either order; the fuzz targets that compare two results
 * (a reparse against a parse, a reused run against a fresh one) sort both
 * by this order first. Header-only: each target is one translation unit. */
#ifndef APLS_FUZZ_PROBLEM_ORDER_H
#define APLS_FUZZ_PROBLEM_ORDER_H

#include "ap.h"

#include <stdlib.h>
#include <string.h>

static int problem_cmp(const void *x, const void *y)
{
    const ap_problem *a = *(const ap_problem *const *)x, *b = *(const ap_problem *const *)y;
    if (a->span.start != b->span.start)
        return a->span.start < b->span.start ? -1 : 1;
    if (a->severity != b->severity)
        return a->severity < b->severity ? -1 : 1;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    if (a->span.end != b->span.end)
        return a->span.end < b->span.end ? -1 : 1;
    return strcmp(a->message, b->message);
}

/* The problems of P as pointers in canonical order; the caller frees it. */
static const ap_problem **sorted_problems(const ap_problem *problems, size_t n)
{
    const ap_problem **v = malloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = &problems[i];
    qsort(v, n, sizeof *v, problem_cmp);
    return v;
}

#endif
