/* match_test.c - finding patterns in a view (match.c) and the "did you
 * mean" ranking (similar.c). */
#include "check.h"
#include "internal.h"
#include "resolve.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A view over a copy of s (the view keeps the text alive). */
static void view_of(ap_view *v, const char *s, size_t len)
{
    ap_text *t = ap_text_new(s, len);
    ap_view_init(v, t);
    ap_text_release(t);
}

static void view_str(ap_view *v, const char *s)
{
    view_of(v, s, strlen(s));
}

/* Every match of pat from the beginning: count, and first/last base lines of
 * the match k through *first, *last (when asked). */
static size_t count_all(const ap_view *v, const char *pat)
{
    ap_pattern p;
    ap_pattern_init(&p, pat, strlen(pat));
    ap_matches m = {0};
    size_t n = ap_find_all(v, &p, ap_view_begin(v), 0, &m);
    CHECK_INT(m.n, n);
    ap_matches_release(&m);
    ap_pattern_release(&p);
    return n;
}

/* Appends a position: its base line, or "iB.K" for line K of the splice
 * after base line B. */
static void add_pos(ap_buf *b, ap_pos p)
{
    if (p.sp >= 0)
        ap_buf_addf(b, "i%u.%u", p.base, p.k);
    else
        ap_buf_addf(b, "%u", p.base);
}

/* The matches of pat (soft: a soft pattern) from from, as "first-last"
 * positions (soft: their first only), joined by spaces. */
static char *find_str(const ap_view *v, const char *pat, ap_pos from, bool soft)
{
    ap_pattern p;
    ap_pattern_init(&p, pat, strlen(pat));
    p.soft = soft;
    ap_matches m = {0};
    ap_find_all(v, &p, from, 0, &m);
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "");
    for (size_t i = 0; i < m.n; i++) {
        if (i)
            ap_buf_addc(&b, ' ');
        add_pos(&b, m.m[i].first);
        if (!soft) {
            ap_buf_addc(&b, '-');
            add_pos(&b, m.m[i].last);
        }
    }
    ap_matches_release(&m);
    ap_pattern_release(&p);
    return ap_buf_detach(&b, NULL);
}

static char *matches_str(const ap_view *v, const char *pat, ap_pos from)
{
    return find_str(v, pat, from, false);
}

static void check_matches(const ap_view *v, const char *pat, const char *want, int line)
{
    char *got = matches_str(v, pat, ap_view_begin(v));
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  match_test.c:%d: matches of \"%s\": \"%s\", want \"%s\"\n", line, pat,
                got, want);
        check_failed_in_test++;
    }
    free(got);
}
#define CHECK_MATCHES(v, pat, want) check_matches((v), (pat), (want), __LINE__)

static void replace_lines(ap_view *v, ap_pos from, ap_pos to, const char *const *texts, uint32_t n)
{
    ap_nline *nl = ap_xcalloc(n ? n : 1, sizeof *nl);
    for (uint32_t i = 0; i < n; i++) {
        ap_line_init(&nl[i].l, texts[i], (uint32_t)strlen(texts[i]), AP_EOL_LF);
        nl[i].change = 0;
        nl[i].mod = 0;
    }
    ap_view_replace(v, from, to, nl, n);
    free(nl);
}

/* CPU time of the process, not the wall clock: these guards tell a linear
 * search from a quadratic one (milliseconds against minutes), and a loaded
 * machine must not make them fail. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- patterns */

static void test_pattern_lines(void)
{
    ap_pattern p;
    ap_pattern_init(&p, "\n  a\n\n\t \nb  \n\n", 14);
    CHECK_INT(p.n_lines, 6);
    CHECK_INT(p.n, 2);
    CHECK_INT(p.nb[0], 1);
    CHECK_INT(p.nb[1], 4);
    CHECK_INT(ap_pattern_at(&p, 0)->s_len, 1);
    CHECK(ap_pattern_at(&p, 1)->hash == ap_line_hash("b", 1));
    ap_pattern_release(&p);
    CHECK(p.lines == NULL);
    ap_pattern_init(&p, "", 0);
    CHECK_INT(p.n, 0);
    ap_pattern_release(&p);
}

/* ------------------------------------------------------------- matching */

static void test_tabs_vs_spaces(void)
{
    ap_view v;
    view_str(&v, "def f():\n\tif x:\n\t\treturn 1\n\treturn 0\n");
    CHECK_MATCHES(&v, "if x:\n    return 1\n", "1-2");
    CHECK_MATCHES(&v, "        if x:\n  return 1", "1-2");
    CHECK_MATCHES(&v, "\t\t\treturn 0\n", "3-3");
    ap_view_release(&v);

    view_str(&v, "class A:\n    def g(self):\n        pass\n");
    CHECK_MATCHES(&v, "\tdef g(self):\n\t\tpass\n", "1-2");
    ap_view_release(&v);
}

static void test_crlf_target(void)
{
    ap_view v;
    view_str(&v, "a\r\nb\r\nc\r\n");
    CHECK_MATCHES(&v, "b\nc\n", "1-2");
    CHECK_MATCHES(&v, "a\r\nb\r\n", "0-1");
    CHECK_MATCHES(&v, "c", "2-2");
    ap_view_release(&v);
    /* lone CR */
    view_str(&v, "a\rb\rc");
    CHECK_MATCHES(&v, "b\nc", "1-2");
    ap_view_release(&v);
}

static void test_blank_lines(void)
{
    ap_view v;
    /* blank lines in the snippet do not count */
    view_str(&v, "x\na\nb\ny\n");
    CHECK_MATCHES(&v, "\na\n\n   \nb\n\n", "1-2");
    ap_view_release(&v);
    /* blank lines in the target between matched lines are skipped, and
     * the match runs from the first matched line to the last */
    view_str(&v, "x\na\n\n \t\nb\ny\n");
    CHECK_MATCHES(&v, "a\nb\n", "1-4");
    CHECK_MATCHES(&v, "x\na\nb\ny", "0-5");
    /* a blank pattern line does not stand for a required blank line */
    CHECK_MATCHES(&v, "a\n\n\n\n\n\nb", "1-4");
    ap_view_release(&v);
    /* blank lines at the end of the target after a match */
    view_str(&v, "a\n\n\n");
    CHECK_MATCHES(&v, "a", "0-0");
    CHECK_MATCHES(&v, "a\nb", "");
    ap_view_release(&v);
    /* a pattern with no non-blank line matches nothing */
    view_str(&v, "\n\na\n");
    CHECK_INT(count_all(&v, "\n \n"), 0);
    ap_view_release(&v);
}

static void test_whole_lines_only(void)
{
    ap_view v;
    view_str(&v, "class C:\n    def __init__(self):\n        self.count = 0\n");
    CHECK_INT(count_all(&v, "count = 0"), 0);
    CHECK_MATCHES(&v, "self.count = 0", "2-2");
    CHECK_INT(count_all(&v, "self.count = 0;"), 0);
    CHECK_INT(count_all(&v, "def __init__(self)"), 0);
    /* case and interior white space matter */
    CHECK_INT(count_all(&v, "self.count  = 0"), 0);
    CHECK_INT(count_all(&v, "Self.count = 0"), 0);
    ap_view_release(&v);
}

static void test_multibyte(void)
{
    ap_view v;
    view_str(&v, "  print('h\xc3\xa9llo \xf0\x9f\x8e\x89')\n"
                 "\xe3\x80\x80x = '\xe5\xa4\x89\xe6\x95\xb0'\xe3\x80\x80\n"
                 "\xc2\xa0\xf0\x9f\x98\x80\n");
    CHECK_MATCHES(&v, "print('h\xc3\xa9llo \xf0\x9f\x8e\x89')", "0-0");
    CHECK_INT(count_all(&v, "print('hello \xf0\x9f\x8e\x89')"), 0);
    CHECK_MATCHES(&v, "x = '\xe5\xa4\x89\xe6\x95\xb0'", "1-1");
    CHECK_MATCHES(&v, "\t\xf0\x9f\x98\x80  ", "2-2");
    CHECK_MATCHES(&v, "x = '\xe5\xa4\x89\xe6\x95\xb0'\n\xf0\x9f\x98\x80", "1-2");
    CHECK_INT(count_all(&v, "\xf0\x9f\x98\x81"), 0); /* 😁, one byte apart */
    ap_view_release(&v);
}

