/* brackets.c - bracket nesting of source text, for scope_end, the nesting
 * guard and the balance warning (ap.md 2.5, 3.6 and 3.4).
 *
 * apls cannot parse every language; counting ( [ { against ) ] } while
 * skipping strings and comments answers the two questions that matter here:
 * where does the block a line opens end, and is this insertion point inside
 * a block? Line comments start at //, # or --, block comments are C's, and
 * a ' or " string left open at the end of its line closes there (one stray
 * quote must not swallow the file); a ` string may span lines. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The bytes that can change the count or the state outside strings and
 * comments; most bytes of code are none of them and are passed over by one
 * table lookup (the balance warning scans every line of every file). */
static const unsigned char special[256] = {
    ['/'] = 1, ['#'] = 1, ['-'] = 1, ['"'] = 1, ['\''] = 1, ['`'] = 1,
    ['('] = 1, ['['] = 1, ['{'] = 1, [')'] = 1, [']'] = 1, ['}'] = 1,
};

void ap_brackets_line(ap_brackets *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!special[(unsigned char)c] && !b->block_comment && !b->quote)
            continue;
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
            break; /* a line comment: the rest of the line is not code */
        if (c == '"' || c == '\'' || c == '`')
            b->quote = c;
        else if (c == '(' || c == '[' || c == '{')
            b->depth++;
        else if (c == ')' || c == ']' || c == '}')
            b->depth = b->clamp && b->depth == 0 ? 0 : b->depth - 1;
    }
    /* the line break */
    if (b->quote == '"' || b->quote == '\'')
        b->quote = 0;
    b->escaped = false;
}

int64_t ap_brackets_text(const ap_text *t)
{
    ap_brackets b = {0};
    for (uint32_t i = 0; i < t->n; i++)
        ap_brackets_line(&b, t->lines[i].s, t->lines[i].len);
    return b.depth;
}

int64_t ap_brackets_view(const ap_view *v)
{
    ap_brackets b = {0};
    for (ap_pos p = ap_view_begin(v); !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        ap_brackets_line(&b, l->s, l->len);
    }
    return b.depth;
}

void ap_depths(const ap_view *v, ap_depth_map *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    ap_brackets b = {0};
    b.clamp = true;
    for (ap_pos p = ap_view_begin(v);; p = ap_view_next(v, p)) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->pos = ap_xrealloc(out->pos, cap * sizeof *out->pos);
            out->depth = ap_xrealloc(out->depth, cap * sizeof *out->depth);
        }
        out->pos[out->n] = p;
        out->depth[out->n++] = b.depth;
        if (ap_view_at_end(v, p))
            break;
        const ap_line *l = ap_view_line(v, p);
        ap_brackets_line(&b, l->s, l->len);
    }
}

size_t ap_depths_index(const ap_depth_map *d, ap_pos p)
{
    uint64_t k = ap_pos_key(p);
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ap_pos_key(d->pos[mid]) < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n ? lo : d->n - 1;
}

void ap_depths_release(ap_depth_map *d)
{
    free(d->pos);
    free(d->depth);
    memset(d, 0, sizeof *d);
}
