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
    /* the later modifications of this change, and of later changes naming
     * the same file, run as a first run would */
    gmod *later = NULL;
    size_t nl = 0, cap = 0;
    for (size_t k = 0; k < fs->n_changes; k++) {
        int c2 = fs->changes[k];
        if (c2 < ch || !x->pats[c2])
            continue;
        const ap_change *c = &x->patch->changes[c2];
        for (size_t j = (c2 == ch ? (size_t)md + 1 : 0); j < c->n_mods; j++) {
            if (!c->mods[j].ok || c->mods[j].action == AP_CREATE_FILE)
                continue;
            AP_GROW(later, nl, cap);
            later[nl++] = (gmod){c2, (int)j, &c->mods[j], &x->pats[c2][j]};
        }
    }
    fwd_result *res = ap_xcalloc(nl ? nl : 1, sizeof *res);
    ap_sequence_forward(&scratch, later, nl, res);
    bool ok = true;
    for (size_t k = 0; k < nl && ok; k++)
        ok = res[k].state != AP_MOD_FAILED;
    free(res);
    free(later);
    ok = ok && views_same(&scratch, existing);
    ap_view_release(&scratch);
    return ok;
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
                if (!mj->ok || !ap_action_inserts(mj->action) ||
                    later->content.n == 0 ||
                    ap_pattern_at(&later->content, after ? 0 : later->content.n - 1)->hash != h)
                    continue;
                ap_pos q;
                if (after ? !ap_block_follows(v, p, &later->content, &q) || !ap_unwritten(v, p, q)
                          : !ap_block_precedes(v, p, &later->content, &q) || !ap_unwritten(v, q, p))
                    continue;
                outcome lo;
                ap_resolve(v, mj, later, NULL, &lo);
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
        /* (evidence only in the file as it was read: never what this run wrote) */
        ap_pos e;
        if (after ? ap_block_follows(v, p, &mp->content, &e) && ap_unwritten(v, p, e)
                  : ap_block_precedes(v, p, &mp->content, &e) && ap_unwritten(v, e, p))
            return true;
    }
}

/* ------------------------------------------------ the group as a whole */

/* A file group is applied when the text is what its modifications make of
 * a pre-image they themselves describe: undo them, last first (a REPLACE's
 * content back to its snippet, an insert's content taken out, a deletion's
 * text put back), then run them forward on that pre-image: every one must
 * apply and the result must be the text, line for line. The forward run is
 * the proof; undoing only proposes. Where a content stands in several places
 * each is tried, within a budget. Pre-images that disagree on where a content
 * stands are taken only on evidence that the patch was applied and that the
 * snippet was not simply wrong (see ap_group_applied). Nothing the run itself
 * wrote is ever evidence: this is asked of the file as it was read.
 *
 * A deletion is undone only where its text is gone from its scope: a DELETE
 * whose text still stands after its anchor may be the next copy of a text
 * already deleted, or the text to delete, and the text cannot tell which. */

#define UNDO_CANDIDATES 8 /* places tried for one modification */
#define UNDO_LOST 16      /* earlier modifications a range's lost text is
                             * looked for in */
#define UNDO_ATTEMPTS 256 /* pre-images tried for one group (64 until session 19:
                             * docs/engine.md, the cost measured) */

typedef struct undo_state {
    const gmod *mods;
    size_t n;
    uint32_t *choice;  /* per modification (undo order): the candidate taken */
    uint32_t *count;   /* and how many there were */
    /* per step, the most candidates an attempt since its choice last
     * started over found: a step's candidates depend on where the
     * deletions undone before it put their text, which the inner loop
     * varies (1014038: the third place of an insert's snippet exists only
     * once a range's text is back) */
    uint32_t *seen;
    ap_tspan *where;   /* where in the file the content undone stood */
    ap_buf store;      /* text of the lines put in */
    /* the answers of ap_snippet_looks_elsewhere so far, by the choices that
     * led to them (a scan of every line: a pre-image tried again after a
     * later step took another candidate asks the same questions of the
     * same text) */
    struct looks_memo {
        size_t step;
        uint32_t *choices; /* choice[0..step] */
        bool answer;
    } *memo;
    size_t n_memo, cap_memo;
} undo_state;

/* The view undo step `step` works on is made by the steps before it, each
 * from its choice; its candidate is its own choice. So the choices up to
 * it name the question. */
static bool looks_elsewhere(undo_state *u, size_t step, const ap_view *s, const ap_pattern *snip,
                            ap_match where)
{
    for (size_t i = 0; i < u->n_memo; i++)
        if (u->memo[i].step == step &&
            memcmp(u->memo[i].choices, u->choice, (step + 1) * sizeof *u->choice) == 0)
            return u->memo[i].answer;
    bool answer = ap_snippet_looks_elsewhere(s, snip, where);
    AP_GROW(u->memo, u->n_memo, u->cap_memo);
    uint32_t *key = ap_xmalloc((step + 1) * sizeof *key);
    memcpy(key, u->choice, (step + 1) * sizeof *key);
    u->memo[u->n_memo++] = (struct looks_memo){step, key, answer};
    return answer;
}

static bool is_delete(const gmod *g)
{
    return g->m->action == AP_DELETE || (g->m->action == AP_REPLACE && g->mp->content.n == 0);
}

/* The whitespace that indents a content inserted at line l: l's leading
 * white space less what the content's first line has of its own. */
static bool indent_of(const ap_line *l, const ap_pattern *c, const char **ind, uint32_t *n)
{
    uint32_t own = c->lines[c->nb[0]].s_off;
    if (l->s_off < own)
        return false;
    *ind = l->s;
    *n = l->s_off - own;
    return true;
}

/* Appends lines: blank ones, then the stripped lines of p indented by ind
 * (and, rel, by what each has beyond p's least indented line). */
static void put_lines_at(ap_buf *store, ap_nline **out, uint32_t *n, uint32_t *cap, const char *ind,
                         uint32_t ind_len, const ap_pattern *p, uint32_t blanks_before,
                         uint32_t blanks_after, bool rel)
{
    uint32_t total = blanks_before + (p ? p->n : 0) + blanks_after, least = UINT32_MAX;
    for (uint32_t i = 0; rel && p && i < p->n; i++)
        if (ap_pattern_at(p, i)->s_off < least)
            least = ap_pattern_at(p, i)->s_off;
    for (uint32_t i = 0; i < total; i++) {
        size_t at = store->len;
        bool text = p && i >= blanks_before && i < blanks_before + p->n;
        if (text) {
            const ap_line *l = ap_pattern_at(p, i - blanks_before);
            ap_buf_add(store, ind, ind_len);
            if (rel)
                ap_buf_add(store, l->s + least, l->s_off - least);
            ap_buf_add(store, l->s + l->s_off, l->s_len);
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *out = ap_xrealloc(*out, *cap * sizeof **out);
        }
        /* the text is set once the store stops moving */
        (*out)[*n].l.s = (const char *)(uintptr_t)at;
        (*out)[*n].l.len = (uint32_t)(store->len - at);
        (*out)[*n].change = (*out)[*n].mod = -1;
        (*n)++;
    }
}

static void put_lines(ap_buf *store, ap_nline **out, uint32_t *n, uint32_t *cap, const char *ind,
                      uint32_t ind_len, const ap_pattern *p, uint32_t blanks_before, uint32_t blanks_after)
{
    put_lines_at(store, out, n, cap, ind, ind_len, p, blanks_before, blanks_after, false);
}

static void fix_lines(const ap_buf *store, ap_nline *lines, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t at = (size_t)(uintptr_t)lines[i].l.s;
        ap_line_init(&lines[i].l, store->s + at, lines[i].l.len, AP_EOL_LF);
    }
}

/* The lines from p on equal lines ind + c's lines, all of them (blank ones
 * included): *end is the line after them. */
static bool inserted_at(const ap_view *v, ap_pos p, const ap_pattern *c, const char *ind,
                        uint32_t ind_len, ap_pos *end)
{
    for (uint32_t i = 0; i < c->n_lines; i++) {
        if (ap_view_at_end(v, p))
            return false;
        const ap_line *l = ap_view_line(v, p), *w = &c->lines[i];
        if (w->blank ? !l->blank
                     : l->blank || l->s_len != w->s_len || l->s_off != ind_len + w->s_off ||
                           memcmp(l->s + l->s_off, w->s + w->s_off, w->s_len) != 0)
            return false;
        p = ap_view_next(v, p);
    }
    *end = p;
    return true;
}

/* The same, ending right before p: *start is their first line. */
static bool inserted_before(const ap_view *v, ap_pos p, const ap_pattern *c, const char *ind,
                            uint32_t ind_len, ap_pos *start)
{
    ap_pos q = p;
    for (uint32_t i = 0; i < c->n_lines; i++)
        if (!ap_view_prev(v, q, &q))
            return false;
    ap_pos end;
    if (!inserted_at(v, q, c, ind, ind_len, &end) || ap_pos_key(end) != ap_pos_key(p))
        return false;
    *start = q;
    return true;
}

/* Up to limit blank lines at p going down (or up, before p): the edge. */
static ap_pos over_blanks(const ap_view *v, ap_pos p, uint32_t limit, bool down)
{
    for (uint32_t i = 0; i < limit; i++) {
        ap_pos q;
        if (down) {
            if (ap_view_at_end(v, p) || !ap_view_line(v, p)->blank)
                break;
            p = ap_view_next(v, p);
        } else {
            if (!ap_view_prev(v, p, &q) || !ap_view_line(v, q)->blank)
                break;
            p = q;
        }
    }
    return p;
}

