/* brackets.c - bracket nesting of source text, for scope_end, the nesting
 * guard and the balance warning (ap.md 2.5, 3.6 and 3.4).
 *
 * apls cannot parse every language; counting ( [ { against ) ] } while
 * skipping strings and comments answers the two questions that matter here:
 * where does the block a line opens end, and is this insertion point inside
 * a block? Line comments start at //, # or --, block comments are C's, and
 * a ' or " string left open at the end of its line closes there (one stray
 * quote must not swallow the file); a ` string may span lines. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* What a byte can do to the count or the state outside strings and
 * comments; most bytes of code do nothing and are passed over by one table
 * lookup (the balance warning reads every line of every file it changes). */
enum { PLAIN, OPENER, CLOSER, QUOTE, SLASH, HASH, DASH };
static const unsigned char special[256] = {
    ['('] = OPENER, ['['] = OPENER, ['{'] = OPENER,
    [')'] = CLOSER, [']'] = CLOSER, ['}'] = CLOSER,
    ['"'] = QUOTE, ['\''] = QUOTE, ['`'] = QUOTE,
    ['/'] = SLASH, ['#'] = HASH, ['-'] = DASH,
};

#if defined(__SSE2__)
#include <emmintrin.h>

/* The first byte at or after i that is not PLAIN, or n: sixteen bytes a
 * step where the line is long enough (a line of code has a special byte
 * every ten bytes or so, after its indentation). The twelve bytes pair up
 * by one bit: ( ) by 0x01, " # by 0x01, - / by 0x02, [ { and ] } by 0x20;
 * ' and ` stand alone. */
static inline __attribute__((always_inline)) size_t skip_plain(const unsigned char *u, size_t i, size_t n)
{
    const __m128i b01 = _mm_set1_epi8(0x01), b02 = _mm_set1_epi8(0x02), b20 = _mm_set1_epi8(0x20);
    const __m128i parens = _mm_set1_epi8(')'), hash = _mm_set1_epi8('#'), slash = _mm_set1_epi8('/');
    const __m128i curly_open = _mm_set1_epi8('{'), curly_close = _mm_set1_epi8('}');
    const __m128i tick = _mm_set1_epi8('`'), apos = _mm_set1_epi8('\'');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(u + i));
        __m128i x01 = _mm_or_si128(x, b01), x20 = _mm_or_si128(x, b20);
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x01, parens), _mm_cmpeq_epi8(x01, hash));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_or_si128(x, b02), slash));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x20, curly_open));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x20, curly_close));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, tick));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, apos));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return i + (size_t)__builtin_ctz((unsigned)mask);
    }
    while (i < n && !special[u[i]])
        i++;
    return i;
}
#else
static inline __attribute__((always_inline)) size_t skip_plain(const unsigned char *u, size_t i, size_t n)
{
    while (i < n && !special[u[i]])
        i++;
    return i;
}
#endif

void ap_brackets_line(ap_brackets *b, const char *s, size_t n)
{
    /* the state in locals: the bytes read through s could alias *b */
    const unsigned char *u = (const unsigned char *)s;
    int64_t depth = b->depth, low = b->low;
    char quote = b->quote;
    bool block = b->block_comment, escaped = b->escaped;
    size_t i = 0;
    while (i < n) {
        if (block) { /* to the next star before a slash */
            const unsigned char *star;
            while ((star = memchr(u + i, '*', n - i)) && !(star + 1 < u + n && star[1] == '/'))
                i = (size_t)(star - u) + 1;
            if (!star) {
                i = n;
                break;
            }
            block = false;
            i = (size_t)(star - u) + 2;
            continue;
        }
        if (quote) { /* to the closing quote, escapes skipped */
            for (; i < n; i++) {
                if (escaped)
                    escaped = false;
                else if (u[i] == '\\')
                    escaped = true;
                else if (u[i] == (unsigned char)quote)
                    break;
            }
            if (i < n) {
                quote = 0;
                i++;
            }
            continue;
        }
        i = skip_plain(u, i, n);
        if (i == n)
            break;
        unsigned char c = u[i++];
        switch (special[c]) {
        case OPENER:
            depth++;
            break;
        case CLOSER:
            depth = b->clamp && depth == 0 ? 0 : depth - 1;
            if (depth < low)
                low = depth;
            break;
        case QUOTE:
            quote = (char)c;
            break;
        case SLASH:
            if (i < n && u[i] == '*') {
                block = true;
                i++;
            } else if (i < n && u[i] == '/') {
                i = n; /* a line comment: the rest of the line is not code */
            }
            break;
        case DASH:
            if (i < n && u[i] == '-')
                i = n;
            break;
        default: /* HASH */
            i = n;
            break;
        }
    }
    /* the line break */
    if (quote == '"' || quote == '\'')
        quote = 0;
    b->depth = depth;
    b->low = low;
    b->quote = quote;
    b->block_comment = block;
    b->escaped = false;
}

