/* parse_test.c - the patch parser (parse.c): the model it builds, and every
 * parse-time problem of ap-2.0.md section 6 with the exact bytes it points
 * at. */
#include "parse_test.h"

#define HEAD "version: \"2.0\"\nchanges:\n  - file_path: a.txt\n    modifications:\n"

/* ---------------------------------------------------------- the model */

static void test_valid_patch(void)
{
    const char *src =
        "# Summary: Refactor the calculator.\n"
        "#\n"
        "# Plan:\n"
        "#   1. Import List.\n"
        "version: \"2.0\"\n"
        "changes:\n"
        "  - file_path: \"src/calculator.py\"\n"
        "    newline: LF                    # optional\n"
        "    modifications:\n"
        "      - action: INSERT_AFTER\n"
        "        snippet: |\n"
        "          import math\n"
        "        content: |\n"
        "          from typing import List\n"
        "      - action: REPLACE\n"
        "        anchor: |\n"
        "          def add(a, b):\n"
        "        snippet: |\n"
        "          return a + b\n"
        "        content: |\n"
        "          if isinstance(a, List):\n"
        "              return sum(a)\n"
        "\n"
        "          return a + b\n"
        "      - action: DELETE\n"
        "        start_snippet: |\n"
        "          def get_pi():\n"
        "        end_snippet: |\n"
        "          return 3.14\n"
        "        include_leading_blank_lines: 1\n"
        "        include_trailing_blank_lines: 2\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 0);
    CHECK(!p->has_errors);
    CHECK_INT(p->len, strlen(src));
    CHECK_STR(p->text, src);
    CHECK_STR(p->version.value, "2.0");
    CHECK_INT(p->version.style, AP_STYLE_DOUBLE_QUOTED);
    CHECK_INT(p->version.span.start, off(src, "\"2.0\""));
    CHECK_INT(p->version.span.end, off(src, "\"2.0\"") + 5);
    CHECK_INT(p->version.key.start, off(src, "version"));
    CHECK_INT(p->n_changes, 1);
    if (p->n_changes != 1 || p->changes[0].n_mods != 3)
        goto out;
    const ap_change *c = &p->changes[0];
    CHECK(c->ok);
    CHECK_STR(c->file_path.value, "src/calculator.py");
    CHECK_INT(c->file_path.span.start, off(src, "\"src/"));
    CHECK_INT(c->file_path.span.end, off(src, ".py\"") + 4);
    CHECK_INT(c->eol, AP_EOL_LF);
    CHECK_STR(c->newline.value, "LF");
    CHECK_INT(c->head.start, off(src, "file_path"));
    CHECK_INT(c->head.end, off(src, "\n    newline"));

    const ap_mod *m = &c->mods[0];
    CHECK(m->ok);
    CHECK_INT(m->action, AP_INSERT_AFTER);
    CHECK_STR(m->snippet.value, "import math\n");
    CHECK_INT(m->snippet.style, AP_STYLE_LITERAL);
    CHECK_INT(m->snippet.span.start, off(src, "import math"));
    CHECK_INT(m->snippet.span.end, off(src, "import math") + 11);
    CHECK_INT(m->snippet.indent, 10);
    CHECK_INT(m->snippet.n_lines, 1);
    CHECK_STR(m->content.value, "from typing import List\n");
    CHECK_INT(m->span.start, off(src, "action: INSERT_AFTER"));
    CHECK_INT(m->head.start, off(src, "action: INSERT_AFTER"));
    CHECK_INT(m->head.end, off(src, "action: INSERT_AFTER") + 20);
    CHECK_INT(m->key_col, 8);
    CHECK(!m->anchor.present);
    CHECK(!m->start_snippet.present);

    m = &c->mods[1];
    CHECK(m->ok);
    CHECK_INT(m->action, AP_REPLACE);
    CHECK_STR(m->anchor.value, "def add(a, b):\n");
    CHECK_STR(m->content.value, "if isinstance(a, List):\n    return sum(a)\n\nreturn a + b\n");
    /* a line of the content for each line of the value, blank one included */
    CHECK_INT(m->content.n_lines, 4);
    if (m->content.n_lines == 4) {
        CHECK_INT(m->content.line_at[0], off(src, "if isinstance"));
        /* relative indentation stays in the line: it starts at the block's column */
        CHECK_INT(m->content.line_at[1], off(src, "    return sum"));
        CHECK_INT(m->content.line_at[2], off(src, "sum(a)\n\n") + 7);
        CHECK_INT(m->content.line_at[3], off_k(src, "return a + b", 1));
    }
    CHECK_INT(m->content.span.start, off(src, "if isinstance"));
    CHECK_INT(m->content.span.end, off_k(src, "return a + b", 1) + 12);

    m = &c->mods[2];
    CHECK(m->ok);
    CHECK_INT(m->action, AP_DELETE);
    CHECK_STR(m->start_snippet.value, "def get_pi():\n");
    CHECK_STR(m->end_snippet.value, "return 3.14\n");
    CHECK_INT(m->lead, 1);
    CHECK_INT(m->trail, 2);
    CHECK(!m->content.present);
out:
    ap_patch_free(p);
}

static void test_literal_block_lines(void)
{
    const char *src = HEAD "      - action: REPLACE\n"
                           "        snippet: |\n"
                           "          first\n"
                           "\n"
                           "            indented\n"
                           "          last\n"
                           "        content: |-\n"
                           "          no final break\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 0);
    const ap_mod *m = &p->changes[0].mods[0];
    CHECK_STR(m->snippet.value, "first\n\n  indented\nlast\n");
    CHECK_INT(m->snippet.n_lines, 4);
    if (m->snippet.n_lines == 4) {
        CHECK_INT(m->snippet.line_at[0], off(src, "first"));
        /* the blank line: its start (clamped to the line's end) */
        CHECK_INT(m->snippet.line_at[1], off(src, "first") + 6);
        /* a more indented line starts at the block's indentation */
        CHECK_INT(m->snippet.line_at[2], off(src, "  indented"));
        CHECK_INT(m->snippet.line_at[3], off(src, "last"));
    }
    CHECK_INT(m->snippet.span.start, off(src, "first"));
    CHECK_INT(m->snippet.span.end, off(src, "last") + 4);
    CHECK_INT(m->snippet.indent, 10);
    CHECK_STR(m->content.value, "no final break");
    CHECK_INT(m->content.n_lines, 1);
    CHECK_STR(span_str(p, m->content.span), "no final break");
    ap_patch_free(p);

    /* an explicit indentation indicator */
    src = HEAD "      - action: DELETE\n"
               "        snippet: |2\n"
               "            two extra\n"
               "          x\n";
    p = parse(src);
    CHECK_INT(p->n_problems, 0);
    m = &p->changes[0].mods[0];
    CHECK_STR(m->snippet.value, "  two extra\nx\n");
    CHECK_INT(m->snippet.n_lines, 2);
    if (m->snippet.n_lines == 2) {
        CHECK_INT(m->snippet.line_at[0], off(src, "  two extra"));
        CHECK_INT(m->snippet.line_at[1], off(src, "x\n"));
    }
    ap_patch_free(p);
}

static void test_counts_and_null_content(void)
{
    const char *src = HEAD "      - action: DELETE\n"
                           "        snippet: |\n"
                           "          x\n"
                           "        include_leading_blank_lines: 0x3\n"
                           "        include_trailing_blank_lines: 99999999\n"
                           "      - action: REPLACE\n"
                           "        snippet: |\n"
                           "          y\n"
                           "        content:\n"
                           "      - action: INSERT_BEFORE\n"
                           "        snippet: |\n"
                           "          y\n"
                           "        content: \"\"\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 0);
    const ap_mod *m = &p->changes[0].mods[0];
    CHECK(m->ok);
    CHECK_INT(m->lead, 3);
    CHECK_INT(m->trail, 1000000); /* capped */
    m = &p->changes[0].mods[1];
    CHECK(m->ok);
    CHECK(m->content.present && m->content.is_string);
    CHECK_STR(m->content.value, "");
    CHECK_INT(m->content.len, 0);
    m = &p->changes[0].mods[2];
    CHECK(m->ok);
    CHECK_STR(m->content.value, "");
    ap_patch_free(p);
}

