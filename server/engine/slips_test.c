/* slips_test.c - the slips models make in 2.0 (parse.c; docs/format-2.0.md,
 * "Slips"): each is read as meant with one warning whose preferred fix
 * writes the strict form, the patch still applies (to the same bytes as its
 * strict twin), the fixed patch has no problem left, and --strict refuses
 * it. */
#include "one_file_test.h"
#pragma GCC diagnostic ignored "-Wunused-function" /* parse_test.h: helpers this file does not use */
#include "parse_test.h"

#include <stdlib.h>
#include <string.h>

static const char *FILE_A = "def f():\n    return 1\n";
static const char *WANT = "def f():\n    return 2\n";

#define STRICT_MOD                                                                                  \
    "      - action: REPLACE\n        snippet: |\n          return 1\n        content: |\n"       \
    "          return 2\n"

/* The file after running patch (NULL when the run fails). */
static char *result_of(const char *patch)
{
    one_run o = one_run_new("a.py", FILE_A, patch);
    char *out = NULL;
    if (o.r->ok && o.r->n_files == 1) {
        ap_run_render(o.r, 0);
        out = ap_xstrdup(o.r->files[0].after);
    }
    one_run_free(&o);
    return out;
}

/* One slip: parsed, it gives exactly one problem of code, a warning over
 * the text `at` with a preferred fix; the patch gives WANT; with the fix
 * it parses without any problem and gives WANT too; --strict refuses it. */
static void slip_case(const char *patch, ap_code code, const char *at, int line)
{
    int before = check_failed_in_test;
    ap_patch *p = parse(patch);
    CHECK_INT(p->n_problems, 1);
    CHECK(!p->has_errors);
    const ap_problem *pr = find(p, code, 0);
    CHECK_INT(pr->severity, AP_WARNING);
    if (at)
        CHECK_STR(span_str(p, pr->span), at);
    CHECK(pr->n_fixes == 1 && pr->fixes[0].preferred);
    char *got = result_of(patch);
    CHECK_STR(got ? got : "(fails)", WANT);
    free(got);
    if (pr->n_fixes == 1) {
        char *fixed = with_fix(patch, &pr->fixes[0]);
        ap_patch *q = parse(fixed);
        CHECK_INT(q->n_problems, 0);
        ap_patch_free(q);
        got = result_of(fixed);
        CHECK_STR(got ? got : "(fails)", WANT);
        free(got);
        free(fixed);
    }
    ap_patch_free(p);
    ap_patch *s = ap_patch_parse_opts(patch, strlen(patch), AP_PARSE_STRICT);
    CHECK(s->has_errors);
    ap_patch_free(s);
    if (check_failed_in_test == before)
        return;
    fprintf(stderr, "  (the case at slips_test.c:%d)\n", line);
}
#define SLIP(patch, code, at) slip_case((patch), (code), (at), __LINE__)

static void test_strict_twin_is_clean(void)
{
    const char *patch = "version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n" STRICT_MOD;
    ap_patch *p = parse(patch);
    CHECK_INT(p->n_problems, 0);
    ap_patch_free(p);
    char *got = result_of(patch);
    CHECK_STR(got ? got : "(fails)", WANT);
    free(got);
}

static void test_action_case(void)
{
    SLIP("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
         "      - action: replace\n        snippet: |\n          return 1\n        content: |\n"
         "          return 2\n",
         AP_ACTION_SPELLING, "replace");
    SLIP("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
         "      - action: \"Replace\"\n        snippet: |\n          return 1\n        content: |\n"
         "          return 2\n",
         AP_ACTION_SPELLING, "\"Replace\"");
    /* a separator for the underscore */
    ap_patch *p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
                        "      - action: insert-after\n        snippet: |\n          x\n        content: |\n"
                        "          y\n");
    CHECK_INT(p->changes[0].mods[0].action, AP_INSERT_AFTER);
    CHECK_STR(find(p, AP_ACTION_SPELLING, 0)->fixes[0].text, "INSERT_AFTER");
    ap_patch_free(p);
    /* a word that is no action stays an error */
    p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
              "      - action: frob\n        snippet: |\n          x\n        content: |\n          y\n");
    CHECK(p->has_errors);
    CHECK_INT(count_code(p, AP_ACTION_SPELLING), 0);
    ap_patch_free(p);
}

