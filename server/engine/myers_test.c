/* myers_test.c - the sequence diff (myers.c): on random pairs the changes
 * rebuild the second sequence from the first, are ordered and never touch,
 * and are as few edits as a plain LCS table says; a budget makes them
 * coarser, never wrong; identical and disjoint inputs cost what they should. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>

typedef struct seqs {
    const int *a, *b;
    unsigned long calls;
} seqs;

static bool eq_int(void *ctx, uint32_t i, uint32_t j)
{
    seqs *s = ctx;
    s->calls++;
    return s->a[i] == s->b[j];
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Edits (deleted + inserted items) of the shortest script, by LCS table. */
static uint32_t lcs_edits(const int *a, uint32_t n, const int *b, uint32_t m)
{
    uint32_t *t = calloc((size_t)(n + 1) * (m + 1), sizeof *t);
    for (uint32_t i = 1; i <= n; i++)
        for (uint32_t j = 1; j <= m; j++) {
            uint32_t *c = &t[i * (m + 1) + j];
            if (a[i - 1] == b[j - 1])
                *c = t[(i - 1) * (m + 1) + j - 1] + 1;
            else
                *c = t[(i - 1) * (m + 1) + j] > t[i * (m + 1) + j - 1] ? t[(i - 1) * (m + 1) + j]
                                                                        : t[i * (m + 1) + j - 1];
        }
    uint32_t l = t[n * (m + 1) + m];
    free(t);
    return n + m - 2 * l;
}

/* The changes rebuild b from a, in order, not touching; returns the edits. */
static uint32_t check_rebuild(const int *a, uint32_t n, const int *b, uint32_t m, const ap_delta *d,
                              size_t nd)
{
    int *out = malloc((n + m + 1) * sizeof *out);
    uint32_t k = 0, at = 0, edits = 0, bat = 0;
    for (size_t i = 0; i < nd; i++) {
        CHECK(d[i].a0 >= at && d[i].a0 <= d[i].a1 && d[i].a1 <= n);
        CHECK(d[i].b0 <= d[i].b1 && d[i].b1 <= m);
        CHECK(d[i].a0 - at == d[i].b0 - bat); /* equal stretches have equal length */
        if (i > 0)
            CHECK(d[i].a0 > d[i - 1].a1 || d[i].b0 > d[i - 1].b1);
        CHECK(d[i].a0 < d[i].a1 || d[i].b0 < d[i].b1);
        while (at < d[i].a0)
            out[k++] = a[at++];
        for (uint32_t j = d[i].b0; j < d[i].b1; j++)
            out[k++] = b[j];
        edits += (d[i].a1 - d[i].a0) + (d[i].b1 - d[i].b0);
        at = d[i].a1;
        bat = d[i].b1;
    }
    while (at < n)
        out[k++] = a[at++];
    CHECK_INT(k, m);
    for (uint32_t i = 0; i < k && i < m; i++)
        if (out[i] != b[i]) {
            CHECK(out[i] == b[i]);
            break;
        }
    free(out);
    return edits;
}

static void test_random_pairs(void)
{
    int a[80], b[80];
    for (int round = 0; round < 3000; round++) {
        uint32_t n = rnd(40), m = rnd(40), alpha = 2 + rnd(8);
        for (uint32_t i = 0; i < n; i++)
            a[i] = (int)rnd(alpha);
        if (rnd(2)) { /* b: an edit of a */
            m = 0;
            for (uint32_t i = 0; i < n && m < 78; i++) {
                uint32_t r = rnd(10);
                if (r == 0)
                    continue;
                if (r == 1)
                    b[m++] = (int)rnd(alpha);
                b[m++] = r == 2 ? (int)rnd(alpha) : a[i];
            }
        } else {
            for (uint32_t i = 0; i < m; i++)
                b[i] = (int)rnd(alpha);
        }
        seqs s = {a, b, 0};
        ap_delta *d;
        size_t nd = ap_diff_seq(n, m, eq_int, &s, 0, &d);
        uint32_t edits = check_rebuild(a, n, b, m, d, nd);
        CHECK_INT(edits, lcs_edits(a, n, b, m));
        free(d);
        /* with a tiny budget: coarser, still exact */
        nd = ap_diff_seq(n, m, eq_int, &s, 1 + rnd(20), &d);
        check_rebuild(a, n, b, m, d, nd);
        free(d);
        if (check_failed_in_test)
            break;
    }
}

static void test_costs(void)
{
    enum { N = 100000 };
    int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    for (int i = 0; i < N; i++)
        a[i] = b[i] = i;
    seqs s = {a, b, 0};
    ap_delta *d;
    /* identical: one pass */
    CHECK_INT(ap_diff_seq(N, N, eq_int, &s, 0, &d), 0);
    CHECK(s.calls <= 2 * N);
    free(d);
    /* one line changed in the middle */
    b[N / 2] = -1;
    s.calls = 0;
    size_t nd = ap_diff_seq(N, N, eq_int, &s, 0, &d);
    CHECK_INT(nd, 1);
    if (nd == 1)
        CHECK(d[0].a0 == N / 2 && d[0].a1 == N / 2 + 1 && d[0].b0 == N / 2 && d[0].b1 == N / 2 + 1);
    CHECK(s.calls <= 4 * N);
    free(d);
    /* nothing in common: the budget keeps it linear */
    for (int i = 0; i < N; i++)
        b[i] = -i - 1;
    s.calls = 0;
    nd = ap_diff_seq(N, N, eq_int, &s, 1000000, &d);
    CHECK_INT(nd, 1);
    CHECK(s.calls < 8000000);
    free(d);
    /* empty sides */
    CHECK_INT(ap_diff_seq(0, 0, eq_int, &s, 0, &d), 0);
    free(d);
    nd = ap_diff_seq(0, 5, eq_int, &s, 0, &d);
    CHECK_INT(nd, 1);
    if (nd == 1)
        CHECK(d[0].a0 == 0 && d[0].a1 == 0 && d[0].b0 == 0 && d[0].b1 == 5);
    free(d);
    free(a);
    free(b);
}

int main(void)
{
    RUN(test_random_pairs);
    RUN(test_costs);
    return check_summary();
}
