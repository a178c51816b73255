/* sequence.c - a 3.2 file group, modification by modification in order
 * (ap.md 3.2 "Sequential Cursoring", 3.3, 3.4).
 *
 * Each modification searches from where the one before it left the cursor
 * (the line after what it wrote, or after the text it recognised as
 * applied), so a patch reads top to bottom and a locator repeated on purpose
 * (the same anchor, snippet and snippet_tail) addresses its copies in order.
 * A modification that fails waits: when a pass applied something, another
 * pass tries the waiting ones again from the top (a later one may have been
 * written against an earlier one's output, case 75); --strict tries once.
 * What still fails is reported, as LOCATOR_CONSUMED when its locator stood
 * in the file as read and an earlier modification of the group removed it. */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

typedef struct seq_mod {
    int ch, md;
    uint64_t key;    /* its locator, for telling repeated ones */
    const mod_pats *mp; /* (with a key) the locator's lines */
    bool repeat, done, failed;
    outcome fail;    /* the last failure, for the report */
} seq_mod;

/* A locator as a hash of its anchor, snippet and snippet_tail lines. */
static uint64_t locator_key(const mod_pats *mp)
{
    const ap_pattern *parts[3] = {&mp->anchor, &mp->snippet, &mp->end};
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 3; i++) {
        for (uint32_t k = 0; k < parts[i]->n; k++)
            h = (h ^ ap_pattern_at(parts[i], k)->hash) * 0x100000001b3ull;
        h = (h ^ (uint64_t)(i + 1)) * 0xff51afd7ed558ccdull;
    }
    return h;
}

/* Do two locators hold the same lines (what equal keys suggest: the line
 * hashes are filters, the bytes decide)? */
static bool same_locator(const mod_pats *a, const mod_pats *b)
{
    const ap_pattern *pa[3] = {&a->anchor, &a->snippet, &a->end};
    const ap_pattern *pb[3] = {&b->anchor, &b->snippet, &b->end};
    for (int i = 0; i < 3; i++) {
        if (pa[i]->n != pb[i]->n)
            return false;
        for (uint32_t k = 0; k < pa[i]->n; k++)
            if (!ap_line_eq(ap_pattern_at(pa[i], k), ap_pattern_at(pb[i], k)))
                return false;
    }
    return true;
}

static int by_key(const void *a, const void *b)
{
    const seq_mod *const *x = a, *const *y = b;
    return (*x)->key < (*y)->key ? -1 : (*x)->key > (*y)->key;
}

/* Marks the modifications whose locator another one repeats. */
static void mark_repeated(seq_mod *mods, size_t n)
{
    seq_mod **order = ap_xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = &mods[i];
    if (n > 1)
        qsort(order, n, sizeof *order, by_key);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && order[j]->key == order[i]->key; j++)
            ;
        for (size_t a = i; order[i]->key && a < j; a++)
            for (size_t b = a + 1; b < j; b++)
                if (same_locator(order[a]->mp, order[b]->mp))
                    order[a]->repeat = order[b]->repeat = true;
    }
    free(order);
}

/* Does pattern p stand in text s? */
static bool text_holds(const char *s, const ap_pattern *p)
{
    ap_text *t = ap_text_new(s, strlen(s));
    ap_view v;
    ap_view_init(&v, t);
    ap_text_release(t);
    ap_match m;
    bool found = ap_find_first(&v, p, ap_view_begin(&v), &m);
    ap_view_release(&v);
    return found;
}

/* 3.4: a locator not found that an earlier modification of the group
 * removed. *by: that one's index in mods, or -1 (it stood in the file as
 * read, and is gone). */
