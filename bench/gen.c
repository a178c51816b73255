/* gen.c - bench_resolve's workload: one target and a patch of modifications
 * in random order over it, every action of 2.0 (ranges, anchors, trailing
 * blank lines), with the text applying it must give.
 *
 * The patch is made by simulating it (gentext.h): the generator keeps the
 * text as the modifications so far leave it, picks each modification
 * against that text, applies it the way ap-2.0.md says, and so knows the
 * exact result. A snippet starts at a line that is unique at that moment
 * (so it matches once), a range ends at a unique line after it, an anchor
 * is a unique line followed closely by a repeated one (the snippet: the
 * first match after the anchor), and every content line is new. */
#include "gen.h"
#include "gentext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the patch */

static const char *const action_of[GEN_KINDS] = {
    [GEN_REPLACE] = "REPLACE",          [GEN_INSERT_AFTER] = "INSERT_AFTER",
    [GEN_INSERT_BEFORE] = "INSERT_BEFORE", [GEN_DELETE] = "DELETE",
    [GEN_REPLACE_RANGE] = "REPLACE",    [GEN_DELETE_RANGE] = "DELETE",
};

/* Picks, writes and applies one modification; false when the text offers
 * no place for this kind (the caller picks another). */
static bool gen_mod(gt_gen *g, gt_buf *p, int kind)
{
    gt_text *t = &g->t;
    uint64_t *rs = &g->rs;
    char *content[8];
    size_t nc = 0;

    if (kind == GEN_ANCHORED) {
        /* anchor: a unique line; snippet: the first repeated line after it */
        long a = gt_unique_line(g, 0, t->n > 1 ? t->n - 1 : 0);
        if (a < 0)
            return false;
        size_t r = (size_t)a + 1;
        while (r < t->n && r < (size_t)a + 30 && (gt_blank(t->v[r]) || gt_count_of(t, t->v[r]) < 2))
            r++;
        if (r >= t->n || r >= (size_t)a + 30)
            return false;
        size_t e = gt_window_end(g, r, 1 + gt_below(rs, 2));
        static const char *const acts[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE"};
        int act = (int)gt_below(rs, 4);
        gt_addf(p, "      - action: %s\n", acts[act]);
        gt_yaml_block(p, "anchor", &t->v[a], 1);
        gt_yaml_block(p, "snippet", &t->v[r], e - r + 1);
        if (act != 3) {
            nc = gt_content(g, content);
            gt_yaml_block(p, "content", content, nc);
            gt_indent_lines(content, nc, t->v[r]);
        }
        if (act == 0 || act == 3)
            gt_erase(t, r, e - r + 1);
        if (act == 0)
            gt_insert(t, r, content, nc);
        else if (act == 1)
            gt_insert(t, e + 1, content, nc);
        else if (act == 2)
            gt_insert(t, r, content, nc);
        return true;
    }

    long s = gt_unique_line(g, 0, t->n);
    if (s < 0)
        return false;
    size_t e = gt_window_end(g, (size_t)s, 1 + gt_below(rs, kind >= GEN_REPLACE_RANGE ? 2 : 5));
    size_t last = e;
    size_t end_s = 0, end_e = 0;
    if (kind == GEN_REPLACE_RANGE || kind == GEN_DELETE_RANGE) {
        size_t from = e + 2, to = e + 15 < t->n ? e + 15 : t->n;
        long j = gt_unique_line(g, from, to);
        if (j < 0)
            return false;
        end_s = (size_t)j;
        end_e = gt_window_end(g, end_s, 1 + gt_below(rs, 2));
        last = end_e;
    }
    bool trail = kind == GEN_DELETE && gt_below(rs, 3) == 0;
    gt_addf(p, "      - action: %s\n", action_of[kind]);
    if (kind == GEN_REPLACE_RANGE || kind == GEN_DELETE_RANGE) {
        gt_yaml_block(p, "start_snippet", &t->v[s], e - (size_t)s + 1);
        gt_yaml_block(p, "end_snippet", &t->v[end_s], end_e - end_s + 1);
    } else {
        gt_yaml_block(p, "snippet", &t->v[s], e - (size_t)s + 1);
    }
    if (kind != GEN_DELETE && kind != GEN_DELETE_RANGE) {
        nc = gt_content(g, content);
        gt_yaml_block(p, "content", content, nc);
        gt_indent_lines(content, nc, t->v[s]);
    }
    if (trail) {
        gt_adds(p, "        include_trailing_blank_lines: 1\n");
        if (last + 1 < t->n && gt_blank(t->v[last + 1]))
            last++;
    }
    switch (kind) {
    case GEN_REPLACE:
    case GEN_REPLACE_RANGE:
        gt_erase(t, (size_t)s, last - (size_t)s + 1);
        gt_insert(t, (size_t)s, content, nc);
        break;
    case GEN_DELETE:
    case GEN_DELETE_RANGE:
        gt_erase(t, (size_t)s, last - (size_t)s + 1);
        break;
    case GEN_INSERT_AFTER:
        gt_insert(t, e + 1, content, nc);
        break;
    case GEN_INSERT_BEFORE:
        gt_insert(t, (size_t)s, content, nc);
        break;
    default:
        gt_free_lines(content, nc);
        break;
    }
    return true;
}

void bench_gen(bench_case *bc, uint32_t lines, uint32_t mods, uint64_t seed)
{
    memset(bc, 0, sizeof *bc);
    gt_gen g;
    memset(&g, 0, sizeof g);
    g.rs = seed ^ ((uint64_t)lines << 32) ^ mods;
    while (g.t.n < lines)
        gt_function(&g);
    if (g.t.n > lines)
        gt_erase(&g.t, lines, g.t.n - lines);
    bc->target_lines = lines;
    bc->target = gt_join(&g.t, &bc->target_len);

    gt_buf p = {0};
    gt_addf(&p, "# Summary: a synthetic patch of %u modifications over %u lines.\n", mods, lines);
    gt_adds(&p, "#\n# Plan:\n#   1. Exercise every action, ranges and anchors.\n");
    gt_adds(&p, "version: \"2.0\"\nchanges:\n  - file_path: \"" BENCH_FILE_PATH "\"\n");
    gt_adds(&p, "    modifications:\n");
    /* REPLACE 25%, INSERT_AFTER 15%, INSERT_BEFORE 15%, DELETE 10%,
     * REPLACE range 10%, DELETE range 5%, anchored 20% */
    static const int mix[20] = {GEN_REPLACE,       GEN_REPLACE,       GEN_REPLACE,
                                GEN_REPLACE,       GEN_REPLACE,       GEN_INSERT_AFTER,
                                GEN_INSERT_AFTER,  GEN_INSERT_AFTER,  GEN_INSERT_BEFORE,
                                GEN_INSERT_BEFORE, GEN_INSERT_BEFORE, GEN_DELETE,
                                GEN_DELETE,        GEN_REPLACE_RANGE, GEN_REPLACE_RANGE,
                                GEN_DELETE_RANGE,  GEN_ANCHORED,      GEN_ANCHORED,
                                GEN_ANCHORED,      GEN_ANCHORED};
    for (uint32_t m = 0; m < mods; m++) {
        int kind = mix[gt_below(&g.rs, 20)];
        /* keep a small file from shrinking away */
        if (g.t.n < 40 && (kind == GEN_DELETE || kind == GEN_DELETE_RANGE))
            kind = GEN_INSERT_AFTER;
        int tries = 0;
        while (!gen_mod(&g, &p, kind)) {
            kind = tries++ < 5 ? mix[gt_below(&g.rs, 20)] : GEN_INSERT_BEFORE;
            if (tries > 50) {
                fprintf(stderr, "bench: no place for modification %u\n", m);
                abort();
            }
        }
        bc->kinds[kind]++;
    }
    bc->n_mods = mods;
    bc->patch = p.s;
    bc->patch_len = p.len;
    bc->expected = gt_join(&g.t, &bc->expected_len);

    gt_text_free(&g.t);
}

void bench_case_free(bench_case *bc)
{
    free(bc->target);
    free(bc->patch);
    free(bc->expected);
    memset(bc, 0, sizeof *bc);
}
