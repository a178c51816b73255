/* text_test.c - lines, stripping, the hash index, the non-blank skip tables
 * and line-ending detection of ap_text (text.c). */
#include "check.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The text of line i without its break, as a NUL-terminated static copy. */
static const char *line_str(const ap_text *t, uint32_t i)
{
    static char buf[4096];
    const ap_line *l = &t->lines[i];
    size_t n = l->len < sizeof buf - 1 ? l->len : sizeof buf - 1;
    memcpy(buf, l->s, n);
    buf[n] = '\0';
    return buf;
}

/* The stripped text of a line. */
static const char *stripped_str(const ap_line *l)
{
    static char buf[4096];
    size_t n = l->s_len < sizeof buf - 1 ? l->s_len : sizeof buf - 1;
    memcpy(buf, l->s + l->s_off, n);
    buf[n] = '\0';
    return buf;
}

static ap_text *text_of(const char *s)
{
    return ap_text_new(s, strlen(s));
}

/* ------------------------------------------------------------ splitting */

static void test_split_lf(void)
{
    ap_text *t = text_of("alpha\nbeta\n\ngamma\n");
    CHECK_INT(ap_text_line_count(t), 4);
    CHECK_STR(line_str(t, 0), "alpha");
    CHECK_STR(line_str(t, 1), "beta");
    CHECK_STR(line_str(t, 2), "");
    CHECK_STR(line_str(t, 3), "gamma");
    for (uint32_t i = 0; i < 4; i++)
        CHECK_INT(t->lines[i].eol, AP_EOL_LF);
    CHECK_INT(t->lines[2].blank, 1);
    CHECK_INT(t->lines[0].blank, 0);
    CHECK_INT(ap_text_line_start(t, 0), 0);
    CHECK_INT(ap_text_line_start(t, 1), 6);
    CHECK_INT(ap_text_line_start(t, 2), 11);
    CHECK_INT(ap_text_line_start(t, 3), 12);
    CHECK_INT(ap_text_line_start(t, 4), 18); /* the line count gives the length */
    CHECK_INT(ap_text_line_start(t, 99), 18);
    CHECK_INT(ap_text_len(t), 18);
    CHECK_INT(t->eol, AP_EOL_LF);
    ap_text_release(t);
}

static void test_split_crlf(void)
{
    ap_text *t = text_of("one\r\ntwo\r\n\r\nthree\r\n");
    CHECK_INT(ap_text_line_count(t), 4);
    CHECK_STR(line_str(t, 0), "one");
    CHECK_STR(line_str(t, 1), "two");
    CHECK_STR(line_str(t, 2), "");
    CHECK_STR(line_str(t, 3), "three");
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_INT(t->lines[i].eol, AP_EOL_CRLF);
        CHECK(memchr(t->lines[i].s, '\r', t->lines[i].len) == NULL);
    }
    CHECK_INT(t->lines[0].len, 3);
    CHECK_INT(ap_text_line_start(t, 1), 5);
    CHECK_INT(ap_text_line_start(t, 2), 10);
    CHECK_INT(ap_text_line_start(t, 3), 12);
    CHECK_INT(t->eol, AP_EOL_CRLF);
    ap_text_release(t);
}

static void test_split_lone_cr(void)
{
    ap_text *t = text_of("a\rb\r\rc");
    CHECK_INT(ap_text_line_count(t), 4);
    CHECK_STR(line_str(t, 0), "a");
    CHECK_STR(line_str(t, 1), "b");
    CHECK_STR(line_str(t, 2), "");
    CHECK_STR(line_str(t, 3), "c");
    CHECK_INT(t->lines[0].eol, AP_EOL_CR);
    CHECK_INT(t->lines[1].eol, AP_EOL_CR);
    CHECK_INT(t->lines[2].eol, AP_EOL_CR);
    CHECK_INT(t->lines[3].eol, 0);
    CHECK_INT(t->eol, AP_EOL_CR);
    ap_text_release(t);
}

static void test_split_mixed(void)
{
    /* LF, CRLF, a lone CR (content: the text has LF), "\n\r" (a break, then a
     * line that starts with a CR), then no break */
    ap_text *t = text_of("a\nb\r\nc\rd\n\re");
    CHECK_INT(ap_text_line_count(t), 4);
    const char *want[] = {"a", "b", "c\rd", "\re"};
    const int eol[] = {AP_EOL_LF, AP_EOL_CRLF, AP_EOL_LF, 0};
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_STR(line_str(t, i), want[i]);
        CHECK_INT(t->lines[i].eol, eol[i]);
    }
    CHECK_INT(ap_text_line_start(t, 1), 2);
    CHECK_INT(ap_text_line_start(t, 2), 5);
    CHECK_INT(ap_text_line_start(t, 3), 9);
    CHECK_INT(ap_text_line_start(t, 4), 11);
    CHECK_INT(t->eol, AP_EOL_CRLF); /* any CRLF decides */
    /* stripped, the lone CRs at the ends of a line are white space */
    CHECK_INT(t->lines[3].s_len, 1);
    ap_text_release(t);

    /* a byte order mark is not part of line 1 */
    t = text_of("\xEF\xBB\xBFx\ny\n");
    CHECK_INT(t->bom, 3);
    CHECK_INT(ap_text_line_count(t), 2);
    CHECK_STR(line_str(t, 0), "x");
    CHECK_INT(ap_text_line_start(t, 0), 3);
    ap_text_release(t);
}

