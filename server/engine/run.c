/* run.c - resolving a parsed patch against its targets (ap-2.0.md sections
 * 3, 4 and 7) and planning what applying it does.
 *
 * Order of work, so that nothing is read before every path is known safe:
 *   1. paths: every file_path is checked lexically and by the file provider
 *      (symbolic links), and changes naming one file are grouped (by its
 *      canonical path: two spellings of one file are one group);
 *   2. load: each target is read once (fs->load);
 *   3. resolve: the modifications of each file run in order on a view of it,
 *      each one searching the text the previous ones left.
 *
 * A modification ends in one of three states: it applies, it is already
 * applied (and changes nothing), or it fails. Failing ones do not stop the
 * run: every problem is reported, and the run is simply not ok. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The patterns of one modification. */
typedef struct mod_pats {
    ap_pattern anchor, snippet, end, content;
    bool has_anchor, has_end;
} mod_pats;

/* What resolving one modification found. */
typedef struct outcome {
    ap_mod_state state;
    ap_code code;
    const char *why;
    bool has_anchor, has_region;
    ap_match anchor, snip, end;
    ap_pos from, to;       /* the region [from, to), widened */
    ap_matches many;       /* AMBIGUOUS_*: every place */
    int fail_field;        /* 0 anchor, 1 snippet or start, 2 end */
} outcome;

/* A file's modifications by the lines of their snippets, for superseded():
 * (hash, index in the file's order) sorted by hash. Built on the first
 * failure, so a run without failures never pays for it. */
typedef struct line_ref {
    uint64_t hash;
    uint32_t order;
} line_ref;

typedef struct mod_index {
    bool built;
    struct {
        int ch, md;
    } *order;          /* the file's modifications, in order */
    uint32_t n_order;
    line_ref *all;     /* every line of every snippet */
    size_t n_all;
    line_ref *first;   /* the first line of each snippet */
    size_t n_first;
} mod_index;

typedef struct file_state {
    mod_index idx;
    ap_view view;
    bool exists;
    ap_eol eol;            /* newline asked by the last change naming it */
    int *changes;          /* the changes naming it, in order */
    size_t n_changes, cap_changes;
} file_state;

static void pats_init(mod_pats *mp, const ap_mod *m)
{
    memset(mp, 0, sizeof *mp);
    const ap_field *s = m->snippet.present ? &m->snippet : &m->start_snippet;
    if (m->anchor.present && m->anchor.is_string) {
        ap_pattern_init(&mp->anchor, m->anchor.value, m->anchor.len);
        mp->has_anchor = true;
    }
    if (s->present && s->is_string)
        ap_pattern_init(&mp->snippet, s->value, s->len);
    if (m->end_snippet.present && m->end_snippet.is_string) {
        ap_pattern_init(&mp->end, m->end_snippet.value, m->end_snippet.len);
        mp->has_end = true;
    }
    if (m->content.present && m->content.is_string)
        ap_pattern_init(&mp->content, m->content.value, m->content.len);
}

static void pats_release(mod_pats *mp)
{
    ap_pattern_release(&mp->anchor);
    ap_pattern_release(&mp->snippet);
    ap_pattern_release(&mp->end);
    ap_pattern_release(&mp->content);
}

/* ------------------------------------------------------- applied checks */

/* The content as the reference compares it: without its leading and trailing
 * blank lines, each line stripped (interior blank lines kept). */
static void content_block(const ap_pattern *c, uint32_t *first, uint32_t *end)
{
    if (c->n == 0) {
        *first = *end = 0;
        return;
    }
    *first = c->nb[0];
    *end = c->nb[c->n - 1] + 1;
}

static bool same_stripped(const ap_line *a, const ap_line *b)
{
    if (a->blank || b->blank)
        return a->blank && b->blank;
    return ap_line_eq(a, b);
}

/* Do the lines from p on (after blank lines) begin with the content block?
 * *edge (when given): the line after the block. */
static bool block_follows(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge)
{
    uint32_t i, end;
    content_block(c, &i, &end);
    p = ap_view_skip_blank(v, p);
    for (; i < end; i++) {
        if (ap_view_at_end(v, p) || !same_stripped(ap_view_line(v, p), &c->lines[i]))
            return false;
        p = ap_view_next(v, p);
    }
    if (edge)
        *edge = p;
    return true;
}

/* Do the lines before p (before blank lines) end with the content block?
 * *edge (when given): the block's first line. */
static bool block_precedes(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge)
{
    uint32_t first, i;
    content_block(c, &first, &i);
    if (edge)
        *edge = p;
    if (i == first)
        return true;
    /* skip blank lines upwards */
    ap_pos q = p;
    for (;;) {
        if (!ap_view_prev(v, q, &q))
            return false;
        if (!ap_view_line(v, q)->blank)
            break;
    }
    for (;;) {
        i--;
        if (!same_stripped(ap_view_line(v, q), &c->lines[i]))
            return false;
        if (i == first) {
            if (edge)
                *edge = q;
            return true;
        }
        if (!ap_view_prev(v, q, &q))
            return false;
    }
}

/* Does the region [first, last] (non-blank ends) equal the content block? */
static bool block_equals(const ap_view *v, ap_pos first, ap_pos last, const ap_pattern *c)
{
    uint32_t i, end;
    content_block(c, &i, &end);
    if (i == end)
        return false;
    ap_pos p = first;
    for (; i < end; i++) {
        if (ap_view_at_end(v, p) || !same_stripped(ap_view_line(v, p), &c->lines[i]))
            return false;
        if (i + 1 == end)
            return ap_pos_key(p) == ap_pos_key(last);
        if (ap_pos_key(p) >= ap_pos_key(last))
            return false;
        p = ap_view_next(v, p);
    }
    return false;
}

/* Is there a match of c that covers the lines [first, last]? */
static bool content_covers(const ap_view *v, const ap_pattern *c, ap_pos first, ap_pos last)
{
    if (c->n == 0)
        return false;
    ap_pos start = first;
    for (uint32_t i = 0; i + 1 < c->n; i++) {
        ap_pos q = start;
        bool moved = false;
        while (ap_view_prev(v, q, &q)) {
            if (!ap_view_line(v, q)->blank) {
                moved = true;
                break;
            }
        }
        if (!moved)
            break;
        start = q;
    }
    ap_match m;
    for (uint32_t tries = 0; tries < c->n && ap_find_first(v, c, start, &m); tries++) {
        if (ap_pos_key(m.first) > ap_pos_key(first))
            return false;
        if (ap_pos_key(m.last) >= ap_pos_key(last))
            return true;
        start = ap_view_next(v, m.first);
    }
    return false;
}

/* Is the content found in the search scope (after the anchor: anywhere;
 * without one: exactly once), as the reference checks a REPLACE? */
static bool content_in_scope(const ap_view *v, const ap_pattern *c, bool anchored, ap_pos scope)
{
    if (c->n == 0)
        return false;
    if (anchored) {
        ap_match m;
        return ap_find_first(v, c, scope, &m);
    }
    ap_matches all = {0};
    size_t n = ap_find_all(v, c, scope, 2, &all);
    ap_matches_release(&all);
    return n == 1;
}

/* Does the content match exactly once, and hold every match in ms? (A
 * REPLACE whose content repeats its snippet finds it twice once applied.) */
