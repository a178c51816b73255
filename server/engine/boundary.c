/* boundary.c - 3.2 locators that are file boundaries (ap.md 3.2): a
 * snippet '^' is the start of the file, '$' (snippet or snippet_tail) its
 * end; no text is searched for them.
 *
 * A point ('^' or '$' alone) is an empty region there: REPLACE and the
 * inserts put the content at it, DELETE removes nothing. A range runs from
 * '^' or its snippet to its snippet_tail or '$'. Applied: a point's content
 * already begins the file at '^' or ends it at '$' (nothing precedes the
 * start, nothing follows the end, so the neighbour rules of 3.1 would never
 * see it, case 73); a range already equals the content, or, deleted, holds
 * nothing but blank lines. */
#include "resolve.h"

static void fail(outcome *o, ap_code code, int field)
{
    o->state = AP_MOD_FAILED;
    o->code = code;
    o->fail_field = field;
}

/* Does [from, to) hold only blank lines? */
static bool blank_between(const ap_view *v, ap_pos from, ap_pos to)
{
    for (ap_pos p = from; ap_pos_key(p) < ap_pos_key(to) && !ap_view_at_end(v, p); p = ap_view_next(v, p))
        if (!ap_view_line(v, p)->blank)
            return false;
    return true;
}

/* Does content c stand at p (the start, the end, or a place between), in
 * text this run did not write? *edge: where it ends (after p) or begins. */
static bool stands_at(const ap_view *v, ap_pos p, const ap_pattern *c, bool after, ap_pos *edge)
{
    bool at_start = ap_pos_key(p) == ap_pos_key(ap_view_begin(v));
    bool at_end = ap_view_at_end(v, p);
    if (at_start && !at_end)
        after = true;
    else if (at_end && !at_start)
        after = false;
    if (after)
        return ap_block_follows(v, p, c, edge) && ap_unwritten(v, p, *edge);
    return ap_block_precedes(v, p, c, edge) && ap_unwritten(v, *edge, p);
}

void ap_resolve_boundary(const ap_view *v, const ap_mod *m, const mod_pats *mp, const seq_ctx *sc,
                         outcome *o)
{
    const ap_pattern *c = &mp->content;
    ap_pos begin = ap_view_begin(v), end = ap_view_end(v);
    const ap_field *start = m->snippet.present ? &m->snippet : &m->start_snippet;
    o->edge = true;
    if (!mp->has_end) {
        o->from = o->to = start->boundary == AP_BOUNDARY_START ? begin : end;
    } else {
        ap_pos scope, last;
        if (start->boundary) {
            o->from = start->boundary == AP_BOUNDARY_START ? begin : end;
            last = o->from;
        } else {
            locate_result got = ap_locate3(v, m, mp, &mp->snippet, sc, o, &scope);
            if (got == LOC_FAILED)
                return;
            if (got == LOC_MANY)
                return fail(o, AP_AMBIGUOUS_MATCH, 1);
            if (got == LOC_NONE)
                return ap_resolve_gone(v, m, mp, scope, o);
            o->from = o->snip.first;
            last = ap_view_next(v, o->snip.last);
        }
        if (m->end_snippet.boundary == AP_BOUNDARY_END) {
            o->to = end;
        } else if (ap_find_first(v, &mp->end, last, &o->end)) {
            o->to = ap_view_next(v, o->end.last);
        } else {
            /* the range's end is gone: deleted, or replaced by a content
             * that stands at its start */
            ap_pos edge;
            if (m->action == AP_DELETE || (m->action == AP_REPLACE && c->n == 0)) {
                o->state = AP_MOD_ALREADY_APPLIED;
                o->why = "the end of its range is gone: already deleted";
                return;
            }
            if (m->action == AP_REPLACE && c->n > 0 && ap_block_follows(v, o->from, c, &edge) &&
                ap_unwritten(v, o->from, edge)) {
                o->state = AP_MOD_ALREADY_APPLIED;
                o->why = "the end of its range is gone and the content stands at its start";
                return;
            }
            return fail(o, mp->rules->tail_not_found, 2);
        }
    }
    o->has_region = true;
    o->at = m->action == AP_INSERT_BEFORE ? o->from : o->to;
    bool point = ap_pos_key(o->from) == ap_pos_key(o->to);
    ap_pos edge;
    switch (m->action) {
    case AP_DELETE:
        if (blank_between(v, o->from, o->to)) {
            o->state = AP_MOD_ALREADY_APPLIED;
            o->why = point ? "a file boundary alone deletes nothing" : "the range holds nothing left to delete";
            return;
        }
        break;
    case AP_REPLACE:
        if (c->n == 0 && blank_between(v, o->from, o->to)) {
            o->state = AP_MOD_ALREADY_APPLIED;
            o->why = "the range holds nothing left to delete";
            return;
        }
        if (c->n > 0 && point && stands_at(v, o->from, c, true, &edge)) {
            o->state = AP_MOD_ALREADY_APPLIED;
            o->why = "the content already stands at the file's boundary";
            return;
        }
        if (c->n > 0 && !point && ap_block_follows(v, o->from, c, &edge) &&
            ap_pos_key(edge) <= ap_pos_key(o->to) && blank_between(v, edge, o->to) &&
            ap_unwritten(v, o->from, o->to)) {
            o->state = AP_MOD_ALREADY_APPLIED;
            o->why = "the text already equals the content";
            o->sets_cursor = true;
            o->next = o->to;
            return;
        }
        break;
    case AP_INSERT_AFTER:
    case AP_INSERT_BEFORE:
        if (c->n == 0 || stands_at(v, o->at, c, m->action == AP_INSERT_AFTER, &edge)) {
            o->state = AP_MOD_ALREADY_APPLIED;
            o->why = c->n == 0 ? "the content is empty: nothing to insert"
                               : "the content already stands at the file's boundary";
            return;
        }
        break;
    default:
        break;
    }
    o->state = AP_MOD_APPLIES;
}
