/* reuse3_test.c - a keystroke in a 3.2 patch, as the language server runs
 * it: ap_patch_reparse (the FILE blocks it touched) then ap_run_reuse. The file
 * groups whose FILE blocks did not change are taken over from the previous
 * run (not resolved again), the result equals a fresh run, and a change of
 * the id (what makes a line a directive) takes nothing over. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const PATCH =
    "e4a2f1b8 AP 3.2\n"
    "\n"
    "e4a2f1b8 FILE\n"
    "a.txt\n"
    "e4a2f1b8 REPLACE\n"
    "e4a2f1b8 snippet\n"
    "two\n"
    "e4a2f1b8 content\n"
    "TWO\n"
    "\n"
    "e4a2f1b8 FILE\n"
    "b.txt\n"
    "e4a2f1b8 INSERT_AFTER\n"
    "e4a2f1b8 snippet\n"
    "beta\n"
    "e4a2f1b8 content\n"
    "between\n"
    "\n"
    "e4a2f1b8 END\n";

static ap_fs *files(void)
{
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "a.txt", "one\ntwo\nthree\n", 14, false);
    ap_fs_mem_put(fs, "b.txt", "alpha\nbeta\ngamma\n", 17, false);
    return fs;
}

/* text with the first `from` replaced by `to` (malloc'd) */
static char *edited(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    size_t a = (size_t)(at - text), n = strlen(text), fl = strlen(from), tl = strlen(to);
    char *out = malloc(n - fl + tl + 1);
    memcpy(out, text, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, at + fl, n - a - fl + 1);
    return out;
}

/* The run of the same text from scratch says the same. */
static void same_as_fresh(ap_fs *fs, const ap_patch *p, ap_run *r)
{
    ap_run *fresh = ap_run_new(p, fs, NULL);
    CHECK_INT(r->ok, fresh->ok);
    CHECK_INT((int)r->n_files, (int)fresh->n_files);
    CHECK_INT((int)r->n_problems, (int)fresh->n_problems);
    for (size_t i = 0; i < r->n_files && i < fresh->n_files; i++) {
        ap_run_render(r, i);
        ap_run_render(fresh, i);
        CHECK_STR(r->files[i].path, fresh->files[i].path);
        CHECK_INT(r->files[i].status, fresh->files[i].status);
        CHECK_INT((int)r->files[i].after_len, (int)fresh->files[i].after_len);
        CHECK(r->files[i].after_len == fresh->files[i].after_len &&
              (r->files[i].after_len == 0 ||
               memcmp(r->files[i].after, fresh->files[i].after, r->files[i].after_len) == 0));
    }
    for (size_t c = 0; c < p->n_changes; c++)
        for (size_t m = 0; m < p->changes[c].n_mods; m++) {
            CHECK_INT(r->mods[c][m].state, fresh->mods[c][m].state);
            CHECK_INT((int)r->mods[c][m].region.line, (int)fresh->mods[c][m].region.line);
        }
    for (size_t k = 0; k < r->n_problems && k < fresh->n_problems; k++) {
        CHECK_INT(r->problems[k].code, fresh->problems[k].code);
        CHECK_INT((int)r->problems[k].span.start, (int)fresh->problems[k].span.start);
    }
    ap_run_free(fresh);
}

static void test_keystroke_takes_the_untouched_block_over(void)
{
    ap_fs *fs = files();
    ap_patch *p1 = ap_patch_parse(PATCH, strlen(PATCH));
    CHECK_INT(p1->format, AP_FORMAT_3_2);
    CHECK(p1->reparsable);
    ap_run *r1 = ap_run_new(p1, fs, NULL);
    CHECK(r1->ok);
    CHECK(r1->mods[0][0].before != NULL && r1->mods[1][0].before != NULL);
    /* a keystroke in the second block's content: its length changes, so the
     * first block keeps its place and the second moves nothing */
    char *t2 = edited(PATCH, "between\n", "betweenX\n");
    ap_patch *p2 = ap_patch_reparse(p1, t2, strlen(t2));
    ap_run *r2 = ap_run_reuse(p2, fs, NULL, r1);
    /* the first block's group was taken over (its results moved out of r1),
     * the second's resolved again (r1 keeps its own) */
    CHECK(r1->mods[0][0].before == NULL);
    CHECK(r1->mods[1][0].before != NULL);
    CHECK_INT(r2->mods[0][0].state, AP_MOD_APPLIES);
    CHECK(r2->mods[0][0].before != NULL);
    same_as_fresh(fs, p2, r2);
    ap_run_free(r1);
    ap_patch_free(p1);

    /* a keystroke in the first block, before the second: the second block
     * moves (its spans shift) and is taken over at its new place */
    char *t3 = edited(t2, "TWO\n", "TWO!\n");
    ap_patch *p3 = ap_patch_reparse(p2, t3, strlen(t3));
    ap_run *r3 = ap_run_reuse(p3, fs, NULL, r2);
    CHECK(r2->mods[0][0].before != NULL);
    CHECK(r2->mods[1][0].before == NULL);
    same_as_fresh(fs, p3, r3);
    ap_run_free(r2);
    ap_patch_free(p2);

    /* a snippet that no longer resolves in the second block: its problem is
     * the fresh run's, at the same place */
    char *t4 = edited(t3, "beta\n", "betax\n");
    ap_patch *p4 = ap_patch_reparse(p3, t4, strlen(t4));
    ap_run *r4 = ap_run_reuse(p4, fs, NULL, r3);
    CHECK(!r4->ok);
    CHECK(r3->mods[0][0].before == NULL);
    same_as_fresh(fs, p4, r4);
    ap_run_free(r3);
    ap_patch_free(p3);
    ap_run_free(r4);
    ap_patch_free(p4);
    free(t2);
    free(t3);
    free(t4);
    ap_fs_mem_free(fs);
}