static bool consumed(run_ctx *x, int fi, const seq_mod *mods, size_t n, size_t k, int *by)
{
    const seq_mod *s = &mods[k];
    const mod_pats *mp = &x->pats[s->ch][s->md];
    ap_code code = s->fail.code;
    if (code != AP_SNIPPET_NOT_FOUND && code != AP_ANCHOR_NOT_FOUND && code != mp->rules->tail_not_found)
        return false;
    const ap_pattern *want = ap_failing_pattern(mp, s->fail.fail_field);
    for (size_t j = 0; j < n; j++) {
        const ap_mod_result *r = &x->run->mods[mods[j].ch][mods[j].md];
        const ap_mod *m = &x->patch->changes[mods[j].ch].mods[mods[j].md];
        if (j == k || r->state != AP_MOD_APPLIES || !r->before || !r->before[0] ||
            (m->action != AP_REPLACE && m->action != AP_DELETE && m->action != AP_RECREATE))
            continue;
        if (text_holds(r->before, want)) {
            *by = (int)j;
            return true;
        }
    }
    const ap_view *v = &x->fst[fi].view;
    ap_view orig;
    ap_view_init(&orig, v->base);
    ap_match m;
    bool was = x->fst[fi].exists && ap_find_first(&orig, want, ap_view_begin(&orig), &m);
    ap_view_release(&orig);
    if (!was || ap_find_first(v, want, ap_view_begin(v), &m))
        return false;
    *by = -1;
    return true;
}

static void report_consumed(run_ctx *x, int fi, const seq_mod *mods, size_t k, int by)
{
    const seq_mod *s = &mods[k];
    const ap_mod *m = &x->patch->changes[s->ch].mods[s->md];
    const ap_field *f = s->fail.fail_field == 0   ? &m->anchor
                        : s->fail.fail_field == 2 ? &m->end_snippet
                        : m->snippet.present      ? &m->snippet
                                                  : &m->start_snippet;
    /* (no patch position in the message: the note carries it, and moves
     * with the text when the language server takes the result over) */
    char *who;
    if (by >= 0) {
        const ap_mod *c = &x->patch->changes[mods[by].ch].mods[mods[by].md];
        who = ap_xprintf("an earlier %s of this patch", ap_action_keyword(x->patch->format, c->action));
    } else {
        who = ap_xstrdup("an earlier modification");
    }
    const ap_pattern *want = ap_failing_pattern(&x->pats[s->ch][s->md], s->fail.fail_field);
    const ap_line *l = ap_pattern_at(want, 0);
    ap_problem *pr = ap_run_problem(
        x->run, AP_LOCATOR_CONSUMED, AP_ERROR, f->span, s->ch, s->md,
        "%s '%.*s%s' stood in %s, but %s removed it: modifications apply in order, each to what "
        "the ones before it left; fold this change into that one's content, or locate it in the "
        "text as that one leaves it",
        f->name, (int)(l->s_len > 60 ? 60 : l->s_len), l->s + l->s_off, l->s_len > 60 || want->n > 1 ? "..." : "",
        x->run->files[fi].path, who);
    if (by >= 0) {
        const ap_mod *c = &x->patch->changes[mods[by].ch].mods[mods[by].md];
        ap_problem_relate(pr, -1, (ap_tspan){0, 0, 0, 0, -1, -1}, c->action_f.span, "this %s removed it",
                          ap_action_keyword(x->patch->format, c->action));
    }
    free(who);
    x->run->mods[s->ch][s->md].code = AP_LOCATOR_CONSUMED;
}

void ap_sequence(run_ctx *x, int fi)
{
    const file_state *fs = &x->fst[fi];
    seq_mod *mods = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; k < fs->n_changes; k++) {
        int ch = fs->changes[k];
        const ap_change *c = &x->patch->changes[ch];
        for (size_t md = 0; md < c->n_mods; md++) {
            if (!c->mods[md].ok || !ap_run_selected(&x->run->opts, ch, (int)md))
                continue;
            AP_GROW(mods, n, cap);
            memset(&mods[n], 0, sizeof mods[n]);
            mods[n].ch = ch;
            mods[n].md = (int)md;
            const mod_pats *mp = &x->pats[ch][md];
            if (mp->has_anchor || mp->snippet.n) {
                mods[n].key = locator_key(mp);
                mods[n].mp = mp;
            }
            n++;
        }
    }
    mark_repeated(mods, n);
    bool retry = n > 0 && x->pats[mods[0].ch][mods[0].md].rules->retry;
    for (;;) {
        seq_ctx sc = {ap_view_begin(&fs->view), false, false, false};
        bool progress = false, failing = false;
        for (size_t k = 0; k < n; k++) {
            seq_mod *s = &mods[k];
            if (s->done)
                continue;
            sc.repeat = s->repeat;
            outcome o;
            ap_pos next;
            bool sets = false;
            ap_mod_state st = ap_run_mod(x, fi, s->ch, s->md, &sc, &o, &next, &sets);
            if (s->failed)
                ap_matches_release(&s->fail.many);
            s->failed = st == AP_MOD_FAILED;
            if (s->failed) {
                s->fail = o;
                /* (reported at once: no other pass changes a CREATE's answer) */
                s->done = o.reported;
                failing |= !o.reported;
                continue;
            }
            s->done = true;
            if (sets) {
                sc.cursor = next;
                sc.has_cursor = true;
            }
            progress |= st == AP_MOD_APPLIES;
        }
        if (!failing || !progress || !retry)
            break;
    }
    for (size_t k = 0; k < n; k++) {
        if (!mods[k].failed || mods[k].fail.reported)
            continue;
        if (mods[k].fail.behind) {
            /* no later pass came (nothing else applied): deleted as far as
             * the order of the modifications reaches */
            ap_mod_result *r = &x->run->mods[mods[k].ch][mods[k].md];
            r->state = AP_MOD_ALREADY_APPLIED;
            r->code = AP_OK;
            r->why = "its text is gone from where the modifications before it left off "
                     "(a copy above that place is not this one's)";
            ap_matches_release(&mods[k].fail.many);
            continue;
        }
        int by;
        if (consumed(x, fi, mods, n, k, &by))
            report_consumed(x, fi, mods, k, by);
        else
            ap_report_failure(x, fi, mods[k].ch, mods[k].md, &mods[k].fail);
        ap_matches_release(&mods[k].fail.many);
    }
    free(mods);
}

