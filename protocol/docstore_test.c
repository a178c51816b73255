/* docstore_test.c - open documents, edits in order by range, didOpen/
 * didChange/didClose params, encoding negotiation. */
#include "docstore.h"

#include "check.h"
#include "docsync.h"
#include "lsptypes.h"

#include <stdlib.h>

static lsp_change R(uint32_t l1, uint32_t c1, uint32_t l2, uint32_t c2, const char *text)
{
    lsp_change c = {true, {{l1, c1}, {l2, c2}}, text, strlen(text)};
    return c;
}

static lsp_change FULL(const char *text)
{
    lsp_change c = {false, {{0, 0}, {0, 0}}, text, strlen(text)};
    return c;
}

static lsp_doc *open_text(lsp_docstore *ds, const char *uri, const char *text)
{
    return lsp_docstore_open(ds, uri, "ap", 1, text, strlen(text));
}

static void test_open_find_close(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///w/a%20b.ap", "x");
    CHECK_STR(d->uri, "file:///w/a%20b.ap");
    CHECK_STR(d->path, "/w/a b.ap");
    CHECK_STR(d->language_id, "ap");
    CHECK(lsp_docstore_find_uri(ds, "file:///w/a b.ap") == d);
    CHECK(lsp_docstore_find_uri(ds, "file:///w/a%20%62.ap") == d);
    CHECK(lsp_docstore_find_path(ds, "/w/a b.ap") == d);
    CHECK(lsp_docstore_find_uri(ds, "file:///w/other.ap") == NULL);

    open_text(ds, "file:///w/c.ap", "c");
    open_text(ds, "file:///w/0.ap", "0");
    lsp_doc *u = open_text(ds, "untitled:Untitled-1", "u");
    CHECK(u->path == NULL);
    CHECK(lsp_docstore_find_uri(ds, "untitled:Untitled-1") == u);
    CHECK_INT(lsp_docstore_count(ds), 4);
    CHECK_STR(lsp_docstore_at(ds, 0)->path, "/w/0.ap");
    CHECK_STR(lsp_docstore_at(ds, 1)->path, "/w/a b.ap");
    CHECK_STR(lsp_docstore_at(ds, 2)->path, "/w/c.ap");
    CHECK(lsp_docstore_at(ds, 4) == NULL);

    /* Reopening by another spelling replaces, keeps one document. */
    lsp_doc *again = lsp_docstore_open(ds, "file:///w/a b.ap", "ap", 9, "new", 3);
    CHECK(again == d);
    CHECK_INT(lsp_docstore_count(ds), 4);
    CHECK_STR(d->text, "new");
    CHECK_INT(d->version, 9);

    CHECK_INT(lsp_docstore_close(ds, "file:///w/a%20b.ap"), 0);
    CHECK_INT(lsp_docstore_count(ds), 3);
    CHECK_INT(lsp_docstore_close(ds, "file:///w/a%20b.ap"), -1);
    CHECK(strstr(lsp_docstore_error(ds), "is not open") != NULL);
    lsp_docstore_free(ds);
}

/* The stamp tells texts apart where the version cannot: a document closed
 * and opened again with the same version, reopened without a close, or
 * changed without its version moving. */
static void test_stamp_moves_with_the_text(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///w/t.py", "one");
    uint64_t first = d->stamp;
    CHECK(first != 0);
    lsp_docstore_close(ds, "file:///w/t.py");
    d = open_text(ds, "file:///w/t.py", "two");
    CHECK_INT(d->version, 1);
    CHECK(d->stamp != first);
    uint64_t second = d->stamp;
    d = open_text(ds, "file:///w/t.py", "three");    /* reopened, no close */
    CHECK(d->stamp != second && d->stamp != first);
    uint64_t third = d->stamp;
    lsp_change c = FULL("four");
    CHECK_INT(lsp_docstore_change(ds, d, 1, &c, 1), 0); /* the version stays */
    CHECK(d->stamp != third);
    uint64_t fourth = d->stamp;
    lsp_change bad = R(0, 3, 0, 1, "x");
    CHECK_INT(lsp_docstore_change(ds, d, 2, &bad, 1), -1); /* refused: nothing moves */
    CHECK(d->stamp == fourth);
    lsp_docstore_free(ds);
}

