/* match.c - finding a pattern (non-blank lines, stripped) in a view.
 *
 * Two strategies, chosen per search by what they would cost:
 *  - candidates: the pattern line that is rarest in the text (the index
 *    says how rare) gives the only places a match can be; each is checked
 *    line by line. Usually a handful of places, so a search costs about the
 *    pattern's length.
 *  - scan: Knuth-Morris-Pratt over the non-blank lines, comparing lines
 *    instead of characters. Linear in the text plus the pattern whatever the
 *    text is (10,000 identical lines included).
 * The candidates are used while (candidates x pattern lines) stays below a
 * pass over the text, so no search is ever worse than linear.
 *
 * A soft pattern (3.2, hybrid.c) matches its first line loosely. The lines
 * its first line can stand on come from the text's index, its list of
 * decorated lines and the inserted lines; a longer pattern is found from
 * those (each checked with the lines after it) or from its other lines
 * searched as above (the line before each match checked), whichever stand
 * in fewer places. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void ap_matches_release(ap_matches *m)
{
    free(m->m);
    m->m = NULL;
    m->n = m->cap = 0;
}

static void matches_push(ap_matches *m, ap_match x)
{
    AP_GROW(m->m, m->n, m->cap);
    m->m[m->n++] = x;
}

/* The non-blank line before p, or false. */
static bool prev_nonblank(const ap_view *v, ap_pos p, ap_pos *out)
{
    for (;;) {
        if (!ap_view_prev(v, p, &p))
            return false;
        if (!ap_view_line(v, p)->blank) {
            *out = p;
            return true;
        }
    }
}

bool ap_match_at(const ap_view *v, const ap_pattern *pat, ap_pos p, ap_match *out)
{
    ap_pos start = p, last = p;
    for (uint32_t i = 0; i < pat->n; i++) {
        if (ap_view_at_end(v, p))
            return false;
        const ap_line *l = ap_view_line(v, p);
        if (l->blank)
            return false;
        if (i == 0 && pat->soft ? !ap_soft_eq(l, ap_pattern_at(pat, 0))
                                : !ap_line_eq(l, ap_pattern_at(pat, i)))
            return false;
        last = p;
        if (i + 1 < pat->n)
            p = ap_view_skip_blank(v, ap_view_next(v, p));
    }
    if (out)
        *out = (ap_match){start, last};
    return true;
}

/* A place where the rarest pattern line stands, in text order. */
typedef struct cand {
    ap_pos pos;
} cand;

typedef struct cands {
    uint32_t rare;        /* which pattern line the candidates hold */
    const uint32_t *occ;  /* base lines holding it, ascending */
    uint32_t nocc;
    ap_pos *ins;          /* inserted lines holding it, in text order */
    uint32_t nins;
} cands;

static inline __attribute__((always_inline)) void cands_init(const ap_view *v, const ap_pattern *pat,
                                                             cands *c)
{
    memset(c, 0, sizeof *c);
    uint64_t best = UINT64_MAX;
    for (uint32_t i = 0; i < pat->n; i++) {
        uint32_t n;
        uint64_t h = ap_pattern_at(pat, i)->hash;
        const uint32_t *occ = ap_text_occ(v->base, h, &n);
        uint64_t total = (uint64_t)n + ap_view_new_count(v, h);
        if (total < best) {
            best = total;
            c->rare = i;
            c->occ = occ;
            c->nocc = n;
        }
        if (total == 0)
            break;
    }
    uint64_t h = ap_pattern_at(pat, c->rare)->hash;
    if (ap_view_new_count(v, h) == 0)
        return;
    uint32_t cap = 0;
    for (uint32_t s = 0; s < v->nsp; s++)
        for (uint32_t k = 0; k < v->sp[s].n; k++)
            if (v->sp[s].lines[k].l.hash == h) {
                AP_GROW(c->ins, c->nins, cap);
                c->ins[c->nins++] = (ap_pos){v->sp[s].a, (int32_t)s, k};
            }
}

