/* reparse3.c - a 3.2 patch parsed again after an edit, one FILE block at a
 * time: the blocks the edit touched are read again (ap_parse3_region), the
 * others move over with their positions shifted. The result is what a whole
 * parse gives, or NULL and why a whole parse is needed
 * (docs/format-3.md, "Parsing again after an edit"). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Is offset i of t[0, len) the start of a line (LF, CRLF, lone CR)? */
static bool line_start(const char *t, size_t len, uint32_t i)
{
    if (i == 0)
        return true;
    char c = t[i - 1];
    return c == '\n' || (c == '\r' && (i >= len || t[i] != '\n'));
}

/* The start of the line holding offset off. */
static uint32_t line_of(const char *t, size_t len, uint32_t off)
{
    while (!line_start(t, len, off))
        off--;
    return off;
}

/* Where the line starting at s ends (its text, without the line break),
 * and where the next one starts. */
static uint32_t line_end(const char *t, size_t len, uint32_t s, uint32_t *next)
{
    uint32_t e = s;
    while (e < len && t[e] != '\n' && t[e] != '\r')
        e++;
    uint32_t i = e;
    if (i < len && t[i] == '\r')
        i++;
    if (i < len && t[i] == '\n' && (i == e || t[i - 1] == '\r'))
        i++;
    *next = i;
    return e;
}

/* Is there a markdown fence among the lines of t from the one at s through
 * the one holding last? */
static bool fence_in(const char *t, size_t len, uint32_t s, uint32_t last)
{
    if (last < s)
        return false; /* (whole lines inserted, or deleted: none touched) */
    for (;;) {
        uint32_t next, e = line_end(t, len, s, &next);
        if (ap_parse3_fence(t + s, e - s))
            return true;
        if (next >= len || next > last || next == s)
            return false;
        s = next;
    }
}

/* A deletion or an insertion is the same edit slid back along the text it
 * repeats: slid to the start of its line when it can be, so whole lines
 * deleted or inserted are seen as such (the common prefix of the texts may
 * run into them: a block deleted before END, both starting with the id). */
static void slide(const char *ot, size_t olen, const char *text, size_t len, uint32_t *P, uint32_t *OE)
{
    uint32_t p = *P, oe = *OE, ne = (uint32_t)((int64_t)oe + (int64_t)len - (int64_t)olen);
    if (oe == p) {
        while (p > 0 && !line_start(ot, olen, p) && text[p - 1] == text[ne - 1])
            p--, ne--;
        oe = p;
    } else if (ne == p) {
        while (p > 0 && !line_start(ot, olen, p) && ot[p - 1] == ot[oe - 1])
            p--, oe--;
    } else {
        return;
    }
    if (line_start(ot, olen, p)) {
        *P = p;
        *OE = oe;
    }
}

/* Does change c start a block (its head is a FILE line)? */
static bool file_head(const ap_patch *p, const ap_change *c)
{
    return ap_parse3_file_line(p->text, c->head.start, c->head.end, p->id.len);
}

