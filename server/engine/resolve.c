/* resolve.c - one modification on a view: its patterns, where it lands
 * (ap-2.0.md sections 2 and 3; 3.2's search is locate3.c's and
 * boundary.c's), whether it is already applied by the rules of one
 * modification (sections 4 and 7, the same for both formats), and the edit
 * it makes. */
#include "resolve.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void ap_pats_init(mod_pats *mp, const ap_mod *m, const ap_rules *rules)
{
    memset(mp, 0, sizeof *mp);
    mp->rules = rules;
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
    /* 3.6: the locators' first lines may follow decoration (a content is
     * evidence, matched whole) */
    mp->anchor.soft = mp->snippet.soft = mp->end.soft = rules->hybrid;
}

void ap_pats_release(mod_pats *mp)
{
    ap_pattern_release(&mp->anchor);
    ap_pattern_release(&mp->snippet);
    ap_pattern_release(&mp->end);
    ap_pattern_release(&mp->content);
}

/* ------------------------------------------------------- applied checks */

/* The content as the reference compares it: without its leading and trailing
 * blank lines, each line stripped (interior blank lines kept). */
void ap_content_block(const ap_pattern *c, uint32_t *first, uint32_t *end)
{
    if (c->n == 0) {
        *first = *end = 0;
        return;
    }
    *first = c->nb[0];
    *end = c->nb[c->n - 1] + 1;
}

bool ap_same_stripped(const ap_line *a, const ap_line *b)
{
    if (a->blank || b->blank)
        return a->blank && b->blank;
    return ap_line_eq(a, b);
}

/* Do the lines from p on (after blank lines) begin with the content block?
 * *edge (when given): the line after the block. */
bool ap_block_follows(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge)
{
    uint32_t i, end;
    ap_content_block(c, &i, &end);
    p = ap_view_skip_blank(v, p);
    for (; i < end; i++) {
        if (ap_view_at_end(v, p) || !ap_same_stripped(ap_view_line(v, p), &c->lines[i]))
            return false;
        p = ap_view_next(v, p);
    }
    if (edge)
        *edge = p;
    return true;
}

/* Do the lines before p (before blank lines) end with the content block?
 * *edge (when given): the block's first line. */
bool ap_block_precedes(const ap_view *v, ap_pos p, const ap_pattern *c, ap_pos *edge)
{
    uint32_t first, i;
    ap_content_block(c, &first, &i);
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
        if (!ap_same_stripped(ap_view_line(v, q), &c->lines[i]))
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

/* Does line p stand as the file was read: a line of the file (not one this
 * run inserted), right after the line before it (first: the first line
 * looked at; no deletion of this run closed a gap just above p)? */
static bool as_read(const ap_view *v, ap_pos p, ap_pos first)
{
    if (p.sp >= 0)
        return false;
    if (ap_pos_key(p) == ap_pos_key(first))
        return true;
    ap_pos q;
    return ap_view_prev(v, p, &q) && q.sp < 0 && q.base + 1 == p.base;
}

/* Is no line of [from, to) text this run wrote, or brought together by
 * deleting what stood between? What a run wrote is never evidence that one
 * of its own modifications was applied before. */
bool ap_unwritten(const ap_view *v, ap_pos from, ap_pos to)
{
    for (ap_pos p = from; ap_pos_key(p) < ap_pos_key(to) && !ap_view_at_end(v, p); p = ap_view_next(v, p))
        if (!as_read(v, p, from))
            return false;
    return true;
}

/* Does the match m stand as the content block, blank lines included (a
 * match skips them) and in text the run did not write? */
bool ap_stands_as_written(const ap_view *v, ap_match m, const ap_pattern *c)
{
    uint32_t i, end;
    ap_content_block(c, &i, &end);
    ap_pos p = m.first;
    for (; i < end; i++) {
        if (ap_view_at_end(v, p) || !as_read(v, p, m.first) ||
            !ap_same_stripped(ap_view_line(v, p), &c->lines[i]))
            return false;
        if (i + 1 == end)
            return ap_pos_key(p) == ap_pos_key(m.last);
        p = ap_view_next(v, p);
    }
    return false;
}

/* Does the region [first, last] (non-blank ends) equal the content block? */
static bool block_equals(const ap_view *v, ap_pos first, ap_pos last, const ap_pattern *c)
{
    uint32_t i, end;
    ap_content_block(c, &i, &end);
    if (i == end)
        return false;
    ap_pos p = first;
    for (; i < end; i++) {
        if (ap_view_at_end(v, p) || !as_read(v, p, first) ||
            !ap_same_stripped(ap_view_line(v, p), &c->lines[i]))
            return false;
        if (i + 1 == end)
            return ap_pos_key(p) == ap_pos_key(last);
        if (ap_pos_key(p) >= ap_pos_key(last))
            return false;
        p = ap_view_next(v, p);
    }
    return false;
}

/* Is there a match of c that covers the lines [first, last]? *at: it. */
static bool content_covers(const ap_view *v, const ap_pattern *c, ap_pos first, ap_pos last, ap_match *at)
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
        if (ap_pos_key(m.last) >= ap_pos_key(last)) {
            *at = m;
            return ap_stands_as_written(v, m, c);
        }
        start = ap_view_next(v, m.first);
    }
    return false;
}

