/* similar.c - "did you mean": the lines of a file closest to a line that
 * matched nowhere.
 *
 * Scoring every line exactly would cost (lines x length^2). Instead each
 * line is given a 64-bit set of its character bigrams; the Jaccard overlap of
 * two sets is a cheap estimate, and only the best few estimates are scored
 * exactly (1 - edit distance / longer length). */
#include "internal.h"
#include "memo.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A bigram (a, b) sets bit ((a * 31 + b) * 2654435761 mod 2^32) >> 26: the
 * masks of every a * 31 + b (at most 8160), made by the compiler, so that a
 * byte costs one look-up instead of two multiplications and two shifts. */
#define BM(k) (1ull << ((uint32_t)((uint32_t)(k) * 2654435761u) >> 26))
#define BM4(k) BM(k), BM((k) + 1), BM((k) + 2), BM((k) + 3)
#define BM16(k) BM4(k), BM4((k) + 4), BM4((k) + 8), BM4((k) + 12)
#define BM64(k) BM16(k), BM16((k) + 16), BM16((k) + 32), BM16((k) + 48)
#define BM256(k) BM64(k), BM64((k) + 64), BM64((k) + 128), BM64((k) + 192)
#define BM1024(k) BM256(k), BM256((k) + 256), BM256((k) + 512), BM256((k) + 768)
static const uint64_t bigram_mask[8192] = {
    BM1024(0), BM1024(1024), BM1024(2048), BM1024(3072), BM1024(4096), BM1024(5120), BM1024(6144), BM1024(7168),
};
#undef BM
#undef BM4
#undef BM16
#undef BM64
#undef BM256
#undef BM1024

uint64_t ap_bigram_set(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t set = 0;
    size_t i = 0;
    /* four at a time: the bytes read apart, the masks or-ed apart */
    for (; i + 4 < n; i += 4)
        set |= (bigram_mask[u[i] * 31u + u[i + 1]] | bigram_mask[u[i + 1] * 31u + u[i + 2]]) |
               (bigram_mask[u[i + 2] * 31u + u[i + 3]] | bigram_mask[u[i + 3] * 31u + u[i + 4]]);
    for (; i + 1 < n; i++)
        set |= bigram_mask[u[i] * 31u + u[i + 1]];
    if (n == 1)
        set |= 1ull << (u[0] & 63);
    return set;
}

/* Levenshtein distance by the full table, one row at a time: when neither
 * string fits a machine word. */
static size_t distance_table(const char *a, size_t na, const char *b, size_t nb)
{
    size_t small[257];
    size_t *row = nb < 257 ? small : ap_xmalloc((nb + 1) * sizeof *row);
    for (size_t j = 0; j <= nb; j++)
        row[j] = (uint16_t)j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[nb];
    if (row != small)
        free(row);
    return d;
}

/* The same distance with the table's columns as bit vectors (Myers 1999,
 * in Hyyro's form for a whole-string distance): one step per byte of b
 * instead of na steps, when a holds 1..64 bytes. */
static size_t distance_bits(const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t peq[256];
    const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
    for (size_t i = 0; i < na; i++)
        peq[ua[i]] = 0;
    for (size_t j = 0; j < nb; j++)
        peq[ub[j]] = 0;
    for (size_t i = 0; i < na; i++)
        peq[ua[i]] |= 1ull << i;
    uint64_t pv = na == 64 ? ~0ull : (1ull << na) - 1, mv = 0, top = 1ull << (na - 1);
    size_t d = na;
    for (size_t j = 0; j < nb; j++) {
        uint64_t eq = peq[ub[j]];
        uint64_t xv = eq | mv;
        uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
        uint64_t ph = mv | ~(xh | pv);
        uint64_t mh = pv & xh;
        if (ph & top)
            d++;
        else if (mh & top)
            d--;
        /* row 0 of the table grows by one per column: a +1 enters at the top */
        ph = (ph << 1) | 1;
        mh <<= 1;
        pv = mh | ~(xv | ph);
        mv = ph & xv;
    }
    return d;
}

