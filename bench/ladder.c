/* ladder.c - one file of the benchmark ladder (see ladder.h).
 *
 * Like gen.c, the patch is made by simulating it on the text (gentext.h),
 * but in order: a cursor walks down the file and each modification is
 * placed after the previous one, spread evenly over what is left. */
#include "ladder.h"
#include "gentext.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool col0(const char *s)
{
    return s[0] != '\0' && s[0] != ' ' && s[0] != '\t';
}

static bool unique_at(gt_gen *g, size_t i)
{
    return !gt_blank(g->t.v[i]) && gt_count_of(&g->t, g->t.v[i]) == 1;
}

/* the last non-blank line in [i, e] at column 0 (i itself at worst) */
static size_t shrink_to_col0(gt_gen *g, size_t i, size_t e)
{
    while (e > i && (gt_blank(g->t.v[e]) || !col0(g->t.v[e])))
        e--;
    return e;
}

typedef struct place {
    int action;       /* LADDER_REPLACE .. LADDER_DELETE */
    long anchor;      /* line of the anchor, or -1 */
    size_t from, to;  /* the snippet: lines [from, to] */
} place;

static const char *const action_names[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE"};

/* Is line i a place for this kind? Fills *pl when it is. */
static bool place_at(gt_gen *g, int kind, size_t i, place *pl)
{
    gt_text *t = &g->t;
    uint64_t *rs = &g->rs;
    if (kind != LADDER_ANCHORED) {
        if (!unique_at(g, i))
            return false;
        if (kind != LADDER_DELETE && !col0(t->v[i]))
            return false;
        size_t e = gt_window_end(g, i, 1 + gt_below(rs, kind == LADDER_DELETE ? 4 : 3));
        if (kind == LADDER_INSERT_AFTER)
            e = shrink_to_col0(g, i, e);
        *pl = (place){kind, -1, i, e};
        return true;
    }
    /* the anchor: a unique line; the snippet: the first repeated line
     * after it (what only the anchor makes unambiguous) */
    if (!unique_at(g, i))
        return false;
    size_t r = i + 1;
    while (r < t->n && r < i + 30 && (gt_blank(t->v[r]) || gt_count_of(t, t->v[r]) < 2))
        r++;
    if (r >= t->n || r >= i + 30)
        return false;
    int action = (int)gt_below(rs, 4);
    if (action != LADDER_DELETE && !col0(t->v[r]))
        return false;
    size_t e = gt_window_end(g, r, 1 + gt_below(rs, 2));
    if (action == LADDER_INSERT_AFTER)
        e = shrink_to_col0(g, r, e);
    *pl = (place){action, (long)i, r, e};
    return true;
}

static void block32(gt_buf *p, const char *id, const char *key, char **lines, size_t k)
{
    gt_addf(p, "%s %s\n", id, key);
    for (size_t i = 0; i < k; i++) {
        gt_adds(p, lines[i]);
        gt_adds(p, "\n");
    }
}

/* Writes the modification at pl in both formats and applies it; returns
 * the cursor after it. */
static size_t emit(gt_gen *g, const place *pl, gt_buf *p20, gt_buf *p32, const char *id)
{
    gt_text *t = &g->t;
    char *content[8];
    size_t nc = 0, n_snip = pl->to - pl->from + 1;
    const char *act = action_names[pl->action];

    gt_addf(p20, "      - action: %s\n", act);
    gt_addf(p32, "%s %s\n", id, act);
    if (pl->anchor >= 0) {
        gt_yaml_block(p20, "anchor", &t->v[pl->anchor], 1);
        block32(p32, id, "anchor", &t->v[pl->anchor], 1);
    }
    gt_yaml_block(p20, "snippet", &t->v[pl->from], n_snip);
    block32(p32, id, "snippet", &t->v[pl->from], n_snip);
    if (pl->action != LADDER_DELETE) {
        nc = gt_content(g, content);
        gt_yaml_block(p20, "content", content, nc);
        block32(p32, id, "content", content, nc);
        /* a no-op here (the region starts at column 0); kept so the
         * simulation says what a 2.0 patcher does */
        gt_indent_lines(content, nc, t->v[pl->from]);
    }
    gt_adds(p32, "\n");
    switch (pl->action) {
    case LADDER_REPLACE:
        gt_erase(t, pl->from, n_snip);
        gt_insert(t, pl->from, content, nc);
        return pl->from + nc;
    case LADDER_INSERT_AFTER:
        gt_insert(t, pl->to + 1, content, nc);
        return pl->to + 1 + nc;
    case LADDER_INSERT_BEFORE:
        gt_insert(t, pl->from, content, nc);
        return pl->to + 1 + nc;
    default:
        gt_erase(t, pl->from, n_snip);
        return pl->from;
    }
}

void ladder_file_gen(ladder_file *lf, uint32_t lines, uint32_t mods, uint64_t seed, const char *id)
{
    memset(lf, 0, sizeof *lf);
    gt_gen g;
    memset(&g, 0, sizeof g);
    g.rs = seed ^ ((uint64_t)lines << 32) ^ mods;
    size_t starts[3] = {0, 0, 0}, n_funcs = 0;
    while (g.t.n < lines) {
        if (n_funcs < 3)
            starts[n_funcs] = g.t.n;
        n_funcs++;
        gt_function(&g);
    }
    if (g.t.n > lines)
        gt_erase(&g.t, lines, g.t.n - lines);
    lf->target_lines = lines;
    lf->target = gt_join(&g.t, &lf->target_len);
    for (int k = 0; k < 2; k++) {
        lf->spare[k][0] = (uint32_t)starts[k];
        lf->spare[k][1] = (uint32_t)starts[k] + 1;
    }

    /* REPLACE 30%, INSERT_AFTER 20%, INSERT_BEFORE 20%, DELETE 15%, anchored 15% */
    static const int mix[20] = {LADDER_REPLACE,       LADDER_REPLACE,       LADDER_REPLACE,
                                LADDER_REPLACE,       LADDER_REPLACE,       LADDER_REPLACE,
                                LADDER_INSERT_AFTER,  LADDER_INSERT_AFTER,  LADDER_INSERT_AFTER,
                                LADDER_INSERT_AFTER,  LADDER_INSERT_BEFORE, LADDER_INSERT_BEFORE,
                                LADDER_INSERT_BEFORE, LADDER_INSERT_BEFORE, LADDER_DELETE,
                                LADDER_DELETE,        LADDER_DELETE,        LADDER_ANCHORED,
                                LADDER_ANCHORED,      LADDER_ANCHORED};
    gt_buf p20 = {0}, p32 = {0};
    gt_add(&p20, "", 0);
    gt_add(&p32, "", 0);
    size_t cursor = n_funcs > 2 ? starts[2] : 0;
    for (uint32_t m = 0; m < mods; m++) {
        size_t left = g.t.n > cursor ? g.t.n - cursor : 0;
        size_t span = left / (mods - m);
        if (span < 8)
            span = 8;
        place pl;
        bool found = false;
        for (int tries = 0; tries < 12 && !found; tries++) {
            /* after a few misses, anything goes from the cursor on */
            int kind = tries < 8 ? mix[gt_below(&g.rs, 20)] : LADDER_DELETE;
            size_t i = cursor + (tries < 8 ? gt_below(&g.rs, (uint32_t)span) : 0);
            for (size_t end = i + 4 * span + 64; i < g.t.n && i < end && !found; i++)
                found = place_at(&g, kind, i, &pl);
        }
        if (!found) {
            fprintf(stderr, "bench: no place for modification %u of %u in %u lines\n", m, mods, lines);
            abort();
        }
        lf->kinds[pl.anchor >= 0 ? LADDER_ANCHORED : pl.action]++;
        cursor = emit(&g, &pl, &p20, &p32, id);
    }
    lf->n_mods = mods;
    lf->mods20 = p20.s;
    lf->mods20_len = p20.len;
    lf->mods32 = p32.s;
    lf->mods32_len = p32.len;
    lf->expected = gt_join(&g.t, &lf->expected_len);
    gt_text_free(&g.t);
}

void ladder_file_free(ladder_file *lf)
{
    free(lf->target);
    free(lf->expected);
    free(lf->mods20);
    free(lf->mods32);
    memset(lf, 0, sizeof *lf);
}