static void test_a_new_id_takes_nothing_over(void)
{
    ap_fs *fs = files();
    ap_patch *p1 = ap_patch_parse(PATCH, strlen(PATCH));
    ap_run *r1 = ap_run_new(p1, fs, NULL);
    /* the header's id changes: every directive line now reads as a drifted
     * id or a value, so no block may keep its old meaning */
    char *t2 = edited(PATCH, "e4a2f1b8 AP 3.2", "e4a2f1b9 AP 3.2");
    ap_patch *p2 = ap_patch_reparse(p1, t2, strlen(t2));
    CHECK(p2->context != 0);
    ap_run *r2 = ap_run_reuse(p2, fs, NULL, r1);
    CHECK(r1->mods[0][0].before != NULL);
    CHECK(r1->mods[1][0].before != NULL);
    same_as_fresh(fs, p2, r2);
    ap_run_free(r1);
    ap_patch_free(p1);
    ap_run_free(r2);
    ap_patch_free(p2);
    free(t2);
    ap_fs_mem_free(fs);
}

static void test_strict_and_tolerant_do_not_mix(void)
{
    ap_fs *fs = files();
    ap_patch *p1 = ap_patch_parse(PATCH, strlen(PATCH));
    ap_run *r1 = ap_run_new(p1, fs, NULL);
    ap_patch *p2 = ap_patch_parse_opts(PATCH, strlen(PATCH), AP_PARSE_STRICT);
    ap_run *r2 = ap_run_reuse(p2, fs, NULL, r1);
    CHECK(r1->mods[0][0].before != NULL); /* --strict is part of the context */
    same_as_fresh(fs, p2, r2);
    ap_run_free(r1);
    ap_patch_free(p1);
    ap_run_free(r2);
    ap_patch_free(p2);
    ap_fs_mem_free(fs);
}

/* The bracket check when a group is resolved again (its balance before the
 * patch is kept with the text, brackets.c): a keystroke in the block of a
 * file the patch unbalances still warns, and one that balances it does not,
 * as a fresh run says. */
static void test_bracket_balance_kept_with_the_text(void)
{
    static const char *const BR =
        "e4a2f1b8 AP 3.2\n"
        "e4a2f1b8 FILE\n"
        "c.c\n"
        "e4a2f1b8 REPLACE\n"
        "e4a2f1b8 snippet\n"
        "int f(void) {\n"
        "e4a2f1b8 content\n"
        "int f(void)\n"
        "e4a2f1b8 END\n";
    ap_fs *fs = ap_fs_mem_new();
    const char *c = "int f(void) {\n    return 0;\n}\n";
    ap_fs_mem_put(fs, "c.c", c, strlen(c), false);
    ap_patch *p1 = ap_patch_parse(BR, strlen(BR));
    ap_run *r1 = ap_run_new(p1, fs, NULL);
    CHECK_INT((int)r1->n_problems, 1);
    CHECK_INT(r1->problems[0].code, AP_UNBALANCED_BRACKETS);
    /* a keystroke in the content: resolved again, the balance taken over */
    char *t2 = edited(BR, "int f(void)\ne4a2f1b8 END", "int  f(void)\ne4a2f1b8 END");
    ap_patch *p2 = ap_patch_reparse(p1, t2, strlen(t2));
    ap_run *r2 = ap_run_reuse(p2, fs, NULL, r1);
    CHECK_INT((int)r2->n_reused, 0);
    CHECK_INT((int)r2->n_problems, 1);
    same_as_fresh(fs, p2, r2);
    /* and one that balances it again: no warning */
    char *t3 = edited(t2, "int  f(void)\ne4a2f1b8 END", "int f(void) {\ne4a2f1b8 END");
    ap_patch *p3 = ap_patch_reparse(p2, t3, strlen(t3));
    ap_run *r3 = ap_run_reuse(p3, fs, NULL, r2);
    CHECK_INT((int)r3->n_problems, 0);
    same_as_fresh(fs, p3, r3);
    ap_run_free(r1);
    ap_patch_free(p1);
    ap_run_free(r2);
    ap_patch_free(p2);
    ap_run_free(r3);
    ap_patch_free(p3);
    free(t2);
    free(t3);
    ap_fs_mem_free(fs);
}