static bool same_pattern(const ap_pattern *a, const ap_pattern *b)
{
    return a->n == b->n && run_within(a, b);
}

/* The most lines that end a and begin b alike. */
static uint32_t overlap(const ap_pattern *a, const ap_pattern *b)
{
    for (uint32_t j = a->n < b->n ? a->n : b->n; j > 0; j--) {
        uint32_t i = 0;
        while (i < j && ap_line_eq(ap_pattern_at(a, a->n - j + i), ap_pattern_at(b, i)))
            i++;
        if (i == j)
            return j;
    }
    return 0;
}

/* Where q's lines stand together in p, from line `from` on (UINT32_MAX:
 * nowhere). */
static uint32_t find_in(const ap_pattern *p, const ap_pattern *q, uint32_t from)
{
    for (uint32_t i = from; q->n > 0 && i + q->n <= p->n; i++) {
        uint32_t j = 0;
        while (j < q->n && ap_line_eq(ap_pattern_at(p, i + j), ap_pattern_at(q, j)))
            j++;
        if (j == q->n)
            return i;
    }
    return UINT32_MAX;
}

/* What a range held between its ends is unknown, but what earlier
 * modifications looked for or wrote and no longer stands anywhere may have
 * been in it (the range took it away): it goes between the ends, in order
 * (an insert's snippet on the side of its content it was found on). The
 * range began at its start: the first lost text that is the start, or
 * holds it, says where, and what came before it in the patch stood before
 * the range (1000013: an insert's snippet the range started inside);
 * likewise it ended at the first end in what follows. A text the range's own ends are
 * was one of them (1006464). Lines that the first text put shares with the
 * start (its first lines) or the last with the end (its last) were those
 * ends, and are put once (1001287). Each text goes at the start's
 * indentation, its lines keeping what they have beyond its least indented
 * one (1001419: a content of two indentations, put flat, was no longer the
 * content). Returns how many of the end's first lines the text put ends
 * with (the caller leaves them out). */
static uint32_t put_lost_text(const ap_view *s, const gmod *mods, size_t k, ap_buf *store,
                              ap_nline **lines, uint32_t *nl, uint32_t *cap, const char *ind, uint32_t ind_len)
{
    const ap_pattern *st = &mods[k].mp->snippet, *en = &mods[k].mp->end;
    ap_pattern lost[2 * UNDO_LOST];
    int mark[2 * UNDO_LOST]; /* 0 a lost text, 1 the start, 2 the end */
    size_t nlost = 0;
    for (size_t j = 0; j < k && nlost + 2 <= 2 * UNDO_LOST; j++) {
        const ap_pattern *pats[2] = {&mods[j].mp->snippet, &mods[j].mp->content};
        if (mods[j].m->action == AP_INSERT_BEFORE)
            pats[0] = &mods[j].mp->content, pats[1] = &mods[j].mp->snippet;
        else if (mods[j].m->action != AP_INSERT_AFTER)
            pats[0] = NULL; /* a REPLACE's snippet is gone by design */
        for (int t = 0; t < 2; t++) {
            ap_match m;
            if (!pats[t] || pats[t]->n == 0)
                continue;
            int is = same_pattern(pats[t], st) ? 1 : same_pattern(pats[t], en) ? 2 : 0;
            if (is || !ap_find_first(s, pats[t], ap_view_begin(s), &m)) {
                lost[nlost] = *pats[t];
                mark[nlost++] = is;
            }
        }
    }
    /* where the range began: the first start among them (an insert's
     * content that repeats its snippet, the start, follows it inside the
     * range: 1003076) */
    size_t from = 0;
    bool started = false;
    for (size_t i = 0; i < nlost && !started; i++) {
        uint32_t at = mark[i] == 0 ? find_in(&lost[i], st, 0) : UINT32_MAX;
        if (mark[i] == 1) {
            from = i + 1;
            started = true;
        } else if (at != UINT32_MAX) {
            lost[i].nb += at + st->n;
            lost[i].n -= at + st->n;
            from = i;
            started = true;
        }
    }
    uint32_t ends = 0;
    bool first = !started;
    for (size_t i = from; i < nlost; i++) {
        if (mark[i] == 2)
            return 0; /* the range ended here */
        if (mark[i] == 1)
            continue;
        ap_pattern rest = lost[i];
        uint32_t head = first ? overlap(st, &rest) : 0;
        rest.nb += head;
        rest.n -= head;
        first = false;
        uint32_t cut = find_in(&rest, en, 0);
        if (cut != UINT32_MAX)
            rest.n = cut;
        if (rest.n > 0)
            put_lines_at(store, lines, nl, cap, ind, ind_len, &rest, 0, 0, true);
        if (cut != UINT32_MAX)
            return 0;
        if (rest.n > 0)
            ends = overlap(&rest, en);
    }
    return ends;
}

/* A range's end put after its start: with the text lost between them
 * (put_lost_text, the lines it shares with the end not put twice) when
 * with_lost; bare, the end alone, and false when nothing was lost (the
 * same place as with it: not a second candidate). */
static bool put_range_end(const ap_view *s, const gmod *mods, size_t k, ap_buf *store, ap_nline **lines,
                          uint32_t *nl, uint32_t *cap, const char *ind, uint32_t ind_len, bool with_lost,
                          bool bare)
{
    ap_pattern tail = mods[k].mp->end;
    if (with_lost) {
        uint32_t was = *nl, shared = put_lost_text(s, mods, k, store, lines, nl, cap, ind, ind_len);
        if (bare && *nl == was)
            return false;
        if (bare)
            *nl = was, shared = 0;
        tail.nb += shared;
        tail.n -= shared;
    }
    put_lines(store, lines, nl, cap, ind, ind_len, &tail, 0, 0);
    return true;
}

/* Adds to out the places where pattern x stands cut: a run of its first
 * lines followed by something else (the place after them), or a run of its
 * last lines preceded by something else (the place before them). */
/* A place where a deleted text may have stood, and (where an earlier
 * content stands cut before it) that content's line above the place and
 * its line that came next: their indentations differ by what the text's
 * should differ from the line above's. */
typedef struct del_place {
    ap_pos at;
    const ap_line *above, *next;
    const char *ind; /* or its indentation itself (ind_len bytes), if ind */
    uint32_t ind_len;
} del_place;

static void cut_places(const ap_view *s, const ap_pattern *x, del_place *out, uint32_t *n, uint32_t max,
                       bool hint)
{
    if (x->n < 2)
        return;
    for (int end = 0; end < 2; end++) {
        ap_pattern one = *x;
        if (end) { /* the last line alone */
            one.nb = x->nb + x->n - 1;
        }
        one.n = 1;
        ap_matches at = {0};
        ap_find_all(s, &one, ap_view_begin(s), UNDO_CANDIDATES, &at);
        for (size_t i = 0; i < at.n && *n < max; i++) {
            ap_pos q = at.m[i].first, edge = q;
            uint32_t got = 0;
            while (got < x->n && !ap_view_at_end(s, q) &&
                   ap_line_eq(ap_view_line(s, q), ap_pattern_at(x, end ? x->n - 1 - got : got))) {
                edge = q;
                got++;
                if (!end) {
                    q = ap_view_skip_blank(s, ap_view_next(s, q));
                } else { /* upwards, over blank lines */
                    ap_pos r = q;
                    bool moved = false;
                    while (ap_view_prev(s, r, &r))
                        if (!ap_view_line(s, r)->blank) {
                            moved = true;
                            break;
                        }
                    if (!moved)
                        break;
                    q = r;
                }
            }
            if (got > 0 && got < x->n) {
                out[*n] = (del_place){end ? edge : ap_view_next(s, edge), NULL, NULL, NULL, 0};
                if (hint && !end)
                    out[*n].above = ap_pattern_at(x, got - 1), out[*n].next = ap_pattern_at(x, got);
                /* a content's last lines standing: the text taken before
                 * them was as indented as the first of them says, less
                 * what the content's lines differ by (1028173: not like
                 * the line above, which is no part of the content) */
                if (hint && end) {
                    const ap_line *stood = ap_view_line(s, edge);
                    uint32_t was = ap_pattern_at(x, x->n - 1 - got)->s_off,
                             next = ap_pattern_at(x, x->n - got)->s_off;
                    if (was <= next && next - was <= stood->s_off)
                        out[*n].ind = stood->s, out[*n].ind_len = stood->s_off - (next - was);
                }
                (*n)++;
            }
        }
        ap_matches_release(&at);
    }
}

/* Where a deleted text may have stood: after each match of the anchor (or
 * at the top), and where an earlier modification's locator or content
 * stands cut (a deletion took part of what it looked for or wrote).
 * Returns how many. */