/* ------------------------------------------------------ a text's map
 *
 * What the questions need of a text is read from its bytes once and kept
 * with it (a run, and the server between keystrokes, asks them again and
 * again of the same text): at each line start the lexical state (code, in a
 * block comment, in a ` string) and the unclamped depth u, and per line how
 * far below its start a closer took the depth (dip). A line of the view that
 * is a base line entered in the state the map has for it is then crossed
 * without reading it; inserted lines, and base lines after an edit that left
 * a comment or string open, are read. The depth as clamped (a closer never
 * takes it below 0) is u less the lowest u reached before (a walk reflected
 * at 0), so one unclamped reading answers both. */
struct ap_bracket_map {
    int32_t *u;     /* n + 1 entries: the depth at each line start, and the end */
    int32_t *dip;   /* n: the lowest depth a closer of the line left, less u */
    uint8_t *lex;   /* n + 1: LEX_CODE, LEX_BLOCK or LEX_TICK */
};

enum { LEX_CODE, LEX_BLOCK, LEX_TICK };

/* At a line start only these states exist: ' and " strings close at the
 * line's end, and an escape with them. */
static uint8_t lex_of(const ap_brackets *b)
{
    return b->block_comment ? LEX_BLOCK : b->quote ? LEX_TICK : LEX_CODE;
}

static void set_lex(ap_brackets *b, uint8_t lex)
{
    b->block_comment = lex == LEX_BLOCK;
    b->quote = lex == LEX_TICK ? '`' : 0;
    b->escaped = false;
}

void ap_bracket_map_free(struct ap_bracket_map *m)
{
    if (!m)
        return;
    free(m->u);
    free(m->dip);
    free(m->lex);
    free(m);
}

/* t's map, made on first use; NULL for a text whose depth could overflow
 * 32 bits (then every line is read). */
static const struct ap_bracket_map *map_of(ap_text *t)
{
    if (t->brackets || t->len >= INT32_MAX)
        return t->brackets;
    struct ap_bracket_map *m = ap_xmalloc(sizeof *m);
    m->u = ap_xmalloc(((size_t)t->n + 1) * sizeof *m->u);
    m->dip = ap_xmalloc(((size_t)t->n + 1) * sizeof *m->dip);
    m->lex = ap_xmalloc((size_t)t->n + 1);
    ap_brackets b = {0};
    for (uint32_t i = 0; i < t->n; i++) {
        m->u[i] = (int32_t)b.depth;
        m->lex[i] = lex_of(&b);
        b.low = b.depth;
        ap_brackets_line(&b, t->lines[i].s, t->lines[i].len);
        m->dip[i] = (int32_t)(b.low - m->u[i]);
    }
    m->u[t->n] = (int32_t)b.depth;
    m->lex[t->n] = lex_of(&b);
    t->brackets = m;
    return m;
}

/* Reads line p of v into b (unclamped, b->low kept), from the map when it
 * can. */
static void step(const ap_view *v, const struct ap_bracket_map *m, ap_pos p, ap_brackets *b)
{
    if (p.sp < 0 && m && lex_of(b) == m->lex[p.base]) {
        int64_t low = b->depth + m->dip[p.base];
        if (low < b->low)
            b->low = low;
        b->depth += m->u[p.base + 1] - m->u[p.base];
        set_lex(b, m->lex[p.base + 1]);
        return;
    }
    const ap_line *l = ap_view_line(v, p);
    ap_brackets_line(b, l->s, l->len);
}

int64_t ap_brackets_text(ap_text *t)
{
    const struct ap_bracket_map *m = map_of(t);
    if (m)
        return m->u[t->n];
    ap_brackets b = {0};
    for (uint32_t i = 0; i < t->n; i++)
        ap_brackets_line(&b, t->lines[i].s, t->lines[i].len);
    return b.depth;
}

/* Base lines [x, y) into b: at once when b enters them in the state the map
 * has, else line by line until it does. */
static void base_run(const ap_text *t, const struct ap_bracket_map *m, uint32_t x, uint32_t y,
                     ap_brackets *b)
{
    for (; x < y; x++) {
        if (m && lex_of(b) == m->lex[x]) {
            b->depth += m->u[y] - m->u[x];
            set_lex(b, m->lex[y]);
            return;
        }
        ap_brackets_line(b, t->lines[x].s, t->lines[x].len);
    }
}