static bool content_holds(const ap_view *v, const ap_pattern *c, const ap_matches *ms)
{
    if (c->n == 0)
        return false;
    ap_matches all = {0};
    bool ok = ap_find_all(v, c, ap_view_begin(v), 2, &all) == 1;
    for (size_t i = 0; ok && i < ms->n; i++)
        ok = ap_pos_key(ms->m[i].first) >= ap_pos_key(all.m[0].first) &&
             ap_pos_key(ms->m[i].last) <= ap_pos_key(all.m[0].last);
    ap_matches_release(&all);
    return ok;
}

/* ------------------------------------------------------------ resolving */

static void fail(outcome *o, ap_code code, int field)
{
    o->state = AP_MOD_FAILED;
    o->code = code;
    o->fail_field = field;
}

static void already(outcome *o, const char *why)
{
    o->state = AP_MOD_ALREADY_APPLIED;
    o->why = why;
}

/* Resolves m on v without changing v. */
static void resolve(const ap_view *v, const ap_mod *m, const mod_pats *mp, outcome *o)
{
    memset(o, 0, sizeof *o);
    ap_pos scope = ap_view_begin(v);
    if (mp->has_anchor) {
        size_t n = ap_find_all(v, &mp->anchor, scope, 0, &o->many);
        if (n == 0)
            return fail(o, AP_ANCHOR_NOT_FOUND, 0);
        if (n > 1)
            return fail(o, AP_AMBIGUOUS_ANCHOR, 0);
        o->has_anchor = true;
        o->anchor = o->many.m[0];
        ap_matches_release(&o->many);
        scope = ap_view_next(v, o->anchor.last);
    }
    bool found;
    if (mp->has_anchor) {
        found = ap_find_first(v, &mp->snippet, scope, &o->snip);
    } else {
        size_t n = ap_find_all(v, &mp->snippet, scope, 0, &o->many);
        if (n > 1 && m->action == AP_REPLACE && content_holds(v, &mp->content, &o->many)) {
            ap_matches_release(&o->many);
            return already(o, "the content, which repeats the snippet, already stands here");
        }
        if (n > 1)
            return fail(o, AP_AMBIGUOUS_MATCH, 1);
        found = n == 1;
        if (found)
            o->snip = o->many.m[0];
        ap_matches_release(&o->many);
    }
    const ap_pattern *c = &mp->content;
    if (!found) {
        if (m->action == AP_DELETE)
            return already(o, "its text is gone: already deleted");
        if (m->action == AP_REPLACE && c->n == 0)
            return already(o, "its text is gone: already replaced with nothing");
        if (m->action == AP_REPLACE && content_in_scope(v, c, mp->has_anchor, scope))
            return already(o, "its text is gone and the content stands in its place");
        return fail(o, AP_SNIPPET_NOT_FOUND, 1);
    }
    ap_pos last = o->snip.last;
    if (mp->has_end) {
        /* A range replaced by content that keeps its first line (a function
         * replaced whole, its head kept): once applied, the start stands in
         * the content and the end is gone, or is another one further down. */
        if (m->action == AP_REPLACE && content_covers(v, c, o->snip.first, o->snip.last))
            return already(o, "the content already stands at the start of the range");
        if (!ap_find_first(v, &mp->end, ap_view_next(v, o->snip.last), &o->end))
            return fail(o, AP_END_SNIPPET_NOT_FOUND, 2);
        last = o->end.last;
    }
    o->has_region = true;
    o->from = o->snip.first;
    o->to = ap_view_next(v, last);
    for (uint32_t i = 0; i < m->lead; i++) {
        ap_pos q;
        if (!ap_view_prev(v, o->from, &q) || !ap_view_line(v, q)->blank)
            break;
        o->from = q;
    }
    for (uint32_t i = 0; i < m->trail; i++) {
        if (ap_view_at_end(v, o->to) || !ap_view_line(v, o->to)->blank)
            break;
        o->to = ap_view_next(v, o->to);
    }

    switch (m->action) {
    case AP_REPLACE:
        if (block_equals(v, o->snip.first, last, c))
            return already(o, "the text already equals the content");
        if (content_covers(v, c, o->snip.first, last))
            return already(o, "the content already stands here");
        if (mp->has_anchor && c->n > 0) {
            /* After the anchor the first match was replaced: a later copy of
             * the snippet is not this modification's (shared case 06). */
            ap_match cm;
            if (ap_find_first(v, c, scope, &cm) && ap_pos_key(cm.first) < ap_pos_key(o->snip.first))
                return already(o, "the content already follows the anchor, before this copy "
                                  "of the snippet");
        }
        break;
    case AP_INSERT_AFTER:
        if (c->n == 0)
            return already(o, "the content is empty: nothing to insert");
        if (block_follows(v, o->to, c, NULL))
            return already(o, "the content already follows the snippet");
        break;
    case AP_INSERT_BEFORE:
        if (c->n == 0)
            return already(o, "the content is empty: nothing to insert");
        if (block_precedes(v, o->from, c, NULL))
            return already(o, "the content already precedes the snippet");
        break;
    default:
        break;
    }
    o->state = AP_MOD_APPLIES;
}

