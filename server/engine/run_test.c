/* run_test.c - resolving and applying patches (run.c, render.c, diff.c)
 * over the memory file provider: every action, indentation, blank-line
 * widening, line endings, trailing white space, CREATE_FILE, every error
 * code, atomicity, filtering, hunks and diffs, and applying twice. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

#define HDR(path) "version: \"2.0\"\nchanges:\n  - file_path: " path "\n    modifications:\n"

/* A patch, a run of it, and the file system it ran on. */
typedef struct trun {
    ap_fs *fs;
    ap_patch *p;
    ap_run *r;
} trun;

static trun *trun_new(ap_fs *fs, const char *src, const ap_options *o)
{
    trun *t = ap_xcalloc(1, sizeof *t);
    t->fs = fs;
    t->p = ap_patch_parse(src, strlen(src));
    t->r = ap_run_new(t->p, fs, o);
    return t;
}

static void trun_free(trun *t)
{
    ap_run_free(t->r);
    ap_patch_free(t->p);
    free(t);
}

static ap_fs *fs_with(const char *path, const char *bytes)
{
    ap_fs *fs = ap_fs_mem_new();
    if (bytes)
        ap_fs_mem_put(fs, path, bytes, strlen(bytes), false);
    return fs;
}

static ap_file *file_of(ap_run *r, const char *path)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strcmp(r->files[i].path, path) == 0) {
            ap_run_render(r, i);
            return &r->files[i];
        }
    return NULL;
}

/* The new bytes of path (NUL-terminated), or NULL. */
static const char *after_of(ap_run *r, const char *path)
{
    ap_file *f = file_of(r, path);
    return f ? f->after : NULL;
}

static const char *fs_text(ap_fs *fs, const char *path)
{
    size_t n;
    const char *s = ap_fs_mem_get(fs, path, &n);
    return s;
}

static void dump_problems(const trun *t)
{
    for (size_t i = 0; i < t->p->n_problems; i++)
        fprintf(stderr, "    parse %s: %s\n", ap_code_name(t->p->problems[i].code),
                t->p->problems[i].message);
    for (size_t i = 0; i < t->r->n_problems; i++)
        fprintf(stderr, "    run %s (%d.%d): %s\n", ap_code_name(t->r->problems[i].code),
                t->r->problems[i].change, t->r->problems[i].mod, t->r->problems[i].message);
}

static size_t count_run_code(const ap_run *r, ap_code code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_problems; i++)
        n += r->problems[i].code == code;
    return n;
}

static const ap_problem *run_problem(const ap_run *r, ap_code code)
{
    for (size_t i = 0; i < r->n_problems; i++)
        if (r->problems[i].code == code)
            return &r->problems[i];
    return NULL;
}

/* got's unified diff is want's: a run that let go of memory on the way
 * tells the same as one that kept everything. */
static void same_diff(const ap_file *want, const ap_file *got)
{
    char *dw, *dg;
    size_t nw, ng;
    ap_diff_unified(want, &dw, &nw);
    ap_diff_unified(got, &dg, &ng);
    CHECK_STR(dg, dw);
    free(dw);
    free(dg);
}

/* Second run on the committed result: every modification that ran is
 * recognised as applied, nothing fails and no file changes. */
static void check_second_run(ap_fs *fs, const char *src, const ap_options *o, int line)
{
    trun *t = trun_new(fs, src, o);
    bool ok = t->r->ok;
    for (size_t c = 0; c < t->p->n_changes; c++)
        for (size_t m = 0; m < t->p->changes[c].n_mods; m++) {
            const ap_mod_result *x = &t->r->mods[c][m];
            if (!t->p->changes[c].mods[m].ok)
                continue;
            if (o && o->only_change >= 0 && (int)c != o->only_change)
                continue;
            if (o && o->only_mod >= 0 && (int)m != o->only_mod)
                continue;
            if (x->state != AP_MOD_ALREADY_APPLIED) {
                fprintf(stderr, "  run_test.c:%d: second run: modification %zu.%zu is in state %d (%s)\n",
                        line, c, m, x->state, ap_code_name(x->code));
                ok = false;
            }
        }
    for (size_t i = 0; i < t->r->n_files; i++) {
        ap_run_render(t->r, i);
        ap_file *f = &t->r->files[i];
        if (f->status != AP_FILE_UNCHANGED || f->n_hunks != 0) {
            fprintf(stderr, "  run_test.c:%d: second run changes %s (status %d, %zu hunks)\n", line,
                    f->path, f->status, f->n_hunks);
            ok = false;
        }
    }
    if (!ok) {
        dump_problems(t);
        check_failed_in_test++;
    }
    trun_free(t);
}

/* Applies src to one file f.txt holding before: the run must be ok, every
 * modification must apply, and the file must become want, byte for byte.
 * Then, committed, the same patch must find everything applied. */
static void check_apply_opts(const char *before, const char *src, const char *want,
                             const ap_options *o, int line)
{
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, src, o);
    if (!t->r->ok) {
        fprintf(stderr, "  run_test.c:%d: run not ok\n", line);
        dump_problems(t);
        check_failed_in_test++;
    }
    for (size_t c = 0; c < t->p->n_changes; c++)
        for (size_t m = 0; m < t->p->changes[c].n_mods; m++)
            if (t->r->mods[c][m].state != AP_MOD_APPLIES) {
                fprintf(stderr, "  run_test.c:%d: modification %zu.%zu is in state %d (%s) %s\n", line,
                        c, m, t->r->mods[c][m].state, ap_code_name(t->r->mods[c][m].code),
                        t->r->mods[c][m].why ? t->r->mods[c][m].why : "");
                check_failed_in_test++;
            }
    const char *got = after_of(t->r, "f.txt");
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "  run_test.c:%d: result differs\n    got:  \"", line);
        for (const char *s = got ? got : "(null)"; *s; s++)
            fprintf(stderr, *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : "%c", *s);
        fprintf(stderr, "\"\n    want: \"");
        for (const char *s = want; *s; s++)
            fprintf(stderr, *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : *s == '\t' ? "\\t" : "%c", *s);
        fprintf(stderr, "\"\n");
        check_failed_in_test++;
    }
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    const char *stored = fs_text(fs, "f.txt");
    CHECK(stored && strcmp(stored, want) == 0);
    check_second_run(fs, src, o, line);
    ap_fs_mem_free(fs);
}
#define CHECK_APPLY(before, src, want) check_apply_opts((before), (src), (want), NULL, __LINE__)
#define CHECK_APPLY_OPTS(before, src, want, o) check_apply_opts((before), (src), (want), (o), __LINE__)

/* Runs src on f.txt holding before: the run fails, and modification
 * (ch, md) fails with code, reported once with those indexes. */
static void check_fails(const char *before, const char *src, ap_code code, int ch, int md, int line)
{
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, src, NULL);
    bool ok = true;
    if (t->r->ok) {
        fprintf(stderr, "  run_test.c:%d: run is ok, want %s\n", line, ap_code_name(code));
        ok = false;
    }
    if (md >= 0 && (t->r->mods[ch][md].state != AP_MOD_FAILED || t->r->mods[ch][md].code != code)) {
        fprintf(stderr, "  run_test.c:%d: modification %d.%d: state %d code %s, want %s\n", line, ch, md,
                t->r->mods[ch][md].state, ap_code_name(t->r->mods[ch][md].code), ap_code_name(code));
        ok = false;
    }
    const ap_problem *q = run_problem(t->r, code);
    if (!q || q->change != ch || q->mod != md || q->severity != AP_ERROR ||
        count_run_code(t->r, code) != 1) {
        fprintf(stderr, "  run_test.c:%d: no single %s problem at %d.%d\n", line, ap_code_name(code), ch,
                md);
        ok = false;
    }
    if (!ok) {
        dump_problems(t);
        check_failed_in_test++;
    }
    trun_free(t);
    ap_fs_mem_free(fs);
}
#define CHECK_FAILS(before, src, code, ch, md) check_fails((before), (src), (code), (ch), (md), __LINE__)

/* ------------------------------------------------------------- actions */

static void test_replace(void)
{
    const char *src = HDR("f.txt") "      - action: REPLACE\n"
                                   "        snippet: |\n          b = 2\n"
                                   "        content: |\n          b = 20\n          b2 = 21\n";
    CHECK_APPLY("a = 1\nb = 2\nc = 3\n", src, "a = 1\nb = 20\nb2 = 21\nc = 3\n");

    /* what the result says */
    ap_fs *fs = fs_with("f.txt", "a = 1\nb = 2\nc = 3\n");
    trun *t = trun_new(fs, src, NULL);
    const ap_mod_result *x = &t->r->mods[0][0];
    CHECK_INT(x->state, AP_MOD_APPLIES);
    CHECK_INT(x->file, 0);
    CHECK(x->has_region);
    CHECK(!x->has_anchor);
    CHECK_INT(x->region.line, 1);
    CHECK_INT(x->region.end_line, 2);
    CHECK_INT(x->region.start, 6);
    CHECK_INT(x->region.end, 12);
    CHECK_INT(x->region.inserted_change, -1);
    CHECK_STR(x->before, "b = 2\n");
    CHECK_STR(x->after, "b = 20\nb2 = 21\n");
    CHECK_INT(t->r->n_files, 1);
    CHECK_STR(t->r->files[0].path, "f.txt");
    CHECK_INT(t->r->files[0].status, AP_FILE_MODIFIED);
    CHECK(t->r->files[0].before != NULL);
    CHECK_INT(t->r->n_problems, 0);
    trun_free(t);
    ap_fs_mem_free(fs);

    /* several lines, blank lines between them, replaced as a whole */
    CHECK_APPLY("x\nif a:\n\n    go()\ny\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        snippet: |\n          if a:\n          go()\n"
                             "        content: |\n          stop()\n",
                "x\nstop()\ny\n");
}

static void test_insert_after_before(void)
{
    CHECK_APPLY("a\nb\nc\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n"
                             "        snippet: |\n          b\n"
                             "        content: |\n          b1\n          b2\n",
                "a\nb\nb1\nb2\nc\n");
    CHECK_APPLY("a\nb\nc\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n"
                             "        snippet: |\n          b\n"
                             "        content: |\n          a1\n",
                "a\na1\nb\nc\n");
    /* at the very start and the very end */
    CHECK_APPLY("a\nb\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n"
                             "        snippet: |\n          a\n"
                             "        content: |\n          # header\n"
                             "      - action: INSERT_AFTER\n"
                             "        snippet: |\n          b\n"
                             "        content: |\n          # footer\n",
                "# header\na\nb\n# footer\n");
    /* after a multi-line snippet: after its last line */
    CHECK_APPLY("a\nb\nc\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n"
                             "        snippet: |\n          a\n          b\n"
                             "        content: |\n          new\n",
                "a\nb\nnew\nc\n");
}