int64_t ap_brackets_view(const ap_view *v)
{
    const struct ap_bracket_map *m = map_of(v->base);
    ap_brackets b = {0};
    uint32_t x = 0;
    for (uint32_t s = 0; s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        base_run(v->base, m, x, sp->a, &b);
        for (uint32_t k = 0; k < sp->n; k++)
            ap_brackets_line(&b, sp->lines[k].l.s, sp->lines[k].l.len);
        x = sp->b;
    }
    base_run(v->base, m, x, v->base->n, &b);
    return b.depth;
}

/* Do lines [0, n) leave every state a line can start in as it was, the
 * depth included? Then they count for nothing wherever they stand. */
static bool lines_neutral(const ap_line *const *lines, uint32_t n)
{
    static const uint8_t entry[] = {LEX_CODE, LEX_BLOCK, LEX_TICK};
    for (int e = 0; e < 3; e++) {
        ap_brackets b = {0};
        set_lex(&b, entry[e]);
        for (uint32_t i = 0; i < n; i++)
            ap_brackets_line(&b, lines[i]->s, lines[i]->len);
        if (b.depth != 0 || lex_of(&b) != entry[e])
            return false;
    }
    return true;
}

bool ap_brackets_edits_neutral(const ap_view *v)
{
    enum { CHUNK = 64 };
    const ap_line *lines[CHUNK];
    for (uint32_t s = 0; s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        /* more lines than a chunk: not worth the question */
        if (sp->b - sp->a > CHUNK || sp->n > CHUNK)
            return false;
        for (uint32_t i = sp->a; i < sp->b; i++)
            lines[i - sp->a] = &v->base->lines[i];
        if (!lines_neutral(lines, sp->b - sp->a))
            return false;
        for (uint32_t k = 0; k < sp->n; k++)
            lines[k] = &sp->lines[k].l;
        if (!lines_neutral(lines, sp->n))
            return false;
    }
    return true;
}

/* The star-slash that closes a block comment, searched from the byte after
 * its slash-star's star (a slash-star-slash does not close itself); NULL
 * when none stands before end. bytes_start_in_code and run_balance must
 * agree on it. */
static const char *comment_close(const char *from, const char *end)
{
    const char *q = from;
    while ((q = memchr(q, '*', (size_t)(end - q))) != NULL && !(q + 1 < end && q[1] == '/'))
        q++;
    return q;
}

/* Does every line of t start in code (not in a block comment or a `
 * string)? Shown from the bytes alone, without reading a line: a line can
 * start in a ` string only if a ` is somewhere, and in a block comment only
 * if some slash-star is not closed before the next line break. Searched by
 * memchr over the whole text (its lines are runs of its bytes, separated by
 * break bytes), a slash-star whose close is not on its line (or that stands
 * in a string or a line comment, which counts for nothing) gives up: "not
 * shown", not "no". Kept with the text: the server asks on every keystroke. */
static bool bytes_start_in_code(const char *s, size_t len)
{
    const char *end = s + len;
    bool ok = !memchr(s, '`', len);
    for (const char *p = s; ok && (p = memchr(p, '*', (size_t)(end - p))) != NULL; p++) {
        if (p == s || p[-1] != '/')
            continue;
        /* the close as run_balance finds it, and no break byte before it */
        const char *q = comment_close(p + 1, end);
        const char *stop = q ? q : end;
        /* (each slash-star is asked alone, even one inside another's
         * comment: whichever of them opens, it closes on its line) */
        if (!q || memchr(p, '\n', (size_t)(stop - p)) || memchr(p, '\r', (size_t)(stop - p)))
            ok = false;
    }
    return ok;
}

static bool starts_in_code(ap_text *t)
{
    if (!t->starts_in_code)
        t->starts_in_code = bytes_start_in_code(t->bytes, t->len) ? 1 : -1;
    return t->starts_in_code > 0;
}

/* The byte at *i that the steps stopped at, in code: a bracket counted,
 * a string or comment passed over to its end (*i after it). False when
 * prove gives up (a ` in code, a slash-star in code not closed on its
 * line). Both readings below lex with it. */