static void test_overlapping(void)
{
    ap_view v;
    view_str(&v, "a\na\na");
    CHECK_MATCHES(&v, "a\na", "0-1 1-2");
    CHECK_MATCHES(&v, "a", "0-0 1-1 2-2");
    CHECK_MATCHES(&v, "a\na\na", "0-2");
    CHECK_MATCHES(&v, "a\na\na\na", "");
    ap_view_release(&v);
    view_str(&v, "a\nb\na\nb\na\nb\na\n");
    CHECK_MATCHES(&v, "a\nb\na", "0-2 2-4 4-6");
    ap_view_release(&v);
    /* limit stops early */
    view_str(&v, "a\na\na\na\n");
    ap_pattern p;
    ap_pattern_init(&p, "a", 1);
    ap_matches m = {0};
    CHECK_INT(ap_find_all(&v, &p, ap_view_begin(&v), 2, &m), 2);
    CHECK_INT(m.n, 2);
    ap_matches_release(&m);
    ap_pattern_release(&p);
    ap_view_release(&v);
}

static void test_first_after_position(void)
{
    ap_view v;
    view_str(&v, "x\ny\nx\ny\nz\n");
    ap_pattern p;
    ap_pattern_init(&p, "x\ny", 3);
    ap_match m;
    CHECK(ap_find_first(&v, &p, ap_view_begin(&v), &m));
    CHECK_INT(m.first.base, 0);
    CHECK_INT(m.last.base, 1);
    CHECK(ap_find_first(&v, &p, ap_view_seek(&v, 1), &m));
    CHECK_INT(m.first.base, 2);
    CHECK_INT(m.last.base, 3);
    CHECK(ap_find_first(&v, &p, ap_view_seek(&v, 2), &m));
    CHECK_INT(m.first.base, 2);
    CHECK(!ap_find_first(&v, &p, ap_view_seek(&v, 3), &m));
    CHECK(!ap_find_first(&v, &p, ap_view_end(&v), &m));
    /* a match must start at or after from: one that begins before and
     * ends after it does not count */
    char *s = matches_str(&v, "x\ny", ap_view_seek(&v, 1));
    CHECK_STR(s, "2-3");
    free(s);
    CHECK(ap_match_at(&v, &p, ap_view_seek(&v, 2), &m));
    CHECK_INT(m.last.base, 3);
    CHECK(!ap_match_at(&v, &p, ap_view_seek(&v, 1), NULL));
    ap_pattern_release(&p);
    ap_view_release(&v);
}

static void test_identical_lines(void)
{
    const uint32_t N = 10000;
    ap_buf b = AP_BUF_INIT;
    for (uint32_t i = 0; i < N; i++)
        ap_buf_adds(&b, "    same();\n");
    ap_view v;
    view_of(&v, b.s, b.len);

    double t0 = now();
    ap_pattern p1, p3;
    ap_pattern_init(&p1, "same();", 7);
    ap_pattern_init(&p3, "same();\nsame();\n\nsame();\n", 25);
    ap_matches m = {0};
    CHECK_INT(ap_find_all(&v, &p1, ap_view_begin(&v), 0, &m), N);
    CHECK_INT(m.n, N);
    if (m.n == N) {
        CHECK_INT(m.m[0].first.base, 0);
        CHECK_INT(m.m[N - 1].first.base, N - 1);
    }
    ap_matches_release(&m);
    CHECK_INT(ap_find_all(&v, &p3, ap_view_begin(&v), 0, &m), N - 2);
    bool in_order = true;
    for (size_t i = 0; i < m.n; i++)
        in_order &= m.m[i].first.base == i && m.m[i].last.base == i + 2;
    CHECK(in_order);
    ap_matches_release(&m);

    double dt = now() - t0;
    CHECK(dt < 1.0);

    /* the same through inserted text: replace line 5000 by two copies */
    const char *two[] = {"same();", "  same();"};
    replace_lines(&v, ap_view_seek(&v, 5000), ap_view_seek(&v, 5001), two, 2);
    CHECK_INT(ap_find_all(&v, &p1, ap_view_begin(&v), 0, &m), N + 1);
    ap_matches_release(&m);
    CHECK_INT(ap_find_all(&v, &p3, ap_view_begin(&v), 0, &m), N - 1);
    if (m.n != N - 1) {
        ap_matches_release(&m);
        m.m = ap_xcalloc(N, sizeof *m.m); /* keep the checks below in bounds */
        m.n = N;
    }
    /* the match starting at line 4999 runs into the inserted lines */
    CHECK_INT(m.m[4999].first.base, 4999);
    CHECK_INT(m.m[4999].first.sp, -1);
    CHECK(m.m[4999].last.sp >= 0);
    CHECK_INT(m.m[4999].last.k, 1);
    CHECK(m.m[5000].first.sp >= 0);
    CHECK_INT(m.m[5000].first.k, 0);
    CHECK_INT(m.m[5001].first.k, 1);
    CHECK_INT(m.m[5002].first.base, 5001);
    ap_matches_release(&m);

    ap_pattern_release(&p1);
    ap_pattern_release(&p3);
    ap_buf_release(&b);
    ap_view_release(&v);
}

/* A long pattern of identical lines over identical lines: checking every
 * place would cost lines x pattern (150 million line comparisons here, seconds),
 * the linear scan costs lines + pattern (milliseconds). */
static void test_identical_lines_long_pattern(void)
{
    const uint32_t N = 20000, P = 10000;
    ap_buf b = AP_BUF_INIT, pb = AP_BUF_INIT;
    for (uint32_t i = 0; i < N; i++)
        ap_buf_adds(&b, i % 7 == 3 ? "\n" : "\tsame();\n");
    for (uint32_t i = 0; i < P; i++)
        ap_buf_adds(&pb, "same();\n");
    ap_view v;
    view_of(&v, b.s, b.len);
    uint32_t nonblank = N - (N + 3) / 7;
    double t0 = now();
    ap_pattern p;
    ap_pattern_init(&p, pb.s, pb.len);
    ap_matches m = {0};
    CHECK_INT(ap_find_all(&v, &p, ap_view_begin(&v), 0, &m), nonblank - P + 1);
    if (m.n > 0)
        CHECK_INT(m.m[0].first.base, 0);
    ap_matches_release(&m);
    ap_match one;
    CHECK(ap_find_first(&v, &p, ap_view_seek(&v, 11), &one));
    CHECK_INT(one.first.base, 11);
    CHECK(!ap_find_first(&v, &p, ap_view_seek(&v, N - 100), &one));
    double dt = now() - t0;
    if (dt > 1.0)
        fprintf(stderr, "  a 10,000-line pattern over 20,000 lines took %.2f s\n", dt);
    CHECK(dt < 1.0);
    ap_pattern_release(&p);
    ap_buf_release(&pb);
    ap_buf_release(&b);
    ap_view_release(&v);
}

static void test_inserted_text(void)
{
    ap_view v;
    view_str(&v, "a\nb\nc\nd\n");
    /* replace b with p q */
    const char *pq[] = {"  p", "q"};
    replace_lines(&v, ap_view_seek(&v, 1), ap_view_seek(&v, 2), pq, 2);
    CHECK_MATCHES(&v, "p\nq", "i1.0-i1.1");
    CHECK_MATCHES(&v, "a\np", "0-i1.0");
    CHECK_MATCHES(&v, "q\nc\nd", "i1.1-3");
    CHECK_MATCHES(&v, "a\np\nq\nc", "0-2");
    /* the replaced line is gone */
    CHECK_INT(count_all(&v, "b"), 0);
    CHECK_INT(count_all(&v, "a\nb"), 0);
    /* insert at the end and at the start */
    const char *e[] = {"end"};
    replace_lines(&v, ap_view_end(&v), ap_view_end(&v), e, 1);
    const char *s[] = {"start", "a"};
    replace_lines(&v, ap_view_begin(&v), ap_view_begin(&v), s, 2);
    CHECK_MATCHES(&v, "a", "i0.1-i0.1 0-0");
    CHECK_MATCHES(&v, "d\nend", "3-i4.0");
    CHECK_MATCHES(&v, "start\na\na\np", "i0.0-i1.0");
    /* an inserted blank line between matched lines is skipped */
    const char *blank[] = {"   "};
    replace_lines(&v, ap_view_seek(&v, 3), ap_view_seek(&v, 3), blank, 1);
    CHECK_MATCHES(&v, "c\nd", "2-3");
    /* delete c: q and d become neighbours */
    replace_lines(&v, ap_view_seek(&v, 2), ap_view_seek(&v, 3), NULL, 0);
    CHECK_MATCHES(&v, "q\nd", "i1.1-3");
    ap_view_release(&v);
}

