/* framing_test.c - the Content-Length push parser under every chunking. */
#include "framing.h"

#include "check.h"

#include <stdlib.h>

/* Appends the events of draining f to out: "M<body>|" or "E<kind>|". */
static void drain(lsp_framer *f, char *out, size_t cap)
{
    lsp_frame fr;
    lsp_frame_status st;
    while ((st = lsp_framer_next(f, &fr)) != LSP_FRAME_NEED_MORE) {
        size_t n = strlen(out);
        if (st == LSP_FRAME_MESSAGE)
            snprintf(out + n, cap - n, "M%.*s|", (int)fr.len, fr.body);
        else
            snprintf(out + n, cap - n, "E%d|", (int)fr.error);
    }
}

/* The events of data fed in pieces of at most chunk bytes (0: all at once). */
static void run_chunked(const char *data, size_t len, size_t chunk, size_t max_body, char *out,
                        size_t cap)
{
    lsp_framer f;
    lsp_framer_init(&f, max_body);
    out[0] = '\0';
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t i = 0; i < len; i += chunk) {
        lsp_framer_feed(&f, data + i, len - i < chunk ? len - i : chunk);
        drain(&f, out, cap);
    }
    lsp_framer_release(&f);
}

/* The events of data fed as data[0..split) then data[split..len). */
static void run_split(const char *data, size_t len, size_t split, size_t max_body, char *out,
                      size_t cap)
{
    lsp_framer f;
    lsp_framer_init(&f, max_body);
    out[0] = '\0';
    lsp_framer_feed(&f, data, split);
    drain(&f, out, cap);
    lsp_framer_feed(&f, data + split, len - split);
    drain(&f, out, cap);
    lsp_framer_release(&f);
}

/* Checks that every two-piece split and every chunk size of data gives want. */
static void check_all_splits(const char *data, size_t max_body, const char *want)
{
    size_t len = strlen(data);
    char got[4096];
    run_chunked(data, len, 0, max_body, got, sizeof got);
    CHECK_STR(got, want);
    int bad = 0;
    for (size_t split = 0; split <= len; split++) {
        run_split(data, len, split, max_body, got, sizeof got);
        if (strcmp(got, want) != 0 && bad++ < 3)
            fprintf(stderr, "  split at %zu: got %s\n", split, got);
    }
    for (size_t chunk = 1; chunk <= 17; chunk++) {
        run_chunked(data, len, chunk, max_body, got, sizeof got);
        if (strcmp(got, want) != 0 && bad++ < 6)
            fprintf(stderr, "  chunks of %zu: got %s\n", chunk, got);
    }
    CHECK_INT(bad, 0);
}

static void test_single(void)
{
    check_all_splits("Content-Length: 2\r\n\r\n{}", 0, "M{}|");
}

static void test_coalesced_and_every_split(void)
{
    check_all_splits("Content-Length: 17\r\n\r\n{\"jsonrpc\":\"2.0\"}"
                     "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                     "Content-Length: 3\r\n\r\n[1]"
                     "content-length:5\n\nhello",
                     0, "M{\"jsonrpc\":\"2.0\"}|M[1]|Mhello|");
}

static void test_header_case_and_spacing(void)
{
    check_all_splits("CONTENT-LENGTH: 1\r\n\r\na"
                     "content-length: 1\r\n\r\nb"
                     "Content-length :\t1 \r\n\r\nc"
                     "X-Unknown: whatever\r\nContent-Length: 1\r\nX-Other: 1\r\n\r\nd",
                     0, "Ma|Mb|Mc|Md|");
}

static void test_empty_body(void)
{
    check_all_splits("Content-Length: 0\r\n\r\nContent-Length: 1\r\n\r\nx", 0, "M|Mx|");
}

static void test_blank_lines_between(void)
{
    check_all_splits("Content-Length: 1\r\n\r\nx\r\n\r\nContent-Length: 1\r\n\r\ny", 0,
                     "Mx|My|");
}

static void test_oversized_then_valid(void)
{
    /* Cap 10: the 20-byte body is skipped exactly, even when it looks like a
     * header, and the next message arrives. */
    check_all_splits("Content-Length: 20\r\n\r\nContent-Length: 1\r\n\r\n"
                     "Content-Length: 2\r\n\r\nok",
                     10, "E3|Mok|");
    /* At the cap exactly: accepted. */
    check_all_splits("Content-Length: 10\r\n\r\n0123456789", 10, "M0123456789|");
}

