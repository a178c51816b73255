/* indent_test.c - content indented the other way than its file (indent.c):
 * spaces for a tab-indented file and tabs for a space-indented one are
 * warned about, with a fix that gives the file's own indentation; a file of
 * no clear style, or content that agrees with it, says nothing. */
#include "one_file_test.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR "version: \"2.0\"\nchanges:\n  - file_path: f.c\n    modifications:\n"

static const char *TABS = "int f(void)\n{\n\tint a = 1;\n\tif (a) {\n\t\ta++;\n\t}\n\treturn a;\n}\n";
static const char *SPACES = "def f():\n    a = 1\n    if a:\n        a += 1\n    return a\n";

typedef one_run case_run;

static case_run run(const char *file, const char *patch)
{
    return one_run_new("f.c", file, patch);
}

static const ap_problem *indent_problem(const ap_run *r)
{
    return code_problem(r, AP_INDENT_STYLE);
}

/* The patch with the problem's first fix applied, run again: its file. */
static char *fixed_file(const char *file, const char *patch, const ap_problem *pr, bool *warned)
{
    char *fixed = with_fix(patch, &pr->fixes[0]);
    case_run c = run(file, fixed);
    free(fixed);
    char *out = NULL;
    *warned = indent_problem(c.r) != NULL;
    if (c.r->ok) {
        ap_run_render(c.r, 0);
        out = ap_xstrdup(c.r->files[0].after);
    }
    one_run_free(&c);
    return out;
}

static void test_spaces_in_tab_file(void)
{
    const char *patch = HDR "      - action: REPLACE\n        snippet: |\n          if (a) {\n              a++;\n"
                            "          }\n        content: |\n          if (a) {\n              a += 2;\n"
                            "              b();\n          }\n";
    case_run c = run(TABS, patch);
    CHECK(c.r->ok);
    const ap_problem *pr = indent_problem(c.r);
    CHECK(pr != NULL);
    if (pr) {
        CHECK_INT(pr->severity, AP_WARNING);
        CHECK(strstr(pr->message, "content indents 2 lines with spaces, but f.c indents with tabs") != NULL);
        CHECK(pr->n_fixes == 1 && pr->fixes[0].preferred);
        bool warned;
        char *got = fixed_file(TABS, patch, pr, &warned);
        CHECK(!warned);
        CHECK_STR(got, "int f(void)\n{\n\tint a = 1;\n\tif (a) {\n\t\ta += 2;\n\t\tb();\n\t}\n\treturn a;\n}\n");
        free(got);
    }
    one_run_free(&c);
}

static void test_tabs_in_space_file(void)
{
    const char *patch = HDR "      - action: INSERT_AFTER\n        snippet: |\n          if a:\n"
                            "        content: |2\n          \tprint(a)\n";
    case_run c = run(SPACES, patch);
    const ap_problem *pr = indent_problem(c.r);
    CHECK(pr != NULL);
    if (pr) {
        CHECK(strstr(pr->message, "with tabs, but f.c indents with spaces") != NULL);
        bool warned;
        char *got = fixed_file(SPACES, patch, pr, &warned);
        CHECK(!warned);
        CHECK_STR(got, "def f():\n    a = 1\n    if a:\n        print(a)\n        a += 1\n    return a\n");
        free(got);
    }
    one_run_free(&c);
}

static void test_quiet(void)
{
    /* content that agrees, content without indentation, a mixed file */
    const char *agree = HDR "      - action: REPLACE\n        snippet: |\n          a++;\n"
                            "        content: |\n          a++;\n          \tb();\n";
    case_run c = run(TABS, agree);
    CHECK(indent_problem(c.r) == NULL);
    one_run_free(&c);
    const char *flat = HDR "      - action: REPLACE\n        snippet: |\n          a++;\n"
                           "        content: |\n          a--;\n";
    c = run(TABS, flat);
    CHECK(indent_problem(c.r) == NULL);
    one_run_free(&c);
    const char *mixed = "a\n\tb\n\tc\n  d\n  e\n  f\n";
    const char *spaced = HDR "      - action: INSERT_AFTER\n        snippet: |\n          a\n"
                             "        content: |\n          x\n            y\n";
    c = run(mixed, spaced);
    CHECK(indent_problem(c.r) == NULL);
    one_run_free(&c);
    /* (and a C file whose block comments lead with one space is still a
     * tab-indented file) */
    const char *commented = "/*\n * a\n * b\n */\nint f(void)\n{\n\tint a;\n\ta = 1;\n\treturn a;\n}\n";
    c = run(commented, HDR "      - action: INSERT_AFTER\n        snippet: |\n          int a;\n"
                           "        content: |\n          int b;\n          if (b)\n              b++;\n");
    CHECK(indent_problem(c.r) != NULL);
    one_run_free(&c);
}