static void test_rare_line_candidates(void)
{
    /* a common line and a rare one: the candidates path, with the rare line
     * in the middle of the pattern */
    ap_buf b = AP_BUF_INIT;
    for (int i = 0; i < 300; i++)
        ap_buf_addf(&b, "common\n%s", i == 100 || i == 250 ? "rare\ncommon\n" : "");
    ap_view v;
    view_of(&v, b.s, b.len);
    /* rare at lines 101 and 253 */
    CHECK_MATCHES(&v, "common\nrare\ncommon", "100-102 252-254");
    ap_pattern p;
    ap_pattern_init(&p, "common\nrare\ncommon", 18);
    ap_match m;
    CHECK(ap_find_first(&v, &p, ap_view_seek(&v, 101), &m));
    CHECK_INT(m.first.base, 252);
    ap_pattern_release(&p);
    /* a rare line that was replaced no longer counts */
    const char *x[] = {"other"};
    replace_lines(&v, ap_view_seek(&v, 101), ap_view_seek(&v, 102), x, 1);
    CHECK_MATCHES(&v, "common\nrare\ncommon", "252-254");
    /* and one inserted does */
    const char *r[] = {"rare"};
    replace_lines(&v, ap_view_seek(&v, 10), ap_view_seek(&v, 10), r, 1);
    CHECK_MATCHES(&v, "common\nrare\ncommon", "9-10 252-254");
    ap_view_release(&v);
    ap_buf_release(&b);
}

/* ------------------------------------------------- soft patterns (3.2) */

static char *soft_matches_str(const ap_view *v, const char *pat, ap_pos from)
{
    return find_str(v, pat, from, true);
}

static void check_soft(const ap_view *v, const char *pat, ap_pos from, const char *want, int line)
{
    char *got = soft_matches_str(v, pat, from);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  match_test.c:%d: soft matches of \"%s\": \"%s\", want \"%s\"\n", line,
                pat, got, want);
        check_failed_in_test++;
    }
    free(got);
}
#define CHECK_SOFT(v, pat, from, want) check_soft((v), (pat), (from), (want), __LINE__)

/* A one-line soft pattern merges three lists (exact lines, decorated lines,
 * inserted lines): in text order, each once, from the position asked. */
static void test_soft_one_line(void)
{
    ap_view v;
    view_str(&v, "x = 1\n# x = 1\nself.x = 1\n  // x = 1\nfoo\nx = 1\n# 2. x = 1\n");
    CHECK_SOFT(&v, "x = 1", ap_view_begin(&v), "0 1 3 5 6");
    /* a decorated pattern line: exact and decorated lists hold the same lines */
    CHECK_SOFT(&v, "# x = 1", ap_view_begin(&v), "1");
    const char *two[] = {"- x = 1", "x = 1"};
    replace_lines(&v, ap_view_seek(&v, 4), ap_view_seek(&v, 5), two, 2);
    const char *one[] = {"1. x = 1"};
    replace_lines(&v, ap_view_begin(&v), ap_view_begin(&v), one, 1);
    CHECK_SOFT(&v, "x = 1", ap_view_begin(&v), "i0.0 0 1 3 i4.0 i4.1 5 6");
    CHECK_SOFT(&v, "x = 1", ap_view_seek(&v, 3), "3 i4.0 i4.1 5 6");
    /* from an inserted line: the lines of its splice before it are not taken */
    ap_pos in = ap_view_seek(&v, 4);
    CHECK_INT(in.sp >= 0, 1);
    in = ap_view_next(&v, in);
    CHECK_SOFT(&v, "x = 1", in, "i4.1 5 6");
    /* a base line replaced is gone */
    replace_lines(&v, ap_view_seek(&v, 5), ap_view_seek(&v, 6), NULL, 0);
    CHECK_SOFT(&v, "x = 1", ap_view_begin(&v), "i0.0 0 1 3 i4.0 i4.1 6");
    /* the first match, from anywhere */
    ap_pattern p;
    ap_pattern_init(&p, "x = 1", 5);
    p.soft = true;
    ap_match m;
    CHECK(ap_find_first(&v, &p, ap_view_seek(&v, 2), &m));
    CHECK_INT(m.first.base, 3);
    CHECK(!ap_find_first(&v, &p, ap_view_end(&v), &m));
    ap_pattern_release(&p);
    ap_view_release(&v);
    /* many decorated copies of one key (a bucket sorted apart): all, in order */
    ap_buf b = AP_BUF_INIT, want = AP_BUF_INIT;
    ap_buf_adds(&want, "");
    for (int i = 0; i < 200; i++) {
        ap_buf_addf(&b, i % 3 ? "# y = 2\n" : "other %d\n", i);
        if (i % 3)
            ap_buf_addf(&want, "%s%d", want.len ? " " : "", i);
    }
    view_of(&v, b.s, b.len);
    CHECK_SOFT(&v, "y = 2", ap_view_begin(&v), want.s);
    ap_view_release(&v);
    ap_buf_release(&b);
    ap_buf_release(&want);
}

/* Soft heads across many splices: the live lines come out as
 * ap_view_base_alive says, whatever the gaps between heads (the splice
 * cursor steps one by one, and by halves past eight splices), from
 * anywhere. */
static void test_soft_heads_many_splices(void)
{
    srand(2020);
    for (int round = 0; round < 40; round++) {
        ap_buf b = AP_BUF_INIT;
        int lines = 200 + rand() % 400;
        for (int i = 0; i < lines; i++)
            ap_buf_adds(&b, rand() % 4 == 0 ? "# x = 1\n" : rand() % 3 == 0 ? "x = 1\n" : "other\n");
        ap_view v;
        view_of(&v, b.s, b.len);
        /* deletions, replacements and insertions, far apart or close */
        const char *ins[] = {"y"};
        int edits = rand() % 60;
        for (int e = 0; e < edits; e++) {
            uint32_t at = (uint32_t)(rand() % lines), len = (uint32_t)(rand() % 3);
            if (at + len > (uint32_t)lines)
                len = (uint32_t)lines - at;
            ap_pos from = ap_view_seek(&v, at);
            if (from.sp >= 0 || !ap_view_base_alive(&v, at))
                continue;
            ap_pos to = ap_view_seek(&v, at + len);
            if (to.sp >= 0 && at + len < (uint32_t)lines)
                continue;
            replace_lines(&v, from, to, ins, (uint32_t)(rand() % 2));
        }
        for (int k = 0; k < 3; k++) {
            uint32_t f = k == 0 ? 0 : (uint32_t)(rand() % lines);
            ap_pos from = ap_view_seek(&v, f);
            if (from.sp >= 0)
                continue;
            ap_buf want = AP_BUF_INIT;
            ap_buf_adds(&want, "");
            for (uint32_t l = from.base; l < (uint32_t)lines; l++) {
                const ap_line *t = &v.base->lines[l];
                const char *st = t->s + t->s_off;
                bool holds = (t->s_len == 5 && memcmp(st, "x = 1", 5) == 0) ||
                             (t->s_len == 7 && memcmp(st, "# x = 1", 7) == 0);
                if (holds && ap_view_base_alive(&v, l))
                    ap_buf_addf(&want, "%s%u", want.len ? " " : "", l);
            }
            char *got = soft_matches_str(&v, "x = 1", from);
            if (strcmp(got, want.s) != 0) {
                fprintf(stderr, "  round %d from %u: got \"%s\", want \"%s\"\n", round, f, got, want.s);
                check_failed_in_test++;
            }
            free(got);
            ap_buf_release(&want);
        }
        ap_view_release(&v);
        ap_buf_release(&b);
        if (check_failed_in_test)
            break;
    }
}

/* The decoration a soft line may carry: every character of the rule, and
 * nothing else, by the bytes that start it. */
static void test_decoration(void)
{
    const char *deco[] = {" ", "\t", "#", "/", "*", ">", "+", "-", "[", "]", "(", ")", ".", "0",
                          "9", "\xe2\x80\xa2", "\xc2\xb7", "\xc2\xa0", "\xe3\x80\x80",
                          "\xe2\x80\x83", "\x1c", NULL};
    for (int i = 0; deco[i]; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%sx", deco[i]);
        CHECK_INT(ap_decoration_len(buf, strlen(buf)), strlen(deco[i]));
    }
    const char *not_deco[] = {"x", "_", "@", "\xc2\xa9", "\xe2\x80\xa3", "\xe3\x81\x80",
                              "\xc2", "\xe2\x80", "!", ",", "<", "=", NULL};
    for (int i = 0; not_deco[i]; i++)
        CHECK_INT(ap_decoration_len(not_deco[i], strlen(not_deco[i])), 0);
    CHECK_INT(ap_decoration_len("# 1. - item", 11), 7);
}

