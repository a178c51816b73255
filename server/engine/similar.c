/* similar.c - "did you mean": the lines of a file closest to a line that
 * matched nowhere.
 *
 * Scoring every line exactly would cost (lines x length^2). Instead each
 * line is given a 64-bit set of its character bigrams; the Jaccard overlap of
 * two sets is a cheap estimate, and only the best few estimates are scored
 * exactly (1 - edit distance / longer length). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t bigrams(const char *s, size_t n)
{
    uint64_t set = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t h = ((unsigned char)s[i] * 31u + (unsigned char)s[i + 1]) * 2654435761u;
        set |= 1ull << (h >> 26);
    }
    if (n == 1)
        set |= 1ull << ((unsigned char)s[0] & 63);
    return set;
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
    uint16_t row[257];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (uint16_t)j;
    for (size_t i = 1; i <= na; i++) {
        uint16_t diag = row[0];
        row[0] = (uint16_t)i;
        for (size_t j = 1; j <= nb; j++) {
            uint16_t up = row[j];
            uint16_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return 1.0 - (double)row[nb] / (double)longer;
}

double ap_line_ratio(const ap_line *a, const ap_line *b)
{
    return ratio(a->s + a->s_off, a->s_len, b->s + b->s_off, b->s_len);
}

static uint64_t line_bigrams(const ap_line *l)
{
    return bigrams(l->s + l->s_off, l->s_len);
}

/* The text's table of bigram sets, made on first use. */
static const uint64_t *text_bigrams(ap_text *t)
{
    if (!t->bigrams) {
        t->bigrams = ap_xmalloc((t->n ? t->n : 1) * sizeof *t->bigrams);
        for (uint32_t i = 0; i < t->n; i++)
            t->bigrams[i] = line_bigrams(&t->lines[i]);
    }
    return t->bigrams;
}

static int popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (int)((x * 0x0101010101010101ull) >> 56);
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

/* The best KEEP estimates so far. */
typedef struct scan {
    uint64_t qs;
    int qpop;
    size_t qn;
    est best[KEEP];
    size_t nbest, worst;
} scan;

static void consider(scan *sc, ap_pos p, uint64_t ls, size_t len)
{
    int inter = popcount64(sc->qs & ls);
    int uni = sc->qpop + popcount64(ls) - inter;
    double e = uni ? (double)inter / uni : 0;
    /* lengths far apart cannot be similar */
    size_t lo = sc->qn < len ? sc->qn : len, hi = sc->qn < len ? len : sc->qn;
    e = e * 0.7 + (hi ? (double)lo / (double)hi : 1.0) * 0.3;
    if (sc->nbest < KEEP) {
        sc->best[sc->nbest++] = (est){p, e};
        if (sc->nbest == KEEP)
            sc->worst = find_worst(sc->best);
    } else if (e > sc->best[sc->worst].e) {
        sc->best[sc->worst] = (est){p, e};
        sc->worst = find_worst(sc->best);
    }
}

size_t ap_similar_lines(const ap_view *v, const ap_line *line, ap_pos from, ap_similar *out,
                        size_t max)
{
    const char *q = line->s + line->s_off;
    size_t qn = line->s_len;
    uint64_t qs = bigrams(q, qn);
    int qpop = popcount64(qs);
    scan sc = {.qs = qs, .qpop = qpop, .qn = qn};
    /* every live line from `from` on: base lines straight from the text's
     * arrays (skipping the ranges splices replaced), inserted lines apart */
    const ap_text *t = v->base;
    const uint64_t *table = text_bigrams(v->base);
    uint64_t from_key = ap_pos_key(from);
    uint32_t s = 0;
    for (uint32_t l = from.base; l <= t->n; l++) {
        /* the splice standing before base line l, if any */
        while (s < v->nsp && v->sp[s].a < l)
            s++;
        if (s < v->nsp && v->sp[s].a == l) {
            const ap_splice *sp = &v->sp[s];
            for (uint32_t k = 0; k < sp->n; k++) {
                ap_pos p = {sp->a, (int32_t)s, k};
                if (sp->lines[k].l.blank || ap_pos_key(p) < from_key)
                    continue;
                consider(&sc, p, line_bigrams(&sp->lines[k].l), sp->lines[k].l.s_len);
            }
            l = sp->b > l ? sp->b - 1 : l;
            if (sp->b > sp->a)
                continue;
        }
        if (l >= t->n)
            break;
        if (!t->lines[l].blank)
            consider(&sc, (ap_pos){l, -1, 0}, table[l], t->lines[l].s_len);
    }
    est *best = sc.best;
    size_t nbest = sc.nbest;
    size_t n = 0;
    for (size_t i = 0; i < nbest; i++) {
        const ap_line *l = ap_view_line(v, best[i].pos);
        double r = ratio(q, qn, l->s + l->s_off, l->s_len);
        if (r < 0.5)
            continue;
        /* insertion sort into out, best first, text order on ties */
        size_t j = n < max ? n++ : max;
        if (j == max && (max == 0 || r <= out[max - 1].score))
            continue;
        if (j == max)
            j = max - 1;
        while (j > 0 && (out[j - 1].score < r ||
                         (out[j - 1].score == r && ap_pos_key(out[j - 1].pos) > ap_pos_key(best[i].pos)))) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = (ap_similar){best[i].pos, r};
    }
    return n;
}
