/* applied.c - recognising modifications already applied where the rules of
 * one modification are not enough: a CREATE_FILE whose file later
 * modifications edited, a text a later modification replaced, inserts at one
 * place. docs/engine.md lists the rules. */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

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
            !ap_same_stripped(ap_view_line(a, p), ap_view_line(b, q)))
            return false;
        p = ap_view_next(a, p);
        q = ap_view_next(b, q);
    }
}

/* Is the file as this change would make it (the content, then the change's
 * later modifications) what the view holds? Then CREATE_FILE was applied. */
bool ap_created_here(run_ctx *x, int fi, int ch, int md, const ap_view *existing)
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
    ap_nline *lines = ap_indented_lines(&mp->content, &none, ch, md, true, &store, &n);
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
            ap_resolve(&scratch, &c->mods[j], &x->pats[c2][j], &o);
            ap_matches_release(&o.many);
            if (o.state == AP_MOD_FAILED)
                ok = false;
            else if (o.state == AP_MOD_APPLIES)
                free(ap_apply_outcome(&scratch, &c->mods[j], &x->pats[c2][j], c2, (int)j, &o));
        }
    }
    ok = ok && views_same(&scratch, existing);
    ap_view_release(&scratch);
    return ok;
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

bool ap_superseded(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    const mod_pats *mp = &x->pats[ch][md];
    const ap_pattern *want = ap_failing_pattern(mp, o->fail_field);
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
            ap_resolve(v, &c->mods[j], later, &lo);
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
bool ap_behind_later_inserts(run_ctx *x, int fi, int ch, int md, const outcome *o)
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
                if (after ? !ap_block_follows(v, p, &later->content, &q)
                          : !ap_block_precedes(v, p, &later->content, &q))
                    continue;
                outcome lo;
                ap_resolve(v, mj, later, &lo);
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
        if (after ? ap_block_follows(v, p, &mp->content, NULL) : ap_block_precedes(v, p, &mp->content, NULL))
            return true;
    }
}
