/* brackets_test.c - bracket nesting (brackets.c): the line scanner against
 * a byte-at-a-time reading of the rules, the depth map, scope_end and the
 * nesting guard. */
#include "check.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The rules of brackets.c read one byte at a time, the plainest way: what
 * the scanner must agree with on any bytes. */
static void reference_line(ap_brackets *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (b->block_comment) {
            if (c == '*' && i + 1 < n && s[i + 1] == '/') {
                b->block_comment = false;
                i++;
            }
            continue;
        }
        if (b->quote) {
            if (b->escaped)
                b->escaped = false;
            else if (c == '\\')
                b->escaped = true;
            else if (c == b->quote)
                b->quote = 0;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            b->block_comment = true;
            i++;
            continue;
        }
        if (c == '#' || (c == '/' && i + 1 < n && s[i + 1] == '/') ||
            (c == '-' && i + 1 < n && s[i + 1] == '-'))
            break;
        if (c == '"' || c == '\'' || c == '`')
            b->quote = c;
        else if (c == '(' || c == '[' || c == '{')
            b->depth++;
        else if (c == ')' || c == ']' || c == '}')
            b->depth = b->clamp && b->depth == 0 ? 0 : b->depth - 1;
    }
    if (b->quote == '"' || b->quote == '\'')
        b->quote = 0;
    b->escaped = false;
}

static bool same_state(const ap_brackets *a, const ap_brackets *b)
{
    return a->depth == b->depth && a->quote == b->quote && a->block_comment == b->block_comment &&
           a->escaped == b->escaped;
}

/* Random lines over the bytes that matter (and some that do not), read by
 * both from random states, clamped and not. */
static void test_scanner_agrees(void)
{
    static const char alphabet[] = "(){}[]/*-#\"'`\\ax \t\xe2";
    /* plain bytes, the neighbours of the special ones among them (the
     * sixteen-byte path must tell them apart) */
    static const char plain[] = "abz AZ09_+*,.!$%&:;<=>?@^|~\\\x7f\x80\xff\x01\x3f\x5a\x5c\x5e\x7a\x7c\x7e\t";
    srand(12345);
    char line[80];
    for (int round = 0; round < 200000; round++) {
        bool sparse = round % 3 == 1, arrows = round % 3 == 2;
        size_t n = (size_t)(rand() % (sparse || arrows ? 80 : 40));
        /* arrows: "->", "--", "//", slash-star, "/ " and brackets, which the
         * sixteen-byte path tells apart by the byte after */
        static const char arrow[] = "-->//*/ a(){}";
        for (size_t i = 0; i < n; i++)
            line[i] = arrows   ? arrow[rand() % (int)(sizeof arrow - 1)]
                      : sparse && rand() % 12 ? plain[rand() % (int)(sizeof plain - 1)]
                                              : alphabet[rand() % (int)(sizeof alphabet - 1)];
        ap_brackets a = {0};
        a.depth = rand() % 3;
        a.clamp = rand() % 2;
        int st = rand() % 5;
        a.block_comment = st == 1;
        a.quote = st == 2 ? '`' : st == 3 ? '"' : 0;
        a.escaped = st >= 2 && st <= 3 && rand() % 2;
        ap_brackets b = a;
        reference_line(&a, line, n);
        ap_brackets_line(&b, line, n);
        if (!same_state(&a, &b)) {
            fprintf(stderr, "  round %d: \"%.*s\": depth %lld/%lld quote %d/%d block %d/%d\n", round,
                    (int)n, line, (long long)a.depth, (long long)b.depth, a.quote, b.quote,
                    a.block_comment, b.block_comment);
            check_failed_in_test++;
            return;
        }
    }
}

