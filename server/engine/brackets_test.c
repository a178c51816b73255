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
    srand(12345);
    char line[64];
    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)(rand() % 40);
        for (size_t i = 0; i < n; i++)
            line[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
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

int main(void)
{
    RUN(test_scanner_agrees);
    RUN(test_rules);
    return check_summary();
}