/* The same for a of 65..256 bytes: the column in up to four words, each
 * passing the horizontal difference at its top row to the next (Myers 1999,
 * "advanceBlock"). */
static size_t distance_blocks(const char *a, size_t na, const char *b, size_t nb)
{
    uint64_t peq[256][4];
    const unsigned char *ua = (const unsigned char *)a, *ub = (const unsigned char *)b;
    size_t words = (na + 63) / 64;
    for (size_t i = 0; i < na; i++)
        memset(peq[ua[i]], 0, sizeof peq[0]);
    for (size_t j = 0; j < nb; j++)
        memset(peq[ub[j]], 0, sizeof peq[0]);
    for (size_t i = 0; i < na; i++)
        peq[ua[i]][i / 64] |= 1ull << (i % 64);
    uint64_t pv[4] = {~0ull, ~0ull, ~0ull, ~0ull}, mv[4] = {0, 0, 0, 0};
    uint64_t last = 1ull << ((na - 1) % 64);
    size_t d = na;
    for (size_t j = 0; j < nb; j++) {
        const uint64_t *eqs = peq[ub[j]];
        int h = 1; /* row 0 grows by one per column */
        for (size_t w = 0; w < words; w++) {
            uint64_t eq = eqs[w], p = pv[w], m = mv[w];
            uint64_t xv = eq | m;
            if (h < 0)
                eq |= 1;
            uint64_t xh = (((eq & p) + p) ^ p) | eq;
            uint64_t ph = m | ~(xh | p), mh = p & xh;
            uint64_t top = w + 1 == words ? last : 1ull << 63;
            int out = (ph & top) ? 1 : (mh & top) ? -1 : 0;
            ph <<= 1;
            mh <<= 1;
            if (h < 0)
                mh |= 1;
            else if (h > 0)
                ph |= 1;
            pv[w] = mh | ~(xv | ph);
            mv[w] = ph & xv;
            h = out;
        }
        d = (size_t)((ptrdiff_t)d + h);
    }
    return d;
}

size_t ap_edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > nb) {
        const char *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    if (na == 0)
        return nb;
    if (na <= 64)
        return distance_bits(a, na, b, nb);
    if (na <= 256)
        return distance_blocks(a, na, b, nb);
    return distance_table(a, na, b, nb);
}

/* 1 - levenshtein(a, b) / max(len): exact, on at most 256 bytes of each. */
static double ratio(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 256)
        na = 256;
    if (nb > 256)
        nb = 256;
    size_t longer = na > nb ? na : nb;
    if (longer == 0)
        return 1.0;
    return 1.0 - (double)ap_edit_distance(a, na, b, nb) / (double)longer;
}

/* What ratio() can give at most: the distance is at least the difference
 * of the lengths. Computed as ratio() computes, so never below it. */
static double ratio_bound(size_t na, size_t nb)
{
    if (na > 256)
        na = 256;
    if (nb > 256)
        nb = 256;
    size_t longer = na > nb ? na : nb, shorter = na > nb ? nb : na;
    if (longer == 0)
        return 1.0;
    return 1.0 - (double)(longer - shorter) / (double)longer;
}

double ap_ratio_bound(size_t na, size_t nb)
{
    return ratio_bound(na, nb);
}

double ap_line_ratio(const ap_line *a, const ap_line *b)
{
    return ratio(a->s + a->s_off, a->s_len, b->s + b->s_off, b->s_len);
}

static uint64_t line_bigrams(const ap_line *l)
{
    return ap_bigram_set(l->s + l->s_off, l->s_len);
}

static int popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
}

/* The answers of whole-text scans of a text (ap_similar_whole), kept after
 * its bigram rows in the same block, so they live and go with the rows
 * (text.c frees and drops only t->bigrams): memo.h, tagged with max. */
