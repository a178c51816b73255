/* position_test.c - line index and position conversion in three encodings. */
#include "position.h"

#include "check.h"
#include "utf8.h"

#include <stdlib.h>

static const lsp_encoding all_enc[] = {LSP_ENC_UTF8, LSP_ENC_UTF16, LSP_ENC_UTF32};

static lsp_position P(uint32_t line, uint32_t character)
{
    lsp_position p = {line, character};
    return p;
}

/* Offset of (line, ch) in text under enc. */
static size_t off(const char *text, uint32_t line, uint32_t ch, lsp_encoding enc)
{
    lsp_lines li;
    lsp_lines_init(&li);
    lsp_lines_build(&li, text, strlen(text));
    size_t o = lsp_position_to_offset(&li, P(line, ch), enc);
    lsp_lines_release(&li);
    return o;
}

/* Position of offset in text under enc, as line * 1000 + character. */
static long pos(const char *text, size_t offset, lsp_encoding enc)
{
    lsp_lines li;
    lsp_lines_init(&li);
    lsp_lines_build(&li, text, strlen(text));
    lsp_position p = lsp_offset_to_position(&li, offset, enc);
    lsp_lines_release(&li);
    return (long)p.line * 1000 + p.character;
}

static void test_lines(void)
{
    lsp_lines li;
    lsp_lines_init(&li);
    CHECK_INT(lsp_lines_count(&li), 1);
    const char *t = "ab\ncd\r\nef\rgh\r\r\n";
    lsp_lines_build(&li, t, strlen(t));
    CHECK_INT(lsp_lines_count(&li), 6);
    CHECK_INT(lsp_lines_start(&li, 1), 3);
    CHECK_INT(lsp_lines_start(&li, 2), 7);
    CHECK_INT(lsp_lines_start(&li, 3), 10);
    CHECK_INT(lsp_lines_start(&li, 4), 13);
    CHECK_INT(lsp_lines_start(&li, 5), 15);
    CHECK_INT(lsp_lines_end(&li, 0), 2);
    CHECK_INT(lsp_lines_end(&li, 1), 5);  /* before \r\n */
    CHECK_INT(lsp_lines_end(&li, 2), 9);  /* before lone \r */
    CHECK_INT(lsp_lines_end(&li, 3), 12); /* "gh" then \r */
    CHECK_INT(lsp_lines_end(&li, 4), 13); /* empty line ended by \r\n */
    CHECK_INT(lsp_lines_end(&li, 5), 15);
    CHECK_INT(lsp_lines_end(&li, 99), 15);
    CHECK_INT(lsp_lines_line_of(&li, 0), 0);
    CHECK_INT(lsp_lines_line_of(&li, 6), 1); /* the \n of \r\n */
    CHECK_INT(lsp_lines_line_of(&li, 7), 2);
    CHECK_INT(lsp_lines_line_of(&li, 15), 5);
    CHECK_INT(lsp_lines_line_of(&li, 99), 5);
    lsp_lines_release(&li);
}

static void test_ascii_and_tabs(void)
{
    const char *t = "hello\n\tworld\n";
    for (int e = 0; e < 3; e++) {
        CHECK_INT(off(t, 0, 0, all_enc[e]), 0);
        CHECK_INT(off(t, 0, 5, all_enc[e]), 5);
        CHECK_INT(off(t, 1, 1, all_enc[e]), 7); /* a tab is one unit */
        CHECK_INT(pos(t, 8, all_enc[e]), 1002);
        CHECK_INT(off(t, 2, 0, all_enc[e]), 13);
    }
}

static void test_clamping(void)
{
    const char *t = "ab\r\ncd";
    for (int e = 0; e < 3; e++) {
        lsp_encoding enc = all_enc[e];
        CHECK_INT(off(t, 0, 99, enc), 2); /* end of line, before \r\n */
        CHECK_INT(off(t, 1, 99, enc), 6);
        CHECK_INT(off(t, 2, 0, enc), 6); /* past the last line: end of text */
        CHECK_INT(off(t, 99, 99, enc), 6);
        CHECK_INT(pos(t, 3, enc), 2);    /* between \r and \n */
        CHECK_INT(pos(t, 2, enc), 2);
        CHECK_INT(pos(t, 4, enc), 1000);
        CHECK_INT(pos(t, 99, enc), 1002); /* past the end */
        CHECK_INT(off("", 0, 0, enc), 0);
        CHECK_INT(off("", 3, 3, enc), 0);
        CHECK_INT(pos("", 5, enc), 0);
    }
}

static void test_lone_cr(void)
{
    const char *t = "ab\rcd";
    CHECK_INT(off(t, 1, 0, LSP_ENC_UTF16), 3);
    CHECK_INT(off(t, 1, 2, LSP_ENC_UTF16), 5);
    CHECK_INT(off(t, 0, 5, LSP_ENC_UTF16), 2);
    CHECK_INT(pos(t, 4, LSP_ENC_UTF16), 1001);
}

