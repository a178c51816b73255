/* problem.c - the problem list: codes, messages, notes and fixes. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[AP_CODE_COUNT] = {
    [AP_OK] = "OK",
    [AP_INVALID_PATCH_FILE] = "INVALID_PATCH_FILE",
    [AP_INVALID_MODIFICATION] = "INVALID_MODIFICATION",
    [AP_INVALID_FILE_PATH] = "INVALID_FILE_PATH",
    [AP_FILE_NOT_FOUND] = "FILE_NOT_FOUND",
    [AP_FILE_EXISTS] = "FILE_EXISTS",
    [AP_ANCHOR_NOT_FOUND] = "ANCHOR_NOT_FOUND",
    [AP_AMBIGUOUS_ANCHOR] = "AMBIGUOUS_ANCHOR",
    [AP_SNIPPET_NOT_FOUND] = "SNIPPET_NOT_FOUND",
    [AP_AMBIGUOUS_MATCH] = "AMBIGUOUS_MATCH",
    [AP_END_SNIPPET_NOT_FOUND] = "END_SNIPPET_NOT_FOUND",
    [AP_PATCH_TRUNCATED] = "PATCH_TRUNCATED",
    [AP_EMPTY_REPLACE] = "EMPTY_REPLACE",
    [AP_SNIPPET_TAIL_NOT_FOUND] = "SNIPPET_TAIL_NOT_FOUND",
    [AP_LOCATOR_CONSUMED] = "LOCATOR_CONSUMED",
    [AP_FILE_WRITE_ERROR] = "FILE_WRITE_ERROR",
    [AP_FILE_NOT_TEXT] = "FILE_NOT_TEXT",
    [AP_FILE_READ_ONLY] = "FILE_READ_ONLY",
    [AP_IO_ERROR] = "IO_ERROR",
    [AP_TARGET_CHANGED] = "TARGET_CHANGED",
    [AP_UNKNOWN_KEY] = "UNKNOWN_KEY",
    [AP_SCALAR_STYLE] = "SCALAR_STYLE",
    [AP_ALREADY_APPLIED] = "ALREADY_APPLIED",
    [AP_NOT_IDEMPOTENT] = "NOT_IDEMPOTENT",
    [AP_NOT_EXPRESSIBLE] = "NOT_EXPRESSIBLE",
    [AP_PROJECT_FOLDER] = "PROJECT_FOLDER",
    [AP_INDENT_STYLE] = "INDENT_STYLE",
    [AP_KEY_SPELLING] = "KEY_SPELLING",
    [AP_ACTION_SPELLING] = "ACTION_SPELLING",
    [AP_VERSION_NUMBER] = "VERSION_NUMBER",
    [AP_MISSING_HEADER] = "MISSING_HEADER",
    [AP_PATCH_ID] = "PATCH_ID",
    [AP_UNSUPPORTED_VERSION] = "UNSUPPORTED_VERSION",
    [AP_ID_DRIFT] = "ID_DRIFT",
    [AP_COMMENT] = "COMMENT",
    [AP_MARKDOWN_FENCE] = "MARKDOWN_FENCE",
    [AP_DIRECTIVE_SPELLING] = "DIRECTIVE_SPELLING",
    [AP_MISSING_ACTION] = "MISSING_ACTION",
    [AP_MISSING_SNIPPET_KEYWORD] = "MISSING_SNIPPET_KEYWORD",
    [AP_ANCHOR_AS_SNIPPET] = "ANCHOR_AS_SNIPPET",
    [AP_IMPLICIT_CREATE] = "IMPLICIT_CREATE",
    [AP_CONTEXTUAL_CREATE] = "CONTEXTUAL_CREATE",
    [AP_CREATE_PATH] = "CREATE_PATH",
    [AP_INLINE_PATH] = "INLINE_PATH",
    [AP_DUPLICATE_DIRECTIVE] = "DUPLICATE_DIRECTIVE",
    [AP_REDUNDANT_SNIPPET_TAIL] = "REDUNDANT_SNIPPET_TAIL",
    [AP_POINT_ACTION_RANGE] = "POINT_ACTION_RANGE",
    [AP_NESTING_MISMATCH] = "NESTING_MISMATCH",
    [AP_REINDENTED] = "REINDENTED",
    [AP_REVERSED_RANGE] = "REVERSED_RANGE",
    [AP_SCOPE_END_IGNORED] = "SCOPE_END_IGNORED",
    [AP_UNBALANCED_BRACKETS] = "UNBALANCED_BRACKETS",
    [AP_PATH_PREFIX] = "PATH_PREFIX",
};

const char *ap_code_name(ap_code code)
{
    return (unsigned)code < AP_CODE_COUNT && code_names[code] ? code_names[code] : "UNKNOWN";
}

ap_problem *ap_problem_push(ap_problem **list, size_t *n)
{
    /* grow by doubling, at powers of two (so no capacity is kept): growing
     * one at a time copied the list for every problem, quadratic with
     * 30,000 of them */
    if (*n == 0 || (*n & (*n - 1)) == 0)
        *list = ap_xrealloc(*list, (*n ? *n * 2 : 1) * sizeof **list);
    return &(*list)[(*n)++];
}