void ap_sequence_forward(ap_view *v, const gmod *mods, size_t n, fwd_result *out)
{
    bool seq = n > 0 && mods[0].mp->rules->sequential;
    bool retry = n > 0 && mods[0].mp->rules->retry;
    seq_mod *sm = ap_xcalloc(n ? n : 1, sizeof *sm);
    for (size_t k = 0; k < n; k++) {
        out[k].state = AP_MOD_NOT_RUN;
        out[k].has_region = false;
        if (seq && (mods[k].mp->has_anchor || mods[k].mp->snippet.n)) {
            sm[k].key = locator_key(mods[k].mp);
            sm[k].mp = mods[k].mp;
        }
    }
    if (seq)
        mark_repeated(sm, n);
    for (;;) {
        seq_ctx sc = {ap_view_begin(v), false, false, false};
        bool progress = false, failing = false;
        for (size_t k = 0; k < n; k++) {
            if (sm[k].done)
                continue;
            const gmod *g = &mods[k];
            outcome o;
            sc.repeat = sm[k].repeat;
            ap_pos next = ap_view_begin(v);
            bool sets = false;
            if (g->m->action == AP_RECREATE || g->m->action == AP_CREATE_FILE) {
                /* the whole text anew (a CREATE in the middle: as RECREATE) */
                ap_buf store = AP_BUF_INIT;
                uint32_t nl;
                ap_line none = {0};
                none.s = "";
                ap_nline *lines = ap_indented_lines(&g->mp->content, &none, g->ch, g->md, true, &store, &nl);
                next = ap_view_replace(v, ap_view_begin(v), ap_view_end(v), lines, nl);
                free(lines);
                ap_buf_release(&store);
                memset(&o, 0, sizeof o);
                o.state = AP_MOD_APPLIES;
                sets = true;
            } else {
                ap_resolve(v, g->m, g->mp, seq ? &sc : NULL, &o);
                ap_matches_release(&o.many);
                if (o.state == AP_MOD_APPLIES) {
                    free(ap_apply_outcome(v, g->m, g->mp, g->ch, g->md, &o, &next));
                    sets = true;
                } else if (o.state == AP_MOD_ALREADY_APPLIED && o.sets_cursor) {
                    next = o.next;
                    sets = true;
                }
            }
            out[k].state = o.state;
            out[k].has_region = o.has_region;
            if (o.state == AP_MOD_FAILED && o.behind)
                out[k].state = AP_MOD_ALREADY_APPLIED; /* unless a later pass deletes it */
            if (o.state == AP_MOD_FAILED) {
                failing = true;
                if (!seq)
                    break;
                continue;
            }
            sm[k].done = true;
            if (sets) {
                sc.cursor = next;
                sc.has_cursor = true;
            }
            progress |= o.state == AP_MOD_APPLIES;
        }
        if (!seq || !failing || !progress || !retry)
            break;
    }
    free(sm);
}