static void test_delete(void)
{
    CHECK_APPLY("a\nb\nc\n",
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n", "a\nc\n");
    CHECK_APPLY("a\nb\nc\n",
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          a\n          b\n"
                             "          c\n",
                "");
    /* a range */
    CHECK_APPLY("keep\ndef f():\n    x = 1\n    return x\nkeep2\n",
                HDR("f.txt") "      - action: DELETE\n"
                             "        start_snippet: |\n          def f():\n"
                             "        end_snippet: |\n          return x\n",
                "keep\nkeep2\n");
    /* a range replaced */
    CHECK_APPLY("s\n  # Stage 2\n  a = 1\n  r = a\nend\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        start_snippet: |\n          # Stage 2\n"
                             "        end_snippet: |\n          r = a\n"
                             "        content: |\n          r = 1\n",
                "s\n  r = 1\nend\n");
}

static void test_anchor(void)
{
    const char *before = "def a():\n    return 1\n\ndef b():\n    return 1\n";
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: REPLACE\n"
                             "        anchor: |\n          def b():\n"
                             "        snippet: |\n          return 1\n"
                             "        content: |\n          return 2\n",
                "def a():\n    return 1\n\ndef b():\n    return 2\n");
    /* the snippet is searched after the anchor's last line only */
    CHECK_FAILS("x = 1\ndef b():\n    pass\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        anchor: |\n          def b():\n"
                             "        snippet: |\n          x = 1\n"
                             "        content: |\n          x = 2\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n"
                                        "        anchor: |\n          def b():\n"
                                        "        snippet: |\n          return 1\n",
                       NULL);
    const ap_mod_result *x = &t->r->mods[0][0];
    CHECK(x->has_anchor);
    CHECK_INT(x->anchor.line, 3);
    CHECK_INT(x->anchor.end_line, 4);
    CHECK_INT(x->region.line, 4);
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* --------------------------------------------------------- indentation */

static void test_indentation(void)
{
    /* tabs, from the located line */
    CHECK_APPLY("def f():\n\tstart()\n\t# here\n\tend()\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n"
                             "        snippet: |\n          # here\n"
                             "        content: |\n          work()\n",
                "def f():\n\tstart()\n\t# here\n\twork()\n\tend()\n");
    /* spaces, and the content's own relative indentation kept */
    CHECK_APPLY("class A:\n    def f(self):\n        pass\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        snippet: |\n          pass\n"
                             "        content: |\n          if x:\n              y()\n          return 1\n",
                "class A:\n    def f(self):\n        if x:\n            y()\n        return 1\n");
    /* mixed: the region's first line's white space exactly (tab + spaces) */
    CHECK_APPLY("{\n\t  a;\n}\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n"
                             "        snippet: |\n          a;\n"
                             "        content: |\n          b;\n",
                "{\n\t  b;\n\t  a;\n}\n");
    /* the region starts on a blank line (widened): the indentation comes
     * from its first non-blank line */
    CHECK_APPLY("x\n\n    target()\ny\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        snippet: |\n          target()\n"
                             "        content: |\n          other()\n"
                             "        include_leading_blank_lines: 1\n",
                "x\n    other()\ny\n");
    /* a multi-line region: its first line decides, not the others */
    CHECK_APPLY("  a\n        b\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        snippet: |\n          a\n          b\n"
                             "        content: |\n          c\n          d\n",
                "  c\n  d\n");
    /* an indented patch block: YAML removes the block's indentation */
    CHECK_APPLY("\tx\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n"
                             "        snippet: |\n                  x\n"
                             "        content: |\n                  y\n                    z\n",
                "\tx\n\ty\n\t  z\n");
    /* blank content lines get no indentation (stripped) */
    CHECK_APPLY("    a\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n"
                             "        snippet: |\n          a\n"
                             "        content: |\n          b\n\n          c\n",
                "    a\n    b\n\n    c\n");
}

/* -------------------------------------------------------- blank lines */

static void test_blank_line_widening(void)
{
    const char *before = "a\n\n\n\nb\n\n\nc\n";
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n"
                             "        include_leading_blank_lines: 2\n",
                "a\n\n\n\nc\n");
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n"
                             "        include_trailing_blank_lines: 1\n",
                "a\n\n\n\n\nc\n");
    /* more asked than there are: stops at the non-blank line */
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n"
                             "        include_leading_blank_lines: 10\n"
                             "        include_trailing_blank_lines: 10\n",
                "a\nc\n");
    /* lines of spaces count as blank */
    CHECK_APPLY("a\n  \n\t\nb\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                             "        content: |\n          B\n"
                             "        include_leading_blank_lines: 2\n",
                "a\nB\n");
    /* at the file's edges */
    CHECK_APPLY("\n\nb\n\n",
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n"
                             "        include_leading_blank_lines: 5\n"
                             "        include_trailing_blank_lines: 5\n",
                "");
    /* the region reported is the widened one */
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          b\n"
                                        "        include_leading_blank_lines: 2\n"
                                        "        include_trailing_blank_lines: 1\n",
                       NULL);
    CHECK_INT(t->r->mods[0][0].region.line, 2);
    CHECK_INT(t->r->mods[0][0].region.end_line, 6);
    CHECK_STR(t->r->mods[0][0].before, "\n\nb\n\n");
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* -------------------------------------------------------- line endings */

static void test_line_endings(void)
{
    const char *rep = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                                   "        content: |\n          x\n          y\n";
    CHECK_APPLY("a\r\nb\r\nc\r\n", rep, "a\r\nx\r\ny\r\nc\r\n");
    CHECK_APPLY("a\rb\rc\r", rep, "a\rx\ry\rc\r");
    CHECK_APPLY("a\nb\nc\n", rep, "a\nx\ny\nc\n");
    /* a file that mixes: written with the ending it uses (any CRLF wins) */
    CHECK_APPLY("a\nb\r\nc\n", rep, "a\r\nx\r\ny\r\nc\r\n");
    /* newline: converts the whole file */
    CHECK_APPLY("a\nb\nc\n",
                "version: \"2.0\"\nchanges:\n  - file_path: f.txt\n    newline: CRLF\n"
                "    modifications:\n      - action: REPLACE\n        snippet: |\n          b\n"
                "        content: |\n          x\n",
                "a\r\nx\r\nc\r\n");
    CHECK_APPLY("a\r\nb\r\nc",
                "version: \"2.0\"\nchanges:\n  - file_path: f.txt\n    newline: LF\n"
                "    modifications:\n      - action: REPLACE\n        snippet: |\n          b\n"
                "        content: |\n          x\n",
                "a\nx\nc");
    CHECK_APPLY("a\nb\n",
                "version: \"2.0\"\nchanges:\n  - file_path: f.txt\n    newline: CR\n"
                "    modifications:\n      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                "        content: |\n          c\n",
                "a\rb\rc\r");
    /* a one-line file without a break: LF */
    CHECK_APPLY("a",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          a\n"
                             "        content: |\n          z\n",
                "z\na");
    /* a patch file with CRLF line breaks changes nothing in the content */
    CHECK_APPLY("a\nb\n",
                "version: \"2.0\"\r\nchanges:\r\n  - file_path: f.txt\r\n    modifications:\r\n"
                "      - action: REPLACE\r\n        snippet: |\r\n          b\r\n"
                "        content: |\r\n          c\r\n",
                "a\nc\n");
}

static void test_last_line_without_newline(void)
{
    const char *before = "first\nlast";
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          last\n"
                             "        content: |\n          more\n",
                "first\nlast\nmore\n");
    /* replaced, the last line keeps having no break (issue 7, item 11) */
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          last\n"
                             "        content: |\n          LAST\n",
                "first\nLAST");
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          last\n"
                             "        content: |\n          LAST\n          MORE\n",
                "first\nLAST\nMORE");
    CHECK_APPLY("a\r\nb",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                             "        content: |\n          B\n",
                "a\r\nB");
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          last\n",
                "first\n");
    CHECK_APPLY(before,
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          last\n"
                             "        content: |\n          middle\n",
                "first\nmiddle\nlast");
    /* a change elsewhere leaves the missing break missing */
    CHECK_APPLY("a\nb\nc",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                             "        content: |\n          B\n",
                "a\nB\nc");
    /* content without a final break still ends with one once inserted */
    CHECK_APPLY("a\nb\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |-\n          x\n",
                "a\nx\nb\n");
    CHECK_APPLY("a\nb",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                             "        content: \"x\"\n",
                "a\nb\nx\n");
    /* a CRLF file whose last line has no break */
    CHECK_APPLY("a\r\nb",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                             "        content: |\n          c\n",
                "a\r\nb\r\nc\r\n");
}

/* On a first run nothing counts as applied from evidence that is not there:
 * the issue 7 shapes (blank lines are content; text this run wrote is no
 * evidence; a deletion of nothing supersedes nothing). */
static void test_first_run_not_applied(void)
{
    /* a REPLACE whose content differs from the region only in a blank line */
    CHECK_APPLY("x = 1\n\ny = 2\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          x = 1\n\n          y = 2\n"
                             "        content: |\n          x = 1\n          y = 2\n",
                "x = 1\ny = 2\n");
    /* the second REPLACE finds its snippet in what the first wrote, and the
     * content it would write stands there too: it still applies */
    CHECK_APPLY("b\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                             "        content: |\n          a\n          c\n"
                             "      - action: REPLACE\n        snippet: |\n          c\n"
                             "        content: |\n          a\n          c\n",
                "a\na\nc\n");
    /* a REPLACE that drops the last (or first) line of its snippet: the file
     * holds the snippet, so it is not "what the patch makes" of a file that
     * held it twice */
    CHECK_APPLY("a\nb\nc\nd\ne\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n          c\n          d\n"
                             "        content: |\n          b\n          c\n",
                "a\nb\nc\ne\n");
    CHECK_APPLY("a\nb\nc\nd\ne\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n          c\n          d\n"
                             "        content: |\n          c\n          d\n",
                "a\nc\nd\ne\n");
    /* an INSERT_BEFORE whose snippet is nowhere is not superseded by a
     * later DELETE of its content that finds nothing to delete */
    CHECK_FAILS("\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          a\n"
                             "        content: |\n          }\n"
                             "      - action: DELETE\n        snippet: |\n          }\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    /* a REPLACE whose snippet an earlier DELETE of this run took is not
     * applied because its content stands after it (idem_test 1000011): the
     * snippet's absence is this run's doing */
    CHECK_FAILS("return x\nx = 1\ndef parse(self, text):\nstatic int count;\nend\n",
                HDR("f.txt") "      - action: DELETE\n        anchor: |\n          return x\n"
                             "        snippet: |\n          x = 1\n          def parse(self, text):\n"
                             "      - action: REPLACE\n        snippet: |\n          return x\n          x = 1\n"
                             "        content: |\n          static int count;\n",
                AP_SNIPPET_NOT_FOUND, 0, 1);
}

/* A snippet that exists nowhere is not "applied" because its content stands
 * elsewhere, when a line much like the snippet is there (issue 11, item 3). */
static void test_hallucinated_snippet(void)
{
    const char *enc = "def _iterencode_dict(dct):\n"
                      "    if _sort_keys:\n"
                      "        items = sorted(dct.items())\n"
                      "    else:\n"
                      "        items = dct.items()\n"
                      "    for key, value in items:\n";
    const char *rep = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n"
                                   "          items = sorted(dct.items(), key=lambda kv: kv[0])\n"
                                   "        content: |\n          items = dct.items()\n";
    CHECK_FAILS(enc, rep, AP_SNIPPET_NOT_FOUND, 0, 0);
    ap_fs *fs = fs_with("f.txt", enc);
    trun *t = trun_new(fs, rep, NULL);
    const ap_problem *q = run_problem(t->r, AP_SNIPPET_NOT_FOUND);
    /* the did-you-mean names the real line and offers it */
    CHECK(q && strstr(q->message, "items = sorted(dct.items())"));
    CHECK(q && q->n_fixes > 0 && strstr(q->fixes[0].text, "items = sorted(dct.items())"));
    trun_free(t);
    ap_fs_mem_free(fs);
    /* the same slip in a DELETE (issue 11, item 3): its text is gone, so it
     * counts as done, but never silently: a warning names the real line
     * (55% alike, yet saying what the snippet says) and offers it */
    fs = fs_with("f.txt", enc);
    t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n"
                                  "          items = sorted(dct.items(), key=lambda kv: kv[0])\n", NULL);
    q = run_problem(t->r, AP_SNIPPET_NOT_FOUND);
    CHECK(q && q->severity == AP_WARNING);
    CHECK(q && strstr(q->message, "items = sorted(dct.items())"));
    CHECK(q && q->n_fixes > 0 && strstr(q->fixes[0].text, "items = sorted(dct.items())"));
    trun_free(t);
    ap_fs_mem_free(fs);
    /* ... and a line sharing only a word or two with it is no evidence */
    fs = fs_with("f.txt", enc);
    t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n"
                                  "          print(sorted(other_items))\n", NULL);
    CHECK(t->r->ok);
    CHECK(run_problem(t->r, AP_SNIPPET_NOT_FOUND) == NULL);
    trun_free(t);
    ap_fs_mem_free(fs);
    /* applied for real (the content replaced the line the snippet names),
     * it is recognised */
    CHECK_APPLY(enc,
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n"
                             "          items = sorted(dct.items())\n"
                             "        content: |\n          items = sorted(dct.items(), key=str)\n",
                "def _iterencode_dict(dct):\n    if _sort_keys:\n"
                "        items = sorted(dct.items(), key=str)\n    else:\n        items = dct.items()\n"
                "    for key, value in items:\n");
}