static uint32_t deleted_places(const ap_view *s, const gmod *mods, size_t k, const ap_matches *anchors,
                               del_place *out, uint32_t max)
{
    uint32_t n = 0;
    const mod_pats *mp = mods[k].mp;
    if (mp->has_anchor)
        for (size_t i = 0; i < anchors->n && n < max; i++)
            out[n++] = (del_place){ap_view_next(s, anchors->m[i].last), NULL, NULL, NULL, 0};
    else
        out[n++] = (del_place){ap_view_begin(s), NULL, NULL, NULL, 0};
    for (size_t j = 0; j < k && n < max; j++) {
        const gmod *e = &mods[j];
        cut_places(s, &e->mp->snippet, out, &n, max, false);
        cut_places(s, &e->mp->content, out, &n, max, true);
        /* an insert's place, whose locator the deletion took */
        if (ap_action_inserts(e->m->action) &&
            e->mp->content.n > 0) {
            ap_match at;
            bool before = e->m->action == AP_INSERT_BEFORE;
            if (ap_find_first(s, &e->mp->content, ap_view_begin(s), &at)) {
                out[n] = (del_place){before ? ap_view_next(s, at.last) : at.first, NULL, NULL, NULL, 0};
                /* as indented as the content says its snippet was (2.0
                 * indents a content like its snippet: 1001315) */
                if (!indent_of(ap_view_line(s, at.first), &e->mp->content, &out[n].ind, &out[n].ind_len))
                    out[n].ind = NULL;
                n++;
            }
        }
    }
    return n;
}

/* Does the snippet stand, now, over the content's place? Had the content
 * replaced it there, it would not: a REPLACE that drops the last line of
 * its snippet ("b c d" -> "b c") finds its content inside the snippet in the
 * file as it was, which is no sign that it was applied. (A content that
 * holds its snippet is the exception: applied, the snippet stands inside.) */
static bool snippet_stands_over(const ap_view *s, const mod_pats *mp, ap_match cm)
{
    if (mp->snippet.n == 0 || run_within(&mp->content, &mp->snippet))
        return false;
    ap_matches all = {0};
    ap_find_all(s, &mp->snippet, ap_view_begin(s), 0, &all);
    bool over = false;
    for (size_t i = 0; i < all.n && !over; i++)
        over = ap_pos_key(all.m[i].first) <= ap_pos_key(cm.last) &&
               ap_pos_key(all.m[i].last) >= ap_pos_key(cm.first);
    ap_matches_release(&all);
    return over;
}

/* Does every copy of text t (the first at first) stand wholly above the
 * first place the content of modification e (a REPLACE or insert that
 * wrote lines) stands? Then *past is that place's last line's key. False
 * when e wrote nothing: where it left the cursor is not known. (Two
 * searches that stop at their first match: listing every copy of a
 * common line cost 5% of an r3 3.2 dry run.) */
static bool copies_above(const ap_view *s, const gmod *e, const ap_pattern *t, ap_match first, uint64_t *past)
{
    if (is_delete(e) || e->mp->content.n == 0)
        return false;
    ap_match cm, m;
    if (!ap_find_first(s, &e->mp->content, ap_view_begin(s), &cm) ||
        ap_pos_key(first.last) >= ap_pos_key(cm.first))
        return false;
    /* a copy starting up to t->n - 1 lines above the content reaches it */
    ap_pos from = cm.first, p;
    for (uint32_t i = 1; i < t->n && ap_view_prev(s, from, &p); i++)
        from = p;
    if (ap_pos_key(from) <= ap_pos_key(first.first))
        from = ap_view_next(s, first.first);
    if (ap_find_first(s, t, from, &m))
        return false;
    *past = ap_pos_key(cm.last);
    return true;
}

/* Undoes modification k of mods (the k-th in patch order) on s, taking
 * candidate choice; sets *count to how many candidates there were. */