static void test_split_no_final_newline(void)
{
    ap_text *t = text_of("x = 1\ny = 2");
    CHECK_INT(ap_text_line_count(t), 2);
    CHECK_STR(line_str(t, 1), "y = 2");
    CHECK_INT(t->lines[0].eol, AP_EOL_LF);
    CHECK_INT(t->lines[1].eol, 0);
    CHECK_INT(t->lines[1].len, 5);
    ap_text_release(t);

    t = text_of("only");
    CHECK_INT(ap_text_line_count(t), 1);
    CHECK_STR(line_str(t, 0), "only");
    CHECK_INT(t->lines[0].eol, 0);
    CHECK_INT(t->eol, AP_EOL_AUTO);
    ap_text_release(t);
}

static void test_split_empty(void)
{
    ap_text *t = text_of("");
    CHECK_INT(ap_text_line_count(t), 0);
    CHECK_INT(ap_text_len(t), 0);
    CHECK_INT(ap_text_line_start(t, 0), 0);
    CHECK_INT(t->eol, AP_EOL_AUTO);
    CHECK_INT(ap_text_next_nb(t)[0], 0);
    uint32_t n = 7;
    CHECK(ap_text_occ(t, ap_line_hash("x", 1), &n) == NULL);
    CHECK_INT(n, 0);
    /* a value wider than any line hash finds nothing (and reads no bucket) */
    n = 7;
    CHECK(ap_text_occ(t, 0xffffffffu, &n) == NULL);
    CHECK_INT(n, 0);
    CHECK_STR(ap_text_bytes(t), "");
    ap_text_release(t);

    /* a lone break is one empty line, not two */
    t = text_of("\n");
    CHECK_INT(ap_text_line_count(t), 1);
    CHECK_INT(t->lines[0].len, 0);
    CHECK_INT(t->lines[0].blank, 1);
    ap_text_release(t);

    t = text_of("\r\n\r\n");
    CHECK_INT(ap_text_line_count(t), 2);
    CHECK_INT(t->lines[1].eol, AP_EOL_CRLF);
    ap_text_release(t);

    ap_line *lines = (ap_line *)0x1;
    CHECK_INT(ap_split_lines("", 0, &lines), 0);
    free(lines);
}

static void test_split_lines_direct(void)
{
    ap_line *l = NULL;
    size_t n = ap_split_lines("  a \n\tb\r\n", 9, &l);
    CHECK_INT(n, 2);
    CHECK_INT(l[0].len, 4);
    CHECK_INT(l[0].s_off, 2);
    CHECK_INT(l[0].s_len, 1);
    CHECK_INT(l[1].len, 2);
    CHECK_INT(l[1].s_off, 1);
    CHECK_INT(l[1].s_len, 1);
    CHECK_INT(l[1].eol, AP_EOL_CRLF);
    free(l);
}

static void test_bytes_are_copied_and_refcounted(void)
{
    char src[] = "abc\ndef\n";
    ap_text *t = ap_text_new(src, 8);
    src[0] = 'X';
    CHECK_STR(ap_text_bytes(t), "abc\ndef\n");
    CHECK_STR(line_str(t, 0), "abc");
    CHECK(ap_text_retain(t) == t);
    CHECK_INT(t->refs, 2);
    ap_text_release(t);
    CHECK_INT(t->refs, 1);
    CHECK_STR(line_str(t, 1), "def");
    ap_text_release(t);
    CHECK(ap_text_retain(NULL) == NULL);
    ap_text_release(NULL);

    t = ap_text_new("a\0b\n", 4);
    CHECK(t->has_nul);
    CHECK_INT(t->lines[0].len, 3);
    ap_text_release(t);
    t = text_of("ab\n");
    CHECK(!t->has_nul);
    ap_text_release(t);
}

/* ------------------------------------------------------------ stripping */

static void strip_is(const char *s, size_t want_off, size_t want_len)
{
    size_t off = 99, len = 99;
    ap_strip(s, strlen(s), &off, &len);
    CHECK_INT(off, want_off);
    CHECK_INT(len, want_len);
}

/* ap_strip (its indentation read eight bytes at a time) against a plain
 * strip a byte at a time: random lines of spaces, tabs, other ASCII white
 * space, Unicode spaces and text, indentations past 8 and 16 bytes, a
 * space or tab right after a word's end, and lines of white space only. */
static void plain_strip(const char *s, size_t n, size_t *off, size_t *len)
{
    size_t a = 0, b = n, w;
    while (a < b && (w = ap_ws_len(s + a, b - a)) > 0)
        a += w;
    while (b > a && (w = ap_ws_len_before(s + a, b - a)) > 0)
        b -= w;
    *off = a;
    *len = b - a;
}

static void test_strip_as_plainly(void)
{
    static const char *const parts[] = {" ", "\t", "        ", "\v", "\r", "\xc2\xa0", "\xe3\x80\x80", "x",
                                        "ab", "\xc3\xa9", "\x1f", "  \t "};
    uint32_t seed = 99;
    for (int round = 0; round < 20000; round++) {
        char line[256];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        uint32_t parts_n = (seed >> 8) % 12;
        for (uint32_t k = 0; k < parts_n; k++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly indentation first, then anything */
            uint32_t pick = k < 2 && (seed >> 20) % 3 ? (seed >> 9) % 3 : (seed >> 9) % 12;
            size_t l = strlen(parts[pick]);
            memcpy(line + n, parts[pick], l);
            n += l;
        }
        size_t o1, l1, o2, l2;
        ap_strip(line, n, &o1, &l1);
        plain_strip(line, n, &o2, &l2);
        if (o1 != o2 || l1 != l2) {
            CHECK_INT(o1, o2);
            CHECK_INT(l1, l2);
            return;
        }
    }
}

