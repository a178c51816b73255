/* indent.c - content indented the other way than its file: spaces for a
 * tab-indented file, or tabs for a space-indented one. The engine puts the
 * region's own indentation in front of every content line, so the lines
 * written would mix both; a warning says so, with a fix that converts the
 * content's indentation (the same text otherwise: safe to take blindly).
 *
 * A file's style is counted once per text (ap_indent_style): lines led by a tab against lines
 * led by two spaces or more (a single space leads C block comments in
 * tab-indented files). A file is tab-indented when at least 3 lines are led
 * by a tab and ten times fewer by spaces, and the reverse. The content's
 * spaces become tabs by its own step (the greatest common divisor of its
 * indentations); tabs become the file's step of spaces (4 when unknown). */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint32_t leading_spaces(const char *s, uint32_t n)
{
    uint32_t k = 0;
    while (k < n && s[k] == ' ')
        k++;
    return k;
}

/* leading_spaces, eight bytes at a time (every line of a file is counted:
 * a byte at a time, and a division a line, this was 5% of opening r5). A
 * line's stripped part starts after its indentation: no space lies past
 * s_off. */
static uint32_t leading_spaces_fast(const ap_line *l)
{
    uint32_t k = 0, n = l->s_off;
    const uint64_t spaces = 0x2020202020202020ull;
    while (k + 8 <= n) {
        uint64_t w;
        memcpy(&w, l->s + k, 8);
        w ^= spaces;
        if (w) {
            /* the first byte that is no space, in memory order */
            for (uint32_t j = 0; j < 8; j++)
                if (l->s[k + j] != ' ')
                    return k + j;
        }
        k += 8;
    }
    while (k < n && l->s[k] == ' ')
        k++;
    return k;
}

/* Counts t's indented lines into its style; with stop_if_spaced, gives up
 * (false, nothing kept) once the lines led by spaces are more than a tenth
 * of those led by tabs could ever be: then t is no tab-indented file. */
static bool count_style(ap_text *t, bool stop_if_spaced)
{
    uint32_t unit = 0, tabs = 0, spaces = 0;
    uint64_t multiples = 0;
    for (uint32_t i = 0, n = t->n; i < n; i++) {
        const ap_line *l = &t->lines[i];
        if (l->blank || l->s_off == 0)
            continue; /* (not indented: led by neither) */
        if (l->s[0] == '\t') {
            tabs++;
        } else {
            uint32_t k = leading_spaces_fast(l);
            if (k >= 2) {
                spaces++;
                /* a tab file has ten times more tab-led lines: at most
                 * those seen and every line left */
                if (stop_if_spaced && (uint64_t)spaces * 10 > (uint64_t)tabs + (n - i - 1))
                    return false;
                /* the step only shrinks, so an indentation once a multiple
                 * of it stays one: each is divided once (below 64) */
                if (k >= 64 || !(multiples >> k & 1)) {
                    if (unit != 1 && (unit == 0 || k % unit != 0))
                        unit = gcd(unit, k);
                    if (k < 64)
                        multiples |= 1ull << k;
                }
            }
        }
    }
    t->indent_known = true;
    t->tab_led = tabs;
    t->space_led = spaces;
    t->space_unit = unit >= 2 && unit <= 8 ? unit : 0;
    return true;
}

static bool is_tab_file(const ap_text *t)
{
    return t->tab_led >= 3 && t->space_led * 10 <= t->tab_led;
}

void ap_indent_style(ap_text *t)
{
    if (!t->indent_known)
        count_style(t, false);
}

bool ap_indent_may_be_tabs(ap_text *t)
{
    if (t->indent_known)
        return is_tab_file(t);
    if (t->not_tab_file)
        return false;
    if (!count_style(t, true)) {
        t->not_tab_file = true;
        return false;
    }
    return is_tab_file(t);
}

/* The content with its leading indentation converted (malloc'd, *len), or
 * NULL when its step cannot be told. */
