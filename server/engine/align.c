/* align.c - the block of a file that a snippet found nowhere most likely
 * names, and how their lines correspond: the lines it has the same, the ones
 * it altered (typed differently), the ones it invented (the file has no such
 * line) and the ones it dropped (the file has them, the snippet left them
 * out). explain.c words the failure from it, repair.c rewrites the snippet
 * (and a REPLACE's content, merge.c) from it.
 *
 * Cost, for a pattern of n lines in a file of N: never a pass over the file.
 *  1. Hits: where the pattern's lines stand exactly, from the text's hash
 *     index (the rarest lines first, at most HIT_BUDGET places; a line
 *     standing everywhere says nothing) and from the lines earlier
 *     modifications inserted (only when the view holds any with such a hash).
 *  2. Clusters: the hits sorted by place and cut where more lines than a
 *     block could leave out separate them; the clusters holding the most
 *     distinct pattern lines are the candidates (linear in the hits).
 *  3. Alignment: around each candidate, a window of about 2n lines is
 *     diffed against the pattern on stripped lines (myers.c, near-linear in
 *     the window); the pairs are pulled tight (a `pass` paired with the copy
 *     next to the others), cut to their densest run (each run aligned again
 *     on its own when there are several), and the lines left between and
 *     around them are paired by similarity where they look alike.
 * The best alignment is the block. It is `unique` only when no other place
 * fits nearly as well, its lines pair up one way only, and one of the lines
 * it has the same stands nowhere else: a repair of a snippet that could
 * name two places is no safe one. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define HIT_BUDGET 16384
#define CANDIDATES 4
#define EDGE_ALIKE 0.6   /* a line beside the block, paired with a pattern line */
#define GAP_ALIKE 0.5    /* a line between two matching ones */
#define GAP_CELLS 256    /* pattern x file lines paired by similarity at most */

typedef struct hit {
    uint64_t key;  /* ap_pos_key of pos */
    ap_pos pos;
    uint32_t p;    /* the pattern line (index among its non-blank lines) */
    uint32_t at;   /* the base line it stands at: the distance measure */
} hit;

typedef struct hits {
    hit *h;
    size_t n, cap;
} hits;

static void push_hit(hits *hs, ap_pos pos, uint32_t p)
{
    AP_GROW(hs->h, hs->n, hs->cap);
    hs->h[hs->n++] = (hit){ap_pos_key(pos), pos, p, pos.base};
}

/* The pattern's non-blank lines grouped by text: order[] sorted by hash,
 * then text (the hash is a filter: lines of one hash may differ). */
typedef struct pgroup {
    uint32_t hash;
    uint32_t first, count; /* into order[] */
    uint32_t occ;          /* how often it stands in the base text */
} pgroup;