/* ---------------------------------------------------------- find_prefix */

static void test_find_prefix(void)
{
    ap_view v;
    view_str(&v, "a\nb\nX\na\nb\nc\nd\n");
    ap_pattern p;
    ap_match w;

    ap_pattern_init(&p, "a\nb\nc\nZ", 7);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 3);
    CHECK_INT(w.first.base, 3);
    CHECK_INT(w.last.base, 5);
    ap_pattern_release(&p);

    ap_pattern_init(&p, "a\nb\nQ", 5);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 2);
    CHECK_INT(w.first.base, 0); /* the first of the equally long ones */
    CHECK_INT(w.last.base, 1);
    /* from a later position */
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_seek(&v, 1), &w), 2);
    CHECK_INT(w.first.base, 3);
    ap_pattern_release(&p);

    ap_pattern_init(&p, "Q\na", 3);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 0);
    ap_pattern_release(&p);

    /* the whole pattern */
    ap_pattern_init(&p, "c\n\nd", 4);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 2);
    CHECK_INT(w.first.base, 5);
    CHECK_INT(w.last.base, 6);
    ap_pattern_release(&p);

    /* blank lines in the target are skipped */
    ap_view_release(&v);
    view_str(&v, "k1\n\n\nk2\nk9\n");
    ap_pattern_init(&p, "k1\nk2\nk3", 8);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 2);
    CHECK_INT(w.last.base, 3);
    ap_pattern_release(&p);

    /* the first line only in inserted text */
    const char *ins[] = {"new1", "new2"};
    replace_lines(&v, ap_view_seek(&v, 4), ap_view_seek(&v, 4), ins, 2);
    ap_pattern_init(&p, "new1\nnew3", 9);
    CHECK_INT(ap_find_prefix(&v, &p, ap_view_begin(&v), &w), 1);
    CHECK(w.first.sp >= 0);
    CHECK_INT(w.first.k, 0);
    ap_pattern_release(&p);
    ap_view_release(&v);
}

/* ------------------------------------------------------------- similar */

static void test_similar_lines(void)
{
    ap_view v;
    view_str(&v, "def compute_total(items):\n"      /* 0: 1 edit of 25 */
                 "print('unrelated')\n"             /* 1: far */
                 "def compute_totals(items):\n"     /* 2: 2 edits of 26 */
                 "\n"
                 "    def compute_total(item):\n"   /* 4: 1 edit (delete) of 25 */
                 "def compute(x):\n"                /* 5: many edits */
                 "def compute_total(itemz):\n");    /* 6: exact */
    ap_line q;
    const char *qs = "  def compute_total(itemz):  ";
    ap_line_init(&q, qs, (uint32_t)strlen(qs), 0);
    ap_similar out[8];
    size_t n = ap_similar_lines(&v, &q, ap_view_begin(&v), out, 8);
    /* scores: 6 -> 1.0; 0 and 4 -> 1 - 1/25 = 0.96 (text order on the tie);
     * 2 -> 1 - 2/26; 5 -> 1 - 11/25 = 0.56; 1 is below 0.5 */
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_INT(out[0].pos.base, 6);
        CHECK_INT(out[1].pos.base, 0);
        CHECK_INT(out[2].pos.base, 4);
        CHECK_INT(out[3].pos.base, 2);
        CHECK_INT(out[4].pos.base, 5);
        CHECK_INT((int)(out[0].score * 1000 + 0.5), 1000);
        CHECK_INT((int)(out[1].score * 1000 + 0.5), 960);
        CHECK_INT((int)(out[2].score * 1000 + 0.5), 960);
        CHECK_INT((int)(out[3].score * 1000 + 0.5), 923);
        CHECK_INT((int)(out[4].score * 1000 + 0.5), 560);
    }
    /* max limits the answer to the best ones */
    n = ap_similar_lines(&v, &q, ap_view_begin(&v), out, 2);
    CHECK_INT(n, 2);
    CHECK_INT(out[0].pos.base, 6);
    CHECK_INT(out[1].pos.base, 0);
    /* from a later line: lines before it are not considered */
    n = ap_similar_lines(&v, &q, ap_view_seek(&v, 3), out, 8);
    CHECK_INT(n, 3);
    CHECK_INT(out[0].pos.base, 6);
    CHECK_INT(out[1].pos.base, 4);
    CHECK_INT(out[2].pos.base, 5);
    /* nothing alike */
    ap_line z;
    ap_line_init(&z, "zzzzqqqq", 8, 0);
    CHECK_INT(ap_similar_lines(&v, &z, ap_view_begin(&v), out, 8), 0);
    ap_view_release(&v);

    /* inserted lines are candidates too */
    view_str(&v, "alpha\n");
    const char *ins[] = {"compute_total()"};
    replace_lines(&v, ap_view_end(&v), ap_view_end(&v), ins, 1);
    ap_line_init(&q, "compute_totl()", 14, 0);
    n = ap_similar_lines(&v, &q, ap_view_begin(&v), out, 3);
    CHECK_INT(n, 1);
    CHECK(out[0].pos.sp >= 0);
    CHECK_INT((int)(out[0].score * 1000 + 0.5), 933);
    ap_view_release(&v);
}

/* ap_similar_whole: the answer of ap_similar_lines from the beginning,
 * scanned once per question of a text with no splice; keyed by the query's
 * bytes, not where they are (a text outlives the patch that asked). */
static void same_answer(const ap_similar *a, size_t na, const ap_similar *b, size_t nb)
{
    CHECK_INT(na, nb);
    for (size_t i = 0; i < na && i < nb; i++) {
        CHECK_INT(ap_pos_key(a[i].pos) == ap_pos_key(b[i].pos), 1);
        CHECK(a[i].score == b[i].score);
    }
}

/* A line of random words (a small vocabulary, so that lines say what
 * others say), separators, and now and then a non-ASCII byte, a blank
 * line, a single word, 30 to 37 words or more than 32 distinct ones. */
static void random_words_line(ap_buf *b)
{
    static const char *const vocab[] = {"int", "x", "return", "ctx", "check_table_1", "check_table_12",
                                        "value", "a", "b", "_", "v2", "0", "flags_1", "load", "xx"};
    static const char *const seps[] = {" ", ", ", "(", ") ", " = ", "->", "; ", " /* ", "\xc3\xa9", "-"};
    int kind = rand() % 12;
    if (kind == 3) {
        /* 32 distinct words, then others: words_of counts only the 32, so
         * two such lines say the same whatever follows (their sets, made of
         * every word, need not be within each other) */
        for (int i = 0; i < 32; i++)
            ap_buf_addf(b, "w%d ", i);
        for (int i = 1 + rand() % 2; i > 0; i--) {
            const char *w = vocab[rand() % 15];
            ap_buf_add(b, w, strlen(w));
            ap_buf_addc(b, ' ');
        }
        ap_buf_addc(b, '\n');
        return;
    }
    int words = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 ? 30 + rand() % 8 : 2 + rand() % 6;
    if (rand() % 3 == 0)
        ap_buf_add(b, "    ", 4);
    for (int i = 0; i < words; i++) {
        const char *w = vocab[rand() % 15];
        ap_buf_add(b, w, strlen(w));
        const char *sep = seps[rand() % 10];
        if (i + 1 < words || rand() % 2)
            ap_buf_add(b, sep, strlen(sep));
    }
    ap_buf_addc(b, '\n');
}

/* The answer ap_view_may_say must give: a live non-blank line with its
 * words within q's (or q's within its), scored 0.5 to below 1. */
static bool may_say_by_hand(const ap_view *v, const ap_line *q)
{
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        if (l->blank || !ap_words_within(l, q))
            continue;
        double r = ap_line_ratio(q, l);
        if (r >= 0.5 && r < 1.0)
            return true;
    }
    return false;
}

/* The sets a text's lines get 64 bytes at a time (words cut by a window,
 * words longer than one, lines near the text's end, bytes above 127, more
 * than 32 words) against the sets made byte by byte. */
