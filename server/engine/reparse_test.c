/* reparse_test.c - ap_patch_reparse must give exactly what a full parse
 * gives: thousands of random edits of real patches, compared field by field,
 * and the incremental path must actually be taken for most of them. */
#include "check.h"
#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "same_patch.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static uint64_t rng = 88172645463325252ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* text with [at, at + del) replaced by ins. */
static char *spliced(const char *text, size_t len, size_t at, size_t del, const char *ins, size_t *out_len)
{
    size_t n = strlen(ins);
    char *out = malloc(len - del + n + 1);
    memcpy(out, text, at);
    memcpy(out + at, ins, n);
    memcpy(out + at + n, text + at + del, len - at - del);
    *out_len = len - del + n;
    out[*out_len] = '\0';
    return out;
}

/* One random edit of text at a random place: typing, deleting, a newline. */
static char *random_edit(const char *text, size_t len, size_t *out_len)
{
    static const char *const bits[] = {"x", " ", "\n", "  ", ": ", "- ", "|", "#", "\"", "é", "😀", "\t",
                                       "REPLACE", "\n        snippet: |\n          a\n", "",
                                       "\t\t", " \t", "!!str ", "!foo ", "<<: ", ">", "yes", "=", "%",
                                       "  - file_path: \"z.c\"\n    modifications:\n", "          # c\n", "# c\n",
                                       "\n      - action: DELETE\n        snippet: |\n          q\n", "\n\n", "|+",
                                       "\ne4a2f1b8 FILE\n", "x AP 3.2\n", "\xef\xbb\xbf"};
    size_t at = len ? next() % (len + 1) : 0;
    size_t del = next() % 4 == 0 ? next() % 3 : 0;
    if (at + del > len)
        del = len - at;
    const char *ins = next() % 3 == 0 ? "" : bits[next() % (sizeof bits / sizeof *bits)];
    return spliced(text, len, at, del, ins, out_len);
}

/* A patch of several changes and modifications, the shape editors hold. */
static char *big_patch(size_t *len)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "# Summary: many changes\nversion: \"2.0\"\nchanges:\n");
    for (int c = 0; c < 6; c++) {
        ap_buf_addf(&b, "  - file_path: \"src/f%d.c\"\n    modifications:\n", c);
        for (int m = 0; m < 5; m++) {
            ap_buf_addf(&b, "      - action: %s\n", m % 3 == 0 ? "REPLACE" : m % 3 == 1 ? "INSERT_AFTER" : "DELETE");
            ap_buf_addf(&b, "        snippet: |\n          int v%d_%d = %d;\n", c, m, m);
            if (m % 3 != 2)
                ap_buf_addf(&b, "        content: |\n          int v%d_%d = %d; // new\n", c, m, m + 1);
        }
        if (c == 3)
            ap_buf_adds(&b, "    newline: LF\n");
    }
    return ap_buf_detach(&b, len);
}

/* A patch of C code the way models write it: tab-indented blocks, a folded
 * one, YAML 1.1 values, a core tag, a merge key. */
static char *tab_patch(size_t *len)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "version: \"2.0\"\nchanges:\n");
    for (int c = 0; c < 4; c++) {
        ap_buf_addf(&b, "  - file_path: src/f%d.c\n    modifications:\n", c);
        for (int m = 0; m < 4; m++) {
            ap_buf_addf(&b, "      - action: %s\n", m % 2 ? "REPLACE" : "INSERT_AFTER");
            ap_buf_addf(&b, "        snippet: |\n          \tif (v%d_%d)\n          \t\treturn %d;\n", c, m, m);
            ap_buf_addf(&b, "        content: %s\n          \tx = %d;\n          y;\n", m == 3 ? ">" : "|-", m);
            if (m == 2)
                ap_buf_adds(&b, "        include_leading_blank_lines: !!int \"1\"\n"
                                "        include_trailing_blank_lines: 0b1\n");
        }
        if (c == 2)
            ap_buf_adds(&b, "      - <<: {action: DELETE}\n        snippet: |\n          \tgone();\n");
    }
    return ap_buf_detach(&b, len);
}