static bool undo_one(ap_view *s, undo_state *u, size_t k, size_t step)
{
    const gmod *mods = u->mods;
    uint32_t choice = u->choice[step], *count = &u->count[step];
    ap_buf *store = &u->store;
    ap_tspan *at_out = &u->where[step];
    const gmod *g = &mods[k];
    const ap_mod *m = g->m;
    const mod_pats *mp = g->mp;
    const ap_pattern *c = &mp->content;
    ap_matches found = {0};
    ap_nline *lines = NULL;
    uint32_t nl = 0, cap = 0;
    bool ok = false;
    *count = 0;
    store->len = 0;

    if (ap_action_inserts(m->action) && c->n == 0) {
        *count = 1; /* inserted nothing: nothing to take out */
        return true;
    }
    if (is_delete(g)) {
        /* its text must be gone from where it was looked for */
        ap_pos scope = ap_view_begin(s);
        size_t na = 0;
        if (mp->has_anchor) {
            na = ap_find_all(s, &mp->anchor, scope, UNDO_CANDIDATES, &found);
            /* an anchor that stands nowhere (an earlier modification
             * rewrote it) leaves one choice: it deleted nothing, its text
             * being gone too; the forward run proves it (a deletion whose
             * anchor or text is gone is done, by the format) */
            if (na == 0) {
                ap_match any;
                *count = 1;
                ok = choice == 0 && !ap_find_first(s, &mp->snippet, scope, &any);
                goto out;
            }
        }
        /* (3.2: a range stands only whole, its start, then its end after
         * it; an earlier insert may have written copies of its start. 2.0
         * says END_SNIPPET_NOT_FOUND when the start stands alone) */
        ap_match sm, em;
        bool stands = ap_find_first(s, &mp->snippet, na ? ap_view_next(s, found.m[0].last) : scope, &sm) &&
                      (!mp->has_end || !mp->rules->sequential ||
                       ap_find_first(s, &mp->end, ap_view_next(s, sm.last), &em));
        /* 3.2 looks for it from the cursor the modification before it
         * left, past that one's content: copies standing wholly above
         * where that content first stands may be ones it could not see.
         * Only then is the text put back, below the last copy (for any
         * copy, session 19's rule made an r3 dry run four times dearer:
         * the pre-images it opened were tried to the budget) */
        uint64_t past = 0;
        bool behind = stands && mp->rules->sequential && k > 0 && copies_above(s, &mods[k - 1], &mp->snippet, sm, &past);
        if (stands && !behind)
            goto out;
        del_place places[UNDO_CANDIDATES];
        *count = deleted_places(s, mods, k, &found, places, UNDO_CANDIDATES - 1);
        if (behind) { /* past that content, hence below every copy */
            uint32_t kept = 0;
            for (uint32_t i = 0; i < *count; i++)
                if (ap_pos_key(places[i].at) > past)
                    places[kept++] = places[i];
            *count = kept;
            if (kept == 0)
                goto out;
        }
        /* then: it deleted nothing (an earlier modification had taken its
         * text already); last, a range's places again without the text
         * lost in it (see put_lost_text) */
        uint32_t n_places = *count;
        if (choice == (*count)++) {
            ok = true;
            goto out;
        }
        bool bare = mp->has_end && !behind && k > 0 && n_places > 0;
        if (bare)
            *count += n_places;
        if (choice >= *count)
            goto out;
        bare = bare && choice > n_places;
        const del_place *pl = &places[bare ? choice - n_places - 1 : choice];
        ap_pos at = pl->at;
        /* indented like the line above it: an earlier content's lines the
         * deletion took stood as indented as the rest of it (1013599; both
         * ways, as two places each, cost more than they found) */
        const char *dind = "";
        uint32_t dind_len = 0;
        ap_pos above;
        if (!behind && ap_view_prev(s, at, &above) && !ap_view_line(s, above)->blank)
            dind = ap_view_line(s, above)->s, dind_len = ap_view_line(s, above)->s_off;
        /* where an earlier content stands cut, as indented as its line
         * that came next (1002741: the content's last line, at column 0
         * below an indented one) */
        char hinted[128];
        if (!behind && pl->ind) {
            dind = pl->ind, dind_len = pl->ind_len;
        } else if (!behind && pl->above && dind_len > 0 && pl->next->s_off < pl->above->s_off &&
            pl->above->s_off - pl->next->s_off <= dind_len) {
            dind_len -= pl->above->s_off - pl->next->s_off;
        } else if (!behind && pl->above && dind_len > 0 && pl->next->s_off > pl->above->s_off &&
                   dind_len + pl->next->s_off - pl->above->s_off <= sizeof hinted) {
            memcpy(hinted, dind, dind_len);
            memcpy(hinted + dind_len, pl->next->s + pl->above->s_off, pl->next->s_off - pl->above->s_off);
            dind_len += pl->next->s_off - pl->above->s_off;
            dind = hinted;
        }
        /* its blank lines only on a side where one stands: there the
         * deletion took exactly as many as it may, elsewhere any number up
         * to that fits it, and none keeps whole an earlier content it cut
         * short (1000170: put back, they split it) */
        ap_pos by;
        uint32_t lead = ap_view_prev(s, at, &by) && ap_view_line(s, by)->blank ? m->lead : 0;
        uint32_t trail = !ap_view_at_end(s, at) && ap_view_line(s, at)->blank ? m->trail : 0;
        put_lines(store, &lines, &nl, &cap, dind, dind_len, &mp->snippet, lead, 0);
        /* (behind: a second copy holding what the others wrote would
         * absorb the whole patch: 6084557) */
        if (mp->has_end && !put_range_end(s, mods, k, store, &lines, &nl, &cap, dind, dind_len, !behind, bare))
            goto out;
        put_lines(store, &lines, &nl, &cap, "", 0, NULL, 0, trail);
        fix_lines(store, lines, nl);
        ap_view_replace(s, at, at, lines, nl);
        ok = true;
        goto out;
    }
    if (m->action == AP_REPLACE) {
        size_t n = ap_find_all(s, c, ap_view_begin(s), UNDO_CANDIDATES, &found);
        *count = (uint32_t)n;
        /* a range's places again without the text lost in it, after all
         * of them with it (see put_lost_text) */
        bool bare = mp->has_end && k > 0 && choice >= n;
        if (mp->has_end && k > 0)
            *count = (uint32_t)(2 * n);
        if (choice >= *count)
            goto out;
        if (bare)
            choice -= (uint32_t)n;
        const char *ind;
        uint32_t ind_len;
        ap_pos first = found.m[choice].first, end;
        const ap_line *head = ap_view_line(s, first);
        if (!indent_of(head, c, &ind, &ind_len))
            goto out;
        /* 3.2 writes a content with its own indentation: the snippet it
         * replaced stood as indented as the content's first line (a guess
         * the forward run checks); but a content with a line at column 0
         * was shifted to the place's indentation (ap_reindent), which is
         * what indent_of gives (1008206) */
        bool flat = false;
        for (uint32_t i = 0; i < c->n && !flat; i++)
            flat = ap_pattern_at(c, i)->s[0] != ' ' && ap_pattern_at(c, i)->s[0] != '\t';
        bool own = mp->rules->content_verbatim && !(mp->rules->reindent_flat && flat);
        const char *sind = own ? head->s : ind;
        uint32_t sind_len = own ? head->s_off : ind_len;
        /* the whole inserted block, its blank lines included */
        for (uint32_t i = 0; i < c->nb[0]; i++)
            if (!ap_view_prev(s, first, &first))
                goto out;
        if (!inserted_at(s, first, c, ind, ind_len, &end) ||
            looks_elsewhere(u, step, s, &mp->snippet, found.m[choice]) ||
            snippet_stands_over(s, mp, found.m[choice]))
            goto out;
        /* its blank lines only on a side where one stands, as a
         * deletion's: elsewhere none keeps whole an earlier content
         * the REPLACE took the end of (1038694) */
        ap_pos by;
        uint32_t rlead = ap_view_prev(s, first, &by) && ap_view_line(s, by)->blank ? m->lead : 0;
        uint32_t rtrail = !ap_view_at_end(s, end) && ap_view_line(s, end)->blank ? m->trail : 0;
        put_lines(store, &lines, &nl, &cap, sind, sind_len, &mp->snippet, rlead, 0);
        if (mp->has_end && !put_range_end(s, mods, k, store, &lines, &nl, &cap, sind, sind_len, true, bare))
            goto out;
        put_lines(store, &lines, &nl, &cap, "", 0, NULL, 0, rtrail);
        fix_lines(store, lines, nl);
        *at_out = ap_view_tspan(s, first, end);
        ap_view_replace(s, first, end, lines, nl);
        ok = true;
        goto out;
    }
    if (ap_action_inserts(m->action) && m->snippet.boundary) {
        /* 3.2, at a boundary of the file: the content as written, there */
        *count = 1;
        ap_pos from, to;
        if (m->snippet.boundary == AP_BOUNDARY_START) {
            from = ap_view_begin(s);
            ok = choice == 0 && inserted_at(s, from, c, "", 0, &to);
        } else {
            to = ap_view_end(s);
            ok = choice == 0 && inserted_before(s, to, c, "", 0, &from);
        }
        if (ok) {
            *at_out = ap_view_tspan(s, from, to);
            ap_view_replace(s, from, to, NULL, 0);
        }
        goto out;
    }
    if (ap_action_inserts(m->action)) {
        size_t n = ap_find_all(s, &mp->snippet, ap_view_begin(s), UNDO_CANDIDATES, &found);
        *count = (uint32_t)n;
        if (choice >= n)
            goto out;
        ap_match sm = found.m[choice];
        ap_pos after = ap_view_next(s, sm.last), block_end;
        /* with scope_end, after the block the snippet opens */
        bool block = m->action == AP_INSERT_AFTER && m->scope_end &&
                     ap_scope_end(s, sm.first, sm.last, &block_end) && ap_pos_key(block_end) > ap_pos_key(after);
        if (block)
            after = block_end;
        /* 3.2 indents like the region's last non-blank line: with scope_end
         * the block's, whose end in the file may hold the content itself
         * (indented deeper than the snippet, it reads as part of the
         * block): each line of the block, last first, is tried as the one
         * the content followed (1018406) */
        ap_pos lasts[64];
        uint32_t n_lasts = 0;
        if (block && mp->rules->content_verbatim)
            for (ap_pos p = sm.last; ap_pos_key(p) < ap_pos_key(after) && n_lasts < 64; p = ap_view_next(s, p))
                if (!ap_view_line(s, p)->blank)
                    lasts[n_lasts++] = p;
        if (n_lasts == 0)
            lasts[n_lasts++] = sm.last;
        ap_pos from, to;
        for (uint32_t li = n_lasts; li-- > 0 && !ok;) {
            const ap_line *like = ap_view_line(s, sm.first);
            if (mp->rules->content_verbatim && m->action == AP_INSERT_AFTER)
                like = ap_view_line(s, lasts[li]);
            /* 2.0 indents the content like the snippet; 3.2 writes it as it
             * is, or indented like the snippet when it stands at column 0 */
            for (int tries = 0; tries < (mp->rules->content_verbatim ? 2 : 1) && !ok; tries++) {
                const char *ind = like->s;
                uint32_t ind_len = mp->rules->content_verbatim && tries == 0 ? 0 : like->s_off;
                if (m->action == AP_INSERT_AFTER) {
                    /* (the block's end as the format reads it first: blank
                     * lines before the next one are the block's) */
                    ap_pos at = li + 1 < n_lasts ? ap_view_next(s, lasts[li]) : after;
                    from = over_blanks(s, at, m->trail, true);
                    ok = inserted_at(s, from, c, ind, ind_len, &to);
                } else {
                    to = over_blanks(s, sm.first, m->lead, false);
                    ok = inserted_before(s, to, c, ind, ind_len, &from);
                }
            }
        }
        if (ok) {
            *at_out = ap_view_tspan(s, from, to);
            ap_view_replace(s, from, to, NULL, 0);
        }
    }
out:
    ap_matches_release(&found);
    free(lines);
    return ok;
}

/* A view's lines in order, read a splice at a time (ap_view_next looks
 * every base line's successor up among the splices). */
typedef struct walk {
    const ap_view *v;
    uint32_t s, l, k; /* the next splice, the base line, the line in splice s */
} walk;

/* The line the walk stands on (NULL at the end). */
static const ap_line *walk_line(walk *w)
{
    const ap_view *v = w->v;
    for (;;) {
        if (w->s < v->nsp && v->sp[w->s].a <= w->l) {
            const ap_splice *sp = &v->sp[w->s];
            if (w->k < sp->n)
                return ap_view_line(v, (ap_pos){sp->a, (int32_t)w->s, w->k});
            if (sp->b > w->l)
                w->l = sp->b;
            w->s++;
            w->k = 0;
            continue;
        }
        return w->l < v->base->n ? ap_view_line(v, (ap_pos){w->l, -1, 0}) : NULL;
    }
}

static void walk_next(walk *w)
{
    if (w->s < w->v->nsp && w->v->sp[w->s].a <= w->l)
        w->k++;
    else
        w->l++;
}

/* Builds a text of the view's lines (LF breaks). */
static ap_text *text_of_view(const ap_view *v)
{
    /* the view's lines as they are (no stripping and hashing again) */
    const ap_line **lines = NULL;
    uint32_t n = 0, cap = 0;
    walk w = {v, 0, 0, 0};
    for (const ap_line *l; (l = walk_line(&w)) != NULL; walk_next(&w)) {
        AP_GROW(lines, n, cap);
        lines[n++] = l;
    }
    ap_text *joined = ap_text_join(lines, n);
    /* (a probe searches it as the run searched the base) */
    if (joined)
        ap_text_inherit_decorated_view(joined, v);
    free(lines);
    if (joined)
        return joined;
    ap_buf b = AP_BUF_INIT;
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        ap_buf_add(&b, l->s, l->len);
        ap_buf_addc(&b, '\n');
    }
    ap_text *t = ap_text_new(b.s ? b.s : "", b.len);
    ap_buf_release(&b);
    return t;
}

/* Equal but for trailing blanks (which every write strips from what it
 * inserts)? */
static bool lines_equal(const ap_line *a, const ap_line *b)
{
    if (a->blank || b->blank)
        return a->blank && b->blank;
    return a->s_off + a->s_len == b->s_off + b->s_len && memcmp(a->s, b->s, a->s_off + a->s_len) == 0;
}

/* Where the run of base lines a walk stands in ends: its next splice, or
 * the text's end. */
static uint32_t walk_run_end(const walk *w)
{
    return w->s < w->v->nsp ? w->v->sp[w->s].a : w->v->base->n;
}

/* Does the walk stand on a base line (not in a splice's lines)? */
static bool walk_on_base(const walk *w)
{
    return !(w->s < w->v->nsp && w->v->sp[w->s].a <= w->l);
}

/* Where base line i of t starts in its bytes (its end: the text's). */
static const char *base_start(const ap_text *t, uint32_t i)
{
    return i < t->n ? t->lines[i].s : t->bytes + t->len;
}