/* Lines shorter than the room ap_split_lines makes at first (a line every
 * 16 bytes): the records grow, and every line is where it is. */
static void test_split_short_lines(void)
{
    for (uint32_t n = 0; n < 3000; n += 997) {
        ap_buf b = AP_BUF_INIT;
        for (uint32_t i = 0; i < n; i++)
            ap_buf_adds(&b, i % 3 == 0 ? "\n" : i % 3 == 1 ? "a\n" : "\tb\n");
        ap_buf_adds(&b, "end");
        ap_text *t = ap_text_new(b.s, b.len);
        CHECK_INT(t->n, n + 1);
        size_t at = 0;
        for (uint32_t i = 0; i < n && i < t->n; i++) {
            uint32_t len = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 2;
            if (ap_text_line_start(t, i) != at || t->lines[i].len != len) {
                CHECK_INT(ap_text_line_start(t, i), at);
                CHECK_INT(t->lines[i].len, len);
                break;
            }
            at += len + 1;
        }
        CHECK_INT(ap_text_line_start(t, n), at);
        CHECK_INT(t->lines[n].len, 3);
        ap_text_release(t);
        ap_buf_release(&b);
    }
}

static void test_strip_ascii(void)
{
    strip_is("", 0, 0);
    strip_is("x", 0, 1);
    strip_is("   ", 3, 0);
    strip_is("\t\tif (x) {\t \t", 2, 8);
    strip_is(" \t a b \t ", 3, 3);
    strip_is("\v\f x \x1c\x1f", 3, 1);
    /* control characters other than white space are text */
    strip_is("\x01x\x02", 0, 3);
}

static void test_strip_unicode_spaces(void)
{
    /* U+00A0 no-break space, U+3000 ideographic space, U+2003 em space,
     * U+0085 next line, U+202F, U+205F, U+1680 */
    strip_is("\xc2\xa0x\xc2\xa0", 2, 1);
    strip_is("\xe3\x80\x80\xe3\x80\x80value = 1\xe3\x80\x80", 6, 9);
    strip_is("\xe2\x80\x83y\xe2\x80\x83", 3, 1);
    strip_is("\xc2\x85z", 2, 1);
    strip_is("\xe2\x80\xafz\xe2\x81\x9f\xe1\x9a\x80", 3, 1);
    strip_is("\xe3\x80\x80", 3, 0);
    /* inside the text it stays */
    strip_is("a\xc2\xa0" "b", 0, 4);
    /* U+200B (zero width space) is not white space for Python either */
    strip_is("\xe2\x80\x8bq", 0, 4);
    CHECK_INT(ap_ws_len("\xc2\xa0", 2), 2);
    CHECK_INT(ap_ws_len("\xc2\xa0", 1), 0); /* cut short: not a space */
    CHECK_INT(ap_ws_len("\xe3\x80\x80", 3), 3);
    CHECK_INT(ap_ws_len("\xe3\x80\x81", 3), 0); /* U+3001, a comma */
    CHECK_INT(ap_ws_len("\xc3\xa9", 2), 0);     /* é */
    CHECK_INT(ap_ws_len_before("x\xe3\x80\x80", 4), 3);
    CHECK_INT(ap_ws_len_before("x\xc2\xa0", 3), 2);
    CHECK_INT(ap_ws_len_before("x ", 2), 1);
    CHECK_INT(ap_ws_len_before("x", 1), 0);
    CHECK_INT(ap_ws_len_before("", 0), 0);
}

static void test_strip_multibyte_text(void)
{
    /* text ending in continuation bytes must not be taken for a space */
    strip_is("  h\xc3\xa9llo w\xc3\xb6rld  ", 2, 13);
    strip_is("\t\xf0\x9f\x8e\x89 party \xf0\x9f\x8e\x89\t", 1, 15);
    /* 😀 is F0 9F 98 80: its last byte is 0x80 like the spaces' */
    strip_is("\xf0\x9f\x98\x80", 0, 4);
    strip_is("\xe4\xb8\x80", 0, 3);         /* 一: E4 B8 80 */
    strip_is("\xe2\x82\xac \xe2\x80\x80", 0, 3); /* € then U+2000 */
    strip_is("\xe3\x81\x82\xe3\x80\x80", 0, 3);  /* あ then U+3000 */

    ap_text *t = text_of("\t\xe5\xa4\x89\xe6\x95\xb0 = \"\xf0\x9f\x8e\x89\"\xe3\x80\x80\n");
    CHECK_INT(t->n, 1);
    CHECK_STR(stripped_str(&t->lines[0]), "\xe5\xa4\x89\xe6\x95\xb0 = \"\xf0\x9f\x8e\x89\"");
    CHECK_INT(t->lines[0].s_off, 1);
    ap_text_release(t);
}