static void test_utf16_edit_emoji(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///t", "a\xf0\x9f\x98\x80" "b\r\nc");
    /* 😀 is units 1..3 in UTF-16. */
    lsp_change c = R(0, 1, 0, 3, "X");
    CHECK_INT(lsp_docstore_change(ds, d, 2, &c, 1), 0);
    CHECK_STR(d->text, "aXb\r\nc");
    CHECK_INT(d->version, 2);
    /* Position inside a surrogate pair snaps to the character start. */
    d = open_text(ds, "file:///t", "a\xf0\x9f\x98\x80" "b");
    c = R(0, 2, 0, 2, "<");
    CHECK_INT(lsp_docstore_change(ds, d, 3, &c, 1), 0);
    CHECK_STR(d->text, "a<\xf0\x9f\x98\x80" "b");
    lsp_docstore_free(ds);
}

static void test_edit_spanning_emoji_and_crlf(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    /* UTF-16: delete from after "x" (0:1) to the start of line 1: 😀 and \r\n. */
    lsp_doc *d = open_text(ds, "file:///t", "x\xf0\x9f\x98\x80\r\ny");
    lsp_change c = R(0, 1, 1, 0, "");
    CHECK_INT(lsp_docstore_change(ds, d, 2, &c, 1), 0);
    CHECK_STR(d->text, "xy");
    CHECK_INT(lsp_lines_count(&d->lines), 1);

    /* UTF-8: é is 2 units, 😀 4. Replace 😀\r\n by "-". */
    lsp_docstore_set_encoding(ds, LSP_ENC_UTF8);
    CHECK_INT(lsp_docstore_encoding(ds), LSP_ENC_UTF8);
    d = open_text(ds, "file:///t", "\xc3\xa9\xf0\x9f\x98\x80\r\nz");
    c = R(0, 2, 1, 0, "-");
    CHECK_INT(lsp_docstore_change(ds, d, 3, &c, 1), 0);
    CHECK_STR(d->text, "\xc3\xa9-z");
    /* UTF-8 position inside 😀 snaps back. */
    d = open_text(ds, "file:///t", "\xf0\x9f\x98\x80!");
    c = R(0, 3, 0, 5, "?");
    CHECK_INT(lsp_docstore_change(ds, d, 4, &c, 1), 0);
    CHECK_STR(d->text, "?");
    lsp_docstore_free(ds);
}

static void test_changes_in_order(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///t", "abc\ndef");
    lsp_change cs[] = {
        R(0, 0, 0, 0, "X"),     /* Xabc\ndef */
        R(0, 1, 0, 2, ""),      /* Xbc\ndef: the range reads the text after change 1 */
        R(1, 3, 1, 3, "\nghi"), /* Xbc\ndef\nghi */
        R(2, 0, 2, 1, "G"),     /* Xbc\ndef\nGhi */
    };
    CHECK_INT(lsp_docstore_change(ds, d, 5, cs, 4), 0);
    CHECK_STR(d->text, "Xbc\ndef\nGhi");
    CHECK_INT(lsp_lines_count(&d->lines), 3);
    CHECK_INT(lsp_lines_start(&d->lines, 2), 8);
    CHECK(d->lines.text == d->text);
    lsp_docstore_free(ds);
}

static void test_full_replace(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///t", "old text");
    lsp_change cs[] = {FULL("one\ntwo"), R(1, 0, 1, 3, "2")};
    CHECK_INT(lsp_docstore_change(ds, d, 2, cs, 2), 0);
    CHECK_STR(d->text, "one\n2");
    CHECK_INT(d->len, 5);
    lsp_change empty = FULL("");
    CHECK_INT(lsp_docstore_change(ds, d, 3, &empty, 1), 0);
    CHECK_STR(d->text, "");
    CHECK_INT(lsp_lines_count(&d->lines), 1);
    lsp_docstore_free(ds);
}

static void test_invalid_range_is_atomic(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    lsp_doc *d = open_text(ds, "file:///t", "hello\nworld");
    lsp_change cs[] = {R(0, 0, 0, 0, ">"), R(1, 3, 0, 2, "x")};
    CHECK_INT(lsp_docstore_change(ds, d, 7, cs, 2), -1);
    CHECK_STR(d->text, "hello\nworld");
    CHECK_INT(d->version, 1);
    CHECK(strstr(lsp_docstore_error(ds), "before its start") != NULL);
    /* Out of range positions clamp rather than fail. */
    lsp_change far = R(0, 99, 99, 99, "!");
    CHECK_INT(lsp_docstore_change(ds, d, 8, &far, 1), 0);
    CHECK_STR(d->text, "hello!");
    lsp_docstore_free(ds);
}

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", err.text);
    return j;
}

