/* explain.c - what a failed modification tells the user: the lines of it
 * that match and the first that differs, the closest lines of the file, every
 * place of an ambiguous match, and the fixes that would help. */
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line's stripped text, quoted for a message (at most 80 bytes). */
static char *quote_line(const ap_line *l)
{
    size_t n = l->s_len > 80 ? 80 : l->s_len;
    /* do not cut a UTF-8 sequence in half */
    while (n < l->s_len && n > 0 && ((unsigned char)l->s[l->s_off + n] & 0xc0) == 0x80)
        n--;
    return ap_xprintf("'%.*s%s'", (int)n, l->s + l->s_off, n < l->s_len ? "..." : "");
}

ap_span ap_field_line_span(const ap_patch *p, const ap_field *f, uint32_t i)
{
    if (!f->line_at || i >= f->n_lines)
        return f->span;
    uint32_t s = f->line_at[i], e = s;
    while (e < p->len && p->text[e] != '\n' && p->text[e] != '\r')
        e++;
    return (ap_span){s, e};
}

const ap_field *ap_failing_field(const ap_mod *m, int field)
{
    if (field == 0)
        return &m->anchor;
    if (field == 2)
        return &m->end_snippet;
    return m->snippet.present ? &m->snippet : &m->start_snippet;
}

const char *ap_field_word(const ap_mod *m, int field)
{
    const ap_field *f = ap_failing_field(m, field);
    if (f->name) /* as the patch's format spells it ("snippet_tail") */
        return f->name;
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
void ap_warn_gone(run_ctx *x, int fi, int ch, int md)
{
    /* (a warning, deciding no state: the twice check's second run, which
     * reads only states, skips its scan of the whole file) */
    if (x->run->opts.states_only)
        return;
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const ap_view *v = &x->fst[fi].view;
    const ap_field *f = m->snippet.present ? &m->snippet : &m->start_snippet;
    const char *path = x->run->files[fi].path;
    /* most of its lines still stand together: the text is there, typed
     * otherwise (or with a line it left out or invented) */
    ap_block blk;
    if (!mp->has_anchor && mp->snippet.n > 1 && ap_closest_block(v, &mp->snippet, ap_view_begin(v), &blk)) {
        if (blk.unique && blk.same >= 2 && 2 * blk.same >= mp->snippet.n) {
            ap_buf msg = AP_BUF_INIT;
            ap_buf_addf(&msg, "%s not found in %s, so it counts as already deleted; but %s:%u-%u hold %u of its "
                        "%u lines (",
                        ap_field_word(m, 1), path, path, human_line(v, blk.first), human_line(v, blk.last),
                        blk.same, mp->snippet.n);
            ap_block_describe(&msg, v, &blk);
            ap_buf_adds(&msg, ")");
            ap_problem *pr = ap_run_problem(x->run, AP_SNIPPET_NOT_FOUND, AP_WARNING, f->span, ch, md, "%s", msg.s);
            ap_buf_release(&msg);
            ap_tspan t = ap_view_tspan(v, blk.first, ap_view_next(v, blk.last));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "did you mean these lines?");
            ap_repair_fix(pr, x->patch, m, mp, 1, v, ap_view_begin(v), &blk, path);
            ap_block_release(&blk);
            return;
        }
        ap_block_release(&blk);
    }
    ap_similar sim[1];
    /* much like it, or saying what it says with a word more or less (the
     * rule that makes a REPLACE's slipped snippet SNIPPET_NOT_FOUND) */
    if (ap_similar_lines(v, ap_pattern_at(&mp->snippet, 0), ap_view_begin(v), sim, 1) == 0 ||
        (sim[0].score < 0.75 && !ap_words_within(ap_view_line(v, sim[0].pos), ap_pattern_at(&mp->snippet, 0))))
        return;
    char *q = quote_line(ap_view_line(v, sim[0].pos));
    ap_problem *pr = ap_run_problem(x->run, AP_SNIPPET_NOT_FOUND, AP_WARNING, f->span, ch, md,
                             "%s not found in %s, so it counts as already deleted; did you mean "
                             "line %u %s?",
                             ap_field_word(m, 1), path, human_line(v, sim[0].pos), q);
    ap_tspan t = ap_view_tspan(v, sim[0].pos, ap_view_next(v, sim[0].pos));
    ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "did you mean %s?", q);
    const ap_line *hl = ap_view_line(v, sim[0].pos);
    ap_problem_fix(pr, ap_field_line_span(x->patch, f, mp->snippet.nb[0]),
                   ap_xmemdup(hl->s + hl->s_off, hl->s_len), "Replace %s line 1 with %s", ap_field_word(m, 1), q);
    free(q);
}

