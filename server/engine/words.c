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

/* A word's bit: from its bytes as a little-endian word when it has eight
 * or fewer (zero above), else from its first and last eight, and its
 * length (a function of its bytes: equal words have equal bits, which is
 * all the sets need; hashing every byte cost most of making them). */
static inline uint64_t word_bit(uint64_t x, uint32_t n)
{
    uint64_t h = (x ^ n) * 0xff51afd7ed558ccdull;
    return 1ull << (h >> 58);
}

#define LAST_MIX 0x9e3779b97f4a7c15ull

static inline uint64_t load8(const unsigned char *s)
{
    uint64_t x;
    memcpy(&x, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* word b[0..n) (n >= 1); bytes up to `end` may be read past it */
static inline uint64_t bit_of(const unsigned char *b, uint32_t n, const unsigned char *end)
{
    if (n > 8)
        return word_bit(load8(b) ^ load8(b + n - 8) * LAST_MIX, n);
    uint64_t x;
    if (end - b >= 8) {
        x = load8(b) & (~0ull >> (64 - 8 * n));
    } else {
        x = 0;
        for (uint32_t i = 0; i < n; i++)
            x |= (uint64_t)b[i] << (8 * i);
    }
    return word_bit(x, n);
}

/* Adds the words of bytes [s, e) (a word byte being cls[c]) to *set and
 * *count; false past 32 words. */
static bool add_words(const unsigned char cls[256], const unsigned char *s, const unsigned char *e, uint64_t *set,
                      uint32_t *count)
{
    for (;;) {
        while (s < e && !cls[*s])
            s++;
        if (s == e)
            return true;
        const unsigned char *b = s;
        do
            s++;
        while (s < e && cls[*s]);
        *set |= bit_of(b, (uint32_t)(s - b), b);
        if (++*count > 32)
            return false;
    }
}

/* the set of bytes [s, e) */
static uint64_t set_of_bytes(const unsigned char cls[256], const unsigned char *s, const unsigned char *e)
{
    uint64_t set = 0;
    uint32_t count = 0;
    if (!add_words(cls, s, e, &set, &count))
        return WORDS_ALL;
    return count < 2 ? 0 : set;
}

static uint64_t set_of(const unsigned char cls[256], const ap_line *l)
{
    const unsigned char *s = (const unsigned char *)l->s + l->s_off;
    return set_of_bytes(cls, s, s + l->s_len);
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* bit_of for a word with 8 bytes readable from its start (the same bit) */
static inline uint64_t bit_read(const unsigned char *b, uint32_t n)
{
    uint64_t x = load8(b);
    x = n > 8 ? x ^ load8(b + n - 8) * LAST_MIX : x & (~0ull >> (64 - 8 * n));
    return word_bit(x, n);
}

/* The word bytes of 16 bytes at s as bits: ASCII letters, digits, '_'
 * (cls in the C locale: text_words asks). Bytes above 127 are negative
 * to the signed comparisons, so no range takes them. */
static inline uint32_t word_mask16(const unsigned char *s)
{
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
    __m128i alpha =
        _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    __m128i under = _mm_cmpeq_epi8(c, _mm_set1_epi8('_'));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, alpha), under));
}

/* The word bytes of the 64 bytes at p as a 64-bit mask, as far as the
 * first `left` of them need (the bits past them are any). */
static inline uint64_t word_mask64(const unsigned char *p, size_t left)
{
    uint64_t m = word_mask16(p);
    if (left > 16)
        m |= (uint64_t)word_mask16(p + 16) << 16;
    if (left > 32)
        m |= (uint64_t)word_mask16(p + 32) << 32;
    if (left > 48)
        m |= (uint64_t)word_mask16(p + 48) << 48;
    return m;
}

/* set_of for stripped bytes [s, e) of a line, every byte up to s_end + 72
 * readable (end): the word bytes 64 at a time as a mask (MASK), the words its runs
 * of ones (the same words as set_of_bytes, the same bits). A window ends
 * before a word it cuts, which the next one starts with; a word longer
 * than a window is read byte by byte. */
