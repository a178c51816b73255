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

static uint32_t column(const ap_patch *p, uint32_t off)
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

static uint32_t line_no(const ap_view *v, ap_pos p)
{
    return (p.sp >= 0 ? v->sp[p.sp].a : p.base) + 1;
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
    uint32_t col = column(p, f->key.start);
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
            /* the text: the file's lines, indented relative to the first */
            const ap_line *first = ap_view_line(v, many->m[i].first);
            ap_buf val = AP_BUF_INIT;
            for (ap_pos r = many->m[i].first;; r = ap_view_next(v, r)) {
                const ap_line *l = ap_view_line(v, r);
                uint32_t cut = l->len >= first->s_off && memcmp(l->s, first->s, first->s_off) == 0
                                   ? first->s_off
                                   : l->s_off;
                if (!l->blank)
                    ap_buf_add(&val, l->s + cut, l->len - cut);
                ap_buf_addc(&val, '\n');
                if (ap_pos_key(r) >= ap_pos_key(q))
                    break;
            }
            /* 3.2: the value's lines themselves; 2.0: a literal block */
            char *block = v3 ? ap_xmemdup(val.s, val.len ? val.len - 1 : 0)
                             : ap_literal_block(name, val.s, val.len, col);
            ap_span span = v3 ? f->span : (ap_span){f->key.start, f->span.end};
            if (block)
                ap_problem_fix(pr, span, block,
                               "Extend %s by %u line%s to pick match %zu (line %u)", name,
                               ext.n - pat->n, ext.n - pat->n == 1 ? "" : "s", i + 1,
                               line_no(v, many->m[i].first));
            ap_buf_release(&val);
        }
        free(ext.lines);
        free(ext.nb);
    }
}

void ap_fix_literal(ap_problem *pr, const ap_patch *p, const ap_field *f, const char *name)
{
    char *block = ap_literal_block(name, f->value, f->len, column(p, f->key.start));
    if (block)
        ap_problem_fix(pr, (ap_span){f->key.start, f->span.end}, block,
                       "Turn '%s' into a literal block", name);
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