static inline __attribute__((always_inline)) bool lex_special(const char *bytes, size_t n, bool prove, size_t *at,
                                                               int64_t *depth)
{
    const unsigned char *u = (const unsigned char *)bytes;
    size_t i = *at;
    unsigned char c = u[i++];
    switch (special[c]) {
    case PLAIN: /* (never a stop: for completeness) */
        break;
    case OPENER:
        ++*depth;
        break;
    case CLOSER:
        --*depth;
        break;
    case QUOTE: /* ' or " (no ` here): to its close or the line's end */
        if (prove && c == '`')
            return false;
        while (i < n && u[i] != c && u[i] != '\n')
            i += u[i] == '\\' && i + 1 < n && u[i + 1] != '\n' ? 2 : 1;
        if (i < n && u[i] == c)
            i++;
        break;
    case SLASH:
        if (i < n && u[i] == '*') {
            /* closed on its line (starts_in_code, or proved here) */
            const char *q = comment_close(bytes + i + 1, bytes + n);
            if (prove && (!q || memchr(u + i, '\n', (size_t)(q - bytes) - i)))
                return false;
            i = q ? (size_t)(q - bytes) + 2 : n;
        } else if (i < n && u[i] == '/') {
            goto line_comment;
        }
        break;
    case DASH:
        if (i < n && u[i] == '-')
            goto line_comment;
        break;
    default: /* HASH */
    line_comment: {
        const unsigned char *e = memchr(u + i, '\n', n - i);
        i = e ? (size_t)(e - u) : n;
    }
    }
    *at = i;
    return true;
}

/* The balance of a text every line of which starts in code, read as one
 * run of its bytes: no line is then entered in a comment or a string, so a
 * line break matters only to a ' or " string and a line comment, which end
 * there, and the bytes between specials pass sixteen at a time across line
 * ends (the map's reading pays a call and a short step at every line).
 * Only for a text without CR (each LF then ends a line, no byte of a line
 * is a break). With prove, the text need not be known to start its lines
 * in code: a ` in code, or a slash-star in code not closed on its line,
 * makes it give up (false); reaching the end shows every line starts in
 * code. */