/* "é中😀x": é [0,2), 中 [2,5), 😀 [5,9), x [9,10). */
static const char *mixed = "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80x\nz";

static void test_multibyte_to_offset(void)
{
    /* utf-8: character counts bytes; inside a sequence snaps back. */
    CHECK_INT(off(mixed, 0, 1, LSP_ENC_UTF8), 0);
    CHECK_INT(off(mixed, 0, 2, LSP_ENC_UTF8), 2);
    CHECK_INT(off(mixed, 0, 4, LSP_ENC_UTF8), 2);
    CHECK_INT(off(mixed, 0, 5, LSP_ENC_UTF8), 5);
    CHECK_INT(off(mixed, 0, 8, LSP_ENC_UTF8), 5);
    CHECK_INT(off(mixed, 0, 9, LSP_ENC_UTF8), 9);
    CHECK_INT(off(mixed, 0, 10, LSP_ENC_UTF8), 10);
    /* utf-16: é 1, 中 1, 😀 2 units; inside the pair snaps to its start. */
    CHECK_INT(off(mixed, 0, 1, LSP_ENC_UTF16), 2);
    CHECK_INT(off(mixed, 0, 2, LSP_ENC_UTF16), 5);
    CHECK_INT(off(mixed, 0, 3, LSP_ENC_UTF16), 5);
    CHECK_INT(off(mixed, 0, 4, LSP_ENC_UTF16), 9);
    CHECK_INT(off(mixed, 0, 5, LSP_ENC_UTF16), 10);
    CHECK_INT(off(mixed, 0, 6, LSP_ENC_UTF16), 10);
    /* utf-32: one unit each. */
    CHECK_INT(off(mixed, 0, 1, LSP_ENC_UTF32), 2);
    CHECK_INT(off(mixed, 0, 2, LSP_ENC_UTF32), 5);
    CHECK_INT(off(mixed, 0, 3, LSP_ENC_UTF32), 9);
    CHECK_INT(off(mixed, 0, 4, LSP_ENC_UTF32), 10);
    CHECK_INT(off(mixed, 1, 1, LSP_ENC_UTF32), 12);
}

static void test_multibyte_to_position(void)
{
    CHECK_INT(pos(mixed, 9, LSP_ENC_UTF8), 9);
    CHECK_INT(pos(mixed, 9, LSP_ENC_UTF16), 4);
    CHECK_INT(pos(mixed, 9, LSP_ENC_UTF32), 3);
    /* Inside 😀 (offset 7): snaps to its start. */
    CHECK_INT(pos(mixed, 7, LSP_ENC_UTF8), 5);
    CHECK_INT(pos(mixed, 7, LSP_ENC_UTF16), 2);
    CHECK_INT(pos(mixed, 7, LSP_ENC_UTF32), 2);
    /* Inside é. */
    CHECK_INT(pos(mixed, 1, LSP_ENC_UTF16), 0);
    CHECK_INT(pos(mixed, 10, LSP_ENC_UTF16), 5);
    CHECK_INT(pos(mixed, 12, LSP_ENC_UTF16), 1001);
}

static void test_invalid_utf8(void)
{
    /* a, ff, b, e4 b8 (cut), c0 80 (overlong), ed a0 80 (surrogate), c */
    const char *t = "a\xff" "b\xe4\xb8" "\xc0\x80" "\xed\xa0\x80" "c";
    size_t n = strlen(t);
    for (int e = 0; e < 3; e++) {
        lsp_encoding enc = all_enc[e];
        CHECK_INT(lsp_units_in(t, n, enc), n); /* one unit per byte */
        for (size_t i = 0; i <= n; i++) {
            if (pos(t, i, enc) != (long)i || off(t, 0, (uint32_t)i, enc) != i) {
                fprintf(stderr, "  enc %d offset %zu\n", e, i);
                check_failed_in_test++;
            }
        }
    }
    /* A truncated sequence followed by a valid character. */
    const char *u = "\xe4\xb8\xc3\xa9";
    CHECK_INT(lsp_units_in(u, 4, LSP_ENC_UTF16), 3);
    CHECK_INT(lsp_bytes_for_units(u, 4, 2, LSP_ENC_UTF16), 2);
    CHECK_INT(lsp_bytes_for_units(u, 4, 3, LSP_ENC_UTF16), 4);
}

static void test_line_helpers(void)
{
    const char *s = "x\xf0\x9f\x98\x80y"; /* x 😀 y */
    CHECK_INT(lsp_units_in(s, 6, LSP_ENC_UTF8), 6);
    CHECK_INT(lsp_units_in(s, 6, LSP_ENC_UTF16), 4);
    CHECK_INT(lsp_units_in(s, 6, LSP_ENC_UTF32), 3);
    CHECK_INT(lsp_units_in(s, 3, LSP_ENC_UTF16), 3); /* x + 2 cut bytes */
    CHECK_INT(lsp_bytes_for_units(s, 6, 2, LSP_ENC_UTF16), 1);
    CHECK_INT(lsp_bytes_for_units(s, 6, 3, LSP_ENC_UTF16), 5);
    CHECK_INT(lsp_bytes_for_units(s, 6, 2, LSP_ENC_UTF32), 5);
    CHECK_INT(lsp_bytes_for_units(s, 6, 3, LSP_ENC_UTF8), 1);
    CHECK_INT(lsp_bytes_for_units(s, 6, 100, LSP_ENC_UTF8), 6);
    CHECK_INT(lsp_bytes_for_units(s, 6, 0, LSP_ENC_UTF16), 0);
}