_Static_assert(4 * sizeof(ap_similar) <= AP_MEMO_ANSWER, "a scan's answer fits a memo slot");
#define MEMO_MAX 4

static size_t rows_bytes(const ap_text *t)
{
    return (t->n ? t->n : 1) * sizeof(ap_bigram_row); /* a multiple of 16: aligned for the memo */
}

static ap_query_memo *text_memo(ap_text *t)
{
    return (ap_query_memo *)(void *)((char *)t->bigrams + rows_bytes(t));
}

/* The text's table of each line's bigram set, its size and stripped
 * length, made on first use: the scan below reads 16 bytes a line from one
 * array instead of the line records. */
static const ap_bigram_row *text_bigrams(ap_text *t)
{
    if (!t->bigrams) {
        t->bigrams = ap_xmalloc(rows_bytes(t) + sizeof(ap_query_memo));
        ap_memo_init(text_memo(t));
        for (uint32_t i = 0; i < t->n; i++) {
            const ap_line *l = &t->lines[i];
            uint64_t set = line_bigrams(l);
            t->bigrams[i] = (ap_bigram_row){set, l->s_len, (uint16_t)popcount64(set), l->blank};
        }
    }
    return t->bigrams;
}

typedef struct est {
    ap_pos pos;
    double e;
} est;

#define KEEP 24

static size_t find_worst(const est *best)
{
    size_t w = 0;
    for (size_t i = 1; i < KEEP; i++)
        if (best[i].e < best[w].e)
            w = i;
    return w;
}

/* A line's estimate is the overlap of the bigram sets and the lengths (far
 * apart, they cannot be similar):
 *   (inter / union) * 0.7 + (shorter / longer) * 0.3
 * Its two parts are looked up, each computed as that expression computes
 * it, so that their sum is the estimate bit for bit: the overlap's in a
 * constant table of every (inter, union) two 64-bit sets allow (made by the
 * compiler), the lengths' in a table of the scan's. */
#define OV(i, u) ((u) ? ((double)(i) / (double)(u)) * 0.7 : 0.0)
#define OV8(i, u) OV(i, u), OV(i, (u) + 1), OV(i, (u) + 2), OV(i, (u) + 3), OV(i, (u) + 4), OV(i, (u) + 5), OV(i, (u) + 6), OV(i, (u) + 7)
#define OV64(i, u) OV8(i, u), OV8(i, (u) + 8), OV8(i, (u) + 16), OV8(i, (u) + 24), OV8(i, (u) + 32), OV8(i, (u) + 40), OV8(i, (u) + 48), OV8(i, (u) + 56)
#define OVROW(i) {OV64(i, 0), OV64(i, 64), OV(i, 128)}
#define OVROW8(i) OVROW(i), OVROW((i) + 1), OVROW((i) + 2), OVROW((i) + 3), OVROW((i) + 4), OVROW((i) + 5), OVROW((i) + 6), OVROW((i) + 7)
static const double overlap_part[65][129] = {
    OVROW8(0), OVROW8(8), OVROW8(16), OVROW8(24), OVROW8(32), OVROW8(40), OVROW8(48), OVROW8(56), OVROW(64),
};
#undef OV
#undef OV8
#undef OV64
#undef OVROW
#undef OVROW8

#define SHORT_LINES 256

/* The best KEEP estimates so far, and the query's part of the estimate. */
typedef struct scan {
    uint64_t qs;
    int qpop;
    size_t qn;
    est best[KEEP];
    size_t nbest, worst;
    double worst_e;                   /* best[worst].e once KEEP are kept */
    double length_part[SHORT_LINES]; /* by a line's stripped length; < 0: not yet computed */
} scan;

static double length_part(size_t qn, size_t len)
{
    size_t lo = qn < len ? qn : len, hi = qn < len ? len : qn;
    return (hi ? (double)lo / (double)hi : 1.0) * 0.3;
}

