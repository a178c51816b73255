/* hybrid.c - the 3.2 "soft start, strict tail" match (ap.md 3.6).
 *
 * A model quoting a block often adds or drops what carries no meaning in
 * front of its first line: indentation, a comment opener, a bullet, a diff
 * marker, list numbering ("# 1. First item" for "First item"). So the first
 * line of a 3.2 locator may stand at the end of a target line whose extra
 * front is only such decoration; every other line must match exactly. The
 * front must be decoration for a one-line locator (the spec's MUST:
 * "count = 0" never matches "self.count = 0") and, as the reference
 * patcher does, for a longer one too: a REPLACE would destroy "self." just
 * the same.
 *
 * Finding such lines fast: a line's soft key is the hash of its stripped
 * text without its decoration front. A target line that holds a pattern line
 * this way has the pattern line's soft key, so the lines to check are those
 * with the key; a text lists its decorated lines by key once, when a soft
 * search first needs it, or takes the list over from the text it was
 * rendered from (the twice check searches the rendered texts again: only
 * the lines a run wrote are asked anew). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* What the first byte of a decoration character says: 1, it is one (ASCII
 * white space, # / * > + - [ ] ( ) . digits); 2, it may start a multi-byte
 * one (a Unicode space, U+2022 bullet, U+00B7 middle dot); 0, it is none.
 * Most lines start with none, and are passed over by one lookup. */
static const unsigned char deco_first[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [' '] = 1,
    ['#'] = 1, ['/'] = 1, ['*'] = 1, ['>'] = 1, ['+'] = 1, ['-'] = 1,
    ['['] = 1, [']'] = 1, ['('] = 1, [')'] = 1, ['.'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [0xc2] = 2, [0xe1] = 2, [0xe2] = 2, [0xe3] = 2,
};

/* The length of the decoration character at s (Python's white space,
 * # / * > + - [ ] ( ) . digits, U+2022 bullet, U+00B7 middle dot), or 0. */
static size_t deco_char(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    unsigned char c = (unsigned char)s[0];
    if (deco_first[c] != 2)
        return deco_first[c];
    size_t w = ap_ws_len(s, n);
    if (w)
        return w;
    if (n >= 3 && c == 0xe2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0xa2)
        return 3;
    if (n >= 2 && c == 0xc2 && (unsigned char)s[1] == 0xb7)
        return 2;
    return 0;
}

/* ap_decoration_len from i on, past a byte that may start a multi-byte
 * character (apart: the common case below then saves no registers). */
static __attribute__((noinline)) size_t decoration_len_from(const char *s, size_t n, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t w;
    for (;;) {
        while (i < n && deco_first[u[i]] == 1)
            i++;
        if (i == n || deco_first[u[i]] == 0 || (w = deco_char(s + i, n - i)) == 0)
            return i;
        i += w;
    }
}

size_t ap_decoration_len(const char *s, size_t n)
{
    /* the one-byte characters by the table alone (a comment's opener, a
     * bullet, numbering): the rest of the rule only at a lead byte */
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && deco_first[u[i]] == 1)
        i++;
    if (i == n || deco_first[u[i]] == 0)
        return i;
    return decoration_len_from(s, n, i);
}

bool ap_soft_eq(const ap_line *target, const ap_line *pat)
{
    if (ap_line_eq(target, pat))
        return true;
    if (target->blank || pat->blank || target->s_len <= pat->s_len)
        return false;
    const char *t = target->s + target->s_off;
    size_t cut = target->s_len - pat->s_len;
    return memcmp(t + cut, pat->s + pat->s_off, pat->s_len) == 0 &&
           ap_decoration_len(t, cut) == cut;
}

uint64_t ap_soft_key(const ap_line *l)
{
    const char *s = l->s + l->s_off;
    size_t d = ap_decoration_len(s, l->s_len);
    /* the full hash, as the decorated lines' keys are (a line's own hash
     * is narrower) */
    return ap_hash(s + d, l->s_len - d);
}

typedef struct ap_deco_ref deco_ref;

static uint32_t deco_slot(uint64_t key, uint32_t mask)
{
    return (uint32_t)(key ^ (key >> 32)) & mask;
}

/* Line i of t, l, into refs when its stripped text starts with decoration
 * (a line of decoration alone too: a star and a comment's close hold the
 * close after a front, and both have the empty text's soft key). */
static inline void add_line(const ap_line *l, uint32_t i, deco_ref **refs, size_t *n, size_t *cap)
{
    size_t d = ap_decoration_len(l->s + l->s_off, l->s_len);
    if (d == 0)
        return;
    AP_GROW(*refs, *n, *cap);
    (*refs)[(*n)++] = (deco_ref){ap_hash(l->s + l->s_off + d, l->s_len - d), i};
}