/* ------------------------------------------------ INVALID_PATCH_FILE */

static void test_syntax_error(void)
{
    const char *src = "version: \"2.0\"\nchanges: [\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, (uint32_t)strlen(src), (uint32_t)strlen(src), -1, -1);
    /* a ':' where a value continues */
    src = HEAD "      - action: DELETE\n"
               "        snippet: |\n"
               "          x\n"
               "       oops: here: there\n";
    ap_patch *p = parse(src);
    CHECK(p->has_errors);
    const ap_problem *q = find(p, AP_INVALID_PATCH_FILE, 0);
    CHECK_INT(q->span.start, off(src, "oops"));
    CHECK(strstr(q->message, "YAML syntax error") != NULL);
    ap_patch_free(p);
    /* two documents */
    src = "version: \"2.0\"\nchanges: []\n---\nversion: \"2.0\"\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "---"), off(src, "---") + 3, -1, -1);
}

static void test_tab_indentation(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    modifications:\n"
                      "\t  - action: DELETE\n";
    ap_patch *p = parse(src);
    CHECK(p->has_errors);
    const ap_problem *q = find(p, AP_INVALID_PATCH_FILE, (int)count_code(p, AP_INVALID_PATCH_FILE) - 1);
    /* the syntax error points at the tab itself, one byte */
    CHECK_INT(q->span.start, off(src, "\t"));
    CHECK_INT(q->span.end, off(src, "\t") + 1);
    CHECK(strstr(q->message, "YAML syntax error") != NULL);
    ap_patch_free(p);
}

static void test_duplicate_keys(void)
{
    const char *src = "version: \"2.0\"\nversion: \"2.0\"\nchanges: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off_k(src, "version", 1), off_k(src, "version", 1) + 7, -1,
               -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    file_path: b\n    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off_k(src, "file_path", 1), off_k(src, "file_path", 1) + 9,
               0, -1);
    src = HEAD "      - action: DELETE\n"
               "        snippet: |\n"
               "          x\n"
               "        snippet: |\n"
               "          y\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off_k(src, "snippet", 1), off_k(src, "snippet", 1) + 7, 0,
               0);
    /* the last value stands, as for the reference (PyYAML) */
    ap_patch *p = parse(src);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "y\n");
    CHECK_INT(p->changes[0].mods[0].snippet.span.start, off(src, "y\n"));
    CHECK(!p->changes[0].mods[0].ok);
    CHECK(!p->yaml_error); /* PyYAML reads it: the refusal is apls's own */
    ap_patch_free(p);
    /* three times: the second and the third are reported */
    src = HEAD "      - action: DELETE\n"
               "        snippet: a\n"
               "        snippet: b\n"
               "        snippet: c\n";
    p = parse(src);
    CHECK_INT(count_code(p, AP_INVALID_PATCH_FILE), 2);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 0), AP_INVALID_PATCH_FILE, AP_ERROR,
                  off_k(src, "snippet", 1), off_k(src, "snippet", 1) + 7, 0, 0);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "c");
    ap_patch_free(p);
}

static void test_empty_document(void)
{
    ONLY_ERROR("", AP_INVALID_PATCH_FILE, 0, 0, -1, -1);
    ONLY_ERROR("# Summary: nothing yet\n#\n", AP_INVALID_PATCH_FILE, 0, 0, -1, -1);
    ONLY_ERROR("   \n\n", AP_INVALID_PATCH_FILE, 0, 0, -1, -1);
    ap_patch *p = parse("");
    CHECK_INT(p->n_changes, 0);
    CHECK(p->changes == NULL);
    ap_patch_free(p);
}

static void test_root_not_mapping(void)
{
    /* a block list: from its first item to the end of its last value */
    ONLY_ERROR("- a\n- b\n", AP_INVALID_PATCH_FILE, 0, 7, -1, -1);
    ONLY_ERROR("just text\n", AP_INVALID_PATCH_FILE, 0, 9, -1, -1);
    ONLY_ERROR("# c\n42\n", AP_INVALID_PATCH_FILE, 4, 6, -1, -1);
}

static void test_version(void)
{
    /* missing: the root's first line */
    const char *src = "changes: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, 0, 11, -1, -1);
    /* unquoted 2.0: a number, not the string: a slip read as meant, with a
     * warning (slips_test.c) */
    src = "version: 2.0\nchanges: []\n";
    ap_patch *p = parse(src);
    CHECK(!p->has_errors);
    CHECK_PROBLEM(find(p, AP_VERSION_NUMBER, 0), AP_VERSION_NUMBER, AP_WARNING, 9, 12, -1, -1);
    CHECK(strstr(p->problems[0].message, "quote") != NULL);
    ap_patch_free(p);
    /* other versions */
    src = "version: \"1.0\"\nchanges: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, 9, 14, -1, -1);
    src = "version: 2\nchanges: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, 9, 10, -1, -1);
    src = "version: [\"2.0\"]\nchanges: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, 9, 16, -1, -1);
    src = "version: '2.0'\nchanges: []\n";
    p = parse(src);
    CHECK(!p->has_errors);
    ap_patch_free(p);
    /* version and changes both missing: two problems on the first line */
    p = parse("other: 1\n");
    CHECK_INT(count_code(p, AP_INVALID_PATCH_FILE), 2);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 1);
    ap_patch_free(p);
}

static void test_changes(void)
{
    const char *src = "version: \"2.0\"\nchanges: {}\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "{}"), off(src, "{}") + 2, -1, -1);
    src = "version: \"2.0\"\nchanges: x\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "x\n"), off(src, "x\n") + 1, -1, -1);
    src = "version: \"2.0\"\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, 0, 14, -1, -1);
    /* an empty list is allowed */
    ap_patch *p = parse("version: \"2.0\"\nchanges: []\n");
    CHECK_INT(p->n_problems, 0);
    CHECK(!p->has_errors);
    CHECK_INT(p->n_changes, 0);
    ap_patch_free(p);
    /* a change that is not a mapping */
    src = "version: \"2.0\"\nchanges:\n  - just a string\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "just"), off(src, "string") + 6, 0, -1);
}

static void test_file_path(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n  - modifications: []\n";
    /* missing: the change's first line */
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "modifications"), off(src, "[]") + 2, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: 42\n    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "42"), off(src, "42") + 2, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: \"\"\n    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "\"\""), off(src, "\"\"") + 2, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: [a]\n    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "[a]"), off(src, "[a]") + 3, 0, -1);
    ap_patch *p = parse(src);
    CHECK(!p->changes[0].ok);
    ap_patch_free(p);
    /* the second change's problem has the second change's index */
    src = "version: \"2.0\"\nchanges:\n  - file_path: ok\n    modifications: []\n"
          "  - file_path: 7\n    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "7"), off(src, "7") + 1, 1, -1);
    p = parse(src);
    CHECK(p->changes[0].ok);
    CHECK(!p->changes[1].ok);
    ap_patch_free(p);
}

static void test_newline(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    newline: LFX\n"
                      "    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "LFX"), off(src, "LFX") + 3, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    newline: crlf\n"
          "    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "crlf"), off(src, "crlf") + 4, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    newline: 1\n"
          "    modifications: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "1\n"), off(src, "1\n") + 1, 0, -1);
    const char *names[] = {"LF", "CRLF", "CR"};
    const ap_eol eols[] = {AP_EOL_LF, AP_EOL_CRLF, AP_EOL_CR};
    for (int i = 0; i < 3; i++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "version: \"2.0\"\nchanges:\n  - file_path: a\n    newline: %s\n"
                 "    modifications: []\n",
                 names[i]);
        ap_patch *p = parse(buf);
        CHECK_INT(p->n_problems, 0);
        CHECK_INT(p->changes[0].eol, eols[i]);
        CHECK(p->changes[0].ok);
        ap_patch_free(p);
    }
    ap_patch *p = parse("version: \"2.0\"\nchanges:\n  - file_path: a\n    modifications: []\n");
    CHECK_INT(p->changes[0].eol, AP_EOL_AUTO);
    ap_patch_free(p);
}