/* Bytes the patch does not touch never change (issue 7, items 8 and 9). */
static void test_untouched_bytes(void)
{
    const char *rep = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          x = 1\n"
                                   "        content: |\n          x = 2\n";
    /* a lone CR in an LF file is content, not a line break */
    CHECK_APPLY("print('50%\rdone')\nx = 1\n", rep, "print('50%\rdone')\nx = 2\n");
    CHECK_APPLY("a\r\nprint('50%\rdone')\r\nx = 1\r\n", rep, "a\r\nprint('50%\rdone')\r\nx = 2\r\n");
    /* ... and cannot be matched as one */
    CHECK_FAILS("print('50%\rdone')\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          done')\n"
                             "        content: |\n          x\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    /* a CR-only file still breaks at CR */
    CHECK_APPLY("a\rx = 1\r", rep, "a\rx = 2\r");
    /* an LF file whose last line ends in a lone CR and has no break: when a
     * line is added after it, that CR would make a CRLF of the LF break, the
     * file would read as a CRLF file and the second run rewrite it; the CR
     * goes, as stripping blanks takes it (found by fuzz_resolve) */
    CHECK_APPLY("a\nb\r",
                "e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\nf.txt\ne4a2f1b8 INSERT_AFTER\ne4a2f1b8 snippet\nb\n"
                "e4a2f1b8 content\nc\ne4a2f1b8 END\n",
                "a\nb\nc\n");
    /* a byte order mark is kept and is not part of line 1 */
    CHECK_APPLY("\xEF\xBB\xBFimport os\nx = 1\n",
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          import os\n",
                "\xEF\xBB\xBFx = 1\n");
    CHECK_APPLY("\xEF\xBB\xBFimport os\nx = 1\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          import os\n"
                             "        content: |\n          import sys\n",
                "\xEF\xBB\xBFimport sys\nimport os\nx = 1\n");
    CHECK_APPLY("\xEF\xBB\xBFx = 1\n", rep, "\xEF\xBB\xBFx = 2\n");
}

/* ---------------------------------------------------- trailing blanks */

static void test_trailing_whitespace(void)
{
    const char *before = "a  \nb\t\n  c \t\nd\n";
    const char *src = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          d\n"
                                   "        content: \"e   \\n  f\\t\\n\"\n";
    /* 2.0: every line of the written file */
    CHECK_APPLY(before, src, "a\nb\n  c\ne\n  f\n");
    /* later versions: only the inserted lines */
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = AP_WS_INSERTED;
    CHECK_APPLY_OPTS(before, src, "a  \nb\t\n  c \t\ne\n  f\n", &o);
    /* a file nothing changes keeps its trailing blanks in AP_WS_INSERTED */
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          zzz\n", &o);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_ALREADY_APPLIED);
    CHECK_INT(file_of(t->r, "f.txt")->status, AP_FILE_UNCHANGED);
    CHECK_STR(after_of(t->r, "f.txt"), before);
    trun_free(t);
    ap_fs_mem_free(fs);
    /* trailing white space inside a CRLF file: the break stays */
    CHECK_APPLY("a \r\nb\r\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                             "        content: |\n          c\n",
                "a\r\nb\r\nc\r\n");
}

/* --------------------------------------------------------- CREATE_FILE */

static void test_create_file(void)
{
    const char *src = HDR("dir/sub/new.txt") "      - action: CREATE_FILE\n"
                                             "        content: |\n          line 1\n            line 2\n";
    ap_fs *fs = ap_fs_mem_new();
    trun *t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    ap_file *f = file_of(t->r, "dir/sub/new.txt");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(f->status, AP_FILE_CREATED);
        CHECK(f->before == NULL);
        CHECK_STR(f->after, "line 1\n  line 2\n");
        char *d;
        size_t dl;
        ap_diff_unified(f, &d, &dl);
        CHECK_STR(d, "--- /dev/null\n+++ b/dir/sub/new.txt\n@@ -0,0 +1,2 @@\n+line 1\n+  line 2\n");
        CHECK_INT(dl, strlen(d));
        free(d);
    }
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    CHECK_STR(fs_text(fs, "dir/sub/new.txt"), "line 1\n  line 2\n");
    /* again: the same content is there, so it is applied */
    check_second_run(fs, src, NULL, __LINE__);
    /* the same content up to indentation, trailing blanks and outer blank
     * lines counts as the same */
    ap_fs_mem_put(fs, "dir/sub/new.txt", "\n  line 1  \n line 2\n\n", 21, false);
    t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_ALREADY_APPLIED);
    /* nothing changes but the 2.0 post-processing: trailing blanks go */
    CHECK_STR(after_of(t->r, "dir/sub/new.txt"), "\n  line 1\n line 2\n\n");
    CHECK_INT(file_of(t->r, "dir/sub/new.txt")->status, AP_FILE_MODIFIED);
    trun_free(t);
    /* other content: FILE_EXISTS, nothing written */
    ap_fs_mem_put(fs, "dir/sub/new.txt", "other\n", 6, false);
    t = trun_new(fs, src, NULL);
    CHECK(!t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_FAILED);
    CHECK_INT(t->r->mods[0][0].code, AP_FILE_EXISTS);
    const ap_problem *q = run_problem(t->r, AP_FILE_EXISTS);
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->change, 0);
        CHECK_INT(q->mod, 0);
        CHECK_INT(q->span.start, (uint32_t)(strstr(src, "CREATE_FILE") - src));
    }
    trun_free(t);
    ap_fs_mem_free(fs);

    /* newline: CRLF on a new file; content without a final break keeps none */
    fs = ap_fs_mem_new();
    t = trun_new(fs,
                 "version: \"2.0\"\nchanges:\n  - file_path: n.txt\n    newline: CRLF\n"
                 "    modifications:\n      - action: CREATE_FILE\n        content: |-\n"
                 "          a\n          b\n",
                 NULL);
    CHECK(t->r->ok);
    CHECK_STR(after_of(t->r, "n.txt"), "a\r\nb");
    trun_free(t);
    /* empty content: an empty file */
    t = trun_new(fs, HDR("e.txt") "      - action: CREATE_FILE\n        content: \"\"\n", NULL);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_STR(after_of(t->r, "e.txt"), "");
    CHECK_INT(file_of(t->r, "e.txt")->status, AP_FILE_CREATED);
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    size_t n = 99;
    CHECK(ap_fs_mem_get(fs, "e.txt", &n) != NULL);
    CHECK_INT(n, 0);
    check_second_run(fs, HDR("e.txt") "      - action: CREATE_FILE\n        content: \"\"\n", NULL,
                     __LINE__);
    ap_fs_mem_free(fs);
}

static void test_create_then_modify(void)
{
    /* CREATE_FILE, then modifications of what it wrote, applied twice */
    const char *src = HDR("n.txt") "      - action: CREATE_FILE\n"
                                   "        content: |\n          a\n          b\n"
                                   "      - action: INSERT_AFTER\n"
                                   "        snippet: |\n          a\n"
                                   "        content: |\n          x\n";
    ap_fs *fs = ap_fs_mem_new();
    trun *t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_STR(after_of(t->r, "n.txt"), "a\nx\nb\n");
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    check_second_run(fs, src, NULL, __LINE__);
    ap_fs_mem_free(fs);

    /* created without a final break, then text added after its last line:
     * that line gets its break */
    src = HDR("m.txt") "      - action: CREATE_FILE\n"
                       "        content: |-\n          a\n          b\n"
                       "      - action: INSERT_AFTER\n"
                       "        snippet: |\n          b\n"
                       "        content: |\n          c\n";
    fs = ap_fs_mem_new();
    t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_STR(after_of(t->r, "m.txt"), "a\nb\nc\n");
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    check_second_run(fs, src, NULL, __LINE__);
    ap_fs_mem_free(fs);
}

/* --------------------------------------------------------- error codes */

/* A file provider that fails the way a disk can. */
typedef struct bad_fs {
    ap_fs fs;
    ap_code load_code;
} bad_fs;

static ap_code bad_check(ap_fs *fs, const char *path, char **why)
{
    (void)fs;
    if (strncmp(path, "link/", 5) == 0) {
        *why = ap_xstrdup("'link' leads outside the root");
        return AP_INVALID_FILE_PATH;
    }
    return AP_OK;
}

static ap_code bad_load(ap_fs *fs, const char *path, ap_text **out, char **why)
{
    (void)path;
    (void)out;
    *why = ap_xstrdup("the disk says no");
    return ((bad_fs *)fs)->load_code;
}

