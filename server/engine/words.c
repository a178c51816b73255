/* words.c - does one line say what another says: the words (runs of
 * letters, digits and '_') of one all standing in the other.
 *
 * ap_snippet_looks_elsewhere asks it of the line most like a snippet's first
 * line, found by a scan of every line (similar.c: each text's bigram rows,
 * then a pass per question). The answer can only be yes when some line of
 * the view says what the snippet line says, so a view where none does needs
 * no scan: ap_view_words_within answers that from a 64-bit set of each
 * line's words (made once per text, beside its other tables), comparing the
 * words exactly only where the sets allow it (issue 12: on the ladder no
 * line ever does, and the scans were a third of a dry run). */
#include "memo.h"
#include "resolve.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The words of a's stripped text, each with how often it stands: at most
 * 32 distinct. */
typedef struct words {
    struct {
        const char *s;
        uint32_t len, count;
    } w[32];
    uint32_t n;
} words;

static void words_of(const ap_line *l, words *out)
{
    out->n = 0;
    const char *s = l->s + l->s_off, *e = s + l->s_len;
    while (s < e) {
        while (s < e && !(isalnum((unsigned char)*s) || *s == '_'))
            s++;
        const char *b = s;
        while (s < e && (isalnum((unsigned char)*s) || *s == '_'))
            s++;
        if (s == b)
            continue;
        uint32_t i = 0;
        while (i < out->n && !(out->w[i].len == s - b && memcmp(out->w[i].s, b, (size_t)(s - b)) == 0))
            i++;
        if (i == out->n && out->n < 32)
            out->w[out->n++].s = b, out->w[i].len = (uint32_t)(s - b), out->w[i].count = 0;
        if (i < out->n)
            out->w[i].count++;
    }
}

bool ap_words_within(const ap_line *a, const ap_line *b)
{
    words wa, wb;
    words_of(a, &wa);
    words_of(b, &wb);
    uint32_t common = 0, na = 0, nb = 0;
    for (uint32_t i = 0; i < wa.n; i++) {
        na += wa.w[i].count;
        for (uint32_t j = 0; j < wb.n; j++)
            if (wa.w[i].len == wb.w[j].len && memcmp(wa.w[i].s, wb.w[j].s, wa.w[i].len) == 0)
                common += wa.w[i].count < wb.w[j].count ? wa.w[i].count : wb.w[j].count;
    }
    for (uint32_t j = 0; j < wb.n; j++)
        nb += wb.w[j].count;
    return common >= 2 && (common == na || common == nb);
}

/* ------------------------------------------------- the sets of words */

/* A line's set: a bit per word (from a hash of its bytes), or
 *   0      when it holds fewer than two words: common >= 2 is then
 *          impossible, whatever the other line;
 *   ~0     when it holds more than 32: words_of counts only the first 32
 *          distinct ones, so the set of all of them could claim a word
 *          words_of leaves out; such a line is compared word by word.
 * Otherwise words_of counts every word the line holds, and the set holds
 * exactly their bits: a line within another has its set within the
 * other's (the words of a multiset within another are within its words). */
#define WORDS_ALL (~0ull)

/* The classes of bytes words_of uses (isalnum in the process's locale, or
 * '_'), made per text: a word byte is 1. */
static void word_bytes(unsigned char cls[256])
{
    for (int c = 0; c < 256; c++)
        cls[c] = isalnum(c) || c == '_';
}

static uint64_t set_of(const unsigned char cls[256], const ap_line *l)
{
    const unsigned char *s = (const unsigned char *)l->s + l->s_off, *e = s + l->s_len;
    uint64_t set = 0;
    uint32_t count = 0;
    for (;;) {
        while (s < e && !cls[*s])
            s++;
        if (s == e)
            break;
        uint64_t h = 14695981039346656037ull; /* FNV-1a */
        do
            h = (h ^ *s++) * 1099511628211ull;
        while (s < e && cls[*s]);
        set |= 1ull << (h >> 58);
        if (++count > 32)
            return WORDS_ALL;
    }
    return count < 2 ? 0 : set;
}

/* Which base lines of a text may say a query (as may_say below says it of
 * them) depends on the text and the query's stripped bytes alone, not on a
 * view: kept after the sets in the same block (memo.h), as the list of
 * those lines when it is short (it is mostly empty), so a view with
 * splices over the text (the twice check's pre-images: hundreds of
 * questions a file) reads the list instead of every line. */
#define KEPT_LINES (AP_MEMO_ANSWER / sizeof(uint32_t))

static size_t sets_bytes(const ap_text *t)
{
    return (t->n ? t->n : 1) * sizeof *t->word_sets; /* a multiple of 8: aligned for the memo */
}

static ap_query_memo *text_memo(ap_text *t)
{
    return (ap_query_memo *)(void *)((char *)t->word_sets + sets_bytes(t));
}

/* The text's table of each line's set, made on first use and dropped with
 * its other tables (ap_text_drop_tables). */
static const uint64_t *text_words(ap_text *t)
{
    if (!t->word_sets) {
        unsigned char cls[256];
        word_bytes(cls);
        t->word_sets = ap_xmalloc(sets_bytes(t) + sizeof(ap_query_memo));
        ap_memo_init(text_memo(t));
        for (uint32_t i = 0; i < t->n; i++)
            t->word_sets[i] = t->lines[i].blank ? 0 : set_of(cls, &t->lines[i]);
    }
    return t->word_sets;
}

