/* text.c - a target text split into lines and indexed once: stripped-line
 * hashes, the hash -> lines index, the non-blank skip tables and the line
 * ending the file uses. Everything later reads it and nothing changes it. */
#include "internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* White space as Python's str.isspace() knows it (the reference patcher
 * strips with str.strip()): ASCII \t \n \v \f \r, \x1c-\x1f and space, and
 * the Unicode spaces below, in UTF-8. */
size_t ap_ws_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    if (u[0] == ' ' || (u[0] >= 0x09 && u[0] <= 0x0d) || (u[0] >= 0x1c && u[0] <= 0x1f))
        return 1;
    if (u[0] < 0xc2)
        return 0;
    if (u[0] == 0xc2 && n >= 2 && (u[1] == 0x85 || u[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) /* U+1680 */
        return 3;
    if (u[0] == 0xe2 && u[1] == 0x80 && /* U+2000-200A, U+2028, U+2029, U+202F */
        ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
        return 3;
    if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) /* U+205F */
        return 3;
    if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
        return 3;
    return 0;
}

size_t ap_ws_len_before(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[n - 1];
    if (c < 0x80)
        return ap_ws_len(s + n - 1, 1);
    /* a multi-byte space ends in a continuation byte: try 2 and 3 back */
    if (n >= 2 && ap_ws_len(s + n - 2, 2) == 2)
        return 2;
    if (n >= 3 && ap_ws_len(s + n - 3, 3) == 3)
        return 3;
    return 0;
}

/* Bytes that are not white space in any reading: printable ASCII but the
 * space (the common case, tested before the full rules). */
static inline bool plainly_not_ws(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* (inline in splitting, where it runs for every line of every target: a
 * call a line was a tenth of opening) */
static inline __attribute__((always_inline)) void strip_of(const char *s, size_t n, size_t *off, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, b = n, w;
    /* indentation of spaces and tabs, then a plain byte at each end: done.
     * The spaces eight at a time while eight bytes are left (the first
     * that is none, from the word's lowest set byte); then a byte at a
     * time, for tabs and the last few */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (a + 8 <= b) {
        uint64_t x;
        memcpy(&x, u + a, 8);
        x ^= 0x2020202020202020ull;
        if (x) {
            a += (size_t)__builtin_ctzll(x) >> 3;
            break;
        }
        a += 8;
    }
#endif
    while (a < b && (u[a] == ' ' || u[a] == '\t'))
        a++;
    if (a < b && plainly_not_ws(u[a]) && plainly_not_ws(u[b - 1])) {
        *off = a;
        *len = b - a;
        return;
    }
    while (a < b && (w = ap_ws_len(s + a, b - a)) > 0)
        a += w;
    while (b > a && (w = ap_ws_len_before(s + a, b - a)) > 0)
        b -= w;
    *off = a;
    *len = b - a;
}

void ap_strip(const char *s, size_t n, size_t *off, size_t *len)
{
    strip_of(s, n, off, len);
}

uint64_t ap_hash_tail(const char *s, size_t n, size_t i)
{
    size_t r = n - i;
    uint64_t w = 0;
    if (r == 0)
        return 0;
    if (n >= 8) {
        /* the eight bytes that end the text, the first 8 - r shifted out */
        memcpy(&w, s + n - 8, 8);
        return w >> (8 * (8 - r));
    }
    /* a text shorter than eight bytes (i is 0): two loads that overlap,
     * the second shifted to where its bytes stand */
    if (r >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + r - 4, 4);
        return lo | (uint64_t)hi << (8 * (r - 4));
    }
    if (r >= 2) {
        uint16_t lo, hi;
        memcpy(&lo, s, 2);
        memcpy(&hi, s + r - 2, 2);
        return lo | (uint64_t)hi << (8 * (r - 2));
    }
    return (unsigned char)s[0];
}

/* A 64-bit hash, eight bytes at a time: fast and good enough as a filter
 * (every candidate is compared byte for byte anyway). */
static inline __attribute__((always_inline)) uint64_t hash_of(const char *s, size_t n)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    /* the last n - i (< 8) bytes as a little-endian word, zero above: read
     * by fixed-size loads that end at the text's end (a memcpy of a
     * variable size was a library call at every hash) */
    h = (h ^ ap_hash_tail(s, n, i)) * m;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

uint64_t ap_hash(const char *s, size_t n)
{
    return hash_of(s, n);
}

static inline __attribute__((always_inline)) void line_init(ap_line *l, const char *s, uint32_t len,
                                                            uint8_t eol)
{
    size_t off, sl;
    strip_of(s, len, &off, &sl);
    /* one store of the whole record: the packed word is written once */
    *l = (ap_line){.s = s, .len = len, .s_off = (uint32_t)off, .s_len = (uint32_t)sl,
                   .hash = (uint32_t)(hash_of(s + off, sl) >> (64 - AP_LINE_HASH_BITS)),
                   .eol = eol & 3u, .blank = sl == 0};
}

void ap_line_init(ap_line *l, const char *s, uint32_t len, uint8_t eol)
{
    line_init(l, s, len, eol);
}

/* Lines break where the text's own line ending says: a text holding any LF
 * breaks at LF only (CRs right before it belong to a CRLF), so a lone CR
 * inside a line of an LF or CRLF file is content and is written back as it
 * was; a text without LF breaks at CR. */
char ap_text_break_of(const char *s, size_t n)
{
    return memchr(s, '\n', n) || !memchr(s, '\r', n) ? '\n' : '\r';
}

char ap_text_break(const ap_text *t)
{
    return t->eol == AP_EOL_CR ? '\r' : '\n';
}

/* The breaks of a text found 64 bytes a step (SSE2, which every x86-64
 * has): splitting asks for the next break once a line, and a memchr call
 * a line of 30 bytes was a quarter of splitting it. mask holds the breaks
 * of s[at .. at + 64), bit k for s[at + k]; the last 63 bytes or fewer are
 * searched by memchr. Asked with offsets that only grow. */
typedef struct break_scan {
    const char *s;
    size_t n, at;
    uint64_t mask;
    char brk;
} break_scan;

static inline break_scan break_scan_of(const char *s, size_t n, char brk)
{
    /* (at = n: no block read yet) */
    return (break_scan){s, n, n, 0, brk};
}

/* The offset of the first break at or after i, or n. */
static inline __attribute__((always_inline)) size_t next_break(break_scan *b, size_t i)
{
#if defined(__SSE2__)
    if (i >= b->at && i - b->at < 64) {
        uint64_t m = b->mask & (~0ull << (i - b->at));
        if (m)
            return b->at + (size_t)__builtin_ctzll(m);
        i = b->at + 64;
    }
    const __m128i pat = _mm_set1_epi8(b->brk);
    while (i <= b->n && b->n - i >= 64) {
        const char *p = b->s + i;
        uint64_t m0 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), pat));
        uint64_t m1 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), pat));
        uint64_t m2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), pat));
        uint64_t m3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), pat));
        uint64_t m = m0 | m1 << 16 | m2 << 32 | m3 << 48;
        b->at = i;
        b->mask = m;
        if (m)
            return i + (size_t)__builtin_ctzll(m);
        i += 64;
    }
