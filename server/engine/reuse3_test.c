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

/* ------------------------------- problems said while the paths are placed */

/* Are two problems the same diagnostic, every field a client sees? */
static bool same_problem(const ap_problem *a, const ap_problem *b)
{
    if (a->code != b->code || a->severity != b->severity || a->span.start != b->span.start ||
        a->span.end != b->span.end || a->change != b->change || a->mod != b->mod ||
        strcmp(a->message, b->message) != 0 || a->n_related != b->n_related || a->n_fixes != b->n_fixes)
        return false;
    for (size_t k = 0; k < a->n_fixes; k++)
        if (a->fixes[k].span.start != b->fixes[k].span.start || a->fixes[k].span.end != b->fixes[k].span.end ||
            strcmp(a->fixes[k].text, b->fixes[k].text) != 0 || strcmp(a->fixes[k].title, b->fixes[k].title) != 0 ||
            a->fixes[k].preferred != b->fixes[k].preferred)
            return false;
    for (size_t k = 0; k < a->n_related; k++)
        if (a->related[k].file != b->related[k].file || a->related[k].span.start != b->related[k].span.start ||
            a->related[k].where.line != b->related[k].where.line ||
            a->related[k].where.inserted_change != b->related[k].where.inserted_change)
            return false;
    return true;
}

/* r says exactly what a fresh run of p says: each problem once (none said
 * twice, none stale, none missing), in any order. */
static void same_problems_as_fresh(ap_fs *fs, const ap_patch *p, const ap_run *r)
{
    ap_run *fresh = ap_run_new(p, fs, NULL);
    CHECK_INT((int)r->n_problems, (int)fresh->n_problems);
    bool *used = calloc(fresh->n_problems + 1, sizeof *used);
    for (size_t i = 0; i < r->n_problems; i++) {
        for (size_t j = 0; j < i; j++)
            CHECK(!same_problem(&r->problems[i], &r->problems[j])); /* said twice */
        bool found = false;
        for (size_t j = 0; j < fresh->n_problems && !found; j++)
            if (!used[j] && same_problem(&r->problems[i], &fresh->problems[j]))
                used[j] = found = true;
        CHECK(found); /* stale: the fresh run does not say it */
    }
    free(used);
    ap_run_free(fresh);
}

/* How many problems of this code r says. */
static int count_code(const ap_run *r, ap_code code)
{
    int n = 0;
    for (size_t i = 0; i < r->n_problems; i++)
        n += r->problems[i].code == code;
    return n;
}

/* Keystrokes one after the other, each reparsed and run over the previous
 * run: each run equals a fresh one, says code `code` want[i] times, and
 * takes over reused[i] groups. */
typedef struct step {
    const char *from, *to;
    int code_said;  /* times the placing problem is said after this step */
    int reused;     /* groups taken over */
} step;

static void keystrokes(ap_fs *fs, const char *text, ap_code code, int first_said, const step *steps, size_t n)
{
    ap_patch *p = ap_patch_parse(text, strlen(text));
    ap_run *r = ap_run_new(p, fs, NULL);
    CHECK_INT(count_code(r, code), first_said); /* the case is the one it means to be */
    char *t = strdup(text);
    for (size_t i = 0; i < n; i++) {
        char *t2 = edited(t, steps[i].from, steps[i].to);
        ap_patch *p2 = ap_patch_reparse(p, t2, strlen(t2));
        ap_run *r2 = ap_run_reuse(p2, fs, NULL, r);
        same_as_fresh(fs, p2, r2);
        same_problems_as_fresh(fs, p2, r2);
        CHECK_INT(count_code(r2, code), steps[i].code_said);
        CHECK_INT((int)r2->n_reused, steps[i].reused);
        ap_run_free(r);
        ap_patch_free(p);
        free(t);
        r = r2;
        p = p2;
        t = t2;
    }
    ap_run_free(r);
    ap_patch_free(p);
    free(t);
}

/* A file-and-folder conflict said on a group that is taken over: it comes
 * when the other path is typed, stays while the other block is edited (the
 * group moves), and goes when the path is typed away. Each run says it as
 * often as a fresh run does, once or not at all, and the group with the
 * conflict is taken over each time (its inputs did not change: what the
 * placing says is not among them). */
