/* locate3.c - where a 3.2 modification lands (ap.md 3.2 and 3.6).
 *
 * The anchor: every match, those in text the run wrote dropped (unless
 * nothing else is left), those after the cursor preferred; when several
 * remain, the one the snippet is found after, with no other anchor between
 * (3.6 disambiguation). The snippet is searched after the anchor, or from
 * the anchor's first line when the two share lines (3.6 overlap tolerance).
 * Its matches: those in text the run wrote dropped (unless nothing else is
 * left, so a later modification may still edit an earlier one's output;
 * never for an applied-check probe), then those before the cursor; the
 * first that remains is taken when there is an anchor or the locator is
 * repeated on purpose in the group, and several without either are
 * ambiguous. A range ends at the first match of snippet_tail after the
 * snippet, or, tolerantly, at the last one before it (reversed). */
#include "resolve.h"

#include <stdint.h>
#include <stdlib.h>

bool ap_written(const ap_view *v, ap_match m)
{
    for (ap_pos p = m.first;; p = ap_view_next(v, p)) {
        if (p.sp < 0 || v->sp[p.sp].lines[p.k].created)
            return false;
        if (ap_pos_key(p) >= ap_pos_key(m.last))
            return true;
    }
}

/* Keeps the matches in text the run did not write, when there are any (or
 * always, for a probe). */
static void drop_written(const ap_view *v, ap_matches *ms, bool probe)
{
    size_t k = 0;
    for (size_t i = 0; i < ms->n; i++)
        if (!ap_written(v, ms->m[i]))
            ms->m[k++] = ms->m[i];
    if (k > 0 || probe)
        ms->n = k;
}

/* Keeps the matches starting at or after the cursor (none: all stay when
 * `keep` says a filter that empties the list is not applied). */
static void from_cursor(ap_matches *ms, const seq_ctx *sc, bool keep)
{
    if (!sc || !sc->has_cursor)
        return;
    uint64_t c = ap_pos_key(sc->cursor);
    size_t k = 0;
    for (size_t i = 0; i < ms->n; i++)
        if (ap_pos_key(ms->m[i].first) >= c)
            ms->m[k++] = ms->m[i];
    if (k > 0 || !keep)
        ms->n = k;
}

static bool run_eq(const ap_pattern *a, uint32_t i, const ap_pattern *b, uint32_t j, uint32_t k)
{
    for (uint32_t x = 0; x < k; x++)
        if (!ap_line_eq(ap_pattern_at(a, i + x), ap_pattern_at(b, j + x)))
            return false;
    return true;
}

/* Do the anchor's last lines begin the snippet, or does one hold the other? */
static bool overlaps(const ap_pattern *a, const ap_pattern *s)
{
    uint32_t na = a->n, ns = s->n;
    for (uint32_t k = 1; k <= na && k <= ns; k++)
        if (run_eq(a, na - k, s, 0, k))
            return true;
    for (uint32_t i = 0; ns <= na && i + ns <= na; i++)
        if (run_eq(a, i, s, 0, ns))
            return true;
    for (uint32_t i = 0; na <= ns && i + na <= ns; i++)
        if (run_eq(s, i, a, 0, na))
            return true;
    return false;
}

/* Several anchors: the one the snippet is found after, with no other
 * anchor between the two. */
static void tell_anchors_apart(const ap_view *v, const ap_pattern *snip, ap_matches *all)
{
    ap_matches sn = {0};
    ap_find_all(v, snip, ap_view_begin(v), 0, &sn);
    size_t valid = 0, pick = 0;
    for (size_t i = 0; i < all->n && valid < 2; i++) {
        uint64_t after = ap_pos_key(ap_view_next(v, all->m[i].last));
        size_t s = 0;
        while (s < sn.n && ap_pos_key(sn.m[s].first) < after)
            s++;
        if (s == sn.n)
            continue;
        uint64_t at = ap_pos_key(sn.m[s].first);
        bool shadowed = false;
        for (size_t j = 0; j < all->n && !shadowed; j++) {
            uint64_t k = ap_pos_key(all->m[j].first);
            shadowed = j != i && k >= after && k < at;
        }
        if (!shadowed) {
            valid++;
            pick = i;
        }
    }
    if (valid == 1) {
        all->m[0] = all->m[pick];
        all->n = 1;
    }
    ap_matches_release(&sn);
}

/* What first_taken reads the matches for: the first the run did not
 * write, the first of any kind, each starting before `until`. */
typedef struct take_ctx {
    const ap_view *v;
    uint64_t until;
    bool has_any, found;
    ap_match any, m;
} take_ctx;

