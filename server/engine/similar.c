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

static uint64_t line_bigrams(const ap_line *l)
{
    return bigrams(l->s + l->s_off, l->s_len);
}

/* The bigram set of the line at p: a base line's from the text's table
 * (filled once per text version), an inserted line's computed. */
static uint64_t bigrams_at(const ap_view *v, ap_pos p)
{
    if (p.sp >= 0)
        return line_bigrams(&v->sp[p.sp].lines[p.k].l);
    ap_text *t = v->base;
    if (!t->bigrams) {
        t->bigrams = ap_xmalloc((t->n ? t->n : 1) * sizeof *t->bigrams);
        for (uint32_t i = 0; i < t->n; i++)
            t->bigrams[i] = line_bigrams(&t->lines[i]);
    }
    return t->bigrams[p.base];
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

size_t ap_similar_lines(const ap_view *v, const ap_line *line, ap_pos from, ap_similar *out,
                        size_t max)
{
    const char *q = line->s + line->s_off;
    size_t qn = line->s_len;
    uint64_t qs = bigrams(q, qn);
    int qpop = popcount64(qs);
    est best[KEEP];
    size_t nbest = 0, worst = 0;
    for (ap_pos p = ap_view_skip_blank(v, from); !ap_view_at_end(v, p);
         p = ap_view_skip_blank(v, ap_view_next(v, p))) {
        const ap_line *l = ap_view_line(v, p);
        uint64_t ls = bigrams_at(v, p);
        int inter = popcount64(qs & ls);
        int uni = qpop + popcount64(ls) - inter;
        double e = uni ? (double)inter / uni : 0;
        /* lengths far apart cannot be similar */
        size_t lo = qn < l->s_len ? qn : l->s_len, hi = qn < l->s_len ? l->s_len : qn;
        double lr = hi ? (double)lo / (double)hi : 1.0;
        e = e * 0.7 + lr * 0.3;
        if (nbest < KEEP) {
            best[nbest++] = (est){p, e};
            if (nbest == KEEP)
                worst = find_worst(best);
        } else if (e > best[worst].e) {
            best[worst] = (est){p, e};
            worst = find_worst(best);
        }
    }
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