static void test_word_sets_fast(void)
{
    srand(21);
    static const char *const parts[] = {"a", "x_1", "ctx", "return", "  ", " ", "->", "(", ")", ";", "\xc3\xa9",
                                        "_", "0", "\t", "value_4613", "resolve_token_347", "=", "é_b"};
    for (int round = 0; round < 300; round++) {
        ap_buf b = AP_BUF_INIT;
        int n = 1 + rand() % 30;
        for (int i = 0; i < n; i++) {
            int kind = rand() % 10, len = kind == 0 ? 0 : kind == 1 ? 40 + rand() % 120 : rand() % 24;
            for (int k = 0; k < len; k++) {
                if (kind == 2 && rand() % 4 == 0) {
                    /* a word of 50 to 150 bytes, often across a window */
                    for (int j = 50 + rand() % 100; j > 0; j--)
                        ap_buf_addc(&b, (char)("abcXYZ_019"[rand() % 10]));
                    continue;
                }
                const char *w = parts[rand() % 18];
                ap_buf_add(&b, w, strlen(w));
            }
            ap_buf_addc(&b, '\n');
        }
        ap_text *t = ap_text_new(b.s, b.len);
        CHECK(ap_words_sets_agree(t));
        ap_text_release(t);
        ap_buf_release(&b);
    }
}

/* ap_view_may_say against every line asked by hand, and the snippet's
 * verdict with it against the verdict of a scan alone, over random views
 * (splices included) and queries: the sets of words must never hide a line
 * (a word left out of a set, or a set of a line of more than 32 words
 * taken as whole, would). */
static void test_may_say(void)
{
    srand(20);
    int said = 0, asked = 0, yes = 0;
    for (int round = 0; round < 400; round++) {
        ap_buf b = AP_BUF_INIT;
        int n = 1 + rand() % 40;
        for (int i = 0; i < n; i++)
            random_words_line(&b);
        ap_view v;
        view_of(&v, b.s, b.len);
        ap_buf_release(&b);
        /* a few splices, bottom up so that base lines stay put */
        uint32_t top = v.base->n;
        for (int k = rand() % 3; k > 0 && top > 1; k--) {
            uint32_t a = (uint32_t)rand() % top, e = a + (uint32_t)rand() % (top - a);
            char store[4][400];
            const char *ins[4];
            uint32_t ni = (uint32_t)rand() % 4;
            for (uint32_t i = 0; i < ni; i++) {
                ap_buf lb = AP_BUF_INIT;
                random_words_line(&lb);
                size_t len = lb.len - 1 < sizeof store[i] - 1 ? lb.len - 1 : sizeof store[i] - 1;
                memcpy(store[i], lb.s, len);
                store[i][len] = 0;
                ap_buf_release(&lb);
                ins[i] = store[i];
            }
            replace_lines(&v, ap_view_seek(&v, a), ap_view_seek(&v, e), ins, ni);
            top = a;
        }
        for (int k = 0; k < 8; k++) {
            ap_buf qb = AP_BUF_INIT;
            if (k % 2 && v.base->n) {
                /* a line of the text, a word more or a few bytes fewer */
                const ap_line *l = &v.base->lines[(uint32_t)rand() % v.base->n];
                ap_buf_add(&qb, l->s, l->len);
                if (rand() % 2)
                    ap_buf_add(&qb, " value", 6);
                else if (qb.len > 3)
                    qb.len -= (size_t)(1 + rand() % 3);
                ap_buf_addc(&qb, '\n');
            } else {
                random_words_line(&qb);
            }
            ap_pattern snip;
            ap_pattern_init(&snip, qb.s, qb.len); /* (over qb's bytes) */
            if (snip.n == 0) {
                ap_pattern_release(&snip);
                ap_buf_release(&qb);
                continue;
            }
            const ap_line *q = ap_pattern_at(&snip, 0);
            bool want = may_say_by_hand(&v, q), got = ap_view_may_say(&v, q);
            CHECK(got == want);
            CHECK(ap_view_may_say(&v, q) == want); /* asked again (kept when no splice) */
            asked++;
            said += want;
            /* the verdict, with the sets and by the scan alone */
            ap_match where = {ap_view_begin(&v), ap_view_begin(&v)};
            bool with = ap_snippet_looks_elsewhere(&v, &snip, where);
            ap_words_scan_only = true;
            bool scan = ap_snippet_looks_elsewhere(&v, &snip, where);
            ap_words_scan_only = false;
            CHECK(with == scan);
            yes += scan;
            ap_pattern_release(&snip);
            ap_buf_release(&qb);
        }
        if (round % 50 == 0)
            ap_text_drop_tables(v.base); /* made again the same */
        ap_view_release(&v);
    }
    /* the random lines must reach both answers, or this tests nothing */
    printf("  may_say: %d of %d asked, %d yes\n", said, asked, yes);
    CHECK(said > 50 && said < asked - 50);
    CHECK(yes > 5);
}

static void test_similar_whole(void)
{
    ap_view v;
    view_str(&v, "def compute_total(items):\n"
                 "print('unrelated')\n"
                 "def compute_totals(items):\n"
                 "\n"
                 "    def compute_total(item):\n"
                 "def compute(x):\n"
                 "def compute_total(itemz):\n");
    char qs[64];
    ap_line q;
    ap_similar got[4], want[4];
    strcpy(qs, "def compute_total(itemz):");
    ap_line_init(&q, qs, (uint32_t)strlen(qs), 0);
    size_t before = ap_similar_scans;
    size_t ng = ap_similar_whole(&v, &q, got, 4);
    CHECK_INT(ap_similar_scans - before, 1);
    size_t nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 4);
    same_answer(got, ng, want, nw);
    CHECK_INT(ng, 4);
    /* asked again: the kept answer, no scan */
    before = ap_similar_scans;
    ng = ap_similar_whole(&v, &q, got, 4);
    CHECK_INT(ap_similar_scans - before, 0);
    same_answer(got, ng, want, nw);
    /* another max is another question */
    before = ap_similar_scans;
    ng = ap_similar_whole(&v, &q, got, 2);
    CHECK_INT(ap_similar_scans - before, 1);
    nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 2);
    same_answer(got, ng, want, nw);
    /* the same place, other bytes of the same length: another question */
    strcpy(qs, "print('unrelatedxxxxxxx')");
    ap_line_init(&q, qs, (uint32_t)strlen(qs), 0);
    ng = ap_similar_whole(&v, &q, got, 4);
    nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 4);
    same_answer(got, ng, want, nw);
    CHECK_INT(ng, 1);
    /* more questions than the text keeps answers: each still right */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 40; i++) {
            snprintf(qs, sizeof qs, "def compute_%d(items):", i);
            ap_line_init(&q, qs, (uint32_t)strlen(qs), 0);
            ng = ap_similar_whole(&v, &q, got, 4);
            nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 4);
            same_answer(got, ng, want, nw);
        }
    /* tables dropped (and the answers with them): made again, the same */
    strcpy(qs, "def compute_total(itemz):");
    ap_line_init(&q, qs, (uint32_t)strlen(qs), 0);
    ap_text_drop_tables(v.base);
    before = ap_similar_scans;
    ng = ap_similar_whole(&v, &q, got, 4);
    CHECK_INT(ap_similar_scans - before, 1);
    nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 4);
    same_answer(got, ng, want, nw);
    /* a view with a splice is not its text: scanned each time */
    const char *ins[] = {"def compute_total(itemz):"};
    replace_lines(&v, ap_view_seek(&v, 6), ap_view_end(&v), ins, 1);
    before = ap_similar_scans;
    ng = ap_similar_whole(&v, &q, got, 4);
    ng = ap_similar_whole(&v, &q, got, 4);
    CHECK_INT(ap_similar_scans - before, 2);
    nw = ap_similar_lines(&v, &q, ap_view_begin(&v), want, 4);
    same_answer(got, ng, want, nw);
    CHECK(ng > 0 && got[0].pos.sp >= 0); /* the inserted line, not the kept answer's */
    ap_view_release(&v);
}

/* ap_similar_lines against the selection it stands for, done plainly: every
 * live line from `from` on, in view order, estimated and kept among the 24
 * best as the first version kept them (no line skipped, no shortcut), then
 * the kept ones scored exactly. Texts from a small vocabulary of lines and
 * their variants (many equal estimates), with inserted lines. */
static size_t plain_distance(const char *a, size_t na, const char *b, size_t nb);

