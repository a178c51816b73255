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

/* What a byte can do to the count or the state outside strings and
 * comments; most bytes of code do nothing and are passed over by one table
 * lookup (the balance warning reads every line of every file it changes). */
enum { PLAIN, OPENER, CLOSER, QUOTE, SLASH, HASH, DASH };
static const unsigned char special[256] = {
    ['('] = OPENER, ['['] = OPENER, ['{'] = OPENER,
    [')'] = CLOSER, [']'] = CLOSER, ['}'] = CLOSER,
    ['"'] = QUOTE, ['\''] = QUOTE, ['`'] = QUOTE,
    ['/'] = SLASH, ['#'] = HASH, ['-'] = DASH,
};

void ap_brackets_line(ap_brackets *b, const char *s, size_t n)
{
    /* the state in locals: the bytes read through s could alias *b */
    const unsigned char *u = (const unsigned char *)s;
    int64_t depth = b->depth;
    char quote = b->quote;
    bool block = b->block_comment, escaped = b->escaped;
    size_t i = 0;
    while (i < n) {
        if (block) { /* to the next star before a slash */
            const unsigned char *star;
            while ((star = memchr(u + i, '*', n - i)) && !(star + 1 < u + n && star[1] == '/'))
                i = (size_t)(star - u) + 1;
            if (!star) {
                i = n;
                break;
            }
            block = false;
            i = (size_t)(star - u) + 2;
            continue;
        }
        if (quote) { /* to the closing quote, escapes skipped */
            for (; i < n; i++) {
                if (escaped)
                    escaped = false;
                else if (u[i] == '\\')
                    escaped = true;
                else if (u[i] == (unsigned char)quote)
                    break;
            }
            if (i < n) {
                quote = 0;
                i++;
            }
            continue;
        }
        while (i < n && !special[u[i]])
            i++;
        if (i == n)
            break;
        unsigned char c = u[i++];
        switch (special[c]) {
        case OPENER:
            depth++;
            break;
        case CLOSER:
            depth = b->clamp && depth == 0 ? 0 : depth - 1;
            break;
        case QUOTE:
            quote = (char)c;
            break;
        case SLASH:
            if (i < n && u[i] == '*') {
                block = true;
                i++;
            } else if (i < n && u[i] == '/') {
                i = n; /* a line comment: the rest of the line is not code */
            }
            break;
        case DASH:
            if (i < n && u[i] == '-')
                i = n;
            break;
        default: /* HASH */
            i = n;
            break;
        }
    }
    /* the line break */
    if (quote == '"' || quote == '\'')
        quote = 0;
    b->depth = depth;
    b->quote = quote;
    b->block_comment = block;
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