#define SET_OF_FAST(NAME, ATTR, MASK) \
ATTR static inline uint64_t NAME(const unsigned char cls[256], const unsigned char *s, const unsigned char *e, const unsigned char *end) \
{ \
    uint64_t set = 0; \
    uint32_t count = 0; \
    const unsigned char *p = s; \
    while (p < e) { \
        if (end - p < 72) /* (never for a line the caller sends: its window fits) */ \
            break; \
        size_t left = (size_t)(e - p); \
        uint64_t m = MASK(p, left); \
        size_t step = 64; \
        if (left < 64) { \
            m &= (1ull << left) - 1; \
            step = left; \
        } else if (left > 64 && (m >> 63)) { \
            /* a word runs past the window: it starts the next one */ \
            if (~m == 0) \
                break; \
            step = 64 - (size_t)__builtin_clzll(~m); \
            m &= (1ull << step) - 1; \
        } \
        /* each word: its first byte a one after a zero, its last a one \
         * before a zero (or the window's end) */ \
        uint64_t starts = m & ~(m << 1), ends = m & ~(m >> 1); \
        while (starts) { \
            uint32_t b = (uint32_t)__builtin_ctzll(starts), len = (uint32_t)__builtin_ctzll(ends) + 1 - b; \
            set |= bit_read(p + b, len); \
            if (++count > 32) \
                return WORDS_ALL; \
            starts &= starts - 1; \
            ends &= ends - 1; \
        } \
        p += step; \
    } \
    /* the rest byte by byte (p stands at a word's start or between words) */ \
    if (p < e && !add_words(cls, p, e, &set, &count)) \
        return WORDS_ALL; \
    return count < 2 ? 0 : set; \
}

SET_OF_FAST(set_of_fast, , word_mask64)

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define WORDS_AVX2 1

/* word_mask16 for 32 bytes, where the processor has AVX2 */
__attribute__((target("avx2"))) static inline uint32_t word_mask32(const unsigned char *s)
{
    __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)s);
    __m256i lower = _mm256_or_si256(c, _mm256_set1_epi8(0x20));
    __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8('0' - 1)),
                                     _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), c));
    __m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                     _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lower));
    __m256i under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(digit, alpha), under));
}

__attribute__((target("avx2"))) static inline uint64_t word_mask64_avx2(const unsigned char *p, size_t left)
{
    uint64_t m = word_mask32(p);
    if (left > 32)
        m |= (uint64_t)word_mask32(p + 32) << 32;
    return m;
}

SET_OF_FAST(set_of_fast_avx2, __attribute__((target("avx2"))), word_mask64_avx2)
#endif

/* Do cls's word bytes stand for the ASCII letters, digits and '_' alone
 * (the C locale's, which set_of_fast reads 16 at a time)? */
static bool ascii_words(const unsigned char cls[256])
{
    for (int c = 0; c < 256; c++)
        if (cls[c] != ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
    return true;
}

/* The sets of t's lines [0, n): SETS(s, e) for a line whose 72 bytes from
 * its start lie in the text, byte by byte for the others. */
#define SETS_OF_LINES(NAME, ATTR, SETS)                                                                       \
    ATTR static void NAME(const ap_text *t, const unsigned char cls[256], uint64_t *sets)                     \
    {                                                                                                         \
        const unsigned char *end = (const unsigned char *)t->bytes + t->len;                                  \
        for (uint32_t i = 0; i < t->n; i++) {                                                                 \
            const ap_line *l = &t->lines[i];                                                                  \
            if (l->blank || l->s_len < 3) {                                                                   \
                sets[i] = 0; /* (two words take three bytes: "a b") */                                        \
                continue;                                                                                     \
            }                                                                                                 \
            const unsigned char *s = (const unsigned char *)l->s + l->s_off;                                  \
            sets[i] = end - s >= 72 ? SETS(cls, s, s + l->s_len, end) : set_of_bytes(cls, s, s + l->s_len);   \
        }                                                                                                     \
    }

SETS_OF_LINES(sets_sse2, , set_of_fast)
#ifdef WORDS_AVX2
SETS_OF_LINES(sets_avx2, __attribute__((target("avx2"))), set_of_fast_avx2)
#endif
#endif

/* The sets of t's lines: 32 bytes at a time where the processor has AVX2
 * (not with ap_wide_off), 16 with SSE2, else byte by byte. */
static void sets_of_text(const ap_text *t, const unsigned char cls[256], uint64_t *sets)
{
#if defined(__SSE2__)
    if (ascii_words(cls)) {
#ifdef WORDS_AVX2
        if (ap_cpu_avx2()) {
            sets_avx2(t, cls, sets);
            return;
        }
#endif
        sets_sse2(t, cls, sets);
        return;
    }
#endif
    for (uint32_t i = 0; i < t->n; i++)
        sets[i] = t->lines[i].blank ? 0 : set_of(cls, &t->lines[i]);
}

bool ap_words_sets_agree(const ap_text *t)
{
    unsigned char cls[256];
    word_bytes(cls);
    uint64_t *fast = ap_xmalloc((t->n ? t->n : 1) * sizeof *fast);
    sets_of_text(t, cls, fast);
    bool agree = true;
    for (uint32_t i = 0; i < t->n && agree; i++)
        agree = fast[i] == (t->lines[i].blank ? 0 : set_of(cls, &t->lines[i]));
    free(fast);
    return agree;
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
        sets_of_text(t, cls, t->word_sets);
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
    if (ap_cpu_avx2())
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