static char *converted(const ap_pattern *c, bool to_tabs, uint32_t file_unit, size_t *len)
{
    uint32_t unit = to_tabs ? 0 : file_unit ? file_unit : 4;
    for (uint32_t i = 0; to_tabs && i < c->n_lines; i++)
        if (!c->lines[i].blank)
            unit = gcd(unit, leading_spaces(c->lines[i].s, c->lines[i].len));
    if (to_tabs && unit < 2)
        return NULL; /* an odd alignment: no step to turn into tabs */
    ap_buf b = AP_BUF_INIT;
    for (uint32_t i = 0; i < c->n_lines; i++) {
        const ap_line *l = &c->lines[i];
        uint32_t k = 0;
        if (to_tabs) {
            k = leading_spaces(l->s, l->len);
            for (uint32_t t = 0; t < k / unit; t++)
                ap_buf_addc(&b, '\t');
            for (uint32_t t = 0; t < k % unit; t++)
                ap_buf_addc(&b, ' ');
        } else {
            for (; k < l->len && (l->s[k] == '\t' || l->s[k] == ' '); k++)
                for (uint32_t t = 0; t < (l->s[k] == '\t' ? unit : 1); t++)
                    ap_buf_addc(&b, ' ');
        }
        ap_buf_add(&b, l->s + k, l->len - k);
        ap_buf_addc(&b, '\n');
    }
    return ap_buf_detach(&b, len);
}

void ap_check_indent(run_ctx *x, int fi, int ch, int md)
{
    const ap_patch *p = x->patch;
    const ap_mod *m = &p->changes[ch].mods[md];
    const ap_pattern *c = &x->pats[ch][md].content;
    ap_text *t = x->fst[fi].view.base;
    if (!m->content.present || c->n == 0 || m->action == AP_CREATE_FILE)
        return;
    /* what the content could be odd by: lines led by two spaces or more (in
     * a tab file), by a tab (in a space file); content of neither, or only
     * spaced in a file that cannot be tab-indented, is never odd: the file
     * need not be counted whole (every file an edit applies to was, at
     * opening: 7% of it) */
    bool spaced = false, tabbed = false;
    for (uint32_t i = 0; i < c->n_lines; i++) {
        const ap_line *l = &c->lines[i];
        if (!l->blank) {
            spaced |= leading_spaces(l->s, l->len) >= 2;
            tabbed |= l->s[0] == '\t';
        }
    }
    if (!tabbed && (!spaced || !ap_indent_may_be_tabs(t)))
        return;
    ap_indent_style(t);
    bool tab_file = t->tab_led >= 3 && t->space_led * 10 <= t->tab_led;
    bool space_file = t->space_led >= 3 && t->tab_led * 10 <= t->space_led;
    if (!tab_file && !space_file)
        return;
    uint32_t odd = 0;
    for (uint32_t i = 0; i < c->n_lines; i++) {
        const ap_line *l = &c->lines[i];
        if (!l->blank)
            odd += tab_file ? leading_spaces(l->s, l->len) >= 2 : l->s[0] == '\t';
    }
    if (odd == 0)
        return;
    const char *path = x->run->files[fi].path;
    ap_problem *pr = ap_run_problem(
        x->run, AP_INDENT_STYLE, AP_WARNING, m->content.span, ch, md,
        "content indents %u line%s with %s, but %s indents with %s (%u of its indented lines); the lines "
        "written would mix tabs and spaces",
        odd, odd == 1 ? "" : "s", tab_file ? "spaces" : "tabs", path, tab_file ? "tabs" : "spaces",
        tab_file ? t->tab_led : t->space_led);
    size_t len;
    char *val = converted(c, tab_file, t->space_unit, &len);
    if (!val)
        return;
    ap_span span;
    char *text = ap_set_field(p, &m->content, "content", val, len, &span);
    free(val);
    if (text)
        ap_problem_fix(pr, span, text, "Indent the content with %s", tab_file ? "tabs" : "spaces")->preferred = true;
}