/* Checks the candidate at c: walks back to where the match would start. */
static bool try_candidate(const ap_view *v, const ap_pattern *pat, uint32_t rare, ap_pos c,
                          uint64_t from_key, ap_match *out)
{
    ap_pos start = c;
    for (uint32_t i = 0; i < rare; i++)
        if (!prev_nonblank(v, start, &start))
            return false;
    if (ap_pos_key(start) < from_key)
        return false;
    return ap_match_at(v, pat, start, out);
}

/* Searches with the candidates, calling found() for each match in order
 * until it returns false. */
static void search_candidates(const ap_view *v, const ap_pattern *pat, ap_pos from, cands *c,
                              bool (*found)(void *, ap_match), void *ctx)
{
    uint64_t from_key = ap_pos_key(from);
    /* base candidates before from.base cannot start a match at or after from */
    uint32_t lo = 0, hi = c->nocc;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->occ[mid] < from.base)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t i = lo, j = 0;
    uint64_t last_start = 0;
    bool any = false;
    while (i < c->nocc || j < c->nins) {
        ap_pos p;
        if (j >= c->nins ||
            (i < c->nocc && ap_pos_key((ap_pos){c->occ[i], -1, 0}) < ap_pos_key(c->ins[j]))) {
            uint32_t l = c->occ[i++];
            if (!ap_view_base_alive(v, l))
                continue;
            p = (ap_pos){l, -1, 0};
        } else {
            p = c->ins[j++];
        }
        ap_match m;
        if (!try_candidate(v, pat, c->rare, p, from_key, &m))
            continue;
        uint64_t k = ap_pos_key(m.first);
        if (any && k == last_start)
            continue;
        any = true;
        last_start = k;
        if (!found(ctx, m))
            return;
    }
}

/* Knuth-Morris-Pratt over the non-blank lines from `from`. */
static void search_scan(const ap_view *v, const ap_pattern *pat, ap_pos from,
                        bool (*found)(void *, ap_match), void *ctx)
{
    uint32_t n = pat->n;
    uint32_t *fail = ap_xmalloc(n * sizeof *fail);
    fail[0] = 0;
    for (uint32_t i = 1, k = 0; i < n; i++) {
        while (k > 0 && !ap_line_eq(ap_pattern_at(pat, i), ap_pattern_at(pat, k)))
            k = fail[k - 1];
        if (ap_line_eq(ap_pattern_at(pat, i), ap_pattern_at(pat, k)))
            k++;
        fail[i] = k;
    }
    ap_pos *ring = ap_xmalloc(n * sizeof *ring); /* the last n non-blank lines */
    uint64_t seen = 0;
    uint32_t k = 0;
    for (ap_pos p = ap_view_skip_blank(v, from); !ap_view_at_end(v, p);
         p = ap_view_skip_blank(v, ap_view_next(v, p))) {
        const ap_line *l = ap_view_line(v, p);
        ring[seen++ % n] = p;
        while (k > 0 && !ap_line_eq(l, ap_pattern_at(pat, k)))
            k = fail[k - 1];
        if (ap_line_eq(l, ap_pattern_at(pat, k)))
            k++;
        if (k == n) {
            ap_match m = {ring[(seen - n) % n], p};
            k = fail[k - 1];
            if (!found(ctx, m))
                break;
        }
    }
    free(ring);
    free(fail);
}

/* ------------------------------------------------------- soft patterns */

/* A match of a soft pattern's other lines: is its first line before it? */
typedef struct tail_ctx {
    const ap_view *v;
    const ap_line *head;
    uint64_t from_key;
    bool (*found)(void *, ap_match);
    void *ctx;
} tail_ctx;

static bool tail_found(void *c, ap_match m)
{
    tail_ctx *t = c;
    ap_pos q;
    if (!prev_nonblank(t->v, m.first, &q) || ap_pos_key(q) < t->from_key ||
        !ap_soft_eq(ap_view_line(t->v, q), t->head))
        return true;
    return t->found(t->ctx, (ap_match){q, m.last});
}

