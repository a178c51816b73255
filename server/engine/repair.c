/* repair.c - the fix for a snippet, anchor or end_snippet found nowhere,
 * made from the block it most likely names (align.c): the locator is
 * rewritten as that block, and a REPLACE's content gets the model's own
 * change carried over to it (merge.c), so that a line the snippet left out
 * is kept and a line it invented is not written.
 *
 * The fix is preferred (safe to take blindly) only when apls checked that
 * the repaired patch does what the model meant:
 *   - the block is the only one that fits this well, and the new locator
 *     finds exactly it (unique, or the first after the anchor);
 *   - REPLACE: the merge is clean (no line both the file and the content
 *     change, no line the content changes that the file does not have);
 *   - DELETE: no line left out (it would be deleted), none typed otherwise
 *     (it might not be the one meant), none invented at the block's edges
 *     (the file's next line might be the one meant);
 *   - INSERT_AFTER / INSERT_BEFORE: the snippet's last / first line is in
 *     the block (the content lands where the model put it);
 *   - start_snippet, end_snippet: no line altered or left out (a range's
 *     content covers lines the model would not have seen);
 *   - anchor: always (it only locates).
 * Otherwise the fix is offered, not preferred, and its title says which
 * lines differ. */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

static uint32_t line_no(const ap_view *v, ap_pos p)
{
    return (p.sp >= 0 ? v->sp[p.sp].a : p.base) + 1;
}

void ap_block_describe(ap_buf *b, const ap_view *v, const ap_block *blk)
{
    uint32_t said = 0, more = 0;
    for (uint32_t k = 0; k < blk->n_steps; k++) {
        const ap_step *s = &blk->steps[k];
        if (s->kind == AP_STEP_SAME)
            continue;
        if (said == 3) {
            more++;
            continue;
        }
        if (said++)
            ap_buf_adds(b, ", ");
        if (s->kind == AP_STEP_ALTERED)
            ap_buf_addf(b, "its line %u differs from line %u", s->p + 1, line_no(v, s->f));
        else if (s->kind == AP_STEP_INVENTED)
            ap_buf_addf(b, "its line %u is not in the file", s->p + 1);
        else
            ap_buf_addf(b, "it leaves out line %u", line_no(v, s->f));
    }
    if (more)
        ap_buf_addf(b, " and %u more", more);
}

/* Does the new locator pat find exactly the block? */
static bool finds_block(const ap_view *v, const ap_pattern *pat, int field, bool has_anchor, ap_pos scope,
                        const ap_block *blk)
{
    ap_match m;
    if ((field == 1 && has_anchor) || field == 2)
        return ap_find_first(v, pat, scope, &m) && ap_pos_key(m.first) == ap_pos_key(blk->first);
    ap_matches all = {0};
    bool ok = ap_find_all(v, pat, ap_view_begin(v), 2, &all) == 1 &&
              ap_pos_key(all.m[0].first) == ap_pos_key(blk->first);
    ap_matches_release(&all);
    return ok;
}

static uint8_t kind_of(const ap_block *blk, uint32_t p)
{
    for (uint32_t k = 0; k < blk->n_steps; k++)
        if (blk->steps[k].kind != AP_STEP_DROPPED && blk->steps[k].p == p)
            return blk->steps[k].kind;
    return AP_STEP_INVENTED;
}

/* One fix replacing two spans of the patch (and keeping the text between
 * them). */
static char *two_spans(const ap_patch *p, ap_span a, const char *ta, ap_span b, const char *tb, ap_span *span)
{
    if (b.start < a.start) {
        ap_span s = a;
        const char *t = ta;
        a = b, ta = tb, b = s, tb = t;
    }
    ap_buf out = AP_BUF_INIT;
    ap_buf_adds(&out, ta);
    if (b.start > a.end)
        ap_buf_add(&out, p->text + a.end, b.start - a.end);
    ap_buf_adds(&out, tb);
    *span = (ap_span){a.start, b.end > a.end ? b.end : a.end};
    return ap_buf_detach(&out, NULL);
}

/* The conflict of a merge that is not clean, worded. */
static void describe_conflict(ap_buf *b, const ap_view *v, const ap_block *blk, const ap_carry *c)
{
    if (c->conflict_p != UINT32_MAX) {
        ap_pos f = {0, -1, 0};
        bool paired = false;
        for (uint32_t k = 0; k < blk->n_steps && !paired; k++)
            if (blk->steps[k].kind == AP_STEP_ALTERED && blk->steps[k].p == c->conflict_p)
                f = blk->steps[k].f, paired = true;
        if (paired)
            ap_buf_addf(b, "its line %u, which the content changes, differs from line %u", c->conflict_p + 1,
                        line_no(v, f));
        else
            ap_buf_addf(b, "its line %u, which the content changes, is not in the file", c->conflict_p + 1);
    } else if (c->has_conflict_f) {
        ap_buf_addf(b, "line %u, where the content changes the snippet, is not in it", line_no(v, c->conflict_f));
    }
}