static bool take_unwritten(void *c, ap_match m)
{
    take_ctx *t = c;
    if (ap_pos_key(m.first) >= t->until)
        return false;
    if (!t->has_any) {
        t->has_any = true;
        t->any = m;
    }
    if (ap_written(t->v, m))
        return true;
    t->found = true;
    t->m = m;
    return false;
}

/* The match that drop_written and from_cursor leave first of every match
 * from scope, read only as far as it: the first the run did not write at
 * or after the cursor; when there is none there, the first at or after it
 * if the run wrote every match from scope (not for a probe). A locator
 * that stands hundreds of times ("return 0;" after its anchor) was found
 * in every place, then all but one dropped (issue 8: 3.2's resolve cost
 * half again 2.0's, whose snippet after an anchor is its first match). */
static bool first_taken(const ap_view *v, const ap_pattern *snip, ap_pos scope, const seq_ctx *sc,
                        ap_match *out)
{
    ap_pos from = scope;
    if (sc && sc->has_cursor && ap_pos_key(sc->cursor) > ap_pos_key(from))
        from = sc->cursor;
    take_ctx t = {v, UINT64_MAX, false, false, {{0, -1, 0}, {0, -1, 0}}, {{0, -1, 0}, {0, -1, 0}}};
    ap_find_each(v, snip, from, take_unwritten, &t);
    if (t.found) {
        *out = t.m;
        return true;
    }
    if (!t.has_any || (sc && sc->probe))
        return false;
    /* every match from the cursor on is the run's: one it did not write
     * before the cursor is kept by drop_written and then dropped */
    take_ctx b = t;
    b.until = ap_pos_key(from);
    b.has_any = b.found = false;
    if (b.until > ap_pos_key(scope))
        ap_find_each(v, snip, scope, take_unwritten, &b);
    if (b.found)
        return false;
    *out = t.any;
    return true;
}

locate_result ap_locate3(const ap_view *v, const ap_mod *m, const mod_pats *mp, const ap_pattern *snip,
                         const seq_ctx *sc, outcome *o, ap_pos *scope)
{
    (void)m;
    *scope = ap_view_begin(v);
    if (mp->has_anchor) {
        ap_matches all = {0};
        if (ap_find_all(v, &mp->anchor, *scope, 0, &all) == 0) {
            o->state = AP_MOD_FAILED;
            o->code = AP_ANCHOR_NOT_FOUND;
            o->fail_field = 0;
            ap_matches_release(&all);
            return LOC_FAILED;
        }
        drop_written(v, &all, false);
        if (all.n > 1)
            from_cursor(&all, sc, true);
        if (all.n > 1)
            tell_anchors_apart(v, snip, &all);
        if (all.n > 1) {
            o->many = all;
            o->state = AP_MOD_FAILED;
            o->code = AP_AMBIGUOUS_ANCHOR;
            o->fail_field = 0;
            return LOC_FAILED;
        }
        o->has_anchor = true;
        o->anchor = all.m[0];
        ap_matches_release(&all);
        *scope = overlaps(&mp->anchor, snip) ? o->anchor.first : ap_view_next(v, o->anchor.last);
    }
    if (mp->has_anchor || (sc && sc->repeat))
        return first_taken(v, snip, *scope, sc, &o->snip) ? LOC_FOUND : LOC_NONE;
    ap_matches occ = {0};
    ap_find_all(v, snip, *scope, 0, &occ);
    drop_written(v, &occ, sc && sc->probe);
    from_cursor(&occ, sc, false);
    if (occ.n == 0) {
        ap_matches_release(&occ);
        return LOC_NONE;
    }
    if (occ.n > 1 && !mp->has_anchor && !(sc && sc->repeat)) {
        o->many = occ;
        return LOC_MANY;
    }
    o->snip = occ.m[0];
    ap_matches_release(&occ);
    return LOC_FOUND;
}

bool ap_locate3_end(const ap_view *v, const mod_pats *mp, outcome *o, ap_pos *last)
{
    if (ap_find_first(v, &mp->end, ap_view_next(v, o->snip.last), &o->end)) {
        *last = o->end.last;
        return true;
    }
    if (!mp->rules->reversed_range)
        return false;
    /* the model swapped the two: the last snippet_tail before the snippet */
    ap_matches all = {0};
    ap_find_all(v, &mp->end, ap_view_begin(v), 0, &all);
    bool found = false;
    for (size_t i = 0; i < all.n && ap_pos_key(all.m[i].last) < ap_pos_key(o->snip.first); i++) {
        o->end = all.m[i];
        found = true;
    }
    ap_matches_release(&all);
    if (found) {
        o->reversed = true;
        *last = o->snip.last;
    }
    return found;
}