static void add_if_decorated(const ap_text *t, uint32_t i, deco_ref **refs, size_t *n, size_t *cap)
{
    const ap_line *l = &t->lines[i];
    if (!l->blank && deco_first[(unsigned char)l->s[l->s_off]])
        add_line(l, i, refs, n, cap);
}

static void set_refs(ap_text *t, deco_ref *refs, size_t n)
{
    t->deco_refs = refs;
    t->n_deco = (uint32_t)n;
    t->deco_known = true;
}

/* Lists the decorated lines of t with their keys, in text order (once). */
static void list_decorated(ap_text *t)
{
    deco_ref *refs = NULL;
    size_t n = 0, cap = 0;
    /* the test of add_if_decorated over the records in one tight loop, by
     * pointer, unrolled (a pass over every line of every base a soft
     * search asks: the index arithmetic of t->lines[i] was a third of it,
     * the loop's test and the table's address a fifth; s_len 0 is a
     * blank line, whose s_off may stand at the text's end; a text without
     * records has lines NULL, and NULL + 0 is undefined) */
    if (t->n > 0) {
        const ap_line *first = t->lines, *end = first + t->n, *l = first;
        /* four records a step: the loop's own test and the table's address
         * (rematerialised after the call) once for the four */
        for (; end - l >= 4; l += 4)
            for (int k = 0; k < 4; k++)
                if (l[k].s_len != 0 && deco_first[(unsigned char)l[k].s[l[k].s_off]])
                    add_line(&l[k], (uint32_t)(l - first) + (uint32_t)k, &refs, &n, &cap);
        for (; l < end; l++)
            if (l->s_len != 0 && deco_first[(unsigned char)l->s[l->s_off]])
                add_line(l, (uint32_t)(l - first), &refs, &n, &cap);
    }
    set_refs(t, refs, n);
}

/* The first of refs[0, n) at or after line l, by halves. */
static size_t first_ref(const deco_ref *refs, size_t n, uint32_t l)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (refs[mid].line < l)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void ap_text_inherit_decorated(ap_text *t, const ap_text *src, const ap_line_run *runs, size_t n_runs)
{
    if (!src || !src->deco_known || t->deco_known)
        return;
    /* room for src's lines of every run at once (runs may go back in src,
     * so counted run by run), grown only by the lines split afresh */
    size_t cap = 0;
    for (size_t r = 0; r < n_runs; r++)
        cap += first_ref(src->deco_refs, src->n_deco, runs[r].src_line + runs[r].n) -
               first_ref(src->deco_refs, src->n_deco, runs[r].src_line);
    cap += 16;
    deco_ref *refs = ap_xmalloc(cap * sizeof *refs);
    size_t n = 0;
    uint32_t i = 0;
    for (size_t r = 0; r <= n_runs; r++) {
        /* the lines split afresh before the run (after the last: to the end) */
        uint32_t upto = r < n_runs ? runs[r].line : t->n;
        for (; i < upto; i++)
            add_if_decorated(t, i, &refs, &n, &cap);
        if (r == n_runs)
            break;
        /* src's decorated lines of the run, moved to where it landed */
        const ap_line_run *x = &runs[r];
        size_t j = first_ref(src->deco_refs, src->n_deco, x->src_line),
               e = first_ref(src->deco_refs, src->n_deco, x->src_line + x->n);
        if (cap - n < e - j) /* (the lines split afresh took the room) */
            refs = ap_xrealloc(refs, (cap = 2 * cap + (e - j)) * sizeof *refs);
        for (; j < e; j++)
            refs[n++] = (deco_ref){src->deco_refs[j].key, src->deco_refs[j].line - x->src_line + x->line};
        i = x->line + x->n;
    }
    set_refs(t, refs, n);
}

/* The decorated lines in slots of a table twice their number or more: each
 * slot's lines one run, ascending (they are put in text order). A slot may
 * hold lines of another key too; the search checks every line it is given
 * (ap_soft_eq), so a few more cost a comparison each and change nothing.
 * Sorting the keys instead cost as much as finding the lines (a radix sort
 * of a few hundred keys, eight passes). */