static void test_oversized_not_buffered(void)
{
    lsp_framer f;
    lsp_framer_init(&f, 0);
    const char *head = "Content-Length: 1000000000\r\n\r\n";
    lsp_framer_feed(&f, head, strlen(head));
    lsp_frame fr;
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_ERROR);
    CHECK_INT(fr.error, LSP_FRAME_TOO_LARGE);
    CHECK(strstr(fr.reason, "1000000000") != NULL);
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    size_t left = 1000000000;
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        lsp_framer_feed(&f, chunk, n);
        left -= n;
        if (lsp_framer_next(&f, &fr) != LSP_FRAME_NEED_MORE)
            break;
    }
    CHECK_INT(left, 0);
    CHECK(f.cap <= 65536);
    const char *next = "Content-Length: 2\r\n\r\n{}";
    lsp_framer_feed(&f, next, strlen(next));
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_MESSAGE);
    CHECK_INT(fr.len, 2);
    lsp_framer_release(&f);
}

static void test_malformed_length_then_valid(void)
{
    check_all_splits("Content-Length: abc\r\n\r\n{\"x\":1}Content-Length: 2\r\n\r\n{}", 0,
                     "E2|M{}|");
    check_all_splits("Content-Length: -1\r\n\r\nContent-Length: 2\r\n\r\n{}", 0, "E2|M{}|");
    check_all_splits("Content-Length: +5\r\n\r\nContent-Length: 2\r\n\r\n{}", 0, "E2|M{}|");
    check_all_splits("Content-Length: 5x\r\n\r\nContent-Length: 2\r\n\r\n{}", 0, "E2|M{}|");
    check_all_splits("Content-Length: \r\n\r\nContent-Length: 2\r\n\r\n{}", 0, "E2|M{}|");
    check_all_splits("Content-Length: 99999999999999999999999\r\n\r\nabc"
                     "Content-Length: 2\r\n\r\n{}",
                     0, "E2|M{}|");
    check_all_splits("Content-Length: 1\r\nContent-Length: 2\r\n\r\nxContent-Length: 2\r\n\r\n{}",
                     0, "E2|M{}|");
    /* Duplicates that agree are fine. */
    check_all_splits("Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 0, "M{}|");
}

static void test_missing_length(void)
{
    check_all_splits("Content-Type: text/plain\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}", 0,
                     "E2|M{}|");
}

static void test_bad_header_line(void)
{
    check_all_splits("garbage line\r\n\r\n{}Content-Length: 2\r\n\r\n{}", 0, "E1|M{}|");
}

static void test_header_too_long(void)
{
    size_t n = LSP_FRAME_HEADER_MAX + 100;
    char *data = malloc(n + 64);
    memset(data, 'a', n);
    strcpy(data + n, "\r\n\r\nContent-Length: 2\r\n\r\n{}");
    char got[256];
    run_chunked(data, strlen(data), 0, 0, got, sizeof got);
    CHECK_STR(got, "E1|M{}|");
    run_chunked(data, strlen(data), 1000, 0, got, sizeof got);
    CHECK_STR(got, "E1|M{}|");
    run_chunked(data, strlen(data), 1, 0, got, sizeof got);
    CHECK_STR(got, "E1|M{}|");
    free(data);
}

static void test_reason_text(void)
{
    lsp_framer f;
    lsp_framer_init(&f, 0);
    const char *s = "Content-Length: 12ab\r\n\r\n";
    lsp_framer_feed(&f, s, strlen(s));
    lsp_frame fr;
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_ERROR);
    CHECK_STR(fr.reason, "invalid Content-Length \"12ab\"");
    lsp_framer_release(&f);
}

static void test_idle(void)
{
    lsp_framer f;
    lsp_framer_init(&f, 0);
    lsp_frame fr;
    CHECK(lsp_framer_idle(&f));
    lsp_framer_feed(&f, "Content-Length: 2\r\n\r\n{", 22);
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_NEED_MORE);
    CHECK(!lsp_framer_idle(&f));
    lsp_framer_feed(&f, "}", 1);
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_MESSAGE);
    CHECK_INT(lsp_framer_next(&f, &fr), LSP_FRAME_NEED_MORE);
    CHECK(lsp_framer_idle(&f));
    lsp_framer_release(&f);
}

int main(void)
{
    RUN(test_single);
    RUN(test_coalesced_and_every_split);
    RUN(test_header_case_and_spacing);
    RUN(test_empty_body);
    RUN(test_blank_lines_between);
    RUN(test_oversized_then_valid);
    RUN(test_oversized_not_buffered);
    RUN(test_malformed_length_then_valid);
    RUN(test_missing_length);
    RUN(test_bad_header_line);
    RUN(test_header_too_long);
    RUN(test_reason_text);
    RUN(test_idle);
    return check_summary();
}