#endif
    if (i >= b->n)
        return b->n;
    const char *hit = memchr(b->s + i, b->brk, b->n - i);
    return hit ? (size_t)(hit - b->s) : b->n;
}

/* The line of s[0..n) that starts at i, broken by brk, into *line; the
 * offset of the next line. The break is found by scan when given. */
static inline __attribute__((always_inline)) size_t split_one_at(const char *s, size_t n, size_t i, char brk,
                                                                 ap_line *line, break_scan *scan)
{
    size_t start = i;
    if (scan) {
        i = next_break(scan, i);
    } else {
        const char *hit = memchr(s + i, brk, n - i);
        i = hit ? (size_t)(hit - s) : n;
    }
    uint8_t eol = 0;
    size_t len = i - start;
    if (i < n) {
        if (brk == '\r')
            eol = AP_EOL_CR;
        else if (len > 0 && s[i - 1] == '\r') {
            /* CRs right before the LF all belong to the break: content
             * ending in a CR would be written back as a CRLF */
            eol = AP_EOL_CRLF;
            while (len > 0 && s[start + len - 1] == '\r')
                len--;
        } else
            eol = AP_EOL_LF;
        i++;
    }
    line_init(line, s + start, (uint32_t)len, eol);
    return i;
}

static inline size_t split_one(const char *s, size_t n, size_t i, char brk, ap_line *line)
{
    return split_one_at(s, n, i, brk, line, NULL);
}