static void test_blank_lines(void)
{
    ap_text *t = text_of(" \t\n\xc2\xa0\n\xe3\x80\x80 \nx\n\n");
    CHECK_INT(t->n, 5);
    CHECK_INT(t->lines[0].blank, 1);
    CHECK_INT(t->lines[1].blank, 1);
    CHECK_INT(t->lines[2].blank, 1);
    CHECK_INT(t->lines[3].blank, 0);
    CHECK_INT(t->lines[4].blank, 1);
    CHECK_INT(t->lines[0].s_len, 0);
    ap_text_release(t);
}

static void test_hash_and_line_eq(void)
{
    CHECK(ap_hash("abc", 3) == ap_hash("abc", 3));
    CHECK(ap_hash("abc", 3) != ap_hash("abd", 3));
    CHECK(ap_hash("", 0) != ap_hash("a", 1));
    /* lengths around the 8-byte step give distinct hashes */
    const char *s = "0123456789abcdefghij";
    for (size_t i = 0; i < 20; i++)
        for (size_t j = i + 1; j <= 20; j++)
            CHECK(ap_hash(s, i) != ap_hash(s, j));
    /* 8 zero bytes and none differ too (length is hashed) */
    CHECK(ap_hash("\0\0\0\0\0\0\0\0", 8) != ap_hash("", 0));
    /* the tail's fixed-size loads give the word a byte-by-byte copy gives,
     * for every length and every start of a text in a larger buffer (the
     * loads must not reach before the text: checked under ASan) */
    unsigned char buf[40];
    for (size_t k = 0; k < sizeof buf; k++)
        buf[k] = (unsigned char)(k * 37 + 11);
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= sizeof buf; n++) {
            size_t i = n & ~(size_t)7;
            char *t = ap_xmemdup((const char *)buf + off, n); /* exactly n bytes */
            uint64_t want = 0;
            for (size_t k = i; k < n; k++)
                want |= (uint64_t)(unsigned char)t[k] << (8 * (k - i));
            CHECK(ap_hash_tail(t, n, i) == want);
            free(t);
        }
    }

    ap_line a, b, c;
    ap_line_init(&a, "\t\tcount = 0  ", 13, AP_EOL_LF);
    ap_line_init(&b, "count = 0", 9, 0);
    ap_line_init(&c, "self.count = 0", 14, 0);
    CHECK(ap_line_eq(&a, &b));
    CHECK(!ap_line_eq(&a, &c));
    CHECK_INT(a.s_off, 2);
    CHECK_INT(a.s_len, 9);
    CHECK(a.hash == ap_line_hash("count = 0", 9));
}

/* ------------------------------------------------------------ the index */

/* The hash as it was first written (a memcpy of the tail into a zeroed
 * word): the tail read without that call gives the same value for every
 * length and byte, so the records of a text do not change. */
static uint64_t hash_by_memcpy(const char *s, size_t n)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ (n * m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w) * m;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

static void test_hash_tail(void)
{
    char buf[64];
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; round++) {
        for (size_t k = 0; k < sizeof buf; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = (char)(seed >> 16); /* every byte value, high bit too */
        }
        size_t at = (size_t)round % 8, n = (size_t)round % 40;
        CHECK(ap_hash(buf + at, n) == hash_by_memcpy(buf + at, n));
    }
    /* and a record's hash is the line hash of its stripped text */
    ap_line l;
    ap_line_init(&l, "  \tint x;  ", 11, AP_EOL_LF);
    CHECK_INT((int)l.hash, (int)ap_line_hash("int x;", 6));
}

static void test_occ_every_line_in_order(void)
{
    ap_text *t = text_of("a\nb\n  a\n\nc\na\t\n\n   \nb\n");
    uint32_t n = 0;
    const uint32_t *o = ap_text_occ(t, ap_line_hash("a", 1), &n);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(o[0], 0);
        CHECK_INT(o[1], 2);
        CHECK_INT(o[2], 5);
    }
    o = ap_text_occ(t, ap_line_hash("b", 1), &n);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(o[0], 1);
        CHECK_INT(o[1], 8);
    }
    o = ap_text_occ(t, ap_line_hash("c", 1), &n);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_INT(o[0], 4);
    /* blank lines are not indexed */
    o = ap_text_occ(t, ap_line_hash("", 0), &n);
    CHECK_INT(n, 0);
    CHECK(o == NULL);
    o = ap_text_occ(t, ap_line_hash("zzz", 3), &n);
    CHECK_INT(n, 0);
    ap_text_release(t);
}

static void test_occ_many_lines(void)
{
    /* 5,000 lines of 37 kinds: every kind lists exactly its lines, ascending */
    ap_buf b = AP_BUF_INIT;
    const uint32_t N = 5000, K = 37;
    for (uint32_t i = 0; i < N; i++) {
        if (i % 11 == 0)
            ap_buf_adds(&b, "   \n"); /* blank */
        else
            ap_buf_addf(&b, "%*sline %u\n", (int)(i % 4), "", (i * 7) % K);
    }
    ap_text *t = ap_text_new(b.s, b.len);
    CHECK_INT(t->n, N);
    uint32_t total = 0;
    for (uint32_t k = 0; k < K; k++) {
        char key[32];
        int kl = snprintf(key, sizeof key, "line %u", k);
        uint32_t n = 0;
        const uint32_t *o = ap_text_occ(t, ap_line_hash(key, (size_t)kl), &n);
        uint32_t want = 0, j = 0;
        for (uint32_t i = 0; i < N; i++) {
            if (i % 11 == 0 || (i * 7) % K != k)
                continue;
            want++;
            if (j < n) {
                if (o[j] != i) {
                    CHECK_INT(o[j], i);
                    break;
                }
                j++;
            }
        }
        CHECK_INT(n, want);
        total += n;
    }
    CHECK_INT(total, N - (N + 10) / 11);
    ap_text_release(t);
    ap_buf_release(&b);
}