/* The first of the ascending lines l[0..n) at or after line `from`. */
static uint32_t first_from(const uint32_t *l, uint32_t n, uint32_t from)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[mid] < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The next inserted line at or after (*s, *k) that holds p0 at or after
 * from_key, or false. */
static bool next_inserted(const ap_view *v, const ap_line *p0, uint64_t from_key, uint32_t *s,
                          uint32_t *k, ap_pos *out)
{
    for (; *s < v->nsp; (*s)++, *k = 0)
        for (; *k < v->sp[*s].n; (*k)++) {
            ap_pos q = {v->sp[*s].a, (int32_t)*s, *k};
            const ap_line *l = &v->sp[*s].lines[*k].l;
            /* (most inserted lines hold p0 neither as they are nor after
             * decoration, which would end them with its last byte: told
             * here without a call) */
            if (l->hash != p0->hash &&
                (p0->blank || l->s_len <= p0->s_len ||
                 l->s[l->s_off + l->s_len - 1] != p0->s[p0->s_off + p0->s_len - 1]))
                continue;
            if (ap_pos_key(q) >= from_key && ap_soft_eq(l, p0)) {
                *out = q;
                return true;
            }
        }
    return false;
}

/* Is base line l live in v, l at or after the line the cursor *c was last
 * asked for? The splices are ascending and apart, so their ends are too:
 * *c moves on to the first splice that ends after l, a few steps one by
 * one and then by halves (a search over a file of thousands of splices
 * may meet only two heads far apart). What ap_view_base_alive answers,
 * without its search and call at every head (issue 8: a one-line soft
 * pattern that stands hundreds of times asks it for each). */
static inline bool alive_from(const ap_view *v, uint32_t l, uint32_t *c)
{
    const ap_splice *sp = v->sp;
    uint32_t n = v->nsp, k = *c;
    for (int steps = 0; k < n && sp[k].b <= l; k++) {
        if (++steps == 8) {
            uint32_t hi = n;
            while (k < hi) {
                uint32_t mid = k + (hi - k) / 2;
                if (sp[mid].b <= l)
                    k = mid + 1;
                else
                    hi = mid;
            }
            break;
        }
    }
    *c = k;
    return !(k < n && sp[k].a <= l);
}

/* The next live base line of the ascending lists ex and de (from *i, *j)
 * that holds p0, or false; *c the splice cursor of alive_from. (Inlined
 * in its loop: a call's saves cost as much as a step.) */
static inline __attribute__((always_inline)) bool next_base(const ap_view *v, const ap_line *p0,
                                                            const uint32_t *ex, uint32_t ne, uint32_t *i,
                                                            const uint32_t *de, uint32_t nd, uint32_t *j,
                                                            uint32_t *c, ap_pos *out)
{
    while (*i < ne || *j < nd) {
        uint32_t l = *j >= nd || (*i < ne && ex[*i] <= de[*j]) ? ex[*i] : de[*j];
        bool decorated = *j < nd && de[*j] == l;
        if (*i < ne && ex[*i] == l)
            (*i)++;
        if (decorated)
            (*j)++;
        /* a line the decorated list does not give can hold p0 only as it
         * is: one holding it after decoration has p0's soft key, and the
         * list gives every line with that key */
        if (alive_from(v, l, c) &&
            (decorated ? ap_soft_eq(&v->base->lines[l], p0) : ap_line_eq(&v->base->lines[l], p0))) {
            *out = (ap_pos){l, -1, 0};
            return true;
        }
    }
    return false;
}

/* The lines a soft pattern's first line p0 can stand on, from `from`: the
 * lines holding it exactly (the index), with decoration in front (the
 * text's decorated lines), and inserted ones. The three lists are each in
 * text order and are merged as they are read: a search for the first
 * match stops there, and nothing is sorted. at() is called for each in
 * order until it returns false. */