static void test_modifications_list(void)
{
    const char *src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    modifications: {}\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "{}"), off(src, "{}") + 2, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: a\n    modifications: DELETE\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "DELETE"), off(src, "DELETE") + 6, 0, -1);
    src = "version: \"2.0\"\nchanges:\n  - file_path: a\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "file_path"), off(src, "a\n") + 1, 0, -1);
}

/* ------------------------------------------------ INVALID_MODIFICATION */

static void test_mod_not_mapping(void)
{
    const char *src = HEAD "      - DELETE\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "DELETE"), off(src, "DELETE") + 6, 0, 0);
    src = HEAD "      - action: DELETE\n        snippet: |\n          x\n      - [a, b]\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "[a, b]"), off(src, "[a, b]") + 6, 0, 1);
    ap_patch *p = parse(src);
    CHECK(p->changes[0].mods[0].ok);
    CHECK(!p->changes[0].mods[1].ok);
    /* a change with a bad modification is still a usable change */
    CHECK(p->changes[0].ok);
    ap_patch_free(p);
}

static void test_action(void)
{
    /* missing: the modification's first line */
    const char *src = HEAD "      - snippet: |\n          x\n        content: |\n          y\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "snippet: |"), off(src, "snippet: |") + 10, 0,
               0);
    /* unknown: the value */
    src = HEAD "      - action: FROB\n        snippet: |\n          x\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "FROB"), off(src, "FROB") + 4, 0, 0);
    /* lower case is a slip, read as meant with a warning (slips_test.c) */
    src = HEAD "      - action: delete\n        snippet: |\n          x\n";
    ap_patch *lower = parse(src);
    CHECK(!lower->has_errors);
    CHECK_PROBLEM(find(lower, AP_ACTION_SPELLING, 0), AP_ACTION_SPELLING, AP_WARNING, off(src, "delete"),
                  off(src, "delete") + 6, 0, 0);
    CHECK_INT(lower->changes[0].mods[0].action, AP_DELETE);
    ap_patch_free(lower);
    /* not a string */
    src = HEAD "      - action: 5\n        snippet: |\n          x\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "5\n"), off(src, "5\n") + 1, 0, 0);
    /* every action name is known */
    const char *names[] = {"REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE", "CREATE_FILE"};
    for (int a = AP_REPLACE; a <= AP_CREATE_FILE; a++) {
        CHECK_STR(ap_action_name((ap_action)a), names[a - 1]);
        char buf[256];
        snprintf(buf, sizeof buf, HEAD "      - action: %s\n%s", names[a - 1],
                 a == AP_DELETE ? "        snippet: |\n          x\n"
                 : a == AP_CREATE_FILE ? "        content: |\n          y\n"
                                      : "        snippet: |\n          x\n        content: |\n          y\n");
        ap_patch *p = parse(buf);
        CHECK_INT(p->n_problems, 0);
        CHECK_INT(p->changes[0].mods[0].action, a);
        CHECK(p->changes[0].mods[0].ok);
        ap_patch_free(p);
    }
}

static void test_field_types(void)
{
    /* a number as snippet */
    const char *src = HEAD "      - action: DELETE\n        snippet: 42\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "42"), off(src, "42") + 2, 0, 0);
    /* a list as content */
    src = HEAD "      - action: REPLACE\n        snippet: |\n          x\n        content: [1]\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "[1]"), off(src, "[1]") + 3, 0, 0);
    /* true as anchor */
    src = HEAD "      - action: DELETE\n        anchor: true\n        snippet: |\n          x\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "true"), off(src, "true") + 4, 0, 0);
    /* a negative blank-line count */
    src = HEAD "      - action: DELETE\n        snippet: |\n          x\n"
               "        include_leading_blank_lines: -1\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "-1"), off(src, "-1") + 2, 0, 0);
    /* text as a count */
    src = HEAD "      - action: DELETE\n        snippet: |\n          x\n"
               "        include_trailing_blank_lines: two\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "two"), off(src, "two") + 3, 0, 0);
    /* a quoted number is text, not a count */
    src = HEAD "      - action: DELETE\n        snippet: |\n          x\n"
               "        include_trailing_blank_lines: \"1\"\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "\"1\""), off(src, "\"1\"") + 3, 0, 0);
    /* a quoted number is fine as a snippet (text), with a style warning */
    src = HEAD "      - action: DELETE\n        snippet: \"42\"\n";
    ap_patch *p = parse(src);
    CHECK(!p->has_errors);
    CHECK_INT(count_code(p, AP_SCALAR_STYLE), 1);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "42");
    ap_patch_free(p);
}

static void test_snippet_and_range(void)
{
    const char *src = HEAD "      - action: DELETE\n"
                           "        snippet: |\n          x\n"
                           "        start_snippet: |\n          y\n"
                           "        end_snippet: |\n          z\n";
    /* the snippet's key */
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "snippet: |"), off(src, "snippet: |") + 7, 0, 0);
    /* half a range: the key that is there */
    src = HEAD "      - action: DELETE\n        start_snippet: |\n          y\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "start_snippet"), off(src, "start_snippet") + 13,
               0, 0);
    src = HEAD "      - action: REPLACE\n        end_snippet: |\n          y\n"
               "        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "end_snippet"), off(src, "end_snippet") + 11, 0,
               0);
    /* a range on INSERT_*: the start_snippet key */
    src = HEAD "      - action: INSERT_AFTER\n"
               "        start_snippet: |\n          y\n"
               "        end_snippet: |\n          z\n"
               "        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "start_snippet"), off(src, "start_snippet") + 13,
               0, 0);
    src = HEAD "      - action: INSERT_BEFORE\n"
               "        end_snippet: |\n          z\n"
               "        start_snippet: |\n          y\n"
               "        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "start_snippet"), off(src, "start_snippet") + 13,
               0, 0);
    /* a range on REPLACE and DELETE is fine */
    src = HEAD "      - action: REPLACE\n"
               "        start_snippet: |\n          y\n"
               "        end_snippet: |\n          z\n"
               "        content: |\n          c\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 0);
    CHECK(p->changes[0].mods[0].ok);
    ap_patch_free(p);
}

static void test_content_rules(void)
{
    /* missing on REPLACE / INSERT: the modification's first line */
    const char *src = HEAD "      - action: REPLACE\n        snippet: |\n          y\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "action: REPLACE"),
               off(src, "action: REPLACE") + 15, 0, 0);
    src = HEAD "      - action: INSERT_BEFORE\n        snippet: |\n          y\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "action: INSERT_BEFORE"),
               off(src, "action: INSERT_BEFORE") + 21, 0, 0);
    src = HEAD "      - action: CREATE_FILE\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "action: CREATE_FILE"),
               off(src, "action: CREATE_FILE") + 19, 0, 0);
    /* present on DELETE: its key */
    src = HEAD "      - action: DELETE\n        snippet: |\n          y\n"
               "        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "content"), off(src, "content") + 7, 0, 0);
    /* nothing to locate: the first line */
    src = HEAD "      - action: REPLACE\n        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "action: REPLACE"),
               off(src, "action: REPLACE") + 15, 0, 0);
    src = HEAD "      - action: DELETE\n        anchor: |\n          a\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "action: DELETE"), off(src, "action: DELETE") + 14,
               0, 0);
    /* CREATE_FILE must come first; its locating keys are ignored (a warning) */
    src = HEAD "      - action: CREATE_FILE\n        content: \"\"\n        snippet: |\n          x\n"
               "      - action: CREATE_FILE\n        content: |\n          y\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off_k(src, "CREATE_FILE", 1),
               off_k(src, "CREATE_FILE", 1) + 11, 0, 1);
    ap_patch *p = parse(src);
    const ap_problem *q = find(p, AP_UNKNOWN_KEY, 0);
    CHECK_PROBLEM(q, AP_UNKNOWN_KEY, AP_WARNING, off(src, "snippet"), off(src, "snippet") + 7, 0, 0);
    CHECK(p->changes[0].mods[0].ok);
    ap_patch_free(p);
}