/* The index against a plain scan of the lines: every stripped hash a line
 * has lists exactly the non-blank lines with it, ascending; hashes no line
 * has list nothing. Random texts of few and of many kinds of lines, and
 * lines chosen so that their hashes share the top bits (one large bucket,
 * sorted otherwise than by insertion). Nothing is made before it is asked
 * for: a new text has no index and no skips. */
static void occ_is_scan(const ap_text *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t h = t->lines[i].hash, n = 0, j = 0;
        const uint32_t *o = ap_text_occ(t, h, &n);
        bool ok = true;
        for (uint32_t k = 0; k < t->n; k++) {
            if (t->lines[k].blank || t->lines[k].hash != h)
                continue;
            ok &= j < n && o[j] == k;
            j++;
        }
        if (t->lines[i].blank && j == 0)
            ok &= n == 0 && o == NULL;
        ok &= j == n;
        if (!ok) {
            CHECK(ok);
            return;
        }
        uint32_t m = 7;
        /* a hash next to it, that no line has */
        uint32_t other = (h + 1) & ((1u << AP_LINE_HASH_BITS) - 1);
        bool had = false;
        for (uint32_t k = 0; k < t->n; k++)
            had |= !t->lines[k].blank && t->lines[k].hash == other;
        if (!had && ap_text_occ(t, other, &m) != NULL) {
            CHECK(false);
            return;
        }
    }
}

static void test_occ_against_a_scan(void)
{
    uint32_t seed = 12345;
    for (int round = 0; round < 60; round++) {
        ap_buf b = AP_BUF_INIT;
        uint32_t kinds = round % 3 == 0 ? 3 : round % 3 == 1 ? 50 : 5000;
        uint32_t n = 1 + (round * 97) % 3000;
        for (uint32_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t k = (seed >> 8) % kinds;
            if (k % 13 == 0)
                ap_buf_adds(&b, " \t\n");
            else
                ap_buf_addf(&b, "%*sk%u\n", (int)(k % 3), "", k);
        }
        ap_text *t = ap_text_new(b.s, b.len);
        CHECK(t->bucket == NULL && t->next_nb == NULL);
        occ_is_scan(t);
        ap_text_release(t);
        ap_buf_release(&b);
    }
    /* one bucket of many: lines whose hashes share their top 12 bits, each
     * kind three times, interleaved */
    ap_buf b = AP_BUF_INIT;
    char *chosen[400];
    uint32_t nc = 0;
    for (uint32_t i = 0; nc < 400 && i < 50000000; i++) {
        char line[24];
        int l = snprintf(line, sizeof line, "c%u", i);
        if (ap_line_hash(line, (size_t)l) >> (AP_LINE_HASH_BITS - 12) == 0x5a5)
            chosen[nc++] = ap_xmemdup(line, (size_t)l);
    }
    CHECK(nc == 400);
    for (int rep = 0; rep < 3; rep++)
        for (uint32_t i = 0; i < nc; i++)
            ap_buf_addf(&b, "%s\n", chosen[(i * 7 + (uint32_t)rep * 13) % nc]);
    ap_text *t = ap_text_new(b.s, b.len);
    occ_is_scan(t);
    ap_text_release(t);
    ap_buf_release(&b);
    for (uint32_t i = 0; i < nc; i++)
        free(chosen[i]);
}

/* A lookup of a line repeated 100,000 times costs log steps, not the
 * run: 100,000 lookups (a search tries every candidate) walking it would
 * take 10^10 steps, minutes; in log steps they take milliseconds. */
static void test_occ_long_run_is_not_walked(void)
{
    ap_buf b = AP_BUF_INIT;
    const uint32_t N = 100000;
    for (uint32_t i = 0; i < N; i++)
        ap_buf_adds(&b, i % 50 == 7 ? "other();\n" : "same();\n");
    ap_text *t = ap_text_new(b.s, b.len);
    uint32_t h = ap_line_hash("same();", 7), n = 0;
    clock_t c0 = clock();
    uint64_t sum = 0;
    for (uint32_t i = 0; i < N; i++) {
        const uint32_t *o = ap_text_occ(t, h, &n);
        sum += o ? o[i % n] : 0;
    }
    double dt = (double)(clock() - c0) / CLOCKS_PER_SEC;
    CHECK_INT(n, N - N / 50);
    CHECK(sum > 0);
    if (dt > 2.0)
        fprintf(stderr, "  100,000 lookups of a 98,000-line run took %.2f s of CPU\n", dt);
    CHECK(dt < 2.0);
    ap_text_release(t);
    ap_buf_release(&b);
}