ap_problem *ap_problem_addv(ap_problem **list, size_t *n, ap_code code, ap_severity sev,
                            ap_span span, int change, int mod, const char *fmt, va_list ap)
{
    ap_problem *p = ap_problem_push(list, n);
    memset(p, 0, sizeof *p);
    p->code = code;
    p->severity = sev;
    p->span = span;
    p->change = change;
    p->mod = mod;
    p->message = ap_xvprintf(fmt, ap);
    return p;
}

ap_problem *ap_problem_add(ap_problem **list, size_t *n, ap_code code, ap_severity sev,
                           ap_span span, int change, int mod, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ap_problem *p = ap_problem_addv(list, n, code, sev, span, change, mod, fmt, ap);
    va_end(ap);
    return p;
}

void ap_problem_relate(ap_problem *p, int file, ap_tspan where, ap_span span, const char *fmt, ...)
{
    p->related = ap_xrealloc(p->related, (p->n_related + 1) * sizeof *p->related);
    ap_related *r = &p->related[p->n_related++];
    r->file = file;
    r->where = where;
    r->span = span;
    va_list ap;
    va_start(ap, fmt);
    r->message = ap_xvprintf(fmt, ap);
    va_end(ap);
}

ap_fix *ap_problem_fix(ap_problem *p, ap_span span, char *text, const char *fmt, ...)
{
    p->fixes = ap_xrealloc(p->fixes, (p->n_fixes + 1) * sizeof *p->fixes);
    ap_fix *f = &p->fixes[p->n_fixes++];
    f->span = span;
    f->text = text;
    f->preferred = false;
    va_list ap;
    va_start(ap, fmt);
    f->title = ap_xvprintf(fmt, ap);
    va_end(ap);
    return f;
}

void ap_problem_release(ap_problem *p)
{
    free(p->message);
    for (size_t j = 0; j < p->n_related; j++)
        free(p->related[j].message);
    free(p->related);
    for (size_t j = 0; j < p->n_fixes; j++) {
        free(p->fixes[j].title);
        free(p->fixes[j].text);
    }
    free(p->fixes);
    memset(p, 0, sizeof *p);
}

void ap_problems_free(ap_problem *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ap_problem_release(&list[i]);
    free(list);
}

static int by_position(const void *a, const void *b)
{
    const ap_problem *x = a, *y = b;
    if (x->span.start != y->span.start)
        return x->span.start < y->span.start ? -1 : 1;
    if (x->severity != y->severity)
        return x->severity < y->severity ? -1 : 1;
    return 0;
}

/* Stable: problems at one place keep the order they were found in, so a
 * patch parsed again in part (ap_patch_reparse) lists them as a whole parse
 * does. A merge sort, bottom up, through one scratch array. */
void ap_problems_sort(ap_problem *list, size_t n)
{
    if (n < 2)
        return;
    ap_problem *tmp = ap_xmalloc(n * sizeof *tmp), *from = list, *to = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                to[k++] = by_position(&from[j], &from[i]) < 0 ? from[j++] : from[i++];
            while (i < mid)
                to[k++] = from[i++];
            while (j < hi)
                to[k++] = from[j++];
        }
        ap_problem *x = from;
        from = to;
        to = x;
    }
    if (from != list)
        memcpy(list, from, n * sizeof *list);
    free(tmp);
}
