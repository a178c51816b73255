/* write.c - a patch's model as text, in 3.2 or in 2.0 YAML, and the
 * comparison of two models (what a conversion must keep).
 *
 * The writers write the strict form of the model: a tolerated deviation the
 * parser read is written as the spec says. What the target format cannot
 * say is reported, never silently changed; the test of a writer is that
 * parsing its output gives the same model (ap_patch_same_model). */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the id */

static bool hex8(const char *s, size_t n)
{
    if (n != 8)
        return false;
    for (size_t i = 0; i < 8; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
            return false;
    return true;
}

/* The lines of text that start with an 8-byte token and a blank (or end
 * there): the ids a new id must not be. Sorted 64-bit keys. */
static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t key8(const char *s)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | (unsigned char)s[i];
    return k;
}

void ap_fresh_id(const char *text, size_t len, char out[9])
{
    uint64_t *taken = NULL;
    size_t n = 0, cap = 0;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n' && text[e] != '\r')
            e++;
        if (e - i >= 8 && (e - i == 8 || text[i + 8] == ' ' || text[i + 8] == '\t')) {
            AP_GROW(taken, n, cap);
            taken[n++] = key8(text + i);
        }
        for (size_t k = i; k < e; k++)
            h = (h ^ (unsigned char)text[k]) * 1099511628211ull;
        h = (h ^ '\n') * 1099511628211ull;
        i = e < len ? e + 1 : e;
    }
    if (n)
        qsort(taken, n, sizeof *taken, key_cmp);
    for (;;) {
        snprintf(out, 9, "%08x", (unsigned)(h >> 32));
        uint64_t k = key8(out);
        if (!n || !bsearch(&k, taken, n, sizeof *taken, key_cmp))
            break;
        h = (h ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull;
    }
    free(taken);
}

/* ------------------------------------------------------------ losses */

typedef struct writer {
    const ap_patch *p;
    const ap_write_options *o;
    ap_buf out;
    ap_problem *lost;
    size_t n_lost;
    char id[9];
} writer;