static void test_next_nb(void)
{
    /* lines: 0 "", 1 " a", 2 "", 3 "\t", 4 "b", 5 " " */
    ap_text *t = text_of("\n a\n\n\t\nb\n \n");
    CHECK_INT(t->n, 6);
    const uint32_t next[] = {1, 1, 4, 4, 4, 6, 6};
    for (uint32_t i = 0; i <= 6; i++) {
        CHECK_INT(ap_text_next_nb(t)[i], next[i]);
    }
    ap_text_release(t);

    t = text_of("\n\n\n");
    CHECK_INT(t->n, 3);
    for (uint32_t i = 0; i <= 3; i++) {
        CHECK_INT(ap_text_next_nb(t)[i], 3);
    }
    ap_text_release(t);

    t = text_of("x\ny");
    CHECK_INT(ap_text_next_nb(t)[0], 0);
    CHECK_INT(ap_text_next_nb(t)[1], 1);
    CHECK_INT(ap_text_next_nb(t)[2], 2);
    ap_text_release(t);
}

/* ------------------------------------------------------------ endings */

static ap_eol eol_of(const char *s, size_t n)
{
    ap_text *t = ap_text_new(s, n);
    ap_eol e = t->eol;
    ap_text_release(t);
    return e;
}

static void test_eol_detection(void)
{
    CHECK_INT(eol_of("a\nb\n", 4), AP_EOL_LF);
    CHECK_INT(eol_of("a\r\nb\r\n", 6), AP_EOL_CRLF);
    CHECK_INT(eol_of("a\rb\r", 4), AP_EOL_CR);
    CHECK_INT(eol_of("a\nb\r\n", 5), AP_EOL_CRLF); /* any CRLF wins */
    CHECK_INT(eol_of("a\rb\nc", 5), AP_EOL_LF);    /* LF before lone CR */
    CHECK_INT(eol_of("abc", 3), AP_EOL_AUTO);
    CHECK_INT(eol_of("", 0), AP_EOL_AUTO);
    CHECK_INT(eol_of("\r", 1), AP_EOL_CR);
    CHECK_INT(eol_of("\r\n", 2), AP_EOL_CRLF);

    /* beyond the first KiB: the first break decides */
    static char big[3000];
    memset(big, 'x', sizeof big);
    big[2000] = '\r';
    big[2001] = '\n';
    CHECK_INT(eol_of(big, sizeof big), AP_EOL_CRLF);
    big[2001] = 'x';
    CHECK_INT(eol_of(big, sizeof big), AP_EOL_CR);
    big[2000] = '\n';
    CHECK_INT(eol_of(big, sizeof big), AP_EOL_LF);
    /* the first KiB has an LF: a CRLF later does not count */
    memset(big, 'x', sizeof big);
    big[10] = '\n';
    big[2000] = '\r';
    big[2001] = '\n';
    CHECK_INT(eol_of(big, sizeof big), AP_EOL_LF);
    /* a CRLF straddling the KiB boundary counts */
    memset(big, 'x', sizeof big);
    big[1023] = '\r';
    big[1024] = '\n';
    CHECK_INT(eol_of(big, sizeof big), AP_EOL_CRLF);
}

/* ap_text_join makes what ap_text_new makes of the joined bytes, and
 * declines what would split otherwise. */
static void same_text(const ap_text *a, const ap_text *b)
{
    CHECK_INT(a->len, b->len);
    CHECK(a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0);
    CHECK_INT(a->n, b->n);
    CHECK_INT(a->eol, b->eol);
    CHECK_INT(a->bom, b->bom);
    CHECK_INT(a->has_nul, b->has_nul);
    for (uint32_t i = 0; i < a->n && i < b->n; i++) {
        const ap_line *x = &a->lines[i], *y = &b->lines[i];
        CHECK(x->s - a->bytes == y->s - b->bytes && x->len == y->len && x->s_off == y->s_off &&
              x->s_len == y->s_len && x->eol == y->eol && x->blank == y->blank && x->hash == y->hash);
        CHECK_INT(ap_text_next_nb(a)[i], ap_text_next_nb(b)[i]);
        uint32_t ca, cb;
        const uint32_t *oa = ap_text_occ(a, x->hash, &ca), *ob = ap_text_occ(b, y->hash, &cb);
        CHECK_INT(ca, cb);
        CHECK(ca == cb && (ca == 0 || memcmp(oa, ob, ca * sizeof *oa) == 0));
    }
}

/* Tables dropped are made again on the next search, the same as a new
 * text's; a view walks over blank lines of such a text as before. */
static void test_tables_dropped_and_made_again(void)
{
    const char *src = "a\n\n\n  b\n}\n\n}\n\tc\n\n";
    ap_text *t = ap_text_new(src, strlen(src)), *fresh = ap_text_new(src, strlen(src));
    ap_text_drop_tables(t);
    CHECK(t->bucket == NULL && t->next_nb == NULL && t->occ == NULL);
    uint32_t n;
    const uint32_t *at = ap_text_occ(t, ap_line_hash("}", 1), &n);
    CHECK_INT(n, 2);
    CHECK(n == 2 && at[0] == 4 && at[1] == 6);
    same_text(t, fresh);
    ap_text_drop_tables(t);
    ap_view v;
    ap_view_init(&v, t);
    CHECK_INT(ap_view_skip_blank(&v, ap_view_seek(&v, 1)).base, 3);
    ap_view_release(&v);
    same_text(t, fresh);
    ap_text_release(t);
    ap_text_release(fresh);
}

/* Packed records come back as the text had them (where each line starts,
 * its length and break from the bytes, the rest as kept), over LF, CRLF
 * (CRs before the LF belong to the break), CR-only, lone CRs inside LF
 * lines, a byte order mark, Unicode spaces, blank lines, no final break,
 * and random texts of those bytes; the tables are made again the same. */