static void test_empty_snippet(void)
{
    /* an empty literal block: the '|' */
    const char *src = HEAD "      - action: REPLACE\n        snippet: |\n\n        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "|"), off(src, "|") + 1, 0, 0);
    src = HEAD "      - action: REPLACE\n        snippet: |  # nothing\n        content: |\n          c\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "|"), off(src, "|") + 1, 0, 0);
    /* only white space: blank lines and a no-break space (U+00A0), which
     * YAML keeps as text and matching strips */
    src = HEAD "      - action: DELETE\n        snippet: |\n\n          \xc2\xa0\n\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "\xc2\xa0"), off(src, "\xc2\xa0") + 2, 0, 0);
    ap_patch *p = parse(src);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "\n\xc2\xa0\n");
    CHECK(!p->changes[0].mods[0].ok);
    ap_patch_free(p);
    /* quoted empty and blank */
    src = HEAD "      - action: DELETE\n        snippet: \"\"\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "\"\""), off(src, "\"\"") + 2, 0, 0);
    src = HEAD "      - action: DELETE\n        snippet: \"  \\t \"\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "\"  "), off(src, "\\t \"") + 4, 0, 0);
    /* empty anchor and end_snippet */
    src = HEAD "      - action: DELETE\n        anchor: \"\"\n        snippet: |\n          x\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "\"\""), off(src, "\"\"") + 2, 0, 0);
    /* empty content is allowed */
    src = HEAD "      - action: REPLACE\n        snippet: |\n          x\n        content: |\n";
    p = parse(src);
    CHECK_INT(p->n_problems, 0);
    CHECK(p->changes[0].mods[0].ok);
    ap_patch_free(p);
}

/* ------------------------------------------------------- many at once */

static void test_several_problems(void)
{
    const char *src = "version: 2.0\n"
                      "changes:\n"
                      "  - file_path: a.txt\n"
                      "    newline: LFCR\n"
                      "    modifications:\n"
                      "      - action: FROB\n"
                      "        snippet: |\n          x\n"
                      "      - action: DELETE\n"
                      "        snippet: |\n          y\n"
                      "      - action: REPLACE\n"
                      "        snippet: 7\n"
                      "        content: |\n          z\n"
                      "  - file_path: b.txt\n"
                      "    modifications:\n"
                      "      - action: DELETE\n"
                      "        snippet: |\n          y\n"
                      "        content: |\n          c\n"
                      "        include_leading_blank_lines: -2\n";
    ap_patch *p = parse(src);
    CHECK(p->has_errors);
    CHECK_INT(count_sev(p, AP_ERROR), 5);
    CHECK_INT(p->n_problems, 6);
    if (p->n_problems == 6) {
        /* in text order (the unquoted version is a slip: a warning) */
        CHECK_PROBLEM(&p->problems[0], AP_VERSION_NUMBER, AP_WARNING, 9, 12, -1, -1);
        CHECK_PROBLEM(&p->problems[1], AP_INVALID_PATCH_FILE, AP_ERROR, off(src, "LFCR"),
                      off(src, "LFCR") + 4, 0, -1);
        CHECK_PROBLEM(&p->problems[2], AP_INVALID_MODIFICATION, AP_ERROR, off(src, "FROB"),
                      off(src, "FROB") + 4, 0, 0);
        CHECK_PROBLEM(&p->problems[3], AP_INVALID_MODIFICATION, AP_ERROR, off(src, "7\n"),
                      off(src, "7\n") + 1, 0, 2);
        CHECK_PROBLEM(&p->problems[4], AP_INVALID_MODIFICATION, AP_ERROR, off_k(src, "content", 1),
                      off_k(src, "content", 1) + 7, 1, 0);
        CHECK_PROBLEM(&p->problems[5], AP_INVALID_MODIFICATION, AP_ERROR, off(src, "-2"),
                      off(src, "-2") + 2, 1, 0);
    }
    if (p->n_changes == 2 && p->changes[0].n_mods == 3) {
        CHECK(!p->changes[0].ok); /* its newline is bad */
        CHECK(!p->changes[0].mods[0].ok);
        CHECK(p->changes[0].mods[1].ok);
        CHECK(!p->changes[0].mods[2].ok);
        CHECK(p->changes[1].ok);
        CHECK(!p->changes[1].mods[0].ok);
    } else {
        CHECK(!"two changes, three modifications in the first");
    }
    ap_patch_free(p);
}

static void test_warnings(void)
{
    const char *src = "version: \"2.0\"\n"
                      "extra: 1\n"
                      "changes:\n"
                      "  - file_path: a\n"
                      "    colour: red\n"
                      "    modifications:\n"
                      "      - action: REPLACE\n"
                      "        snipet: |\n          x\n"
                      "        snippet: 'x'\n"
                      "        anchor: plain text\n"
                      "        content: >\n"
                      "          folded\n"
                      "          text\n"
                      "      - action: DELETE\n"
                      "        snippet: \"a\\tb\"\n"
                      "      - action: REPLACE\n"
                      "        snippet: |\n          x\n"
                      "        content: \"\"\n";
    ap_patch *p = parse(src);
    CHECK(!p->has_errors);
    CHECK_INT(count_sev(p, AP_ERROR), 0);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 3);
    CHECK_INT(count_code(p, AP_SCALAR_STYLE), 4);
    CHECK_PROBLEM(find(p, AP_UNKNOWN_KEY, 0), AP_UNKNOWN_KEY, AP_WARNING, off(src, "extra"),
                  off(src, "extra") + 5, -1, -1);
    CHECK_PROBLEM(find(p, AP_UNKNOWN_KEY, 1), AP_UNKNOWN_KEY, AP_WARNING, off(src, "colour"),
                  off(src, "colour") + 6, 0, -1);
    CHECK_PROBLEM(find(p, AP_UNKNOWN_KEY, 2), AP_UNKNOWN_KEY, AP_WARNING, off(src, "snipet"),
                  off(src, "snipet") + 6, 0, 0);
    CHECK_PROBLEM(find(p, AP_SCALAR_STYLE, 0), AP_SCALAR_STYLE, AP_WARNING, off(src, "'x'"),
                  off(src, "'x'") + 3, 0, 0);
    CHECK_PROBLEM(find(p, AP_SCALAR_STYLE, 1), AP_SCALAR_STYLE, AP_WARNING, off(src, "plain text"),
                  off(src, "plain text") + 10, 0, 0);
    /* a folded block: its content, first character to end of last line */
    CHECK_PROBLEM(find(p, AP_SCALAR_STYLE, 2), AP_SCALAR_STYLE, AP_WARNING, off(src, "folded"),
                  off(src, "          text\n") + 14, 0, 0);
    CHECK_PROBLEM(find(p, AP_SCALAR_STYLE, 3), AP_SCALAR_STYLE, AP_WARNING, off(src, "\"a\\tb\""),
                  off(src, "\"a\\tb\"") + 6, 0, 1);
    CHECK(strstr(find(p, AP_SCALAR_STYLE, 2)->message, "folded") != NULL);
    CHECK(strstr(find(p, AP_SCALAR_STYLE, 3)->message, "double-quoted") != NULL);
    /* warnings do not make the modifications unusable */
    CHECK(p->changes[0].ok);
    for (size_t i = 0; i < p->changes[0].n_mods; i++)
        CHECK(p->changes[0].mods[i].ok);
    CHECK_STR(p->changes[0].mods[0].content.value, "folded text\n");
    CHECK_STR(p->changes[0].mods[1].snippet.value, "a\tb");
    /* a folded block has no per-line map */
    CHECK_INT(p->changes[0].mods[0].content.n_lines, 0);
    CHECK(p->changes[0].mods[0].content.line_at == NULL);
    ap_patch_free(p);
}