/* A snippet (anchor, end) found nowhere, worded from the block it most
 * likely names: how much of it matches, the first line that differs and
 * every difference, with the repair. */
static ap_problem *report_block(run_ctx *x, int fi, int ch, int md, const outcome *o, ap_pos scope,
                                const char *after, const ap_block *b)
{
    const ap_patch *p = x->patch;
    const ap_mod *m = &p->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const ap_view *v = &x->fst[fi].view;
    const char *path = x->run->files[fi].path;
    const ap_field *f = ap_failing_field(m, o->fail_field);
    const ap_pattern *pat = ap_failing_pattern(mp, o->fail_field);
    const char *word = ap_field_word(m, o->fail_field);
    /* the lines matching from its first on */
    uint32_t k = 0, st = 0;
    ap_match pre = {{0, -1, 0}, {0, -1, 0}};
    while (st < b->n_steps && b->steps[st].kind == AP_STEP_SAME && b->steps[st].p == k) {
        if (k == 0)
            pre.first = b->steps[st].f;
        pre.last = b->steps[st].f;
        k++, st++;
    }
    /* the first line that differs */
    const ap_step *d = st < b->n_steps ? &b->steps[st] : NULL;
    uint32_t bad = d && d->kind != AP_STEP_DROPPED ? d->p : k < pat->n ? k : pat->n - 1;
    ap_span at = ap_field_line_span(p, f, pat->nb[bad]);
    char *want = quote_line(&pat->lines[pat->nb[bad]]);
    ap_pos there = k > 0 ? ap_view_skip_blank(v, ap_view_next(v, pre.last))
                   : d && d->kind == AP_STEP_ALTERED ? d->f
                                                     : b->first;
    ap_buf msg = AP_BUF_INIT;
    ap_buf_addf(&msg, "%s not found in %s%s: ", word, path, after);
    if (k > 0)
        ap_buf_addf(&msg, "%s %s:%u%s, but ", lines_phrase(k), path, human_line(v, pre.first),
                    range_tail(v, pre));
    char *have = NULL;
    if (ap_view_at_end(v, there)) {
        ap_buf_addf(&msg, "the file ends before its line %u %s", bad + 1, want);
    } else {
        have = quote_line(ap_view_line(v, there));
        ap_buf_addf(&msg, "its line %u %s differs from line %u %s", bad + 1, want, human_line(v, there), have);
    }
    /* the whole picture, when there is more to it than one line typed
     * differently */
    if (b->altered + b->invented + b->dropped > 1 || (d && d->kind != AP_STEP_ALTERED)) {
        ap_buf_addf(&msg, "; the closest block is %s:%u-%u, where ", path, human_line(v, b->first),
                    human_line(v, b->last));
        ap_block_describe(&msg, v, b);
    }
    ap_problem *pr = ap_run_problem(x->run, o->code, AP_ERROR, at, ch, md, "%s", msg.s);
    ap_buf_release(&msg);
    if (have) {
        ap_tspan t = ap_view_tspan(v, there, ap_view_next(v, there));
        ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the file has %s here", have);
    }
    if (k > 0) {
        ap_tspan t = ap_view_tspan(v, pre.first, ap_view_next(v, pre.last));
        if (k == 1)
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the %s's first line matches here", word);
        else
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the %s's first %u lines match here", word, k);
    }
    ap_tspan t = ap_view_tspan(v, b->first, ap_view_next(v, b->last));
    ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the closest block: %u of its %u lines stand here",
                      b->same, pat->n);
    ap_repair_fix(pr, p, m, mp, o->fail_field, v, scope, b, path);
    free(want);
    free(have);
    return pr;
}