static inline __attribute__((always_inline)) bool balance_run(const char *bytes, size_t n, bool prove,
                                                               int64_t *out)
{
    const unsigned char *u = (const unsigned char *)bytes;
    size_t i = 0;
    int64_t depth = 0;
#if defined(__SSE2__)
    /* brackets counted from the masks of a sixteen-byte step; the step
     * stops only at a byte that can start a string or a comment (the
     * line's brackets need no stop) */
    static unsigned char ones[256];
    if (!ones[255])
        for (int k = 0; k < 256; k++)
            ones[k] = (unsigned char)__builtin_popcount((unsigned)k);
    const __m128i b01 = _mm_set1_epi8(0x01), b02 = _mm_set1_epi8(0x02), b20 = _mm_set1_epi8(0x20);
    const __m128i quote_hash = _mm_set1_epi8('#'), slash = _mm_set1_epi8('/'), apos = _mm_set1_epi8('\'');
    const __m128i curly_open = _mm_set1_epi8('{'), curly_close = _mm_set1_epi8('}');
    const __m128i paren_open = _mm_set1_epi8('('), paren_close = _mm_set1_epi8(')');
    const __m128i tick = _mm_set1_epi8('`');
    /* the 32-byte step's count: a byte's +1 (opener) or -1 (closer) added
     * per lane, at most 2 a step, folded into depth before a lane can pass
     * 127 and at the end */
    __m128i acc = _mm_setzero_si128();
    int acc_steps = 0;
    const __m128i dash_slash = _mm_set1_epi8('/'), b07 = _mm_set1_epi8(0x07), b80 = _mm_set1_epi8((char)0x80);
#endif
    while (i < n) {
#if defined(__SSE2__)
        if (i + 33 <= n) {
            /* 32 bytes a step; a - or / stops it only when the byte after
             * can make a comment with it (two dashes, slash-slash, slash-star:
             * the bytes 0x28 to 0x2f after it, ( ) * + , - . /, by
             * (c | 0x07) == '/'): the other stops ("->", "a / b")
             * do nothing in the switch below, so passing them over counts
             * the same */
            __m128i xl = _mm_loadu_si128((const __m128i *)(u + i));
            __m128i xh = _mm_loadu_si128((const __m128i *)(u + i + 16));
            __m128i nl = _mm_loadu_si128((const __m128i *)(u + i + 1));
            __m128i nh = _mm_loadu_si128((const __m128i *)(u + i + 17));
            __m128i xl20 = _mm_or_si128(xl, b20), xh20 = _mm_or_si128(xh, b20);
            __m128i ol = _mm_or_si128(_mm_cmpeq_epi8(xl20, curly_open), _mm_cmpeq_epi8(xl, paren_open));
            __m128i oh = _mm_or_si128(_mm_cmpeq_epi8(xh20, curly_open), _mm_cmpeq_epi8(xh, paren_open));
            __m128i cl = _mm_or_si128(_mm_cmpeq_epi8(xl20, curly_close), _mm_cmpeq_epi8(xl, paren_close));
            __m128i ch = _mm_or_si128(_mm_cmpeq_epi8(xh20, curly_close), _mm_cmpeq_epi8(xh, paren_close));
            __m128i sl = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(xl, b01), quote_hash), _mm_cmpeq_epi8(xl, apos));
            __m128i sh = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(xh, b01), quote_hash), _mm_cmpeq_epi8(xh, apos));
            sl = _mm_or_si128(sl, _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(xl, b02), dash_slash),
                                                _mm_cmpeq_epi8(_mm_or_si128(nl, b07), dash_slash)));
            sh = _mm_or_si128(sh, _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(xh, b02), dash_slash),
                                                _mm_cmpeq_epi8(_mm_or_si128(nh, b07), dash_slash)));
            if (prove) {
                sl = _mm_or_si128(sl, _mm_cmpeq_epi8(xl, tick));
                sh = _mm_or_si128(sh, _mm_cmpeq_epi8(xh, tick));
            }
            unsigned mx = (unsigned)_mm_movemask_epi8(sl) | (unsigned)_mm_movemask_epi8(sh) << 16;
            if (!mx) {
                /* cmpeq gives -1: closer less opener is +1 an opener */
                acc = _mm_add_epi8(acc, _mm_sub_epi8(cl, ol));
                acc = _mm_add_epi8(acc, _mm_sub_epi8(ch, oh));
                if (++acc_steps == 63) {
                    __m128i s = _mm_sad_epu8(_mm_xor_si128(acc, b80), _mm_setzero_si128());
                    depth += (int64_t)_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8)) - 16 * 128;
                    acc = _mm_setzero_si128();
                    acc_steps = 0;
                }
                i += 32;
                continue;
            }
            unsigned keep = (1u << __builtin_ctz(mx)) - 1;
            unsigned mo = ((unsigned)_mm_movemask_epi8(ol) | (unsigned)_mm_movemask_epi8(oh) << 16) & keep;
            unsigned mc = ((unsigned)_mm_movemask_epi8(cl) | (unsigned)_mm_movemask_epi8(ch) << 16) & keep;
            depth += (int64_t)ones[mo & 0xff] + ones[(mo >> 8) & 0xff] + ones[(mo >> 16) & 0xff] + ones[mo >> 24] -
                     ones[mc & 0xff] - ones[(mc >> 8) & 0xff] - ones[(mc >> 16) & 0xff] - ones[mc >> 24];
            i += (size_t)__builtin_ctz(mx);
        } else if (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(u + i)), x20 = _mm_or_si128(x, b20);
            unsigned mo = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x20, curly_open), _mm_cmpeq_epi8(x, paren_open)));
            unsigned mc = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(x20, curly_close), _mm_cmpeq_epi8(x, paren_close)));
            __m128i other = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(x, b01), quote_hash),
                                         _mm_cmpeq_epi8(_mm_or_si128(x, b02), slash));
            other = _mm_or_si128(other, _mm_cmpeq_epi8(x, apos));
            if (prove) /* a ` stops the step too: its string may span lines */
                other = _mm_or_si128(other, _mm_cmpeq_epi8(x, tick));
            unsigned mx = (unsigned)_mm_movemask_epi8(other);
            unsigned keep = mx ? (1u << __builtin_ctz(mx)) - 1 : 0xffffu;
            mo &= keep;
            mc &= keep;
            depth += (int64_t)ones[mo & 0xff] + ones[mo >> 8] - ones[mc & 0xff] - ones[mc >> 8];
            if (!mx) {
                i += 16;
                continue;
            }
            i += (size_t)__builtin_ctz(mx);
        } else {
            i = skip_plain(u, i, n);
            if (i == n)
                break;
        }
#else
        i = skip_plain(u, i, n);
        if (i == n)
            break;
#endif
        if (!lex_special(bytes, n, prove, &i, &depth))
            return false;
    }
#if defined(__SSE2__)
    __m128i s = _mm_sad_epu8(_mm_xor_si128(acc, b80), _mm_setzero_si128());
    depth += (int64_t)_mm_cvtsi128_si32(s) + _mm_cvtsi128_si32(_mm_srli_si128(s, 8)) - 16 * 128;
#endif
    *out = depth;
    return true;
}

#if defined(__SSE2__) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define AP_BRACKETS_AVX2 1
#include <immintrin.h>