static uint64_t plain_bigrams(const char *s, size_t n)
{
    uint64_t set = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t h = ((unsigned char)s[i] * 31u + (unsigned char)s[i + 1]) * 2654435761u;
        set |= 1ull << (h >> 26);
    }
    if (n == 1)
        set |= 1ull << ((unsigned char)s[0] & 63);
    return set;
}

static double plain_ratio(const char *a, size_t na, const char *b, size_t nb)
{
    na = na > 256 ? 256 : na;
    nb = nb > 256 ? 256 : nb;
    size_t longer = na > nb ? na : nb;
    return longer ? 1.0 - (double)plain_distance(a, na, b, nb) / (double)longer : 1.0;
}

static size_t plain_similar(const ap_view *v, const ap_line *q, ap_pos from, ap_similar *out, size_t max)
{
    enum { KEEP = 24 };
    struct { ap_pos pos; double e; } best[KEEP];
    size_t nbest = 0, worst = 0;
    uint64_t qs = plain_bigrams(q->s + q->s_off, q->s_len);
    int qpop = __builtin_popcountll(qs);
    size_t qn = q->s_len;
    for (ap_pos p = from; !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        if (l->blank)
            continue;
        uint64_t ls = plain_bigrams(l->s + l->s_off, l->s_len);
        int inter = __builtin_popcountll(qs & ls), uni = qpop + __builtin_popcountll(ls) - inter;
        double e = uni ? (double)inter / uni : 0;
        size_t lo = qn < l->s_len ? qn : l->s_len, hi = qn < l->s_len ? l->s_len : qn;
        e = e * 0.7 + (hi ? (double)lo / (double)hi : 1.0) * 0.3;
        if (nbest < KEEP || e > best[worst].e) {
            size_t at = nbest < KEEP ? nbest++ : worst;
            best[at].pos = p;
            best[at].e = e;
            if (nbest == KEEP)
                for (size_t i = worst = 0; i < KEEP; i++)
                    if (best[i].e < best[worst].e)
                        worst = i;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < nbest; i++) {
        const ap_line *l = ap_view_line(v, best[i].pos);
        double r = plain_ratio(q->s + q->s_off, qn, l->s + l->s_off, l->s_len);
        if (r < 0.5)
            continue;
        ap_similar_keep(out, &n, max, best[i].pos, r);
    }
    return n;
}

/* The bigram set of every pair of bytes, and of strings of them, as the
 * plain formula gives it. */
static void test_bigram_sets(void)
{
    int bad = 0;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++) {
            char two[2] = {(char)a, (char)b};
            bad += ap_bigram_set(two, 2) != plain_bigrams(two, 2);
        }
    for (unsigned a = 0; a < 256; a++) {
        char one[1] = {(char)a};
        bad += ap_bigram_set(one, 1) != plain_bigrams(one, 1);
    }
    const char *line = "\xff\xfe int total_3 = count(items, 7); /* \xc3\xa9t\xc3\xa9 */";
    bad += ap_bigram_set(line, strlen(line)) != plain_bigrams(line, strlen(line));
    bad += ap_bigram_set("", 0) != 0;
    CHECK_INT(bad, 0);
}

static uint32_t similar_seed;

static uint32_t RND(uint32_t m)
{
    similar_seed = similar_seed * 1103515245u + 12345u;
    return (similar_seed >> 8) % m;
}

static void test_similar_lines_as_a_plain_scan(void)
{
    static const char *words[] = {"total", "count", "items", "index", "ctx", "frame", "token", "sum"};
    similar_seed = 99;
    int bad = 0;
    for (int round = 0; round < 300 && !bad; round++) {
        ap_buf b = AP_BUF_INIT;
        uint32_t lines = 30 + RND(400);
        for (uint32_t i = 0; i < lines; i++) {
            switch (RND(7)) {
            case 0: ap_buf_addc(&b, '\n'); break;
            case 1: ap_buf_add(&b, "}\n", 2); break;
            case 2: /* a line longer than the scan's table of lengths (256) */
                for (uint32_t w = 40 + RND(30); w > 0; w--) {
                    ap_buf_adds(&b, words[RND(8)]);
                    ap_buf_addc(&b, ' ');
                }
                ap_buf_addc(&b, '\n');
                break;
            default: {
                char line[96];
                int len = snprintf(line, sizeof line, "%*s%s_%u = %s(%s, %u);\n", (int)RND(3) * 4, "",
                                   words[RND(8)], (unsigned)RND(round % 3 ? 5 : 500), words[RND(8)],
                                   words[RND(8)], (unsigned)RND(40));
                ap_buf_add(&b, line, (size_t)len);
            }
            }
        }
        ap_view v;
        view_of(&v, b.s, b.len);
        for (int k = 0; k < (int)RND(4); k++) {
            const char *ins[] = {"total_3 = count(items, 7);", "", "sum_1 = frame(ctx, 2);"};
            ap_pos at = ap_view_seek(&v, RND(ap_text_line_count(v.base) + 1));
            ap_pos to = at;
            for (uint32_t d = RND(3); d > 0 && !ap_view_at_end(&v, to); d--)
                to = ap_view_next(&v, to);
            replace_lines(&v, at, to, ins, 1 + RND(3));
        }
        for (int qi = 0; qi < 8; qi++) {
            char qline[96];
            int qlen = snprintf(qline, sizeof qline, "  %s_%u = %s(%s, %u);", words[RND(8)],
                                (unsigned)RND(round % 3 ? 5 : 500), words[RND(8)], words[RND(8)],
                                (unsigned)RND(40));
            ap_line q;
            ap_line_init(&q, qline, (uint32_t)qlen, 0);
            ap_pos from = RND(4) ? ap_view_begin(&v) : ap_view_seek(&v, RND(lines));
            size_t max = 1 + RND(6);
            ap_similar got[8], want[8];
            size_t ng = ap_similar_lines(&v, &q, from, got, max), nw = plain_similar(&v, &q, from, want, max);
            bool same = ng == nw;
            for (size_t i = 0; same && i < ng; i++)
                same = ap_pos_key(got[i].pos) == ap_pos_key(want[i].pos) && got[i].score == want[i].score;
            if (!same) {
                bad++;
                fprintf(stderr, "similar lines differ from the plain scan: round %d, query '%s', %zu vs %zu\n",
                        round, qline, ng, nw);
            }
        }
        ap_view_release(&v);
        ap_buf_release(&b);
    }
    CHECK_INT(bad, 0);
}

/* The bit-parallel distance against the plain table, on random strings over
 * small alphabets (many repeats) of every length up to 300. */
static size_t plain_distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t *row = malloc((nb + 1) * sizeof *row);
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[nb];
    free(row);
    return d;
}