/* Is small's non-blank run contained in big's? */
static bool run_within(const ap_pattern *big, const ap_pattern *small)
{
    if (small->n == 0 || small->n > big->n)
        return false;
    for (uint32_t i = 0; i + small->n <= big->n; i++) {
        uint32_t k = 0;
        while (k < small->n && ap_line_eq(ap_pattern_at(big, i + k), ap_pattern_at(small, k)))
            k++;
        if (k == small->n)
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ the run */

typedef struct run_ctx {
    ap_run *run;
    ap_fs *fs;
    const ap_patch *patch;
    file_state *fst;
    mod_pats **pats;      /* pats[change][mod], for the modifications that run */
    /* path -> file index (open addressing; index + 1, 0 is empty) */
    uint32_t *by_path;
    uint32_t by_path_mask;
} run_ctx;

static uint32_t *path_slot(run_ctx *x, const char *path)
{
    if ((x->run->n_files + 1) * 2 > x->by_path_mask) {
        uint32_t n = x->by_path_mask ? (x->by_path_mask + 1) * 2 : 64;
        free(x->by_path);
        x->by_path = ap_xcalloc(n, sizeof *x->by_path);
        x->by_path_mask = n - 1;
        for (size_t i = 0; i < x->run->n_files; i++) {
            const char *p = x->run->files[i].path;
            uint32_t j = (uint32_t)ap_hash(p, strlen(p)) & x->by_path_mask;
            while (x->by_path[j])
                j = (j + 1) & x->by_path_mask;
            x->by_path[j] = (uint32_t)i + 1;
        }
    }
    uint32_t j = (uint32_t)ap_hash(path, strlen(path)) & x->by_path_mask;
    while (x->by_path[j] && strcmp(x->run->files[x->by_path[j] - 1].path, path) != 0)
        j = (j + 1) & x->by_path_mask;
    return &x->by_path[j];
}

static bool selected(const ap_options *o, int ch, int md)
{
    return (o->only_change < 0 || o->only_change == ch) && (o->only_mod < 0 || o->only_mod == md);
}

static ap_problem *problem(ap_run *run, ap_code code, ap_severity sev, ap_span span, int ch, int md,
                           const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static ap_problem *problem(ap_run *run, ap_code code, ap_severity sev, ap_span span, int ch, int md,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ap_problem *p = ap_problem_addv(&run->problems, &run->n_problems, code, sev, span, ch, md, fmt, ap);
    va_end(ap);
    if (sev == AP_ERROR)
        run->ok = false;
    return p;
}

/* A line's stripped text, quoted for a message (at most 80 bytes). */
static char *quote_line(const ap_line *l)
{
    size_t n = l->s_len > 80 ? 80 : l->s_len;
    /* do not cut a UTF-8 sequence in half */
    while (n < l->s_len && n > 0 && ((unsigned char)l->s[l->s_off + n] & 0xc0) == 0x80)
        n--;
    return ap_xprintf("'%.*s%s'", (int)n, l->s + l->s_off, n < l->s_len ? "..." : "");
}

/* The span of line i of a code field (the whole value when unknown). */
static ap_span shifted(ap_span s, int64_t d)
{
    return (ap_span){(uint32_t)((int64_t)s.start + d), (uint32_t)((int64_t)s.end + d)};
}

static ap_span field_line_span(const ap_patch *p, const ap_field *f, uint32_t i)
{
    if (!f->line_at || i >= f->n_lines)
        return f->span;
    uint32_t s = f->line_at[i], e = s;
    while (e < p->len && p->text[e] != '\n' && p->text[e] != '\r')
        e++;
    return (ap_span){s, e};
}

static const ap_field *failing_field(const ap_mod *m, int field)
{
    if (field == 0)
        return &m->anchor;
    if (field == 2)
        return &m->end_snippet;
    return m->snippet.present ? &m->snippet : &m->start_snippet;
}

static const ap_pattern *failing_pattern(const mod_pats *mp, int field)
{
    return field == 0 ? &mp->anchor : field == 2 ? &mp->end : &mp->snippet;
}

static const char *field_word(const ap_mod *m, int field)
{
    if (field == 0)
        return "anchor";
    if (field == 2)
        return "end_snippet";
    return m->snippet.present ? "snippet" : "start_snippet";
}

static uint32_t human_line(const ap_view *v, ap_pos p)
{
    return (p.sp >= 0 ? v->sp[p.sp].a : p.base) + 1;
}

/* "its line 1 matches" / "its lines 1-3 match" (k lines) */
static const char *lines_phrase(uint32_t k)
{
    static char buf[48];
    if (k == 1)
        return "its line 1 matches";
    snprintf(buf, sizeof buf, "its lines 1-%u match", k);
    return buf;
}

/* "-42" when a match spans several file lines, "" when one */
static const char *range_tail(const ap_view *v, ap_match m)
{
    static char buf[24];
    uint32_t a = human_line(v, m.first), b = human_line(v, m.last);
    if (a == b)
        return "";
    snprintf(buf, sizeof buf, "-%u", b);
    return buf;
}

/* A DELETE whose text is gone is taken as done (ap-2.0.md section 4); when a
 * line much like its first one is still there, a typo is likelier. */
static void warn_gone(run_ctx *x, int fi, int ch, int md)
{
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const ap_view *v = &x->fst[fi].view;
    const ap_field *f = m->snippet.present ? &m->snippet : &m->start_snippet;
    ap_similar sim[1];
    if (ap_similar_lines(v, ap_pattern_at(&mp->snippet, 0), ap_view_begin(v), sim, 1) == 0 ||
        sim[0].score < 0.75)
        return;
    char *q = quote_line(ap_view_line(v, sim[0].pos));
    ap_problem *pr = problem(x->run, AP_SNIPPET_NOT_FOUND, AP_WARNING, f->span, ch, md,
                             "%s not found in %s, so it counts as already deleted; did you mean "
                             "line %u %s?",
                             m->snippet.present ? "snippet" : "start_snippet", x->run->files[fi].path,
                             human_line(v, sim[0].pos), q);
    ap_tspan t = ap_view_tspan(v, sim[0].pos, ap_view_next(v, sim[0].pos));
    ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "did you mean %s?", q);
    const ap_line *hl = ap_view_line(v, sim[0].pos);
    ap_problem_fix(pr, field_line_span(x->patch, f, mp->snippet.nb[0]),
                   ap_xmemdup(hl->s + hl->s_off, hl->s_len), "Replace snippet line 1 with %s", q);
    free(q);
}

/* Reports a failed modification: what, where, and what would help. */
static void report_failure(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    ap_run *run = x->run;
    const ap_patch *p = x->patch;
    const ap_mod *m = &p->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const ap_view *v = &x->fst[fi].view;
    const char *path = run->files[fi].path;
    const ap_field *f = failing_field(m, o->fail_field);
    const ap_pattern *pat = failing_pattern(mp, o->fail_field);
    const char *word = field_word(m, o->fail_field);
    ap_problem *pr;

    if (o->code == AP_AMBIGUOUS_ANCHOR || o->code == AP_AMBIGUOUS_MATCH) {
        /* the lines go in the message too: eglot shows no related places */
        ap_buf lines = AP_BUF_INIT;
        for (size_t i = 0; i < o->many.n && i < 5; i++)
            ap_buf_addf(&lines, "%s%u", i ? ", " : "", human_line(v, o->many.m[i].first));
        if (o->many.n > 5)
            ap_buf_adds(&lines, ", ...");
        pr = problem(run, o->code, AP_ERROR, f->span, ch, md,
                     "%s matches %zu places in %s (lines %s); %s", word, o->many.n, path, lines.s,
                     o->code == AP_AMBIGUOUS_MATCH ? "add an 'anchor' or lengthen the snippet"
                                                   : "lengthen the anchor");
        ap_buf_release(&lines);
        if (o->code == AP_AMBIGUOUS_MATCH)
            ap_fixes_ambiguous(pr, p, m, v, &o->many, pat);
        size_t shown = o->many.n > 100 ? 100 : o->many.n;
        for (size_t i = 0; i < shown; i++) {
            ap_tspan t = ap_view_tspan(v, o->many.m[i].first, ap_view_next(v, o->many.m[i].last));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "match %zu of %zu", i + 1, o->many.n);
        }
        return;
    }

    /* not found: how much of it does match, and what is closest */
    ap_pos scope = ap_view_begin(v);
    if (o->fail_field == 1 && o->has_anchor)
        scope = ap_view_next(v, o->anchor.last);
    if (o->fail_field == 2)
        scope = ap_view_next(v, o->snip.last);
    ap_match pre;
    uint32_t k = ap_find_prefix(v, pat, scope, &pre);
    const char *after = o->fail_field == 2 ? " after the start of the range"
                        : (o->fail_field == 1 && o->has_anchor) ? " after the anchor"
                                                                : "";
    if (k > 0 && k < pat->n) {
        ap_pos next = ap_view_skip_blank(v, ap_view_next(v, pre.last));
        uint32_t bad = pat->nb[k]; /* the value line that differs */
        char *want = quote_line(&pat->lines[bad]);
        ap_span at = field_line_span(p, f, bad);
        if (!ap_view_at_end(v, next)) {
            char *have = quote_line(ap_view_line(v, next));
            pr = problem(run, o->code, AP_ERROR, at, ch, md,
                         "%s not found in %s%s: %s %s:%u%s, but its line %u %s differs from line "
                         "%u %s",
                         word, path, after, lines_phrase(k), path, human_line(v, pre.first),
                         range_tail(v, pre), k + 1, want, human_line(v, next), have);
            ap_tspan t = ap_view_tspan(v, next, ap_view_next(v, next));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the file has %s here", have);
            const ap_line *hl = ap_view_line(v, next);
            ap_problem_fix(pr, at, ap_xmemdup(hl->s + hl->s_off, hl->s_len),
                           "Replace snippet line %u with %s", k + 1, have);
            free(have);
        } else {
            pr = problem(run, o->code, AP_ERROR, at, ch, md,
                         "%s not found in %s%s: %s %s:%u%s, but the file ends before its line %u %s",
                         word, path, after, lines_phrase(k), path, human_line(v, pre.first),
                         range_tail(v, pre), k + 1, want);
        }
        ap_tspan t = ap_view_tspan(v, pre.first, ap_view_next(v, pre.last));
        if (k == 1)
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the %s's first line matches here", word);
        else
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the %s's first %u lines match here", word, k);
        free(want);
        return;
    }
    /* no line of it leads anywhere: the lines closest to its first line */
    const ap_line *first = ap_pattern_at(pat, 0);
    ap_span at = k == 0 ? field_line_span(p, f, pat->nb[0]) : f->span;
    if (pat->n == 1)
        at = f->span;
    ap_similar sim[3];
    size_t ns = ap_similar_lines(v, first, scope, sim, 3);
    ap_buf msg = AP_BUF_INIT;
    ap_buf_addf(&msg, "%s not found in %s%s", word, path, after);
    if (ns > 0) {
        char *q = quote_line(ap_view_line(v, sim[0].pos));
        ap_buf_addf(&msg, "; closest line: %u %s", human_line(v, sim[0].pos), q);
        free(q);
    }
    pr = problem(run, o->code, AP_ERROR, at, ch, md, "%s", msg.s);
    ap_buf_release(&msg);
    for (size_t i = 0; i < ns; i++) {
        char *q = quote_line(ap_view_line(v, sim[i].pos));
        ap_tspan t = ap_view_tspan(v, sim[i].pos, ap_view_next(v, sim[i].pos));
        ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "did you mean %s? (%.0f%% alike)", q,
                          sim[i].score * 100);
        const ap_line *hl = ap_view_line(v, sim[i].pos);
        ap_problem_fix(pr, field_line_span(p, f, pat->nb[0]), ap_xmemdup(hl->s + hl->s_off, hl->s_len),
                       "Replace %s line 1 with %s", word, q);
        free(q);
    }
    if (o->has_anchor && o->fail_field != 0) {
        ap_tspan t = ap_view_tspan(v, o->anchor.first, ap_view_next(v, o->anchor.last));
        ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the anchor matches here");
    }
}