/* The same reading on a CPU with AVX2 (asked once, at run time: the build
 * assumes SSE2 only), 32 bytes a step in one register. Each byte is
 * classed by two table lookups, on its low and its high four bits, whose
 * AND has one bit for each kind: ( 0x01, [ { 0x02, ) 0x04, ] } 0x08, `
 * 0x10 (when proving), - / 0x40, " # ' 0x80 (the kinds share no pair of
 * halves, so the AND makes none of another byte: + is 0x2b, ( 0x28, [
 * 0x5b). A third lookup on the bracket bits gives +1 or -1, added per
 * lane, folded every 127 steps and at a stop. Whether a step stops is
 * one test of its classes against the bits that stop (vptest). It stops
 * where the SSE2 one does (a quote, #, a - or / whose next byte can make a comment
 * with it, and ` when proving); the stop is lexed alike (lex_special),
 * and the last bytes are read as there. About a quarter of the SSE2
 * step's instructions (issue 8: this reading was most of what 3.2 did
 * more than 2.0). */
#define AP_T16(...) __VA_ARGS__, __VA_ARGS__
__attribute__((target("avx2,popcnt"))) static inline __attribute__((always_inline)) bool
balance_run_avx2(const char *bytes, size_t n, bool prove, int64_t *out)
{
    const unsigned char *u = (const unsigned char *)bytes;
    const __m256i lo_t = _mm256_setr_epi8(AP_T16(0x10 * prove, 0, (char)0x80, (char)0x80, 0, 0, 0, (char)0x80,
                                                 0x01, 0x04, 0, 0x02, 0, 0x48, 0, 0x40));
    const __m256i hi_t = _mm256_setr_epi8(AP_T16(0, 0, (char)0xc5, 0, 0, 0x0a, 0x10 * prove, 0x0a,
                                                 0, 0, 0, 0, 0, 0, 0, 0));
    const __m256i val_t = _mm256_setr_epi8(AP_T16(0, 1, 1, 0, -1, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0));
    const __m256i nib = _mm256_set1_epi8(0x0f), b07 = _mm256_set1_epi8(0x07), slash = _mm256_set1_epi8('/');
    const __m256i b80 = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    const __m256i b40 = _mm256_set1_epi8(0x40), always = _mm256_set1_epi8((char)(0x80 | 0x10 * prove));
    const __m256i star = _mm256_set1_epi8('*'), lf = _mm256_set1_epi8('\n');
    size_t i = 0;
    int64_t depth = 0;
    while (i < n) {
        if (i + 33 <= n) {
            /* i < end: the step's next byte (for - and /) is in the text */
            size_t end = n - 32;
            if (end - i > 127 * 32)
                end = i + 127 * 32;
            __m256i acc = zero, v = zero, stops;
            unsigned mx = 0;
            for (; i < end; i += 32) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(u + i));
                __m256i cls = _mm256_and_si256(
                    _mm256_shuffle_epi8(lo_t, x),
                    _mm256_shuffle_epi8(hi_t, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));
                /* the bits that stop here: " # ' (and `) always, - / where
                 * the next byte can make a comment with it; one test */
                __m256i next = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(u + i + 1)), b07);
                stops = _mm256_or_si256(_mm256_and_si256(_mm256_cmpeq_epi8(next, slash), b40), always);
                v = _mm256_shuffle_epi8(val_t, _mm256_and_si256(cls, nib));
                if (!_mm256_testz_si256(cls, stops)) {
                    stops = _mm256_and_si256(cls, stops);
                    mx = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(stops, zero));
                    break;
                }
                acc = _mm256_add_epi8(acc, v);
            }
            __m256i t = _mm256_sad_epu8(_mm256_xor_si256(acc, b80), zero);
            __m128i h = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
            depth += (int64_t)_mm_cvtsi128_si64(h) + _mm_cvtsi128_si64(_mm_srli_si128(h, 8)) - 32 * 128;
            if (!mx)
                continue;
            /* the brackets of the step before its stop */
            unsigned keep = (1u << __builtin_ctz(mx)) - 1;
            depth += (int64_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(v, zero)) & keep) -
                     __builtin_popcount((unsigned)_mm256_movemask_epi8(v) & keep);
            i += (size_t)__builtin_ctz(mx);
            /* a block comment (most stops in C): its close, and when
             * proving a line break before it, found here 32 bytes a step
             * as lex_special finds them (the close searched from the byte
             * after the star); left to it near the end. (i + 1 is in the
             * step: a / stops it only with a next byte.) */
            if (u[i] == '/' && u[i + 1] == '*') {
                size_t p = i + 2;
                bool closed = false;
                for (; p + 33 <= n; p += 32) {
                    __m256i x = _mm256_loadu_si256((const __m256i *)(u + p));
                    __m256i nx = _mm256_loadu_si256((const __m256i *)(u + p + 1));
                    unsigned close = (unsigned)_mm256_movemask_epi8(
                        _mm256_and_si256(_mm256_cmpeq_epi8(x, star), _mm256_cmpeq_epi8(nx, slash)));
                    unsigned brk = prove ? (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, lf)) : 0;
                    if (close | brk) {
                        /* a break first: not closed on its line */
                        if (brk && (!close || __builtin_ctz(brk) < __builtin_ctz(close)))
                            return false;
                        p += (size_t)__builtin_ctz(close) + 2;
                        closed = true;
                        break;
                    }
                }
                if (closed) {
                    i = p;
                    continue;
                }
            }
        } else {
            i = skip_plain(u, i, n);
            if (i == n)
                break;
        }
        if (!lex_special(bytes, n, prove, &i, &depth))
            return false;
    }
    *out = depth;
    return true;
}
#undef AP_T16