void ap_repair_fix(ap_problem *pr, const ap_patch *p, const ap_mod *m, const mod_pats *mp, int field,
                   const ap_view *v, ap_pos scope, const ap_block *blk, const char *path)
{
    const ap_field *f = ap_failing_field(m, field);
    const ap_pattern *pat = ap_failing_pattern(mp, field);
    const char *word = ap_field_word(m, field);
    size_t len;
    char *val = ap_block_value(v, blk->first, blk->last, &len);
    ap_pattern np;
    ap_pattern_init(&np, val, len);
    bool exact = finds_block(v, &np, field, mp->has_anchor, scope, blk);
    ap_pattern_release(&np);
    ap_span span;
    char *text = ap_set_field(p, f, word, val, len, &span);
    free(val);
    if (!text)
        return; /* the file's lines hold what the patch cannot say there */
    bool one_line = pat->n == 1 && blk->first.base == blk->last.base && blk->first.sp == blk->last.sp &&
                    blk->first.k == blk->last.k;
    bool preferred = exact && blk->unique;
    bool is_range = m->end_snippet.present || m->start_snippet.present;
    ap_carry carry = {0};
    bool merged = false; /* carry.content replaces the content */
    ap_buf why = AP_BUF_INIT;
    if (field == 1 && !is_range && m->action == AP_REPLACE) {
        ap_carry_over(v, blk, pat, &mp->content, &carry);
        const char *cv = m->content.is_string ? m->content.value : "";
        size_t cl = m->content.is_string ? m->content.len : 0;
        bool same = carry.len == cl && memcmp(carry.content, cv, cl) == 0;
        preferred &= carry.clean;
        merged = carry.clean && !same;
        if (!carry.clean)
            describe_conflict(&why, v, blk, &carry);
    } else if (field == 1 && !is_range && m->action == AP_DELETE) {
        /* it deletes the block: safe when the block is all the model saw
         * (no line left out, none typed otherwise, nothing invented at its
         * edges, where the file's next line could be the one it meant) */
        uint8_t head = blk->n_steps ? blk->steps[0].kind : AP_STEP_SAME;
        uint8_t tail = blk->n_steps ? blk->steps[blk->n_steps - 1].kind : AP_STEP_SAME;
        preferred &= blk->dropped == 0 && blk->altered == 0 && head != AP_STEP_INVENTED &&
                     tail != AP_STEP_INVENTED;
    } else if (field == 1 && !is_range && m->action == AP_INSERT_AFTER) {
        uint8_t k = kind_of(blk, pat->n - 1);
        preferred &= k == AP_STEP_SAME || k == AP_STEP_ALTERED;
    } else if (field == 1 && !is_range && m->action == AP_INSERT_BEFORE) {
        uint8_t k = kind_of(blk, 0);
        preferred &= k == AP_STEP_SAME || k == AP_STEP_ALTERED;
    } else if (field != 0) {
        preferred &= blk->altered == 0 && blk->dropped == 0;
    }
    if (why.len == 0)
        ap_block_describe(&why, v, blk);
    if (!exact) {
        ap_buf_release(&why);
        ap_buf_addf(&why, "it would not find these lines alone: check the %s", word);
    }

    /* the text: the locator alone, or with the content */
    if (merged) {
        ap_span cspan;
        char *ctext = m->content.present
                          ? ap_set_field(p, &m->content, "content", carry.content, carry.len, &cspan)
                          : ap_add_field(p, f, m->key_col, "content", carry.content, carry.len, &cspan);
        if (!ctext) {
            merged = false;
            preferred = false;
        } else {
            char *both = two_spans(p, span, text, cspan, ctext, &span);
            free(text);
            free(ctext);
            text = both;
        }
    }
    uint32_t a = line_no(v, blk->first), e = line_no(v, blk->last);
    ap_fix *fx;
    if (one_line) {
        const ap_line *l = ap_view_line(v, blk->first);
        size_t n = l->s_len > 60 ? 60 : l->s_len;
        if (!merged) {
            /* one line: replace it alone, as it was typed */
            free(text);
            span = ap_field_line_span(p, f, pat->nb[0]);
            text = ap_xmemdup(l->s + l->s_off, l->s_len);
        }
        fx = ap_problem_fix(pr, span, text, "Replace %s line 1 with '%.*s%s'%s", word, (int)n, l->s + l->s_off,
                            n < l->s_len ? "..." : "", merged ? " and carry the change over" : "");
    } else if (merged) {
        fx = ap_problem_fix(pr, span, text, "Take the %s from %s:%u-%u and carry the change over (%s)", word,
                            path, a, e, why.s);
    } else if (field == 1 && !is_range && m->action == AP_REPLACE && !carry.clean) {
        fx = ap_problem_fix(pr, span, text, "Take the %s from %s:%u-%u, content unchanged: %s", word, path, a,
                            e, why.s);
    } else {
        fx = ap_problem_fix(pr, span, text, "Take the %s from %s:%u-%u (%s)", word, path, a, e, why.s);
    }
    fx->preferred = preferred;
    ap_buf_release(&why);
    ap_carry_release(&carry);
}
