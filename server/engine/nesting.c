/* nesting.c - the nesting guard for inserts (ap.md 3.6).
 *
 * Asked to add a function "after function A", a model reaches for A's
 * header line as the snippet, and INSERT_AFTER puts the new function between
 * A's header and its body: the patch applies cleanly and the code does not
 * compile. So when an insert's place lies inside a block while its content
 * is a self-contained declaration written at column 0, the place moves past
 * the end of the enclosing top-level block (INSERT_AFTER) or before its
 * first line (INSERT_BEFORE); the caller warns, or refuses under --strict.
 *
 * Conservative by design: content that opens no block of its own is a
 * dropped indentation, not a misplaced declaration; content that opens a
 * control-flow block or a closure (if, for, go func() {...}) belongs where
 * it was put; content whose brackets do not close is not self-contained. */
#include "internal.h"

#include <string.h>

static bool word_char(unsigned char c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c >= 0x80;
}

static bool in_list(const char *w, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0)
            return true;
    return false;
}

/* words that open a declaration (what lives at file scope) */
static const char *const declaration_words[] = {
    "func", "function", "def", "class", "struct", "interface", "enum", "impl", "trait",
    "type", "fn", "namespace", "module", "package", "const", "let", "var", "export",
    "public", "private", "protected", "static", "abstract", "template", "record", "object",
    "proc", "sub", NULL};
/* words that open a control-flow or closure block (what lives inside one) */
static const char *const control_words[] = {
    "if", "else", "elif", "for", "foreach", "while", "switch", "case", "do", "try", "catch",
    "except", "finally", "go", "defer", "select", "with", "match", "when", "return", "loop",
    "unless", "repeat", NULL};

/* Is content c a self-contained declaration at column 0 that opens a block? */
static bool top_level_declaration(const ap_pattern *c)
{
    if (c->n == 0)
        return false;
    const ap_line *head = ap_pattern_at(c, 0);
    if (head->s[0] == ' ' || head->s[0] == '\t')
        return false;
    ap_brackets b = {0};
    b.clamp = true;
    int64_t deepest = 0;
    for (uint32_t i = 0; i < c->n_lines; i++) {
        ap_brackets_line(&b, c->lines[i].s, c->lines[i].len);
        if (b.depth > deepest)
            deepest = b.depth;
    }
    if (b.depth != 0 || deepest == 0)
        return false;
    const unsigned char *s = (const unsigned char *)head->s + head->s_off;
    size_t n = head->s_len, w = 0;
    if (!(s[0] == '_' || s[0] == '@' || s[0] == '#' || (s[0] >= 'a' && s[0] <= 'z') ||
          (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    w = 1;
    while (w < n && word_char(s[w]))
        w++;
    if (in_list((const char *)s, w, control_words))
        return false;
    return in_list((const char *)s, w, declaration_words) || s[n - 1] == '{' || s[n - 1] == ':';
}

bool ap_nesting_guard(const ap_view *v, ap_pos at, const ap_pattern *c, bool after, ap_pos *moved)
{
    if (!top_level_declaration(c))
        return false;
    /* one walk from the start: the last line at depth 0 before the place,
     * the depth there, then (INSERT_AFTER) on to the next line at depth 0 */
    ap_depth_walk w;
    ap_depth_walk_begin(&w, v);
    ap_pos top = w.p;
    ap_depth_walk_to(&w, at, &top);
    if (ap_depth_walk_depth(&w) == 0)
        return false;
    if (after) {
        ap_depth_walk_while_deeper(&w, 0);
        *moved = w.p;
    } else {
        *moved = top;
    }
    return ap_pos_key(*moved) != ap_pos_key(at);
}
