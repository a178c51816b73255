/* indent_test.c - content indented the other way than its file (indent.c):
 * spaces for a tab-indented file and tabs for a space-indented one are
 * warned about, with a fix that gives the file's own indentation; a file of
 * no clear style, or content that agrees with it, says nothing. */
#include "one_file_test.h"

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

int main(void)
{
    RUN(test_spaces_in_tab_file);
    RUN(test_tabs_in_space_file);
    RUN(test_quiet);
    return check_summary();
}