static void test_misspelled_keys(void)
{
    SLIP("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
         "      - action: REPLACE\n        snipet: |\n          return 1\n        content: |\n"
         "          return 2\n",
         AP_KEY_SPELLING, "snipet");
    SLIP("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
         "      - action: REPLACE\n        snippet: |\n          return 1\n        contnet: |\n"
         "          return 2\n",
         AP_KEY_SPELLING, "contnet");
    SLIP("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modificatons:\n" STRICT_MOD, AP_KEY_SPELLING,
         "modificatons");
    SLIP("version: \"2.0\"\nchange:\n  - file_path: a.py\n    modifications:\n" STRICT_MOD, AP_KEY_SPELLING,
         "change");
    SLIP("Version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n" STRICT_MOD, AP_KEY_SPELLING,
         "Version");
    /* the message and the fix name the key meant */
    ap_patch *p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
                        "      - action: REPLACE\n        snipet: |\n          return 1\n        content: |\n"
                        "          return 2\n");
    const ap_problem *pr = find(p, AP_KEY_SPELLING, 0);
    CHECK(strstr(pr->message, "'snipet' is read as 'snippet'") != NULL);
    CHECK_STR(pr->fixes[0].text, "snippet");
    CHECK_STR(pr->fixes[0].title, "Rename 'snipet' to 'snippet'");
    CHECK_STR(p->changes[0].mods[0].snippet.name, "snippet");
    ap_patch_free(p);
    /* the key meant is given too: the slip is ignored, as any unknown key */
    p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n"
              "      - action: REPLACE\n        snipet: |\n          other\n        snippet: |\n"
              "          return 1\n        content: |\n          return 2\n");
    CHECK_INT(count_code(p, AP_KEY_SPELLING), 0);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 1);
    CHECK(strstr(find(p, AP_UNKNOWN_KEY, 0)->message, "'snippet' is given too") != NULL);
    CHECK_STR(p->changes[0].mods[0].snippet.value, "return 1\n");
    ap_patch_free(p);
    /* too far from any key, or as near to two: unknown */
    p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.py\n    colour: red\n    modifications:\n" STRICT_MOD);
    CHECK_INT(count_code(p, AP_KEY_SPELLING), 0);
    CHECK_INT(count_code(p, AP_UNKNOWN_KEY), 1);
    ap_patch_free(p);
}

static void test_file_path_aliases(void)
{
    SLIP("version: \"2.0\"\nchanges:\n  - path: a.py\n    modifications:\n" STRICT_MOD, AP_KEY_SPELLING, "path");
    SLIP("version: \"2.0\"\nchanges:\n  - file: a.py\n    modifications:\n" STRICT_MOD, AP_KEY_SPELLING, "file");
    SLIP("version: \"2.0\"\nchanges:\n  - filepath: a.py\n    modifications:\n" STRICT_MOD, AP_KEY_SPELLING,
         "filepath");
}

static void test_version_number(void)
{
    SLIP("version: 2.0\nchanges:\n  - file_path: a.py\n    modifications:\n" STRICT_MOD, AP_VERSION_NUMBER,
         "2.0");
    /* other numbers are other versions */
    ap_patch *p = parse("version: 2\nchanges: []\n");
    CHECK(p->has_errors);
    CHECK_INT(count_code(p, AP_VERSION_NUMBER), 0);
    ap_patch_free(p);
    p = parse("version: 3.0\nchanges: []\n");
    CHECK(p->has_errors);
    ap_patch_free(p);
}

static void test_markdown_fence(void)
{
    const char *body = "version: \"2.0\"\nchanges:\n  - file_path: a.py\n    modifications:\n" STRICT_MOD;
    char buf[1024];
    snprintf(buf, sizeof buf, "```yaml\n%s```\n", body);
    SLIP(buf, AP_MARKDOWN_FENCE, "```yaml");
    /* the fix leaves exactly the patch inside */
    ap_patch *p = parse(buf);
    char *fixed = with_fix(buf, &p->problems[0].fixes[0]);
    CHECK_STR(fixed, body);
    free(fixed);
    ap_patch_free(p);
    /* blank lines around, no language, no closing fence */
    snprintf(buf, sizeof buf, "\n```\n%s\n```\n\n", body);
    SLIP(buf, AP_MARKDOWN_FENCE, "```");
    snprintf(buf, sizeof buf, "```yaml\n%s", body);
    SLIP(buf, AP_MARKDOWN_FENCE, "```yaml");
    /* CRLF */
    const char *crlf = "```yaml\r\nversion: \"2.0\"\r\nchanges:\r\n  - file_path: a.py\r\n    modifications:\r\n"
                       "      - action: REPLACE\r\n        snippet: |\r\n          return 1\r\n        content: |\r\n"
                       "          return 2\r\n```\r\n";
    SLIP(crlf, AP_MARKDOWN_FENCE, "```yaml");
    /* after a byte order mark */
    snprintf(buf, sizeof buf, "\xef\xbb\xbf```yaml\n%s```\n", body);
    SLIP(buf, AP_MARKDOWN_FENCE, "```yaml");
    /* a fence inside a block is content, not a fence */
    p = parse("version: \"2.0\"\nchanges:\n  - file_path: a.md\n    modifications:\n"
              "      - action: CREATE_FILE\n        content: |\n          ```\n          x\n          ```\n");
    CHECK_INT(p->n_problems, 0);
    CHECK_STR(p->changes[0].mods[0].content.value, "```\nx\n```\n");
    ap_patch_free(p);
}

int main(void)
{
    RUN(test_strict_twin_is_clean);
    RUN(test_action_case);
    RUN(test_misspelled_keys);
    RUN(test_file_path_aliases);
    RUN(test_version_number);
    RUN(test_markdown_fence);
    return check_summary();
}