/* No counting pass (a search for every break, again): room for a line
 * every 16 bytes, which code and prose do not exceed, doubled when shorter
 * lines fill it, and the rest given back at the end. Only the records
 * written are faulted in; a large block is grown and shrunk in place
 * (mremap), a small one at worst copied once or twice. */
size_t ap_split_lines(const char *s, size_t n, ap_line **out)
{
    char brk = ap_text_break_of(s, n);
    size_t count = 0, cap = n ? n / 16 + 16 : 0;
    ap_line *lines = cap ? ap_xmalloc(cap * sizeof *lines) : NULL;
    size_t i = 0;
    break_scan scan = break_scan_of(s, n, brk);
    while (i < n) {
        if (count == cap) {
            cap *= 2;
            lines = ap_xrealloc(lines, cap * sizeof *lines);
        }
        i = split_one_at(s, n, i, brk, &lines[count++], &scan);
    }
    if (count < cap) {
        if (count) {
            lines = ap_xrealloc(lines, count * sizeof *lines);
        } else {
            free(lines);
            lines = NULL;
        }
    }
    *out = lines;
    return count;
}

/* The ending a file uses, decided as the reference patcher does from its
 * first KiB (CRLF if any, else LF, else CR; a lone CR counts only in a file
 * without LF, as ap_split_lines breaks); a file with no line break in its
 * first KiB is judged by its first line break. */
static ap_eol detect_eol(const char *s, size_t n)
{
    if (!memchr(s, '\n', n))
        return memchr(s, '\r', n) ? AP_EOL_CR : AP_EOL_AUTO;
    const char *lf = memchr(s, '\n', n);
    size_t k = n < 1024 ? n : 1024;
    for (size_t i = 1; i < k; i++)
        if (s[i] == '\n' && s[i - 1] == '\r')
            return AP_EOL_CRLF;
    if (lf - s < (ptrdiff_t)k)
        return AP_EOL_LF;
    return lf > s && lf[-1] == '\r' ? AP_EOL_CRLF : AP_EOL_LF;
}

/* The hash index of the non-blank lines: their numbers sorted by (hash,
 * line), in buckets by the hash's top bits, about four lines a bucket. A
 * counting sort by bucket keeps each bucket in line order; a bucket is then
 * sorted by hash (sort_bucket). About 5 bytes a non-blank line, against 16 to
 * 28 for an open-addressing table two thirds full: fresh memory is what
 * opening costs most. */
static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts a bucket's keys by insertion while that costs little (a bucket is
 * mostly in order already: placed in line order, and a line repeated many
 * times is one hash), by qsort once it does not (lines crafted to share the
 * top bits of their hashes). */
static void sort_bucket(uint64_t *k, uint32_t m)
{
    uint64_t moves = 0, budget = 8 * (uint64_t)m + 16;
    for (uint32_t j = 1; j < m; j++) {
        uint64_t v = k[j];
        uint32_t q = j;
        for (; q > 0 && k[q - 1] > v; q--)
            k[q] = k[q - 1];
        k[q] = v;
        moves += j - q;
        if (moves > budget) {
            qsort(k, m, sizeof *k, key_cmp);
            return;
        }
    }
}