/* Could line l be the one ap_snippet_looks_elsewhere says yes for, the
 * query q: scored 0.5 to below 1 (the lengths' bound first), its words
 * within q's or q's within its? (Its set has passed may_be_within.) */
static bool may_say(const ap_line *l, const ap_line *q)
{
    if (ap_ratio_bound(l->s_len, q->s_len) < 0.5 || !ap_words_within(l, q))
        return false;
    double r = ap_line_ratio(q, l); /* (as the scan scores it) */
    return r >= 0.5 && r < 1.0;
}

/* Could a set ls be within qs, or qs within it (ls of two words or more)? */
static inline bool may_be_within(uint64_t ls, uint64_t qs)
{
    return ls != 0 && ((ls & ~qs) == 0 || (qs & ~ls) == 0);
}

/* The base lines of t that may say q, as far as they are wanted: at most
 * max + 1 of them go to out (one more than max: too many to keep); returns
 * how many. Most lines' sets tell them apart in a few instructions; the
 * loop does nothing else. */
typedef struct says {
    const ap_text *t;
    const uint64_t *sets;
    uint64_t qs;
    const ap_line *q;
    uint32_t *out, n, max;
} says;

/* lines [a, b); false once out is full */
static bool base_says_plain(says *w, uint32_t a, uint32_t b)
{
    const uint64_t qs = w->qs, nq = ~qs;
    for (uint32_t l = a; l < b; l++) {
        uint64_t x = w->sets[l];
        if (x != 0 && ((x & nq) == 0 || (qs & ~x) == 0) && may_say(&w->t->lines[l], w->q)) {
            w->out[w->n++] = l;
            if (w->n > w->max)
                return false;
        }
    }
    return true;
}

bool ap_words_plain = false;

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>

/* The same four sets at a time where the processor has AVX2 (the test of
 * each set as above, lane by lane; a block with any set through is looked
 * at line by line). */
__attribute__((target("avx2"))) static bool base_says_avx2(says *w, uint32_t a, uint32_t b)
{
    const __m256i qv = _mm256_set1_epi64x((long long)w->qs), zero = _mm256_setzero_si256();
    const __m256i nqv = _mm256_xor_si256(qv, _mm256_set1_epi64x(-1));
    const uint64_t *sets = w->sets;
    uint32_t l = a;
    for (; l + 4 <= b; l += 4) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(sets + l));
        __m256i within = _mm256_cmpeq_epi64(_mm256_and_si256(x, nqv), zero); /* x within qs */
        __m256i holds = _mm256_cmpeq_epi64(_mm256_andnot_si256(x, qv), zero); /* qs within x */
        __m256i none = _mm256_cmpeq_epi64(x, zero);
        __m256i through = _mm256_andnot_si256(none, _mm256_or_si256(within, holds));
        if (!_mm256_testz_si256(through, through) && !base_says_plain(w, l, l + 4))
            return false;
    }
    return base_says_plain(w, l, b);
}

static bool base_says(says *w, uint32_t a, uint32_t b)
{
    if (!ap_words_plain && __builtin_cpu_supports("avx2"))
        return base_says_avx2(w, a, b);
    return base_says_plain(w, a, b);
}
#else
#define base_says base_says_plain
#endif

/* Does a live base line of v say it (every live one read: the runs of
 * base lines between the splices)? */
static bool live_base_says(const ap_view *v, says *w)
{
    const ap_text *t = v->base;
    uint32_t l = 0;
    w->n = 0;
    w->max = 0;
    for (uint32_t s = 0; s < v->nsp && l <= t->n; s++) {
        const ap_splice *sp = &v->sp[s];
        if (!base_says(w, l, sp->a < t->n ? sp->a : t->n))
            return true;
        l = sp->a > l ? sp->a : l;
        if (sp->b > l)
            l = sp->b;
    }
    return l < t->n && !base_says(w, l, t->n);
}

bool ap_view_may_say(const ap_view *v, const ap_line *q)
{
    unsigned char cls[256];
    word_bytes(cls);
    uint64_t qs = set_of(cls, q);
    if (qs == 0)
        return false; /* fewer than two words: within no line, none within it */
    ap_text *t = v->base;
    uint32_t found[KEPT_LINES + 1];
    says w = {t, text_words(t), qs, q, found, 0, KEPT_LINES};
    /* the base lines that may say it: the text's answer (kept), else read
     * from every line once and kept when short enough */
    ap_query_memo *m = text_memo(t);
    const char *qb = q->s + q->s_off;
    uint32_t an;
    const void *kept = ap_memo_find(m, qb, q->s_len, 0, &an);
    if (kept) {
        w.n = an / sizeof *found;
        memcpy(found, kept, an);
    } else if (base_says(&w, 0, t->n)) {
        ap_memo_put(m, qb, q->s_len, 0, found, w.n * (uint32_t)sizeof *found);
    } else if (live_base_says(v, &w)) {
        return true; /* too many to keep: the live ones read */
    } else {
        w.n = 0; /* none of them lives */
    }
    for (uint32_t i = 0; i < w.n; i++)
        if (ap_view_base_alive(v, found[i]))
            return true;
    /* the lines the view's splices put in */
    for (uint32_t s = 0; s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        for (uint32_t k = 0; k < sp->n; k++) {
            const ap_line *il = &sp->lines[k].l;
            if (!il->blank && may_be_within(set_of(cls, il), qs) && may_say(il, q))
                return true;
        }
    }
    return false;
}