/* Is the snippet found exactly once in the file, after one of the
 * anchor's matches (so that without the anchor it lands where one of them
 * would have put it)? */
static bool snippet_alone(const ap_view *v, const mod_pats *mp, const ap_matches *anchors, ap_match *at)
{
    ap_matches all = {0};
    bool once = mp->snippet.n > 0 && ap_find_all(v, &mp->snippet, ap_view_begin(v), 2, &all) == 1;
    if (once)
        *at = all.m[0];
    ap_matches_release(&all);
    return once && anchors->n > 0 && ap_pos_key(anchors->m[0].last) < ap_pos_key(at->first);
}

/* Reports a failed modification: what, where, and what would help. */
void ap_report_failure(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    ap_run *run = x->run;
    const ap_patch *p = x->patch;
    const ap_mod *m = &p->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const ap_view *v = &x->fst[fi].view;
    const char *path = run->files[fi].path;
    const ap_field *f = ap_failing_field(m, o->fail_field);
    const ap_pattern *pat = ap_failing_pattern(mp, o->fail_field);
    const char *word = ap_field_word(m, o->fail_field);
    ap_problem *pr;

    if (o->code == AP_NESTING_MISMATCH) {
        ap_run_problem(run, o->code, AP_ERROR, m->action_f.span, ch, md,
                       "%s would put a top-level declaration inside a block of %s; --strict does not "
                       "move it: locate the declaration before it with scope_end 1, or the next "
                       "top-level declaration (INSERT_BEFORE)",
                       ap_action_keyword(p->format, m->action), path);
        return;
    }

    if (o->code == AP_AMBIGUOUS_ANCHOR || o->code == AP_AMBIGUOUS_MATCH) {
        /* the lines go in the message too: eglot shows no related places */
        ap_buf lines = AP_BUF_INIT;
        for (size_t i = 0; i < o->many.n && i < 5; i++)
            ap_buf_addf(&lines, "%s%u", i ? ", " : "", human_line(v, o->many.m[i].first));
        if (o->many.n > 5)
            ap_buf_adds(&lines, ", ...");
        ap_match alone;
        bool drop = o->code == AP_AMBIGUOUS_ANCHOR && snippet_alone(v, mp, &o->many, &alone);
        char *advice = o->code == AP_AMBIGUOUS_MATCH ? ap_xstrdup("add an 'anchor' or lengthen the snippet")
                       : drop ? ap_xprintf("the snippet alone is found once (line %u): the anchor is not needed",
                                           human_line(v, alone.first))
                              : ap_xstrdup("lengthen the anchor");
        pr = ap_run_problem(run, o->code, AP_ERROR, f->span, ch, md, "%s matches %zu places in %s (lines %s); %s",
                            word, o->many.n, path, lines.s, advice);
        free(advice);
        ap_buf_release(&lines);
        if (o->code == AP_AMBIGUOUS_MATCH)
            ap_fixes_ambiguous(pr, p, m, v, &o->many, pat);
        if (drop)
            ap_fix_drop_field(pr, p, &m->anchor, "Remove the anchor (the snippet alone is found once)");
        size_t shown = o->many.n > 100 ? 100 : o->many.n;
        for (size_t i = 0; i < shown; i++) {
            ap_tspan t = ap_view_tspan(v, o->many.m[i].first, ap_view_next(v, o->many.m[i].last));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "match %zu of %zu", i + 1, o->many.n);
        }
        return;
    }

    /* not found: the block it most likely names, how they differ, and the
     * repair; else how much of it matches, and the closest lines */
    ap_pos scope = ap_view_begin(v);
    if (o->fail_field == 1 && o->has_anchor)
        scope = ap_view_next(v, o->anchor.last);
    if (o->fail_field == 2 && !o->edge)
        scope = ap_view_next(v, o->snip.last);
    const char *after = o->fail_field == 2 ? " after the start of the range"
                        : (o->fail_field == 1 && o->has_anchor) ? " after the anchor"
                                                                : "";
    ap_block blk;
    bool have_block = ap_closest_block(v, pat, scope, &blk);
    if (have_block && blk.same > 0) {
        pr = report_block(x, fi, ch, md, o, scope, after, &blk);
        ap_block_release(&blk);
        if (o->has_anchor && o->fail_field != 0) {
            ap_tspan t = ap_view_tspan(v, o->anchor.first, ap_view_next(v, o->anchor.last));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the anchor matches here");
        }
        return;
    }
    ap_match pre;
    uint32_t k = ap_find_prefix(v, pat, scope, &pre);
    if (k > 0 && k < pat->n) {
        ap_pos next = ap_view_skip_blank(v, ap_view_next(v, pre.last));
        uint32_t bad = pat->nb[k]; /* the value line that differs */
        char *want = quote_line(&pat->lines[bad]);
        ap_span at = ap_field_line_span(p, f, bad);
        if (!ap_view_at_end(v, next)) {
            char *have = quote_line(ap_view_line(v, next));
            pr = ap_run_problem(run, o->code, AP_ERROR, at, ch, md,
                         "%s not found in %s%s: %s %s:%u%s, but its line %u %s differs from line "
                         "%u %s",
                         word, path, after, lines_phrase(k), path, human_line(v, pre.first),
                         range_tail(v, pre), k + 1, want, human_line(v, next), have);
            ap_tspan t = ap_view_tspan(v, next, ap_view_next(v, next));
            ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the file has %s here", have);
            free(have);
        } else {
            pr = ap_run_problem(run, o->code, AP_ERROR, at, ch, md,
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
        if (have_block)
            ap_block_release(&blk);
        return;
    }
    /* no line of it leads anywhere: the lines closest to its first line */
    const ap_line *first = ap_pattern_at(pat, 0);
    ap_span at = k == 0 ? ap_field_line_span(p, f, pat->nb[0]) : f->span;
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
    pr = ap_run_problem(run, o->code, AP_ERROR, at, ch, md, "%s", msg.s);
    ap_buf_release(&msg);
    for (size_t i = 0; i < ns; i++) {
        char *q = quote_line(ap_view_line(v, sim[i].pos));
        ap_tspan t = ap_view_tspan(v, sim[i].pos, ap_view_next(v, sim[i].pos));
        ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "did you mean %s? (%.0f%% alike)", q,
                          sim[i].score * 100);
        const ap_line *hl = ap_view_line(v, sim[i].pos);
        /* the closest line of a one-line snippet: its repair (the content
         * carried over when it can be); the others as they are */
        if (i == 0 && have_block && ap_pos_key(blk.first) == ap_pos_key(sim[0].pos))
            ap_repair_fix(pr, p, m, mp, o->fail_field, v, scope, &blk, path);
        else
            ap_problem_fix(pr, ap_field_line_span(p, f, pat->nb[0]),
                           ap_xmemdup(hl->s + hl->s_off, hl->s_len), "Replace %s line 1 with %s", word, q);
        free(q);
    }
    if (have_block)
        ap_block_release(&blk);
    if (o->has_anchor && o->fail_field != 0) {
        ap_tspan t = ap_view_tspan(v, o->anchor.first, ap_view_next(v, o->anchor.last));
        ap_problem_relate(pr, fi, t, (ap_span){0, 0}, "the anchor matches here");
    }
}