__attribute__((target("avx2,popcnt"))) static bool balance_prove_avx2(const char *bytes, size_t n, int64_t *out)
{
    return balance_run_avx2(bytes, n, true, out);
}

__attribute__((target("avx2,popcnt"))) static bool balance_count_avx2(const char *bytes, size_t n, int64_t *out)
{
    return balance_run_avx2(bytes, n, false, out);
}
#endif

static bool balance_prove(const char *bytes, size_t n, int64_t *out)
{
#ifdef AP_BRACKETS_AVX2
    if (ap_cpu_avx2())
        return balance_prove_avx2(bytes, n, out);
#endif
    return balance_run(bytes, n, true, out);
}

static int64_t run_balance(const char *bytes, size_t n)
{
    int64_t depth;
#ifdef AP_BRACKETS_AVX2
    if (ap_cpu_avx2()) {
        balance_count_avx2(bytes, n, &depth);
        return depth;
    }
#endif
    balance_run(bytes, n, false, &depth);
    return depth;
}

/* The balance of t and that its lines start in code, in one reading of
 * its bytes, when that can show it (no CR, no ` in code, every slash-star
 * in code closed on its line): the byte test (bytes_start_in_code) and
 * the count each read the whole text. Lexed as the count lexes, so a
 * slash-star in a string or a line comment, which the byte test refuses,
 * is none here. Nothing is set when it cannot. */
static void prove_and_count(ap_text *t)
{
    int64_t depth;
    if (t->balance_known || t->brackets || t->starts_in_code || memchr(t->bytes, '\r', t->len) ||
        !balance_prove(t->bytes + t->bom, t->len - t->bom, &depth))
        return;
    t->starts_in_code = 1;
    t->balance = depth;
    t->balance_known = true;
}

int64_t ap_brackets_balance(ap_text *t)
{
    if (t->brackets)
        return t->brackets->u[t->n];
    prove_and_count(t);
    if (!t->balance_known) {
        if (!starts_in_code(t) || memchr(t->bytes, '\r', t->len))
            return ap_brackets_text(t);
        t->balance = run_balance(t->bytes + t->bom, t->len - t->bom);
        t->balance_known = true;
    }
    return t->balance;
}

/* The balance of a text that replaces another (ap_text_follow): where the
 * other's lines all start in code and its balance was read, so do the new
 * one's and its balance is the other's less what the lines that went held
 * plus what the lines that came hold. Only those lines are read. */
bool ap_brackets_can_follow(const ap_text *now, const ap_text *before)
{
    return !now->balance_known && !now->brackets && !now->starts_in_code && before->balance_known;
}

void ap_brackets_follow(ap_text *now, const ap_text *before, size_t pre, size_t suf)
{
    const char *a = before->bytes, *b = now->bytes;
    size_t na = before->len, nb = now->len;
    /* widened to whole lines: back to the start of the first differing
     * line, on to the end of the last */
    size_t from = pre;
    while (from > 0 && a[from - 1] != '\n')
        from--;
    if (from < before->bom)
        return;
    /* the end after the first break inside the common suffix (a break just
     * before it need not be one in now), or the end of both */
    const char *e = memchr(a + na - suf, '\n', suf);
    size_t to_a = e ? (size_t)(e - a) + 1 : na;
    size_t to_b = to_a - na + nb;
    const char *came = b + from;
    size_t came_len = to_b - from;
    if (memchr(came, '\r', came_len) || !bytes_start_in_code(came, came_len))
        return;
    now->starts_in_code = 1;
    now->balance = before->balance - run_balance(a + from, to_a - from) + run_balance(came, came_len);
    now->balance_known = true;
}