/* The number of changes whose head starts before off. */
static size_t changes_before(const ap_patch *p, uint32_t off)
{
    size_t lo = 0, hi = p->n_changes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->changes[mid].head.start < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Does old's problem q belong to the blocks [from, to) parsed again? (By
 * where its span starts: blocks never share a start. With no header, the
 * header's problem spans the first directive's line, in the first block;
 * the problems of the block that start there belong to a change (a missing
 * snippet, on the action's line), since that directive has the patch's id
 * and a keyword spelled exactly: the header's is the one that does not.) */
static bool in_region(uint32_t header_at, const ap_problem *q, uint32_t from, uint32_t to)
{
    if (q->span.start == header_at && q->change < 0)
        return false;
    return q->span.start >= from && q->span.start < to;
}

ap_patch *ap_reparse3(ap_patch *old, const char *text, size_t len, uint32_t P, uint32_t OE, const char **why)
{
    const char *ot = old->text;
    size_t olen = old->len;
    int64_t d = (int64_t)len - (int64_t)olen;
    if (!old->blocks3) {
        *why = "a block of the earlier text may read otherwise alone (no header, a drifted or odd id, too many problems)";
        return NULL;
    }
    slide(ot, olen, text, len, &P, &OE);
    /* the touched lines: from the one holding P (or P - 1 after a lone CR:
     * an LF typed there joins the line break) to the one holding OE, or the
     * one before it when whole lines went and came (the line at OE then
     * starts a line in the new text too, untouched: END after a deleted
     * block) */
    uint32_t a = P > 0 && ot[P - 1] == '\r' ? P - 1 : P, NE = (uint32_t)((int64_t)OE + d);
    bool whole = a == P && OE > 0 && NE > 0 && line_start(ot, olen, OE) && line_start(text, len, NE);
    uint32_t first = line_of(ot, olen, a), last = line_of(ot, olen, whole ? OE - 1 : OE);
    uint32_t new_last = line_of(text, len, whole ? NE - 1 : NE);
    /* (a header at the very end, without a line break, goes on where the
     * body would start) */
    if (a < old->body3 || !line_start(ot, olen, old->body3) || (!old->version.present && first <= old->body3)) {
        *why = "the edit touches the header (or the first directive, which gives the id)";
        return NULL;
    }
    if (old->tail3 < olen && last >= old->tail3) {
        *why = "the edit touches END or the closing fence, or what follows";
        return NULL;
    }
    if (old->fenced3 && (fence_in(ot, olen, first, last) || fence_in(text, len, first, new_last))) {
        *why = "the edit touches a fence line of a fenced patch (the last one closes it)";
        return NULL;
    }
    /* the region: from the block holding the line before the first touched
     * one, to the first FILE line after the last touched one (or the tail) */
    uint32_t from = old->body3;
    if (first > old->body3) {
        uint32_t before = line_of(ot, olen, first - 1);
        for (size_t c = changes_before(old, before + 1); c-- > 0;)
            if (file_head(old, &old->changes[c])) {
                from = old->changes[c].head.start;
                break;
            }
    }
    size_t c0 = changes_before(old, from), c1 = old->n_changes;
    uint32_t to = old->tail3;
    for (size_t c = changes_before(old, last + 1); c < old->n_changes; c++)
        if (file_head(old, &old->changes[c])) {
            c1 = c;
            to = old->changes[c].head.start;
            break;
        }
    bool at_tail = c1 == old->n_changes;
    ap_patch sink = {.text = ap_xmemdup(text, len), .len = len, .format = AP_FORMAT_3_2, .strict = old->strict};
    bool ok = ap_parse3_region(&sink, old, from, (uint32_t)((int64_t)to + d), at_tail);
    /* (with no header, its problem stands at the body's start) */
    uint32_t header_at = old->version.present ? UINT32_MAX : old->body3;
    size_t kept = 0;
    bool astray = false; /* a problem of the region's changes outside it: never seen */
    for (size_t i = 0; i < old->n_problems; i++) {
        const ap_problem *q = &old->problems[i];
        bool mine = in_region(header_at, q, from, to);
        kept += !mine;
        astray |= !mine && q->change >= (int)c0 && q->change < (int)c1;
    }
    if (!ok || astray || kept + sink.n_problems >= AP_MAX_PARSE_PROBLEMS) {
        *why = !ok     ? "the edited blocks meet END or a drifted id"
               : astray ? "a problem of the edited blocks lies outside them"
                        : "too many problems";
        char *copy = sink.text;
        sink.text = NULL;
        for (size_t i = 0; i < sink.n_changes; i++)
            ap_change_fields_free(&sink.changes[i]);
        free(sink.changes);
        ap_problems_free(sink.problems, sink.n_problems);
        free(copy);
        return NULL;
    }

    /* the new patch: old's changes before the region, the region's, old's
     * after it (moved by d, renumbered) */
    ap_patch *np = ap_xcalloc(1, sizeof *np);
    np->text = sink.text;
    np->len = len;
    np->format = AP_FORMAT_3_2;
    np->strict = old->strict;
    np->reparsable = true;
    np->context = old->context; /* the same ids, the same --strict */
    np->body3 = old->body3;
    np->tail3 = (uint32_t)((int64_t)old->tail3 + d);
    np->blocks3 = true;
    np->open3 = old->open3;
    np->fenced3 = old->fenced3;
    np->reparsed = AP_REPARSE_CHANGES;
    np->version = old->version;
    np->id = old->id;
    np->end_f = old->end_f;
    memset(&old->version, 0, sizeof old->version);
    memset(&old->id, 0, sizeof old->id);
    memset(&old->end_f, 0, sizeof old->end_f);
    ap_field_shift(&np->end_f, to, d);
    size_t n_new = sink.n_changes;
    int64_t dc = (int64_t)n_new - (int64_t)(c1 - c0);
    np->n_changes = (size_t)((int64_t)old->n_changes + dc);
    np->changes = ap_xcalloc(np->n_changes ? np->n_changes : 1, sizeof *np->changes);
    size_t j = 0;
    for (size_t k = 0; k < old->n_changes; k++) {
        if (k == c0)
            for (size_t i = 0; i < n_new; i++)
                np->changes[j++] = sink.changes[i];
        if (k >= c0 && k < c1)
            continue; /* freed with old */
        ap_change *o = &old->changes[k];
        np->changes[j] = *o;
        if (k >= c1 && d != 0)
            ap_change_shift(&np->changes[j], to, d);
        j++;
        /* the old change keeps its span (ap_run_reuse compares texts) */
        ap_change_hollow(o);
    }
    if (c0 == old->n_changes)
        for (size_t i = 0; i < n_new; i++)
            np->changes[j++] = sink.changes[i];
    free(sink.changes);
    /* problems: the region's anew, the others moved */
    for (size_t i = 0; i < old->n_problems; i++) {
        ap_problem *pr = &old->problems[i];
        if (in_region(header_at, pr, from, to)) {
            ap_problem_release(pr);
            continue;
        }
        ap_problem *q = ap_problem_push(&np->problems, &np->n_problems);
        *q = *pr;
        if (d != 0)
            ap_problem_shift(q, to, d);
        if (q->change >= (int)c1)
            q->change = (int)(q->change + dc);
    }
    for (size_t i = 0; i < sink.n_problems; i++) {
        ap_problem *q = ap_problem_push(&np->problems, &np->n_problems);
        *q = sink.problems[i];
        if (q->change >= 0)
            q->change += (int)c0;
    }
    free(sink.problems);
    free(old->problems);
    old->problems = NULL;
    old->n_problems = 0;
    ap_problems_sort(np->problems, np->n_problems);
    for (size_t i = 0; i < np->n_problems; i++)
        np->has_errors |= np->problems[i].severity == AP_ERROR;
    ap_reparse_hits++;
    return np;
}