static void test_did_messages(void)
{
    lsp_docstore *ds = lsp_docstore_new();
    json_t *p = J("{\"textDocument\":{\"uri\":\"file:///p/x.ap\",\"languageId\":\"ap\","
                  "\"version\":0,\"text\":\"a\\u00e9b\\n\"}}");
    lsp_doc *d = lsp_docstore_did_open(ds, p);
    json_decref(p);
    CHECK(d != NULL);
    CHECK_STR(d->text, "a\xc3\xa9" "b\n");

    /* eglot-style: rangeLength in Emacs characters (wrong for UTF-16) is ignored. */
    p = J("{\"textDocument\":{\"uri\":\"file:///p/x.ap\",\"version\":5},"
          "\"contentChanges\":[{\"range\":{\"start\":{\"line\":0,\"character\":1},"
          "\"end\":{\"line\":0,\"character\":2}},\"rangeLength\":7,\"text\":\"E\"},"
          "{\"text\":\"full\\n\"},"
          "{\"range\":{\"start\":{\"line\":1,\"character\":0},"
          "\"end\":{\"line\":1,\"character\":0}},\"text\":\"more\"}]}");
    CHECK(lsp_docstore_did_change(ds, p) == d);
    json_decref(p);
    CHECK_STR(d->text, "full\nmore");
    CHECK_INT(d->version, 5);

    /* Bad params change nothing. */
    const char *bad[] = {
        "{\"textDocument\":{\"uri\":\"file:///p/x.ap\",\"version\":6},"
        "\"contentChanges\":[{\"text\":\"ok\"},{\"range\":{\"start\":{\"line\":-1,"
        "\"character\":0},\"end\":{\"line\":0,\"character\":0}},\"text\":\"x\"}]}",
        "{\"textDocument\":{\"uri\":\"file:///p/x.ap\",\"version\":6},"
        "\"contentChanges\":[{\"text\":5}]}",
        "{\"textDocument\":{\"uri\":\"file:///p/x.ap\"},\"contentChanges\":[]}",
        "{\"textDocument\":{\"uri\":\"file:///p/nope.ap\",\"version\":6},"
        "\"contentChanges\":[]}",
        "{\"contentChanges\":[]}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        p = J(bad[i]);
        CHECK(lsp_docstore_did_change(ds, p) == NULL);
        json_decref(p);
    }
    CHECK_STR(d->text, "full\nmore");
    CHECK_INT(d->version, 5);

    p = J("{\"textDocument\":{\"uri\":\"file:///p/x.ap\",\"version\":1}}");
    CHECK(lsp_docstore_did_open(ds, p) == NULL); /* no text */
    json_decref(p);

    p = J("{\"textDocument\":{\"uri\":\"file:///p/%78.ap\"}}");
    CHECK_INT(lsp_docstore_did_close(ds, p), 0);
    CHECK_INT(lsp_docstore_did_close(ds, p), -1);
    json_decref(p);
    CHECK_INT(lsp_docstore_count(ds), 0);
    lsp_docstore_free(ds);
}

static void test_json_types(void)
{
    lsp_range r;
    json_t *j = J("{\"start\":{\"line\":1,\"character\":2},\"end\":{\"line\":3,"
                  "\"character\":4}}");
    CHECK(lsp_range_from_json(j, &r));
    CHECK_INT(r.start.line, 1);
    CHECK_INT(r.end.character, 4);
    json_decref(j);
    json_t *out = lsp_range_to_json(r);
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"end\":{\"character\":4,\"line\":3},\"start\":{\"character\":2,\"line\":1}}");
    free(s);
    json_decref(out);
    j = J("{\"line\":1.5,\"character\":0}");
    lsp_position p;
    CHECK(!lsp_position_from_json(j, &p));
    json_decref(j);
    j = J("{\"line\":99999999999,\"character\":0}");
    CHECK(lsp_position_from_json(j, &p));
    CHECK_INT(p.line, UINT32_MAX);
    json_decref(j);

    j = J("{\"capabilities\":{\"general\":{\"positionEncodings\":[\"utf-16\",\"utf-8\"]}}}");
    CHECK_INT(lsp_encoding_negotiate(j), LSP_ENC_UTF8);
    json_decref(j);
    j = J("{\"capabilities\":{\"general\":{\"positionEncodings\":[\"utf-32\",\"utf-16\"]}},"
          "\"offsetEncoding\":[\"utf-8\"]}");
    CHECK_INT(lsp_encoding_negotiate(j), LSP_ENC_UTF16);
    json_decref(j);
    CHECK_INT(lsp_encoding_negotiate(NULL), LSP_ENC_UTF16);
}

int main(void)
{
    RUN(test_open_find_close);
    RUN(test_stamp_moves_with_the_text);
    RUN(test_utf16_edit_emoji);
    RUN(test_edit_spanning_emoji_and_crlf);
    RUN(test_changes_in_order);
    RUN(test_full_replace);
    RUN(test_invalid_range_is_atomic);
    RUN(test_did_messages);
    RUN(test_json_types);
    return check_summary();
}