static void test_error_codes(void)
{
    const char *before = "one\ntwo\ntwo\nthree\n";
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          four\n"
                             "        content: |\n          4\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          four\n"
                             "        content: |\n          4\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    /* a DELETE whose text is nowhere counts as done (a warning when a
     * line much like it is there) */
    ap_fs *fs0 = fs_with("f.txt", before);
    trun *t0 = trun_new(fs0, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          thre\n",
                        NULL);
    CHECK(t0->r->ok);
    CHECK_INT(t0->r->mods[0][0].state, AP_MOD_ALREADY_APPLIED);
    const ap_problem *w = run_problem(t0->r, AP_SNIPPET_NOT_FOUND);
    CHECK(w != NULL && w->severity == AP_WARNING);
    trun_free(t0);
    ap_fs_mem_free(fs0);
    CHECK_FAILS(before, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          two\n",
                AP_AMBIGUOUS_MATCH, 0, 0);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: DELETE\n        anchor: |\n          zero\n"
                             "        snippet: |\n          two\n",
                AP_ANCHOR_NOT_FOUND, 0, 0);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: DELETE\n        anchor: |\n          two\n"
                             "        snippet: |\n          three\n",
                AP_AMBIGUOUS_ANCHOR, 0, 0);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: DELETE\n        start_snippet: |\n          one\n"
                             "        end_snippet: |\n          four\n",
                AP_END_SNIPPET_NOT_FOUND, 0, 0);
    /* the end must come after the start */
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: DELETE\n        start_snippet: |\n          three\n"
                             "        end_snippet: |\n          one\n",
                AP_END_SNIPPET_NOT_FOUND, 0, 0);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: DELETE\n        start_snippet: |\n          two\n"
                             "        end_snippet: |\n          three\n",
                AP_AMBIGUOUS_MATCH, 0, 0);
    CHECK_FAILS(before,
                HDR("g.txt") "      - action: DELETE\n        snippet: |\n          one\n",
                AP_FILE_NOT_FOUND, 0, -1);
    CHECK_FAILS(before,
                HDR("../f.txt") "      - action: DELETE\n        snippet: |\n          one\n",
                AP_INVALID_FILE_PATH, 0, -1);
    CHECK_FAILS(before,
                HDR("/etc/passwd") "      - action: DELETE\n        snippet: |\n          one\n",
                AP_INVALID_FILE_PATH, 0, -1);
    CHECK_FAILS(before,
                HDR("f.txt") "      - action: CREATE_FILE\n        content: |\n          other\n",
                AP_FILE_EXISTS, 0, 0);

    /* indexes: the second change, its third modification */
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: f.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          one\n"
                      "  - file_path: f.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          three\n"
                      "      - action: REPLACE\n        snippet: |\n          one\n"
                      "        content: |\n          uno\n"
                      "      - action: INSERT_AFTER\n        snippet: |\n          missing\n"
                      "        content: |\n          x\n";
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, src, NULL);
    CHECK(!t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[1][0].state, AP_MOD_APPLIES);
    /* change 0 deleted "one" before change 1 looked for it */
    CHECK_INT(t->r->mods[1][1].state, AP_MOD_FAILED);
    CHECK_INT(t->r->mods[1][1].code, AP_SNIPPET_NOT_FOUND);
    CHECK_INT(t->r->mods[1][2].state, AP_MOD_FAILED);
    CHECK_INT(t->r->mods[1][2].code, AP_SNIPPET_NOT_FOUND);
    CHECK_INT(count_run_code(t->r, AP_SNIPPET_NOT_FOUND), 2);
    if (t->r->n_problems == 2) {
        CHECK_INT(t->r->problems[0].change, 1);
        CHECK_INT(t->r->problems[0].mod, 1);
        CHECK_INT(t->r->problems[1].change, 1);
        CHECK_INT(t->r->problems[1].mod, 2);
        /* the problem points at the snippet's text in the patch */
        CHECK_INT(t->r->problems[1].span.start, (uint32_t)(strstr(src, "missing") - src));
        CHECK_INT(t->r->problems[1].span.end, (uint32_t)(strstr(src, "missing") - src) + 7);
    }
    CHECK_INT(t->r->n_files, 1);
    trun_free(t);
    ap_fs_mem_free(fs);

    /* a binary file; a read-only one */
    const ap_problem *q;
    fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "bin", "a\0b\n", 4, false);
    ap_fs_mem_put(fs, "ro.txt", "a\n", 2, true);
    t = trun_new(fs, HDR("bin") "      - action: DELETE\n        snippet: |\n          a\n", NULL);
    CHECK(!t->r->ok);
    q = run_problem(t->r, AP_FILE_NOT_TEXT);
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->change, 0);
        CHECK_INT(q->mod, -1);
        CHECK_INT(q->severity, AP_ERROR);
    }
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->files[0].status, AP_FILE_FAILED);
    trun_free(t);
    t = trun_new(fs, HDR("ro.txt") "      - action: DELETE\n        snippet: |\n          a\n", NULL);
    CHECK(!t->r->ok);
    q = run_problem(t->r, AP_FILE_READ_ONLY);
    CHECK(q != NULL);
    if (q)
        CHECK_INT(q->change, 0);
    CHECK_INT(t->r->files[0].status, AP_FILE_FAILED);
    trun_free(t);
    /* read-only, but nothing to change: fine */
    t = trun_new(fs, HDR("ro.txt") "      - action: DELETE\n        snippet: |\n          zzz\n", NULL);
    CHECK(t->r->ok);
    trun_free(t);
    ap_fs_mem_free(fs);

    /* what a disk can refuse: an escaping link, a read error */
    bad_fs bad = {{bad_check, bad_load, NULL, NULL, NULL, NULL, NULL, NULL}, AP_IO_ERROR};
    ap_patch *p = ap_patch_parse(HDR("link/x") "      - action: DELETE\n        snippet: |\n          a\n",
                                 strlen(HDR("link/x")) + 50);
    ap_run *r = ap_run_new(p, &bad.fs, NULL);
    CHECK(!r->ok);
    q = run_problem(r, AP_INVALID_FILE_PATH);
    CHECK(q != NULL);
    if (q)
        CHECK(strstr(q->message, "outside") != NULL);
    CHECK_INT(r->n_files, 0);
    ap_run_free(r);
    ap_patch_free(p);
    const char *s2 = HDR("x.txt") "      - action: DELETE\n        snippet: |\n          a\n";
    p = ap_patch_parse(s2, strlen(s2));
    r = ap_run_new(p, &bad.fs, NULL);
    CHECK(!r->ok);
    q = run_problem(r, AP_IO_ERROR);
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->change, 0);
        CHECK(strstr(q->message, "the disk says no") != NULL);
    }
    CHECK_INT(r->mods[0][0].state, AP_MOD_NOT_RUN);
    ap_run_free(r);
    ap_patch_free(p);

    /* a parse error makes the run fail even when the rest resolves */
    fs = fs_with("f.txt", before);
    t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          one\n"
                                  "      - action: FROB\n        snippet: |\n          two\n",
                 NULL);
    CHECK(!t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[0][1].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->n_problems, 0); /* the problem is the patch's */
    trun_free(t);
    ap_fs_mem_free(fs);
}

static void test_not_found_help(void)
{
    /* a snippet whose first lines match: says which line differs */
    const char *before = "def f():\n    x = 1\n    y = 2\n    return x\n";
    const char *src = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          x = 1\n"
                                   "          y = 3\n        content: |\n          z = 0\n";
    ap_fs *fs = fs_with("f.txt", before);
    trun *t = trun_new(fs, src, NULL);
    const ap_problem *q = run_problem(t->r, AP_SNIPPET_NOT_FOUND);
    CHECK(q != NULL);
    if (q) {
        /* it points at the line of the snippet that differs */
        uint32_t at = (uint32_t)(strstr(src, "y = 3") - src);
        CHECK_INT(q->span.start, at);
        CHECK_INT(q->span.end, at + 5);
        /* the repair takes the file's block; the content replaces the line
         * it typed otherwise, so it is offered, not preferred */
        CHECK(q->n_fixes >= 1);
        if (q->n_fixes >= 1) {
            CHECK_STR(q->fixes[0].text, "snippet: |\n          x = 1\n          y = 2");
            CHECK(!q->fixes[0].preferred);
            CHECK(strstr(q->fixes[0].title, "its line 2, which the content changes, differs from line 3") != NULL);
        }
        CHECK(q->n_related >= 1);
    }
    trun_free(t);
    /* nothing leads anywhere: the closest lines */
    src = HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          retrun x\n"
                       "        content: |\n          pass\n";
    t = trun_new(fs, src, NULL);
    q = run_problem(t->r, AP_SNIPPET_NOT_FOUND);
    CHECK(q != NULL);
    if (q) {
        CHECK(strstr(q->message, "return x") != NULL);
        CHECK(q->n_fixes >= 1);
        if (q->n_fixes >= 1)
            CHECK_STR(q->fixes[0].text, "return x");
        CHECK(q->n_related >= 1);
        if (q->n_related >= 1) {
            CHECK_INT(q->related[0].file, 0);
            CHECK_INT(q->related[0].where.line, 3);
        }
    }
    trun_free(t);
    /* ambiguous: every place is a note */
    ap_fs_mem_put(fs, "f.txt", "x\ny\nx\ny\nx\n", 10, false);
    t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          x\n", NULL);
    q = run_problem(t->r, AP_AMBIGUOUS_MATCH);
    CHECK(q != NULL);
    if (q) {
        CHECK_INT(q->n_related, 3);
        if (q->n_related == 3) {
            CHECK_INT(q->related[0].where.line, 0);
            CHECK_INT(q->related[1].where.line, 2);
            CHECK_INT(q->related[2].where.line, 4);
        }
    }
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* ---------------------------------------------------------- atomicity */

static void test_atomicity(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          Change this line.\n"
                      "        content: |\n          Changed.\n"
                      "  - file_path: b.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          Not there.\n"
                      "        content: |\n          x\n";
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "a.txt", "Change this line.\n", 18, false);
    ap_fs_mem_put(fs, "b.txt", "Something else.\n", 16, false);
    trun *t = trun_new(fs, src, NULL);
    CHECK(!t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[1][0].state, AP_MOD_FAILED);
    CHECK_INT(t->r->mods[1][0].code, AP_SNIPPET_NOT_FOUND);
    CHECK_INT(t->r->n_files, 2);
    trun_free(t);
    /* failing inside one file's later modification */
    ap_fs_mem_put(fs, "b.txt", "Not there.\n", 11, false);
    const char *src2 = HDR("a.txt") "      - action: DELETE\n        snippet: |\n          Change this line.\n"
                                    "      - action: DELETE\n        snippet: |\n          Change this line.\n"
                                    "        anchor: |\n          nowhere\n";
    t = trun_new(fs, src2, NULL);
    CHECK(!t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[0][1].code, AP_ANCHOR_NOT_FOUND);
    trun_free(t);
    /* the same patch that fails in b now works in both */
    t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_STR(after_of(t->r, "a.txt"), "Changed.\n");
    CHECK_STR(after_of(t->r, "b.txt"), "x\n");
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* ---------------------------------------------------------- filtering */

static void test_only_change_mod(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          a1\n"
                      "      - action: DELETE\n        snippet: |\n          a2\n"
                      "  - file_path: b.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          b1\n"
                      "      - action: INSERT_AFTER\n        snippet: |\n          b1\n"
                      "        content: |\n          b1.5\n";
    ap_fs *fs = ap_fs_mem_new();
    ap_fs_mem_put(fs, "a.txt", "a1\na2\na3\n", 9, false);
    ap_fs_mem_put(fs, "b.txt", "b1\nb2\n", 6, false);

    ap_options o = AP_OPTIONS_INIT;
    o.only_change = 1;
    trun *t = trun_new(fs, src, &o);
    CHECK(!t->r->ok); /* its second modification fails */
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->mods[0][1].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->mods[1][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[1][1].state, AP_MOD_FAILED); /* b1 is gone */
    CHECK_INT(t->r->n_files, 1);
    CHECK(file_of(t->r, "a.txt") == NULL);
    trun_free(t);

    /* only the second modification: it sees the text as it is */
    o.only_mod = 1;
    t = trun_new(fs, src, &o);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[1][0].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->mods[1][1].state, AP_MOD_APPLIES);
    CHECK_STR(after_of(t->r, "b.txt"), "b1\nb1.5\nb2\n");
    trun_free(t);

    o.only_change = 0;
    o.only_mod = 0;
    t = trun_new(fs, src, &o);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[0][1].state, AP_MOD_NOT_RUN);
    CHECK_STR(after_of(t->r, "a.txt"), "a2\na3\n");
    trun_free(t);

    /* only_mod alone: that modification of every change */
    o.only_change = -1;
    o.only_mod = 1;
    t = trun_new(fs, src, &o);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->mods[0][1].state, AP_MOD_APPLIES);
    CHECK_INT(t->r->mods[1][0].state, AP_MOD_NOT_RUN);
    CHECK_INT(t->r->mods[1][1].state, AP_MOD_APPLIES);
    CHECK_STR(after_of(t->r, "a.txt"), "a1\na3\n");
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* ------------------------------------------------------- hunks, diff */