/* Base lines [i, i + k) of ta and [j, j + k) of tb: the same bytes, breaks
 * included? Both texts break at LF (a CR right before it is part of the
 * break, in both alike): bytes equal from one line start to another are
 * then split into the same lines, whose records (the stripped part, blank)
 * are functions of their bytes, so lines_equal holds for each pair. Not
 * asked of a text whose records are let go or packed. */
static bool runs_same_bytes(const ap_text *ta, uint32_t i, const ap_text *tb, uint32_t j, uint32_t k)
{
    if (!ta->lines || !tb->lines || ap_text_break(ta) != '\n' || ap_text_break(tb) != '\n')
        return false;
    const char *a0 = base_start(ta, i), *a1 = base_start(ta, i + k);
    const char *b0 = base_start(tb, j), *b1 = base_start(tb, j + k);
    return a1 - a0 == b1 - b0 && memcmp(a0, b0, (size_t)(a1 - a0)) == 0;
}

bool ap_views_equal(const ap_view *a, const ap_view *b)
{
    walk p = {a, 0, 0, 0}, q = {b, 0, 0, 0};
    uint32_t line_by_line = 0; /* p.l below it: the run's bytes differ somewhere */
    for (;; walk_next(&p), walk_next(&q)) {
        const ap_line *lp = walk_line(&p), *lq = walk_line(&q);
        if (!lp || !lq)
            return !lp && !lq;
        if (walk_on_base(&p) && walk_on_base(&q)) {
            uint32_t ea = walk_run_end(&p) - p.l, eb = walk_run_end(&q) - q.l;
            uint32_t k = ea < eb ? ea : eb;
            /* two views of one text, both at the same base line: the lines
             * up to either's next splice are the same records, equal to
             * themselves (the group run forward on the file as it stands) */
            if (lp == lq && a->base == b->base) {
                p.l = q.l = p.l + k - 1; /* the last of them: walk_next steps past it */
                continue;
            }
            /* runs of two texts holding the same bytes (a pre-image's
             * forward run against the file): one memcmp for the run */
            if (k >= 4 && p.l >= line_by_line) {
                if (runs_same_bytes(a->base, p.l, b->base, q.l, k)) {
                    p.l += k - 1;
                    q.l += k - 1;
                    continue;
                }
                line_by_line = p.l + k;
            }
        }
        if (!lines_equal(lp, lq))
            return false;
    }
}

/* Runs the group forward on the pre-image pre (NULL: the file does not
 * exist and the group creates it): does it give what v holds? */
static bool forward_gives(const gmod *mods, size_t n, ap_text *pre, const ap_view *v)
{
    ap_view f;
    size_t k = 0;
    if (pre) {
        ap_view_init(&f, pre);
    } else {
        /* CREATE_FILE first: its content is the start */
        ap_text *empty = ap_text_new("", 0);
        ap_view_init(&f, empty);
        ap_text_release(empty);
        ap_buf store = AP_BUF_INIT;
        uint32_t nl;
        ap_line none = {0};
        none.s = "";
        ap_nline *lines = ap_indented_lines(&mods[0].mp->content, &none, mods[0].ch, mods[0].md, true,
                                            &store, &nl);
        ap_view_replace(&f, ap_view_begin(&f), ap_view_end(&f), lines, nl);
        free(lines);
        ap_buf_release(&store);
        k = 1;
    }
    fwd_result *res = ap_xcalloc(n ? n : 1, sizeof *res);
    ap_sequence_forward(&f, mods + k, n - k, res);
    bool ok = true;
    for (size_t j = 0; j + k < n && ok; j++) {
        const gmod *g = &mods[k + j];
        /* an insert of nothing, and a deletion whose text is gone, are done
         * on a first run too */
        bool no_op = (ap_action_inserts(g->m->action) &&
                      g->mp->content.n == 0) ||
                     (is_delete(g) && !res[j].has_region);
        ok = res[j].state == AP_MOD_APPLIES || (no_op && res[j].state == AP_MOD_ALREADY_APPLIED);
    }
    free(res);
    ok = ok && ap_views_equal(&f, v);
    ap_view_release(&f);
    return ok;
}

/* The group run forward on the file as it stands (v's text), once per
 * group and only when a question needs it: each modification's result,
 * and whether the text it leaves differs from v's (asked the first time a
 * question needs it). */
typedef struct as_it_stands {
    const gmod *mods;
    size_t n;
    const ap_view *v;
    fwd_result *res; /* NULL: not run yet */
    ap_view f;       /* the text the run leaves */
    int changes;     /* -1: not compared yet */
} as_it_stands;

static const fwd_result *stands_results(as_it_stands *a)
{
    if (!a->res) {
        ap_view_init(&a->f, a->v->base);
        a->res = ap_xcalloc(a->n ? a->n : 1, sizeof *a->res);
        ap_sequence_forward(&a->f, a->mods, a->n, a->res);
        a->changes = -1;
    }
    return a->res;
}

static bool stands_changes(as_it_stands *a)
{
    stands_results(a);
    if (a->changes < 0)
        a->changes = !ap_views_equal(&a->f, a->v);
    return a->changes;
}

static void stands_release(as_it_stands *a)
{
    if (a->res) {
        free(a->res);
        ap_view_release(&a->f);
    }
}

/* Does the group, run forward on the file as it stands, apply (every
 * modification resolving, none failing) and change its text? Then the file
 * is one to patch, as far as its text can tell: a user who never applied
 * the patch holds exactly these bytes and wants them changed. */
static bool applies_as_it_stands(as_it_stands *a)
{
    const fwd_result *res = stands_results(a);
    bool applies = false, fails = false;
    for (size_t k = 0; k < a->n; k++) {
        applies |= res[k].state == AP_MOD_APPLIES;
        fails |= res[k].state == AP_MOD_FAILED || res[k].state == AP_MOD_NOT_RUN;
    }
    return applies && !fails && stands_changes(a);
}

/* Does a modification's content repeat its own locator, which stands twice
 * or more in the file as read: an insert whose content is part of its own
 * snippet or anchor ("count = 0" after "count = 0" / "count = 0", 2038332),
 * or a REPLACE whose content holds its anchor ("x = 2" after anchor "x = 2"
 * replaced by two, 7039344)? Every file the patch leaves holds that locator
 * twice, and a file never patched that holds it twice is one the patch
 * cannot resolve in, as this one. (Asked without the two copies, or of an
 * insert whose content holds its locator, or of a REPLACE whose content
 * holds its snippet, it warned on thousands more second runs a seed.) */
static bool stands_twice(const ap_view *v, const ap_pattern *p)
{
    ap_matches at = {0};
    size_t k = ap_find_all(v, p, ap_view_begin(v), 2, &at);
    ap_matches_release(&at);
    return k >= 2;
}
static bool repeats_own_locator(const gmod *g, const ap_view *v)
{
    const mod_pats *mp = g->mp;
    bool insert = ap_action_inserts(g->m->action);
    if ((g->m->action != AP_REPLACE && !insert) || mp->content.n == 0)
        return false;
    if (insert)
        return (run_within(&mp->snippet, &mp->content) && stands_twice(v, &mp->snippet)) ||
               (mp->has_anchor && run_within(&mp->anchor, &mp->content) && stands_twice(v, &mp->anchor));
    return mp->has_anchor && run_within(&mp->content, &mp->anchor) && stands_twice(v, &mp->anchor);
}

/* Does an insert's content stand beside its snippet (once in the file as
 * read), after it, or before it for INSERT_BEFORE? The format counts such an
 * insert done where it finds it; run forward in 3.2, a cursor an earlier
 * insert moved past it makes it fail instead (9016668). */
static bool insert_stands_above(const gmod *g, const ap_view *v)
{
    const mod_pats *mp = g->mp;
    bool after = g->m->action == AP_INSERT_AFTER;
    if ((!after && g->m->action != AP_INSERT_BEFORE) || mp->content.n == 0 || mp->snippet.n == 0 ||
        !mp->rules->sequential)
        return false;
    const ap_pattern *first = after ? &mp->snippet : &mp->content, *second = after ? &mp->content : &mp->snippet;
    ap_matches at = {0};
    ap_find_all(v, first, ap_view_begin(v), 2, &at);
    bool beside = false;
    if (at.n == 1) {
        ap_pos next = ap_view_skip_blank(v, ap_view_next(v, at.m[0].last));
        ap_match m;
        beside = !ap_view_at_end(v, next) && ap_find_first(v, second, next, &m) &&
                 ap_pos_key(m.first) == ap_pos_key(next);
    }
    ap_matches_release(&at);
    return beside;
}

/* Applied by the group question, can the text still not tell whether the
 * file was patched? The group, run forward on the file as it stands:
 * - changes its text (every modification resolving, or some failing: a
 *   later content that rebuilt an earlier snippet, 6074306): a file never
 *   patched holding these bytes is one the patch edits;
 * - has an insert that inserts its content again (in a file the group
 *   makes, that content then stands twice beside its locator, which a file
 *   never patched may hold as well);
 * - has inserts that count as done only because their content already
 *   stands where it would go (the format's rule: 3.2 moves the cursor past
 *   it) while another modification fails there: the file is applied by the
 *   group question alone, from a pre-image without that content (2038123:
 *   "} else {" before "try:", then an INSERT_AFTER of "pass" / "} else {"
 *   that fails past the cursor);
 * - fails, and a modification's content repeats its own locator, which
 *   stands twice (below): every file the patch leaves holds it twice, as
 *   this one never patched may (10096266, 7039344, 5047439, 5011975).
 * docs/engine.md, "Undecidable by the text". */