static void test_edit_distance(void)
{
    uint32_t seed = 12345;
    char a[300], b[300];
    int bad = 0;
    for (int round = 0; round < 4000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t na = (seed >> 8) % (round < 2000 ? 70 : 300);
        seed = seed * 1103515245u + 12345u;
        size_t nb = (seed >> 8) % (round % 3 ? 70 : 300);
        int alpha = 2 + round % 5;
        for (size_t i = 0; i < na; i++)
            seed = seed * 1103515245u + 12345u, a[i] = (char)('a' + (seed >> 16) % alpha);
        for (size_t i = 0; i < nb; i++)
            seed = seed * 1103515245u + 12345u, b[i] = (char)('a' + (seed >> 16) % alpha);
        if (round % 7 == 0 && na <= nb) /* b a copy of a with edits */
            memcpy(b, a, na);
        if (round % 11 == 0) /* bytes above 127 */
            for (size_t i = 0; i < na; i += 3)
                a[i] = (char)(0xc3 + i % 2);
        bad += ap_edit_distance(a, na, b, nb) != plain_distance(a, na, b, nb);
    }
    /* every length at the words' edges (64, 128, 192, 256) */
    static const size_t edges[] = {63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
            for (int alpha = 2; alpha <= 6; alpha += 4) {
                size_t na = edges[i], nb = edges[k];
                for (size_t j = 0; j < na; j++)
                    seed = seed * 1103515245u + 12345u, a[j] = (char)('a' + (seed >> 16) % alpha);
                for (size_t j = 0; j < nb; j++)
                    seed = seed * 1103515245u + 12345u, b[j] = (char)('a' + (seed >> 16) % alpha);
                bad += ap_edit_distance(a, na, b, nb) != plain_distance(a, na, b, nb);
            }
    CHECK_INT(bad, 0);
    CHECK_INT(ap_edit_distance("", 0, "abc", 3), 3);
    CHECK_INT(ap_edit_distance("kitten", 6, "sitting", 7), 3);
    char x[64], y[64];
    memset(x, 'x', 64);
    memset(y, 'x', 64);
    y[63] = 'y';
    CHECK_INT(ap_edit_distance(x, 64, y, 64), 1);
    CHECK_INT(ap_edit_distance(x, 64, y, 63), 1);
}

/* The decorated lines a key gives (slots of a table): every decorated line
 * of the key, ascending, and only decorated lines, against a plain scan of
 * the text, for texts of few keys and of many (slots shared by keys). */
static void test_decorated_lists(void)
{
    static const char *const fronts[] = {"", "# ", "// ", "* ", "1. ", "- ", "  ", "> ", "\xe2\x80\xa2 "};
    srand(99);
    for (int round = 0; round < 300; round++) {
        int lines = rand() % 400, keys = 1 + rand() % (round % 2 ? 4 : 300);
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, "");
        for (int i = 0; i < lines; i++)
            ap_buf_addf(&b, "%sitem %d\n", fronts[rand() % 9], rand() % keys);
        ap_text *t = ap_text_new(b.s, b.len);
        ap_buf_release(&b);
        for (int k = 0; k < keys; k++) {
            char want[32];
            int wn = snprintf(want, sizeof want, "item %d", k);
            uint64_t key = ap_hash(want, (size_t)wn);
            uint32_t n;
            const uint32_t *got = ap_text_decorated(t, key, &n);
            uint32_t j = 0;
            for (uint32_t i = 0; i < t->n; i++) {
                const ap_line *l = &t->lines[i];
                size_t d = l->blank ? 0 : ap_decoration_len(l->s + l->s_off, l->s_len);
                bool decorated = d > 0;
                bool of_key = decorated && ap_hash(l->s + l->s_off + d, l->s_len - d) == key;
                bool listed = j < n && got[j] == i;
                if (of_key)
                    CHECK(listed);
                if (listed) {
                    CHECK(decorated);
                    j++;
                }
            }
            CHECK_INT(j, n); /* ascending: every one was met in order */
        }
        ap_text_release(t);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
}

/* The same decorated lines (and keys) as the text lists itself: a fresh
 * listing of its bytes against t's taken over. */
static bool same_decorated(ap_text *t, const char *bytes, size_t len)
{
    ap_text *fresh = ap_text_new(bytes, len);
    uint32_t ignore;
    ap_text_decorated(fresh, 0, &ignore);
    bool same = t->deco_known && fresh->n_deco == t->n_deco;
    for (uint32_t i = 0; same && i < t->n_deco; i++)
        same = fresh->deco_refs[i].key == t->deco_refs[i].key &&
               fresh->deco_refs[i].line == t->deco_refs[i].line;
    ap_text_release(fresh);
    return same;
}

/* A line of the texts below: decorated or not, of few keys. */
static void random_line(ap_buf *b)
{
    static const char *const fronts[] = {"",   "# ", "// ", "* ", "1. ",
                                         "- ", "  ", "> ",  "\xe2\x80\xa2 ", "/* "};
    if (rand() % 8 == 0)
        ap_buf_adds(b, "\n");
    else
        ap_buf_addf(b, "%sitem %d\n", fronts[rand() % 10], rand() % 20);
}

/* A rendered text (copied runs of src's lines between new ones) and a
 * joined one (src's records between others) take over src's decorated
 * lines: the same as listing their own, and unlisted when src has not. */
static void test_decorated_taken_over(void)
{
    srand(7);
    for (int round = 0; round < 400; round++) {
        ap_buf sb = AP_BUF_INIT;
        ap_buf_adds(&sb, "");
        int ns = rand() % 60;
        for (int i = 0; i < ns; i++)
            random_line(&sb);
        ap_text *src = ap_text_new(sb.s, sb.len);
        uint32_t ignore;
        bool listed = round % 5 != 0;
        if (listed)
            ap_text_decorated(src, 0, &ignore);
        /* rendered: runs of src's lines (ascending, as a render copies
         * them) between lines of its own */
        ap_buf out = AP_BUF_INIT;
        ap_buf_adds(&out, "");
        ap_hunk runs[64];
        size_t nr = 0;
        const ap_line *joined[256];
        uint32_t nj = 0;
        ap_text *other = ap_text_new("zz\n# item 3\n", 12);
        for (uint32_t at = 0; at < src->n && nr < 64;) {
            if (rand() % 2) {
                random_line(&out);
                joined[nj++] = &other->lines[rand() % 2];
                continue;
            }
            uint32_t end = at + 1 + (uint32_t)(rand() % (src->n - at));
            const ap_line *last = &src->lines[end - 1];
            uint32_t bytes = (uint32_t)(last->s + last->len + 1 - src->lines[at].s);
            runs[nr++] = (ap_hunk){at, end, (uint32_t)out.len, bytes};
            ap_buf_add(&out, src->lines[at].s, runs[nr - 1].out_len);
            for (uint32_t k = at; k < end; k++)
                joined[nj++] = &src->lines[k];
            at = end + (uint32_t)(rand() % 3);
        }
        ap_text *t =
            ap_text_adopt_copied(ap_xmemdup(out.s ? out.s : "", out.len), out.len, src, runs, nr);
        if (listed && nr > 0)
            CHECK(same_decorated(t, t->bytes, t->len));
        else
            CHECK(!t->deco_known);
        ap_text_release(t);
        /* joined */
        if (nj > 0) {
            ap_text *j = ap_text_join(joined, nj);
            CHECK(j != NULL);
            ap_text_inherit_decorated_lines(j, src, joined, nj);
            if (listed)
                CHECK(same_decorated(j, j->bytes, j->len));
            else
                CHECK(!j->deco_known);
            ap_text_release(j);
        }
        /* joined from a view of src (applied.c's probes): its runs read
         * from the splices; some replace lines, some only insert, some
         * only delete, the last may reach the end */
        ap_view v;
        ap_view_init(&v, src);
        static const char *const news[] = {"# item 3", "zz", "  - item 7", "item 1"};
        uint32_t top = src->n;
        for (int e = rand() % 5; e > 0 && top > 0; e--) {
            uint32_t a = (uint32_t)(rand() % (top + 1)), b = a + (uint32_t)(rand() % 3);
            if (b > top)
                b = top;
            replace_lines(&v, ap_view_seek(&v, a), ap_view_seek(&v, b), news + rand() % 2,
                          (uint32_t)(rand() % 3));
            top = a;
        }
        const ap_line **vl = NULL;
        uint32_t nv = 0, vcap = 0;
        for (ap_pos p = ap_view_begin(&v); !ap_view_at_end(&v, p); p = ap_view_next(&v, p)) {
            AP_GROW(vl, nv, vcap);
            vl[nv++] = ap_view_line(&v, p);
        }
        ap_text *jv = nv ? ap_text_join(vl, nv) : NULL;
        if (jv) {
            ap_text_inherit_decorated_view(jv, &v);
            if (listed)
                CHECK(same_decorated(jv, jv->bytes, jv->len));
            else
                CHECK(!jv->deco_known);
            ap_text_release(jv);
        }
        free(vl);
        ap_view_release(&v);
        ap_text_release(other);
        ap_text_release(src);
        ap_buf_release(&out);
        ap_buf_release(&sb);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
}

/* Every match of a soft pattern from `from` (first and last), as a string,
 * searched the way ap_soft_heads_first says; and the first one. */
static char *soft_all_str(const ap_view *v, const ap_pattern *p, ap_pos from, int way)
{
    int was = ap_soft_heads_first;
    ap_soft_heads_first = way;
    ap_matches m = {0};
    ap_find_all(v, p, from, 0, &m);
    ap_match first;
    bool any = ap_find_first(v, p, from, &first);
    ap_soft_heads_first = was;
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "");
    for (size_t i = 0; i < m.n; i++) {
        add_pos(&b, m.m[i].first);
        ap_buf_addc(&b, '-');
        add_pos(&b, m.m[i].last);
        ap_buf_addc(&b, ' ');
    }
    /* the first match is the list's first */
    if (any != (m.n > 0) || (any && (ap_pos_key(first.first) != ap_pos_key(m.m[0].first) ||
                                     ap_pos_key(first.last) != ap_pos_key(m.m[0].last))))
        ap_buf_adds(&b, "(first differs)");
    ap_matches_release(&m);
    return ap_buf_detach(&b, NULL);
}

/* A longer soft pattern found from its first line's places (exact,
 * decorated, inserted) gives the matches its other lines' places give, in
 * the same order: random texts of common and decorated lines, random
 * edits, patterns cut from the view's own lines (decoration added or
 * dropped on the first), searched from random places. */
static void test_soft_heads_as_tails(void)
{
    static const char *const kinds[] = {"{", "}", "return 0;", "x = 1", "# x = 1", "// x = 1", "self.x = 1",
                                        "- y", "y", "1. y", "/* f */", "f */", "", "  ", "int f(void)"};
    const int nk = (int)(sizeof kinds / sizeof *kinds);
    srand(31);
    int compared = 0, matched = 0;
    for (int round = 0; round < 400; round++) {
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, "");
        int n = rand() % 120;
        for (int i = 0; i < n; i++)
            ap_buf_addf(&b, "%s%s\n", rand() % 4 ? "" : "    ", kinds[rand() % nk]);
        ap_view v;
        view_of(&v, b.s, b.len);
        ap_buf_release(&b);
        /* inserted lines among the base's */
        for (int e = rand() % 5; e > 0; e--) {
            uint32_t a = v.base->n ? (uint32_t)(rand() % (int)(v.base->n + 1)) : 0;
            uint32_t z = a + (uint32_t)(rand() % 3);
            if (z > v.base->n)
                z = v.base->n;
            ap_pos from = ap_view_seek(&v, a), to = ap_view_seek(&v, z);
            if (ap_pos_key(to) < ap_pos_key(from))
                to = from;
            const char *lines[3];
            uint32_t k = (uint32_t)(rand() % 4);
            for (uint32_t i = 0; i < k; i++)
                lines[i] = kinds[rand() % nk];
            replace_lines(&v, from, to, lines, k);
        }
        for (int q = 0; q < 20; q++) {
            /* 2 to 4 lines of the view from a random place, or random ones */
            ap_buf pb = AP_BUF_INIT;
            ap_buf_adds(&pb, "");
            ap_pos at = ap_view_seek(&v, v.base->n ? (uint32_t)(rand() % (int)v.base->n) : 0);
            int want = 2 + rand() % 3;
            for (int i = 0; i < want; i++) {
                const char *line;
                if (rand() % 5 == 0 || ap_view_at_end(&v, at)) {
                    line = kinds[rand() % nk];
                } else {
                    const ap_line *l = ap_view_line(&v, at);
                    ap_buf_add(&pb, l->s, l->len);
                    ap_buf_addc(&pb, '\n');
                    at = ap_view_next(&v, at);
                    continue;
                }
                /* the first line with decoration added */
                ap_buf_addf(&pb, "%s%s\n", i == 0 && rand() % 3 == 0 ? "# " : "", line);
            }
            ap_pattern p;
            ap_pattern_init(&p, pb.s, pb.len);
            p.soft = true;
            if (p.n >= 2) {
                uint32_t f = v.base->n ? (uint32_t)(rand() % (int)(v.base->n + 1)) : 0;
                ap_pos from = rand() % 3 ? ap_view_begin(&v) : ap_view_seek(&v, f);
                char *tails = soft_all_str(&v, &p, from, 0), *heads = soft_all_str(&v, &p, from, 1),
                     *chosen = soft_all_str(&v, &p, from, -1);
                compared++;
                matched += tails[0] != '\0';
                if (strcmp(tails, heads) != 0 || strcmp(tails, chosen) != 0) {
                    fprintf(stderr, "  round %d: tails \"%s\", heads \"%s\", chosen \"%s\"\n", round, tails,
                            heads, chosen);
                    check_failed_in_test++;
                }
                free(tails);
                free(heads);
                free(chosen);
            }
            ap_pattern_release(&p);
            ap_buf_release(&pb); /* (the pattern's lines are its bytes) */
        }
        ap_view_release(&v);
        if (check_failed_in_test)
            break;
    }
    /* (the patterns matched often enough to say something) */
    CHECK(matched > compared / 4);
}

