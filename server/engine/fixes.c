/* fixes.c - repairs a problem can offer, as text replacements in the patch:
 * code in a literal block, an anchor that picks one of several matches, a
 * snippet lengthened until it is unique, and the patch cut down to the
 * modifications that still fail (to hand back to the model). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void spaces(ap_buf *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ap_buf_addc(b, ' ');
}

/* Can value be written as a literal block? (no control characters but tab) */
static bool literal_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            return false;
    }
    return true;
}

char *ap_literal_block(const char *name, const char *value, size_t len, uint32_t col)
{
    if (!literal_safe(value, len))
        return NULL;
    size_t trailing = 0;
    while (trailing < len && value[len - 1 - trailing] == '\n')
        trailing++;
    ap_buf b = AP_BUF_INIT;
    ap_buf_addf(&b, "%s: |", name);
    /* content starting with a space or tab needs the indentation said explicitly */
    size_t first = 0;
    while (first < len && value[first] == '\n')
        first++;
    if (first < len && (value[first] == ' ' || value[first] == '\t'))
        ap_buf_addc(&b, '2');
    ap_buf_adds(&b, trailing == 0 ? "-" : trailing == 1 ? "" : "+");
    size_t i = 0, body = len - (trailing ? 1 : 0);
    while (i < body || (i == body && trailing > 1 && i < len)) {
        size_t j = i;
        while (j < body && value[j] != '\n')
            j++;
        ap_buf_addc(&b, '\n');
        if (j > i) {
            spaces(&b, col + 2);
            ap_buf_add(&b, value + i, j - i);
        }
        if (j >= body)
            break;
        i = j + 1;
    }
    return ap_buf_detach(&b, NULL);
}

uint32_t ap_patch_column(const ap_patch *p, uint32_t off)
{
    uint32_t s = off;
    while (s > 0 && p->text[s - 1] != '\n' && p->text[s - 1] != '\r')
        s--;
    return off - s;
}

/* Is line l's stripped text found exactly once in v? */
static bool unique_line(const ap_view *v, const ap_line *l)
{
    ap_pattern one;
    memset(&one, 0, sizeof one);
    ap_line copy = *l;
    uint32_t idx = 0;
    one.lines = &copy;
    one.n_lines = 1;
    one.nb = &idx;
    one.n = 1;
    ap_matches all = {0};
    size_t n = ap_find_all(v, &one, ap_view_begin(v), 2, &all);
    ap_matches_release(&all);
    return n == 1;
}

/* The patch's 3.2 id as written (borrowed; *n bytes). */
static const char *patch_id(const ap_patch *p, size_t *n)
{
    *n = p->id.span.end - p->id.span.start;
    return p->text + p->id.span.start;
}

/* Can value stand as a 3.2 value, line for line? (no line a directive) */
static bool raw_value_ok(const ap_patch *p, const char *value, size_t len)
{
    size_t idn;
    const char *id = patch_id(p, &idn);
    for (size_t i = 0; i < len;) {
        const char *e = memchr(value + i, '\n', len - i);
        size_t n = e ? (size_t)(e - value) - i : len - i;
        if (idn > 0 && n >= idn && memcmp(value + i, id, idn) == 0 && (n == idn || value[i + idn] == ' '))
            return false;
        for (size_t k = 0; k < n; k++)
            if (value[i + k] == '\r')
                return false;
        i += n + 1;
    }
    return true;
}

char *ap_set_field(const ap_patch *p, const ap_field *f, const char *name, const char *value, size_t len,
                   ap_span *span)
{
    if (f->name)
        name = f->name;
    if (p->format == AP_FORMAT_2_0) {
        *span = (ap_span){f->key.start, f->span.end};
        return ap_literal_block(name, value, len, ap_patch_column(p, f->key.start));
    }
    /* 3.2: the value's lines as they are, over the value (after the
     * directive line when it had none) */
    while (len > 0 && value[len - 1] == '\n')
        len--;
    if (!raw_value_ok(p, value, len))
        return NULL;
    bool empty = f->span.start == f->span.end;
    *span = empty ? (ap_span){f->directive.end, f->directive.end} : f->span;
    ap_buf b = AP_BUF_INIT;
    if (empty)
        ap_buf_addc(&b, '\n');
    ap_buf_add(&b, value, len);
    return ap_buf_detach(&b, NULL);
}