bool ap_brackets_edits_delta(const ap_view *v, int64_t *delta)
{
    int64_t d = 0;
    for (uint32_t s = 0; s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        /* the removed lines start in code and the line after them too */
        ap_brackets gone = {0};
        for (uint32_t i = sp->a; i < sp->b; i++)
            ap_brackets_line(&gone, v->base->lines[i].s, v->base->lines[i].len);
        /* entered in code (what came before ends there); must end there,
         * or the base lines after it would read otherwise */
        ap_brackets in = {0};
        for (uint32_t k = 0; k < sp->n; k++)
            ap_brackets_line(&in, sp->lines[k].l.s, sp->lines[k].l.len);
        if (lex_of(&in) != LEX_CODE)
            return false;
        d += in.depth - gone.depth;
    }
    /* the edits' lines read as starting in code: so they do when every
     * base line does. When the edits change the balance, the caller asks
     * the base's next: the reading that shows it counts it too */
    if (d != 0)
        prove_and_count(v->base);
    if (!starts_in_code(v->base))
        return false;
    *delta = d;
    return true;
}

void ap_depth_walk_begin(ap_depth_walk *w, const ap_view *v)
{
    memset(w, 0, sizeof *w);
    w->v = v;
    w->map = map_of(v->base);
    w->p = ap_view_begin(v);
}

bool ap_depth_walk_at_end(const ap_depth_walk *w)
{
    return ap_view_at_end(w->v, w->p);
}

int64_t ap_depth_walk_depth(const ap_depth_walk *w)
{
    return w->b.depth - w->b.low; /* low <= 0: the walk starts at 0 */
}

void ap_depth_walk_next(ap_depth_walk *w)
{
    if (ap_view_at_end(w->v, w->p))
        return;
    step(w->v, w->map, w->p, &w->b);
    if (w->p.sp < 0) {
        /* the next base line, when no splice starts there: no search */
        const ap_view *v = w->v;
        uint32_t l = w->p.base + 1;
        while (w->next_sp < v->nsp && v->sp[w->next_sp].a < l)
            w->next_sp++;
        if (w->next_sp == v->nsp || v->sp[w->next_sp].a != l) {
            w->p = (ap_pos){l, -1, 0};
            return;
        }
    }
    w->p = ap_view_next(w->v, w->p);
}

/* The base lines from w->p on (while `more` says so), crossed by the map in
 * one loop while no splice starts: the walk's bulk. Returns false when it
 * cannot (not on a base line, no map, a state the map does not have). */
static bool walk_base(ap_depth_walk *w, uint64_t before_key, int64_t deeper_than, ap_pos *top)
{
    const ap_view *v = w->v;
    const struct ap_bracket_map *m = w->map;
    if (w->p.sp >= 0 || !m || w->p.base >= v->base->n || lex_of(&w->b) != m->lex[w->p.base])
        return false;
    while (w->next_sp < v->nsp && v->sp[w->next_sp].a <= w->p.base)
        w->next_sp++;
    uint32_t y = w->next_sp < v->nsp ? v->sp[w->next_sp].a : v->base->n;
    uint32_t l = w->p.base;
    int64_t off = w->b.depth - m->u[l], low = w->b.low;
    for (; l < y; l++) {
        int64_t u = m->u[l] + off;
        if (ap_pos_key((ap_pos){l, -1, 0}) >= before_key || u - low <= deeper_than)
            break;
        if (top && u == low)
            *top = (ap_pos){l, -1, 0};
        if (u + m->dip[l] < low)
            low = u + m->dip[l];
    }
    w->b.depth = m->u[l] + off;
    w->b.low = low;
    set_lex(&w->b, m->lex[l]);
    /* l is where the loop stopped, or the splice: ap_view_seek says which */
    w->p = l < y ? (ap_pos){l, -1, 0} : ap_view_seek(v, l);
    return true;
}

void ap_depth_walk_to(ap_depth_walk *w, ap_pos p, ap_pos *top)
{
    uint64_t k = ap_pos_key(p);
    if (ap_pos_key(w->p) > k)
        ap_depth_walk_begin(w, w->v);
    while (!ap_view_at_end(w->v, w->p) && ap_pos_key(w->p) < k) {
        uint32_t at = w->p.base;
        int32_t sp = w->p.sp;
        if (walk_base(w, k, -1, top) && (w->p.base != at || w->p.sp != sp))
            continue;
        if (top && ap_depth_walk_depth(w) == 0)
            *top = w->p;
        ap_depth_walk_next(w);
    }
}

void ap_depth_walk_while_deeper(ap_depth_walk *w, int64_t d)
{
    while (!ap_view_at_end(w->v, w->p) && ap_depth_walk_depth(w) > d) {
        uint32_t at = w->p.base;
        int32_t sp = w->p.sp;
        if (walk_base(w, UINT64_MAX, d, NULL) && (w->p.base != at || w->p.sp != sp))
            continue;
        ap_depth_walk_next(w);
    }
}
