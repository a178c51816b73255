/* scope.c - scope_end: the whole block a located line opens (ap.md 2.5).
 *
 * With scope_end a snippet holding one declaration line ("func foo() {",
 * "class Bar:") stands for the whole construct. Where brackets nest deeper
 * after the snippet than before it, the block runs to the first line that
 * starts back at the snippet's depth (its closing line included); else, when
 * the snippet's last line ends with ':' (Python and the like), it runs to
 * the next non-blank line indented no deeper than the snippet's first line
 * (blank lines before that one included, as the reference patcher does). A
 * snippet that opens neither is no block: the caller warns and ignores
 * scope_end. */
#include "internal.h"

static uint32_t indent_width(const ap_line *l)
{
    uint32_t i = 0;
    while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t'))
        i++;
    return i;
}

bool ap_scope_end(const ap_view *v, ap_pos first, ap_pos last, ap_pos *end)
{
    ap_depth_walk w;
    ap_depth_walk_begin(&w, v);
    ap_depth_walk_to(&w, first, NULL);
    int64_t d0 = ap_depth_walk_depth(&w);
    ap_depth_walk_to(&w, last, NULL);
    if (!ap_depth_walk_at_end(&w)) {
        ap_depth_walk_next(&w);
        if (ap_depth_walk_depth(&w) > d0) {
            ap_depth_walk_while_deeper(&w, d0);
            *end = w.p; /* the end of the view when the block never closes */
            return true;
        }
    }
    const ap_line *opener = ap_view_line(v, last);
    if (opener->s_len == 0 || opener->s[opener->s_off + opener->s_len - 1] != ':')
        return false;
    uint32_t base = indent_width(ap_view_line(v, first));
    ap_pos p = ap_view_next(v, last);
    for (; !ap_view_at_end(v, p); p = ap_view_next(v, p)) {
        const ap_line *l = ap_view_line(v, p);
        if (!l->blank && indent_width(l) <= base)
            break;
    }
    *end = p;
    return true;
}