static void test_conflict_on_a_taken_group(void)
{
    static const char text[] = "e4a2f1b8 AP 3.2\n\ne4a2f1b8 FILE\ne\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\n"
                               "x\ne4a2f1b8 content\ny\n\ne4a2f1b8 FILE\nd/y.txt\ne4a2f1b8 REPLACE\n"
                               "e4a2f1b8 snippet\nbeta\ne4a2f1b8 content\nBETA\n\ne4a2f1b8 END\n";
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "d/y.txt", "alpha\nbeta\ngamma\n", 17, false);
    static const step steps[] = {
        {"FILE\ne\n", "FILE\nd\n", 2, 1},   /* the conflict comes (and d: a folder) */
        {"\nx\n", "\nxx\n", 2, 1},          /* stays; d/y.txt's block moves */
        {"FILE\nd\n", "FILE\nde\n", 0, 1},  /* goes */
    };
    keystrokes(fs, text, AP_INVALID_FILE_PATH, 0, steps, sizeof steps / sizeof *steps);
    ap_fs_mem_free(fs);
}

/* 3.2's dropped project folder ('proj/a.txt' read as 'a.txt', a warning
 * with its fix) on groups taken over at a new place: the warning and its fix
 * are said once, where the block now is, beside a failure the group's own
 * resolving said (taken over with it). */
static void test_dropped_folder_on_a_taken_group(void)
{
    static const char text[] = "e4a2f1b8 AP 3.2\n\ne4a2f1b8 FILE\nb.txt\ne4a2f1b8 INSERT_AFTER\n"
                               "e4a2f1b8 snippet\nbeta\ne4a2f1b8 content\nbetween\n\n"
                               "e4a2f1b8 FILE\nproj/a.txt\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\ntwo\n"
                               "e4a2f1b8 content\nTWO\n\n"
                               "e4a2f1b8 FILE\nproj/c.txt\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\nnowhere\n"
                               "e4a2f1b8 content\nNOWHERE\n\ne4a2f1b8 END\n";
    ap_fs *fs = files();
    ap_fs_mem_put(fs, "c.txt", "one\n", 4, false);
    static const step steps[] = {
        {"between\n", "betweenX\n", 2, 2}, /* both prefixed blocks move */
        {"TWO\n", "TWO!\n", 2, 2},         /* a.txt again, c.txt's block moves */
        {"FILE\nproj/c", "FILE\nc", 1, 2}, /* c's warning goes, a's stays */
    };
    keystrokes(fs, text, AP_PATH_PREFIX, 2, steps, sizeof steps / sizeof *steps);
    ap_fs_mem_free(fs);
}

/* 2.0: a path naming the root's own folder ('myproj/src/a.c' run in
 * myproj), a warning with its preferred fix, on a change taken over after
 * a keystroke in the change before it. */
static void test_project_folder_on_a_taken_group(void)
{
    static const char text[] = "version: \"2.0\"\nchanges:\n"
                               "  - file_path: src/b.c\n    modifications:\n"
                               "      - action: REPLACE\n        snippet: |\n          int b;\n"
                               "        content: |\n          int bb;\n"
                               "  - file_path: myproj/src/a.c\n    modifications:\n"
                               "      - action: REPLACE\n        snippet: |\n          int a;\n"
                               "        content: |\n          int aa;\n";
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_set_root(fs, "/home/u/myproj");
    ap_fs_mem_put(fs, "src/a.c", "int a;\n", 7, false);
    ap_fs_mem_put(fs, "src/b.c", "int b;\n", 7, false);
    static const step steps[] = {
        {"int bb;", "int bbb;", 1, 1},
        {"int bbb;", "int b3;", 1, 1},
    };
    keystrokes(fs, text, AP_PROJECT_FOLDER, 1, steps, sizeof steps / sizeof *steps);
    ap_fs_mem_free(fs);
}

int main(void)
{
    RUN(test_keystroke_takes_the_untouched_block_over);
    RUN(test_a_new_id_takes_nothing_over);
    RUN(test_strict_and_tolerant_do_not_mix);
    RUN(test_bracket_balance_kept_with_the_text);
    RUN(test_taken_note_renumbers_its_change);
    RUN(test_path_conflict_not_taken_over);
    RUN(test_conflict_on_a_taken_group);
    RUN(test_dropped_folder_on_a_taken_group);
    RUN(test_project_folder_on_a_taken_group);
    return check_summary();
}