static void lose(writer *w, ap_span at, int ch, int md, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void lose(writer *w, ap_span at, int ch, int md, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ap_problem_addv(&w->lost, &w->n_lost, AP_NOT_EXPRESSIBLE, AP_ERROR, at, ch, md, fmt, ap);
    va_end(ap);
}

static bool kept(const writer *w, size_t c, size_t m)
{
    return !w->o->keep || w->o->keep(w->o->ctx, c, m);
}

static size_t kept_mods(const writer *w, size_t c)
{
    size_t k = 0;
    for (size_t m = 0; m < w->p->changes[c].n_mods; m++)
        k += kept(w, c, m);
    return k;
}

static const char *value(const ap_field *f)
{
    return f->is_string && f->value ? f->value : "";
}

/* ------------------------------------------------------------- 3.2 */

static bool blank_line(const char *s, size_t n)
{
    size_t off, k;
    ap_strip(s, n, &off, &k);
    return k == 0;
}

/* What a 3.2 value cannot carry: reported for field f (name) of ch/md. */
static void check_value3(writer *w, const ap_field *f, const char *name, bool code, int ch, int md)
{
    const char *s = value(f);
    size_t n = f->len, lines = 0, first_text = SIZE_MAX, last_text = 0;
    unsigned fences = 0;
    bool drift = false;
    if (memchr(s, '\r', n))
        lose(w, f->span, ch, md, "'%s' holds a carriage return inside a line: 3.2 reads it as a line break", name);
    for (size_t i = 0; i < n; lines++) {
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        if (!blank_line(s + i, e - i)) {
            if (first_text == SIZE_MAX)
                first_text = lines;
            last_text = lines;
        }
        if (ap_parse3_fence(s + i, e - i))
            fences++;
        else if (fences % 2 == 0 && ap_parse3_drift_like(s + i, e - i, 8))
            drift = true;
        i = e + 1;
    }
    if (drift)
        lose(w, f->span, ch, md,
             "a line of '%s' reads as a directive of another patch id (id drift): 3.2 cannot carry it", name);
    if (code && first_text != SIZE_MAX && (first_text > 0 || last_text + 1 < lines))
        lose(w, f->span, ch, md, "'%s' begins or ends with blank lines, which 3.2 trims", name);
    if (code && first_text == SIZE_MAX && n > 0 && !(n == 1 && s[0] == '\n'))
        lose(w, f->span, ch, md, "'%s' holds only blank lines, which 3.2 trims to nothing", name);
}

static void value3(writer *w, const char *key, const ap_field *f)
{
    ap_buf_addf(&w->out, "%s %s\n", w->id, key);
    ap_buf_add(&w->out, value(f), f->len);
    if (f->len && f->value[f->len - 1] != '\n')
        ap_buf_addc(&w->out, '\n');
}

static void path3(writer *w, const ap_field *f, const char *what, int ch, int md)
{
    const char *s = value(f);
    size_t off, n;
    ap_strip(s, f->len, &off, &n);
    if (n != f->len || strpbrk(s, "\r\n") || (n && s[0] == '#') || ap_parse3_drift_like(s, f->len, 8))
        lose(w, f->span, ch, md, "the %s '%s' cannot stand on a 3.2 line as it is (blanks around it, a "
             "line break, a leading '#', or a directive of another patch id it reads as)", what, s);
    ap_buf_add(&w->out, s, f->len);
    ap_buf_addc(&w->out, '\n');
}

static void mod3(writer *w, size_t c, size_t k)
{
    const ap_patch *p = w->p;
    const ap_mod *m = &p->changes[c].mods[k];
    int ch = (int)c, md = (int)k;
    bool yaml = p->format == AP_FORMAT_2_0;
    ap_buf_addf(&w->out, "%s %s\n", w->id, ap_action_keyword(AP_FORMAT_3_2, m->action));
    switch (m->action) {
    case AP_RENAME:
        path3(w, &m->dest, "new path", ch, md);
        return;
    case AP_CREATE_DIR:
    case AP_DELETE_PATH:
        return;
    case AP_CREATE_FILE:
    case AP_RECREATE:
        check_value3(w, &m->content, "content", true, ch, md);
        value3(w, "content", &m->content);
        return;
    default:
        break;
    }
    bool range = m->start_snippet.present;
    const ap_field *snip = range ? &m->start_snippet : &m->snippet;
    if (m->anchor.present) {
        check_value3(w, &m->anchor, "anchor", false, ch, md);
        value3(w, "anchor", &m->anchor);
    }
    if (snip->present) {
        check_value3(w, snip, "snippet", false, ch, md);
        if (yaml && !snip->boundary && (!strcmp(value(snip), "^\n") || !strcmp(value(snip), "$\n") ||
                                        !strcmp(value(snip), "^") || !strcmp(value(snip), "$")))
            lose(w, snip->span, ch, md, "a snippet of '^' or '$' is a file boundary in 3.2, not text");
        value3(w, "snippet", snip);
    }
    if (range) {
        check_value3(w, &m->end_snippet, "snippet_tail", false, ch, md);
        if (yaml && ap_range_redundant(m->action, &m->start_snippet, &m->end_snippet, &m->content))
            lose(w, m->end_snippet.span, ch, md,
                 "this end_snippet ends the start_snippet (or is the content): 3.2 reads such a range as "
                 "the snippet alone");
        value3(w, "snippet_tail", &m->end_snippet);
    }
    if (m->content.present && m->action != AP_DELETE) {
        check_value3(w, &m->content, "content", true, ch, md);
        value3(w, "content", &m->content);
    }
    if (m->lead_f.present)
        ap_buf_addf(&w->out, "%s include_leading_blank_lines %u\n", w->id, m->lead);
    if (m->trail_f.present)
        ap_buf_addf(&w->out, "%s include_trailing_blank_lines %u\n", w->id, m->trail);
    if (m->scope_end)
        ap_buf_addf(&w->out, "%s scope_end 1\n", w->id);
}

/* The id of a 3.2 patch if it is hexadecimal and free, else a new one. */
static void choose_id(writer *w)
{
    const ap_patch *p = w->p;
    ap_buf all = AP_BUF_INIT;
    for (size_t c = 0; c < p->n_changes; c++) {
        const ap_change *ch = &p->changes[c];
        ap_buf_add(&all, value(&ch->file_path), ch->file_path.len);
        ap_buf_addc(&all, '\n');
        for (size_t k = 0; k < ch->n_mods; k++) {
            ap_field *fs[AP_MOD_FIELDS];
            ap_mod_fields(&ch->mods[k], fs);
            for (size_t i = 0; fs[i]; i++) {
                ap_buf_add(&all, value(fs[i]), fs[i]->len);
                ap_buf_addc(&all, '\n');
            }
        }
    }
    const char *own = p->format == AP_FORMAT_3_2 && p->id.is_string ? p->id.value : NULL;
    bool free_own = own && hex8(own, p->id.len);
    for (size_t i = 0; free_own && i < all.len;) {
        size_t e = i;
        while (e < all.len && all.s[e] != '\n' && all.s[e] != '\r')
            e++;
        if (e - i >= 8 && !memcmp(all.s + i, own, 8) && (e - i == 8 || all.s[i + 8] == ' ' || all.s[i + 8] == '\t'))
            free_own = false;
        i = e + 1;
    }
    if (free_own)
        memcpy(w->id, own, 9);
    else
        ap_fresh_id(all.s ? all.s : "", all.len, w->id);
    ap_buf_release(&all);
}

static void write3(writer *w)
{
    const ap_patch *p = w->p;
    choose_id(w);
    ap_buf_addf(&w->out, "%s AP 3.2\n", w->id);
    for (size_t c = 0; c < p->n_changes; c++) {
        const ap_change *ch = &p->changes[c];
        if (ch->n_mods && !kept_mods(w, c))
            continue;
        ap_buf_addf(&w->out, "\n%s FILE", w->id);
        if (ch->eol)
            ap_buf_addf(&w->out, " %s", ch->eol == AP_EOL_LF ? "LF" : ch->eol == AP_EOL_CRLF ? "CRLF" : "CR");
        ap_buf_addc(&w->out, '\n');
        path3(w, &ch->file_path, "path", (int)c, -1);
        for (size_t k = 0; k < ch->n_mods; k++) {
            if (!kept(w, c, k))
                continue;
            ap_buf_addc(&w->out, '\n');
            mod3(w, c, k);
        }
    }
    ap_buf_addf(&w->out, "\n%s END\n", w->id);
}

/* ------------------------------------------------------------- 2.0 */

/* The code point at s[i] (of n bytes) and its length *k, or -1 when the
 * bytes there are not valid UTF-8 (overlong forms and surrogates included). */
static long decode(const char *s, size_t n, size_t i, size_t *k)
{
    unsigned char c = (unsigned char)s[i];
    long cp;
    size_t len;
    if (c < 0x80)
        return *k = 1, c;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return *k = 1, -1;
    if (i + len > n)
        return *k = 1, -1;
    for (size_t j = 1; j < len; j++) {
        unsigned char d = (unsigned char)s[i + j];
        if ((d & 0xc0) != 0x80)
            return *k = 1, -1;
        cp = cp << 6 | (d & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return *k = 1, -1;
    *k = len;
    return cp;
}

static bool utf8_ok(const char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if (decode(s, n, i, &k) < 0)
            return false;
    return true;
}

/* What YAML lets stand in a scalar as it is: its printable set, less the
 * characters libyaml takes for line breaks (NEL, LS, PS) and the BOM. */
static bool yaml_plain_char(long cp)
{
    if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
        return false;
    return cp == '\t' || cp == '\n' || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* Can a YAML literal block hold s as it is? */
static bool literal_ok(const char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k) {
        long cp = decode(s, n, i, &k);
        if (cp < 0 || !yaml_plain_char(cp))
            return false;
    }
    return true;
}

/* s as a double-quoted scalar: every character YAML would not keep as it
 * is, escaped (bytes that are not UTF-8 cannot be: the caller reports them). */
static void quoted(ap_buf *b, const char *s, size_t n)
{
    ap_buf_addc(b, '"');
    for (size_t i = 0, k; i < n; i += k) {
        long cp = decode(s, n, i, &k);
        if (cp == '"' || cp == '\\')
            ap_buf_addc(b, '\\'), ap_buf_addc(b, (char)cp);
        else if (cp == '\n')
            ap_buf_adds(b, "\\n");
        else if (cp == '\t')
            ap_buf_adds(b, "\\t");
        else if (cp < 0 || yaml_plain_char(cp))
            ap_buf_add(b, s + i, k);
        else if (cp < 0x100)
            ap_buf_addf(b, "\\x%02lx", cp);
        else if (cp < 0x10000)
            ap_buf_addf(b, "\\u%04lx", cp);
        else
            ap_buf_addf(b, "\\U%08lx", cp);
    }
    ap_buf_addc(b, '"');
}

/* A new line, then "name: " and the value at key column col: a literal
 * block when it can be one, else a double-quoted scalar. */
static void value2(writer *w, const char *name, const ap_field *f, uint32_t col, int ch, int md)
{
    const char *s = value(f);
    ap_buf_addc(&w->out, '\n');
    for (uint32_t i = 0; i < col; i++)
        ap_buf_addc(&w->out, ' ');
    if (!utf8_ok(s, f->len))
        lose(w, f->span, ch, md, "'%s' is not UTF-8, which YAML cannot carry", name);
    char *block = literal_ok(s, f->len) ? ap_literal_block(name, s, f->len, col) : NULL;
    if (block) {
        ap_buf_adds(&w->out, block);
        free(block);
    } else {
        ap_buf_addf(&w->out, "%s: ", name);
        quoted(&w->out, s, f->len);
    }
}

/* Can 2.0 say modification m? Reports what it cannot. */
static bool expressible2(writer *w, const ap_mod *m, int ch, int md)
{
    switch (m->action) {
    case AP_CREATE_DIR:
    case AP_RECREATE:
    case AP_RENAME:
    case AP_DELETE_PATH:
        lose(w, m->action_f.key, ch, md, "%s (%s) has no 2.0 form: left out",
             ap_action_keyword(AP_FORMAT_3_2, m->action),
             m->action == AP_CREATE_DIR    ? "a folder"
             : m->action == AP_RECREATE    ? "a whole file rewritten"
             : m->action == AP_RENAME      ? "a move"
                                           : "a file or folder deleted");
        return false;
    default:
        break;
    }
    if (m->start_snippet.present && m->action != AP_REPLACE && m->action != AP_DELETE) {
        lose(w, m->end_snippet.key, ch, md, "2.0 has no range for %s: left out", ap_action_name(m->action));
        return false;
    }
    const ap_field *b[] = {&m->snippet, &m->start_snippet, &m->end_snippet};
    for (size_t i = 0; i < 3; i++)
        if (b[i]->boundary) {
            lose(w, b[i]->span, ch, md, "2.0 has no file boundary ('^', '$'): left out");
            return false;
        }
    if (m->scope_end)
        lose(w, m->scope_f.key, ch, md, "2.0 has no scope_end: written without it");
    return true;
}

static void write2(writer *w)
{
    const ap_patch *p = w->p;
    ap_buf_adds(&w->out, "version: \"2.0\"\nchanges:");
    size_t written = 0;
    for (size_t c = 0; c < p->n_changes; c++) {
        const ap_change *ch = &p->changes[c];
        bool any = false;
        for (size_t k = 0; k < ch->n_mods; k++)
            any |= kept(w, c, k) && expressible2(w, &ch->mods[k], (int)c, (int)k);
        if (ch->n_mods && !any)
            continue;
        ap_buf_adds(&w->out, "\n  - file_path: ");
        quoted(&w->out, value(&ch->file_path), ch->file_path.len);
        if (!utf8_ok(value(&ch->file_path), ch->file_path.len))
            lose(w, ch->file_path.span, (int)c, -1, "the path is not UTF-8, which YAML cannot carry");
        if (ch->eol)
            ap_buf_addf(&w->out, "\n    newline: %s",
                        ch->eol == AP_EOL_LF ? "LF" : ch->eol == AP_EOL_CRLF ? "CRLF" : "CR");
        ap_buf_adds(&w->out, "\n    modifications:");
        size_t n = 0;
        for (size_t k = 0; k < ch->n_mods; k++) {
            const ap_mod *m = &ch->mods[k];
            /* expressible2 reported already; ask again quietly */
            size_t before = w->n_lost;
            bool ok = kept(w, c, k) && expressible2(w, m, (int)c, (int)k);
            for (size_t i = before; i < w->n_lost; i++)
                ap_problem_release(&w->lost[i]);
            w->n_lost = before;
            if (!ok)
                continue;
            ap_buf_addf(&w->out, "\n      - action: %s", ap_action_name(m->action));
            n++;
            int ci = (int)c, mi = (int)k;
            if (m->action == AP_CREATE_FILE) {
                value2(w, "content", &m->content, 8, ci, mi);
                continue;
            }
            if (m->anchor.present)
                value2(w, "anchor", &m->anchor, 8, ci, mi);
            if (m->start_snippet.present) {
                value2(w, "start_snippet", &m->start_snippet, 8, ci, mi);
                value2(w, "end_snippet", &m->end_snippet, 8, ci, mi);
            } else if (m->snippet.present) {
                value2(w, "snippet", &m->snippet, 8, ci, mi);
            }
            if (m->content.present && m->action != AP_DELETE)
                value2(w, "content", &m->content, 8, ci, mi);
            if (m->lead_f.present)
                ap_buf_addf(&w->out, "\n        include_leading_blank_lines: %u", m->lead);
            if (m->trail_f.present)
                ap_buf_addf(&w->out, "\n        include_trailing_blank_lines: %u", m->trail);
        }
        if (n == 0)
            ap_buf_adds(&w->out, " []");
        written++;
    }
    if (written == 0)
        ap_buf_adds(&w->out, " []");
    ap_buf_addc(&w->out, '\n');
}

char *ap_patch_write(const ap_patch *p, const ap_write_options *o, size_t *len, ap_problem **lost,
                     size_t *n_lost)
{
    ap_write_options all = {AP_FORMAT_3_2, NULL, NULL};
    writer w;
    memset(&w, 0, sizeof w);
    w.p = p;
    w.o = o ? o : &all;
    if (w.o->format == AP_FORMAT_3_2)
        write3(&w);
    else
        write2(&w);
    ap_problems_sort(w.lost, w.n_lost);
    if (lost) {
        *lost = w.lost;
        *n_lost = w.n_lost;
    } else {
        ap_problems_free(w.lost, w.n_lost);
    }
    return ap_buf_detach(&w.out, len);
}

/* ------------------------------------------------------- comparison */

/* Equal, but for one final line break. */
static bool same_text(const ap_field *a, const ap_field *b)
{
    if (a->present != b->present)
        return false;
    size_t na = a->len, nb = b->len;
    const char *x = value(a), *y = value(b);
    if (na && x[na - 1] == '\n')
        na--;
    if (nb && y[nb - 1] == '\n')
        nb--;
    return na == nb && memcmp(x, y, na) == 0;
}

/* The same locator: the same non-blank lines, stripped (all that matching
 * reads of it; blank lines around it are trimmed by 3.2 and ignored by both). */
static bool same_locator(const ap_field *a, const ap_field *b)
{
    if (a->present != b->present)
        return false;
    if (!a->present)
        return true;
    ap_pattern x, y;
    ap_pattern_init(&x, value(a), a->len);
    ap_pattern_init(&y, value(b), b->len);
    bool same = x.n == y.n;
    for (uint32_t i = 0; same && i < x.n; i++)
        same = ap_line_eq(ap_pattern_at(&x, i), ap_pattern_at(&y, i));
    ap_pattern_release(&x);
    ap_pattern_release(&y);
    return same;
}

static bool differ(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool differ(char **why, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        *why = ap_xvprintf(fmt, ap);
        va_end(ap);
    }
    return false;
}

bool ap_patch_same_model(const ap_patch *a, const ap_patch *b, char **why)
{
    if (why)
        *why = NULL;
    if (a->n_changes != b->n_changes)
        return differ(why, "%zu changes against %zu", a->n_changes, b->n_changes);
    for (size_t c = 0; c < a->n_changes; c++) {
        const ap_change *x = &a->changes[c], *y = &b->changes[c];
        if (!same_text(&x->file_path, &y->file_path) || x->eol != y->eol)
            return differ(why, "change %zu: path or newline", c);
        if (x->n_mods != y->n_mods)
            return differ(why, "change %zu: %zu modifications against %zu", c, x->n_mods, y->n_mods);
        for (size_t k = 0; k < x->n_mods; k++) {
            const ap_mod *m = &x->mods[k], *n = &y->mods[k];
            if (m->action != n->action)
                return differ(why, "change %zu, modification %zu: %s against %s", c, k,
                              ap_action_name(m->action), ap_action_name(n->action));
            const ap_field *fm[] = {&m->snippet, &m->start_snippet, &m->end_snippet, &m->anchor,
                                    &m->content, &m->dest};
            const ap_field *fn[] = {&n->snippet, &n->start_snippet, &n->end_snippet, &n->anchor,
                                    &n->content, &n->dest};
            static const char *const names[] = {"snippet", "start_snippet", "end_snippet",
                                                "anchor", "content", "dest"};
            for (size_t i = 0; i < 6; i++)
                if (!(i < 4 ? same_locator(fm[i], fn[i]) : same_text(fm[i], fn[i])) ||
                    fm[i]->boundary != fn[i]->boundary)
                    return differ(why, "change %zu, modification %zu: %s", c, k, names[i]);
            if (m->lead != n->lead || m->trail != n->trail || m->scope_end != n->scope_end)
                return differ(why, "change %zu, modification %zu: options", c, k);
        }
    }
    return true;
}