static void build_index(ap_text *t)
{
    /* buckets for about four lines each, counted over all lines (the
     * blank ones are not known without another pass); lines and n held in
     * locals, as the stores into uint32_t arrays below could alias *t */
    const ap_line *lines = t->lines;
    const uint32_t n = t->n;
    uint32_t bits = 2;
    while (bits < AP_LINE_HASH_BITS && (1u << bits) * 4u < n)
        bits++;
    uint32_t nbk = 1u << bits, shift = AP_LINE_HASH_BITS - bits, nb = 0;
    uint32_t *bucket = ap_xcalloc(nbk + 1, sizeof *bucket);
    for (uint32_t i = 0; i < n; i++) {
        if (!lines[i].blank) {
            bucket[(lines[i].hash >> shift) + 1]++;
            nb++;
        }
    }
    for (uint32_t b = 0; b < nbk; b++)
        bucket[b + 1] += bucket[b];
    /* (hash, line) keys, placed by bucket in line order; bucket[b] runs
     * ahead as each is placed and is put back after */
    uint64_t *keys = ap_xmalloc((nb ? nb : 1) * sizeof *keys);
    for (uint32_t i = 0; i < n; i++) {
        if (lines[i].blank)
            continue;
        uint32_t h = lines[i].hash;
        keys[bucket[h >> shift]++] = (uint64_t)h << 32 | i;
    }
    for (uint32_t b = nbk; b > 0; b--)
        bucket[b] = bucket[b - 1];
    bucket[0] = 0;
    for (uint32_t b = 0; b < nbk; b++)
        if (bucket[b + 1] - bucket[b] > 1)
            sort_bucket(keys + bucket[b], bucket[b + 1] - bucket[b]);
    uint32_t *occ = ap_xmalloc((nb ? nb : 1) * sizeof *occ);
    for (uint32_t j = 0; j < nb; j++)
        occ[j] = (uint32_t)keys[j];
    t->occ = occ;
    free(keys);
    t->bucket = bucket;
    t->bucket_bits = bits;
}

/* (The tables made again after ap_text_drop_tables are the same: a text is
 * a function of its bytes.) */
void ap_text_build_tables(const ap_text *ct)
{
    ap_text *t = (ap_text *)ct; /* tables made on use, as the bigrams are */
    ap_text_unpack_lines(t); /* (search_once: packed since its group) */
    ap_text_make_next_nb(t);
    if (!t->bucket)
        build_index(t);
}

const uint32_t *ap_text_make_next_nb(const ap_text *ct)
{
    ap_text *t = (ap_text *)ct;
    ap_text_unpack_lines(t);
    if (!t->next_nb) {
        t->next_nb = ap_xmalloc((t->n + 1) * sizeof *t->next_nb);
        t->next_nb[t->n] = t->n;
        for (uint32_t i = t->n; i-- > 0;)
            t->next_nb[i] = t->lines[i].blank ? t->next_nb[i + 1] : i;
    }
    return t->next_nb;
}

void ap_text_drop_tables(ap_text *t)
{
    free(t->next_nb);
    free(t->bucket);
    free(t->occ);
    free(t->bigrams);
    free(t->word_sets);
    t->word_sets = NULL;
    t->next_nb = NULL;
    t->bucket = NULL;
    t->occ = NULL;
    t->bigrams = NULL;
    /* (the maps made on first use by the 3.2 searches and the bracket
     * check: made again the same) */
    free(t->deco_start);
    free(t->deco_lines);
    t->deco_start = NULL;
    t->deco_lines = NULL;
    t->deco_mask = 0;
    ap_bracket_map_free(t->brackets);
    t->brackets = NULL;
}

void ap_text_drop_lines(ap_text *t)
{
    ap_text_drop_tables(t);
    /* (the decorated lines' keys, which drop_tables keeps: a few bytes a
     * decorated line, taken over by the text rendered from this one) */
    free(t->deco_refs);
    t->deco_refs = NULL;
    t->deco_known = false;
    t->n_deco = 0;
    free(t->lines);
    t->lines = NULL;
    free(t->packed);
    t->packed = NULL;
}

/* What a packed line keeps: the record's word of the hash, break and blank,
 * copied as it is (4 bytes instead of 24). The rest is where the line stands
 * (s, len) and its stripped part (s_off, s_len): splitting and stripping the
 * bytes again gives them back, for a few instructions a line; hashing is
 * what costs, and is not done again. */
#define AP_WORD_AT (offsetof(ap_line, s_len) + sizeof(uint32_t))
_Static_assert(AP_WORD_AT + sizeof(uint32_t) == sizeof(ap_line) || sizeof(void *) != 8, "the word ends the record");
struct ap_packed_line {
    uint32_t word;
};