static void check_edits(const char *text, size_t len, int rounds, unsigned long *hits, int *fails)
{
    char *cur = malloc(len + 1);
    memcpy(cur, text, len);
    size_t cur_len = len;
    ap_patch *prev = ap_patch_parse(cur, cur_len);
    for (int i = 0; i < rounds; i++) {
        size_t nl;
        char *next_text = random_edit(cur, cur_len, &nl);
        unsigned long before = ap_reparse_hits;
        ap_patch *inc = ap_patch_reparse(prev, next_text, nl);
        ap_patch *full = ap_patch_parse(next_text, nl);
        *hits += ap_reparse_hits - before;
        if (!same_patch(inc, full)) {
            if ((*fails)++ < 3)
                fprintf(stderr, "  after an edit (round %d), text:\n%.*s\n---\n", i, (int)nl, next_text);
        }
        ap_patch_free(prev);
        ap_patch_free(full);
        prev = inc;
        free(cur);
        cur = next_text;
        cur_len = nl;
        /* keep the text near a valid patch: restart now and then */
        if (next() % 8 == 0) {
            free(cur);
            cur = malloc(len + 1);
            memcpy(cur, text, len);
            cur_len = len;
            ap_patch_free(prev);
            prev = ap_patch_parse(cur, cur_len);
        }
    }
    ap_patch_free(prev);
    free(cur);
}

static void test_matches_full_parse(void)
{
    unsigned long hits = 0;
    int fails = 0, total = 0;
    size_t len;
    char *big = big_patch(&len);
    check_edits(big, len, 4000, &hits, &fails);
    total += 4000;
    free(big);
    char *tabs = tab_patch(&len);
    check_edits(tabs, len, 4000, &hits, &fails);
    total += 4000;
    free(tabs);
    const char *dir = getenv("APLS_CONFORMANCE");
    DIR *d = opendir(dir ? dir : "tests/conformance/v2");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/patch.ap", dir ? dir : "tests/conformance/v2", e->d_name);
        char *text = read_all(path, &len);
        if (!text)
            continue;
        check_edits(text, len, 300, &hits, &fails);
        total += 300;
        free(text);
    }
    if (d)
        closedir(d);
    CHECK_INT(fails, 0);
    /* random edits mostly break the YAML; still, some stay inside an item */
    CHECK(hits > (unsigned long)total / 20);
}

/* Typing inside values, what an editor sends on every keystroke, is always
 * parsed one item only, and still gives what a full parse gives. */
static void typing(char *text, size_t len, const char *after)
{
    ap_patch *prev = ap_patch_parse(text, len);
    CHECK(prev->reparsable);
    unsigned long before = ap_reparse_hits;
    int fails = 0, rounds = 300;
    size_t k = strlen(after);
    for (int i = 0; i < rounds; i++) {
        /* a place inside a value: after `after` on some line */
        size_t at;
        do
            at = next() % len;
        while (!(at >= k && memcmp(text + at - k, after, k) == 0));
        char *t2 = malloc(len + 2);
        memcpy(t2, text, at);
        t2[at] = (char)('a' + i % 26);
        memcpy(t2 + at + 1, text + at, len - at);
        ap_patch *inc = ap_patch_reparse(prev, t2, len + 1);
        ap_patch *full = ap_patch_parse(t2, len + 1);
        fails += !same_patch(inc, full);
        ap_patch_free(prev);
        ap_patch_free(full);
        prev = inc;
        free(text);
        text = t2;
        len++;
    }
    CHECK_INT(fails, 0);
    CHECK_INT(ap_reparse_hits - before, rounds);
    ap_patch_free(prev);
    free(text);
}

static void test_typing_is_incremental(void)
{
    size_t len;
    char *text = big_patch(&len);
    typing(text, len, "int v");
    /* in tab-indented blocks too (issue 11) */
    text = tab_patch(&len);
    typing(text, len, "\tif (v");
}

static void test_identical_and_garbage(void)
{
    size_t len;
    char *big = big_patch(&len);
    ap_patch *a = ap_patch_parse(big, len);
    ap_patch *b = ap_patch_reparse(a, big, len);
    ap_patch *c = ap_patch_parse(big, len);
    CHECK(same_patch(b, c));
    ap_patch *g = ap_patch_reparse(b, "[[[", 3);
    ap_patch *h = ap_patch_parse("[[[", 3);
    CHECK(same_patch(g, h));
    ap_patch_free(a);
    ap_patch_free(b);
    ap_patch_free(c);
    ap_patch_free(g);
    ap_patch_free(h);
    free(big);
}

/* Reparses prev into text, checks it against a full parse and that it took
 * the path expected; frees prev, returns the new patch. */
static ap_patch *step(ap_patch *prev, const char *text, size_t len, ap_reparse expect)
{
    ap_patch *inc = ap_patch_reparse(prev, text, len);
    ap_patch *full = ap_patch_parse(text, len);
    CHECK(same_patch(inc, full));
    CHECK_INT(inc->reparsed, expect);
    ap_patch_free(prev);
    ap_patch_free(full);
    return inc;
}

/* What an editor does besides typing: a modification inserted at an item
 * boundary and taken out, a whole change deleted and put back, the same
 * text analysed again (a target changed). Each is parsed alone. */