/* Builds the lines a modification inserts: content, each line indented like
 * the region's first non-blank line. */
static ap_nline *indented_lines(const ap_pattern *c, const ap_line *like, int ch, int md,
                                bool raw, ap_buf *store, uint32_t *n)
{
    uint32_t indent = raw ? 0 : like->s_off;
    *n = c->n_lines;
    if (!*n)
        return NULL;
    ap_nline *out = ap_xcalloc(*n, sizeof *out);
    size_t *offs = ap_xmalloc(*n * sizeof *offs);
    for (uint32_t i = 0; i < *n; i++) {
        offs[i] = store->len;
        ap_buf_add(store, like->s, indent);
        ap_buf_add(store, c->lines[i].s, c->lines[i].len);
    }
    for (uint32_t i = 0; i < *n; i++) {
        size_t end = i + 1 < *n ? offs[i + 1] : store->len;
        /* inserted text always ends with a line break (CREATE_FILE keeps the
         * content's own last line as it is) */
        uint8_t eol = raw ? c->lines[i].eol : AP_EOL_LF;
        ap_line_init(&out[i].l, store->s + offs[i], (uint32_t)(end - offs[i]), eol);
        out[i].change = ch;
        out[i].mod = md;
    }
    free(offs);
    return out;
}

static char *region_text(const ap_view *v, ap_pos from, ap_pos to)
{
    ap_buf b = AP_BUF_INIT;
    for (ap_pos p = from; ap_pos_key(p) < ap_pos_key(to) && !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        ap_buf_add(&b, l->s, l->len);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, NULL);
}

static char *lines_text(const ap_nline *lines, uint32_t n)
{
    ap_buf b = AP_BUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        ap_buf_add(&b, lines[i].l.s, lines[i].l.len);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, NULL);
}

/* Makes the edit a resolved modification stands for; returns the lines it
 * puts in (malloc'd text, for hovers). */
static char *apply_outcome(ap_view *v, const ap_mod *m, const mod_pats *mp, int ch, int md,
                           const outcome *o)
{
    ap_buf store = AP_BUF_INIT;
    uint32_t n = 0;
    ap_nline *lines = NULL;
    if (m->action != AP_DELETE)
        lines = indented_lines(&mp->content, ap_view_line(v, o->snip.first), ch, md, false, &store, &n);
    char *after = lines_text(lines, n);
    switch (m->action) {
    case AP_REPLACE:
    case AP_DELETE:
        ap_view_replace(v, o->from, o->to, lines, n);
        break;
    case AP_INSERT_BEFORE:
        ap_view_replace(v, o->from, o->from, lines, n);
        break;
    case AP_INSERT_AFTER:
        ap_view_replace(v, o->to, o->to, lines, n);
        break;
    default:
        break;
    }
    free(lines);
    ap_buf_release(&store);
    return after;
}

/* Do two views hold the same text as CREATE_FILE compares it: stripped
 * lines, leading and trailing blank lines ignored? */
static bool views_same(const ap_view *a, const ap_view *b)
{
    ap_pos p = ap_view_skip_blank(a, ap_view_begin(a)), q = ap_view_skip_blank(b, ap_view_begin(b));
    for (;;) {
        bool ea = ap_view_at_end(a, ap_view_skip_blank(a, p)), eb = ap_view_at_end(b, ap_view_skip_blank(b, q));
        if (ea || eb)
            return ea && eb;
        if (ap_view_at_end(a, p) || ap_view_at_end(b, q) ||
            !same_stripped(ap_view_line(a, p), ap_view_line(b, q)))
            return false;
        p = ap_view_next(a, p);
        q = ap_view_next(b, q);
    }
}

/* Is the file as this change would make it (the content, then the change's
 * later modifications) what the view holds? Then CREATE_FILE was applied. */