void ap_text_pack_lines(ap_text *t)
{
    ap_text_drop_tables(t);
    if (!t->lines || t->n == 0)
        return;
    struct ap_packed_line *p = ap_xmalloc(t->n * sizeof *p);
    const ap_line *ls = t->lines;
    for (uint32_t k = 0, count = t->n; k < count; k++)
        memcpy(&p[k].word, (const char *)&ls[k] + AP_WORD_AT, sizeof p[k].word);
    free(t->lines);
    t->lines = NULL;
    t->packed = p;
}

void ap_text_unpack_lines(const ap_text *ct)
{
    ap_text *t = (ap_text *)ct; /* the same records again */
    if (!t->packed)
        return;
    const char *s = t->bytes + t->bom;
    size_t n = t->len - t->bom, i = 0;
    char brk = ap_text_break_of(s, n);
    /* (locals: the stores into lines cannot then alias the text) */
    const struct ap_packed_line *packed = t->packed;
    uint32_t count = t->n;
    ap_line *lines = ap_xmalloc(count * sizeof *lines);
    break_scan scan = break_scan_of(s, n, brk);
    for (uint32_t k = 0; k < count; k++) {
        if (i >= n)
            abort(); /* (not the records of these bytes: never) */
        /* as split_one, the hash aside */
        size_t j = next_break(&scan, i), len = j - i;
        if (j < n) {
            if (brk == '\n')
                while (len > 0 && s[i + len - 1] == '\r')
                    len--; /* a CRLF's CRs belong to the break */
            j++;
        }
        size_t off, sl;
        strip_of(s + i, len, &off, &sl);
        lines[k].s = s + i;
        lines[k].len = (uint32_t)len;
        lines[k].s_off = (uint32_t)off;
        lines[k].s_len = (uint32_t)sl;
        memcpy((char *)&lines[k] + AP_WORD_AT, &packed[k].word, sizeof packed[k].word);
        i = j;
    }
    /* (the bytes split into the lines they did when the text was made) */
    if (i != n)
        abort();
    free(t->packed);
    t->packed = NULL;
    t->lines = lines;
}

const uint32_t *ap_text_occ(const ap_text *t, uint32_t h, uint32_t *count)
{
    if (h >> AP_LINE_HASH_BITS) {
        *count = 0; /* no line hash is that wide (and no bucket that far) */
        return NULL;
    }
    if (!t->bucket) {
        ap_text_unpack_lines(t); /* (search_once: packed since its group) */
        build_index((ap_text *)t); /* (made on use, as the bigrams are) */
    }
    uint32_t b = h >> (AP_LINE_HASH_BITS - t->bucket_bits);
    uint32_t lo = t->bucket[b], hi = t->bucket[b + 1];
    /* the first of the bucket's lines whose hash is not below h */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->lines[t->occ[mid]].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* and the first above it, in log steps too: a line repeated 100,000
     * times is one run, and walking it at every lookup made a search over
     * such a file quadratic */
    uint32_t end = lo;
    hi = t->bucket[b + 1];
    while (end < hi) {
        uint32_t mid = end + (hi - end) / 2;
        if (t->lines[t->occ[mid]].hash <= h)
            end = mid + 1;
        else
            hi = mid;
    }
    *count = end - lo;
    return end > lo ? t->occ + lo : NULL;
}

ap_text *ap_text_adopt(char *bytes, size_t len)
{
    return ap_text_adopt_known(bytes, len, bytes && memchr(bytes, '\0', len) != NULL);
}