static bool undecidable_as_it_stands(as_it_stands *a)
{
    const gmod *mods = a->mods;
    size_t n = a->n;
    const ap_view *v = a->v;
    const fwd_result *res = stands_results(a);
    bool applies = false, again = false, stands = false, other = false, fails = false, repeats = false;
    for (size_t k = 0; k < n; k++) {
        bool insert = ap_action_inserts(mods[k].m->action);
        bool writes = mods[k].mp->content.n > 0;
        bool beside = insert && writes && res[k].state == AP_MOD_ALREADY_APPLIED && res[k].has_region;
        applies |= res[k].state == AP_MOD_APPLIES;
        again |= insert && res[k].state == AP_MOD_APPLIES;
        stands |= beside;
        other |= writes && !beside; /* other evidence: a content of its own */
        fails |= res[k].state == AP_MOD_FAILED || res[k].state == AP_MOD_NOT_RUN;
    }
    /* (an insert counted done whose content is part of its own snippet, and
     * inserts failing past the cursor it moved whose content stands beside
     * their snippet above it: every insert stands, 9016668) */
    bool above = stands && other && fails, repeat = false;
    for (size_t k = 0; k < n && above; k++) {
        const gmod *g = &mods[k];
        bool insert = ap_action_inserts(g->m->action);
        bool done = insert && res[k].state == AP_MOD_ALREADY_APPLIED && res[k].has_region;
        repeat |= done && run_within(&g->mp->snippet, &g->mp->content);
        if (g->mp->content.n > 0 && !done)
            above = insert && res[k].state == AP_MOD_FAILED && insert_stands_above(g, v);
    }
    if (above && repeat)
        return true;
    for (size_t k = 0; k < n && fails && !repeats; k++)
        repeats = repeats_own_locator(&mods[k], v);
    return (applies && stands_changes(a)) || again || (stands && !other && fails) || (fails && repeats);
}

/* The first copy of a modification's snippet in its scope: after the
 * anchor's first match, or from the top without an anchor. */
static bool snippet_in_scope(const ap_view *v, const mod_pats *mp, ap_match *first)
{
    ap_pos scope = ap_view_begin(v);
    if (mp->has_anchor) {
        ap_match am;
        if (!ap_find_first(v, &mp->anchor, scope, &am))
            return false;
        scope = ap_view_next(v, am.last);
    }
    return ap_find_first(v, &mp->snippet, scope, first);
}

/* Does the group, run forward on the file as it stands, find a deletion
 * whose text stands there (whatever the other modifications do)? The format
 * says a deletion counts as done only when its text is gone, so that one is
 * to be made: the file is not the group's result, whatever pre-image undoing
 * found (undoing a later REPLACE can take a deletion's text away and make
 * room to put it back elsewhere; a slipped REPLACE that fails as the file
 * stands can be undone into its own snippet). A second run that finds such a
 * text again fails or deletes, announced: never a false success on a first.
 * docs/engine.md, "Recognising an applied modification". */
static bool deletion_due(as_it_stands *a)
{
    const gmod *mods = a->mods;
    size_t n = a->n;
    const ap_view *v = a->v;
    const fwd_result *res = stands_results(a);
    bool stands = false;
    for (size_t k = 0; k < n; k++)
        stands |= is_delete(&mods[k]) && res[k].state == AP_MOD_APPLIES;
    /* (and one whose anchor is ambiguous in the file as read, whose text
     * stands after the anchor's first match: 6026440, an insert wrote a
     * copy of the anchor) */
    for (size_t k = 0; k < n && !stands; k++) {
        const mod_pats *mp = mods[k].mp;
        ap_match sm;
        if (!is_delete(&mods[k]) || res[k].state == AP_MOD_APPLIES || !mp->has_anchor || mp->has_end ||
            mp->snippet.n == 0)
            continue;
        stands = snippet_in_scope(v, mp, &sm);
    }
    return stands;
}

/* Is the group one REPLACE whose snippet still stands, whole, in the file as
 * it stands (a content that holds its snippet aside)? Had the patch replaced
 * it, the file held the snippet twice before; far likelier, it was never
 * applied, and undoing only found a line equal to the content (its anchor,
 * say) to turn back into the snippet. Refused whatever pre-image fits: a
 * few clean second runs (9 to 20 in 100,000 cases a seed) for the false
 * successes of this shape. docs/engine.md, "Recognising an applied
 * modification". */
static bool lone_replace_stands(const gmod *mods, size_t n, const ap_view *v)
{
    const gmod *g = &mods[0];
    ap_match m;
    return n == 1 && g->m->action == AP_REPLACE && g->mp->content.n > 0 && g->mp->snippet.n > 0 &&
           !run_within(&g->mp->content, &g->mp->snippet) &&
           ap_find_first(v, &g->mp->snippet, ap_view_begin(v), &m);
}

/* Does a REPLACE's snippet stand, whole, in the file as read where the
 * patch applied could not have left it? Had the REPLACE run, it took the
 * first copy of its snippet in its scope and wrote its content there; a copy
 * left over the content's place, or one standing before every place its
 * content stands (in its scope: after the anchor's first match; in 3.2 only
 * for the group's first modification, which starts at the top), is one it
 * would have taken. A pre-image can still be found for such a file (a later
 * insert rebuilds the snippet with the line above it, 3051482; a slipped
 * deletion put back moves a 3.2 cursor past it, 7033702; undoing a later
 * REPLACE turns the snippet's last line into its own snippet, 7078048), but
 * the file as read says the snippet is still to replace: when in doubt, no
 * "applied". docs/engine.md, "Recognising an applied modification". */
static bool replace_snippet_left(const gmod *mods, size_t n, const ap_view *v)
{
    bool left = false;
    for (size_t k = 0; k < n && !left; k++) {
        const gmod *g = &mods[k];
        const mod_pats *mp = g->mp;
        /* (3.2: an earlier modification moves the cursor, and the REPLACE
         * takes the first copy after it; before it, copies may stand) */
        bool moved = false;
        for (size_t j = 0; j < k && mp->rules->sequential; j++)
            moved |= !is_delete(&mods[j]);
        if (g->m->action != AP_REPLACE || mp->has_end || mp->content.n == 0 || mp->snippet.n == 0 ||
            run_within(&mp->content, &mp->snippet))
            continue;
        ap_matches sm = {0}, cm = {0};
        ap_match first;
        /* (each searched once: both questions below read the copies) */
        if (ap_find_all(v, &mp->snippet, ap_view_begin(v), 16, &sm) == 0) {
            ; /* no copy of the snippet: nothing left to replace */
        } else if (ap_find_all(v, &mp->content, ap_view_begin(v), 16, &cm) == 0) {
            /* a snippet standing in its scope while the content stands
             * nowhere: the REPLACE took no copy of it (6013394, 10099340) */
            left = !moved && snippet_in_scope(v, mp, &first);
        } else {
            for (size_t i = 0; i < sm.n && !left; i++)
                for (size_t j = 0; j < cm.n && !left; j++)
                    left = ap_pos_key(sm.m[i].first) <= ap_pos_key(cm.m[j].last) &&
                           ap_pos_key(sm.m[i].last) >= ap_pos_key(cm.m[j].first);
            if (!left && !moved && snippet_in_scope(v, mp, &first))
                left = ap_pos_key(first.last) < ap_pos_key(cm.m[0].first);
        }
        ap_matches_release(&sm);
        ap_matches_release(&cm);
    }
    return left;
}

/* Does the file as read hold a locator's slip: all of its lines but the
 * first (or the last) standing together, next to a line much like the one
 * left out (similarity TRACE_SCORE or more) but not equal to it, the whole
 * not within a place where the modification's content stands (there, a
 * content that changed one line of its snippet)? "zrr := run()" /
 * "self.pos = 0" over "err := run()" / "self.pos = 0". */
#define SLIP_SCORE 0.75
/* Besides a similarity of SLIP_SCORE: one line holding the other at half
 * its length or more ("z   # setup" for "# setup", 8083946), or two lines
 * too short for a similarity to say anything ("z" for "}", 2079393). */