/* Is the content found in the search scope (after the anchor: anywhere;
 * without one: exactly once), as the reference checks a REPLACE? *at: where. */
static bool content_in_scope(const ap_view *v, const ap_pattern *c, bool anchored, ap_pos scope,
                             ap_match *at)
{
    if (c->n == 0)
        return false;
    if (anchored)
        return ap_find_first(v, c, scope, at) && ap_stands_as_written(v, *at, c);
    ap_matches all = {0};
    size_t n = ap_find_all(v, c, scope, 2, &all);
    if (n == 1)
        *at = all.m[0];
    ap_matches_release(&all);
    return n == 1 && ap_stands_as_written(v, *at, c);
}

bool ap_words_scan_only = false;

bool ap_snippet_looks_elsewhere(const ap_view *v, const ap_pattern *snip, ap_match where)
{
    if (snip->n == 0)
        return false;
    const ap_line *first = ap_pattern_at(snip, 0);
    /* the answer is yes only for a line that says what `first` says: where
     * none does, the scan below could only say no (words.c) */
    if (!ap_words_scan_only && !ap_view_may_say(v, first))
        return false;
    ap_similar sim[4];
    size_t n = ap_similar_whole(v, first, sim, 4);
    uint64_t a = ap_pos_key(where.first), b = ap_pos_key(where.last);
#define INSIDE(p) (ap_pos_key(p) >= a && ap_pos_key(p) <= b)
    if (n == 0 || sim[0].score >= 1.0 || INSIDE(sim[0].pos) ||
        !ap_words_within(ap_view_line(v, sim[0].pos), first))
        return false;
    for (size_t i = 1; i < n; i++)
        if (INSIDE(sim[i].pos) && sim[i].score >= sim[0].score)
            return false;
#undef INSIDE
    return true;
}

/* Does the content match exactly once, and hold every match in ms? (A
 * REPLACE whose content repeats its snippet finds it twice once applied.) */