ap_text *ap_text_adopt_known(char *bytes, size_t len, bool has_nul)
{
    ap_text *t = ap_xcalloc(1, sizeof *t);
    t->refs = 1;
    if (!bytes) {
        bytes = ap_xmalloc(1);
        *bytes = '\0';
    }
    t->bytes = bytes;
    t->len = len;
    t->has_nul = has_nul;
    /* a byte order mark is no part of line 1: it is matched without it and
     * written back before it */
    t->bom = len >= 3 && memcmp(t->bytes, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    t->n = (uint32_t)ap_split_lines(t->bytes + t->bom, len - t->bom, &t->lines);
    t->eol = detect_eol(t->bytes, len);
    return t;
}

/* Splits s[0..n) (no byte order mark) as ap_split_lines does, taking the
 * records of src's lines where the runs in copied say s holds them as src
 * does: a line's record is a function of its bytes and the break, so
 * only where the lines begin moves. A run that does not start where a
 * line starts is split like the rest. */
static size_t split_copied(const char *s, size_t n, size_t at0, char brk, const ap_text *src,
                           const ap_hunk *copied, size_t n_copied, ap_line **plines, ap_line_run *runs,
                           size_t *n_runs)
{
    /* the records grow as they come instead of the breaks being counted
     * first (a memchr a line: most lines are copied, their count known):
     * room for the copied runs' lines and a few more, doubled when short,
     * the rest given back at the end */
    size_t cap = 64;
    for (size_t k = 0; k < n_copied; k++)
        cap += copied[k].end_line - copied[k].line;
    ap_line *lines = ap_xmalloc(cap * sizeof *lines);
    size_t count = 0, i = 0, c = 0;
    *n_runs = 0;
    while (i < n) {
        while (c < n_copied && copied[c].out < at0 + i)
            c++; /* runs behind: split like the rest */
        if (c < n_copied && copied[c].out == at0 + i) {
            const ap_hunk *r = &copied[c++];
            const char *from = src->lines[r->line].s;
            while (cap - count < r->end_line - r->line)
                lines = ap_xrealloc(lines, (cap *= 2) * sizeof *lines);
            runs[(*n_runs)++] = (ap_line_run){(uint32_t)count, r->line, r->end_line - r->line};
            for (uint32_t k = r->line; k < r->end_line; k++) {
                lines[count] = src->lines[k];
                lines[count++].s = s + i + (src->lines[k].s - from);
            }
            i += r->out_len;
            continue;
        }
        if (count == cap)
            lines = ap_xrealloc(lines, (cap *= 2) * sizeof *lines);
        i = split_one(s, n, i, brk, &lines[count++]);
    }
    if (count == 0) {
        free(lines);
        lines = NULL;
    } else if (count < cap) {
        lines = ap_xrealloc(lines, count * sizeof *lines);
    }
    *plines = lines;
    return count;
}

ap_text *ap_text_adopt_copied(char *bytes, size_t len, const ap_text *src, const ap_hunk *copied,
                              size_t n_copied)
{
    uint32_t bom = len >= 3 && memcmp(bytes, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    char brk = ap_text_break_of(bytes + bom, len - bom);
    /* the runs were copied with src's own breaks: the same only when the
     * new bytes break where src's do */
    if (!src || n_copied == 0 || brk != ap_text_break_of(src->bytes + src->bom, src->len - src->bom)) {
        return ap_text_adopt(bytes, len);
    }
    ap_text *t = ap_xcalloc(1, sizeof *t);
    t->refs = 1;
    t->bytes = bytes;
    t->len = len;
    t->has_nul = memchr(bytes, '\0', len) != NULL;
    t->bom = bom;
    ap_line_run *runs = ap_xmalloc(n_copied * sizeof *runs);
    size_t n_runs;
    t->n = (uint32_t)split_copied(bytes + bom, len - bom, bom, brk, src, copied, n_copied, &t->lines, runs,
                                  &n_runs);
    /* the lines a soft search finds by decoration, from src's where it
     * listed them: the twice check searches this text as the run did src */
    ap_text_inherit_decorated(t, src, runs, n_runs);
    free(runs);
    t->eol = detect_eol(bytes, len);
#ifdef APLS_CHECK_TEXTS
    /* (a build for checking: the same text as splitting it all) */
    ap_text *plain = ap_text_new(bytes, len);
    bool same = plain->n == t->n && plain->eol == t->eol && plain->bom == t->bom && plain->has_nul == t->has_nul;
    for (uint32_t k = 0; same && k < t->n; k++) {
        const ap_line *x = &plain->lines[k], *y = &t->lines[k];
        same = x->s - plain->bytes == y->s - t->bytes && x->len == y->len && x->s_off == y->s_off &&
               x->s_len == y->s_len && x->eol == y->eol && x->blank == y->blank && x->hash == y->hash;
    }
    if (!same)
        abort();
    ap_text_release(plain);
#endif
    return t;
}

ap_text *ap_text_borrow_copied(const char *bytes, size_t len, const ap_text *src, const ap_hunk *copied,
                               size_t n_copied)
{
    /* (no bytes: an empty text over a constant; nothing is written through
     * bytes, and release leaves borrowed ones alone) */
    ap_text *t = ap_text_adopt_copied((char *)(bytes ? bytes : ""), bytes ? len : 0, src, copied, n_copied);
    t->borrowed = true;
    return t;
}

ap_text *ap_text_join(const ap_line *const *src, uint32_t n)
{
    size_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        const ap_line *l = src[i];
        /* a CR before the LF would join the break; an LF splits the line */
        if ((l->len > 0 && l->s[l->len - 1] == '\r') || memchr(l->s, '\n', l->len))
            return NULL;
        len += l->len + 1;
    }
    if (n == 0 || (src[0]->len >= 3 && memcmp(src[0]->s, "\xEF\xBB\xBF", 3) == 0))
        return NULL;
    ap_text *t = ap_xcalloc(1, sizeof *t);
    t->refs = 1;
    t->bytes = ap_xmalloc(len + 1);
    t->len = len;
    t->lines = ap_xmalloc(n * sizeof *t->lines);
    t->n = n;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* the stripped form and hash depend on the line's bytes alone */
        t->lines[i] = *src[i];
        t->lines[i].s = t->bytes + at;
        t->lines[i].eol = AP_EOL_LF;
        memcpy(t->bytes + at, src[i]->s, src[i]->len);
        at += src[i]->len;
        t->bytes[at++] = '\n';
    }
    t->bytes[len] = '\0';
    t->has_nul = memchr(t->bytes, '\0', len) != NULL;
    t->eol = detect_eol(t->bytes, len);
    return t;
}