static bool created_here(run_ctx *x, int fi, int ch, int md, const ap_view *existing)
{
    const mod_pats *mp = &x->pats[ch][md];
    const file_state *fs = &x->fst[fi];
    ap_text *empty = ap_text_new("", 0);
    ap_view scratch;
    ap_view_init(&scratch, empty);
    ap_text_release(empty);
    ap_buf store = AP_BUF_INIT;
    uint32_t n;
    ap_line none = {0};
    none.s = "";
    ap_nline *lines = indented_lines(&mp->content, &none, ch, md, true, &store, &n);
    ap_view_replace(&scratch, ap_view_begin(&scratch), ap_view_end(&scratch), lines, n);
    free(lines);
    ap_buf_release(&store);
    bool ok = true;
    /* the later modifications of this change, and of later changes naming
     * the same file */
    for (size_t k = 0; k < fs->n_changes && ok; k++) {
        int c2 = fs->changes[k];
        if (c2 < ch || !x->pats[c2])
            continue;
        const ap_change *c = &x->patch->changes[c2];
        for (size_t j = (c2 == ch ? (size_t)md + 1 : 0); j < c->n_mods && ok; j++) {
            if (!c->mods[j].ok || c->mods[j].action == AP_CREATE_FILE)
                continue;
            outcome o;
            resolve(&scratch, &c->mods[j], &x->pats[c2][j], &o);
            ap_matches_release(&o.many);
            if (o.state == AP_MOD_FAILED)
                ok = false;
            else if (o.state == AP_MOD_APPLIES)
                free(apply_outcome(&scratch, &c->mods[j], &x->pats[c2][j], c2, (int)j, &o));
        }
    }
    ok = ok && views_same(&scratch, existing);
    ap_view_release(&scratch);
    return ok;
}

/* CREATE_FILE: write the file, or recognise it written. */
static void run_create(run_ctx *x, int fi, int ch, int md, ap_mod_result *r)
{
    file_state *fs = &x->fst[fi];
    const mod_pats *mp = &x->pats[ch][md];
    ap_view *v = &fs->view;
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    if (fs->exists || v->changed) {
        /* compare as the reference does: stripped lines, outer blanks dropped */
        ap_pos first = ap_view_skip_blank(v, ap_view_begin(v));
        bool same = mp->content.n == 0 ? ap_view_at_end(v, first)
                                       : block_follows(v, first, &mp->content, NULL);
        if (same) {
            ap_pos rest = first;
            uint32_t i, end;
            content_block(&mp->content, &i, &end);
            for (; i < end; i++)
                rest = ap_view_next(v, rest);
            same = ap_view_at_end(v, ap_view_skip_blank(v, rest));
        }
        if (same) {
            r->state = AP_MOD_ALREADY_APPLIED;
            r->why = "the file exists with this content";
            return;
        }
        if (created_here(x, fi, ch, md, v)) {
            r->state = AP_MOD_ALREADY_APPLIED;
            r->why = "the file exists as this change makes it";
            return;
        }
        r->state = AP_MOD_FAILED;
        r->code = AP_FILE_EXISTS;
        problem(x->run, AP_FILE_EXISTS, AP_ERROR, m->action_f.span, ch, md,
                "CREATE_FILE: %s exists with other content; apls will not overwrite it",
                x->run->files[fi].path);
        return;
    }
    ap_buf store = AP_BUF_INIT;
    uint32_t n;
    ap_line none = {0};
    none.s = "";
    ap_nline *lines = indented_lines(&mp->content, &none, ch, md, true, &store, &n);
    ap_view_replace(v, ap_view_begin(v), ap_view_end(v), lines, n);
    v->changed = true;
    r->state = AP_MOD_APPLIES;
    r->after = lines_text(lines, n);
    free(lines);
    ap_buf_release(&store);
}

/* A later modification of this file that replaced the text this one looks
 * for, and is itself applied, means this one was applied before it (shared
 * case 18 applied twice). So does a later one, applied, that looks for the
 * text this one wrote (x = 1 -> x = 2, then x = 2 -> x = 3). */