static void soft_heads(const ap_view *v, const ap_line *p0, const uint32_t *ex, uint32_t ne,
                       const uint32_t *de, uint32_t nd, ap_pos from, bool (*at_fn)(void *, ap_pos),
                       void *ctx)
{
    uint32_t i = first_from(ex, ne, from.base), j = first_from(de, nd, from.base), s = 0, k = 0, c = 0;
    uint64_t from_key = ap_pos_key(from);
    ap_pos b = {0, -1, 0}, n = {0, -1, 0};
    bool has_b = next_base(v, p0, ex, ne, &i, de, nd, &j, &c, &b);
    bool has_n = next_inserted(v, p0, from_key, &s, &k, &n);
    while (has_b || has_n) {
        ap_pos at;
        if (has_n && (!has_b || ap_pos_key(n) < ap_pos_key(b))) {
            at = n;
            k++;
            has_n = next_inserted(v, p0, from_key, &s, &k, &n);
        } else {
            at = b;
            has_b = next_base(v, p0, ex, ne, &i, de, nd, &j, &c, &b);
        }
        if (!at_fn(ctx, at))
            break;
    }
}

typedef struct head_ctx {
    const ap_view *v;
    const ap_pattern *pat;
    bool (*found)(void *, ap_match);
    void *ctx;
} head_ctx;

/* A one-line pattern: each head is a match. */
static bool head_is_match(void *c, ap_pos at)
{
    head_ctx *h = c;
    return h->found(h->ctx, (ap_match){at, at});
}

/* A longer one: a match where its other lines follow the head. */
static bool head_starts_match(void *c, ap_pos at)
{
    head_ctx *h = c;
    ap_match m;
    if (!ap_match_at(h->v, h->pat, at, &m))
        return true;
    return h->found(h->ctx, m);
}

int ap_soft_heads_first = -1;

/* A fixed pattern, by candidates or by a scan (whichever costs less);
 * inlined into both callers, as it was into the one it had. */
static inline __attribute__((always_inline)) void search_with(const ap_view *v, const ap_pattern *pat,
                                                              ap_pos from, cands *c,
                                                              bool (*found)(void *, ap_match), void *ctx)
{
    uint64_t cost = ((uint64_t)c->nocc + c->nins) * pat->n;
    if (cost <= 2 * ap_view_size(v) + 64)
        search_candidates(v, pat, from, c, found, ctx);
    else
        search_scan(v, pat, from, found, ctx);
}

/* A soft pattern is found from whichever of its parts stands in fewer
 * places: the lines its first line can stand on (exact, decorated or
 * inserted: each is checked with the lines after it), or, as a fixed
 * pattern, its other lines (each match checked for the first line before
 * it). A generated or quoted locator often begins with a line that stands
 * once (a comment, a signature) and goes on with lines that stand hundreds
 * of times ("{", "return 0;"): searching the tail checked the line before
 * each of those. Both ways give the same matches in the same order. */
static void search_soft(const ap_view *v, const ap_pattern *pat, ap_pos from,
                        bool (*found)(void *, ap_match), void *ctx)
{
    const ap_line *p0 = ap_pattern_at(pat, 0);
    uint32_t ne, nd;
    const uint32_t *ex = ap_text_occ(v->base, p0->hash, &ne);
    head_ctx h = {v, pat, found, ctx};
    if (pat->n == 1) {
        const uint32_t *de = ap_text_decorated(v->base, ap_soft_key(p0), &nd);
        soft_heads(v, p0, ex, ne, de, nd, from, head_is_match, &h);
        return;
    }
    ap_pattern rest = *pat;
    rest.nb = pat->nb + 1;
    rest.n = pat->n - 1;
    rest.soft = false;
    cands c;
    cands_init(v, &rest, &c);
    /* the heads' lists cost a pass over the text's lines when it has none
     * yet, so they are asked only when the tail is common */
    bool heads = ap_soft_heads_first == 1;
    if (ap_soft_heads_first < 0 && (uint64_t)c.nocc + c.nins > (uint64_t)ne + 16) {
        ap_text_decorated(v->base, ap_soft_key(p0), &nd);
        heads = (uint64_t)ne + nd < (uint64_t)c.nocc + c.nins;
    }
    if (heads) {
        const uint32_t *de = ap_text_decorated(v->base, ap_soft_key(p0), &nd);
        soft_heads(v, p0, ex, ne, de, nd, from, head_starts_match, &h);
    } else {
        tail_ctx t = {v, p0, ap_pos_key(from), found, ctx};
        search_with(v, &rest, from, &c, tail_found, &t);
    }
    free(c.ins);
}