static const ap_pattern *sort_pat;
static int by_hash(const void *a, const void *b)
{
    const ap_line *la = ap_pattern_at(sort_pat, *(const uint32_t *)a);
    const ap_line *lb = ap_pattern_at(sort_pat, *(const uint32_t *)b);
    int c = ap_line_cmp(la, lb);
    if (c)
        return c;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int by_occ(const void *a, const void *b)
{
    const pgroup *x = a, *y = b;
    return x->occ < y->occ ? -1 : x->occ > y->occ;
}

static int by_key(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* A line a group stands for: up to 8 pattern lines share one text. */
#define GROUP_MAX 8

static void collect_hits(const ap_view *v, const ap_pattern *pat, ap_pos scope, hits *hs)
{
    uint32_t n = pat->n;
    uint32_t *order = ap_xmalloc(n * sizeof *order);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    sort_pat = pat;
    qsort(order, n, sizeof *order, by_hash);
    pgroup *g = ap_xmalloc(n * sizeof *g);
    uint32_t ng = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        const ap_line *li = ap_pattern_at(pat, order[i]);
        uint32_t h = li->hash;
        while (j < n && ap_line_eq(ap_pattern_at(pat, order[j]), li))
            j++;
        uint32_t occ;
        ap_text_occ(v->base, h, &occ);
        g[ng++] = (pgroup){h, i, j - i, occ};
        i = j;
    }
    qsort(g, ng, sizeof *g, by_occ);
    uint64_t scope_key = ap_pos_key(scope);
    size_t budget = HIT_BUDGET;
    bool inserted = false;
    for (uint32_t k = 0; k < ng; k++) {
        inserted |= ap_view_new_count(v, g[k].hash) > 0;
        uint32_t per = g[k].count < GROUP_MAX ? g[k].count : GROUP_MAX;
        if ((size_t)g[k].occ * per > budget)
            continue; /* standing everywhere, it tells nothing */
        budget -= (size_t)g[k].occ * per;
        uint32_t occ;
        const uint32_t *at = ap_text_occ(v->base, g[k].hash, &occ);
        const ap_line *want = ap_pattern_at(pat, order[g[k].first]);
        for (uint32_t o = 0; o < occ; o++) {
            ap_pos pos = {at[o], -1, 0};
            if (ap_pos_key(pos) < scope_key || !ap_view_base_alive(v, at[o]) ||
                !ap_line_eq(&v->base->lines[at[o]], want))
                continue;
            for (uint32_t q = 0; q < per; q++)
                push_hit(hs, pos, order[g[k].first + q]);
        }
    }
    /* lines earlier modifications inserted: scanned only when some hash of
     * the pattern stands among them */
    for (uint32_t s = 0; inserted && s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        for (uint32_t k = 0; k < sp->n; k++) {
            const ap_line *l = &sp->lines[k].l;
            ap_pos pos = {sp->a, (int32_t)s, k};
            if (l->blank || ap_pos_key(pos) < scope_key)
                continue;
            /* binary search of its hash among the groups' sorted order */
            uint32_t lo = 0, hi = n;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (ap_pattern_at(pat, order[mid])->hash < l->hash)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            /* lines of its hash but another text sort apart from its own */
            for (uint32_t q = 0, kept = 0; lo + q < n && kept < GROUP_MAX &&
                                           ap_pattern_at(pat, order[lo + q])->hash == l->hash; q++)
                if (ap_line_eq(l, ap_pattern_at(pat, order[lo + q]))) {
                    push_hit(hs, pos, order[lo + q]);
                    kept++;
                }
        }
    }
    free(g);
    free(order);
    if (hs->n > 1)
        qsort(hs->h, hs->n, sizeof *hs->h, by_key);
}

/* --------------------------------------------------------- clusters */

typedef struct cluster {
    size_t left, right; /* hits [left, right) */
    uint32_t score;     /* distinct pattern lines among them */
} cluster;

static int by_score(const void *x, const void *y)
{
    const cluster *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->left < b->left ? -1 : a->left > b->left;
}

/* The hits in runs no more than `gap` base lines apart (a block cannot
 * leave out more lines between two of its matches than that), best first:
 * the most distinct pattern lines. *n of them (malloc'd). */
static cluster *clusters_of(const hits *hs, uint32_t n, uint32_t gap, size_t *count)
{
    uint32_t *seen = ap_xcalloc(n, sizeof *seen);
    cluster *cs = NULL;
    size_t nc = 0, cap = 0;
    for (size_t l = 0; l < hs->n;) {
        size_t r = l + 1;
        while (r < hs->n && hs->h[r].at <= hs->h[r - 1].at + gap)
            r++;
        uint32_t distinct = 0;
        for (size_t k = l; k < r; k++)
            if (seen[hs->h[k].p] != nc + 1) {
                seen[hs->h[k].p] = (uint32_t)nc + 1;
                distinct++;
            }
        AP_GROW(cs, nc, cap);
        cs[nc++] = (cluster){l, r, distinct};
        l = r;
    }
    free(seen);
    qsort(cs, nc, sizeof *cs, by_score);
    *count = nc;
    return cs;
}

/* ---------------------------------------------------------- aligning */

typedef struct walign {
    const ap_view *v;
    const ap_pattern *pat;
    ap_pos *w;    /* the window's non-blank lines */
    uint32_t m;
} walign;

static bool pat_eq_window(void *ctx, uint32_t i, uint32_t j)
{
    const walign *a = ctx;
    return ap_line_eq(ap_pattern_at(a->pat, i), ap_view_line(a->v, a->w[j]));
}

static double alike(const walign *a, uint32_t i, uint32_t j)
{
    return ap_line_ratio(ap_pattern_at(a->pat, i), ap_view_line(a->v, a->w[j]));
}

typedef struct steps {
    ap_step *s;
    uint32_t n, cap;
} steps;

static void step(steps *st, uint8_t kind, uint32_t p, ap_pos f)
{
    AP_GROW(st->s, st->n, st->cap);
    st->s[st->n++] = (ap_step){kind, p, f};
}

static void pair(steps *st, const walign *a, uint32_t i, uint32_t j)
{
    bool same = pat_eq_window((void *)a, i, j);
    step(st, same ? AP_STEP_SAME : AP_STEP_ALTERED, i, a->w[j]);
}

/* Pattern lines [i0, i1) against window lines [j0, j1), both between two
 * matching lines: pairs the ones alike (in order, the most alike overall);
 * the others are invented (pattern) or dropped (file). */
static void fill_gap(steps *st, const walign *a, uint32_t i0, uint32_t i1, uint32_t j0, uint32_t j1)
{
    uint32_t np = i1 - i0, nw = j1 - j0;
    if (np == 0 || nw == 0 || (uint64_t)np * nw > GAP_CELLS) {
        for (uint32_t i = i0; i < i1; i++)
            step(st, AP_STEP_INVENTED, i, (ap_pos){0, -1, 0});
        for (uint32_t j = j0; j < j1; j++)
            step(st, AP_STEP_DROPPED, UINT32_MAX, a->w[j]);
        return;
    }
    /* best[i][j]: the most similarity pairing the first i and j lines */
    double *best = ap_xcalloc((size_t)(np + 1) * (nw + 1), sizeof *best);
    double *r = ap_xmalloc((size_t)np * nw * sizeof *r);
#define B(i, j) best[(size_t)(i) * (nw + 1) + (j)]
    for (uint32_t i = 1; i <= np; i++)
        for (uint32_t j = 1; j <= nw; j++) {
            double x = alike(a, i0 + i - 1, j0 + j - 1);
            r[(size_t)(i - 1) * nw + j - 1] = x;
            double v = B(i - 1, j) > B(i, j - 1) ? B(i - 1, j) : B(i, j - 1);
            if (x >= GAP_ALIKE && B(i - 1, j - 1) + x > v)
                v = B(i - 1, j - 1) + x;
            B(i, j) = v;
        }
    /* walk back, then emit in order */
    uint32_t *pi = ap_xmalloc((np < nw ? np : nw) * sizeof *pi), *pj = ap_xmalloc((np < nw ? np : nw) * sizeof *pj);
    uint32_t k = 0, i = np, j = nw;
    while (i > 0 && j > 0) {
        double x = r[(size_t)(i - 1) * nw + j - 1];
        if (x >= GAP_ALIKE && B(i, j) == B(i - 1, j - 1) + x) {
            pi[k] = i0 + i - 1, pj[k] = j0 + j - 1, k++;
            i--, j--;
        } else if (B(i, j) == B(i - 1, j)) {
            i--;
        } else {
            j--;
        }
    }
#undef B
    uint32_t ci = i0, cj = j0;
    while (k-- > 0) {
        for (; ci < pi[k]; ci++)
            step(st, AP_STEP_INVENTED, ci, (ap_pos){0, -1, 0});
        for (; cj < pj[k]; cj++)
            step(st, AP_STEP_DROPPED, UINT32_MAX, a->w[cj]);
        pair(st, a, ci++, cj++);
    }
    for (; ci < i1; ci++)
        step(st, AP_STEP_INVENTED, ci, (ap_pos){0, -1, 0});
    for (; cj < j1; cj++)
        step(st, AP_STEP_DROPPED, UINT32_MAX, a->w[cj]);
    free(pi);
    free(pj);
    free(best);
    free(r);
}

/* Aligns the pattern with the window; false when nothing matches. */
static double block_score(const ap_block *b);

static bool align_window(const walign *a, uint32_t slack, ap_block *out, int depth)
{
    uint32_t n = a->pat->n, m = a->m;
    ap_delta *d;
    size_t nd = ap_diff_seq(n, m, pat_eq_window, (void *)a, 64 * ((uint64_t)n + m) + 4096, &d);
    /* the matching pairs: what lies between the differences */
    uint32_t *mi = ap_xmalloc((n ? n : 1) * sizeof *mi), *mj = ap_xmalloc((n ? n : 1) * sizeof *mj);
    uint32_t np = 0, ai = 0, bj = 0;
    for (size_t k = 0; k <= nd; k++) {
        uint32_t a0 = k < nd ? d[k].a0 : n;
        while (ai < a0) {
            mi[np] = ai++, mj[np] = bj++, np++;
        }
        if (k < nd)
            ai = d[k].a1, bj = d[k].b1;
    }
    free(d);
    if (np == 0) {
        free(mi);
        free(mj);
        return false;
    }
    /* Myers may pair a line that stands twice (a `pass`, a `}`) with a
     * copy far from the others, leaving the near one as a line the pattern
     * left out: pull each pair towards its neighbours, the first ones down
     * and the last ones up, so the block is as tight as the text allows. */
    for (uint32_t k = np - 1; k-- > 0;)
        for (uint32_t j = mj[k + 1] - 1; j > mj[k]; j--)
            if (pat_eq_window((void *)a, mi[k], j)) {
                mj[k] = j;
                break;
            }
    for (uint32_t k = 1; k < np; k++)
        for (uint32_t j = mj[k - 1] + 1; j < mj[k]; j++)
            if (pat_eq_window((void *)a, mi[k], j)) {
                mj[k] = j;
                break;
            }
    /* the densest run: a stretch of more than `slack` file lines the
     * pattern has no line of splits the matches; the larger part stays
     * (matches far apart are a line the pattern shares with another place) */
    uint32_t best_a = 0, best_b = 0, a0 = 0, runs = 0;
    uint32_t run_a[3], run_b[3]; /* the three largest runs */
    for (uint32_t k = 1; k <= np; k++) {
        if (k == np || mj[k] - mj[k - 1] - 1 > slack) {
            if (k - a0 > best_b - best_a)
                best_a = a0, best_b = k;
            uint32_t r = runs < 3 ? runs++ : 3;
            while (r > 0 && run_b[r - 1] - run_a[r - 1] < k - a0) {
                if (r < 3)
                    run_a[r] = run_a[r - 1], run_b[r] = run_b[r - 1];
                r--;
            }
            if (r < 3)
                run_a[r] = a0, run_b[r] = k;
            a0 = k;
        }
    }
    if (runs > 1 && depth == 0) {
        /* Several runs: a run the diff left short may be the block (its
         * other lines paired far away). Each is aligned again on its own
         * stretch of the window; the best block wins. */
        bool found = false;
        for (uint32_t r = 0; r < runs; r++) {
            uint32_t f = run_a[r], l = run_b[r] - 1;
            uint32_t lo = mj[f] > mi[f] + slack ? mj[f] - mi[f] - slack : 0;
            uint64_t hi = (uint64_t)mj[l] + (n - mi[l]) + slack + 1;
            walign sub = {a->v, a->pat, a->w + lo, (uint32_t)(hi < m ? hi : m) - lo};
            ap_block b;
            if (!align_window(&sub, slack, &b, 1))
                continue;
            if (!found || block_score(&b) > block_score(out)) {
                if (found)
                    ap_block_release(out);
                *out = b;
                found = true;
            } else {
                ap_block_release(&b);
            }
        }
        free(mi);
        free(mj);
        return found;
    }
    /* A pair that could take another copy makes the alignment a guess:
     * between its neighbours, and beyond the first or last pair when lines
     * left unpaired could pair with the lines it would leave. */
    bool guess = false;
    for (uint32_t k = best_a; k < best_b && !guess; k++) {
        bool first = k == best_a, last = k + 1 == best_b;
        uint32_t lo = first ? mj[k] : mj[k - 1] + 1, hi = last ? mj[k] + 1 : mj[k + 1];
        if (first && (mi[k] > 0 || (last ? mi[k] + 1 < n : mi[k + 1] - mi[k] > 1)))
            lo = mj[k] > slack ? mj[k] - slack : 0;
        if (last && (mi[k] + 1 < n || (first ? mi[k] > 0 : mi[k] - mi[k - 1] > 1)))
            hi = mj[k] + slack + 1 < m ? mj[k] + slack + 1 : m;
        for (uint32_t j = lo; j < hi && !guess; j++)
            guess = j != mj[k] && pat_eq_window((void *)a, mi[k], j);
    }
    steps st = {0};
    /* before the run: pattern lines paired backwards with the lines above */
    uint32_t fi = mi[best_a], fj = mj[best_a];
    uint32_t lead = 0;
    while (lead < fi && lead < fj && alike(a, fi - 1 - lead, fj - 1 - lead) >= EDGE_ALIKE)
        lead++;
    for (uint32_t i = 0; i < fi - lead; i++)
        step(&st, AP_STEP_INVENTED, i, (ap_pos){0, -1, 0});
    for (uint32_t k = lead; k > 0; k--)
        pair(&st, a, fi - k, fj - k);
    for (uint32_t k = best_a; k < best_b; k++) {
        if (k > best_a)
            fill_gap(&st, a, mi[k - 1] + 1, mi[k], mj[k - 1] + 1, mj[k]);
        step(&st, AP_STEP_SAME, mi[k], a->w[mj[k]]);
    }
    /* after it: forwards with the lines below */
    uint32_t li = mi[best_b - 1] + 1, lj = mj[best_b - 1] + 1, trail = 0;
    while (li + trail < n && lj + trail < m && alike(a, li + trail, lj + trail) >= EDGE_ALIKE)
        trail++;
    for (uint32_t k = 0; k < trail; k++)
        pair(&st, a, li + k, lj + k);
    for (uint32_t i = li + trail; i < n; i++)
        step(&st, AP_STEP_INVENTED, i, (ap_pos){0, -1, 0});
    free(mi);
    free(mj);

    /* a line the pattern holds twice, once paired and once not: which of
     * the two the file has is a guess too */
    for (uint32_t k = 0; k < st.n && !guess; k++) {
        if (st.s[k].kind != AP_STEP_INVENTED)
            continue;
        for (uint32_t q = 0; q < st.n && !guess; q++)
            guess = st.s[q].kind == AP_STEP_SAME &&
                    ap_line_eq(ap_pattern_at(a->pat, st.s[k].p), ap_pattern_at(a->pat, st.s[q].p));
    }
    memset(out, 0, sizeof *out);
    out->guess = guess;
    out->steps = st.s;
    out->n_steps = st.n;
    bool any = false;
    for (uint32_t k = 0; k < st.n; k++) {
        const ap_step *s = &st.s[k];
        out->same += s->kind == AP_STEP_SAME;
        out->altered += s->kind == AP_STEP_ALTERED;
        if (s->kind == AP_STEP_ALTERED)
            out->alike += ap_line_ratio(ap_pattern_at(a->pat, s->p), ap_view_line(a->v, s->f));
        out->invented += s->kind == AP_STEP_INVENTED;
        out->dropped += s->kind == AP_STEP_DROPPED;
        if (s->kind == AP_STEP_SAME || s->kind == AP_STEP_ALTERED) {
            if (!any)
                out->first = s->f;
            out->last = s->f;
            any = true;
        }
    }
    return true;
}

/* How well a block fits: its same lines most, the ones typed otherwise by
 * how alike they are, less what it invented or left out. */
static double block_score(const ap_block *b)
{
    return 4.0 * b->same + 2.0 * b->alike - b->dropped - b->invented;
}

/* The window around a run of hits: from `back` non-blank lines above its
 * first hit (not before scope) to `ahead` lines past its last. */
static void make_window(const ap_view *v, ap_pos scope, const hit *first, const hit *last, uint32_t back,
                        uint32_t ahead, uint32_t cap, walign *a)
{
    uint64_t scope_key = ap_pos_key(scope);
    ap_pos p = first->pos, q;
    for (uint32_t k = 0; k < back;) {
        if (!ap_view_prev(v, p, &q) || ap_pos_key(q) < scope_key)
            break;
        p = q;
        k += !ap_view_line(v, p)->blank;
    }
    p = ap_view_skip_blank(v, p);
    uint32_t cap_w = 64;
    a->w = ap_xmalloc(cap_w * sizeof *a->w);
    a->m = 0;
    uint32_t past = 0;
    bool beyond = false;
    while (!ap_view_at_end(v, p) && a->m < cap && past < ahead) {
        if (a->m == cap_w)
            a->w = ap_xrealloc(a->w, (cap_w *= 2) * sizeof *a->w);
        a->w[a->m++] = p;
        if (beyond)
            past++;
        if (ap_pos_key(p) >= last->key)
            beyond = true;
        p = ap_view_skip_blank(v, ap_view_next(v, p));
    }
}

bool ap_closest_block(const ap_view *v, const ap_pattern *pat, ap_pos scope, ap_block *out)
{
    memset(out, 0, sizeof *out);
    uint32_t n = pat->n;
    if (n == 0)
        return false;
    hits hs = {0};
    collect_hits(v, pat, scope, &hs);
    if (hs.n == 0) {
        free(hs.h);
        if (n > 1)
            return false;
        /* one line, typed differently: the closest line is its block */
        ap_similar sim[2];
        size_t ns = ap_similar_lines(v, ap_pattern_at(pat, 0), scope, sim, 2);
        if (ns == 0)
            return false;
        out->steps = ap_xmalloc(sizeof *out->steps);
        out->steps[0] = (ap_step){AP_STEP_ALTERED, 0, sim[0].pos};
        out->n_steps = 1;
        out->altered = 1;
        out->first = out->last = sim[0].pos;
        out->unique = ns == 1 || sim[1].score < sim[0].score;
        return true;
    }
    uint32_t slack = n / 2 < 4 ? 4 : n / 2 > 32 ? 32 : n / 2;
    size_t nc;
    cluster *cs = clusters_of(&hs, n, 2 * slack + 2, &nc);
    /* the best few runs of hits (and any as good as the last of them) */
    size_t take = nc < CANDIDATES ? nc : CANDIDATES;
    while (take < nc && take < 2 * CANDIDATES && cs[take].score == cs[take - 1].score)
        take++;
    bool found = false;
    double best = 0, second = -1e9;
    for (size_t c = 0; c < take; c++) {
        const hit *first = &hs.h[cs[c].left], *last = &hs.h[cs[c].right - 1];
        walign a = {v, pat, NULL, 0};
        make_window(v, scope, first, last, first->p + slack, n - (last->p < n ? last->p : n) + slack,
                    4 * n + 4 * slack + 64, &a);
        ap_block b;
        if (align_window(&a, slack, &b, 0)) {
            double sc = block_score(&b);
            if (!found || sc > best) {
                if (found) {
                    second = best;
                    ap_block_release(out);
                }
                *out = b;
                best = sc;
                found = true;
            } else {
                if (ap_pos_key(b.first) != ap_pos_key(out->first) && sc > second)
                    second = sc;
                ap_block_release(&b);
            }
        }
        free(a.w);
    }
    /* unique: clearly better than any other place (by half a line typed
     * otherwise), its lines pair up one way only, and at least one of the
     * lines it has the same stands nowhere else (a `pass` standing in four
     * places is no evidence of which) */
    bool distinctive = false;
    if (found) {
        uint32_t *count = ap_xcalloc(n, sizeof *count);
        for (size_t k = 0; k < hs.n; k++)
            count[hs.h[k].p]++;
        for (uint32_t k = 0; k < out->n_steps && !distinctive; k++)
            distinctive = out->steps[k].kind == AP_STEP_SAME && count[out->steps[k].p] == 1;
        free(count);
        out->unique = best - second >= 0.5 && !out->guess && distinctive;
    }
    free(cs);
    free(hs.h);
    return found;
}

void ap_block_release(ap_block *b)
{
    free(b->steps);
    memset(b, 0, sizeof *b);
}