/* ------------------------------------- YAML as PyYAML (the reference) reads it */

/* A patch whose YAML PyYAML reads: no YAML problem at all. */
static ap_patch *clean(const char *src, int line)
{
    ap_patch *p = parse(src);
    if (p->yaml_error) {
        fprintf(stderr, "  parse_test.c:%d: YAML refused:\n", line);
        for (size_t i = 0; i < p->n_problems; i++)
            fprintf(stderr, "    %s [%u,%u) '%s': %s\n", ap_code_name(p->problems[i].code),
                    p->problems[i].span.start, p->problems[i].span.end,
                    span_str(p, p->problems[i].span), p->problems[i].message);
        check_failed_in_test++;
    }
    return p;
}
#define CLEAN(src) clean((src), __LINE__)

/* A patch whose YAML PyYAML refuses: a YAML problem on [start, end). */
static void yaml_refused(const char *src, uint32_t start, uint32_t end, int line)
{
    ap_patch *p = parse(src);
    bool found = false;
    for (size_t i = 0; i < p->n_problems; i++)
        found |= p->problems[i].code == AP_INVALID_PATCH_FILE && p->problems[i].span.start == start &&
                 p->problems[i].span.end == end;
    if (!p->yaml_error || !p->has_errors || !found) {
        fprintf(stderr, "  parse_test.c:%d: want a YAML problem at [%u,%u) '%.*s'; got%s:\n", line,
                start, end, (int)(end - start), src + start, p->yaml_error ? "" : " no YAML error");
        for (size_t i = 0; i < p->n_problems; i++)
            fprintf(stderr, "    %s [%u,%u) '%s': %s\n", ap_code_name(p->problems[i].code),
                    p->problems[i].span.start, p->problems[i].span.end,
                    span_str(p, p->problems[i].span), p->problems[i].message);
        check_failed_in_test++;
    }
    ap_patch_free(p);
}
#define YAML_REFUSED(src, start, end) yaml_refused((src), (start), (end), __LINE__)
/* ... on the first occurrence of needle, n bytes */
#define YAML_REFUSED_AT(src, needle, n)                                                            \
    yaml_refused((src), off((src), (needle)), off((src), (needle)) + (n), __LINE__)

/* issue 11: a literal block whose first line is spaces and a tab (C, Go,
 * Makefiles) is valid YAML for PyYAML; libyaml alone refuses it */
static void test_tab_indented_blocks(void)
{
    const char *src = HEAD "      - action: REPLACE\n"
                           "        snippet: |\n"
                           "          \tfprintf(stderr, \"x\");\n"
                           "          \treturn 1;\n"
                           "        content: |\n"
                           "          \tfputs(\"x\", stderr);\n"
                           "      - action: DELETE\n"
                           "        snippet: |-\n"
                           "          \t\tgone();\n"
                           "          }\n";
    ap_patch *p = CLEAN(src);
    CHECK_INT(p->n_problems, 0);
    CHECK(!p->has_errors);
    CHECK(p->reparsable);
    if (p->n_changes == 1 && p->changes[0].n_mods == 2) {
        const ap_mod *m = &p->changes[0].mods[0];
        CHECK(m->ok);
        CHECK_STR(m->snippet.value, "\tfprintf(stderr, \"x\");\n\treturn 1;\n");
        CHECK_INT(m->snippet.indent, 10);
        CHECK_INT(m->snippet.n_lines, 2);
        if (m->snippet.n_lines == 2) {
            CHECK_INT(m->snippet.line_at[0], off(src, "\tfprintf"));
            CHECK_INT(m->snippet.line_at[1], off(src, "\treturn"));
        }
        CHECK_INT(m->snippet.span.start, off(src, "\tfprintf"));
        CHECK_INT(m->snippet.span.end, off(src, "return 1;") + 9);
        CHECK_STR(m->content.value, "\tfputs(\"x\", stderr);\n");
        CHECK_INT(m->content.span.start, off(src, "\tfputs"));
        m = &p->changes[0].mods[1];
        CHECK(m->ok);
        CHECK_INT(m->action, AP_DELETE);
        CHECK_STR(m->snippet.value, "\t\tgone();\n}");
        CHECK_INT(m->snippet.line_at[0], off(src, "\t\tgone"));
    } else {
        CHECK(!"one change of two modifications");
    }
    ap_patch_free(p);

    /* blank lines before it (no more spaces than the tab's column) */
    src = HEAD "      - action: DELETE\n"
               "        snippet: |\n"
               "\n"
               "          \n"
               "          \tx\n";
    p = CLEAN(src);
    CHECK_INT(p->n_problems, 0);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "\n\n\tx\n");
    ap_patch_free(p);

    /* an indentless list, CRLF and a kept final break */
    src = "version: \"2.0\"\r\nchanges:\r\n- file_path: a\r\n  modifications:\r\n"
          "  - action: DELETE\r\n    snippet: |+\r\n      \tx\r\n\r\n";
    p = CLEAN(src);
    CHECK_INT(p->n_problems, 0);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "\tx\n\n");
    CHECK_INT(p->changes[0].mods[0].snippet.line_at[0], off(src, "\tx"));
    ap_patch_free(p);

    /* folded: PyYAML does not fold a line that starts with a tab */
    src = HEAD "      - action: REPLACE\n"
               "        snippet: x\n"
               "        content: >\n"
               "          \tone\n"
               "          two\n"
               "          three\n";
    p = CLEAN(src);
    CHECK_STR(p->changes[0].mods[0].content.value, "\tone\ntwo three\n");
    ap_patch_free(p);
    src = HEAD "      - action: REPLACE\n"
               "        snippet: x\n"
               "        content: >\n"
               "          \tone\n"
               "\n"
               "          two\n";
    p = CLEAN(src);
    CHECK_STR(p->changes[0].mods[0].content.value, "\tone\n\ntwo\n");
    ap_patch_free(p);

    /* what PyYAML refuses too, on the tab: a tab at column 0, a blank line
     * with more spaces before it, a tab left of the key's column */
    src = HEAD "      - action: DELETE\n        snippet: |\n\tx\n";
    YAML_REFUSED_AT(src, "\tx", 1);
    src = HEAD "      - action: DELETE\n        snippet: |\n              \n          \tx\n";
    YAML_REFUSED_AT(src, "\tx", 1);
    src = HEAD "      - action: DELETE\n        snippet: |\n        \tx\n";
    YAML_REFUSED_AT(src, "\tx", 1);
    /* one column right of the key is enough */
    src = HEAD "      - action: DELETE\n        snippet: |\n         \tx\n";
    p = CLEAN(src);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "\tx\n");
    ap_patch_free(p);

    /* not a block: a '|' ending a line of another block's content */
    src = HEAD "      - action: DELETE\n"
               "        snippet: |\n"
               "          cat x |\n"
               "          \tgrep y\n";
    p = CLEAN(src);
    CHECK_INT(p->n_problems, 0);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "cat x |\n\tgrep y\n");
    ap_patch_free(p);
}