static void search(const ap_view *v, const ap_pattern *pat, ap_pos from,
                   bool (*found)(void *, ap_match), void *ctx)
{
    if (pat->n == 0)
        return;
    if (pat->soft)
        return search_soft(v, pat, from, found, ctx);
    cands c;
    cands_init(v, pat, &c);
    search_with(v, pat, from, &c, found, ctx);
    free(c.ins);
}

static bool take_first(void *ctx, ap_match m)
{
    *(ap_match *)ctx = m;
    return false;
}

bool ap_find_first(const ap_view *v, const ap_pattern *pat, ap_pos from, ap_match *out)
{
    ap_match m = {{UINT32_MAX, -1, 0}, {0, -1, 0}};
    search(v, pat, from, take_first, &m);
    if (m.first.base == UINT32_MAX)
        return false;
    *out = m;
    return true;
}

void ap_find_each(const ap_view *v, const ap_pattern *pat, ap_pos from,
                  bool (*found)(void *ctx, ap_match m), void *ctx)
{
    search(v, pat, from, found, ctx);
}

struct all_ctx {
    ap_matches *out;
    size_t limit, found;
};

static bool take_all(void *ctx, ap_match m)
{
    struct all_ctx *a = ctx;
    matches_push(a->out, m);
    a->found++;
    return a->limit == 0 || a->found < a->limit;
}

size_t ap_find_all(const ap_view *v, const ap_pattern *pat, ap_pos from, size_t limit,
                   ap_matches *out)
{
    struct all_ctx a = {out, limit, 0};
    search(v, pat, from, take_all, &a);
    return a.found;
}

uint32_t ap_find_prefix(const ap_view *v, const ap_pattern *pat, ap_pos from, ap_match *where)
{
    if (pat->n == 0)
        return 0;
    uint32_t count;
    const ap_line *first = ap_pattern_at(pat, 0);
    const uint32_t *occ = ap_text_occ(v->base, first->hash, &count);
    uint32_t best = 0;
    uint64_t from_key = ap_pos_key(from);
    /* bounded: a line that stands 10,000 times is not worth 10,000 walks */
    uint32_t budget = 4096;
    for (uint32_t i = 0; i < count && budget > 0 && best < pat->n; i++) {
        if (!ap_view_base_alive(v, occ[i]))
            continue;
        ap_pos p = {occ[i], -1, 0};
        if (ap_pos_key(p) < from_key)
            continue;
        budget--;
        ap_pos last = p, q = p;
        uint32_t k = 0;
        while (k < pat->n && !ap_view_at_end(v, q)) {
            const ap_line *l = ap_view_line(v, q);
            if (!ap_line_eq(l, ap_pattern_at(pat, k)))
                break;
            last = q;
            k++;
            q = ap_view_skip_blank(v, ap_view_next(v, q));
        }
        if (k > best) {
            best = k;
            where->first = p;
            where->last = last;
        }
    }
    if (best == 0 && ap_view_new_count(v, first->hash) > 0) {
        /* the first line stands only in inserted text: report the first one */
        ap_pattern one = *pat;
        one.n = 1;
        if (ap_find_first(v, &one, from, where))
            best = 1;
    }
    return best;
}