static void test_rules(void)
{
    ap_brackets b = {0};
    const char *l1 = "f(a, \"(\", '[', x /* { */) { // }";
    ap_brackets_line(&b, l1, strlen(l1));
    CHECK_INT(b.depth, 1);
    const char *l2 = "/* open { comment";
    ap_brackets_line(&b, l2, strlen(l2));
    CHECK(b.block_comment);
    const char *l3 = "still } **/ ] -- )";
    ap_brackets_line(&b, l3, strlen(l3));
    CHECK_INT(b.depth, 0);
    CHECK(!b.block_comment);
    const char *l4 = "s = `a ( \\` b";
    ap_brackets_line(&b, l4, strlen(l4));
    CHECK_INT(b.quote, '`');
    const char *l5 = "c ` ) '";
    ap_brackets_line(&b, l5, strlen(l5));
    CHECK_INT(b.depth, -1);
    CHECK_INT(b.quote, 0); /* a ' string closes at the line's end */
    ap_brackets c = {0};
    c.clamp = true;
    ap_brackets_line(&c, ")) (", 4);
    CHECK_INT(c.depth, 1);
}

/* ------------------------------------------------ views: the full scans */

/* The reference depth map of a view: every line start (and the end) with
 * the clamped depth there, by reading every byte (what brackets.c did before
 * it kept a map per text). */
typedef struct ref_map {
    ap_pos pos[512];
    int64_t depth[512];
    size_t n;
} ref_map;

static void ref_depths(const ap_view *v, ref_map *d)
{
    d->n = 0;
    ap_brackets b = {0};
    b.clamp = true;
    for (ap_pos p = ap_view_begin(v);; p = ap_view_next(v, p)) {
        d->pos[d->n] = p;
        d->depth[d->n++] = b.depth;
        if (ap_view_at_end(v, p))
            break;
        const ap_line *l = ap_view_line(v, p);
        reference_line(&b, l->s, l->len);
    }
}

static size_t ref_index(const ref_map *d, ap_pos p)
{
    size_t i = 0;
    while (i < d->n && ap_pos_key(d->pos[i]) < ap_pos_key(p))
        i++;
    return i < d->n ? i : d->n - 1;
}

static int64_t ref_balance(const ap_view *v)
{
    ap_brackets b = {0};
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        reference_line(&b, l->s, l->len);
    }
    return b.depth;
}

/* The nesting guard's move, as nesting.c reads the depth map. */
static bool ref_guard_move(const ref_map *d, ap_pos at, bool after, ap_pos *moved)
{
    size_t i = ref_index(d, at);
    if (d->depth[i] <= 0)
        return false;
    if (after)
        while (i + 1 < d->n && d->depth[i] != 0)
            i++;
    else
        while (i > 0 && d->depth[i] != 0)
            i--;
    *moved = d->pos[i];
    return ap_pos_key(*moved) != ap_pos_key(at);
}

/* scope_end's bracket block, as scope.c reads the depth map. */
static bool ref_scope(const ref_map *d, ap_pos first, ap_pos last, ap_pos *end)
{
    size_t i0 = ref_index(d, first), i1 = ref_index(d, last);
    if (!(i1 + 1 < d->n && d->depth[i1 + 1] > d->depth[i0]))
        return false;
    size_t j = i1 + 1;
    while (j + 1 < d->n && d->depth[j] > d->depth[i0])
        j++;
    *end = d->pos[j];
    return true;
}

static const char *const line_kinds[] = {
    "{", "}", "f(x) {", "} else {", "x = g(a[1]);", "/* {", "} */", "s = `{", "`)", "// }",
    "# {", "a = \"{\"", "b = '}'", "", "plain", ")(", "-- (", "x /* ( */ y", "}}", "{{", NULL};

static char *random_text(int lines)
{
    int kinds = 0;
    while (line_kinds[kinds])
        kinds++;
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "");
    for (int i = 0; i < lines; i++) {
        int k = rand() % kinds;
        /* mostly code that nests, sometimes the hard cases */
        if (rand() % 3)
            k = rand() % 5;
        ap_buf_adds(&b, line_kinds[k]);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, NULL);
}

/* count random edits of v: a few lines replaced by up to three of the
 * first kinds lines of table */