/* PyYAML never takes a tab for a separator; libyaml does */
static void test_tabs_pyyaml_refuses(void)
{
    const char *src = HEAD "      - action:\tDELETE\n        snippet: |\n          x\n";
    YAML_REFUSED_AT(src, "\tDELETE", 1);
    src = HEAD "      - action: DELETE\n        snippet: \"x\"\t# note\n";
    YAML_REFUSED_AT(src, "\t#", 1);
    src = HEAD "      - action: DELETE\n        snippet: a\tb\n";
    YAML_REFUSED_AT(src, "\tb", 1);
    src = HEAD "      - action: DELETE\n        snippet: |\t\n          x\n";
    YAML_REFUSED_AT(src, "\t\n", 1);
    src = "version: \"2.0\"\nchanges: []\nx: [a,\tb]\n";
    YAML_REFUSED_AT(src, "\tb", 1);
    src = "version: \"2.0\"\t\nchanges: []\n";
    YAML_REFUSED_AT(src, "\t", 1);
    src = "---\t\nversion: \"2.0\"\nchanges: []\n";
    YAML_REFUSED(src, 3, 4);
    /* "|#": PyYAML wants a space before the comment */
    src = HEAD "      - action: DELETE\n        snippet: |#note\n          x\n";
    YAML_REFUSED_AT(src, "#note", 1);
    /* '?' inside a flow plain scalar ends it for PyYAML */
    src = "version: \"2.0\"\nchanges: []\nx: [a?b]\n";
    YAML_REFUSED_AT(src, "?b", 1);
    /* tabs in comments, quoted scalars and block content are fine */
    src = "# a\tcomment\nversion: \"2.0\"  #\tnote\nchanges:\n  - file_path: a\n    modifications:\n"
          "      - action: DELETE\n        snippet: \"a\\tb\tc\"\n"
          "      - action: DELETE\n        snippet: | #\tnote\n          x\ty\n";
    ap_patch *p = CLEAN(src);
    CHECK(!p->has_errors);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "a\tb\tc");
    CHECK_STR(p->changes[0].mods[1].snippet.value, "x\ty\n");
    ap_patch_free(p);
}

/* issue 11: tags PyYAML's safe loader has no constructor for are refused,
 * on the tag; the core ones read as PyYAML reads them */
static void test_tags(void)
{
    const char *src = "version: !!python/object:os.system \"2.0\"\nchanges: []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "!!python"), off(src, " \"2.0\""), -1, -1);
    ap_patch *p = parse(src);
    CHECK(p->yaml_error);
    CHECK(p->version.refused);
    CHECK(!p->version.is_string);
    CHECK(strstr(p->problems[0].message, "!!python/object:os.system") != NULL);
    ap_patch_free(p);
    src = HEAD "      - action: DELETE\n        snippet: !foo |\n          x\n"
               "      - action: DELETE\n        snippet: !<tag:example.com,2000:x> y\n";
    p = parse(src);
    CHECK_INT(count_sev(p, AP_ERROR), 2);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 0), AP_INVALID_PATCH_FILE, AP_ERROR,
                  off(src, "!foo"), off(src, "!foo") + 4, -1, -1);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 1), AP_INVALID_PATCH_FILE, AP_ERROR,
                  off(src, "!<"), off(src, "> y") + 1, -1, -1);
    CHECK(!p->changes[0].mods[0].ok);
    CHECK(!p->changes[0].mods[1].ok);
    ap_patch_free(p);
    /* on a mapping or list too, and a local tag from a %TAG handle */
    src = "%TAG !e! tag:example.com,2000:\n---\nversion: \"2.0\"\nchanges: !e!list []\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "!e!list"), off(src, "!e!list") + 7, -1, -1);

    /* the core tags */
    src = HEAD "      - action: !!str DELETE\n"
               "        snippet: !<tag:yaml.org,2002:str> 12\n"
               "        include_leading_blank_lines: !!int \"3\"\n"
               "      - action: REPLACE\n"
               "        snippet: !!str |\n          x\n"
               "        content: !!null \"anything\"\n";
    p = CLEAN(src);
    CHECK(!p->has_errors);
    CHECK_INT(p->changes[0].mods[0].action, AP_DELETE);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "12");
    CHECK_INT(p->changes[0].mods[0].lead, 3);
    CHECK_STR(p->changes[0].mods[1].content.value, "");
    ap_patch_free(p);
    src = "version: !!str 2.0\nchanges: []\n";
    p = CLEAN(src);
    CHECK(!p->has_errors);
    CHECK_STR(p->version.value, "2.0");
    ap_patch_free(p);
    /* "!" resolves like a plain scalar, quoted or not (PyYAML's reading) */
    src = "version: ! \"2.0\"\nchanges: []\n";
    p = parse(src);
    CHECK(!p->yaml_error);
    CHECK(!p->has_errors);
    CHECK_PROBLEM(find(p, AP_VERSION_NUMBER, 0), AP_VERSION_NUMBER, AP_WARNING, off(src, "! "),
                  off(src, "0\"") + 2, -1, -1);
    CHECK(strstr(p->problems[0].message, "quote it") != NULL);
    ap_patch_free(p);
    /* a core tag on text it cannot read: the node */
    src = HEAD "      - action: DELETE\n        snippet: |\n          x\n"
               "        include_leading_blank_lines: !!int x\n";
    YAML_REFUSED(src, off(src, "!!int"), off(src, "!!int x") + 7);
    src = "version: \"2.0\"\nchanges: []\nx: !!bool maybe\n";
    YAML_REFUSED(src, off(src, "!!bool"), off(src, "maybe") + 5);
    src = "version: \"2.0\"\nchanges: []\nx: !!binary a\n";
    YAML_REFUSED(src, off(src, "!!binary"), off(src, " a\n") + 2);
    src = "version: \"2.0\"\nchanges: !!str [a]\n";
    YAML_REFUSED_AT(src, "!!str", 5);
    /* read, but not text: the schema's problem, not a YAML one */
    src = HEAD "      - action: DELETE\n        snippet: !!binary aGVsbG8=\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "!!binary"), off(src, "=\n") + 1, 0, 0);
    src = "version: \"2.0\"\nchanges: !!set {a}\n";
    ONLY_ERROR(src, AP_INVALID_PATCH_FILE, off(src, "!!set"), off(src, "{a}") + 3, -1, -1);
    p = parse(src);
    CHECK(strstr(p->problems[0].message, "a set") != NULL);
    ap_patch_free(p);
}

/* PyYAML resolves plain scalars by YAML 1.1: the reference sees these types */
static void test_yaml11_types(void)
{
    const char *src = HEAD "      - action: DELETE\n        snippet: yes\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "yes"), off(src, "yes") + 3, 0, 0);
    src = HEAD "      - action: DELETE\n        snippet: 2001-12-14\n";
    ONLY_ERROR(src, AP_INVALID_MODIFICATION, off(src, "2001"), off(src, "2001") + 10, 0, 0);
    /* text for PyYAML (an exponent wants a dot and a sign; 0o is not octal) */
    src = HEAD "      - action: REPLACE\n        snippet: 1e3\n        content: 0o17\n";
    ap_patch *p = CLEAN(src);
    CHECK_INT(count_sev(p, AP_ERROR), 0);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "1e3");
    CHECK_STR(p->changes[0].mods[0].content.value, "0o17");
    ap_patch_free(p);
    /* counts: binary, underscores, 0-octal, base 60 */
    const char *counts[][2] = {{"0b11", "3"}, {"1_0", "10"}, {"017", "15"}, {"1:30", "90"},
                               {"+0x1f", "31"}, {"0", "0"}};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 HEAD "      - action: DELETE\n        snippet: x\n"
                      "        include_trailing_blank_lines: %s\n",
                 counts[i][0]);
        p = CLEAN(buf);
        CHECK_INT(count_sev(p, AP_ERROR), 0);
        CHECK_INT(p->changes[0].mods[0].trail, atoi(counts[i][1]));
        ap_patch_free(p);
    }
    /* values PyYAML cannot construct: the node */
    src = HEAD "      - action: DELETE\n        snippet: 2001-02-30\n";
    YAML_REFUSED_AT(src, "2001", 10);
    src = HEAD "      - action: DELETE\n        snippet: 0x_\n";
    YAML_REFUSED_AT(src, "0x_", 3);
    src = HEAD "      - action: DELETE\n        snippet: =\n";
    YAML_REFUSED_AT(src, "=\n", 1);
    /* a boolean key is not the name "yes" */
    src = HEAD "      - action: DELETE\n        snippet: x\n        yes: 1\n";
    p = CLEAN(src);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 1);
    ap_patch_free(p);
}