static void build_decorated(ap_text *t)
{
    if (!t->deco_known)
        list_decorated(t);
    const deco_ref *refs = t->deco_refs;
    size_t n = t->n_deco;
    uint32_t size = 1;
    while (size < 2 * n)
        size *= 2;
    uint32_t mask = size - 1;
    uint32_t *start = ap_xcalloc((size_t)size + 1, sizeof *start);
    for (size_t i = 0; i < n; i++)
        start[deco_slot(refs[i].key, mask) + 1]++;
    for (uint32_t k = 0; k < size; k++)
        start[k + 1] += start[k];
    uint32_t *fill = ap_xmalloc((size_t)size * sizeof *fill);
    memcpy(fill, start, (size_t)size * sizeof *fill);
    t->deco_lines = ap_xmalloc((n ? n : 1) * sizeof *t->deco_lines);
    for (size_t i = 0; i < n; i++)
        t->deco_lines[fill[deco_slot(refs[i].key, mask)]++] = refs[i].line;
    free(fill);
    t->deco_start = start;
    t->deco_mask = mask;
}

const uint32_t *ap_text_decorated(ap_text *t, uint64_t key, uint32_t *count)
{
    if (!t->deco_start)
        build_decorated(t);
    uint32_t k = deco_slot(key, t->deco_mask);
    *count = t->deco_start[k + 1] - t->deco_start[k];
    return t->deco_lines + t->deco_start[k];
}

void ap_text_inherit_decorated_lines(ap_text *t, const ap_text *base, const ap_line *const *lines,
                                     uint32_t n)
{
    /* (a base without line records, none or packed away, has no line a
     * view of it could point at) */
    if (!base || !base->lines || !base->deco_known || t->deco_known)
        return;
    ap_line_run *runs = NULL;
    uint32_t nr = 0, cap = 0;
    const ap_line *first = base->lines, *end = base->lines + base->n;
    for (uint32_t i = 0; i < n;) {
        if (lines[i] < first || lines[i] >= end) {
            i++;
            continue;
        }
        uint32_t at = i;
        while (++i < n && lines[i] == lines[i - 1] + 1 && lines[i] < end)
            ;
        AP_GROW(runs, nr, cap);
        runs[nr++] = (ap_line_run){at, (uint32_t)(lines[at] - first), i - at};
    }
    ap_text_inherit_decorated(t, base, runs, nr);
    free(runs);
}

void ap_text_inherit_decorated_view(ap_text *t, const ap_view *v)
{
    const ap_text *base = v->base;
    if (!base || !base->lines || !base->deco_known || t->deco_known)
        return;
    /* the base lines between the splices, where they stand in the view's
     * order: the copied runs, from the splices alone (a pass over the
     * joined lines, comparing each record with the one before, cost about
     * five instructions a line) */
    ap_line_run *runs = ap_xmalloc(((size_t)v->nsp + 1) * sizeof *runs);
    size_t nr = 0;
    uint32_t l = 0, at = 0;
    for (uint32_t s = 0; s < v->nsp; s++) {
        const ap_splice *sp = &v->sp[s];
        if (sp->a > l) {
            runs[nr++] = (ap_line_run){at, l, sp->a - l};
            at += sp->a - l;
            l = sp->a;
        }
        at += sp->n;
        if (sp->b > l)
            l = sp->b;
    }
    if (base->n > l)
        runs[nr++] = (ap_line_run){at, l, base->n - l};
    ap_text_inherit_decorated(t, base, runs, nr);
    free(runs);
}

/* The end of line i of t (after its break), or SIZE_MAX for a last line
 * without one (a line that may go on in the other text). */
static size_t line_end(const ap_text *t, uint32_t i)
{
    if (i + 1 < t->n)
        return (size_t)(t->lines[i + 1].s - t->bytes);
    return t->lines[i].eol ? t->len : SIZE_MAX;
}

void ap_decorated_follow(ap_text *now, const ap_text *before, size_t pre, size_t suf)
{
    /* lines split at the same bytes in both (the break is a text's own) */
    if (!before->deco_known || now->deco_known || ap_text_break(now) != ap_text_break(before))
        return;
    /* the lines of before that end (their break included) inside the
     * common first bytes: the same lines, at the same numbers, in now */
    uint32_t lo = 0, hi = before->n < now->n ? before->n : now->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (line_end(before, mid) <= pre)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t head = lo;
    /* the lines that start after a break inside the common last bytes: the
     * same lines, the last of both */
    size_t cut = before->len - suf;
    lo = head;
    hi = before->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t start = (size_t)(before->lines[mid].s - before->bytes);
        if (start > cut && start > before->bom)
            hi = mid;
        else
            lo = mid + 1;
    }
    uint32_t tail = before->n - lo;
    if (tail > now->n - head)
        tail = now->n - head;
    ap_line_run runs[2] = {{0, 0, head}, {now->n - tail, before->n - tail, tail}};
    ap_text_inherit_decorated(now, before, runs, 2);
}