ap_text *ap_text_new(const char *bytes, size_t len)
{
    return ap_text_adopt(ap_xmemdup(bytes, len), len);
}

ap_text *ap_text_retain(ap_text *t)
{
    if (t)
        t->refs++;
    return t;
}

void ap_text_release(ap_text *t)
{
    if (!t || --t->refs > 0)
        return;
    if (!t->borrowed)
        free(t->bytes);
    ap_text_drop_lines(t); /* the records and every table made from them */
    free(t);
}

const char *ap_text_bytes(const ap_text *t) { return t->bytes; }
ap_eol ap_text_eol(const ap_text *t) { return t->eol; }
size_t ap_text_len(const ap_text *t) { return t->len; }
uint32_t ap_text_line_count(const ap_text *t) { return t->n; }

uint32_t ap_text_line_start(const ap_text *t, uint32_t i)
{
    if (i >= t->n)
        return (uint32_t)t->len;
    return (uint32_t)(t->lines[i].s - t->bytes);
}

/* The common first and last bytes of the two texts are found once (a block
 * at a time by memcmp: a byte at a time cost more than reading the text),
 * and each table that can be carried takes its lines over: the balance
 * (brackets.c), the decorated lines (hybrid.c). */
void ap_text_follow(ap_text *now, const ap_text *before)
{
    if (!now || !before || before->bom != now->bom)
        return;
    bool balance = ap_brackets_can_follow(now, before);
    /* (a text whose lines were let go has let its decorated lines go too) */
    bool decorated = !now->deco_known && before->deco_known;
    if (!balance && !decorated)
        return;
    const char *a = before->bytes, *b = now->bytes;
    size_t na = before->len, nb = now->len, min = na < nb ? na : nb;
    enum { BLOCK = 1024 };
    size_t pre = 0;
    while (pre + BLOCK <= min && memcmp(a + pre, b + pre, BLOCK) == 0)
        pre += BLOCK;
    while (pre < min && a[pre] == b[pre])
        pre++;
    size_t suf = 0;
    while (suf + BLOCK <= min - pre && memcmp(a + na - suf - BLOCK, b + nb - suf - BLOCK, BLOCK) == 0)
        suf += BLOCK;
    while (suf < min - pre && a[na - 1 - suf] == b[nb - 1 - suf])
        suf++;
    if (balance)
        ap_brackets_follow(now, before, pre, suf);
    if (decorated)
        ap_decorated_follow(now, before, pre, suf);
}