static void test_hunks_and_diff(void)
{
    const char *src = HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          l2\n"
                                   "        content: |\n          A\n          B\n"
                                   "      - action: DELETE\n        snippet: |\n          l4\n";
    ap_fs *fs = fs_with("f.txt", "l1\nl2\nl3\nl4\nl5\n");
    trun *t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    ap_file *f = file_of(t->r, "f.txt");
    CHECK_STR(f->after, "l1\nA\nB\nl3\nl5\n");
    CHECK_INT(f->after_len, 13);
    CHECK_INT(f->n_hunks, 2);
    if (f->n_hunks == 2) {
        CHECK_INT(f->hunks[0].line, 1);
        CHECK_INT(f->hunks[0].end_line, 2);
        CHECK_INT(f->hunks[0].out, 3);
        CHECK_INT(f->hunks[0].out_len, 4);
        CHECK_INT(f->hunks[1].line, 3);
        CHECK_INT(f->hunks[1].end_line, 4);
        CHECK_INT(f->hunks[1].out, 10);
        CHECK_INT(f->hunks[1].out_len, 0);
    }
    char *d;
    size_t dl;
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.txt\n+++ b/f.txt\n@@ -1,5 +1,5 @@\n l1\n-l2\n+A\n+B\n l3\n-l4\n l5\n");
    CHECK_INT(dl, strlen(d));
    free(d);
    /* rendering twice changes nothing */
    ap_run_render(t->r, 0);
    CHECK_INT(f->n_hunks, 2);
    trun_free(t);

    /* far apart: two groups, with line numbers shifted by the first */
    ap_buf b = AP_BUF_INIT;
    for (int i = 1; i <= 20; i++)
        ap_buf_addf(&b, "l%d\n", i);
    ap_fs_mem_put(fs, "f.txt", b.s, b.len, false);
    ap_buf_release(&b);
    src = HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          l2\n"
                       "        content: |\n          new\n"
                       "      - action: DELETE\n        snippet: |\n          l18\n";
    t = trun_new(fs, src, NULL);
    f = file_of(t->r, "f.txt");
    CHECK_INT(f->n_hunks, 2);
    if (f->n_hunks == 2) {
        /* an insertion is an empty range of old lines */
        CHECK_INT(f->hunks[0].line, 2);
        CHECK_INT(f->hunks[0].end_line, 2);
        CHECK_INT(f->hunks[0].out_len, 4);
        CHECK_INT(f->hunks[1].line, 17);
        CHECK_INT(f->hunks[1].end_line, 18);
    }
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.txt\n+++ b/f.txt\n"
                 "@@ -1,5 +1,6 @@\n l1\n l2\n+new\n l3\n l4\n l5\n"
                 "@@ -15,6 +16,5 @@\n l15\n l16\n l17\n-l18\n l19\n l20\n");
    free(d);
    trun_free(t);

    /* no newline at the end of either side */
    ap_fs_mem_put(fs, "f.txt", "a\nb", 3, false);
    t = trun_new(fs, HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                                  "        content: |\n          c\n",
                 NULL);
    f = file_of(t->r, "f.txt");
    CHECK_STR(f->after, "a\nc");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
                 "\\ No newline at end of file\n");
    free(d);
    trun_free(t);

    /* no newline at the end of the new side only */
    t = trun_new(fs, HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                                  "        content: |\n          c\n",
                 NULL);
    f = file_of(t->r, "f.txt");
    CHECK_STR(f->after, "a\nb\nc\n");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n");
    free(d);
    trun_free(t);

    /* the diff applies to the file's bytes: a byte order mark stays on line 1,
     * a lone CR is content */
    ap_fs_mem_put(fs, "g.txt", "\xEF\xBB\xBF" "a\nx\ry\nb\n", 11, false);
    t = trun_new(fs, HDR("g.txt") "      - action: REPLACE\n        snippet: |\n          a\n"
                                  "        content: |\n          A\n",
                 NULL);
    f = file_of(t->r, "g.txt");
    CHECK_STR(f->after, "\xEF\xBB\xBF" "A\nx\ry\nb\n");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/g.txt\n+++ b/g.txt\n@@ -1,3 +1,3 @@\n-\xEF\xBB\xBF" "a\n+\xEF\xBB\xBF" "A\n x\ry\n b\n");
    free(d);
    trun_free(t);

    /* lines inserted before line 1 of a file with a byte order mark: the mark
     * moves onto the first inserted line, so old line 1 is removed with its
     * mark and added back without it (not a context line that would bring a
     * second mark; found by fuzz_resolve) */
    ap_fs_mem_put(fs, "g.txt", "\xEF\xBB\xBF" "a\nb\n", 7, false);
    t = trun_new(fs, HDR("g.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          a\n"
                                  "        content: |\n          z\n",
                 NULL);
    f = file_of(t->r, "g.txt");
    CHECK_STR(f->after, "\xEF\xBB\xBF" "z\na\nb\n");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/g.txt\n+++ b/g.txt\n@@ -1,2 +1,3 @@\n-\xEF\xBB\xBF" "a\n+\xEF\xBB\xBF" "z\n+a\n b\n");
    free(d);
    trun_free(t);

    /* a file that is a byte order mark alone: the mark is its one line, removed
     * (it has no line break) and brought back on the first new line */
    ap_fs_mem_put(fs, "m.txt", "\xEF\xBB\xBF", 3, false);
    t = trun_new(fs, "e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\nm.txt\n"
                     "e4a2f1b8 content\nz\ne4a2f1b8 END\n", NULL);
    f = file_of(t->r, "m.txt");
    CHECK_STR(f->after, "\xEF\xBB\xBF" "z\n");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/m.txt\n+++ b/m.txt\n@@ -1,1 +1,1 @@\n-\xEF\xBB\xBF\n"
                 "\\ No newline at end of file\n+\xEF\xBB\xBF" "z\n");
    free(d);
    trun_free(t);

    /* an unchanged file has no diff */
    t = trun_new(fs, HDR("f.txt") "      - action: DELETE\n        snippet: |\n          zzz\n", NULL);
    f = file_of(t->r, "f.txt");
    CHECK_INT(f->status, AP_FILE_UNCHANGED);
    CHECK_INT(f->n_hunks, 0);
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "");
    CHECK_INT(dl, 0);
    free(d);
    trun_free(t);

    /* CRLF lines keep their breaks in the diff */
    ap_fs_mem_put(fs, "f.txt", "a\r\nb\r\n", 6, false);
    t = trun_new(fs, HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          b\n"
                                  "        content: |\n          c\n",
                 NULL);
    f = file_of(t->r, "f.txt");
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n");
    free(d);
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* A region replaced by content that keeps most of it: only the lines that
 * differ are hunks (the text edits and the diff), equal lines never shown
 * removed and added again; the hover's diff of the region says the same, as
 * written (no trailing blanks); what else the write changes is counted. */
static void test_minimal_hunks(void)
{
    const char *before = "def f(values):\n    try:\n        total = sum(values)\n"
                         "    except ValueError as e:\n        log(e)\n        raise\n    return total\n";
    const char *src = HDR("f.py") "      - action: REPLACE\n        snippet: |\n          try:\n"
                                  "              total = sum(values)\n          except ValueError as e:\n"
                                  "              log(e)\n              raise\n"
                                  "        content: |\n          try:\n              total = sum(values)\n"
                                  "          except ValueError as e:\n              log.error(e)   \n"
                                  "              raise\n";
    ap_fs *fs = fs_with("f.py", before);
    trun *t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    ap_file *f = file_of(t->r, "f.py");
    CHECK_INT(f->n_hunks, 1);
    if (f->n_hunks == 1) {
        CHECK_INT(f->hunks[0].line, 4);
        CHECK_INT(f->hunks[0].end_line, 5);
        CHECK_INT(f->hunks[0].out_len, strlen("        log.error(e)\n"));
    }
    char *d;
    size_t dl;
    ap_diff_unified(f, &d, &dl);
    CHECK_STR(d, "--- a/f.py\n+++ b/f.py\n@@ -2,6 +2,6 @@\n     try:\n         total = sum(values)\n"
                 "     except ValueError as e:\n-        log(e)\n+        log.error(e)\n         raise\n"
                 "     return total\n");
    free(d);
    /* the hover's view: the region's lines once, the written bytes */
    const ap_mod_result *r = &t->r->mods[0][0];
    CHECK_STR(r->after, "    try:\n        total = sum(values)\n    except ValueError as e:\n"
                        "        log.error(e)\n        raise\n");
    char *h = ap_diff_lines(r->before, r->after);
    CHECK_STR(h, "     try:\n         total = sum(values)\n     except ValueError as e:\n-        log(e)\n"
                 "+        log.error(e)\n         raise\n");
    free(h);
    CHECK_INT(f->blanks_stripped, 0);
    trun_free(t);

    /* lines no modification touches that lose their trailing blanks */
    ap_fs_mem_put(fs, "f.py", "a = 1  \nb = 2\t\nc = 3\n", 21, false);
    src = HDR("f.py") "      - action: REPLACE\n        snippet: |\n          c = 3\n"
                      "        content: |\n          c = 4\n";
    t = trun_new(fs, src, NULL);
    f = file_of(t->r, "f.py");
    CHECK_INT(f->blanks_stripped, 2);
    trun_free(t);
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = AP_WS_INSERTED;
    t = trun_new(fs, src, &o);
    f = file_of(t->r, "f.py");
    CHECK_INT(f->blanks_stripped, 0);
    CHECK_STR(f->after, "a = 1  \nb = 2\t\nc = 4\n");
    trun_free(t);

    /* a huge region replaced by unrelated text: one hunk, quickly */
    ap_buf big = AP_BUF_INIT, sn = AP_BUF_INIT, ct = AP_BUF_INIT;
    ap_buf_adds(&sn, HDR("big.txt") "      - action: REPLACE\n        snippet: |\n");
    for (int i = 0; i < 20000; i++) {
        ap_buf_addf(&big, "old %d\n", i);
        ap_buf_addf(&sn, "          old %d\n", i);
        ap_buf_addf(&ct, "          new %d\n", i);
    }
    ap_buf_adds(&sn, "        content: |\n");
    ap_buf_add(&sn, ct.s, ct.len);
    ap_fs_mem_put(fs, "big.txt", big.s, big.len, false);
    t = trun_new(fs, sn.s, NULL);
    f = file_of(t->r, "big.txt");
    CHECK(t->r->ok);
    CHECK_INT(f->n_hunks, 1);
    trun_free(t);
    ap_buf_release(&big);
    ap_buf_release(&sn);
    ap_buf_release(&ct);
    ap_fs_mem_free(fs);
}

/* ------------------------------------------------------- apply twice */