static bool slip_alike(const ap_line *a, const ap_line *b)
{
    const char *as = a->s + a->s_off, *bs = b->s + b->s_off;
    uint32_t na = a->s_len, nb = b->s_len;
    if (na <= 2 && nb <= 2)
        return true;
    const char *big = na >= nb ? as : bs, *small = big == as ? bs : as;
    uint32_t nbig = big == as ? na : nb, nsmall = big == as ? nb : na;
    return nsmall * 2 >= nbig && memmem(big, nbig, small, nsmall);
}
static bool slip_stands(const ap_view *v, const ap_pattern *p, const ap_pattern *content)
{
    if (p->n < 2)
        return false;
    bool slip = false;
    for (int last = 0; last < 2 && !slip; last++) {
        ap_pattern rest = *p;
        rest.nb = p->nb + !last;
        rest.n = p->n - 1;
        const ap_line *odd = ap_pattern_at(p, last ? p->n - 1 : 0);
        ap_matches at = {0};
        ap_find_all(v, &rest, ap_view_begin(v), 16, &at);
        for (size_t i = 0; i < at.n && !slip; i++) {
            ap_pos q = last ? ap_view_next(v, at.m[i].last) : at.m[i].first, from = at.m[i].first,
                   to = at.m[i].last;
            if (!last && !ap_view_prev(v, q, &q))
                continue;
            if (ap_view_at_end(v, q))
                continue;
            const ap_line *l = ap_view_line(v, q);
            if (l->blank || ap_line_eq(l, odd))
                continue;
            if (ap_line_ratio(l, odd) < SLIP_SCORE && !slip_alike(l, odd))
                continue;
            if (last)
                to = q;
            else
                from = q;
            slip = true;
            ap_matches cm = {0};
            if (content->n > 0)
                ap_find_all(v, content, ap_view_begin(v), 16, &cm);
            for (size_t j = 0; j < cm.n && slip; j++)
                slip = !(ap_pos_key(cm.m[j].first) <= ap_pos_key(from) && ap_pos_key(cm.m[j].last) >= ap_pos_key(to));
            ap_matches_release(&cm);
        }
        ap_matches_release(&at);
    }
    return slip;
}

/* Does a modification whose locator stands nowhere whole in the file as
 * read have its locator's slip in it? Then the file is far likelier one
 * never patched, with a mistyped snippet, than one the patch made from a
 * pre-image holding that snippet beside a line much like it, which undoing
 * can still find (the slipped text put back, 7033702 and 7078048, or a
 * content that is the snippet less its slipped line, 3055766). */
static bool locator_slipped(const gmod *mods, size_t n, const ap_view *v)
{
    bool slipped = false;
    for (size_t k = 0; k < n && !slipped; k++) {
        const gmod *g = &mods[k];
        ap_match m;
        /* (an insert leaves its snippet where it was: a slip of it
         * standing is a snippet mistyped, 8083946) */
        bool ins = ap_action_inserts(g->m->action);
        if ((g->m->action != AP_REPLACE && !ins) || g->mp->has_end || g->mp->snippet.n < 2 ||
            ap_find_first(v, &g->mp->snippet, ap_view_begin(v), &m))
            continue;
        ap_pattern none = {0};
        slipped = slip_stands(v, &g->mp->snippet, ins ? &none : &g->mp->content);
    }
    return slipped;
}

/* Is the group one REPLACE (no range) whose one-line snippet stands nowhere
 * while a line much like it (slip_alike, or a similarity of SLIP_SCORE)
 * stands outside every place of its content? The snippet may be that line
 * mistyped, in a file never patched that holds the content by chance
 * ("z = 1" for "x = 1", 2016021), or a line the patch replaced beside one
 * like it: the text cannot tell (a refusal would cost the second runs of
 * such patches; one line has no rest to stand together, as locator_slipped
 * asks of longer snippets). Asked of a lone REPLACE only: its cost is a
 * scan of the file. */
static bool lone_replace_alike(const gmod *mods, size_t n, const ap_view *v)
{
    const gmod *g = &mods[0];
    const mod_pats *mp = g->mp;
    ap_match m;
    if (n != 1 || g->m->action != AP_REPLACE || mp->has_end || mp->snippet.n != 1 || mp->content.n == 0 ||
        ap_find_first(v, &mp->snippet, ap_view_begin(v), &m))
        return false;
    const ap_line *odd = ap_pattern_at(&mp->snippet, 0);
    ap_matches cm = {0};
    ap_find_all(v, &mp->content, ap_view_begin(v), 16, &cm);
    bool alike = false;
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p) && !alike; p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        if (l->blank || ap_line_eq(l, odd) || (ap_line_ratio(l, odd) < SLIP_SCORE && !slip_alike(l, odd)))
            continue;
        alike = true;
        for (size_t j = 0; j < cm.n && alike; j++)
            alike = !(ap_pos_key(cm.m[j].first) <= ap_pos_key(p) && ap_pos_key(p) <= ap_pos_key(cm.m[j].last));
    }
    ap_matches_release(&cm);
    return alike;
}

/* Has a REPLACE's locator left no trace in the file as read? Its snippet
 * (and end) stands nowhere whole, and each of its lines either stands in
 * the file as it is or looks like none of the file's lines (a line much like
 * it is the line a mistyped snippet meant: the patch was never applied). */
#define TRACE_SCORE 0.75

/* Does a line of v hold l, or stand inside it, at half its length or more
 * ("continue" in "z       continue": a stray character, an added comment)? */
static bool holds_or_held(const ap_view *v, const ap_line *l)
{
    const char *ls = l->s + l->s_off;
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *f = ap_view_line(v, p);
        if (f->blank)
            continue;
        const char *fs = f->s + f->s_off;
        const char *big = f->s_len >= l->s_len ? fs : ls, *small = big == fs ? ls : fs;
        uint32_t nbig = big == fs ? f->s_len : l->s_len, nsmall = big == fs ? l->s_len : f->s_len;
        if (nsmall * 2 >= nbig && memmem(big, nbig, small, nsmall))
            return true;
    }
    return false;
}

static bool pattern_leaves_no_trace(const ap_view *v, const ap_pattern *p)
{
    ap_match m;
    if (p->n == 0 || ap_find_first(v, p, ap_view_begin(v), &m))
        return p->n == 0;
    /* all its lines but one, standing together: the one is a slip */
    for (uint32_t skip = 0; skip < p->n && p->n > 1; skip += p->n - 1) {
        ap_pattern rest = *p;
        rest.nb = p->nb + (skip == 0);
        rest.n = p->n - 1;
        if (ap_find_first(v, &rest, ap_view_begin(v), &m))
            return false;
    }
    for (uint32_t i = 0; i < p->n; i++) {
        ap_pattern one = *p;
        one.nb = p->nb + i;
        one.n = 1;
        if (ap_find_first(v, &one, ap_view_begin(v), &m))
            continue;
        ap_similar sim[1];
        if ((ap_similar_lines(v, ap_pattern_at(p, i), ap_view_begin(v), sim, 1) > 0 &&
             sim[0].score >= TRACE_SCORE) ||
            holds_or_held(v, ap_pattern_at(p, i)))
            return false;
    }
    return true;
}

static bool replaced_without_trace(const ap_view *v, const gmod *g)
{
    return g->m->action == AP_REPLACE && g->mp->content.n > 0 &&
           pattern_leaves_no_trace(v, &g->mp->snippet) &&
           (!g->mp->has_end || pattern_leaves_no_trace(v, &g->mp->end));
}

/* One pre-image from the choices: undo every modification, last first. */
/* Why no pre-image fit, from the attempt that went furthest (for the
 * verdict: what undoing cannot yet put back). */
typedef struct undo_stop {
    int reached;     /* undo steps done; INT32_MAX: the forward run differed */
    const char *why;
} undo_stop;

static const char *why_undo_failed(const gmod *g, uint32_t candidates)
{
    if (is_delete(g))
        return "no pre-image fits: a deletion's text stands";
    if (g->m->action == AP_REPLACE)
        return candidates == 0 ? "no pre-image fits: a content stands nowhere"
                               : "no pre-image fits: a content stands, not as written";
    return candidates == 0 ? "no pre-image fits: an insert's snippet stands nowhere"
                           : "no pre-image fits: an insert's content is not at its place";
}

static bool try_pre_image(undo_state *u, const ap_view *v, bool creates, undo_stop *stop_at)
{
    ap_view s;
    ap_view_init(&s, v->base);
    bool ok = true;
    size_t stop = creates ? 1 : 0;
    for (size_t k = u->n; k-- > stop && ok;) {
        uint32_t step = (uint32_t)(u->n - 1 - k);
        memset(&u->where[step], 0, sizeof u->where[step]);
        ok = undo_one(&s, u, k, step);
        if (u->count[step] > u->seen[step])
            u->seen[step] = u->count[step];
        if (!ok && (int)step >= stop_at->reached) {
            stop_at->reached = (int)step;
            stop_at->why = why_undo_failed(&u->mods[k], u->count[step]);
        }
        for (size_t j = step + 1; j < u->n; j++)
            u->count[j] = 0; /* not reached: no alternatives known */
    }
    if (ok && creates) {
        /* what is left must be the created content */
        ap_pos p = ap_view_skip_blank(&s, ap_view_begin(&s));
        ok = ap_block_follows(&s, p, &u->mods[0].mp->content, &p) &&
             ap_view_at_end(&s, ap_view_skip_blank(&s, p));
    }
    ap_text *pre = ok && !creates ? text_of_view(&s) : NULL;
    ap_view_release(&s);
    if (ok) {
        ok = forward_gives(u->mods, u->n, pre, v);
        if (!ok) {
            stop_at->reached = INT32_MAX;
            stop_at->why = "no pre-image fits: the forward run differs";
        }
    }
    ap_text_release(pre);
    return ok;
}

/* Advances the choices of one kind of undo step (deletions, or the others)
 * to their next combination: the deepest step of that kind with another
 * candidate moves on, the deeper ones of its kind start over. */
static bool next_choice(undo_state *u, bool deletions)
{
    for (size_t step = u->n; step-- > 0;) {
        if (is_delete(&u->mods[u->n - 1 - step]) != deletions)
            continue;
        uint32_t count = deletions ? u->count[step] : u->seen[step];
        if (u->choice[step] + 1 < count) {
            u->choice[step]++;
            for (size_t j = step + 1; j < u->n; j++)
                if (is_delete(&u->mods[u->n - 1 - j]) == deletions)
                    u->choice[j] = 0, u->seen[j] = 0;
            return true;
        }
    }
    return false;
}