static inline double length_part_of(scan *sc, size_t len)
{
    if (len >= SHORT_LINES)
        return length_part(sc->qn, len);
    if (sc->length_part[len] < 0)
        sc->length_part[len] = length_part(sc->qn, len);
    return sc->length_part[len];
}

/* A line's estimate, or -1 when it certainly cannot enter the best so far:
 * its overlap part plus the largest length part (0.3) does not exceed the
 * worst kept (rounding is monotone: neither can the estimate). */
static inline double estimate_of(scan *sc, int inter, int lpop, size_t len)
{
    double ov = overlap_part[inter][sc->qpop + lpop - inter];
    if (sc->nbest == KEEP && ov + 0.3 <= sc->worst_e)
        return -1;
    return ov + length_part_of(sc, len);
}

/* Keeps p if its estimate e enters the best so far (a place once KEEP are
 * kept only for a strictly better estimate, the worst giving it up). */
static inline void keep(scan *sc, ap_pos p, double e)
{
    if (sc->nbest < KEEP) {
        sc->best[sc->nbest++] = (est){p, e};
        if (sc->nbest == KEEP) {
            sc->worst = find_worst(sc->best);
            sc->worst_e = sc->best[sc->worst].e;
        }
    } else if (e > sc->worst_e) {
        sc->best[sc->worst] = (est){p, e};
        sc->worst = find_worst(sc->best);
        sc->worst_e = sc->best[sc->worst].e;
    }
}

static inline double estimate(scan *sc, uint64_t ls, int lpop, size_t len)
{
    return estimate_of(sc, popcount64(sc->qs & ls), lpop, len);
}

/* Base lines [a, b) of the text, in order: once with the processor's
 * population count where it has one (x86 without it at the baseline) and
 * once without. The same bits are counted either way. */
#define SCAN_BASE(name, attr, count)                                                             \
    attr static void name(scan *sc, const ap_bigram_row *table, uint32_t a, uint32_t b)         \
    {                                                                                           \
        /* (the query and the bar in registers: keep() writes through sc) */                    \
        const uint64_t qs = sc->qs;                                                             \
        const int qpop = sc->qpop;                                                              \
        double bar = sc->nbest == KEEP ? sc->worst_e : -1.0; /* what an estimate must beat */    \
        for (uint32_t l = a; l < b; l++) {                                                      \
            const ap_bigram_row *r = &table[l];                                                 \
            if (r->blank)                                                                       \
                continue;                                                                       \
            int inter = count(qs & r->set);                                                     \
            double ov = overlap_part[inter][qpop + r->pop - inter];                             \
            if (ov + 0.3 <= bar)                                                                \
                continue;                                                                       \
            double e = ov + length_part_of(sc, r->len);                                         \
            if (e > bar) {                                                                      \
                keep(sc, (ap_pos){l, -1, 0}, e);                                                \
                bar = sc->nbest == KEEP ? sc->worst_e : -1.0;                                   \
            }                                                                                   \
        }                                                                                       \
    }
SCAN_BASE(scan_base_plain, , popcount64)
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
SCAN_BASE(scan_base_popcnt, __attribute__((target("popcnt"))), __builtin_popcountll)
static void scan_base(scan *sc, const ap_bigram_row *table, uint32_t a, uint32_t b)
{
    if (ap_cpu_popcnt())
        scan_base_popcnt(sc, table, a, b);
    else
        scan_base_plain(sc, table, a, b);
}
#else
#define scan_base scan_base_plain
#endif
#undef SCAN_BASE

size_t ap_similar_scans = 0;