/* anchors, merge keys and keys as PyYAML's composer and constructor take them */
static void test_anchors_merges_keys(void)
{
    const char *src = "version: &v \"2.0\"\nchanges: []\nx: &v 1\n";
    YAML_REFUSED(src, off_k(src, "&v", 1), off_k(src, "&v", 1) + 2);
    /* a merge key of an inline mapping */
    src = HEAD "      - <<: {action: DELETE, snippet: x}\n"
               "        snippet: y\n";
    ap_patch *p = CLEAN(src);
    CHECK_INT(count_sev(p, AP_ERROR), 0);
    if (p->n_changes == 1 && p->changes[0].n_mods == 1) {
        const ap_mod *m = &p->changes[0].mods[0];
        CHECK(m->ok);
        CHECK_INT(m->action, AP_DELETE);
        CHECK_STR(m->snippet.value, "y"); /* its own key wins */
        CHECK_INT(m->key_col, 8);
    }
    ap_patch_free(p);
    src = HEAD "      - <<: [{action: DELETE}, {action: REPLACE, snippet: x}]\n";
    p = CLEAN(src);
    CHECK_INT(p->changes[0].mods[0].action, AP_DELETE); /* the first mapping wins */
    CHECK_STR(p->changes[0].mods[0].snippet.value, "x");
    ap_patch_free(p);
    /* a merged mapping cut off by a syntax error: its dangling key is not
     * merged, so keys and values stay paired (found by fuzz_parse: 'DELETE'
     * became a key and a fix spanned backwards) */
    src = HEAD "      - <<: [{action: DELETE}, {snippet:  ]\n";
    p = ap_patch_parse(src, strlen(src));
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 0);
    for (size_t i = 0; i < p->n_problems; i++)
        for (size_t k = 0; k < p->problems[i].n_fixes; k++)
            CHECK(p->problems[i].fixes[k].span.start <= p->problems[i].fixes[k].span.end);
    ap_patch_free(p);
    src = "version: \"2.0\"\nchanges: []\nx: {<<: y}\n";
    YAML_REFUSED_AT(src, "y}", 1);
    src = "version: \"2.0\"\nchanges: []\nx: <<\n";
    YAML_REFUSED_AT(src, "<<", 2);
    /* a list as a key */
    src = "version: \"2.0\"\nchanges: []\n? [a]\n: b\n";
    YAML_REFUSED_AT(src, "[a]", 3);
}

static void test_stream_level(void)
{
    /* UTF-16: the reference reads UTF-8 */
    const char utf16[] = "\xff\xfev\0e\0r\0";
    ap_patch *p = ap_patch_parse(utf16, sizeof utf16 - 1);
    CHECK(p->yaml_error);
    CHECK_INT(p->n_problems, 1);
    CHECK_PROBLEM(&p->problems[0], AP_INVALID_PATCH_FILE, AP_ERROR, 0, 2, -1, -1);
    ap_patch_free(p);
    /* directives PyYAML ignores or reads and libyaml does not */
    const char *src = "%FOO bar\tbaz\n%YAML 1.3\n---\nversion: \"2.0\"\nchanges: []\n";
    p = CLEAN(src);
    CHECK_INT(p->n_problems, 0);
    CHECK_INT(p->version.span.start, off(src, "\"2.0\""));
    ap_patch_free(p);
    src = "%FOO\tbar\n---\nversion: \"2.0\"\nchanges: []\n";
    YAML_REFUSED(src, 4, 5);
    src = "%FOO bar\nversion: \"2.0\"\nchanges: []\n"; /* no "---" */
    p = parse(src);
    CHECK(p->yaml_error);
    ap_patch_free(p);
    /* a byte order mark later on is a character for PyYAML */
    src = "version: \"2.0\"\n\xef\xbb\xbf" "changes: []\n";
    p = parse(src);
    CHECK(!p->yaml_error);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 1);
    CHECK(strstr(find(p, AP_UNKNOWN_KEY, 0)->message, "\xef\xbb\xbf" "changes") != NULL);
    ap_patch_free(p);
}

/* --------------------------------------------------------- aliases */

static void test_aliases(void)
{
    const char *src = "version: &v \"2.0\"\n"
                      "changes:\n"
                      "  - file_path: a\n"
                      "    modifications:\n"
                      "      - action: DELETE\n"
                      "        snippet: &s |\n"
                      "          shared\n"
                      "      - action: INSERT_AFTER\n"
                      "        snippet: *s\n"
                      "        content: *s\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 0);
    CHECK_STR(p->version.value, "2.0");
    if (p->n_changes == 1 && p->changes[0].n_mods == 2) {
        const ap_mod *m = &p->changes[0].mods[1];
        CHECK(m->ok);
        CHECK_STR(m->snippet.value, "shared\n");
        CHECK_STR(m->content.value, "shared\n");
        /* the value's span is the alias, where this modification uses it
         * (not the anchored text, which may stand anywhere before it) */
        CHECK_INT(m->snippet.span.start, off(src, "*s"));
        CHECK_INT(m->snippet.span.end, off(src, "*s") + 2);
        CHECK_INT(m->snippet.key.start, off_k(src, "snippet", 1));
    }
    ap_patch_free(p);

    /* an alias to a mapping is refused (alias bombs stay harmless) */
    src = "version: \"2.0\"\n"
          "changes:\n"
          "  - &m\n"
          "    file_path: a\n"
          "    modifications: []\n"
          "  - *m\n";
    p = parse(src);
    CHECK(p->has_errors);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 0), AP_INVALID_PATCH_FILE, AP_ERROR, off(src, "*m"),
                  off(src, "*m") + 2, -1, -1);
    CHECK(p->changes[0].ok);
    if (p->n_changes == 2)
        CHECK(!p->changes[1].ok);
    ap_patch_free(p);

    src = "version: \"2.0\"\n"
          "base: &b [1, 2]\n"
          "changes:\n"
          "  - file_path: a\n"
          "    modifications:\n"
          "      - action: DELETE\n"
          "        snippet: *b\n";
    p = parse(src);
    CHECK(p->has_errors);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 0), AP_INVALID_PATCH_FILE, AP_ERROR, off(src, "*b"),
                  off(src, "*b") + 2, -1, -1);
    CHECK(!p->changes[0].mods[0].ok);
    ap_patch_free(p);

    /* an alias to no anchor */
    src = HEAD "      - action: DELETE\n        snippet: *nope\n";
    p = parse(src);
    CHECK(p->has_errors);
    CHECK_PROBLEM(find(p, AP_INVALID_PATCH_FILE, 0), AP_INVALID_PATCH_FILE, AP_ERROR,
                  off(src, "*nope"), off(src, "*nope") + 5, -1, -1);
    ap_patch_free(p);

    /* a billion laughs made of lists is refused at the first alias */
    src = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nversion: \"2.0\"\nchanges: []\n";
    p = parse(src);
    CHECK(p->has_errors);
    CHECK_INT(count_code(p, AP_INVALID_PATCH_FILE), 4);
    ap_patch_free(p);
}

/* ------------------------------------------------- BOM, CRLF, late error */

static void test_bom(void)
{
    const char *src = "\xef\xbb\xbfversion: \"2.0\"\n"
                      "changes:\n"
                      "  - file_path: \"\xc3\xa9t\xc3\xa9.txt\"\n"
                      "    modifications:\n"
                      "      - action: FROB\n"
                      "        snippet: |\n"
                      "          h\xc3\xa9llo \xf0\x9f\x8e\x89\n"
                      "          b\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 1);
    CHECK_PROBLEM(find(p, AP_INVALID_MODIFICATION, 0), AP_INVALID_MODIFICATION, AP_ERROR,
                  off(src, "FROB"), off(src, "FROB") + 4, 0, 0);
    CHECK_STR(p->version.value, "2.0");
    CHECK_INT(p->version.key.start, 3);
    if (p->n_changes == 1 && p->changes[0].n_mods == 1) {
        CHECK_STR(p->changes[0].file_path.value, "\xc3\xa9t\xc3\xa9.txt");
        /* after multibyte characters, offsets are still bytes */
        const ap_field *f = &p->changes[0].mods[0].snippet;
        CHECK_INT(f->n_lines, 2);
        if (f->n_lines == 2) {
            CHECK_INT(f->line_at[0], off(src, "h\xc3\xa9llo"));
            CHECK_INT(f->line_at[1], off(src, "b\n"));
        }
        CHECK_INT(f->span.end, off(src, "b\n") + 1);
    }
    ap_patch_free(p);
}