static int by_hash(const void *a, const void *b)
{
    const line_ref *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void index_build(run_ctx *x, file_state *fs)
{
    mod_index *ix = &fs->idx;
    ix->built = true;
    size_t cap_all = 0, cap_first = 0, cap_order = 0;
    for (size_t ci = 0; ci < fs->n_changes; ci++) {
        int c2 = fs->changes[ci];
        const ap_change *c = &x->patch->changes[c2];
        for (size_t j = 0; j < c->n_mods; j++) {
            AP_GROW(ix->order, ix->n_order, cap_order);
            uint32_t k = ix->n_order++;
            ix->order[k].ch = c2;
            ix->order[k].md = (int)j;
            if (!x->pats[c2] || !c->mods[j].ok || c->mods[j].action == AP_CREATE_FILE)
                continue;
            const ap_pattern *sn = &x->pats[c2][j].snippet;
            for (uint32_t l = 0; l < sn->n; l++) {
                AP_GROW(ix->all, ix->n_all, cap_all);
                ix->all[ix->n_all++] = (line_ref){ap_pattern_at(sn, l)->hash, k};
            }
            if (sn->n) {
                AP_GROW(ix->first, ix->n_first, cap_first);
                ix->first[ix->n_first++] = (line_ref){ap_pattern_at(sn, 0)->hash, k};
            }
        }
    }
    if (ix->n_all > 1) /* (qsort of NULL is undefined, even for 0 items) */
        qsort(ix->all, ix->n_all, sizeof *ix->all, by_hash);
    if (ix->n_first > 1)
        qsort(ix->first, ix->n_first, sizeof *ix->first, by_hash);
}

/* The entries of refs[0..n) with hash h: *count of them. */
static const line_ref *bucket(const line_ref *refs, size_t n, uint64_t h, size_t *count)
{
    *count = 0;
    if (n == 0)
        return NULL;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (refs[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t e = lo;
    while (e < n && refs[e].hash == h)
        e++;
    *count = e - lo;
    return refs + lo;
}

/* Adds to *out the later modifications whose snippet may hold the run p
 * (they hold its rarest line) or be held by it (p holds their first line). */
static void candidates_for(const mod_index *ix, const ap_pattern *p, uint32_t after, uint32_t **out,
                           size_t *n, size_t *cap)
{
    if (p->n == 0)
        return;
    size_t best = SIZE_MAX, cnt;
    const line_ref *rare = NULL;
    for (uint32_t l = 0; l < p->n; l++) {
        const line_ref *b = bucket(ix->all, ix->n_all, ap_pattern_at(p, l)->hash, &cnt);
        if (cnt < best)
            best = cnt, rare = b;
    }
    for (size_t i = 0; rare && i < best; i++)
        if (rare[i].order > after) {
            AP_GROW(*out, *n, *cap);
            (*out)[(*n)++] = rare[i].order;
        }
    for (uint32_t l = 0; l < p->n; l++) {
        const line_ref *b = bucket(ix->first, ix->n_first, ap_pattern_at(p, l)->hash, &cnt);
        for (size_t i = 0; i < cnt; i++)
            if (b[i].order > after) {
                AP_GROW(*out, *n, *cap);
                (*out)[(*n)++] = b[i].order;
            }
    }
}

static int by_order(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool superseded(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    const mod_pats *mp = &x->pats[ch][md];
    const ap_pattern *want = failing_pattern(mp, o->fail_field);
    const ap_view *v = &x->fst[fi].view;
    file_state *fs = &x->fst[fi];
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    if (!fs->idx.built)
        index_build(x, fs);
    uint32_t me = 0;
    while (me < fs->idx.n_order && !(fs->idx.order[me].ch == ch && fs->idx.order[me].md == md))
        me++;
    /* the later modifications worth a look, in order, each once */
    uint32_t *cand = NULL;
    size_t nc = 0, cap = 0;
    candidates_for(&fs->idx, want, me, &cand, &nc, &cap);
    candidates_for(&fs->idx, &mp->content, me, &cand, &nc, &cap);
    if (nc > 1)
        qsort(cand, nc, sizeof *cand, by_order);
    bool result = false;
    for (size_t i = 0; i < nc && !result; i++) {
        if (i > 0 && cand[i] == cand[i - 1])
            continue;
        int c2 = fs->idx.order[cand[i]].ch;
        size_t j = (size_t)fs->idx.order[cand[i]].md;
        const ap_change *c = &x->patch->changes[c2];
        {
            const mod_pats *later = &x->pats[c2][j];
            bool consumed = run_within(&later->snippet, &mp->content) ||
                            run_within(&mp->content, &later->snippet);
            if (!consumed && !run_within(&later->snippet, want) && !run_within(want, &later->snippet))
                continue;
            outcome lo;
            resolve(v, &c->mods[j], later, &lo);
            ap_matches_release(&lo.many);
            if (lo.state != AP_MOD_ALREADY_APPLIED)
                continue;
            ap_match cm;
            result = consumed || m->action == AP_DELETE || mp->content.n == 0 ||
                     ap_find_first(v, &mp->content, ap_view_begin(v), &cm);
            break;
        }
    }
    free(cand);
    return result;
}

/* Several INSERT_* at one place: a later one's content lands between the
 * place and an earlier one's (INSERT_AFTER), or between an earlier one's and
 * the place (INSERT_BEFORE). Applied, an earlier one finds its content there
 * behind the later ones' contents, each of them standing where its own
 * modification puts it. */
static bool behind_later_inserts(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    file_state *fs = &x->fst[fi];
    const ap_view *v = &fs->view;
    bool after = m->action == AP_INSERT_AFTER;
    ap_pos place = after ? o->to : o->from, p = place;
    for (;;) {
        /* the line a later content must begin (after) or end (before) with */
        ap_pos nb = ap_view_skip_blank(v, p);
        if (!after) {
            nb = p;
            do {
                if (!ap_view_prev(v, nb, &nb))
                    return false;
            } while (ap_view_line(v, nb)->blank);
        } else if (ap_view_at_end(v, nb)) {
            return false;
        }
        uint64_t h = ap_view_line(v, nb)->hash;
        bool moved = false;
        for (size_t ci = 0; ci < fs->n_changes && !moved; ci++) {
            int c2 = fs->changes[ci];
            if (c2 < ch || !x->pats[c2])
                continue;
            const ap_change *c = &x->patch->changes[c2];
            for (size_t j = (c2 == ch ? (size_t)md + 1 : 0); j < c->n_mods && !moved; j++) {
                const ap_mod *mj = &c->mods[j];
                const mod_pats *later = &x->pats[c2][j];
                if (!mj->ok || (mj->action != AP_INSERT_AFTER && mj->action != AP_INSERT_BEFORE) ||
                    later->content.n == 0 ||
                    ap_pattern_at(&later->content, after ? 0 : later->content.n - 1)->hash != h)
                    continue;
                ap_pos q;
                if (after ? !block_follows(v, p, &later->content, &q)
                          : !block_precedes(v, p, &later->content, &q))
                    continue;
                outcome lo;
                resolve(v, mj, later, &lo);
                ap_matches_release(&lo.many);
                if (!lo.has_region)
                    continue;
                /* the same kind inserts at this place; the other kind right
                 * beyond the block */
                bool j_after = mj->action == AP_INSERT_AFTER;
                ap_pos at = j_after ? lo.to : lo.from;
                if (ap_pos_key(at) != ap_pos_key(j_after == after ? place : q))
                    continue;
                p = q;
                moved = true;
            }
        }
        if (!moved)
            return false;
        if (after ? block_follows(v, p, &mp->content, NULL) : block_precedes(v, p, &mp->content, NULL))
            return true;
    }
}

static void run_mod(run_ctx *x, int fi, int ch, int md)
{
    ap_run *run = x->run;
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    ap_mod_result *r = &run->mods[ch][md];
    file_state *fs = &x->fst[fi];
    ap_view *v = &fs->view;
    r->file = fi;
    if (m->action == AP_CREATE_FILE)
        return run_create(x, fi, ch, md, r);
    const mod_pats *mp = &x->pats[ch][md];
    outcome o;
    resolve(v, m, mp, &o);
    if (o.state == AP_MOD_FAILED && o.code != AP_AMBIGUOUS_ANCHOR && o.code != AP_AMBIGUOUS_MATCH &&
        superseded(x, fi, ch, md, &o)) {
        o.state = AP_MOD_ALREADY_APPLIED;
        o.why = "a later modification already replaced its text";
    }
    if (o.state == AP_MOD_APPLIES && (m->action == AP_INSERT_AFTER || m->action == AP_INSERT_BEFORE) &&
        behind_later_inserts(x, fi, ch, md, &o)) {
        o.state = AP_MOD_ALREADY_APPLIED;
        o.why = "the content already stands here, behind what later modifications inserted";
    }
    r->state = o.state;
    r->code = o.code;
    r->why = o.why;
    r->has_anchor = o.has_anchor;
    if (o.has_anchor)
        r->anchor = ap_view_tspan(v, o.anchor.first, ap_view_next(v, o.anchor.last));
    if (o.has_region) {
        r->has_region = true;
        r->region = ap_view_tspan(v, o.from, o.to);
    }
    if (o.state == AP_MOD_FAILED) {
        report_failure(x, fi, ch, md, &o);
        ap_matches_release(&o.many);
        return;
    }
    ap_matches_release(&o.many);
    if (o.state == AP_MOD_ALREADY_APPLIED && !o.has_region && m->action == AP_DELETE)
        warn_gone(x, fi, ch, md);
    if (o.state != AP_MOD_APPLIES)
        return;

    r->before = region_text(v, o.from, o.to);
    r->after = apply_outcome(v, m, mp, ch, md, &o);
}

/* Change ch joins the group of file i. */
static int join_group(run_ctx *x, size_t i, int ch)
{
    file_state *fs = &x->fst[i];
    AP_GROW(fs->changes, fs->n_changes, fs->cap_changes);
    fs->changes[fs->n_changes++] = ch;
    if (x->patch->changes[ch].eol)
        fs->eol = x->patch->changes[ch].eol;
    return (int)i;
}

/* Path checks and grouping: returns the file index of change ch, or -1. */
static int place_change(run_ctx *x, int ch)
{
    ap_run *run = x->run;
    const ap_change *c = &x->patch->changes[ch];
    const char *why = NULL;
    char *norm = ap_path_normalize(c->file_path.value, c->file_path.len, &why);
    if (!norm) {
        problem(run, AP_INVALID_FILE_PATH, AP_ERROR, c->file_path.span, ch, -1, "invalid file_path: %s",
                why);
        return -1;
    }
    uint32_t *slot = path_slot(x, norm);
    if (*slot) {
        free(norm);
        return join_group(x, *slot - 1, ch);
    }
    char *fwhy = NULL;
    if (x->fs->check_path(x->fs, norm, &fwhy) != AP_OK) {
        problem(run, AP_INVALID_FILE_PATH, AP_ERROR, c->file_path.span, ch, -1,
                "invalid file_path: %s", fwhy ? fwhy : "it leaves the root");
        free(fwhy);
        free(norm);
        return -1;
    }
    /* another spelling of a file already named (a symlinked folder, a hard
     * link): the same group, under the canonical path */
    char *canon = x->fs->canonical ? x->fs->canonical(x->fs, norm) : NULL;
    if (canon) {
        free(norm);
        norm = canon;
        slot = path_slot(x, norm);
        if (*slot) {
            free(norm);
            return join_group(x, *slot - 1, ch);
        }
    }
    size_t i = run->n_files++;
    *slot = (uint32_t)i + 1;
    run->files = ap_xrealloc(run->files, run->n_files * sizeof *run->files);
    x->fst = ap_xrealloc(x->fst, run->n_files * sizeof *x->fst);
    memset(&run->files[i], 0, sizeof run->files[i]);
    memset(&x->fst[i], 0, sizeof x->fst[i]);
    run->files[i].path = norm;
    run->files[i].first_change = ch;
    file_state *fs = &x->fst[i];
    AP_GROW(fs->changes, fs->n_changes, fs->cap_changes);
    fs->changes[fs->n_changes++] = ch;
    fs->eol = c->eol;
    return (int)i;
}

/* Reads file i, or reports why it cannot be. */
static bool load_file(run_ctx *x, size_t i)
{
    ap_run *run = x->run;
    ap_file *f = &run->files[i];
    file_state *fs = &x->fst[i];
    const ap_change *c = &x->patch->changes[f->first_change];
    bool creates = c->n_mods > 0 && c->mods[0].action == AP_CREATE_FILE;
    ap_text *t = NULL;
    char *why = NULL;
    ap_code code = x->fs->load(x->fs, f->path, &t, &why);
    if (code == AP_OK) {
        f->before = t;
        fs->exists = true;
        ap_view_init(&fs->view, t);
        free(why);
        return true;
    }
    if (code == AP_FILE_NOT_FOUND && creates) {
        ap_text *empty = ap_text_new("", 0);
        ap_view_init(&fs->view, empty);
        ap_text_release(empty);
        free(why);
        return true;
    }
    if (code == AP_FILE_NOT_FOUND)
        problem(run, code, AP_ERROR, c->file_path.span, f->first_change, -1,
                "%s does not exist%s", f->path, why ? why : "");
    else
        problem(run, code, AP_ERROR, c->file_path.span, f->first_change, -1, "%s: %s", f->path,
                why ? why : "cannot be read");
    free(why);
    f->status = AP_FILE_FAILED;
    return false;
}

/* ---------------------------------------------------------- reusing */

/* A file group of the previous run whose inputs are byte for byte those of a
 * group of this run gives its results over instead of being resolved again:
 * the same target text (the same object: providers hand out one per content
 * version), the same options, and changes whose text is identical. Only the
 * patch positions move, by how far each change moved. */
typedef struct reuse_map {
    ap_run *prev;
    int *new_change_of;   /* prev change -> new change, or -1 */
    int *new_file_of;     /* prev file -> new file, or -1 */
    int64_t *shift;       /* prev change -> how far its text moved */
} reuse_map;

static int by_path_cmp(const void *a, const void *b)
{
    const ap_file *const *x = a, *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

/* What besides its text decides how a change resolves: whether it and each
 * of its modifications are well-formed (a YAML error elsewhere can cut a
 * change off without changing a byte of it). */
static uint64_t change_flags(const ap_change *c)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (c->ok + 1) ^ c->n_mods;
    for (size_t m = 0; m < c->n_mods; m++)
        h = (h * 0x100000001b3ull) ^ (uint64_t)(c->mods[m].ok + 2 * c->mods[m].action);
    return h;
}

static bool reusable(const run_ctx *x, size_t i, const ap_run *prev, const ap_file *pf)
{
    const ap_file *f = &x->run->files[i];
    const file_state *st = &x->fst[i];
    if (!pf->view || !f->before || f->before != pf->before || st->n_changes != pf->n_changes ||
        f->eol != pf->eol || x->run->opts.trailing_ws != prev->opts.trailing_ws ||
        x->run->opts.only_change >= 0 || prev->opts.only_change >= 0)
        return false;
    for (size_t k = 0; k < st->n_changes; k++) {
        const ap_change *c = &x->patch->changes[st->changes[k]];
        const ap_change *pc = &prev->patch->changes[pf->changes[k]];
        if (change_flags(c) != prev->flags_of[pf->changes[k]] ||
            c->span.end - c->span.start != pc->span.end - pc->span.start ||
            memcmp(x->patch->text + c->span.start, prev->patch->text + pc->span.start,
                   c->span.end - c->span.start) != 0)
            return false;
    }
    return true;
}

/* Moves prev file pf's view and modification results into new file i. */
static void take_file(run_ctx *x, size_t i, reuse_map *rm, size_t pfi)
{
    ap_run *run = x->run, *prev = rm->prev;
    ap_file *pf = &prev->files[pfi];
    file_state *st = &x->fst[i];
    run->files[i].status = pf->status;
    ap_view_release(&st->view);
    st->view = *pf->view;
    free(pf->view);
    pf->view = NULL;
    rm->new_file_of[pfi] = (int)i;
    for (size_t k = 0; k < st->n_changes; k++) {
        int ch = st->changes[k], pch = pf->changes[k];
        rm->new_change_of[pch] = ch;
        rm->shift[pch] = (int64_t)x->patch->changes[ch].span.start - prev->patch->changes[pch].span.start;
        for (size_t md = 0; md < x->patch->changes[ch].n_mods; md++) {
            ap_mod_result *r = &run->mods[ch][md], *pr = &prev->mods[pch][md];
            *r = *pr;
            if (r->file >= 0)
                r->file = (int)i;
            pr->before = pr->after = NULL;
        }
    }
}

/* Moves the problems of the groups taken, at their new places. */
static void take_problems(run_ctx *x, reuse_map *rm)
{
    ap_run *run = x->run, *prev = rm->prev;
    for (size_t i = 0; i < prev->n_problems; i++) {
        ap_problem *p = &prev->problems[i];
        if (p->change < 0 || rm->new_change_of[p->change] < 0)
            continue;
        int64_t d = rm->shift[p->change];
        ap_problem *q = ap_problem_push(&run->problems, &run->n_problems);
        *q = *p;
        q->change = rm->new_change_of[p->change];
        q->span = shifted(p->span, d);
        for (size_t k = 0; k < q->n_related; k++) {
            if (q->related[k].file >= 0)
                q->related[k].file = rm->new_file_of[q->related[k].file];
            else
                q->related[k].span = shifted(q->related[k].span, d);
        }
        for (size_t k = 0; k < q->n_fixes; k++)
            q->fixes[k].span = shifted(q->fixes[k].span, d);
        if (q->severity == AP_ERROR)
            run->ok = false;
        /* the old run keeps an empty problem */
        p->message = NULL;
        p->related = NULL;
        p->n_related = 0;
        p->fixes = NULL;
        p->n_fixes = 0;
    }
}

/* Marks reused[i] = true for each file that takes the previous run's results. */
static void reuse_files(run_ctx *x, ap_run *prev, const bool *loaded, bool *reused)
{
    ap_run *run = x->run;
    reuse_map rm = {prev, NULL, NULL, NULL};
    size_t np = prev->patch->n_changes ? prev->patch->n_changes : 1;
    rm.new_change_of = ap_xmalloc(np * sizeof *rm.new_change_of);
    rm.shift = ap_xcalloc(np, sizeof *rm.shift);
    for (size_t k = 0; k < np; k++)
        rm.new_change_of[k] = -1;
    rm.new_file_of = ap_xmalloc((prev->n_files ? prev->n_files : 1) * sizeof *rm.new_file_of);
    ap_file **sorted = ap_xmalloc((prev->n_files ? prev->n_files : 1) * sizeof *sorted);
    for (size_t k = 0; k < prev->n_files; k++) {
        rm.new_file_of[k] = -1;
        sorted[k] = &prev->files[k];
    }
    qsort(sorted, prev->n_files, sizeof *sorted, by_path_cmp);
    bool any = false;
    for (size_t i = 0; i < run->n_files; i++) {
        if (!loaded[i])
            continue;
        ap_file key = {.path = run->files[i].path}, *kp = &key;
        ap_file **hit = bsearch(&kp, sorted, prev->n_files, sizeof *sorted, by_path_cmp);
        if (hit && reusable(x, i, prev, *hit)) {
            take_file(x, i, &rm, (size_t)(*hit - prev->files));
            reused[i] = any = true;
        }
    }
    if (any)
        take_problems(x, &rm);
    free(sorted);
    free(rm.new_change_of);
    free(rm.new_file_of);
    free(rm.shift);
}

ap_run *ap_run_new(const ap_patch *patch, ap_fs *fs, const ap_options *opts)
{
    return ap_run_reuse(patch, fs, opts, NULL);
}

ap_run *ap_run_reuse(const ap_patch *patch, ap_fs *fs, const ap_options *opts, ap_run *prev)
{
    ap_run *run = ap_xcalloc(1, sizeof *run);
    ap_options defaults = AP_OPTIONS_INIT;
    run->patch = patch;
    run->opts = opts ? *opts : defaults;
    run->ok = !patch->has_errors;
    run->mods = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->mods);
    run->n_changes = patch->n_changes;
    run->n_mods_of = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->n_mods_of);
    run->flags_of = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->flags_of);
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        run->n_mods_of[ch] = patch->changes[ch].n_mods;
        run->flags_of[ch] = change_flags(&patch->changes[ch]);
    }
    run_ctx x = {run, fs, patch, NULL, NULL, NULL, 0};
    x.pats = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *x.pats);

    /* 1. paths, before anything is read */
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        const ap_change *c = &patch->changes[ch];
        run->mods[ch] = ap_xcalloc(c->n_mods ? c->n_mods : 1, sizeof **run->mods);
        for (size_t md = 0; md < c->n_mods; md++)
            run->mods[ch][md].file = -1;
        if (!c->ok || (run->opts.only_change >= 0 && run->opts.only_change != (int)ch))
            continue;
        place_change(&x, (int)ch);
    }
    /* a file and a folder of one name ("x" and "x/y") */
    ap_paths_conflicts(run, patch);
    /* 2. load each file once */
    bool *loaded = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *loaded);
    for (size_t i = 0; i < run->n_files; i++)
        loaded[i] = load_file(&x, i);
    /* 3. resolve in order, file by file (or take the previous run's results) */
    bool *reused = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *reused);
    /* only between clean texts: a YAML error can cut a change off, and an
     * alias makes its meaning depend on text outside it */
    if (prev && patch->reparsable && prev->patch->reparsable)
        reuse_files(&x, prev, loaded, reused);
    for (size_t i = 0; i < run->n_files; i++) {
        if (!loaded[i] || reused[i])
            continue;
        file_state *st = &x.fst[i];
        for (size_t k = 0; k < st->n_changes; k++) {
            int ch = st->changes[k];
            const ap_change *c = &patch->changes[ch];
            x.pats[ch] = ap_xcalloc(c->n_mods ? c->n_mods : 1, sizeof **x.pats);
            for (size_t md = 0; md < c->n_mods; md++)
                if (c->mods[md].ok)
                    pats_init(&x.pats[ch][md], &c->mods[md]);
        }
        for (size_t k = 0; k < st->n_changes; k++) {
            int ch = st->changes[k];
            const ap_change *c = &patch->changes[ch];
            for (size_t md = 0; md < c->n_mods; md++) {
                if (!c->mods[md].ok || !selected(&run->opts, ch, (int)md))
                    continue;
                run_mod(&x, (int)i, ch, (int)md);
            }
        }
        ap_file *f = &run->files[i];
        if (st->view.changed) {
            f->status = st->exists ? AP_FILE_MODIFIED : AP_FILE_CREATED;
            char *why = NULL;
            ap_code wc = st->exists && fs->writable ? fs->writable(fs, f->path, &why) : AP_OK;
            if (wc != AP_OK) {
                ap_span at = patch->changes[f->first_change].file_path.span;
                if (wc == AP_FILE_READ_ONLY || !why)
                    problem(run, wc, AP_ERROR, at, f->first_change, -1,
                            "%s is read-only: apls will not change it", f->path);
                else
                    problem(run, wc, AP_ERROR, at, f->first_change, -1, "%s", why);
                f->status = AP_FILE_FAILED;
            }
            free(why);
        }
    }
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        if (!x.pats[ch])
            continue;
        for (size_t md = 0; md < patch->changes[ch].n_mods; md++)
            pats_release(&x.pats[ch][md]);
        free(x.pats[ch]);
    }
    /* the views stay: rendering needs them */
    for (size_t i = 0; i < run->n_files; i++) {
        if (loaded[i]) {
            run->files[i].view = ap_xmalloc(sizeof(ap_view));
            *run->files[i].view = x.fst[i].view;
        }
        run->files[i].eol = x.fst[i].eol;
        free(x.fst[i].idx.order);
        free(x.fst[i].idx.all);
        free(x.fst[i].idx.first);
        run->files[i].changes = x.fst[i].changes;
        run->files[i].n_changes = x.fst[i].n_changes;
    }
    free(reused);
    free(x.by_path);
    free(loaded);
    free(x.fst);
    free(x.pats);
    ap_problems_sort(run->problems, run->n_problems);
    for (size_t i = 0; i < run->n_problems; i++)
        if (run->problems[i].severity == AP_ERROR)
            run->ok = false;
    return run;
}

void ap_run_free(ap_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        free(f->path);
        ap_text_release(f->before);
        free(f->after);
        free(f->hunks);
        free(f->changes);
        if (f->view) {
            ap_view_release(f->view);
            free(f->view);
        }
    }
    free(run->files);
    for (size_t ch = 0; ch < run->n_changes; ch++) {
        for (size_t md = 0; md < run->n_mods_of[ch]; md++) {
            free(run->mods[ch][md].before);
            free(run->mods[ch][md].after);
        }
        free(run->mods[ch]);
    }
    free(run->n_mods_of);
    free(run->flags_of);
    free(run->mods);
    ap_problems_free(run->problems, run->n_problems);
    free(run);
}
