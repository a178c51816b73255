/* parse_test.h - helpers the parser tests share (parse_test.c, parse3_test.c):
 * parse a text, find a problem, check its code, severity, bytes and indexes. */
#ifndef APLS_PARSE_TEST_H
#define APLS_PARSE_TEST_H

#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static ap_patch *parse(const char *s)
{
    return ap_patch_parse(s, strlen(s));
}

/* Offset of the k-th (0-based) occurrence of needle in s; fails the test
 * (and returns 0) when there is none. */
static uint32_t off_k(const char *s, const char *needle, int k)
{
    const char *p = s;
    for (;;) {
        const char *q = strstr(p, needle);
        if (!q) {
            fprintf(stderr, "  (test bug: \"%s\" not in the patch)\n", needle);
            check_failed_in_test++;
            return 0;
        }
        if (k-- == 0)
            return (uint32_t)(q - s);
        p = q + 1;
    }
}

static uint32_t off(const char *s, const char *needle)
{
    return off_k(s, needle, 0);
}

static size_t count_code(const ap_patch *p, ap_code code)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_problems; i++)
        n += p->problems[i].code == code;
    return n;
}

static size_t count_sev(const ap_patch *p, ap_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_problems; i++)
        n += p->problems[i].severity == sev;
    return n;
}

/* The k-th problem with this code, or a dummy (and a failure). */
static const ap_problem *find(const ap_patch *p, ap_code code, int k)
{
    static ap_problem none = {.code = AP_OK, .change = -9, .mod = -9, .message = ""};
    for (size_t i = 0; i < p->n_problems; i++)
        if (p->problems[i].code == code && k-- == 0)
            return &p->problems[i];
    fprintf(stderr, "  no %s problem (there are %zu problems)\n", ap_code_name(code),
            p->n_problems);
    for (size_t i = 0; i < p->n_problems; i++)
        fprintf(stderr, "    %s [%u,%u): %s\n", ap_code_name(p->problems[i].code),
                p->problems[i].span.start, p->problems[i].span.end, p->problems[i].message);
    check_failed_in_test++;
    return &none;
}

static const char *span_str(const ap_patch *p, ap_span s)
{
    static char buf[512];
    size_t n = s.end >= s.start ? s.end - s.start : 0;
    if (s.end > p->len || n >= sizeof buf)
        return "(bad span)";
    memcpy(buf, p->text + s.start, n);
    buf[n] = '\0';
    return buf;
}

/* One problem, checked whole: code, severity, span [start, end), indexes. */
static void check_problem(const ap_problem *q, ap_code code, ap_severity sev, uint32_t start,
                          uint32_t end, int ch, int md, int line)
{
    if (q->code != code || q->severity != sev || q->span.start != start || q->span.end != end ||
        q->change != ch || q->mod != md) {
        fprintf(stderr,
                "  line %d: got %s sev %d [%u,%u) ch %d mod %d (%s)\n"
                "    want %s sev %d [%u,%u) ch %d mod %d\n",
                line, ap_code_name(q->code), q->severity, q->span.start, q->span.end, q->change,
                q->mod, q->message, ap_code_name(code), sev, start, end, ch, md);
        check_failed_in_test++;
    }
}
#define CHECK_PROBLEM(q, code, sev, start, end, ch, md)                                    \
    check_problem((q), (code), (sev), (start), (end), (ch), (md), __LINE__)

/* A patch whose only error is one problem of code at [start, end). */
static void only_error(const char *src, ap_code code, uint32_t start, uint32_t end, int ch, int md,
                       int line)
{
    ap_patch *p = parse(src);
    if (count_sev(p, AP_ERROR) != 1 || !p->has_errors) {
        fprintf(stderr, "  line %d: %zu errors, want 1:\n", line, count_sev(p, AP_ERROR));
        for (size_t i = 0; i < p->n_problems; i++)
            fprintf(stderr, "    %s [%u,%u) '%s': %s\n", ap_code_name(p->problems[i].code),
                    p->problems[i].span.start, p->problems[i].span.end,
                    span_str(p, p->problems[i].span), p->problems[i].message);
        check_failed_in_test++;
    } else {
        for (size_t i = 0; i < p->n_problems; i++)
            if (p->problems[i].severity == AP_ERROR)
                check_problem(&p->problems[i], code, AP_ERROR, start, end, ch, md, line);
    }
    ap_patch_free(p);
}
#define ONLY_ERROR(src, code, start, end, ch, md) only_error((src), (code), (start), (end), (ch), (md), __LINE__)

#endif
