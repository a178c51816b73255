/* fuzz_brackets.c - the bracket-balance readings against each other, on any
 * bytes.
 *
 * The balance of a text is read three ways (brackets.c): line by line into a
 * map (ap_brackets_text, the plain lexer every other one must agree with),
 * and, where every line starts in code, as one run of the bytes, in SSE2
 * steps or, on a CPU that has them, AVX2 steps (ap_brackets_balance;
 * ap_wide_off takes the SSE2 ones). A text that replaces another takes the
 * other's balance over and reads only the lines between their common ends
 * (ap_text_follow). The wide readings are hand-written vector code whose
 * stops, folds and tails only random tests covered; here any bytes go through
 * all of them.
 *
 * Input: split at the first 0x1E byte, if any: the text before it is the
 * old text, the rest the new one that follows it; without one, the whole
 * input is both. Checked, abort() on failure:
 *  - each text's balance, fresh, is the same by the map, by the SSE2 run
 *    and by the AVX2 run (where the CPU has AVX2; else SSE2 twice);
 *  - the new text, following the old one whose balance was read, has the
 *    balance a fresh reading of its bytes gives, in both widths. */
#include "ap.h"
#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(int64_t got, int64_t want, const char *what)
{
    if (got != want) {
        fprintf(stderr, "fuzz_brackets: %s: %lld, the map says %lld\n", what, (long long)got, (long long)want);
        abort();
    }
}

/* The map's balance: the plain line-by-line lexer. */
static int64_t by_map(const char *s, size_t n)
{
    ap_text *t = ap_text_new(s, n);
    int64_t b = ap_brackets_text(t);
    ap_text_release(t);
    return b;
}

/* ap_brackets_balance of a fresh text, with the given width. */
static int64_t by_run(const char *s, size_t n, bool wide)
{
    bool was = ap_wide_off;
    ap_wide_off = !wide;
    ap_text *t = ap_text_new(s, n);
    int64_t b = ap_brackets_balance(t);
    ap_text_release(t);
    ap_wide_off = was;
    return b;
}

/* now's balance after it followed old, whose balance was read first. */
static int64_t by_follow(const char *old, size_t n_old, const char *now, size_t n_now, bool wide)
{
    bool was = ap_wide_off;
    ap_wide_off = !wide;
    ap_text *before = ap_text_new(old, n_old);
    ap_brackets_balance(before);
    ap_text *t = ap_text_new(now, n_now);
    ap_text_follow(t, before);
    int64_t b = ap_brackets_balance(t);
    ap_text_release(t);
    ap_text_release(before);
    ap_wide_off = was;
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sep = memchr(s, 0x1E, size);
    size_t n_old = sep ? (size_t)(sep - s) : size;
    const char *now = sep ? sep + 1 : s;
    size_t n_now = sep ? size - n_old - 1 : size;

    int64_t want_old = by_map(s, n_old), want_now = by_map(now, n_now);
    expect(by_run(s, n_old, false), want_old, "the old text by SSE2 steps");
    expect(by_run(s, n_old, true), want_old, "the old text by the widest steps");
    expect(by_run(now, n_now, false), want_now, "the new text by SSE2 steps");
    expect(by_run(now, n_now, true), want_now, "the new text by the widest steps");
    expect(by_follow(s, n_old, now, n_now, false), want_now, "the new text following the old (SSE2)");
    expect(by_follow(s, n_old, now, n_now, true), want_now, "the new text following the old (widest)");
    return 0;
}