/* A text that replaces another (an edit of a few lines, anywhere, in LF,
 * CRLF or CR texts, with or without a last break or a byte order mark)
 * takes the other's decorated lines over for the lines both hold: the
 * same as listing its own. */
static void test_decorated_follow(void)
{
    static const char *const breaks[] = {"\n", "\r\n", "\r"};
    srand(12);
    int taken = 0;
    for (int round = 0; round < 600; round++) {
        const char *brk = breaks[round % 3];
        int n = rand() % 40;
        ap_buf a = AP_BUF_INIT, line = AP_BUF_INIT;
        ap_buf_adds(&a, round % 7 == 0 ? "\xEF\xBB\xBF" : "");
        char **lines = ap_xcalloc((size_t)n + 8, sizeof *lines);
        for (int i = 0; i < n; i++) {
            ap_buf_adds(&line, "");
            line.len = 0;
            random_line(&line);
            line.s[line.len - 1] = '\0'; /* (random_line ends it with an LF) */
            lines[i] = ap_xstrdup(line.s);
        }
        bool last_break = rand() % 4 != 0;
        for (int i = 0; i < n; i++)
            ap_buf_addf(&a, "%s%s", lines[i], i + 1 < n || last_break ? brk : "");
        /* now: lines [x, y) replaced by up to three others, or a byte
         * added to a line */
        int x = n ? rand() % (n + 1) : 0, y = x + rand() % 3;
        if (y > n)
            y = n;
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, round % 7 == 0 ? "\xEF\xBB\xBF" : "");
        int k = rand() % 4, total = n - (y - x) + k;
        for (int i = 0, out = 0; i <= n; i++) {
            if (i == x)
                for (int j = 0; j < k; j++, out++) {
                    line.len = 0;
                    random_line(&line);
                    line.s[line.len - 1] = '\0';
                    const char *end = out + 1 < total || last_break ? brk : "";
                    ap_buf_addf(&b, "%s%s%s", rand() % 5 ? "" : "x", line.s, end);
                }
            if (i < n && (i < x || i >= y)) {
                ap_buf_addf(&b, "%s%s", lines[i], out + 1 < total || last_break ? brk : "");
                out++;
            }
        }
        ap_text *before = ap_text_new(a.s ? a.s : "", a.len);
        bool listed = round % 5 != 0;
        uint32_t ignore;
        if (listed)
            ap_text_decorated(before, 0, &ignore);
        ap_text *now = ap_text_new(b.s ? b.s : "", b.len);
        ap_text_follow(now, before);
        /* (declined where the two break lines apart: now lists its own) */
        if (listed && now->deco_known)
            CHECK(same_decorated(now, now->bytes, now->len));
        if (!listed)
            CHECK(!now->deco_known);
        taken += listed && now->deco_known;
        ap_text_release(now);
        ap_text_release(before);
        for (int i = 0; i < n; i++)
            free(lines[i]);
        free(lines);
        ap_buf_release(&a);
        ap_buf_release(&b);
        ap_buf_release(&line);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    CHECK(taken > 400); /* of the 480 listed */
}

int main(void)
{
    RUN(test_pattern_lines);
    RUN(test_tabs_vs_spaces);
    RUN(test_crlf_target);
    RUN(test_blank_lines);
    RUN(test_whole_lines_only);
    RUN(test_multibyte);
    RUN(test_overlapping);
    RUN(test_first_after_position);
    RUN(test_identical_lines);
    RUN(test_identical_lines_long_pattern);
    RUN(test_inserted_text);
    RUN(test_rare_line_candidates);
    RUN(test_soft_one_line);
    RUN(test_soft_heads_as_tails);
    RUN(test_decorated_lists);
    RUN(test_decorated_taken_over);
    RUN(test_decorated_follow);
    RUN(test_decoration);
    RUN(test_soft_heads_many_splices);
    RUN(test_find_prefix);
    RUN(test_similar_lines);
    RUN(test_similar_whole);
    RUN(test_word_sets_fast);
    RUN(test_may_say);
    ap_wide_off = true; /* the sets read one at a time, made 16 bytes at a time */
    RUN(test_word_sets_fast);
    RUN(test_may_say);
    ap_wide_off = false;
    RUN(test_edit_distance);
    RUN(test_bigram_sets);
    RUN(test_similar_lines_as_a_plain_scan);
    ap_wide_off = true; /* the scan's other way of counting bits */
    RUN(test_similar_lines_as_a_plain_scan);
    ap_wide_off = false;
    return check_summary();
}