static void test_items_inserted_and_deleted(void)
{
    size_t len;
    char *big = big_patch(&len);
    ap_patch *p = ap_patch_parse(big, len);
    /* a modification inserted before the third one of change 2 */
    const char *mark = strstr(big, "int v2_2 = 2;");
    size_t at = (size_t)(mark - big);
    while (strncmp(big + at, "\n      - action", 15) != 0) /* its item's dash line */
        at--;
    at++;
    const char *mod = "      - action: DELETE\n        snippet: |\n          int inserted = 1;\n";
    size_t n1;
    char *t1 = spliced(big, len, at, 0, mod, &n1);
    p = step(p, t1, n1, AP_REPARSE_CHANGES);
    p = step(p, big, len, AP_REPARSE_CHANGES); /* taken out */
    /* change 3 deleted whole, then put back */
    const char *c3 = strstr(big, "  - file_path: \"src/f3.c\"");
    const char *c4 = strstr(big, "  - file_path: \"src/f4.c\"");
    size_t n2;
    char *t2 = spliced(big, len, (size_t)(c3 - big), (size_t)(c4 - c3), "", &n2);
    p = step(p, t2, n2, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 5);
    p = step(p, big, len, AP_REPARSE_CHANGES);
    CHECK_INT(p->n_changes, 6);
    /* the last change deleted, and put back */
    const char *c5 = strstr(big, "  - file_path: \"src/f5.c\"");
    size_t n3;
    char *t3 = spliced(big, len, (size_t)(c5 - big), len - (size_t)(c5 - big), "", &n3);
    p = step(p, t3, n3, AP_REPARSE_CHANGES);
    p = step(p, big, len, AP_REPARSE_CHANGES);
    /* the same text: nothing parsed */
    p = step(p, big, len, AP_REPARSE_SAME);
    /* two changes at once (a paste over a boundary) */
    size_t n4;
    char *t4 = spliced(big, len, (size_t)(c3 - big) + 10, (size_t)(c4 - c3), "", &n4);
    p = step(p, t4, n4, AP_REPARSE_CHANGES);
    /* a comment-looking line pasted at the end of a block scalar, over the
     * next change's first line: the snippet's, not a comment */
    const char *two = strstr(t4, "int v3_4 = 4;\n");
    if (!two)
        two = strstr(t4, "int v2_4 = 4;\n");
    const char *next = strstr(two, "  - file_path:");
    size_t n6;
    char *t6 = spliced(t4, n4, (size_t)(next - t4) + 2, 0, "        # pasted\n  ", &n6);
    p = step(p, t6, n6, AP_REPARSE_FULL);
    p = step(p, t4, n4, AP_REPARSE_CHANGES);
    /* the line break before the next change deleted: its dash line glued on */
    size_t n7;
    char *t7 = spliced(t4, n4, (size_t)(next - t4) - 1, 1, "", &n7);
    p = step(p, t7, n7, AP_REPARSE_FULL);
    p = step(p, t4, n4, AP_REPARSE_FULL);
    free(t6);
    free(t7);
    /* typing in a modification still parses just it */
    size_t n5;
    char *t5 = spliced(t4, n4, (size_t)(strstr(t4, "int v0_1") - t4) + 3, 0, "x", &n5);
    p = step(p, t5, n5, AP_REPARSE_MOD);
    ap_patch_free(p);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(t5);
    free(big);
}

/* The same text again (a target changed) moves the model over, in 3.2
 * and after a YAML error too. */
static void test_same_text_any_format(void)
{
    const char *v3 = "e4a2f1b8 AP 3.2\ne4a2f1b8 FILE\na.txt\ne4a2f1b8 REPLACE\ne4a2f1b8 snippet\none\n"
                     "e4a2f1b8 content\nONE\ne4a2f1b8 DELETE\ne4a2f1b8 snippet\ntwo\ne4a2f1b8 END\n";
    const char *bad = "version: \"2.0\"\nchanges: [\n  - file_path: a\n";
    const char *texts[] = {v3, bad};
    for (size_t i = 0; i < 2; i++) {
        ap_patch *p = ap_patch_parse(texts[i], strlen(texts[i]));
        p = step(p, texts[i], strlen(texts[i]), AP_REPARSE_SAME);
        p = step(p, texts[i], strlen(texts[i]), AP_REPARSE_SAME);
        ap_patch_free(p);
    }
}

int main(void)
{
    RUN(test_identical_and_garbage);
    RUN(test_matches_full_parse);
    RUN(test_typing_is_incremental);
    RUN(test_items_inserted_and_deleted);
    RUN(test_same_text_any_format);
    return check_summary();
}