/* Whether o starts a character (valid sequence or invalid byte) of t. */
static bool is_boundary(const char *t, size_t n, size_t o)
{
    for (size_t i = 0; i < n;) {
        if (i == o)
            return true;
        if (i > o)
            return false;
        uint32_t cp;
        size_t k = lsp_utf8_decode(t + i, n - i, &cp);
        i += k ? k : 1;
    }
    return o == n;
}

static void test_round_trip(void)
{
    const char *t = "\tfn(\xc3\xa9) {\r\n  \xe4\xb8\xad\xf0\x9f\x98\x80\xf0\x9f\x98\x80!\r"
                    "\xff\xfe tail\n\n\xe2\x82\xac";
    size_t n = strlen(t);
    lsp_lines li;
    lsp_lines_init(&li);
    lsp_lines_build(&li, t, n);
    int bad = 0;
    for (int e = 0; e < 3; e++) {
        for (size_t o = 0; o <= n; o++) {
            lsp_position p = lsp_offset_to_position(&li, o, all_enc[e]);
            size_t back = lsp_position_to_offset(&li, p, all_enc[e]);
            size_t line = lsp_lines_line_of(&li, o);
            bool in_break = o > lsp_lines_end(&li, line);
            bool boundary = is_boundary(t, n, o);
            if (back > n || back > o || (!in_break && boundary && back != o)) {
                if (bad++ < 5)
                    fprintf(stderr, "  enc %d offset %zu -> %u:%u -> %zu\n", e, o, p.line,
                            p.character, back);
            }
        }
    }
    CHECK_INT(bad, 0);
    lsp_lines_release(&li);
}

static void test_encoding_names(void)
{
    lsp_encoding e = LSP_ENC_UTF16;
    CHECK(lsp_encoding_parse("utf-8", &e));
    CHECK_INT(e, LSP_ENC_UTF8);
    CHECK(lsp_encoding_parse("utf-32", &e));
    CHECK_INT(e, LSP_ENC_UTF32);
    CHECK(!lsp_encoding_parse("latin1", &e));
    CHECK_INT(e, LSP_ENC_UTF32);
    CHECK_STR(lsp_encoding_name(LSP_ENC_UTF16), "utf-16");
}

/* Updating an index splice by splice gives what building it anew gives,
 * whatever the line breaks (LF, CRLF, lone CR, a CRLF made or split by the
 * splice) and wherever the splice falls. */
static void test_splice_matches_build(void)
{
    static const char *const bits[] = {"a", "bc", "\n", "\r", "\r\n", "x\ny", "\n\n", "\r\r", ""};
    unsigned seed = 12345;
    char *text = malloc(1);
    size_t len = 0;
    lsp_lines li;
    lsp_lines_init(&li);
    lsp_lines_build(&li, "", 0);
    int fails = 0;
    for (int round = 0; round < 20000 && fails < 3; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t start = len ? (seed >> 8) % (len + 1) : 0;
        seed = seed * 1103515245u + 12345u;
        size_t del = len - start ? (seed >> 8) % (len - start + 1) % 4 : 0;
        seed = seed * 1103515245u + 12345u;
        const char *ins = bits[(seed >> 8) % (sizeof bits / sizeof *bits)];
        size_t n = strlen(ins);
        if (len - del + n > 200) { /* keep it small: start again */
            del = len - start;
            n = 0;
            ins = "";
        }
        char *next = malloc(len - del + n + 1);
        memcpy(next, text, start);
        memcpy(next + start, ins, n);
        memcpy(next + start + n, text + start + del, len - start - del);
        size_t next_len = len - del + n;
        lsp_lines_splice(&li, next, next_len, start, start + del, start + n);
        lsp_lines want;
        lsp_lines_init(&want);
        lsp_lines_build(&want, next, next_len);
        bool same = want.count == li.count && memcmp(want.starts, li.starts, want.count * sizeof *want.starts) == 0;
        if (!same)
            fails++;
        lsp_lines_release(&want);
        free(text);
        text = next;
        len = next_len;
    }
    CHECK_INT(fails, 0);
    lsp_lines_release(&li);
    free(text);
}

int main(void)
{
    RUN(test_lines);
    RUN(test_ascii_and_tabs);
    RUN(test_clamping);
    RUN(test_lone_cr);
    RUN(test_multibyte_to_offset);
    RUN(test_multibyte_to_position);
    RUN(test_invalid_utf8);
    RUN(test_line_helpers);
    RUN(test_round_trip);
    RUN(test_encoding_names);
    RUN(test_splice_matches_build);
    return check_summary();
}