static void test_apply_twice(void)
{
    /* the shape of shared case 06: an anchored REPLACE whose snippet
     * stands again further down */
    CHECK_APPLY("def square(x):\n    # changed\n    return x * x\n\ndef cube(x):\n"
                "    return x * x * x\n\ndef two(x):\n    return x * x",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        anchor: |\n          def square(x):\n"
                             "        snippet: |\n          return x * x\n"
                             "        content: |\n          return pow(x, 2) # Use the pow function\n",
                "def square(x):\n    # changed\n    return pow(x, 2) # Use the pow function\n\n"
                "def cube(x):\n    return x * x * x\n\ndef two(x):\n    return x * x");
    /* the shape of shared case 18: a later modification replaces the
     * snippet an earlier one looked for */
    CHECK_APPLY("# File\ndef my_function():\n    print(\"Initial line\")\n\ndef to_be_deleted():\n"
                "    pass\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n"
                             "        snippet: |\n          print(\"Initial line\")\n"
                             "        content: |\n          \"\"\"This function was patched.\"\"\"\n"
                             "      - action: REPLACE\n"
                             "        snippet: |\n          print(\"Initial line\")\n"
                             "        content: |\n          print(\"Patched line\")\n"
                             "      - action: DELETE\n"
                             "        snippet: |\n          def to_be_deleted():\n              pass\n"
                             "        include_leading_blank_lines: 1\n",
                "# File\ndef my_function():\n    \"\"\"This function was patched.\"\"\"\n"
                "    print(\"Patched line\")\n");
    /* an anchored REPLACE whose content ends with the snippet */
    CHECK_APPLY("def f(x):\n    return x\n\ndef g(x):\n    return x\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        anchor: |\n          def f(x):\n"
                             "        snippet: |\n          return x\n"
                             "        content: |\n          log(x)\n          return x\n",
                "def f(x):\n    log(x)\n    return x\n\ndef g(x):\n    return x\n");
    /* ... and one whose content starts with it */
    CHECK_APPLY("def f(x):\n    return x\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        anchor: |\n          def f(x):\n"
                             "        snippet: |\n          return x\n"
                             "        content: |\n          return x\n          # unreachable\n",
                "def f(x):\n    return x\n    # unreachable\n");
    /* REPLACE with empty content */
    CHECK_APPLY("a\nremove me\nb\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          remove me\n"
                             "        content: |\n",
                "a\nb\n");
    /* INSERT_BEFORE, then a REPLACE of the same line */
    CHECK_APPLY("start\n    target()\nend\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          target()\n"
                             "        content: |\n          before()\n"
                             "      - action: REPLACE\n        snippet: |\n          target()\n"
                             "        content: |\n          replaced()\n",
                "start\n    before()\n    replaced()\nend\n");
    /* INSERT_AFTER, then a REPLACE of the same line */
    CHECK_APPLY("start\n    target()\nend\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          target()\n"
                             "        content: |\n          after()\n"
                             "      - action: REPLACE\n        snippet: |\n          target()\n"
                             "        content: |\n          replaced()\n",
                "start\n    replaced()\n    after()\nend\n");
    /* a range, replaced by content holding blank lines */
    CHECK_APPLY("a\nbegin\n  x\nfinish\nz\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        start_snippet: |\n          begin\n"
                             "        end_snippet: |\n          finish\n"
                             "        content: |\n          one\n\n          two\n",
                "a\none\n\ntwo\nz\n");
    /* a range deleted with its blank lines */
    CHECK_APPLY("a\n\nbegin\n  x\nfinish\n\nz\n",
                HDR("f.txt") "      - action: DELETE\n"
                             "        start_snippet: |\n          begin\n"
                             "        end_snippet: |\n          finish\n"
                             "        include_leading_blank_lines: 1\n"
                             "        include_trailing_blank_lines: 1\n",
                "a\nz\n");
    /* inserting after a last line without a break, and into a CRLF file
     * with a conversion */
    CHECK_APPLY("a\r\nb",
                "version: \"2.0\"\nchanges:\n  - file_path: f.txt\n    newline: LF\n"
                "    modifications:\n      - action: INSERT_AFTER\n        snippet: |\n          b\n"
                "        content: |\n          c\n",
                "a\nb\nc\n");
    /* two changes on one file */
    CHECK_APPLY("x = 1\ny = 2\n",
                "version: \"2.0\"\nchanges:\n"
                "  - file_path: f.txt\n    modifications:\n"
                "      - action: REPLACE\n        snippet: |\n          x = 1\n"
                "        content: |\n          x = 10\n"
                "  - file_path: ./f.txt\n    modifications:\n"
                "      - action: INSERT_AFTER\n        snippet: |\n          x = 10\n"
                "        content: |\n          z = 3\n",
                "x = 10\nz = 3\ny = 2\n");
    /* a REPLACE whose content keeps a line of its snippet in the middle */
    CHECK_APPLY("head\nmid\ntail\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          mid\n"
                             "        content: |\n          pre\n          mid\n          post\n",
                "head\npre\nmid\npost\ntail\n");
    /* a DELETE then an INSERT_AFTER at the same place */
    CHECK_APPLY("a\nold\nb\n",
                HDR("f.txt") "      - action: DELETE\n        snippet: |\n          old\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          new\n",
                "a\nnew\nb\n");
    /* a REPLACE whose content is what an INSERT_AFTER needs next */
    CHECK_APPLY("k\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          k\n"
                             "        content: |\n          k2\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          k2\n"
                             "        content: |\n          k3\n",
                "k2\nk3\n");
}

/* Shapes that a second apply used to get wrong (failing, or changing the
 * file again). */