static void reset_choices(undo_state *u, bool deletions)
{
    for (size_t step = 0; step < u->n; step++)
        if (is_delete(&u->mods[u->n - 1 - step]) == deletions)
            u->choice[step] = 0;
}


/* Does the locator of every REPLACE of the group (two or more) stand whole in
 * the file as read? Had the patch run, each took a copy; that every one kept
 * another is far less likely than a file never patched (6091848, 9031774,
 * 6013394). Asked of a lone REPLACE it cost about 150 clean second runs of
 * 3.2 a seed: see lone_replace_stands for that one. */
static bool all_replaces_stand(const gmod *mods, size_t n, const ap_view *v)
{
    size_t reps = 0;
    for (size_t k = 0; k < n; k++) {
        const mod_pats *mp = mods[k].mp;
        if (mods[k].m->action != AP_REPLACE || mp->content.n == 0)
            continue;
        if (mp->snippet.n == 0 || run_within(&mp->content, &mp->snippet))
            return false;
        ap_match m, e;
        if (!ap_find_first(v, &mp->snippet, ap_view_begin(v), &m))
            return false;
        if (mp->has_end && !ap_find_first(v, &mp->end, ap_view_next(v, m.last), &e))
            return false;
        /* (3.2's repeated locator addresses the copies in turn: those
         * after the ones it took still stand, resolve3_test c03) */
        for (size_t j = 0; j < k; j++)
            if (mods[j].m->action == AP_REPLACE && same_pattern(&mods[j].mp->snippet, &mp->snippet))
                return false;
        reps++;
    }
    return reps > 1;
}

const char *ap_group_verdict = "";

bool ap_group_applied(run_ctx *x, int fi, bool *undecided)
{
    file_state *fs = &x->fst[fi];
    const ap_view *v = &fs->view;
    gmod *mods = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (size_t k = 0; k < fs->n_changes && ok; k++) {
        int ch = fs->changes[k];
        const ap_change *c = &x->patch->changes[ch];
        for (size_t md = 0; md < c->n_mods && ok; md++) {
            const ap_mod *m = &c->mods[md];
            /* a RECREATE or an operation on a path has no pre-image to
             * find: they are recognised one by one */
            ok = m->ok && x->pats[ch] && (m->action != AP_CREATE_FILE || n == 0) &&
                 m->action != AP_RECREATE && m->action != AP_RENAME && m->action != AP_DELETE_PATH &&
                 m->action != AP_CREATE_DIR;
            /* nor can a range to a file boundary be put back (an insert at
             * a boundary can). A REPLACE or DELETE with scope_end is undone
             * to its snippet alone: a block body it took cannot be put
             * back, but where it took none (the snippet opens no block, or
             * its block is its own lines) the forward run proves it */
            bool insert = ap_action_inserts(m->action);
            ok = ok && !m->start_snippet.boundary && !m->end_snippet.boundary && (!m->snippet.boundary || insert);
            if (!ok)
                break;
            AP_GROW(mods, n, cap);
            mods[n++] = (gmod){ch, (int)md, m, &x->pats[ch][md]};
        }
    }
    bool creates = ok && n > 0 && mods[0].m->action == AP_CREATE_FILE;
    if (creates && !fs->exists)
        ok = false; /* nothing there yet */
    /* cheap first: a group that writes text and none of whose contents
     * stands in the file is not applied (later modifications may edit what
     * earlier ones wrote, so not every content need stand whole) */
    bool writes = false, stands = false;
    for (size_t k = 0; k < n && ok && !stands; k++) {
        ap_match mt;
        const ap_pattern *c = &mods[k].mp->content;
        writes |= c->n > 0;
        stands = c->n > 0 && ap_find_first(v, c, ap_view_begin(v), &mt);
    }
    /* (unless a later deletion may have taken what an earlier modification
     * wrote: then undoing puts the deleted text back first) */
    bool wrote = false, taken = false;
    for (size_t k = 0; k < n && ok; k++) {
        taken |= wrote && is_delete(&mods[k]);
        wrote |= !is_delete(&mods[k]) && mods[k].mp->content.n > 0;
    }
    if (writes && !stands && !taken)
        ok = false;
    if (!ok || n == 0) {
        ap_group_verdict = !ok && n > 0 ? "no content stands, or malformed" : "nothing to ask";
        free(mods);
        return false;
    }
    undo_state u = {mods, n, ap_xcalloc(n, sizeof(uint32_t)), ap_xcalloc(n, sizeof(uint32_t)),
                    ap_xcalloc(n, sizeof(uint32_t)), ap_xcalloc(n, sizeof(ap_tspan)), AP_BUF_INIT, NULL, 0, 0};
    /* the pre-images that fit should agree on where every content stands in
     * the file (for those that do not, see below). Where a deleted text stood is
     * unknowable and changes nothing, so for each choice of the places of
     * contents, one fitting choice of places for deleted texts is enough. */
    ap_tspan *fit = ap_xcalloc(n, sizeof *fit);
    bool *differ = ap_xcalloc(n, sizeof *differ); /* per step: pre-images disagree on it */
    bool fits = false, agree = true, complete = false;
    int budget = UNDO_ATTEMPTS;
    undo_stop stop_at = {-1, "no pre-image fits"};
    while (budget > 0) {
        reset_choices(&u, true);
        bool this_fits = false;
        while (budget-- > 0 && !(this_fits = try_pre_image(&u, v, creates, &stop_at)) && next_choice(&u, true))
            ;
        if (this_fits) {
            for (size_t step = 0; step < n; step++) {
                if (is_delete(&mods[n - 1 - step]))
                    continue;
                differ[step] |= fits && (fit[step].line != u.where[step].line ||
                                         fit[step].end_line != u.where[step].end_line);
                fit[step] = u.where[step];
            }
            fits = true;
        }
        if (!next_choice(&u, false)) {
            complete = budget >= 0;
            break;
        }
    }
    for (size_t step = 0; step < n; step++)
        agree &= !differ[step];
    /* Pre-images that disagree on where a content stands all give the file:
     * it is what the group makes of each. The doubt is not where the patch
     * wrote but whether it did: the contents may have stood there before
     * and the snippets be wrong. So they are taken only when (1) another
     * modification's content is tied to one place by all of them (a lone
     * content standing twice, with a snippet that stands nowhere, is as
     * likely a snippet the model invented), (2) the patch does not apply to
     * the file as it stands (a file it applies to is one to patch, as far as
     * its text can tell), and (3) every modification they disagree on is a
     * REPLACE whose locator left no trace: gone, and no line like it stands
     * (one that does is what a slipped snippet meant). docs/engine.md,
     * "Recognising an applied modification". */
    bool placed = agree, lone = false;
    as_it_stands fw = {.mods = mods, .n = n, .v = v};
    if (fits && complete && !agree) {
        bool tied = false;
        for (size_t step = 0; step < n && !tied; step++)
            tied = !differ[step] && !is_delete(&mods[n - 1 - step]) && mods[n - 1 - step].mp->content.n > 0;
        lone = !tied;
        placed = tied && !creates && !applies_as_it_stands(&fw);
        for (size_t step = 0; step < n && placed; step++)
            placed = !differ[step] || replaced_without_trace(v, &mods[n - 1 - step]);
    }
    bool applied = fits && placed && complete;
    /* a deletion the format says to make is never taken as made */
    bool due = applied && !creates && deletion_due(&fw);
    bool snippet_stands = applied && !due && lone_replace_stands(mods, n, v);
    bool snippet_left = applied && !due && !snippet_stands && !creates && replace_snippet_left(mods, n, v);
    bool slipped = applied && !due && !snippet_stands && !snippet_left && !creates &&
                   locator_slipped(mods, n, v);
    bool all_stand = applied && !due && !snippet_stands && !snippet_left && !slipped && !creates &&
                     all_replaces_stand(mods, n, v);
    applied = applied && !due && !snippet_stands && !snippet_left && !slipped && !all_stand;
    ap_group_verdict = applied ? "applied"
                       : due  ? "the patch applies, a deletion's text stands"
                       : snippet_stands ? "a lone REPLACE's snippet stands"
                       : snippet_left ? "a REPLACE's snippet stands where it would have replaced it"
                       : slipped ? "a locator's slip stands"
                       : all_stand ? "every REPLACE's locator stands"
                       : !fits ? (complete ? stop_at.why : "budget spent")
                                   : !agree ? (lone ? "a lone content stands in several places"
                                                    : "several pre-images fit")
                                            : "budget spent";
    /* Applied, and yet a file never patched holding these bytes is as
     * likely (undecidable_as_it_stands): the text cannot tell; the caller
     * says so instead of succeeding silently. */
    *undecided = applied && !creates && (undecidable_as_it_stands(&fw) || lone_replace_alike(mods, n, v));
    stands_release(&fw);
    free(fit);
    free(differ);
    ap_buf_release(&u.store);
    for (size_t i = 0; i < u.n_memo; i++)
        free(u.memo[i].choices);
    free(u.memo);
    free(u.choice);
    free(u.count);
    free(u.seen);
    free(u.where);
    free(mods);
    return applied;
}