static void packed_is(const char *src, size_t n)
{
    ap_text *t = ap_text_new(src, n), *fresh = ap_text_new(src, n);
    ap_text_pack_lines(t);
    CHECK(t->n == 0 || (t->lines == NULL && t->packed != NULL));
    CHECK(t->bucket == NULL && t->next_nb == NULL);
    CHECK_INT(t->n, fresh->n);
    ap_text_unpack_lines(t);
    CHECK(t->packed == NULL && (t->n == 0 || t->lines != NULL));
    ap_text_build_tables(t);
    same_text(t, fresh);
    /* a search of a packed text unpacks it first */
    ap_text_pack_lines(t);
    ap_text_build_tables(t);
    same_text(t, fresh);
    /* packed, then let go whole */
    ap_text_pack_lines(t);
    ap_text_release(t);
    ap_text_release(fresh);
}

static void test_pack_lines(void)
{
    const char *fixed[] = {"a\n\n  b \n}\n", "a\r\n\r\n b \r\r\nc", "x\ry\r\rz", "p\rq\nr\r\n",
                           ("\xEF\xBB\xBF" "a\nb"), "\xc2\xa0y\xe3\x80\x80\n\t\n", "", "\n", "\r\n",
                           "no break"};
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++)
        packed_is(fixed[k], strlen(fixed[k]));
    const char alphabet[] = {'a', 'b', ' ', '\t', '\n', '\r', '}'};
    unsigned seed = 12;
    char buf[64];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 60);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % sizeof alphabet];
        }
        packed_is(buf, n);
    }
    /* texts longer than the 64-byte blocks breaks are found in, with lines
     * shorter and longer than a block, breaks at a block's first and last
     * byte, and the last 63 bytes found apart */
    const char sparse[] = {'a', 'a', 'a', ' ', ' ', '\t', '\n', '\r', '}', 'b'};
    static char big[700];
    for (int round = 0; round < 600; round++) {
        size_t n = (size_t)(round * 7 % 700);
        unsigned every = 1u + (unsigned)round % 90; /* about one break in every */
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (every * 4);
            big[i] = r < 2 ? '\n' : r < 3 ? '\r' : sparse[(seed >> 8) % sizeof sparse];
        }
        packed_is(big, n);
    }
}

/* Splitting, whose breaks are found 64 bytes a step, makes the lines a
 * plain search from each line's start finds: over random texts of LF, CR,
 * CRLF and lone CRs, shorter and longer than a block. */
static void test_split_by_blocks(void)
{
    const char alphabet[] = {'a', 'b', ' ', '\t', 'x', 'x', 'x', '}'};
    unsigned seed = 64;
    static char buf[1000];
    for (int round = 0; round < 1500; round++) {
        size_t n = (size_t)(round * 13 % 1000);
        unsigned every = 1u + (unsigned)round % 150;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % (every * 4);
            buf[i] = r < 2 ? '\n' : r < 3 ? '\r' : alphabet[(seed >> 8) % sizeof alphabet];
        }
        ap_line *lines = NULL;
        size_t count = ap_split_lines(buf, n, &lines);
        char brk = ap_text_break_of(buf, n);
        size_t i = 0, k = 0;
        for (; i < n; k++) {
            size_t j = i;
            while (j < n && buf[j] != brk)
                j++;
            size_t len = j - i;
            if (j < n && brk == '\n')
                while (len > 0 && buf[i + len - 1] == '\r')
                    len--;
            CHECK(k < count);
            if (k >= count)
                break;
            CHECK(lines[k].s == buf + i);
            CHECK_INT(lines[k].len, len);
            size_t off, sl;
            ap_strip(buf + i, len, &off, &sl);
            CHECK_INT(lines[k].s_off, off);
            CHECK_INT(lines[k].s_len, sl);
            CHECK_INT(lines[k].hash, ap_line_hash(buf + i + off, sl));
            CHECK_INT(lines[k].eol, j == n ? 0 : brk == '\r' ? AP_EOL_CR : len < j - i ? AP_EOL_CRLF : AP_EOL_LF);
            i = j < n ? j + 1 : n;
        }
        CHECK_INT(count, k);
        free(lines);
    }
}

/* A text of rendered bytes that takes the records of the lines copied from
 * its source is the text of those bytes: runs at line starts, a run that
 * is not (split like the rest), CRLF lines, a byte order mark, and bytes
 * that break otherwise than the source (no LF left: they break at CR). */
static void adopt_copied_is(const char *src_bytes, const char *out, const ap_hunk *runs, size_t n)
{
    ap_text *src = ap_text_new(src_bytes, strlen(src_bytes));
    ap_text *t = ap_text_adopt_copied(ap_xmemdup(out, strlen(out)), strlen(out), src, runs, n);
    ap_text *plain = ap_text_new(out, strlen(out));
    same_text(t, plain);
    ap_text_release(t);
    /* no tables until one is asked for; then the same as the plain text's */
    t = ap_text_adopt_copied(ap_xmemdup(out, strlen(out)), strlen(out), src, runs, n);
    CHECK(t->bucket == NULL && t->next_nb == NULL);
    ap_text_build_tables(t);
    same_text(t, plain);
    ap_text_release(t);
    ap_text_release(plain);
    ap_text_release(src);
}