char *ap_add_field(const ap_patch *p, const ap_field *after, uint32_t key_col, const char *name,
                   const char *value, size_t len, ap_span *span)
{
    *span = (ap_span){after->span.end, after->span.end};
    ap_buf b = AP_BUF_INIT;
    ap_buf_addc(&b, '\n');
    if (p->format == AP_FORMAT_2_0) {
        char *lit = ap_literal_block(name, value, len, key_col);
        if (!lit) {
            ap_buf_release(&b);
            return NULL;
        }
        spaces(&b, key_col);
        ap_buf_adds(&b, lit);
        free(lit);
        return ap_buf_detach(&b, NULL);
    }
    while (len > 0 && value[len - 1] == '\n')
        len--;
    if (!raw_value_ok(p, value, len)) {
        ap_buf_release(&b);
        return NULL;
    }
    size_t idn;
    const char *id = patch_id(p, &idn);
    ap_buf_add(&b, id, idn);
    ap_buf_addf(&b, " %s\n", name);
    ap_buf_add(&b, value, len);
    return ap_buf_detach(&b, NULL);
}

/* The lines an item of a block sequence takes: from its line's start to the
 * start of the line after its last. */
static ap_span item_lines(const ap_patch *p, ap_span s)
{
    uint32_t a = s.start;
    while (a > 0 && p->text[a - 1] != '\n' && p->text[a - 1] != '\r')
        a--;
    uint32_t e = s.end;
    bool at_line_start = e == 0 || p->text[e - 1] == '\n' || p->text[e - 1] == '\r';
    if (!at_line_start) {
        while (e < p->len && p->text[e] != '\n' && p->text[e] != '\r')
            e++;
        if (e < p->len && p->text[e] == '\r')
            e++;
        if (e < p->len && p->text[e] == '\n')
            e++;
    }
    return (ap_span){a, e};
}

void ap_fix_drop_field(ap_problem *pr, const ap_patch *p, const ap_field *f, const char *title)
{
    /* the lines of its key (3.2: its directive) and of its value; what
     * stays is the modification without it, preferred: it changes nothing
     * but where the search starts, which the caller checked */
    uint32_t from = p->format == AP_FORMAT_2_0 ? f->key.start : f->directive.start;
    ap_span s = item_lines(p, (ap_span){from, f->span.end > from ? f->span.end : from});
    if (p->format == AP_FORMAT_2_0 && memchr(p->text + s.start, '-', from - s.start)) {
        /* the item's first key, after its dash: the next key moves up */
        s.start = from;
        while (s.end < p->len && p->text[s.end] == ' ')
            s.end++;
    }
    ap_problem_fix(pr, s, ap_xstrdup(""), "%s", title)->preferred = true;
}

static uint32_t line_no(const ap_view *v, ap_pos p)
{
    return (p.sp >= 0 ? v->sp[p.sp].a : p.base) + 1;
}

void ap_add_rebased(ap_buf *b, const ap_line *l, const ap_line *first)
{
    uint32_t cut = l->len >= first->s_off && memcmp(l->s, first->s, first->s_off) == 0 ? first->s_off
                                                                                       : l->s_off;
    if (!l->blank)
        ap_buf_add(b, l->s + cut, l->len - cut);
    ap_buf_addc(b, '\n');
}

char *ap_block_value(const ap_view *v, ap_pos first, ap_pos last, size_t *len)
{
    const ap_line *fl = ap_view_line(v, first);
    ap_buf val = AP_BUF_INIT;
    for (ap_pos r = first;; r = ap_view_next(v, r)) {
        ap_add_rebased(&val, ap_view_line(v, r), fl);
        if (ap_pos_key(r) >= ap_pos_key(last) || ap_view_at_end(v, ap_view_next(v, r)))
            break;
    }
    return ap_buf_detach(&val, len);
}

#define MAX_FIX_MATCHES 5
#define ANCHOR_SEARCH_LINES 200
#define EXTEND_LINES 10