/* One target file, the patch run on it, then a keystroke: the text with
 * `from` made `to`, reparsed and run again taking the first run over. */
typedef struct keystroke {
    const char *text; /* the first run's */
    ap_fs *fs;
    ap_patch *p1, *p2;
    ap_run *r1, *r2;
    char *t2;
} keystroke;

static keystroke first_run(const char *path, const char *bytes, const char *text)
{
    keystroke k = {text, ap_fs_mem_new(), NULL, NULL, NULL, NULL, NULL};
    ap_fs_mem_put(k.fs, path, bytes, strlen(bytes), false);
    k.p1 = ap_patch_parse(text, strlen(text));
    k.r1 = ap_run_new(k.p1, k.fs, NULL);
    return k;
}

static void type(keystroke *k, const char *from, const char *to)
{
    k->t2 = edited(k->text, from, to);
    k->p2 = ap_patch_reparse(k->p1, k->t2, strlen(k->t2));
    k->r2 = ap_run_reuse(k->p2, k->fs, NULL, k->r1);
}

static void keystroke_free(keystroke *k)
{
    ap_run_free(k->r2);
    ap_patch_free(k->p2);
    ap_run_free(k->r1);
    ap_patch_free(k->p1);
    free(k->t2);
    ap_fs_mem_free(k->fs);
}

/* A note that points at lines an earlier modification inserted names that
 * modification's change: a keystroke that removes a change before it (here
 * a FILE without a path, no longer a directive) renumbers the changes, and
 * the note taken over says the new number, as a fresh run does (found by
 * fuzz_resolve). */
static void test_taken_note_renumbers_its_change(void)
{
    static const char text[] = "30a00444 FILE\n30a00444 FILE\nf.txt\n30a00444 REPLACE\n3\n"
                               "e0a00444 content\n :\n30a00444 snippet\nreturn \"Process Three\"\n"
                               "30a00444 content\n 3\"";
    keystroke ks = first_run("f.txt", "return \"Process Three\"\n", text);
    type(&ks, "30a00444 FILE\n30a", "30a00444x FILE\n30a");
    ap_run *r2 = ks.r2, *fresh = ap_run_new(ks.p2, ks.fs, NULL);
    same_as_fresh(ks.fs, ks.p2, r2);
    size_t notes = 0;
    for (size_t k = 0; k < r2->n_problems && k < fresh->n_problems; k++)
        for (size_t q = 0; q < r2->problems[k].n_related && q < fresh->problems[k].n_related; q++) {
            CHECK_INT(r2->problems[k].related[q].where.inserted_change,
                      fresh->problems[k].related[q].where.inserted_change);
            notes += fresh->problems[k].related[q].where.inserted_change >= 0;
        }
    CHECK(notes > 0); /* the case is the one it means to be */
    ap_run_free(fresh);
    keystroke_free(&ks);
}

/* A file-and-folder conflict between two FILE blocks is said while the
 * paths are placed: after an edit to the first block's path, the second
 * block's group is taken over, and the old conflict must not come with it
 * (fuzz_resolve: an extra INVALID_FILE_PATH against a fresh run). */
static void test_path_conflict_not_taken_over(void)
{
    static const char text[] = "e4a2f1b8 AP 3.2\n\ne4a2f1b8 FILE\nd\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\n"
                               "x\ne4a2f1b8 content\ny\n\ne4a2f1b8 FILE\nd/y.txt\ne4a2f1b8 REPLACE\n"
                               "e4a2f1b8 snippet\nbeta\ne4a2f1b8 content\nBETA\n\ne4a2f1b8 END\n";
    keystroke k = first_run("d/y.txt", "alpha\nbeta\ngamma\n", text);
    bool conflict = false;
    for (size_t i = 0; i < k.r1->n_problems; i++)
        conflict |= k.r1->problems[i].code == AP_INVALID_FILE_PATH;
    CHECK(conflict); /* the case is the one it means to be */
    type(&k, "FILE\nd\n", "FILE\ne\n");
    CHECK(k.r2->n_reused > 0);
    for (size_t i = 0; i < k.r2->n_problems; i++)
        CHECK(k.r2->problems[i].code != AP_INVALID_FILE_PATH);
    same_as_fresh(k.fs, k.p2, k.r2);
    keystroke_free(&k);
}

int main(void)
{
    RUN(test_keystroke_takes_the_untouched_block_over);
    RUN(test_a_new_id_takes_nothing_over);
    RUN(test_strict_and_tolerant_do_not_mix);
    RUN(test_bracket_balance_kept_with_the_text);
    RUN(test_taken_note_renumbers_its_change);
    RUN(test_path_conflict_not_taken_over);
    return check_summary();
}