/* The style counted eight bytes at a time and without a division a line
 * is the one a plain count gives: random indentations of spaces, tabs,
 * both, a Unicode space, long ones (past 8 and past 64 bytes), blank
 * lines and lines with no indentation. */
static void plain_style(const ap_text *t, uint32_t *tabs, uint32_t *spaces, uint32_t *unit)
{
    uint32_t u = 0;
    *tabs = *spaces = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        const ap_line *l = &t->lines[i];
        if (l->blank)
            continue;
        if (l->s[0] == '\t') {
            (*tabs)++;
            continue;
        }
        uint32_t k = 0;
        while (k < l->len && l->s[k] == ' ')
            k++;
        if (k >= 2) {
            (*spaces)++;
            uint32_t a = u, b = k;
            while (b) {
                uint32_t r = a % b;
                a = b;
                b = r;
            }
            u = a;
        }
    }
    *unit = u >= 2 && u <= 8 ? u : 0;
}

static void test_style_as_counted_plainly(void)
{
    uint32_t seed = 7;
    static const char *const leads[] = {"",  " ", "  ", "\t", " \t ", "\xe3\x80\x80 ", "   \t",
                                        "          \t  ", "     \t         ", "            \xe3\x80\x80    "};
    for (int round = 0; round < 300; round++) {
        ap_buf b = AP_BUF_INIT;
        uint32_t n = 1 + (uint32_t)round % 40, step = 1 + (uint32_t)round % 9;
        for (uint32_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 8;
            if (r % 9 == 0) {
                ap_buf_adds(&b, r % 2 ? "\n" : "   \n");
                continue;
            }
            if (r % 5 == 0)
                ap_buf_adds(&b, leads[(r >> 4) % 10]);
            else
                for (uint32_t k = 0; k < step * ((r >> 4) % (round % 4 == 0 ? 20 : 4)); k++)
                    ap_buf_addc(&b, ' ');
            ap_buf_adds(&b, r % 3 ? "x = 1;\n" : "y\n");
        }
        ap_text *t = ap_text_new(b.s, b.len);
        uint32_t tabs, spaces, unit;
        plain_style(t, &tabs, &spaces, &unit);
        ap_indent_style(t);
        CHECK_INT(t->tab_led, tabs);
        CHECK_INT(t->space_led, spaces);
        CHECK_INT(t->space_unit, unit);
        /* and the verdict read in part is the whole count's */
        ap_text *t2 = ap_text_new(b.s, b.len);
        CHECK_INT(ap_indent_may_be_tabs(t2), tabs >= 3 && spaces * 10 <= tabs);
        CHECK_INT(ap_indent_may_be_tabs(t2), tabs >= 3 && spaces * 10 <= tabs); /* (kept) */
        ap_text_release(t2);
        ap_text_release(t);
        ap_buf_release(&b);
    }
}

/* Content led by spaces only needs the file to be tab-indented to be odd:
 * a space-indented file is read only until that cannot be (its style is
 * not counted whole), and a tab-indented one whose first indented lines
 * are spaces (a comment block) is still told from all of its lines. */
static void test_spaced_content_reads_part_of_a_space_file(void)
{
    ap_buf f = AP_BUF_INIT;
    char line[32];
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof line, "    x = %d\n", i);
        ap_buf_adds(&f, line);
    }
    const char *patch = HDR "      - action: REPLACE\n        snippet: |\n          x = 150\n"
                            "        content: |\n          if y:\n              x = 2\n";
    ap_buf_addc(&f, '\0');
    case_run c = run(f.s, patch);
    CHECK(indent_problem(c.r) == NULL);
    const ap_text *t = c.r->files[0].before;
    CHECK(t && !t->indent_known && t->not_tab_file);
    one_run_free(&c);
    ap_buf_release(&f);

    ap_buf g = AP_BUF_INIT;
    ap_buf_adds(&g, "/*\n  header\n  more\n*/\nint f(void)\n{\n");
    for (int i = 0; i < 40; i++)
        ap_buf_adds(&g, "\tint a = 1;\n");
    ap_buf_adds(&g, "}\n");
    const char *p2 = HDR "      - action: REPLACE\n        snippet: |\n          int f(void)\n"
                         "        content: |\n          int f(int b)\n          {\n              b++;\n";
    case_run d = run(g.s, p2);
    const ap_problem *pr = indent_problem(d.r);
    CHECK(pr != NULL);
    if (pr)
        CHECK(strstr(pr->message, "but f.c indents with tabs (40 of its indented lines)") != NULL);
    one_run_free(&d);
    ap_buf_release(&g);
}

int main(void)
{
    RUN(test_spaces_in_tab_file);
    RUN(test_tabs_in_space_file);
    RUN(test_quiet);
    RUN(test_style_as_counted_plainly);
    RUN(test_spaced_content_reads_part_of_a_space_file);
    return check_summary();
}