void ap_fixes_ambiguous(ap_problem *pr, const ap_patch *p, const ap_mod *m, const ap_view *v,
                        const ap_matches *many, const ap_pattern *pat)
{
    const ap_field *f = m->snippet.present ? &m->snippet : &m->start_snippet;
    const char *name = f->name ? f->name : m->snippet.present ? "snippet" : "start_snippet";
    bool v3 = p->format == AP_FORMAT_3_2;
    uint32_t col = ap_patch_column(p, f->key.start);
    size_t shown = many->n < MAX_FIX_MATCHES ? many->n : MAX_FIX_MATCHES;

    /* an anchor: the nearest unique line above the match, below the one before */
    for (size_t i = 0; i < shown && !m->anchor.present; i++) {
        ap_pos q = many->m[i].first;
        uint64_t stop = i > 0 ? ap_pos_key(many->m[i - 1].first) : 0;
        for (int steps = 0; steps < ANCHOR_SEARCH_LINES && ap_view_prev(v, q, &q); steps++) {
            if (i > 0 && ap_pos_key(q) < stop)
                break;
            const ap_line *l = ap_view_line(v, q);
            if (l->blank || !unique_line(v, l))
                continue;
            ap_buf b = AP_BUF_INIT;
            uint32_t at = f->key.start;
            if (v3) { /* a directive line of its own, before the snippet's */
                ap_buf_addf(&b, "%s anchor\n", p->id.is_string ? p->id.value : "");
                ap_buf_add(&b, l->s + l->s_off, l->s_len);
                ap_buf_addc(&b, '\n');
                at = f->directive.start;
            } else {
                ap_buf_adds(&b, "anchor: |\n");
                spaces(&b, col + 2);
                ap_buf_add(&b, l->s + l->s_off, l->s_len);
                ap_buf_addc(&b, '\n');
                spaces(&b, col);
            }
            ap_problem_fix(pr, (ap_span){at, at}, ap_buf_detach(&b, NULL),
                           "Add anchor '%.*s' to pick match %zu (line %u)", (int)(l->s_len > 60 ? 60 : l->s_len),
                           l->s + l->s_off, i + 1, line_no(v, many->m[i].first));
            break;
        }
    }

    /* a longer snippet: the match's own lines plus the ones after it */
    for (size_t i = 0; i < shown; i++) {
        ap_pattern ext;
        ext.soft = false;
        ext.n_lines = pat->n + EXTEND_LINES;
        ext.lines = ap_xmalloc(ext.n_lines * sizeof *ext.lines);
        ext.nb = ap_xmalloc(ext.n_lines * sizeof *ext.nb);
        ext.n = 0;
        for (uint32_t k = 0; k < pat->n; k++) {
            ext.lines[k] = *ap_pattern_at(pat, k);
            ext.nb[k] = k;
        }
        ext.n = pat->n;
        ap_pos q = many->m[i].last;
        bool unique = false;
        for (int add = 0; add < EXTEND_LINES; add++) {
            q = ap_view_skip_blank(v, ap_view_next(v, q));
            if (ap_view_at_end(v, q))
                break;
            ext.lines[ext.n] = *ap_view_line(v, q);
            ext.nb[ext.n] = ext.n;
            ext.n++;
            ap_matches all = {0};
            size_t n = ap_find_all(v, &ext, ap_view_begin(v), 2, &all);
            ap_matches_release(&all);
            if (n == 1) {
                unique = true;
                break;
            }
        }
        if (unique) {
            size_t len;
            char *val = ap_block_value(v, many->m[i].first, q, &len);
            /* 3.2: the value's lines themselves; 2.0: a literal block */
            char *block = v3 ? ap_xmemdup(val, len ? len - 1 : 0) : ap_literal_block(name, val, len, col);
            ap_span span = v3 ? f->span : (ap_span){f->key.start, f->span.end};
            if (block)
                ap_problem_fix(pr, span, block,
                               "Extend %s by %u line%s to pick match %zu (line %u)", name,
                               ext.n - pat->n, ext.n - pat->n == 1 ? "" : "s", i + 1,
                               line_no(v, many->m[i].first));
            free(val);
        }
        free(ext.lines);
        free(ext.nb);
    }
}

void ap_fix_literal(ap_problem *pr, const ap_patch *p, const ap_field *f, const char *name)
{
    char *block = ap_literal_block(name, f->value, f->len, ap_patch_column(p, f->key.start));
    /* the same value, written otherwise: safe to take blindly */
    if (block)
        ap_problem_fix(pr, (ap_span){f->key.start, f->span.end}, block,
                       "Turn '%s' into a literal block", name)->preferred = true;
}

char *ap_patch_keep(const ap_patch *p, const ap_run *run, bool (*keep)(const ap_mod_result *))
{
    /* the spans to cut, in text order */
    ap_span *cut = NULL;
    size_t n = 0, cap = 0;
    size_t kept_total = 0;
    for (size_t c = 0; c < p->n_changes; c++) {
        const ap_change *ch = &p->changes[c];
        size_t kept = 0;
        for (size_t m = 0; m < ch->n_mods; m++)
            kept += keep(&run->mods[c][m]);
        kept_total += kept;
        if (kept == 0) {
            AP_GROW(cut, n, cap);
            cut[n++] = item_lines(p, ch->span);
            continue;
        }
        for (size_t m = 0; m < ch->n_mods; m++) {
            if (keep(&run->mods[c][m]))
                continue;
            AP_GROW(cut, n, cap);
            cut[n++] = item_lines(p, ch->mods[m].span);
        }
    }
    if (kept_total == 0) {
        free(cut);
        return NULL;
    }
    ap_buf b = AP_BUF_INIT;
    uint32_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (cut[i].start < at)
            continue;
        ap_buf_add(&b, p->text + at, cut[i].start - at);
        at = cut[i].end;
    }
    ap_buf_add(&b, p->text + at, p->len - at);
    free(cut);
    return ap_buf_detach(&b, NULL);
}
