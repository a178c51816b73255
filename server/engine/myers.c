/* myers.c - the differences of two sequences, as git computes them by
 * default: Myers' O((N+M)D) algorithm in its linear-space form (the "middle
 * snake", divide and conquer), after stripping the common prefix and
 * suffix.
 *
 * Items are compared through a callback, so the same code diffs the lines a
 * splice replaces against the bytes rendered for them (render.c: hunks), a
 * modification's region against its content (hovers), and a snippet against
 * a block of the file or its content (align.c, merge.c). Work is bounded: a
 * budget counts the diagonals visited and the steps along them, and past it the remaining range is
 * reported as one change, so a pathological pair (100,000 lines replaced by
 * 100,000 others) costs a bounded pass instead of N x D. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct myers {
    ap_seq_eq eq;
    void *ctx;
    int64_t *vf, *vb;  /* furthest x per diagonal, forward and backward */
    int64_t off;
    uint64_t budget, spent;
    bool cut;          /* the budget ran out somewhere */
    ap_delta *out;
    size_t n, cap;
} myers;

static void emit(myers *m, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    if (a0 == a1 && b0 == b1)
        return;
    if (m->n > 0) {
        ap_delta *l = &m->out[m->n - 1];
        if (l->a1 == a0 && l->b1 == b0) {
            l->a1 = a1;
            l->b1 = b1;
            return;
        }
    }
    AP_GROW(m->out, m->n, m->cap);
    m->out[m->n++] = (ap_delta){a0, a1, b0, b1};
}

/* The middle snake of A[a0, a1) against B[b0, b1) (both non-empty, no
 * common prefix or suffix): where it starts (*x, *y) and ends (*u, *w), in
 * absolute coordinates. False when the budget ran out. */
static bool middle_snake(myers *m, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1, uint32_t *x,
                         uint32_t *y, uint32_t *u, uint32_t *w)
{
    int64_t N = a1 - a0, M = b1 - b0, delta = N - M, max = (N + M + 1) / 2;
    bool odd = delta & 1;
    int64_t *vf = m->vf + m->off, *vb = m->vb + m->off;
    vf[1] = 0;
    vb[1] = 0;
    for (int64_t d = 0; d <= max; d++) {
        m->spent += (uint64_t)(2 * d + 1);
        if (m->spent > m->budget)
            return false;
        for (int64_t k = -d; k <= d; k += 2) {
            int64_t px = (k == -d || (k != d && vf[k - 1] < vf[k + 1])) ? vf[k + 1] : vf[k - 1] + 1;
            int64_t py = px - k, sx = px, sy = py;
            while (px < N && py < M && m->eq(m->ctx, a0 + (uint32_t)px, b0 + (uint32_t)py))
                px++, py++;
            m->spent += (uint64_t)(px - sx);
            vf[k] = px;
            int64_t c = delta - k; /* the same diagonal, seen backwards */
            if (odd && c >= -(d - 1) && c <= d - 1 && px + vb[c] >= N) {
                *x = a0 + (uint32_t)sx, *y = b0 + (uint32_t)sy;
                *u = a0 + (uint32_t)px, *w = b0 + (uint32_t)py;
                return true;
            }
        }
        for (int64_t k = -d; k <= d; k += 2) {
            int64_t px = (k == -d || (k != d && vb[k - 1] < vb[k + 1])) ? vb[k + 1] : vb[k - 1] + 1;
            int64_t py = px - k, sx = px, sy = py;
            while (px < N && py < M &&
                   m->eq(m->ctx, a1 - 1 - (uint32_t)px, b1 - 1 - (uint32_t)py))
                px++, py++;
            m->spent += (uint64_t)(px - sx);
            vb[k] = px;
            int64_t c = delta - k;
            if (!odd && c >= -d && c <= d && px + vf[c] >= N) {
                *x = a1 - (uint32_t)px, *y = b1 - (uint32_t)py;
                *u = a1 - (uint32_t)sx, *w = b1 - (uint32_t)sy;
                return true;
            }
        }
    }
    return false; /* not reached: a snake always meets by d = max */
}

static void diff(myers *m, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    while (a0 < a1 && b0 < b1 && m->eq(m->ctx, a0, b0))
        a0++, b0++;
    while (a0 < a1 && b0 < b1 && m->eq(m->ctx, a1 - 1, b1 - 1))
        a1--, b1--;
    if (a0 == a1 || b0 == b1 || m->cut) {
        emit(m, a0, a1, b0, b1);
        return;
    }
    uint32_t x, y, u, w;
    if (!middle_snake(m, a0, a1, b0, b1, &x, &y, &u, &w)) {
        m->cut = true;
        emit(m, a0, a1, b0, b1);
        return;
    }
    /* each half holds at most half the edits: the depth is log D */
    diff(m, a0, x, b0, y);
    diff(m, u, a1, w, b1);
}

size_t ap_diff_seq(uint32_t n, uint32_t nb, ap_seq_eq eq, void *ctx, uint64_t budget, ap_delta **out)
{
    myers m = {0};
    m.eq = eq;
    m.ctx = ctx;
    m.budget = budget ? budget : UINT64_MAX;
    int64_t max = ((int64_t)n + nb + 1) / 2;
    m.off = max + 1;
    m.vf = ap_xmalloc((size_t)(2 * max + 3) * sizeof *m.vf);
    m.vb = ap_xmalloc((size_t)(2 * max + 3) * sizeof *m.vb);
    diff(&m, 0, n, 0, nb);
    free(m.vf);
    free(m.vb);
    *out = m.out;
    return m.n;
}