static void random_splices_of(ap_view *v, int count, const char *const *table, int kinds)
{
    for (int e = 0; e < count; e++) {
        uint32_t n = v->base->n;
        uint32_t a = n ? (uint32_t)(rand() % (int)(n + 1)) : 0;
        uint32_t b = a + (uint32_t)(rand() % 3);
        if (b > n)
            b = n;
        ap_pos from = ap_view_seek(v, a), to = ap_view_seek(v, b);
        if (ap_pos_key(to) < ap_pos_key(from))
            to = from;
        uint32_t k = (uint32_t)(rand() % 4);
        ap_nline nl[4];
        memset(nl, 0, sizeof nl);
        for (uint32_t i = 0; i < k; i++) {
            const char *t = table[rand() % kinds];
            ap_line_init(&nl[i].l, t, (uint32_t)strlen(t), AP_EOL_LF);
        }
        ap_view_replace(v, from, to, nl, k);
    }
}

static void random_splices(ap_view *v, int count)
{
    int kinds = 0;
    while (line_kinds[kinds])
        kinds++;
    random_splices_of(v, count, line_kinds, kinds);
}

/* The map kept per text gives what reading every byte of the view gives:
 * the balance, the nesting guard's move and scope_end's block, on random
 * texts with random edits. */
static void test_views_agree(void)
{
    srand(777);
    ap_pattern decl;
    ap_pattern_init(&decl, "func g() {\n}\n", 13);
    int neutral = 0;
    for (int round = 0; round < 3000; round++) {
        char *s = random_text(rand() % 60);
        ap_text *t = ap_text_new(s, strlen(s));
        free(s);
        ap_view v;
        ap_view_init(&v, t);
        ap_text_release(t);
        random_splices(&v, rand() % 6);
        ref_map d;
        ref_depths(&v, &d);
        if (d.n > 500) {
            ap_view_release(&v);
            continue;
        }
        CHECK_INT(ap_brackets_view(&v), ref_balance(&v));
        if (ap_brackets_edits_neutral(&v)) {
            /* then the balance is the base's, edits or not */
            ap_brackets b = {0};
            for (uint32_t i = 0; i < v.base->n; i++)
                reference_line(&b, v.base->lines[i].s, v.base->lines[i].len);
            CHECK_INT(ref_balance(&v), b.depth);
            neutral += v.nsp > 0;
        }
        for (size_t i = 0; i < d.n; i++) {
            for (int after = 0; after < 2; after++) {
                ap_pos want = {0, -1, 0}, got = {0, -1, 0};
                bool w = ref_guard_move(&d, d.pos[i], after, &want);
                bool g = ap_nesting_guard(&v, d.pos[i], &decl, after, &got);
                CHECK_INT(g, w);
                if (g && w)
                    CHECK_INT(ap_pos_key(got), ap_pos_key(want));
            }
            for (size_t j = i; j < d.n && j < i + 4; j++) {
                if (ap_view_at_end(&v, d.pos[j]))
                    break;
                ap_pos want = {0, -1, 0}, got = {0, -1, 0};
                bool w = ref_scope(&d, d.pos[i], d.pos[j], &want);
                bool g = ap_scope_end(&v, d.pos[i], d.pos[j], &got);
                /* (no line kind ends with ':': indentation never decides) */
                CHECK_INT(g, w);
                if (g && w)
                    CHECK_INT(ap_pos_key(got), ap_pos_key(want));
            }
        }
        ap_view_release(&v);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    ap_pattern_release(&decl);
    CHECK(neutral > 100); /* the shortcut was put to the test */
}

/* The twice check drops a changed text's tables, the bracket map among
 * them: it is gone, and made again the same on the next use. */
static void test_map_dropped_and_made_again(void)
{
    const char *src = "int f(void) {\n  if (x) {\n    g(\"}\");\n  }\n";
    ap_text *t = ap_text_new(src, strlen(src));
    int64_t before = ap_brackets_text(t);
    CHECK(t->brackets != NULL);
    ap_text_drop_tables(t);
    CHECK(t->brackets == NULL && t->deco_start == NULL);
    CHECK_INT(ap_brackets_text(t), before);
    CHECK_INT(before, 1);
    ap_text_release(t);
}

/* The lines the edits' delta is tried on: code with comments closed on
 * their line mostly (where it answers), the hard cases sometimes. */
static const char *const delta_kinds[] = {
    "{", "}", "f(x) {", "x = g(a[1]);", "x /* ( */ y", "/* a */ /* { */", "/*/ x */ (", "}}", "",
    "-- (", "# )",
    /* the hard ones: a slash-star left open (in a string or a line comment
     * too, where it counts for nothing but is not told apart), ` strings */
    "a = \"/*\" {", "// /* {", "/* {", "} */", "s = `{", "`)", "/*/", "*/ }", NULL};

static char *delta_text(int lines, bool hard, const char *brk)
{
    ap_buf b = AP_BUF_INIT;
    ap_buf_adds(&b, "");
    for (int i = 0; i < lines; i++) {
        int k = rand() % (hard && rand() % 8 == 0 ? 19 : 11);
        ap_buf_adds(&b, delta_kinds[k]);
        ap_buf_adds(&b, brk);
    }
    return ap_buf_detach(&b, NULL);
}

/* The view's balance less its base's from the edits alone: whenever
 * ap_brackets_edits_delta answers, the answer is what reading the whole
 * base and the whole view gives, on LF, CRLF and CR texts; and it answers
 * on texts whose comments close on their line. */
static void test_edits_delta(void)
{
    static const char *const brks[] = {"\n", "\r\n", "\r"};
    srand(4242);
    int answered = 0, declined = 0;
    for (int round = 0; round < 6000; round++) {
        bool hard = round % 2;
        char *s = delta_text(rand() % 40, hard, brks[rand() % 3]);
        ap_text *t = ap_text_new(s, strlen(s));
        free(s);
        ap_view v;
        ap_view_init(&v, t);
        ap_text_release(t);
        random_splices_of(&v, rand() % 5, delta_kinds, hard ? 19 : 11);
        ap_brackets base = {0};
        bool all_code = true;
        for (uint32_t i = 0; i < v.base->n; i++) {
            all_code = all_code && !base.block_comment && !base.quote;
            reference_line(&base, v.base->lines[i].s, v.base->lines[i].len);
        }
        all_code = all_code && !base.block_comment && !base.quote;
        int64_t delta = 12345;
        if (ap_brackets_edits_delta(&v, &delta)) {
            answered++;
            CHECK(all_code); /* it never claims what is not so */
            CHECK_INT(delta, ref_balance(&v) - base.depth);
            CHECK_INT(ap_brackets_view(&v), ap_brackets_text(v.base) + delta);
        } else {
            declined++;
        }
        ap_view_release(&v);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    CHECK(answered > 2000);
    CHECK(declined > 500);
}

/* A slash-star that closes on a later line, or only in the line break's
 * bytes, is not taken for closed: the lines after it are in a comment. */
static void test_edits_delta_declines(void)
{
    static const char *const texts[] = {
        "a /* {\n} */\n", "a /* {\r\n*/ }\r\n", "a /* {\r*/ }\r", "/*/\n{\n*/\n", "s = `\n{\n`\n",
        "x /* a */ /* b\n*/\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        ap_text *t = ap_text_new(texts[i], strlen(texts[i]));
        ap_view v;
        ap_view_init(&v, t);
        ap_text_release(t);
        const char *l = "{";
        ap_nline nl;
        memset(&nl, 0, sizeof nl);
        ap_line_init(&nl.l, l, 1, AP_EOL_LF);
        ap_view_replace(&v, ap_view_seek(&v, 1), ap_view_seek(&v, 1), &nl, 1);
        int64_t delta = 0;
        CHECK(!ap_brackets_edits_delta(&v, &delta));
        ap_view_release(&v);
    }
    /* closed on its line, in any break: answered */
    static const char *const fine[] = {"a /* { */\n}\n", "a /* { */\r\n}\r\n", "a /* { */\r}\r", "\"/*\" */\n"};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        ap_text *t = ap_text_new(fine[i], strlen(fine[i]));
        ap_view v;
        ap_view_init(&v, t);
        ap_text_release(t);
        ap_nline nl;
        memset(&nl, 0, sizeof nl);
        ap_line_init(&nl.l, "{", 1, AP_EOL_LF);
        ap_view_replace(&v, ap_view_seek(&v, 1), ap_view_seek(&v, 1), &nl, 1);
        int64_t delta = 0;
        CHECK(ap_brackets_edits_delta(&v, &delta));
        CHECK_INT(delta, 1);
        ap_view_release(&v);
    }
}

/* Lines for the balance read as one run: long ones (the sixteen-byte steps
 * cross them), strings with escapes (one before the line's end), the three
 * line comments, comments closed on their line, C's -> and divisions, a
 * slash-star or ` inside a string or a line comment. */
static const char *const run_kinds[] = {
    "{", "}", "    ctx->index_9 += flags_7 & 0xa2; (void)g(a[1], b[2]);", "if (x->y / 2) {",
    "/* check the header before step 4 { */", "a = \"{ \\\" (\"; b = '}';", "s = \"open \\",
    "t = '(\\\\'; )", "x -- {", "# (((", "y = 1; // }}", "z = a - -b / c * (d) /* ( */ + [e]", "",
    "\"unclosed {", "'x", "}}}}}}}}}}}}}}}}}}}}", "f((((((((((((((((((((", "/*/ x */ )",
    "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t(", "-", "/",
    /* a slash-star or ` where it counts for nothing (the one reading that
     * shows the lines start in code lexes them; the byte test refuses) */
    "c = \"/* {\"; (", "// x /* (", "q = '`'; {", "# /* )", NULL};

/* ap_brackets_balance, read as one run of the bytes where every line starts
 * in code, gives the map's balance on any text; and it runs on most. */
static void test_balance_run(void)
{
    static const char *const brks[] = {"\n", "\n", "\n", "\r\n", "\r"};
    int kinds = 0;
    while (run_kinds[kinds])
        kinds++;
    srand(515);
    int fast = 0;
    for (int round = 0; round < 20000; round++) {
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, round % 7 == 0 ? "\xEF\xBB\xBF" : "");
        const char *brk = brks[rand() % 5];
        int lines = rand() % 30;
        for (int i = 0; i < lines; i++) {
            /* now and then a line no run may take: an open comment or ` */
            const char *l = round % 5 == 0 && rand() % 20 == 0 ? (rand() % 2 ? "/* {" : "`{")
                                                                : run_kinds[rand() % kinds];
            ap_buf_adds(&b, l);
            if (i + 1 < lines || rand() % 2)
                ap_buf_adds(&b, brk);
        }
        ap_text *t = ap_text_new(b.s, b.len);
        ap_brackets want = {0};
        for (uint32_t i = 0; i < t->n; i++)
            reference_line(&want, t->lines[i].s, t->lines[i].len);
        int64_t got = ap_brackets_balance(t);
        CHECK_INT(got, want.depth);
        fast += t->brackets == NULL;
        CHECK_INT(ap_brackets_balance(t), want.depth); /* kept */
        CHECK_INT(ap_brackets_text(t), want.depth);
        ap_text_release(t);
        ap_buf_release(&b);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    CHECK(fast > 8000);
}

/* The one reading's 32-byte step, on long texts: stops only at a - or /
 * that can open a comment with the byte after it ("->", "x--", "a / b",
 * "-1" pass), counts opener less closer in byte lanes folded before they
 * overflow (runs of thousands of brackets with no stop), and gives way to
 * the sixteen-byte step and the byte loop near the end. Pieces fall at
 * every offset of a step, so a pair may straddle two steps. */
static void balance_run_wide(void)
{
    static const char *const bits[] = {
        "->", "--", "//", "/*", "*/", "/", "-", "a / b", "x-- ", "-1", "/+", "-.", "-*", "/-", "(", ")",
        "{", "}", "[", "]", "((((((((((((((((", "}}}}}}}}", "\"", "'", "`", "#", "\\", "  ", "abc", "\n",
        "\n", "\n", "    return x;\n", "/* ( */", "// {\n", "-- (\n", "'{'", "\"(\""};
    int kinds = (int)(sizeof bits / sizeof *bits);
    srand(3232);
    int fast = 0;
    for (int round = 0; round < 3000; round++) {
        ap_buf b = AP_BUF_INIT;
        int pieces = rand() % 400;
        /* a third: brackets and plain bytes only, long enough that the
         * lanes are folded many times */
        bool plain = round % 3 == 0;
        if (plain)
            pieces = 2000 + rand() % 3000;
        for (int i = 0; i < pieces; i++) {
            if (plain) {
                static const char *const p[] = {"(", "{", "[", "((((", "x", "  ", "\n", ")", "}", "]]"};
                int k = rand() % 10;
                /* most rounds lean one way, deep */
                ap_buf_adds(&b, p[k < 7 || round % 2 ? k : k - 7]);
            } else {
                ap_buf_adds(&b, bits[rand() % kinds]);
            }
        }
        ap_text *t = ap_text_new(b.s, b.len);
        ap_brackets want = {0};
        for (uint32_t i = 0; i < t->n; i++)
            reference_line(&want, t->lines[i].s, t->lines[i].len);
        CHECK_INT(ap_brackets_balance(t), want.depth);
        fast += t->brackets == NULL;
        ap_text_release(t);
        ap_buf_release(&b);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    CHECK(fast > 1000);
}

/* ... with the wide steps this CPU takes (AVX2 where it has them), and
 * with SSE2's two halves a step. */
static void test_balance_run_wide(void)
{
    balance_run_wide();
    ap_wide_off = true;
    balance_run_wide();
    ap_wide_off = false;
}

/* A text that replaces another takes over its balance by reading only the
 * lines between their common first and last bytes: on random byte edits
 * (in a line, across lines, a break added or taken) of random texts, what it
 * takes over is what reading the new text gives, and it says its lines start
 * in code only when they do. */
static void test_follow(void)
{
    int kinds = 0;
    while (run_kinds[kinds])
        kinds++;
    static const char bits[] = "{}()/*\"'\\\n-#` ax";
    srand(31337);
    int taken = 0;
    for (int round = 0; round < 20000; round++) {
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, round % 9 == 0 ? "\xEF\xBB\xBF" : "");
        /* now and then long ones: the common ends are compared by blocks */
        int lines = round % 10 == 0 ? 100 + rand() % 300 : rand() % 20;
        for (int i = 0; i < lines; i++) {
            ap_buf_adds(&b, run_kinds[rand() % kinds]);
            if (i + 1 < lines || rand() % 2)
                ap_buf_addc(&b, '\n');
        }
        ap_text *before = ap_text_new(b.s, b.len);
        ap_brackets_balance(before);
        /* a few bytes replaced by a few others, anywhere */
        size_t at = b.len ? (size_t)rand() % (b.len + 1) : 0;
        size_t cut = (size_t)(rand() % 4);
        if (at + cut > b.len)
            cut = b.len - at;
        ap_buf c = AP_BUF_INIT;
        ap_buf_add(&c, b.s, at);
        for (int k = rand() % 4; k > 0; k--)
            ap_buf_addc(&c, bits[rand() % (int)(sizeof bits - 1)]);
        if (rand() % 4 == 0)
            ap_buf_adds(&c, run_kinds[rand() % kinds]);
        ap_buf_add(&c, b.s + at + cut, b.len - at - cut);
        ap_text *now = ap_text_new(c.s ? c.s : "", c.len);
        ap_text_follow(now, before);
        bool took = now->balance_known;
        taken += took;
        ap_brackets want = {0};
        bool all_code = true;
        for (uint32_t i = 0; i < now->n; i++) {
            all_code = all_code && !want.block_comment && !want.quote;
            reference_line(&want, now->lines[i].s, now->lines[i].len);
        }
        if (now->starts_in_code > 0)
            CHECK(all_code);
        CHECK_INT(ap_brackets_balance(now), want.depth);
        ap_text_release(now);
        ap_text_release(before);
        ap_buf_release(&b);
        ap_buf_release(&c);
        if (check_failed_in_test) {
            fprintf(stderr, "  round %d\n", round);
            break;
        }
    }
    CHECK(taken > 8000);
}

int main(void)
{
    RUN(test_map_dropped_and_made_again);
    RUN(test_scanner_agrees);
    RUN(test_rules);
    RUN(test_views_agree);
    RUN(test_edits_delta);
    RUN(test_edits_delta_declines);
    RUN(test_balance_run);
    RUN(test_balance_run_wide);
    RUN(test_follow);
    return check_summary();
}