size_t ap_similar_lines(const ap_view *v, const ap_line *line, ap_pos from, ap_similar *out,
                        size_t max)
{
    ap_similar_scans++;
    const char *q = line->s + line->s_off;
    size_t qn = line->s_len;
    uint64_t qs = ap_bigram_set(q, qn);
    int qpop = popcount64(qs);
    scan sc;
    sc.qs = qs;
    sc.qpop = qpop;
    sc.qn = qn;
    sc.nbest = sc.worst = 0;
    sc.worst_e = 0;
    for (size_t i = 0; i < SHORT_LINES; i++)
        sc.length_part[i] = -1;
    /* every live line from `from` on: the runs of base lines between the
     * splices straight from the text's table, inserted lines apart */
    const ap_text *t = v->base;
    const ap_bigram_row *table = text_bigrams(v->base);
    uint64_t from_key = ap_pos_key(from);
    uint32_t l = from.base;
    for (uint32_t s = 0; s < v->nsp && l <= t->n; s++) {
        const ap_splice *sp = &v->sp[s];
        if (sp->a < l)
            continue; /* before `from` */
        if (sp->a > l) {
            scan_base(&sc, table, l, sp->a < t->n ? sp->a : t->n);
            l = sp->a;
        }
        for (uint32_t k = 0; k < sp->n; k++) {
            ap_pos p = {sp->a, (int32_t)s, k};
            if (sp->lines[k].l.blank || ap_pos_key(p) < from_key)
                continue;
            uint64_t ls = line_bigrams(&sp->lines[k].l);
            double e = estimate(&sc, ls, popcount64(ls), sp->lines[k].l.s_len);
            if (e >= 0)
                keep(&sc, p, e);
        }
        if (sp->b > l)
            l = sp->b;
    }
    if (l < t->n)
        scan_base(&sc, table, l, t->n);
    est *best = sc.best;
    size_t nbest = sc.nbest;
    size_t n = 0;
    for (size_t i = 0; i < nbest; i++) {
        const ap_line *ln = ap_view_line(v, best[i].pos);
        /* a candidate whose lengths alone keep it below 0.5, or from a full
         * answer's last place, is left out below anyway: skip its distance */
        double bound = ratio_bound(qn, ln->s_len);
        if (bound < 0.5 || (n == max && (max == 0 || bound <= out[max - 1].score)))
            continue;
        double r = ratio(q, qn, ln->s + ln->s_off, ln->s_len);
        if (r < 0.5)
            continue;
        ap_similar_keep(out, &n, max, best[i].pos, r);
    }
    return n;
}

void ap_similar_keep(ap_similar *out, size_t *n, size_t max, ap_pos pos, double score)
{
    /* insertion sort: best first, text order on ties */
    size_t j = *n < max ? (*n)++ : max;
    if (j == max && (max == 0 || score <= out[max - 1].score))
        return;
    if (j == max)
        j = max - 1;
    while (j > 0 && (out[j - 1].score < score ||
                     (out[j - 1].score == score && ap_pos_key(out[j - 1].pos) > ap_pos_key(pos)))) {
        out[j] = out[j - 1];
        j--;
    }
    out[j] = (ap_similar){pos, score};
}

size_t ap_similar_whole(const ap_view *v, const ap_line *line, ap_similar *out, size_t max)
{
    const char *q = line->s + line->s_off;
    uint32_t qn = line->s_len;
    /* a view with no splice is its text's lines: the answer is the text's
     * (the scan reads nothing else), so it is kept and looked up */
    if (v->nsp != 0 || max > MEMO_MAX || qn > AP_MEMO_QUERY)
        return ap_similar_lines(v, line, ap_view_begin(v), out, max);
    text_bigrams(v->base);
    ap_query_memo *m = text_memo(v->base);
    uint32_t an;
    const void *kept = ap_memo_find(m, q, qn, (uint32_t)max, &an);
    if (kept) {
        memcpy(out, kept, an);
        return an / sizeof *out;
    }
    size_t n = ap_similar_lines(v, line, ap_view_begin(v), out, max);
    ap_memo_put(m, q, qn, (uint32_t)max, out, (uint32_t)(n * sizeof *out));
    return n;
}