static void test_adopt_copied(void)
{
    /* src lines: 0 "  a", 1 "b", 2 "", 3 "\tc  ", 4 "d" */
    const char *src = "  a\nb\n\n\tc  \nd\n";
    /* "new" then lines 1-3 copied (at 4), "x", line 4 copied (at 14) */
    const ap_hunk runs[] = {{1, 4, 4, 8}, {4, 5, 14, 2}};
    adopt_copied_is(src, "new\nb\n\n\tc  \nx\nd\n", runs, 2);
    /* the second run's place is inside a line: split like the rest */
    const ap_hunk off[] = {{1, 4, 4, 8}, {4, 5, 13, 2}};
    adopt_copied_is(src, "new\nb\n\n\tc  \nxd\n", off, 2);
    /* CRLF, after a byte order mark */
    const char *crlf = "\xEF\xBB\xBF" "a\r\n b \r\nc\r\n";
    const ap_hunk cr_runs[] = {{1, 3, 7, 8}};
    adopt_copied_is(crlf, "\xEF\xBB\xBF" "zz\r\n b \r\nc\r\n", cr_runs, 1);
    /* the new bytes hold no LF: they break at CR, the runs are not taken */
    const ap_hunk none[] = {{0, 1, 0, 2}};
    adopt_copied_is("a\nb\n", "a\rb\r", none, 1);
    /* no runs */
    adopt_copied_is(src, "q\n", NULL, 0);
}

static void test_join(void)
{
    /* lines of a CRLF text with blanks, repeats, Unicode spaces and a lone CR */
    const char *src = "  a b\r\n\r\n\tx = 1;  \r\n}\r\n\xc2\xa0y\xe3\x80\x80\r\n}\r\nmid\rcr\r\n   \r\nend";
    ap_text *t = ap_text_new(src, strlen(src));
    const ap_line *ls[16];
    for (uint32_t i = 0; i < t->n; i++)
        ls[i] = &t->lines[t->n - 1 - i]; /* reversed: another order */
    ap_text *j = ap_text_join(ls, t->n);
    ap_buf b = AP_BUF_INIT;
    for (uint32_t i = 0; i < t->n; i++) {
        ap_buf_add(&b, ls[i]->s, ls[i]->len);
        ap_buf_addc(&b, '\n');
    }
    ap_text *n = ap_text_new(b.s, b.len);
    CHECK(j != NULL);
    if (j)
        same_text(j, n);
    ap_text_release(j);
    ap_text_release(n);
    ap_buf_release(&b);
    /* none, a line ending in CR, a first line with a byte order mark */
    CHECK(ap_text_join(ls, 0) == NULL);
    ap_line cr, bom;
    ap_line_init(&cr, "a\r", 2, 0);
    ap_line_init(&bom, "\xEF\xBB\xBF" "a", 4, 0);
    const ap_line *one[1] = {&cr};
    CHECK(ap_text_join(one, 1) == NULL);
    one[0] = &bom;
    CHECK(ap_text_join(one, 1) == NULL);
    ap_text_release(t);
}

/* A text over bytes it does not own (the twice check's text of a file's
 * rendered bytes) is the text of those bytes, and its release leaves them
 * alone (here a constant: freeing it would crash); no bytes, an empty text. */
static void test_borrow_copied(void)
{
    static const char out[] = "  a\nnew\nb\n";
    ap_text *src = ap_text_new("  a\nb\n", 7);
    ap_hunk runs[2] = {{0, 1, 0, 4}, {1, 2, 8, 2}};
    ap_text *t = ap_text_borrow_copied(out, strlen(out), src, runs, 2);
    ap_text *plain = ap_text_new(out, strlen(out));
    CHECK(ap_text_bytes(t) == out);
    ap_text_build_tables(t);
    same_text(t, plain);
    ap_text_release(t);
    CHECK_STR(out, "  a\nnew\nb\n");
    t = ap_text_borrow_copied(NULL, 0, NULL, NULL, 0);
    CHECK_INT(ap_text_len(t), 0);
    CHECK_INT(ap_text_line_count(t), 0);
    ap_text_release(t);
    ap_text_release(plain);
    ap_text_release(src);
}

int main(void)
{
    RUN(test_borrow_copied);
    RUN(test_pack_lines);
    RUN(test_split_by_blocks);
    RUN(test_split_lf);
    RUN(test_split_crlf);
    RUN(test_split_lone_cr);
    RUN(test_split_mixed);
    RUN(test_split_no_final_newline);
    RUN(test_split_empty);
    RUN(test_split_lines_direct);
    RUN(test_bytes_are_copied_and_refcounted);
    RUN(test_strip_ascii);
    RUN(test_strip_as_plainly);
    RUN(test_split_short_lines);
    RUN(test_strip_unicode_spaces);
    RUN(test_strip_multibyte_text);
    RUN(test_blank_lines);
    RUN(test_hash_and_line_eq);
    RUN(test_hash_tail);
    RUN(test_occ_every_line_in_order);
    RUN(test_occ_many_lines);
    RUN(test_occ_against_a_scan);
    RUN(test_occ_long_run_is_not_walked);
    RUN(test_next_nb);
    RUN(test_eol_detection);
    RUN(test_join);
    RUN(test_tables_dropped_and_made_again);
    RUN(test_adopt_copied);
    return check_summary();
}