static bool content_holds(const ap_view *v, const ap_pattern *c, const ap_matches *ms)
{
    if (c->n == 0)
        return false;
    ap_matches all = {0};
    bool ok = ap_find_all(v, c, ap_view_begin(v), 2, &all) == 1 && ap_stands_as_written(v, all.m[0], c);
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

/* Recognised applied by its content standing at m: a 3.2 sequence goes on
 * after it, as it would after applying it. */
static void already_at(const ap_view *v, outcome *o, ap_match m, const char *why)
{
    already(o, why);
    o->sets_cursor = true;
    o->next = ap_view_next(v, m.last);
}

/* 3.2: does the deletion's text stand before the cursor (a later pass,
 * from the top, deletes it), rather than nowhere (deleted)? */
static bool stands_behind(const ap_view *v, const ap_mod *m, const mod_pats *mp, const seq_ctx *sc)
{
    if (!sc || !sc->has_cursor)
        return false;
    seq_ctx top = *sc;
    top.has_cursor = false;
    top.repeat = true;
    outcome tmp;
    memset(&tmp, 0, sizeof tmp);
    ap_pos scope;
    locate_result got = ap_locate3(v, m, mp, &mp->snippet, &top, &tmp, &scope);
    ap_matches_release(&tmp.many);
    return got == LOC_FOUND || got == LOC_MANY;
}

/* 2.0 (ap-2.0.md section 3): the anchor must be unique; the snippet is the
 * first match after it, or unique in the file. */
static locate_result locate2(const ap_view *v, const mod_pats *mp, outcome *o, ap_pos *scope)
{
    *scope = ap_view_begin(v);
    if (mp->has_anchor) {
        size_t n = ap_find_all(v, &mp->anchor, *scope, 0, &o->many);
        if (n != 1) {
            fail(o, n == 0 ? AP_ANCHOR_NOT_FOUND : AP_AMBIGUOUS_ANCHOR, 0);
            return LOC_FAILED;
        }
        o->has_anchor = true;
        o->anchor = o->many.m[0];
        ap_matches_release(&o->many);
        *scope = ap_view_next(v, o->anchor.last);
        return ap_find_first(v, &mp->snippet, *scope, &o->snip) ? LOC_FOUND : LOC_NONE;
    }
    size_t n = ap_find_all(v, &mp->snippet, *scope, 0, &o->many);
    if (n > 1)
        return LOC_MANY;
    if (n == 1)
        o->snip = o->many.m[0];
    ap_matches_release(&o->many);
    return n == 1 ? LOC_FOUND : LOC_NONE;
}

/* 3.2, the anchor not found or not told apart: a DELETE whose text is gone
 * from the whole file is done (its anchor may have gone with it: the
 * overlap tolerance lets an anchor share the snippet's lines); a REPLACE is
 * done when its content stands where the anchor (told apart by the content,
 * as it was by the snippet) puts it (27, 30, 32, 38 applied twice). */
static void gone_despite_anchor(const ap_view *v, const ap_mod *m, const mod_pats *mp, outcome *o)
{
    ap_match any;
    if (m->action == AP_DELETE && o->code == AP_ANCHOR_NOT_FOUND &&
        !ap_find_first(v, &mp->snippet, ap_view_begin(v), &any)) {
        ap_matches_release(&o->many);
        o->code = AP_OK;
        return already(o, "its text is gone: already deleted");
    }
    if (m->action != AP_REPLACE || mp->content.n == 0 || o->code != AP_AMBIGUOUS_ANCHOR)
        return;
    outcome probe;
    memset(&probe, 0, sizeof probe);
    seq_ctx sc = {ap_view_begin(v), false, false, true};
    ap_pos scope;
    if (ap_locate3(v, m, mp, &mp->content, &sc, &probe, &scope) == LOC_FOUND &&
        ap_stands_as_written(v, probe.snip, &mp->content)) {
        ap_matches_release(&o->many);
        o->code = AP_OK;
        already(o, "its content stands after the anchor it names");
    }
    ap_matches_release(&probe.many);
}

/* Did the text as read hold the snippet, which is gone from the view? Then
 * an earlier modification of this run took it: its absence is no sign that
 * this one was applied before (issue 7: no modification counts as applied
 * from what the same run did). */
bool ap_taken_by_this_run(const ap_view *v, const ap_pattern *snip)
{
    if (!v->changed || snip->n == 0)
        return false;
    ap_view orig;
    ap_view_init(&orig, v->base);
    ap_match m;
    bool was = ap_find_first(&orig, snip, ap_view_begin(&orig), &m);
    ap_view_release(&orig);
    return was;
}

void ap_resolve_gone(const ap_view *v, const ap_mod *m, const mod_pats *mp, ap_pos scope, outcome *o)
{
    const ap_pattern *c = &mp->content;
    if (m->action == AP_DELETE)
        return already(o, "its text is gone: already deleted");
    if (m->action == AP_REPLACE && c->n == 0)
        return already(o, "its text is gone: already replaced with nothing");
    ap_match cm;
    if (m->action == AP_REPLACE && content_in_scope(v, c, mp->has_anchor, scope, &cm) &&
        !ap_snippet_looks_elsewhere(v, &mp->snippet, cm) &&
        !ap_taken_by_this_run(v, &mp->snippet))
        return already_at(v, o, cm, "its text is gone and the content stands in its place");
    return fail(o, AP_SNIPPET_NOT_FOUND, 1);
}

/* The last non-blank line before p (p itself when there is none). */
static ap_pos last_nonblank_before(const ap_view *v, ap_pos p)
{
    ap_pos q = p;
    while (ap_view_prev(v, q, &q))
        if (!ap_view_line(v, q)->blank)
            return q;
    return p;
}

/* Resolves m on v without changing v. */
void ap_resolve(const ap_view *v, const ap_mod *m, const mod_pats *mp, const seq_ctx *sc, outcome *o)
{
    memset(o, 0, sizeof *o);
    const ap_rules *r = mp->rules;
    if (r->sequential && (m->snippet.boundary || m->start_snippet.boundary || m->end_snippet.boundary))
        return ap_resolve_boundary(v, m, mp, sc, o);
    ap_pos scope;
    locate_result got = r->sequential ? ap_locate3(v, m, mp, &mp->snippet, sc, o, &scope)
                                      : locate2(v, mp, o, &scope);
    const ap_pattern *c = &mp->content;
    if (got == LOC_FAILED) {
        if (r->sequential)
            gone_despite_anchor(v, m, mp, o);
        return;
    }
    if (got == LOC_MANY) {
        if (m->action == AP_REPLACE && content_holds(v, c, &o->many)) {
            ap_matches_release(&o->many);
            return already(o, "the content, which repeats the snippet, already stands here");
        }
        return fail(o, AP_AMBIGUOUS_MATCH, 1);
    }
    if (got == LOC_NONE && r->sequential && (m->action == AP_DELETE || (m->action == AP_REPLACE && c->n == 0)) &&
        stands_behind(v, m, mp, sc)) {
        o->behind = true;
        return fail(o, AP_SNIPPET_NOT_FOUND, 1);
    }
    if (got == LOC_NONE && r->sequential && m->action == AP_REPLACE && c->n > 0) {
        /* its text gone after the cursor and its content standing is no
         * sign it was applied when the text stands before the cursor: a
         * later pass, from the top, replaces it there (a first run on a file
         * whose content line happens to stand elsewhere: idem_test 1000084);
         * with no later pass it counts as done, as a deletion's does */
        ap_resolve_gone(v, m, mp, scope, o);
        if (o->state == AP_MOD_ALREADY_APPLIED && stands_behind(v, m, mp, sc)) {
            o->state = AP_MOD_FAILED;
            o->code = AP_SNIPPET_NOT_FOUND;
            o->fail_field = 1;
            o->sets_cursor = false;
            o->behind = true;
        }
        return;
    }
    if (got == LOC_NONE)
        return ap_resolve_gone(v, m, mp, scope, o);
    ap_pos first = o->snip.first, last = o->snip.last;
    if (mp->has_end) {
        /* A range replaced by content that keeps its first line (a function
         * replaced whole, its head kept): once applied, the start stands in
         * the content and the end is gone, or is another one further down. */
        ap_match cm;
        if (m->action == AP_REPLACE && content_covers(v, c, o->snip.first, o->snip.last, &cm))
            return already_at(v, o, cm, "the content already stands at the start of the range");
        if (r->sequential) {
            if (!ap_locate3_end(v, mp, o, &last))
                return fail(o, r->tail_not_found, 2);
            if (o->reversed)
                first = o->end.first;
        } else {
            if (!ap_find_first(v, &mp->end, ap_view_next(v, o->snip.last), &o->end))
                return fail(o, r->tail_not_found, 2);
            last = o->end.last;
        }
    }
    o->has_region = true;
    o->from = first;
    o->to = ap_view_next(v, last);
    if (m->scope_end && r->sequential) {
        ap_pos end;
        if (!ap_scope_end(v, first, last, &end)) {
            o->scope_ignored = true;
        } else if (ap_pos_key(end) > ap_pos_key(o->to)) {
            o->to = end;
            last = last_nonblank_before(v, end);
        }
    }
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
    bool insert = ap_action_inserts(m->action);
    o->at = m->action == AP_INSERT_BEFORE ? o->from : o->to;
    if (insert && r->sequential && c->n > 0 &&
        ap_nesting_guard(v, o->at, c, m->action == AP_INSERT_AFTER, &o->at)) {
        if (r->strict)
            return fail(o, AP_NESTING_MISMATCH, 1);
        o->moved = true;
    }

    ap_pos edge;
    switch (m->action) {
    case AP_REPLACE:
        if (block_equals(v, first, last, c)) {
            o->sets_cursor = true;
            o->next = o->to;
            return already(o, "the text already equals the content");
        }
        ap_match cm;
        if (content_covers(v, c, first, last, &cm))
            return already_at(v, o, cm, "the content already stands here");
        if (mp->has_anchor && c->n > 0) {
            /* After the anchor the first match was replaced: a later copy of
             * the snippet is not this modification's (shared case 06). */
            if (ap_find_first(v, c, scope, &cm) && ap_pos_key(cm.first) < ap_pos_key(first) &&
                ap_stands_as_written(v, cm, c))
                return already_at(v, o, cm, "the content already follows the anchor, before this copy "
                                            "of the snippet");
        }
        break;
    case AP_INSERT_AFTER:
        if (c->n == 0)
            return already(o, "the content is empty: nothing to insert");
        if (ap_block_follows(v, o->at, c, &edge) && ap_unwritten(v, o->at, edge)) {
            o->sets_cursor = true;
            o->next = edge;
            return already(o, "the content already follows the snippet");
        }
        break;
    case AP_INSERT_BEFORE:
        if (c->n == 0)
            return already(o, "the content is empty: nothing to insert");
        if (ap_block_precedes(v, o->at, c, &edge) && ap_unwritten(v, edge, o->at)) {
            o->sets_cursor = true;
            o->next = o->at;
            return already(o, "the content already precedes the snippet");
        }
        break;
    default:
        break;
    }
    o->state = AP_MOD_APPLIES;
}

const ap_pattern *ap_failing_pattern(const mod_pats *mp, int field)
{
    return field == 0 ? &mp->anchor : field == 2 ? &mp->end : &mp->snippet;
}

/* Builds the lines a modification inserts: content, each line indented like
 * the region's first non-blank line. */
ap_nline *ap_indented_lines(const ap_pattern *c, const ap_line *like, int ch, int md,
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

char *ap_region_text(const ap_view *v, ap_pos from, ap_pos to)
{
    ap_buf b = AP_BUF_INIT;
    for (ap_pos p = from; ap_pos_key(p) < ap_pos_key(to) && !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        ap_buf_add(&b, l->s, l->len);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, NULL);
}

char *ap_lines_text(const ap_nline *lines, uint32_t n)
{
    ap_buf b = AP_BUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        /* as written: inserted lines lose their trailing blanks (render.c) */
        uint32_t len = lines[i].l.len;
        while (len > 0 && (lines[i].l.s[len - 1] == ' ' || lines[i].l.s[len - 1] == '\t' ||
                           lines[i].l.s[len - 1] == '\r'))
            len--;
        ap_buf_add(&b, lines[i].l.s, len);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, NULL);
}

bool ap_reindent(const ap_view *v, const ap_mod *m, const mod_pats *mp, const outcome *o,
                 const char **ind, uint32_t *len)
{
    const ap_pattern *c = &mp->content;
    if (!mp->rules->reindent_flat || o->moved || c->n == 0 || !o->has_region)
        return false;
    bool flat = false;
    for (uint32_t i = 0; i < c->n && !flat; i++)
        flat = ap_pattern_at(c, i)->s[0] != ' ' && ap_pattern_at(c, i)->s[0] != '\t';
    if (!flat)
        return false;
    /* the place's line: the region's last (INSERT_AFTER) or first non-blank */
    const ap_line *ref = NULL;
    for (ap_pos p = o->from; ap_pos_key(p) < ap_pos_key(o->to) && !ap_view_at_end(v, p);
         p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        if (l->blank)
            continue;
        ref = l;
        if (m->action != AP_INSERT_AFTER)
            break;
    }
    uint32_t w = 0;
    while (ref && w < ref->len && (ref->s[w] == ' ' || ref->s[w] == '\t'))
        w++;
    if (w == 0)
        return false;
    *ind = ref->s;
    *len = w;
    return true;
}

/* Makes the edit a resolved modification stands for; returns the lines it
 * puts in (malloc'd text, for hovers). */
char *ap_apply_outcome(ap_view *v, const ap_mod *m, const mod_pats *mp, int ch, int md,
                       const outcome *o, ap_pos *next)
{
    ap_buf store = AP_BUF_INIT;
    uint32_t n = 0;
    ap_nline *lines = NULL;
    if (m->action != AP_DELETE) {
        ap_line like;
        if (mp->rules->content_verbatim) {
            memset(&like, 0, sizeof like);
            like.s = "";
            ap_reindent(v, m, mp, o, &like.s, &like.s_off);
        } else {
            like = *ap_view_line(v, o->snip.first);
        }
        lines = ap_indented_lines(&mp->content, &like, ch, md, false, &store, &n);
    }
    char *after = ap_lines_text(lines, n);
    if (o->moved && n > 0) {
        /* the blank line that separates top-level declarations (content is
         * trimmed of blank lines): before it, after a block's closing line;
         * after it, before the declaration it now precedes */
        ap_pos q;
        bool before = m->action == AP_INSERT_AFTER;
        if (!before || (ap_view_prev(v, o->at, &q) && !ap_view_line(v, q)->blank)) {
            lines = ap_xrealloc(lines, (n + 1) * sizeof *lines);
            if (before)
                memmove(lines + 1, lines, n * sizeof *lines);
            ap_nline *b = &lines[before ? 0 : n];
            memset(b, 0, sizeof *b);
            ap_line_init(&b->l, "", 0, AP_EOL_LF);
            b->change = ch;
            b->mod = md;
            n++;
        }
    }
    ap_pos after_pos;
    switch (m->action) {
    case AP_INSERT_BEFORE:
    case AP_INSERT_AFTER:
        after_pos = ap_view_replace(v, o->at, o->at, lines, n);
        break;
    default:
        after_pos = ap_view_replace(v, o->from, o->to, lines, n);
        break;
    }
    if (next)
        *next = after_pos;
    free(lines);
    ap_buf_release(&store);
    return after;
}