static void test_apply_twice_more(void)
{
    /* a DELETE that took the last line of an earlier REPLACE's content:
     * undoing puts its text back indented like the content's line above it
     * (1013599) */
    CHECK_APPLY("    return 0;\n    kind = classify(ch)\n    return y\n    size_t len;\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          kind = classify(ch)\n"
                             "        content: |\n          raise\n          kind = classify(ch)\n"
                             "      - action: DELETE\n        snippet: |\n          kind = classify(ch)\n          return y\n",
                "    return 0;\n    raise\n    size_t len;\n");
    /* ... and takes back no blank lines where none stands: put back
     * between the content's lines, they split it (1000170) */
    CHECK_APPLY("static int count;\nimport sys\na = b\ntail\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          import sys\n          a = b\n"
                             "        content: |\n          def f(a, b):\n          import sys\n          a = b\n"
                             "      - action: DELETE\n        snippet: |\n          import sys\n          a = b\n"
                             "        include_leading_blank_lines: 2\n",
                "static int count;\ndef f(a, b):\ntail\n");
    /* so does a REPLACE's snippet, taken from an earlier content (1038694) */
    CHECK_APPLY("static int count;\n\nreturn err\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          return err\n"
                             "        content: |\n          func main() {\n          items.sort();\n          return err\n"
                             "      - action: REPLACE\n        snippet: |\n          return err\n"
                             "        content: |\n          sum += a[i];\n        include_leading_blank_lines: 1\n",
                "static int count;\n\nfunc main() {\nitems.sort();\nsum += a[i];\n");
    /* a range that took an insert's snippet, ending on that snippet's last
     * line: undone, the lost snippet is put back once, not followed by the
     * range's end again (1001287) */
    CHECK_APPLY("throw\n# setup\nfor (i = 0; i < n; i++) {\nreturn None\nexit(1);\ncontinue\ntail\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          return None\n"
                             "          exit(1);\n          continue\n        content: |\n          func main() {\n"
                             "      - action: REPLACE\n        start_snippet: |\n          for (i = 0; i < n; i++) {\n"
                             "        end_snippet: |\n          continue\n"
                             "        content: |\n          ch = self.text[self.pos]\n",
                "throw\n# setup\nch = self.text[self.pos]\nfunc main() {\ntail\n");
    /* a range that took only part of an insert's snippet (its last lines):
     * the lost snippet put back between the range's ends makes no
     * pre-image; the range as its two ends alone does (1013647) */
    CHECK_APPLY("return 0;\n    int n = 0;\n        x = 1\n        pass\n        b = a\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          int n = 0;\n"
                             "              x = 1\n              pass\n"
                             "        content: |\n          print(x)\n          fmt.Println(msg)\n"
                             "      - action: REPLACE\n        start_snippet: |2\n              x = 1\n"
                             "        end_snippet: |\n          pass\n        content: |\n          break\n",
                "return 0;\n    int n = 0;\n        break\n    print(x)\n    fmt.Println(msg)\n        b = a\n");
    /* a range that started inside an insert's snippet: what it took is the
     * snippet's lines after the start, not the texts earlier in the patch
     * (1000013) */
    CHECK_APPLY("break\nfor v in values:\n#include <stdlib.h>\nexcept ValueError as e:\n\n\nbreak\n\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          for v in values:\n"
                             "          #include <stdlib.h>\n          except ValueError as e:\n"
                             "        content: |\n          for v in values:\n          except ValueError as e:\n"
                             "      - action: DELETE\n        snippet: |\n          break\n          for v in values:\n"
                             "      - action: REPLACE\n        start_snippet: |\n          #include <stdlib.h>\n"
                             "        end_snippet: |\n          break\n        content: |\n          return self.tokens\n",
                "except ValueError as e:\nfor v in values:\nreturn self.tokens\n\n");
    /* a range that took an earlier content with lines at two indentations:
     * put back between the ends, the content keeps them, at the start's
     * indentation (1001419) */
    CHECK_APPLY("# setup\nfree(buf);\n#include <stdio.h>\nreturn x\n        raise\n        a = b\n        values = list(values)\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          raise\n"
                             "        content: |2\n              from typing import List\n          }\n"
                             "      - action: REPLACE\n        start_snippet: |2\n              free(buf);\n"
                             "        end_snippet: |\n          a = b\n"
                             "        content: |2\n              return self.tokens\n          # setup\n",
                "# setup\n    return self.tokens\n# setup\n        values = list(values)\n");
    /* a DELETE that took an earlier content's last line, at column 0 below
     * an indented one: put back as indented as the content had it, not
     * like the line above (1002741) */
    CHECK_APPLY("break\nexcept ValueError as e:\ntry:\n        import sys\ncount = 0\nimport os\n",
                HDR("f.txt") "      - action: REPLACE\n        anchor: |\n          except ValueError as e:\n"
                             "        snippet: |\n          try:\n                  import sys\n          count = 0\n"
                             "        content: |\n          try:\n                  class Parser:\n          count = 0\n"
                             "      - action: DELETE\n        snippet: |\n          count = 0\n",
                "break\nexcept ValueError as e:\ntry:\n        class Parser:\nimport os\n");
    /* a DELETE that took an earlier content's first line: the rest of
     * the content stands below a line indented otherwise; put back as
     * indented as the content's next line, not like the line above
     * (1028173) */
    CHECK_APPLY("\nif ch == '\\n':\n        self.count = 0\n        if (x) {\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          self.count = 0\n"
                             "        content: |\n          self.count = 0\n          break\n          break\n"
                             "      - action: DELETE\n        snippet: |\n          self.count = 0\n",
                "\nif ch == '\\n':\n        break\n        break\n        if (x) {\n");
    /* a DELETE that took an insert's snippet: put back at the insert's
     * place, as indented as the content says the snippet was, not like
     * the content's last line above it (1001315) */
    CHECK_APPLY("        a = b\n\n        memcpy(dst, src, n);\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          a = b\n"
                             "        content: |\n          int main(void)\n          if (!buf)\n              fmt.Println(msg)\n"
                             "      - action: DELETE\n        snippet: |\n          a = b\n",
                "        int main(void)\n        if (!buf)\n            fmt.Println(msg)\n\n        memcpy(dst, src, n);\n");
    /* a REPLACE whose content repeats its snippet: found twice afterwards */
    CHECK_APPLY("def f():\n    x = compute()\n    return x\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          return x\n"
                             "        content: |\n          if cached:\n              return x\n"
                             "          return x\n",
                "def f():\n    x = compute()\n    if cached:\n        return x\n    return x\n");
    /* a range replaced by content that keeps its first line: afterwards
     * the end is gone ... */
    CHECK_APPLY("a\ndef f():\n    return 1\nz\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        start_snippet: |\n          def f():\n"
                             "        end_snippet: |\n          return 1\n"
                             "        content: |\n          def f():\n              return 2\n",
                "a\ndef f():\n    return 2\nz\n");
    /* ... or stands again further down, and must not be taken for this
     * range's end (that would replace everything in between) */
    CHECK_APPLY("a\ndef f():\n    return 1\n\ndef g():\n    return 1\n",
                HDR("f.txt") "      - action: REPLACE\n"
                             "        start_snippet: |\n          def f():\n"
                             "        end_snippet: |\n          return 1\n"
                             "        content: |\n          def f():\n              return 2\n",
                "a\ndef f():\n    return 2\n\ndef g():\n    return 1\n");
    /* a chain: the second modification replaces what the first wrote */
    CHECK_APPLY("x = 1\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          x = 1\n"
                             "        content: |\n          x = 2\n"
                             "      - action: REPLACE\n        snippet: |\n          x = 2\n"
                             "        content: |\n          x = 3\n",
                "x = 3\n");
    /* two insertions after one line: the later one's content lands in
     * between */
    CHECK_APPLY("import os\nrest()\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          import os\n"
                             "        content: |\n          import sys\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          import os\n"
                             "        content: |\n          import re\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          import os\n"
                             "        content: |\n          import io\n          import json\n",
                "import os\nimport io\nimport json\nimport re\nimport sys\nrest()\n");
    /* two insertions before one line */
    CHECK_APPLY("start\nz\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          z\n"
                             "        content: |\n          x\n"
                             "      - action: INSERT_BEFORE\n        snippet: |\n          z\n"
                             "        content: |\n          y\n",
                "start\nx\ny\nz\n");
    /* an INSERT_AFTER one line, an INSERT_BEFORE the next: both land
     * between them */
    CHECK_APPLY("a\nb\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          from a\n"
                             "      - action: INSERT_BEFORE\n        snippet: |\n          b\n"
                             "        content: |\n          to b\n",
                "a\nfrom a\nto b\nb\n");
    CHECK_APPLY("a\nb\n",
                HDR("f.txt") "      - action: INSERT_BEFORE\n        snippet: |\n          b\n"
                             "        content: |\n          to b\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          from a\n",
                "a\nfrom a\nto b\nb\n");
    /* but content that only happens to stand near the place, put there by
     * a modification elsewhere, is not taken for this one's */
    CHECK_APPLY("a\nq\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          q\n"
                             "        content: |\n          c\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          b\n",
                "a\nb\nq\nc\n");
    ap_fs *fs = fs_with("f.txt", "a\nc\nb\nq\n");
    trun *t = trun_new(fs, HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                                        "        content: |\n          b\n"
                                        "      - action: INSERT_AFTER\n        snippet: |\n          q\n"
                                        "        content: |\n          c\n",
                       NULL);
    CHECK(t->r->ok);
    CHECK_INT(t->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_STR(after_of(t->r, "f.txt"), "a\nb\nc\nb\nq\nc\n");
    trun_free(t);
    ap_fs_mem_free(fs);

    /* CREATE_FILE, then another change edits the new file */
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: n.txt\n    modifications:\n"
                      "      - action: CREATE_FILE\n        content: |\n          a\n          b\n"
                      "  - file_path: n.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          b\n"
                      "        content: |\n          c\n";
    fs = ap_fs_mem_new();
    t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    CHECK_STR(after_of(t->r, "n.txt"), "a\nc\n");
    ap_fs_mem_commit(fs, t->r);
    trun_free(t);
    check_second_run(fs, src, NULL, __LINE__);
    ap_fs_mem_free(fs);
}

/* A content that stands twice once applied: the second run cannot tie it to
 * one place, but another modification's content is tied to one, the patch
 * does not apply as the file stands and the snippet left no trace: applied
 * (docs/engine.md, "Recognising an applied modification"). A line much like
 * the snippet is such a trace: the snippet was slipped, never applied. */
static void test_apply_twice_content_twice(void)
{
    CHECK_APPLY("a\ngone\nb\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          gone\n"
                             "        content: |\n          b\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          c\n",
                "a\nc\nb\nb\n");
    CHECK_APPLY("x = 1\nold_call(x)\nreturn x\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          old_call(x)\n"
                             "        content: |\n          return x\n"
                             "      - action: INSERT_BEFORE\n        snippet: |\n          x = 1\n"
                             "        content: |\n          import os\n",
                "import os\nx = 1\nreturn x\nreturn x\n");
    CHECK_FAILS("a\nc\nb\nb\nprint(x)\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          zrint(x)\n"
                             "        content: |\n          b\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          c\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    CHECK_FAILS("a\nc\nb\nb\nz   continue_loop\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          continue_loop\n"
                             "        content: |\n          b\n"
                             "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          c\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
}

static void test_already_applied_reasons(void)
{
    /* each kind of "already applied", with no change to the file */
    struct {
        const char *before, *mods;
    } cases[] = {
        {"a\nb\n", "      - action: DELETE\n        snippet: |\n          gone\n"},
        {"a\nb\n", "      - action: REPLACE\n        snippet: |\n          b\n        content: |\n          b\n"},
        {"a\nb\n", "      - action: REPLACE\n        snippet: |\n          gone\n        content: |\n          b\n"},
        {"a\nb\n", "      - action: REPLACE\n        snippet: |\n          gone\n        content: \"\"\n"},
        {"a\nb\n", "      - action: INSERT_AFTER\n        snippet: |\n          a\n        content: |\n          b\n"},
        {"a\n\nb\n", "      - action: INSERT_AFTER\n        snippet: |\n          a\n        content: |\n          b\n"},
        {"a\nb\n", "      - action: INSERT_BEFORE\n        snippet: |\n          b\n        content: |\n          a\n"},
        {"a\nb\n", "      - action: INSERT_AFTER\n        snippet: |\n          a\n        content: \"\"\n"},
        {"a\nb\n", "      - action: CREATE_FILE\n        content: |\n          a\n          b\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char src[512];
        snprintf(src, sizeof src, HDR("f.txt") "%s", cases[i].mods);
        ap_fs *fs = fs_with("f.txt", cases[i].before);
        trun *t = trun_new(fs, src, NULL);
        if (!t->r->ok || t->r->mods[0][0].state != AP_MOD_ALREADY_APPLIED ||
            !t->r->mods[0][0].why) {
            fprintf(stderr, "  case %zu: state %d\n", i, t->r->mods[0][0].state);
            dump_problems(t);
            check_failed_in_test++;
        }
        ap_file *f = file_of(t->r, "f.txt");
        CHECK(f && f->status == AP_FILE_UNCHANGED && f->n_hunks == 0);
        trun_free(t);
        ap_fs_mem_free(fs);
    }
    /* but a REPLACE whose content stands twice without an anchor is not
     * "found" (it must be there once) */
    CHECK_FAILS("b\nb\n",
                HDR("f.txt") "      - action: REPLACE\n        snippet: |\n          gone\n"
                             "        content: |\n          b\n",
                AP_SNIPPET_NOT_FOUND, 0, 0);
    /* an INSERT_AFTER whose content is elsewhere still inserts */
    CHECK_APPLY("b\na\n",
                HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          b\n",
                "b\na\nb\n");
}

/* ------------------------------------------------------ inserted text */

static void test_inserted_text_positions(void)
{
    /* a modification found in text an earlier one inserted reports where
     * that text went and who inserted it */
    const char *src = HDR("f.txt") "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                                   "        content: |\n          new\n"
                                   "      - action: REPLACE\n        snippet: |\n          new\n"
                                   "        content: |\n          newer\n";
    ap_fs *fs = fs_with("f.txt", "a\nb\n");
    trun *t = trun_new(fs, src, NULL);
    CHECK(t->r->ok);
    const ap_mod_result *x = &t->r->mods[0][1];
    CHECK_INT(x->state, AP_MOD_APPLIES);
    CHECK_INT(x->region.line, 1);
    CHECK_INT(x->region.inserted_change, 0);
    CHECK_INT(x->region.inserted_mod, 0);
    CHECK_STR(after_of(t->r, "f.txt"), "a\nnewer\nb\n");
    /* one hunk: the insertion and its replacement merged */
    CHECK_INT(file_of(t->r, "f.txt")->n_hunks, 1);
    trun_free(t);
    ap_fs_mem_free(fs);
}

/* groups_alone (the twice check's second run): each file is read when its
 * group comes and let go once it is resolved, so a provider that makes a
 * file's text at each load sees the text it made before already released
 * when the next is asked for; the states are those of a run of every file
 * at once, and the files keep neither text nor view. */
typedef struct made_files {
    const char *bytes[3];
    ap_text *made[3];
    int n_made;
    int held_at_load; /* texts made earlier still held by the run at a load */
    int indexed_at_load; /* texts made earlier that hold their tables at a load */
    int packed_at_load; /* texts made earlier whose records wait packed at a load */
} made_files;

typedef struct made_one {
    made_files *all;
    int k;
} made_one;

/* The same, keeping no reference (as the disk's provider keeps none): the
 * texts live as long as the run holds them. */
static ap_text *make_weak(void *ctx)
{
    made_one *o = ctx;
    made_files *m = o->all;
    for (int i = 0; i < m->n_made; i++)
        m->indexed_at_load += m->made[i]->bucket != NULL;
    for (int i = 0; i < m->n_made; i++)
        m->packed_at_load += m->made[i]->packed != NULL;
    ap_text *t = ap_text_new(m->bytes[o->k], strlen(m->bytes[o->k]));
    m->made[m->n_made++] = t;
    return t;
}

static ap_text *make_file(void *ctx)
{
    made_one *o = ctx;
    made_files *m = o->all;
    for (int i = 0; i < m->n_made; i++)
        m->held_at_load += m->made[i]->refs > 1; /* the test's own reference aside */
    ap_text *t = ap_text_new(m->bytes[o->k], strlen(m->bytes[o->k]));
    m->made[m->n_made++] = ap_text_retain(t);
    return t;
}

static void test_groups_alone(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          a1\n        content: |\n          A1\n"
                      "  - file_path: gone.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          x\n"
                      "  - file_path: b.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          b2\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: INSERT_AFTER\n        snippet: |\n          a2\n        content: |\n          a3\n"
                      "  - file_path: c.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          nowhere\n        content: |\n          y\n";
    const char *files[3] = {"a.txt", "b.txt", "c.txt"};
    const char *bytes[3] = {"a1\na2\n", "b1\nb2\n", "c1\n"};
    made_files m = {{bytes[0], bytes[1], bytes[2]}, {NULL}, 0, 0, 0, 0};
    made_one ones[3];
    ap_fs *lazy = ap_fs_mem_new(), *plain = ap_fs_mem_new();
    for (int k = 0; k < 3; k++) {
        ones[k] = (made_one){&m, k};
        ap_fs_mem_put_made(lazy, files[k], make_file, &ones[k]);
        ap_fs_mem_put(plain, files[k], bytes[k], strlen(bytes[k]), false);
    }
    ap_options o = AP_OPTIONS_INIT;
    o.groups_alone = true;
    trun *alone = trun_new(lazy, src, &o);
    trun *whole = trun_new(plain, src, NULL);
    CHECK_INT(m.n_made, 3);
    CHECK_INT(m.held_at_load, 0);
    for (int k = 0; k < m.n_made; k++)
        CHECK_INT(m.made[k]->refs, 1); /* the run let every one go */
    CHECK_INT(alone->r->n_files, whole->r->n_files);
    CHECK(alone->r->ok == whole->r->ok);
    for (size_t i = 0; i < alone->r->n_files && i < whole->r->n_files; i++) {
        CHECK_STR(alone->r->files[i].path, whole->r->files[i].path);
        CHECK_INT(alone->r->files[i].status, whole->r->files[i].status);
        CHECK(alone->r->files[i].before == NULL && alone->r->files[i].view == NULL);
    }
    for (size_t ch = 0; ch < whole->p->n_changes; ch++)
        for (size_t md = 0; md < whole->p->changes[ch].n_mods; md++) {
            CHECK_INT(alone->r->mods[ch][md].state, whole->r->mods[ch][md].state);
            CHECK_INT(alone->r->mods[ch][md].code, whole->r->mods[ch][md].code);
            CHECK_INT(alone->r->mods[ch][md].file, whole->r->mods[ch][md].file);
        }
    CHECK_INT(alone->r->mods[0][0].state, AP_MOD_APPLIES);
    CHECK_INT(alone->r->files[1].status, AP_FILE_FAILED); /* gone.txt */
    CHECK_INT(alone->r->mods[4][0].code, AP_SNIPPET_NOT_FOUND);
    /* the provider keeps none of them: one made text is the loader's */
    size_t n;
    CHECK(ap_fs_mem_get(lazy, "a.txt", &n) == NULL);
    trun_free(alone);
    trun_free(whole);
    for (int k = 0; k < m.n_made; k++)
        ap_text_release(m.made[k]);
    ap_fs_mem_free(lazy);
    ap_fs_mem_free(plain);
}

/* search_once (the command line's first run): each file is read when its
 * group comes, and the text of a file its group changed lets its tables go
 * once the group is resolved, so at each load no text made before holds
 * them; the texts stay (rendering reads them), an unchanged one keeps its
 * tables (the twice check searches it), and the states, renderings and
 * diffs are those of a run that reads every file first. */
static void test_search_once(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          a1\n        content: |\n          A1\n"
                      "  - file_path: b.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          b2\n"
                      "  - file_path: c.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          c0\n        content: |\n          c1\n";
    const char *files[3] = {"a.txt", "b.txt", "c.txt"};
    const char *bytes[3] = {"a1\na2\n", "b1\nb2\n", "c1\n"};
    made_files m[2] = {{{bytes[0], bytes[1], bytes[2]}, {NULL}, 0, 0, 0, 0},
                       {{bytes[0], bytes[1], bytes[2]}, {NULL}, 0, 0, 0, 0}};
    made_one ones[2][3];
    ap_fs *fs[2];
    trun *t[2];
    for (int v = 0; v < 2; v++) {
        fs[v] = ap_fs_mem_new();
        for (int k = 0; k < 3; k++) {
            ones[v][k] = (made_one){&m[v], k};
            ap_fs_mem_put_made(fs[v], files[k], make_weak, &ones[v][k]);
        }
        ap_options o = AP_OPTIONS_INIT;
        o.search_once = v == 1;
        t[v] = trun_new(fs[v], src, &o);
        CHECK_INT(m[v].n_made, 3);
    }
    /* every file first: nothing resolved at any load, so nothing searched
     * or packed; once: the texts of the groups resolved before each load
     * are packed (one at b's load, two at c's), and none holds tables */
    CHECK_INT(m[0].packed_at_load, 0);
    CHECK_INT(m[1].packed_at_load, 3);
    CHECK_INT(m[1].indexed_at_load, 0);
    ap_run *whole = t[0]->r, *once = t[1]->r;
    CHECK(once->ok == whole->ok);
    CHECK_INT(once->n_files, whole->n_files);
    for (size_t i = 0; i < once->n_files && i < whole->n_files; i++) {
        ap_file *f = &once->files[i];
        CHECK_INT(f->status, whole->files[i].status);
        CHECK(f->before != NULL && f->view != NULL);
        /* a changed text waits packed, without tables, until it is rendered */
        CHECK(f->status == AP_FILE_MODIFIED ? f->before->bucket == NULL : f->before->bucket != NULL);
        CHECK(f->status == AP_FILE_MODIFIED ? f->before->lines == NULL && f->before->packed != NULL
                                            : f->before->lines != NULL);
        ap_run_render(once, i);
        CHECK(f->before->lines != NULL && f->before->packed == NULL);
        ap_run_render(whole, i);
        CHECK_INT(f->after_len, whole->files[i].after_len);
        CHECK(f->after_len == 0 || memcmp(f->after, whole->files[i].after, f->after_len) == 0);
        same_diff(&whole->files[i], f);
    }
    CHECK_INT(once->files[0].status, AP_FILE_MODIFIED);
    CHECK_INT(once->files[2].status, AP_FILE_UNCHANGED);
    for (size_t ch = 0; ch < t[0]->p->n_changes; ch++)
        for (size_t md = 0; md < t[0]->p->changes[ch].n_mods; md++)
            CHECK_INT(once->mods[ch][md].state, whole->mods[ch][md].state);
    for (int v = 0; v < 2; v++) {
        trun_free(t[v]);
        ap_fs_mem_free(fs[v]);
    }
    /* a run that fails is read as it stands (--partial's hand-back): its
     * changed texts hold their records again when it is made */
    const char *fails = "version: \"2.0\"\nchanges:\n"
                        "  - file_path: a.txt\n    modifications:\n"
                        "      - action: REPLACE\n        snippet: |\n          a1\n        content: |\n          A1\n"
                        "  - file_path: b.txt\n    modifications:\n"
                        "      - action: REPLACE\n        snippet: |\n          nowhere\n        content: |\n          y\n";
    ap_fs *mem = ap_fs_mem_new();
    made_files mf = {{bytes[0], bytes[1], bytes[2]}, {NULL}, 0, 0, 0, 0};
    made_one mo[2];
    for (int k = 0; k < 2; k++) {
        mo[k] = (made_one){&mf, k};
        ap_fs_mem_put_made(mem, files[k], make_weak, &mo[k]); /* (kept by the run only) */
    }
    ap_options o = AP_OPTIONS_INIT;
    o.search_once = true;
    trun *f = trun_new(mem, fails, &o);
    CHECK(!f->r->ok);
    CHECK_INT(f->r->files[0].status, AP_FILE_MODIFIED);
    CHECK(f->r->files[0].before->lines != NULL && f->r->files[0].before->packed == NULL);
    trun_free(f);
    ap_fs_mem_free(mem);
}

/* release_lines (the command line's twice check): each changed file is
 * rendered when the second run reaches it, its diff made, and the line
 * records of its text read let go; the diffs, states and warnings are those
 * of a check that keeps them, and an unchanged file keeps its records (the
 * second run searches it). The texts are made at each load: the provider
 * keeps no reference (as the disk's does not; a text shared keeps them). */
static ap_text *text_of(void *ctx)
{
    return ap_text_new(ctx, strlen(ctx));
}

static void test_twice_releases_lines(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n"
                      "  - file_path: a.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          a2\n        content: |\n          A2\n"
                      "  - file_path: b.txt\n    modifications:\n"
                      "      - action: DELETE\n        snippet: |\n          b2\n"
                      "  - file_path: c.txt\n    modifications:\n"
                      "      - action: REPLACE\n        snippet: |\n          c0\n        content: |\n          c1\n";
    const char *files[3] = {"a.txt", "b.txt", "c.txt"};
    const char *bytes[3] = {"a1\na2\na3\n", "b1\nb2\nb3\n", "c1\nc2\n"};
    /* 0 keeps everything, 1 lets the records go, 2 the new bytes too
     * (diff_only: a dry run, check) */
    trun *t[3];
    for (int k = 0; k < 3; k++) {
        ap_fs *fs = ap_fs_mem_new();
        for (int i = 0; i < 3; i++)
            ap_fs_mem_put_made(fs, files[i], text_of, (void *)bytes[i]);
        ap_options o = AP_OPTIONS_INIT;
        o.search_once = k == 2;
        t[k] = trun_new(fs, src, &o);
        CHECK(t[k]->r->ok);
        o.release_lines = k >= 1;
        o.diff_only = k == 2;
        ap_run_check_twice(t[k]->r, &o);
    }
    ap_run *keep = t[0]->r;
    for (int k = 1; k < 3; k++) {
    ap_run *rel = t[k]->r;
    CHECK_INT(rel->n_files, 3);
    CHECK_INT(keep->n_problems, rel->n_problems);
    for (size_t i = 0; i < keep->n_problems && i < rel->n_problems; i++)
        CHECK_STR(keep->problems[i].message, rel->problems[i].message);
    for (size_t i = 0; i < rel->n_files && i < keep->n_files; i++) {
        ap_file *f = &rel->files[i];
        CHECK_INT(f->status, keep->files[i].status);
        CHECK(f->rendered);
        CHECK(keep->files[i].before->lines != NULL);
        /* the changed files' records went; the unchanged one keeps them */
        CHECK(f->status == AP_FILE_MODIFIED ? f->before->lines == NULL : f->before->lines != NULL);
        CHECK_INT(f->before->len, keep->files[i].before->len); /* the bytes stay */
        /* the new bytes went with the second run's text: only the diff stays */
        CHECK(k == 2 && f->status == AP_FILE_MODIFIED ? f->after == NULL : f->after != NULL);
        CHECK_INT(f->after_len, keep->files[i].after_len);
        CHECK_INT(f->n_hunks, keep->files[i].n_hunks);
        CHECK_INT(f->blanks_stripped, keep->files[i].blanks_stripped);
        same_diff(&keep->files[i], f);
    }
    CHECK_INT(rel->files[0].status, AP_FILE_MODIFIED);
    CHECK_INT(rel->files[1].status, AP_FILE_MODIFIED);
    CHECK_INT(rel->files[2].status, AP_FILE_UNCHANGED); /* already applied */
    }
    for (int k = 0; k < 3; k++) {
        ap_fs *fs = t[k]->fs;
        trun_free(t[k]);
        ap_fs_mem_free(fs);
    }
}

int main(void)
{
    RUN(test_twice_releases_lines);
    RUN(test_search_once);
    RUN(test_groups_alone);
    RUN(test_replace);
    RUN(test_insert_after_before);
    RUN(test_delete);
    RUN(test_anchor);
    RUN(test_indentation);
    RUN(test_blank_line_widening);
    RUN(test_line_endings);
    RUN(test_last_line_without_newline);
    RUN(test_untouched_bytes);
    RUN(test_hallucinated_snippet);
    RUN(test_first_run_not_applied);
    RUN(test_trailing_whitespace);
    RUN(test_create_file);
    RUN(test_create_then_modify);
    RUN(test_error_codes);
    RUN(test_not_found_help);
    RUN(test_atomicity);
    RUN(test_only_change_mod);
    RUN(test_hunks_and_diff);
    RUN(test_minimal_hunks);
    RUN(test_apply_twice);
    RUN(test_apply_twice_more);
    RUN(test_apply_twice_content_twice);
    RUN(test_already_applied_reasons);
    RUN(test_inserted_text_positions);
    return check_summary();
}