static void test_crlf_patch(void)
{
    const char *src = "version: \"2.0\"\r\n"
                      "changes:\r\n"
                      "  - file_path: a\r\n"
                      "    modifications:\r\n"
                      "      - action: DELETE\r\n"
                      "        snippet: |\r\n"
                      "          x\r\n"
                      "          y\r\n"
                      "      - action: NOPE\r\n"
                      "        snippet: |\r\n"
                      "          q\r\n";
    ap_patch *p = parse(src);
    CHECK_INT(p->n_problems, 1);
    CHECK_PROBLEM(&p->problems[0], AP_INVALID_MODIFICATION, AP_ERROR, off(src, "NOPE"),
                  off(src, "NOPE") + 4, 0, 1);
    const ap_mod *m = &p->changes[0].mods[0];
    CHECK(m->ok);
    CHECK_STR(m->snippet.value, "x\ny\n"); /* YAML normalises the breaks */
    CHECK_INT(m->snippet.n_lines, 2);
    if (m->snippet.n_lines == 2) {
        CHECK_INT(m->snippet.line_at[0], off(src, "x\r"));
        CHECK_INT(m->snippet.line_at[1], off(src, "y\r"));
    }
    CHECK_INT(m->snippet.span.start, off(src, "x\r"));
    CHECK_INT(m->snippet.span.end, off(src, "y\r") + 1);
    CHECK_INT(m->head.start, off(src, "action: DELETE"));
    CHECK_INT(m->head.end, off(src, "action: DELETE") + 14);
    ap_patch_free(p);
}

static void test_late_syntax_error(void)
{
    const char *src = HEAD "      - action: DELETE\n"
                           "        snippet: |\n          x\n"
                           "      - action: REPLACE\n"
                           "        snippet: |\n          y\n"
                           "        content: |\n          z\n"
                           "      - action: DELETE\n"
                           "        snippet: \"unterminated\n";
    ap_patch *p = parse(src);
    CHECK(p->has_errors);
    CHECK(count_code(p, AP_INVALID_PATCH_FILE) >= 1);
    if (p->n_changes == 1 && p->changes[0].n_mods == 3) {
        CHECK(p->changes[0].mods[0].ok);
        CHECK(p->changes[0].mods[1].ok);
        CHECK_STR(p->changes[0].mods[1].content.value, "z\n");
        CHECK(!p->changes[0].mods[2].ok);
    } else {
        CHECK(!"three modifications expected");
    }
    /* the syntax error is at the end, where the string runs out */
    const ap_problem *q = find(p, AP_INVALID_PATCH_FILE, 0);
    CHECK_INT(q->span.start, strlen(src));
    CHECK(strstr(q->message, "YAML syntax error") != NULL);
    ap_patch_free(p);

    /* an incomplete modification being typed: no "missing key" noise */
    src = HEAD "      - action: DELETE\n"
               "        snippet: |\n          x\n"
               "      - action: REPLACE\n"
               "        snippet: [\n";
    p = parse(src);
    CHECK(p->changes[0].mods[0].ok);
    for (size_t i = 0; i < p->n_problems; i++)
        CHECK(strstr(p->problems[i].message, "needs 'content'") == NULL);
    ap_patch_free(p);
}

static void test_limits(void)
{
    /* too big: refused whole */
    size_t n = AP_MAX_PATCH_BYTES + 1;
    char *big = ap_xmalloc(n);
    memset(big, '#', n);
    ap_patch *p = ap_patch_parse(big, n);
    CHECK(p->has_errors);
    CHECK_INT(p->n_problems, 1);
    CHECK_INT(p->problems[0].code, AP_INVALID_PATCH_FILE);
    CHECK_INT(p->n_changes, 0);
    ap_patch_free(p);
    free(big);

    /* deep nesting is refused, not a crash */
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "version: \"2.0\"\nchanges: []\nx: ");
    for (int i = 0; i < 200; i++)
        ap_buf_addc(&b, '[');
    for (int i = 0; i < 200; i++)
        ap_buf_addc(&b, ']');
    ap_buf_addc(&b, '\n');
    p = ap_patch_parse(b.s, b.len);
    CHECK(p->has_errors);
    CHECK(count_code(p, AP_INVALID_PATCH_FILE) >= 1);
    ap_patch_free(p);
    ap_buf_release(&b);

    /* many problems stop at a limit */
    ap_buf_adds(&b, HEAD);
    for (int i = 0; i < 1500; i++)
        ap_buf_adds(&b, "      - action: FROB\n        snippet: |\n          x\n");
    p = ap_patch_parse(b.s, b.len);
    CHECK_INT(p->n_problems, 1001);
    CHECK_INT(p->changes[0].n_mods, 1500);
    ap_patch_free(p);
    ap_buf_release(&b);
}

static void test_linecol_and_names(void)
{
    const char *s = "ab\r\nc\xc3\xa9" "d\ne\rf";
    uint32_t line, col;
    ap_linecol(s, strlen(s), 0, &line, &col);
    CHECK_INT(line, 0);
    CHECK_INT(col, 0);
    ap_linecol(s, strlen(s), 2, &line, &col);
    CHECK_INT(line, 0);
    CHECK_INT(col, 2);
    ap_linecol(s, strlen(s), 4, &line, &col); /* after CRLF */
    CHECK_INT(line, 1);
    CHECK_INT(col, 0);
    ap_linecol(s, strlen(s), 7, &line, &col); /* 'd', after a 2-byte é */
    CHECK_INT(line, 1);
    CHECK_INT(col, 2);
    ap_linecol(s, strlen(s), 11, &line, &col); /* 'f', after a lone CR */
    CHECK_INT(line, 3);
    CHECK_INT(col, 0);
    CHECK_STR(ap_code_name(AP_SNIPPET_NOT_FOUND), "SNIPPET_NOT_FOUND");
    CHECK_STR(ap_code_name(AP_INVALID_PATCH_FILE), "INVALID_PATCH_FILE");
    CHECK_STR(ap_code_name(AP_END_SNIPPET_NOT_FOUND), "END_SNIPPET_NOT_FOUND");
    CHECK_STR(ap_code_name(AP_CODE_COUNT), "UNKNOWN");
    CHECK_STR(ap_action_name(AP_ACTION_NONE), "");
    CHECK_STR(ap_action_name((ap_action)42), "");
}

int main(void)
{
    RUN(test_valid_patch);
    RUN(test_literal_block_lines);
    RUN(test_counts_and_null_content);
    RUN(test_syntax_error);
    RUN(test_tab_indentation);
    RUN(test_duplicate_keys);
    RUN(test_empty_document);
    RUN(test_root_not_mapping);
    RUN(test_version);
    RUN(test_changes);
    RUN(test_file_path);
    RUN(test_newline);
    RUN(test_modifications_list);
    RUN(test_mod_not_mapping);
    RUN(test_action);
    RUN(test_field_types);
    RUN(test_snippet_and_range);
    RUN(test_content_rules);
    RUN(test_empty_snippet);
    RUN(test_several_problems);
    RUN(test_warnings);
    RUN(test_tab_indented_blocks);
    RUN(test_tabs_pyyaml_refuses);
    RUN(test_tags);
    RUN(test_yaml11_types);
    RUN(test_anchors_merges_keys);
    RUN(test_stream_level);
    RUN(test_aliases);
    RUN(test_bom);
    RUN(test_crlf_patch);
    RUN(test_late_syntax_error);
    RUN(test_limits);
    RUN(test_linecol_and_names);
    return check_summary();
}
