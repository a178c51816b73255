/* parse3.c - a 3.2 patch's text into the model ap_patch (the one the 2.0
 * parser fills), with a span for every directive, keyword and value, and
 * every problem found.
 *
 * One pass over the lines. A line is a directive when it starts (at column
 * 0) with a known id and a blank: the header's id, or one adopted from a
 * drifted directive. Everything up to the next directive is the value of the
 * directive before, trimmed of blank lines. Changes are FILE blocks,
 * modifications action blocks; a modification is checked when the next one
 * starts, a change when its block ends.
 *
 * Tolerance (docs/format-3.md): each deviation the spec's robustness
 * heuristics or the reference patcher accept is read as the author meant it
 * and reported as a warning whose fix writes the strict form. With
 * AP_PARSE_STRICT, those the reference's strict mode refuses are errors. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 16 /* the header's id and the drifted ones adopted */

enum key3 {
    K_NONE = 0, K_FILE, K_REPLACE, K_INSERT_AFTER, K_INSERT_BEFORE, K_DELETE, K_CREATE,
    K_RECREATE, K_RENAME, K_SNIPPET, K_ANCHOR, K_CONTENT, K_TAIL, K_LEAD, K_TRAIL, K_SCOPE,
    K_END, K_AP, K_UNKNOWN
};

static const char *const key_names[] = {
    [K_FILE] = "FILE", [K_REPLACE] = "REPLACE", [K_INSERT_AFTER] = "INSERT_AFTER",
    [K_INSERT_BEFORE] = "INSERT_BEFORE", [K_DELETE] = "DELETE", [K_CREATE] = "CREATE",
    [K_RECREATE] = "RECREATE", [K_RENAME] = "RENAME", [K_SNIPPET] = "snippet",
    [K_ANCHOR] = "anchor", [K_CONTENT] = "content", [K_TAIL] = "snippet_tail",
    [K_LEAD] = "include_leading_blank_lines", [K_TRAIL] = "include_trailing_blank_lines",
    [K_SCOPE] = "scope_end", [K_END] = "END", [K_AP] = "AP",
};

/* 2.0 names a model may carry over */
static const struct alias {
    const char *name;
    int key;
} aliases[] = {{"CREATE_FILE", K_CREATE}, {"start_snippet", K_SNIPPET}, {"end_snippet", K_TAIL}};

/* ------------------------------------------------------------ lines */

typedef struct line3 {
    uint32_t start, end; /* the text, without the line break */
    uint32_t next;       /* where the next line starts */
} line3;

static bool is_blank_ch(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits t[base, len) at LF, CRLF and lone CR. */
static uint32_t split_lines(const char *t, size_t len, uint32_t base, line3 **out)
{
    line3 *v = NULL;
    size_t n = 0, cap = 0;
    uint32_t i = base;
    while (i < len) {
        uint32_t s = i;
        while (i < len && t[i] != '\n' && t[i] != '\r')
            i++;
        uint32_t e = i;
        if (i < len && t[i] == '\r')
            i++;
        if (i < len && t[i] == '\n' && (i == e || t[i - 1] == '\r'))
            i++;
        AP_GROW(v, n, cap);
        v[n++] = (line3){s, e, i};
    }
    *out = v;
    return (uint32_t)n;
}

static uint32_t skip_blanks(const char *t, uint32_t i, uint32_t e)
{
    while (i < e && is_blank_ch(t[i]))
        i++;
    return i;
}

static uint32_t token_end(const char *t, uint32_t i, uint32_t e)
{
    while (i < e && !is_blank_ch(t[i]))
        i++;
    return i;
}

static bool blank_text(const char *t, uint32_t s, uint32_t e)
{
    size_t off, n;
    ap_strip(t + s, e - s, &off, &n);
    return n == 0;
}

static bool is_comment(const char *t, const line3 *l)
{
    uint32_t i = skip_blanks(t, l->start, l->end);
    return i < l->end && t[i] == '#';
}

bool ap_parse3_fence(const char *t, size_t n)
{
    uint32_t e = (uint32_t)n, i = skip_blanks(t, 0, e), k = i;
    char c = i < e ? t[i] : 0;
    if (c != '`' && c != '~')
        return false;
    while (k < e && t[k] == c)
        k++;
    if (k - i < 3)
        return false;
    k = skip_blanks(t, k, e);
    while (k < e && !is_blank_ch(t[k]) && t[k] != '`' && t[k] != '~')
        k++;
    return skip_blanks(t, k, e) == e;
}

/* A markdown fence: ``` or ~~~ (or longer), maybe an info word. */
static bool is_fence(const char *t, const line3 *l)
{
    return ap_parse3_fence(t + l->start, l->end - l->start);
}

static bool is_hex8(const char *s, size_t n)
{
    if (n != 8)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* --------------------------------------------------------- keywords */

static bool same_ci(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 32);
        if (x != y)
            return false;
    }
    return true;
}

/* The keyword s[0, n): K_UNKNOWN if none; *respelled when it is one only
 * after forgiving case, trailing colons or a 2.0 name. */
static int lookup_key(const char *s, size_t n, bool *respelled)
{
    *respelled = false;
    for (int k = K_FILE; k <= K_END; k++)
        if (strlen(key_names[k]) == n && memcmp(key_names[k], s, n) == 0)
            return k;
    *respelled = true;
    while (n > 0 && s[n - 1] == ':')
        n--;
    for (int k = K_FILE; k <= K_END; k++)
        if (same_ci(s, n, key_names[k]))
            return k;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (same_ci(s, n, aliases[i].name))
            return aliases[i].key;
    return K_UNKNOWN;
}

static bool is_action_key(int k)
{
    return k >= K_REPLACE && k <= K_RENAME;
}

/* The header "<id> AP <version>" on the line [s, e)? */
static bool header_at(const char *t, uint32_t s, uint32_t e, ap_span *id, ap_span *ap, ap_span *ver)
{
    uint32_t ie = token_end(t, s, e);
    if (ie == s || t[s] == '#' || ie >= e)
        return false;
    uint32_t a = skip_blanks(t, ie, e);
    if (a == ie || a + 2 > e || !same_ci(t + a, 2, "AP"))
        return false;
    uint32_t v = skip_blanks(t, a + 2, e);
    if (v == a + 2 || v >= e)
        return false;
    uint32_t k = v;
    if (t[k] == 'v' || t[k] == 'V')
        k++;
    uint32_t digits = k;
    while (k < e && t[k] >= '0' && t[k] <= '9')
        k++;
    if (k == digits)
        return false;
    if (k < e && t[k] == '.') {
        uint32_t d = ++k;
        while (k < e && t[k] >= '0' && t[k] <= '9')
            k++;
        if (k == d)
            return false;
    }
    if (skip_blanks(t, k, e) != e)
        return false;
    *id = (ap_span){s, ie};
    *ap = (ap_span){a, a + 2};
    *ver = (ap_span){v, k};
    return true;
}

/* A directive with an 8-hex id that starts a block ("e4a2f1b8 FILE"): what
 * tells a 3.2 patch without a header. */
static bool block_directive_at(const char *t, uint32_t s, uint32_t e)
{
    uint32_t ie = token_end(t, s, e);
    if (!is_hex8(t + s, ie - s) || ie >= e || !is_blank_ch(t[ie]))
        return false;
    uint32_t k = skip_blanks(t, ie, e), ke = token_end(t, k, e);
    bool respelled;
    int key = lookup_key(t + k, ke - k, &respelled);
    return !respelled && (key == K_FILE || is_action_key(key));
}

static uint32_t after_bom(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

ap_format ap_format_detect(const char *text, size_t len)
{
    uint32_t i = after_bom(text, len);
    while (i < len) {
        uint32_t e = i;
        while (e < len && text[e] != '\n' && text[e] != '\r')
            e++;
        ap_span a, b, c;
        if (header_at(text, i, e, &a, &b, &c) || block_directive_at(text, i, e))
            return AP_FORMAT_3_2;
        i = e < len ? e + 1 : e;
    }
    return AP_FORMAT_2_0;
}

/* ------------------------------------------------------ the parser */

/* What the lines after a directive are. */
enum vkind {
    V_NONE,        /* nothing: comments, blank lines, else out of place */
    V_PATH,        /* FILE's path */
    V_CREATE_PATH, /* CREATE without FILE: its path */
    V_CREATE_BODY, /* CREATE in a block: its content, if any */
    V_DEST,        /* RENAME's new path */
    V_SNIPPET, V_ANCHOR, V_CONTENT, V_TAIL,
    V_SKIP         /* a value with nowhere to go (its directive was refused) */
};

/* Where a modification's directives stand, for fixes that remove one. */
enum slot { S_SNIPPET, S_ANCHOR, S_CONTENT, S_TAIL, S_LEAD, S_TRAIL, S_SCOPE, S_COUNT };

typedef struct dir3 {
    int key;            /* K_NONE: not a directive */
    bool drift, respelled;
    ap_span line, id, kw, args;
} dir3;

typedef struct p3 {
    ap_patch *p;
    const char *t;
    line3 *ln;
    uint32_t n;
    bool strict;
    /* ids: [0] the patch's, then the drifted ones adopted */
    ap_span ids[MAX_IDS];
    size_t nids;
    char *id;             /* the patch's id, for the directives fixes write */
    ap_span *id_at;       /* every directive's id, for the fix of a bad id */
    size_t n_id_at, cap_id_at;
    /* the model being built */
    size_t cap_changes, cap_mods;
    int ch, md;           /* current change and modification, -1: none */
    size_t change_errors, mod_errors;
    ap_span region[S_COUNT]; /* the current modification's directives, with their values */
    /* the value being read */
    int vkind;
    uint32_t vdir;        /* its directive's line */
    ap_span vkw;          /* its keyword */
    uint32_t vfirst;      /* its first line */
    unsigned vfences;     /* fence lines in it so far (odd: inside a fenced block) */
    /* runs of comment lines and of stray text between directives */
    uint32_t crun_first, crun_last, urun_first, urun_last;
    bool crun, urun;
    bool implied;         /* the current modification's action has no directive of its own */
    size_t create_fix;    /* the CREATE_PATH problem waiting for its path, or SIZE_MAX */
    bool unterminated;    /* no END or closing fence: the text may have been cut off */
    ap_field *trunc;      /* the last value, when empty and unterminated */
} p3;

#define NO_LINE UINT32_MAX

static bool too_many(const p3 *ps)
{
    return ps->p->n_problems >= AP_MAX_PARSE_PROBLEMS;
}

static ap_problem *vprob(p3 *ps, ap_code code, ap_severity sev, ap_span at, int ch, int md,
                         const char *fmt, va_list ap)
{
    if (sev == AP_ERROR) {
        if (ch >= 0 && ch == ps->ch)
            ps->change_errors += md < 0;
        if (md >= 0 && ch == ps->ch && md == ps->md)
            ps->mod_errors++;
    }
    if (too_many(ps)) {
        ps->p->has_errors |= sev == AP_ERROR;
        return NULL;
    }
    return ap_problem_addv(&ps->p->problems, &ps->p->n_problems, code, sev, at, ch, md, fmt, ap);
}

static ap_problem *prob(p3 *ps, ap_code code, ap_severity sev, ap_span at, int ch, int md,
                        const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static ap_problem *prob(p3 *ps, ap_code code, ap_severity sev, ap_span at, int ch, int md,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ap_problem *pr = vprob(ps, code, sev, at, ch, md, fmt, ap);
    va_end(ap);
    return pr;
}

/* A tolerated deviation: a warning `code`; with --strict, when the
 * reference's strict mode refuses it (strict_code != AP_OK), that error. */
static ap_problem *tolerate(p3 *ps, ap_code code, ap_code strict_code, ap_span at, int ch, int md,
                            const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static ap_problem *tolerate(p3 *ps, ap_code code, ap_code strict_code, ap_span at, int ch, int md,
                            const char *fmt, ...)
{
    bool refuse = ps->strict && strict_code != AP_OK;
    va_list ap;
    va_start(ap, fmt);
    ap_problem *pr = vprob(ps, refuse ? strict_code : code, refuse ? AP_ERROR : AP_WARNING, at, ch,
                           md, fmt, ap);
    va_end(ap);
    if (pr && refuse) {
        char *m = ap_xprintf("%s (refused with --strict: %s)", pr->message, ap_code_name(code));
        free(pr->message);
        pr->message = m;
    }
    return pr;
}

/* Offers a fix on pr (when there is a problem to hold it); takes text. */
static void fix(ap_problem *pr, ap_span span, char *text, const char *title)
{
    if (pr)
        ap_problem_fix(pr, span, text, "%s", title);
    else
        free(text);
}

/* The fix making two replacements at once: one edit over both, with the
 * text between them kept. */
static void fix_two(p3 *ps, ap_problem *pr, ap_span a, const char *ta, ap_span b, const char *tb,
                    const char *title)
{
    if (b.start < a.start) {
        ap_span s = a;
        a = b;
        b = s;
        const char *x = ta;
        ta = tb;
        tb = x;
    }
    if (a.end > b.start)
        return;
    ap_buf buf = AP_BUF_INIT;
    ap_buf_adds(&buf, ta);
    ap_buf_add(&buf, ps->t + a.end, b.start - a.end);
    ap_buf_adds(&buf, tb);
    fix(pr, (ap_span){a.start, b.end}, ap_buf_detach(&buf, NULL), title);
}

static ap_span line_span(const p3 *ps, uint32_t i)
{
    return (ap_span){ps->ln[i].start, ps->ln[i].end};
}

/* Lines [a, b] with their line breaks: what deleting them removes. */
static ap_span lines_whole(const p3 *ps, uint32_t a, uint32_t b)
{
    return (ap_span){ps->ln[a].start, ps->ln[b].next};
}

static char *directive_text(const p3 *ps, const char *key)
{
    return ap_xprintf("%s %s\n", ps->id, key);
}

static ap_change *cur_change(p3 *ps)
{
    return ps->ch >= 0 ? &ps->p->changes[ps->ch] : NULL;
}

static ap_mod *cur_mod(p3 *ps)
{
    return ps->md >= 0 ? &ps->p->changes[ps->ch].mods[ps->md] : NULL;
}

/* Extends the current change and modification to offset e. */
static void cover(p3 *ps, uint32_t e)
{
    ap_change *c = cur_change(ps);
    if (c && e > c->span.end)
        c->span.end = e;
    ap_mod *m = cur_mod(ps);
    if (m && e > m->span.end)
        m->span.end = e;
}

static void field_release(ap_field *f)
{
    free(f->value);
    free(f->line_at);
    memset(f, 0, sizeof *f);
}

/* A KEY-ARGS field: the keyword, and the arguments as its value span. */
static void set_args_field(ap_field *f, const dir3 *d, const char *name)
{
    field_release(f);
    f->present = true;
    f->key = d->kw;
    f->span = d->args.end > d->args.start ? d->args : d->kw;
    f->directive = d->line;
    f->name = name;
    f->style = AP_STYLE_PLAIN;
}

static void set_text(ap_field *f, const char *s, size_t n)
{
    f->is_string = true;
    f->value = ap_xmemdup(s, n);
    f->len = n;
}

/* ---------------------------------------------------- ids, directives */

static void note_id(p3 *ps, ap_span id)
{
    AP_GROW(ps->id_at, ps->n_id_at, ps->cap_id_at);
    ps->id_at[ps->n_id_at++] = id;
}

/* Does line l start with a known id and a blank (or end there)? *drifted:
 * not the patch's own. */
static bool known_id_at(const p3 *ps, const line3 *l, ap_span *id, bool *drifted)
{
    for (size_t k = 0; k < ps->nids; k++) {
        uint32_t n = ps->ids[k].end - ps->ids[k].start;
        if (l->end - l->start < n || memcmp(ps->t + l->start, ps->t + ps->ids[k].start, n) != 0)
            continue;
        uint32_t after = l->start + n;
        if (after == l->end || is_blank_ch(ps->t[after])) {
            *id = (ap_span){l->start, after};
            *drifted = k > 0;
            return true;
        }
    }
    return false;
}

/* Could token s[0, n) be the patch's id (id_len bytes), drifted? (8 hex
 * digits, or as long as the id and made of letters, digits and '_'.)
 * Conservative: payload lines are asked too. */
static bool id_like(size_t id_len, const char *s, size_t n)
{
    if (is_hex8(s, n))
        return true;
    if (n != id_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
    }
    return true;
}

static bool all_digits(const char *s, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i < b; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Reads the keyword and arguments after the id. */
static void read_directive(const char *t, const line3 *l, ap_span id, dir3 *d)
{
    d->line = (ap_span){l->start, l->end};
    d->id = id;
    uint32_t k = skip_blanks(t, id.end, l->end), ke = token_end(t, k, l->end);
    d->kw = (ap_span){k, ke};
    uint32_t a = skip_blanks(t, ke, l->end), ae = l->end;
    while (ae > a && is_blank_ch(t[ae - 1]))
        ae--;
    d->args = (ap_span){a, ae};
    if (ke == k) {
        d->key = K_UNKNOWN;
        return;
    }
    d->key = lookup_key(t + k, ke - k, &d->respelled);
    if (d->key == K_UNKNOWN && same_ci(t + k, ke - k, "AP"))
        d->key = K_AP;
}

/* Is the line an id-like token with a keyword spelled exactly, shaped as
 * that keyword's directive is (a drifted directive, when outside a fenced
 * block)? */
static bool drift_at(const char *t, const line3 *l, size_t id_len, dir3 *d)
{
    uint32_t ie = token_end(t, l->start, l->end);
    if (ie == l->start || ie >= l->end || !id_like(id_len, t + l->start, ie - l->start))
        return false;
    read_directive(t, l, (ap_span){l->start, ie}, d);
    if (d->respelled || d->key == K_UNKNOWN || d->key == K_AP)
        return false;
    bool args = d->args.end > d->args.start;
    return d->key == K_FILE || ((d->key == K_LEAD || d->key == K_TRAIL || d->key == K_SCOPE)
                                    ? all_digits(t, d->args.start, d->args.end)
                                    : !args);
}

bool ap_parse3_drift_like(const char *s, size_t n, size_t id_len)
{
    line3 l = {0, (uint32_t)n, (uint32_t)n};
    dir3 d;
    memset(&d, 0, sizeof d);
    return drift_at(s, &l, id_len, &d);
}

/* Is line i a directive: a known id, or (outside a fenced block in a value)
 * a drifted one? */
static bool directive_of(p3 *ps, uint32_t i, dir3 *d)
{
    memset(d, 0, sizeof *d);
    const line3 *l = &ps->ln[i];
    ap_span id;
    bool drifted;
    if (known_id_at(ps, l, &id, &drifted)) {
        read_directive(ps->t, l, id, d);
        d->drift = drifted;
        return true;
    }
    if (ps->vfences % 2 == 1 || ps->nids >= MAX_IDS ||
        !drift_at(ps->t, l, ps->ids[0].end - ps->ids[0].start, d))
        return false;
    d->drift = true;
    ps->ids[ps->nids++] = d->id;
    return true;
}

/* ---------------------------------------------------------- building */

static void new_change(p3 *ps, uint32_t line)
{
    ap_patch *p = ps->p;
    AP_GROW(p->changes, p->n_changes, ps->cap_changes);
    ap_change *c = &p->changes[p->n_changes++];
    memset(c, 0, sizeof *c);
    c->head = line_span(ps, line);
    c->span = c->head;
    ps->ch = (int)p->n_changes - 1;
    ps->md = -1;
    ps->cap_mods = 0;
    ps->change_errors = 0;
}

static ap_mod *new_mod(p3 *ps, ap_action a, const dir3 *d, uint32_t line)
{
    ap_change *c = cur_change(ps);
    AP_GROW(c->mods, c->n_mods, ps->cap_mods);
    ap_mod *m = &c->mods[c->n_mods++];
    memset(m, 0, sizeof *m);
    m->head = line_span(ps, line);
    m->span = m->head;
    m->action = a;
    m->action_f.present = true;
    m->action_f.key = m->action_f.span = d->kw;
    m->action_f.directive = d->line;
    const char *kw = a == AP_CREATE_FILE ? "CREATE" : ap_action_name(a);
    m->action_f.name = kw;
    m->action_f.style = AP_STYLE_PLAIN;
    set_text(&m->action_f, kw, strlen(kw));
    ps->md = (int)c->n_mods - 1;
    ps->mod_errors = 0;
    ps->implied = false;
    for (int s = 0; s < S_COUNT; s++)
        ps->region[s] = (ap_span){0, 0};
    cover(ps, d->line.end);
    return m;
}

/* The lines [a, b) as a value: trimmed of blank lines at both ends, line
 * breaks as LF. */
static void set_block(p3 *ps, ap_field *f, const char *name, uint32_t a, uint32_t b)
{
    while (a < b && blank_text(ps->t, ps->ln[a].start, ps->ln[a].end))
        a++;
    while (b > a && blank_text(ps->t, ps->ln[b - 1].start, ps->ln[b - 1].end))
        b--;
    f->present = true;
    f->is_string = true;
    f->style = AP_STYLE_LITERAL;
    f->name = name;
    f->key = ps->vkw;
    f->directive = line_span(ps, ps->vdir);
    f->n_lines = b - a;
    f->line_at = b > a ? ap_xmalloc((b - a) * sizeof *f->line_at) : NULL;
    ap_buf buf = AP_BUF_INIT;
    for (uint32_t i = a; i < b; i++) {
        f->line_at[i - a] = ps->ln[i].start;
        ap_buf_add(&buf, ps->t + ps->ln[i].start, ps->ln[i].end - ps->ln[i].start);
        ap_buf_addc(&buf, '\n');
    }
    f->value = ap_buf_detach(&buf, &f->len);
    if (b > a) {
        f->span = (ap_span){ps->ln[a].start, ps->ln[b - 1].end};
        cover(ps, ps->ln[b - 1].end);
    } else {
        uint32_t e = ps->ln[ps->vdir].end;
        f->span = (ap_span){e, e};
    }
}

static void start_value(p3 *ps, int kind, uint32_t line, ap_span kw)
{
    ps->vkind = kind;
    ps->vdir = line;
    ps->vkw = kw;
    ps->vfirst = line + 1;
    ps->vfences = 0;
}

static bool ends_with_slash(const ap_field *f)
{
    return f->is_string && f->len > 0 && (f->value[f->len - 1] == '/' || f->value[f->len - 1] == '\\');
}

/* A path value: the one line of [a, b) that is neither blank nor a comment. */
static void set_path(p3 *ps, ap_field *f, const char *name, uint32_t a, uint32_t b, int ch, int md)
{
    field_release(f);
    f->present = true;
    f->name = name;
    f->key = ps->vkw;
    f->directive = line_span(ps, ps->vdir);
    f->style = AP_STYLE_PLAIN;
    uint32_t e = ps->ln[ps->vdir].end;
    f->span = (ap_span){e, e};
    bool found = false;
    for (uint32_t i = a; i < b; i++) {
        const line3 *l = &ps->ln[i];
        if (blank_text(ps->t, l->start, l->end))
            continue;
        if (is_comment(ps->t, l)) {
            ap_problem *pr = tolerate(ps, AP_COMMENT, AP_INVALID_PATCH_FILE, line_span(ps, i), ch, md,
                                      "a comment in a path is ignored; a value takes no comments");
            fix(pr, lines_whole(ps, i, i), ap_xstrdup(""), "Remove the comment");
            continue;
        }
        if (found) {
            prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, line_span(ps, i), ch, md,
                 "%s takes one line, the path; this line is out of place (missing directive?)", name);
            cover(ps, l->end);
            continue;
        }
        uint32_t s = skip_blanks(ps->t, l->start, l->end), x = l->end;
        while (x > s && is_blank_ch(ps->t[x - 1]))
            x--;
        set_text(f, ps->t + s, x - s);
        f->span = (ap_span){s, x};
        found = true;
        cover(ps, l->end);
    }
    if (!found)
        set_text(f, "", 0);
}

/* Stores a locator or content value in the current modification; a second
 * one of the same key replaces the first (content: refused). */
static ap_field *take_value(p3 *ps, int slot, ap_field *f, const char *name, uint32_t end)
{
    ap_span region = {ps->ln[ps->vdir].start, end < ps->n ? ps->ln[end].start : ps->ln[end - 1].next};
    if (f->present) {
        if (slot == S_CONTENT) {
            prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, ps->vkw, ps->ch, ps->md,
                 "a second 'content' in one modification: which one is meant? (an action "
                 "directive missing before it?)");
            cover(ps, ps->ln[ps->vdir].end);
            return NULL;
        }
        ap_problem *pr = tolerate(ps, AP_DUPLICATE_DIRECTIVE, AP_INVALID_PATCH_FILE, f->key, ps->ch,
                                  ps->md, "'%s' is given twice in this modification; the last one is used",
                                  name);
        fix(pr, ps->region[slot], ap_xstrdup(""), "Remove the first one");
        field_release(f);
    }
    ps->region[slot] = region;
    set_block(ps, f, name, ps->vfirst, end);
    return f;
}

/* CREATE without FILE, its path read: the fix writing FILE first. */
static void create_path_fix(p3 *ps, const ap_change *c)
{
    size_t i = ps->create_fix;
    ps->create_fix = SIZE_MAX;
    if (i >= ps->p->n_problems || c->file_path.span.end <= c->file_path.span.start)
        return;
    const ap_span nl = c->newline.present ? c->newline.span : (ap_span){0, 0};
    fix(&ps->p->problems[i], (ap_span){c->head.start, c->file_path.span.end},
        ap_xprintf("%s FILE%s%.*s\n%.*s\n\n%s CREATE", ps->id, c->newline.present ? " " : "",
                   (int)(nl.end - nl.start), ps->t + nl.start,
                   (int)(c->file_path.span.end - c->file_path.span.start), ps->t + c->file_path.span.start,
                   ps->id),
        "Write FILE, then CREATE");
}

/* The value read so far ends before line `end`. */
static void finish_value(p3 *ps, uint32_t end, bool at_eof)
{
    int kind = ps->vkind;
    ps->vkind = V_NONE;
    ps->vfences = 0;
    ap_change *c = cur_change(ps);
    ap_mod *m = cur_mod(ps);
    ap_field *f = NULL;
    switch (kind) {
    case V_PATH:
    case V_CREATE_PATH:
        set_path(ps, &c->file_path, "FILE", ps->vfirst, end, ps->ch, -1);
        f = &c->file_path;
        if (kind == V_CREATE_PATH)
            create_path_fix(ps, c);
        break;
    case V_DEST:
        set_path(ps, &m->dest, "RENAME", ps->vfirst, end, ps->ch, ps->md);
        f = &m->dest;
        break;
    case V_CREATE_BODY: {
        ap_field body = {0};
        set_block(ps, &body, "content", ps->vfirst, end);
        if (body.len > 0) {
            ap_problem *pr = tolerate(ps, AP_CONTEXTUAL_CREATE, AP_OK, body.key, ps->ch, ps->md,
                                      "CREATE is followed by its content without 'content'");
            fix(pr, (ap_span){ps->ln[ps->vdir].next, ps->ln[ps->vdir].next},
                directive_text(ps, "content"), "Add the 'content' directive");
            ps->region[S_CONTENT] = (ap_span){ps->ln[ps->vdir].next, ps->ln[end - 1].next};
            body.name = "content";
            m->content = body;
            f = &m->content;
        } else {
            field_release(&body);
        }
        break;
    }
    case V_SNIPPET: f = take_value(ps, S_SNIPPET, &m->snippet, "snippet", end); break;
    case V_ANCHOR: f = take_value(ps, S_ANCHOR, &m->anchor, "anchor", end); break;
    case V_CONTENT: f = take_value(ps, S_CONTENT, &m->content, "content", end); break;
    case V_TAIL: f = take_value(ps, S_TAIL, &m->end_snippet, "snippet_tail", end); break;
    default: break;
    }
    ps->trunc = at_eof && f && f->is_string && f->len == 0 ? f : NULL;
}

/* ------------------------------------------------ runs of stray lines */

static void flush_comments(p3 *ps)
{
    if (ps->crun) {
        ap_problem *pr = tolerate(ps, AP_COMMENT, AP_INVALID_PATCH_FILE,
                                  (ap_span){ps->ln[ps->crun_first].start, ps->ln[ps->crun_last].end},
                                  -1, -1, "comments belong before the header; between directives they are ignored");
        fix(pr, lines_whole(ps, ps->crun_first, ps->crun_last), ap_xstrdup(""), "Remove the comment");
        ps->crun = false;
    }
}

static void flush_stray(p3 *ps)
{
    if (ps->urun) {
        prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR,
             (ap_span){ps->ln[ps->urun_first].start, ps->ln[ps->urun_last].end}, ps->ch, ps->md,
             "text out of place: a value needs its directive (snippet, anchor, content, ...) on the "
             "line above");
        ps->urun = false;
    }
}

static void flush_runs(p3 *ps)
{
    flush_comments(ps);
    flush_stray(ps);
}

/* ------------------------------------------- checking a modification */

static bool has_text(const ap_field *f)
{
    size_t off, n;
    ap_strip(f->value ? f->value : "", f->len, &off, &n);
    return n > 0;
}

/* f's lines, stripped, without blank ones, joined by LF. */
static char *normalized(const ap_field *f)
{
    ap_buf b = AP_BUF_INIT;
    const char *s = f->value ? f->value : "";
    for (size_t i = 0; i < f->len;) {
        size_t j = i;
        while (j < f->len && s[j] != '\n')
            j++;
        size_t off, n;
        ap_strip(s + i, j - i, &off, &n);
        if (n) {
            if (b.len)
                ap_buf_addc(&b, '\n');
            ap_buf_add(&b, s + i + off, n);
        }
        i = j + 1;
    }
    return ap_buf_detach(&b, NULL);
}

static ap_boundary boundary_of(const ap_field *f)
{
    size_t off, n;
    ap_strip(f->value, f->len, &off, &n);
    if (n == 1 && f->value[off] == '^')
        return AP_BOUNDARY_START;
    if (n == 1 && f->value[off] == '$')
        return AP_BOUNDARY_END;
    return AP_BOUNDARY_NONE;
}

/* Drops a directive the action ignores, with a warning and a fix. */
static void ignore_field(p3 *ps, ap_field *f, int slot, const char *action, int ch, int md)
{
    if (!f->present)
        return;
    ap_problem *pr = prob(ps, AP_UNKNOWN_KEY, AP_WARNING, f->key, ch, md, "%s ignores '%s'", action,
                          f->name);
    if (slot >= 0 && ps->region[slot].end > ps->region[slot].start)
        fix(pr, ps->region[slot], ap_xstrdup(""), "Remove it");
    field_release(f);
}

static ap_code missing_code(const p3 *ps, bool last)
{
    return last ? AP_PATCH_TRUNCATED : AP_INVALID_MODIFICATION;
}

static void close_with_end(p3 *ps, ap_problem *pr)
{
    const ap_patch *p = ps->p;
    bool nl = p->len == 0 || p->text[p->len - 1] == '\n' || p->text[p->len - 1] == '\r';
    fix(pr, (ap_span){(uint32_t)p->len, (uint32_t)p->len},
        ap_xprintf("%s%s END\n", nl ? "" : "\n", ps->id), "Close the patch with END");
}

/* An empty or blank locator: an error (or truncation, at the end). */
static bool locator_ok(p3 *ps, ap_field *f, int ch, int md)
{
    if (!f->present || has_text(f))
        return true;
    if (ps->trunc == f)
        prob(ps, AP_PATCH_TRUNCATED, AP_ERROR, f->key, ch, md,
             "the patch ends with an empty '%s': was it cut off?", f->name);
    else
        prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, f->key, ch, md,
             "'%s' has no text to look for (it is empty or only white space)", f->name);
    return false;
}

const char *ap_range_redundant(ap_action a, const ap_field *snippet, const ap_field *tail,
                               const ap_field *content)
{
    if (!snippet->present || !tail->present || snippet->boundary || tail->boundary)
        return NULL;
    char *s = normalized(snippet), *e = normalized(tail);
    size_t ns = strlen(s), ne = strlen(e);
    const char *why = NULL;
    if (a == AP_REPLACE && content->present) {
        char *c = normalized(content);
        if (ne > 0 && strcmp(c, e) == 0)
            why = "is the content (the new text, not the end of the old)";
        free(c);
    }
    if (!why && ne > 0 && ne <= ns && memcmp(s + ns - ne, e, ne) == 0)
        why = ne == ns ? "repeats the snippet" : "is the end of the snippet";
    free(s);
    free(e);
    return why;
}

/* The 3.6 range corrections that need no file: a snippet_tail that is the
 * content, the snippet, or the snippet's end. */
static void correct_range(p3 *ps, ap_mod *m, int ch, int md)
{
    const char *why = ap_range_redundant(m->action, &m->snippet, &m->end_snippet, &m->content);
    if (!why)
        return;
    ap_problem *pr = prob(ps, AP_REDUNDANT_SNIPPET_TAIL, AP_WARNING, m->end_snippet.key, ch, md,
                          "'snippet_tail' %s: the snippet alone is used", why);
    fix(pr, ps->region[S_TAIL], ap_xstrdup(""), "Remove the snippet_tail");
    field_release(&m->end_snippet);
}

static void check_locators(p3 *ps, ap_mod *m, int ch, int md, bool last)
{
    const char *name = ap_action_name(m->action);
    if (!m->snippet.present && m->anchor.present) {
        ap_problem *pr = tolerate(ps, AP_ANCHOR_AS_SNIPPET, AP_INVALID_MODIFICATION, m->anchor.key,
                                  ch, md, "%s has an 'anchor' and no 'snippet': the anchor is used as the snippet",
                                  name);
        fix(pr, m->anchor.key, ap_xstrdup("snippet"), "Write 'snippet'");
        m->snippet = m->anchor;
        m->snippet.name = "snippet";
        memset(&m->anchor, 0, sizeof m->anchor);
        ps->region[S_SNIPPET] = ps->region[S_ANCHOR];
    }
    if (!m->snippet.present) {
        if (m->end_snippet.present)
            prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, m->end_snippet.key, ch, md,
                 "'snippet_tail' ends a range that needs a 'snippet' to start it");
        else
            prob(ps, missing_code(ps, last), AP_ERROR, m->head, ch, md,
                 last ? "the patch ends before %s has a 'snippet': was it cut off?"
                      : "%s needs a 'snippet' to find its place",
                 name);
    }
    bool ok = locator_ok(ps, &m->snippet, ch, md);
    ok &= locator_ok(ps, &m->anchor, ch, md);
    ok &= locator_ok(ps, &m->end_snippet, ch, md);
    if (!ok)
        return;
    if (m->snippet.present)
        m->snippet.boundary = boundary_of(&m->snippet);
    if (m->end_snippet.present) {
        m->end_snippet.boundary = boundary_of(&m->end_snippet);
        if (m->end_snippet.boundary == AP_BOUNDARY_START) {
            prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, m->end_snippet.span, ch, md,
                 "'^' is the start of the file and cannot end a range (the end is '$')");
            return;
        }
    }
    correct_range(ps, m, ch, md);
    if (m->end_snippet.present && ap_action_inserts(m->action)) {
        bool after = m->action == AP_INSERT_AFTER;
        ap_problem *pr = tolerate(ps, AP_POINT_ACTION_RANGE, AP_INVALID_MODIFICATION,
                                  m->end_snippet.key, ch, md,
                                  "%s inserts at one place, not a range: it goes %s the range", name,
                                  after ? "after the end of" : "before the start of");
        if (!after)
            fix(pr, ps->region[S_TAIL], ap_xstrdup(""), "Remove the snippet_tail");
        else if (!m->anchor.present && m->snippet.present)
            fix_two(ps, pr, m->snippet.key, "anchor", m->end_snippet.key, "snippet",
                    "Insert after the snippet_tail, found after the snippet (as anchor)");
    }
    if (m->snippet.present && m->end_snippet.present) {
        m->start_snippet = m->snippet;
        memset(&m->snippet, 0, sizeof m->snippet);
    }
}

/* content: required, refused or optional by action; an empty one of REPLACE
 * or RECREATE at the unterminated end of the patch is truncation. */
static void check_content(p3 *ps, ap_mod *m, int ch, int md, bool last)
{
    const char *name = ap_action_name(m->action);
    ap_field *c = &m->content;
    if (m->action == AP_DELETE) {
        if (c->present)
            prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, c->key, ch, md, "DELETE takes no 'content'");
        return;
    }
    if (!c->present) {
        prob(ps, missing_code(ps, last), AP_ERROR, m->head, ch, md,
             last ? "the patch ends before %s has its 'content': was it cut off?" : "%s needs 'content'",
             name);
        return;
    }
    if (c->len > 0 || (m->action != AP_REPLACE && m->action != AP_RECREATE))
        return;
    if (ps->trunc == c) {
        ap_problem *pr = prob(ps, AP_PATCH_TRUNCATED, AP_ERROR, c->key, ch, md,
                              "the patch ends with an empty 'content': was it cut off? (END after it "
                              "says the emptiness is meant)");
        close_with_end(ps, pr);
        return;
    }
    ap_problem *pr = tolerate(ps, AP_EMPTY_REPLACE, AP_EMPTY_REPLACE, c->key, ch, md,
                              m->action == AP_REPLACE
                                  ? "REPLACE with empty content deletes: DELETE says so"
                                  : "RECREATE with empty content empties the file");
    if (m->action == AP_REPLACE && !ps->implied && m->action_f.key.end <= ps->region[S_CONTENT].start) {
        ap_buf b = AP_BUF_INIT;
        ap_buf_adds(&b, "DELETE");
        ap_buf_add(&b, ps->t + m->action_f.key.end, ps->region[S_CONTENT].start - m->action_f.key.end);
        fix(pr, (ap_span){m->action_f.key.start, ps->region[S_CONTENT].end}, ap_buf_detach(&b, NULL),
            "Write DELETE");
    }
}

/* Checks the current modification once its directives are all read; at the
 * end of its block, a lone DELETE without locators deletes the path. */
static void finish_mod(p3 *ps, bool block_ends)
{
    ap_mod *m = cur_mod(ps);
    if (!m)
        return;
    int ch = ps->ch, md = ps->md;
    ap_change *c = cur_change(ps);
    /* the last modification of a patch that may have been cut off (set
     * only once the text is read) */
    bool last = ps->unterminated && block_ends;
    const char *name = ap_action_name(m->action);
    switch (m->action) {
    case AP_CREATE_FILE:
    case AP_RECREATE:
    case AP_RENAME: {
        const char *who = m->action == AP_CREATE_FILE ? "CREATE" : name;
        ignore_field(ps, &m->snippet, S_SNIPPET, who, ch, md);
        ignore_field(ps, &m->anchor, S_ANCHOR, who, ch, md);
        ignore_field(ps, &m->end_snippet, S_TAIL, who, ch, md);
        ignore_field(ps, &m->lead_f, S_LEAD, who, ch, md);
        ignore_field(ps, &m->trail_f, S_TRAIL, who, ch, md);
        ignore_field(ps, &m->scope_f, S_SCOPE, who, ch, md);
        m->lead = m->trail = 0;
        m->scope_end = false;
        if (m->action == AP_RENAME) {
            ignore_field(ps, &m->content, S_CONTENT, who, ch, md);
            if (!m->dest.present || m->dest.len == 0)
                prob(ps, ps->trunc == &m->dest ? AP_PATCH_TRUNCATED : AP_INVALID_MODIFICATION, AP_ERROR,
                     m->action_f.key, ch, md,
                     ps->trunc == &m->dest ? "the patch ends before RENAME has its new path: was it cut off?"
                                           : "RENAME needs the new path on the line after it");
        } else if (m->action == AP_RECREATE) {
            check_content(ps, m, ch, md, last);
        } else if (!m->content.present) {
            m->action = AP_CREATE_DIR;
        } else if (ends_with_slash(&c->file_path)) {
            if (m->content.len == 0)
                m->action = AP_CREATE_DIR, field_release(&m->content);
            else
                prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, m->content.key, ch, md,
                     "the path ends with '/', a folder: CREATE of a folder takes no content");
        }
        break;
    }
    case AP_DELETE:
        if (!m->snippet.present && !m->anchor.present && !m->end_snippet.present &&
            !m->content.present && !m->lead_f.present && !m->trail_f.present && !m->scope_f.present) {
            if (block_ends && c->n_mods == 1) {
                m->action = AP_DELETE_PATH;
                break;
            }
            prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.key, ch, md,
                 "DELETE needs a 'snippet'; a DELETE alone in its FILE block deletes the file, and "
                 "this block has other modifications");
            break;
        }
        check_locators(ps, m, ch, md, last);
        check_content(ps, m, ch, md, last);
        break;
    case AP_REPLACE:
    case AP_INSERT_AFTER:
    case AP_INSERT_BEFORE:
        check_locators(ps, m, ch, md, last);
        check_content(ps, m, ch, md, last);
        break;
    default:
        break;
    }
    m->ok = ps->mod_errors == 0 && m->action != AP_ACTION_NONE;
    ps->md = -1;
}

static void finish_change(p3 *ps)
{
    ap_change *c = cur_change(ps);
    if (!c)
        return;
    finish_mod(ps, true);
    /* a folder made (CREATE without content) is a block of its own, as a
     * RENAME is (action_directive); an error of the block, so none of it is
     * resolved: the folder would reach the text resolver, which has nothing
     * to search for */
    for (size_t i = 0; c->n_mods > 1 && i < c->n_mods; i++) {
        if (c->mods[i].action == AP_CREATE_DIR) {
            prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, c->mods[i].action_f.span, ps->ch, (int)i,
                 "CREATE without content makes a folder, which cannot share its FILE block with other "
                 "actions (a new file's CREATE takes a content)");
            ps->change_errors++;
            break;
        }
    }
    if (c->file_path.present && c->file_path.len == 0 && ps->change_errors == 0) {
        bool cut = ps->trunc == &c->file_path;
        prob(ps, cut ? AP_PATCH_TRUNCATED : AP_INVALID_PATCH_FILE, AP_ERROR, c->file_path.key, ps->ch, -1,
             cut ? "the patch ends before FILE has its path: was it cut off?"
                 : "FILE needs a path, on its line or the next");
    }
    c->ok = ps->change_errors == 0 && c->file_path.present && c->file_path.len > 0;
    for (size_t i = 0; i < c->n_mods; i++)
        if (c->mods[i].span.end > c->span.end)
            c->span.end = c->mods[i].span.end;
    ps->ch = -1;
}

/* ---------------------------------------------------------- directives */

/* A new change for a directive that needs one and finds none. */
static void orphan_change(p3 *ps, const dir3 *d, uint32_t line)
{
    finish_change(ps);
    new_change(ps, line);
    prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->kw, ps->ch, -1,
         "%s before any FILE: which file does it change?", key_names[d->key]);
}

static void no_args(p3 *ps, const dir3 *d)
{
    if (d->args.end <= d->args.start)
        return;
    ap_problem *pr = prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->args, ps->ch, ps->md,
                          "%s takes nothing on its line%s", key_names[d->key],
                          d->key >= K_SNIPPET && d->key <= K_TAIL ? ": its value goes on the next lines" : "");
    if (d->key >= K_SNIPPET && d->key <= K_TAIL)
        fix(pr, (ap_span){d->kw.end, d->args.end},
            ap_xprintf("\n%.*s", (int)(d->args.end - d->args.start), ps->t + d->args.start),
            "Move it to the next line");
}

/* A path given on the directive's line, at v. */
static void inline_value(p3 *ps, ap_field *f, const char *name, const dir3 *d, ap_span v)
{
    field_release(f);
    f->present = true;
    f->name = name;
    f->key = d->kw;
    f->directive = d->line;
    f->span = v;
    f->style = AP_STYLE_PLAIN;
    set_text(f, ps->t + v.start, v.end - v.start);
}

/* The warning for it, with the fix moving [from, v.end) to the next line. */
static void inline_tolerated(p3 *ps, const dir3 *d, uint32_t from, ap_span v, int md, const char *msg)
{
    ap_problem *pr = tolerate(ps, AP_INLINE_PATH, AP_OK, v, ps->ch, md, "%s", msg);
    fix(pr, (ap_span){from, v.end}, ap_xprintf("\n%.*s", (int)(v.end - v.start), ps->t + v.start),
        "Move the path to the next line");
}

static void action_directive(p3 *ps, const dir3 *d, uint32_t line)
{
    static const ap_action of[] = {[K_REPLACE] = AP_REPLACE, [K_INSERT_AFTER] = AP_INSERT_AFTER,
                                   [K_INSERT_BEFORE] = AP_INSERT_BEFORE, [K_DELETE] = AP_DELETE,
                                   [K_RECREATE] = AP_RECREATE, [K_RENAME] = AP_RENAME};
    if (!cur_change(ps))
        orphan_change(ps, d, line);
    finish_mod(ps, false);
    ap_change *c = cur_change(ps);
    bool renamed = c->n_mods > 0 && c->mods[0].action == AP_RENAME;
    bool others = c->n_mods > 0;
    new_mod(ps, of[d->key], d, line);
    /* an error of the block, not of this action: whether the block renames
     * or edits is unknowable, so none of it is resolved (a RENAME handed to
     * the text resolver would be searched for a snippet it has not got) */
    if (renamed || (d->key == K_RENAME && others)) {
        prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, d->kw, ps->ch, ps->md,
             "RENAME cannot share its FILE block with other actions");
        ps->change_errors++;
    }
    if (d->key != K_RENAME) {
        no_args(ps, d);
        return;
    }
    if (d->args.end > d->args.start) {
        inline_value(ps, &cur_mod(ps)->dest, "RENAME", d, d->args);
        inline_tolerated(ps, d, d->kw.end, d->args, ps->md, "the new path goes on the line after RENAME");
        return;
    }
    start_value(ps, V_DEST, line, d->kw);
}

static bool newline_token(const char *s, size_t n, ap_eol *eol)
{
    if (n == 2 && !memcmp(s, "LF", 2))
        *eol = AP_EOL_LF;
    else if (n == 4 && !memcmp(s, "CRLF", 4))
        *eol = AP_EOL_CRLF;
    else if (n == 2 && !memcmp(s, "CR", 2))
        *eol = AP_EOL_CR;
    else
        return false;
    return true;
}

/* FILE [LF|CRLF|CR] [path], and CREATE's own newline and path arguments. */
static void file_args(p3 *ps, const dir3 *d, ap_span *path)
{
    ap_change *c = cur_change(ps);
    const char *t = ps->t;
    uint32_t a = d->args.start, e = d->args.end;
    *path = (ap_span){a, a};
    if (a >= e)
        return;
    uint32_t te = token_end(t, a, e);
    if (newline_token(t + a, te - a, &c->eol)) {
        set_args_field(&c->newline, d, "newline");
        c->newline.span = (ap_span){a, te};
        set_text(&c->newline, t + a, te - a);
        a = skip_blanks(t, te, e);
    }
    *path = (ap_span){a, e};
}

static void file_directive(p3 *ps, const dir3 *d, uint32_t line)
{
    finish_change(ps);
    new_change(ps, line);
    ap_change *c = cur_change(ps);
    c->head = d->line;
    ap_span path;
    file_args(ps, d, &path);
    if (path.end > path.start) {
        inline_value(ps, &c->file_path, "FILE", d, path);
        inline_tolerated(ps, d, c->newline.present ? c->newline.span.end : d->kw.end, path, -1,
                         "the path goes on the line after FILE");
        return;
    }
    start_value(ps, V_PATH, line, d->kw);
}

/* CREATE: in a FILE block that has nothing yet, that file's creation (its
 * content may follow at once); elsewhere it starts a block of its own and
 * carries the path (reference patcher; the spec's form is FILE + CREATE). */
static void create_directive(p3 *ps, const dir3 *d, uint32_t line)
{
    ap_change *c = cur_change(ps);
    if (c && c->n_mods == 0 && c->file_path.present) {
        no_args(ps, d);
        new_mod(ps, AP_CREATE_FILE, d, line);
        start_value(ps, V_CREATE_BODY, line, d->kw);
        return;
    }
    finish_change(ps);
    new_change(ps, line);
    c = cur_change(ps);
    c->head = d->line;
    ap_span path;
    file_args(ps, d, &path);
    new_mod(ps, AP_CREATE_FILE, d, line);
    ap_problem *pr = tolerate(ps, AP_CREATE_PATH, AP_OK, d->kw, ps->ch, ps->md,
                              "CREATE without FILE: the path comes with CREATE");
    if (path.end > path.start) {
        /* "CREATE path": the lines after it are the content */
        inline_value(ps, &c->file_path, "FILE", d, path);
        fix(pr, d->line,
            ap_xprintf("%s FILE%s%.*s\n%.*s\n\n%s CREATE\n%s content", ps->id,
                       c->newline.present ? " " : "", (int)(c->newline.span.end - c->newline.span.start),
                       ps->t + c->newline.span.start, (int)(path.end - path.start), ps->t + path.start,
                       ps->id, ps->id),
            "Write FILE, then CREATE and content");
        start_value(ps, V_CREATE_BODY, line, d->kw);
        return;
    }
    /* its fix is made once the path is read (create_path_fix) */
    ps->create_fix = pr ? (size_t)(pr - ps->p->problems) : SIZE_MAX;
    start_value(ps, V_CREATE_PATH, line, d->kw);
}

static void value_directive(p3 *ps, const dir3 *d, uint32_t line)
{
    static const int kind_of[] = {[K_SNIPPET] = V_SNIPPET, [K_ANCHOR] = V_ANCHOR,
                                  [K_CONTENT] = V_CONTENT, [K_TAIL] = V_TAIL};
    ap_change *c = cur_change(ps);
    ap_mod *m = cur_mod(ps);
    if (!m && c && d->key == K_CONTENT && c->n_mods == 0 && c->file_path.present) {
        new_mod(ps, AP_CREATE_FILE, d, line);
        ps->implied = true;
        ap_problem *pr = tolerate(ps, AP_IMPLICIT_CREATE, AP_OK, d->kw, ps->ch, ps->md,
                                  "content in a FILE block without an action: read as CREATE");
        fix(pr, (ap_span){d->line.start, d->line.start}, directive_text(ps, "CREATE"),
            "Add the CREATE directive");
    } else if (m && (d->key == K_SNIPPET || d->key == K_ANCHOR) && m->content.present &&
               (m->snippet.present || m->anchor.present || m->end_snippet.present) &&
               (m->action == AP_REPLACE || m->action == AP_INSERT_AFTER ||
                m->action == AP_INSERT_BEFORE)) {
        /* a locator after a finished modification (located, with its
         * content): the model forgot the action; splitting keeps the change
         * instead of overwriting one */
        ap_action a = m->action;
        finish_mod(ps, false);
        new_mod(ps, a, d, line);
        ps->implied = true;
        ap_problem *pr = tolerate(ps, AP_MISSING_ACTION, AP_INVALID_PATCH_FILE, d->kw, ps->ch, ps->md,
                                  "'%s' after a finished modification starts another %s: the action "
                                  "directive is missing",
                                  key_names[d->key], ap_action_name(a));
        fix(pr, (ap_span){d->line.start, d->line.start}, directive_text(ps, ap_action_name(a)),
            "Add the action directive");
    } else if (!m) {
        prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->kw, ps->ch, -1,
             "'%s' outside a modification: an action directive (REPLACE, INSERT_AFTER, ...) must "
             "come first",
             key_names[d->key]);
        start_value(ps, V_SKIP, line, d->kw);
        return;
    }
    no_args(ps, d);
    cover(ps, d->line.end);
    start_value(ps, kind_of[d->key], line, d->kw);
}

static void count_directive(p3 *ps, const dir3 *d, uint32_t line)
{
    ap_mod *m = cur_mod(ps);
    if (!m) {
        prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->kw, ps->ch, -1,
             "'%s' outside a modification: it belongs under an action directive", key_names[d->key]);
        return;
    }
    cover(ps, d->line.end);
    int slot = d->key == K_LEAD ? S_LEAD : d->key == K_TRAIL ? S_TRAIL : S_SCOPE;
    ap_field *f = d->key == K_LEAD ? &m->lead_f : d->key == K_TRAIL ? &m->trail_f : &m->scope_f;
    if (f->present) {
        ap_problem *pr = tolerate(ps, AP_DUPLICATE_DIRECTIVE, AP_INVALID_PATCH_FILE, f->key, ps->ch, ps->md,
                                  "'%s' is given twice in this modification; the last one is used",
                                  key_names[d->key]);
        fix(pr, ps->region[slot], ap_xstrdup(""), "Remove the first one");
    }
    set_args_field(f, d, key_names[d->key]);
    ps->region[slot] = lines_whole(ps, line, line);
    const char *t = ps->t;
    uint32_t a = d->args.start, e = d->args.end;
    unsigned long long v = 0;
    bool ok = a < e && all_digits(t, a, e);
    for (uint32_t i = a; ok && i < e; i++)
        v = v > 100000000ull ? v : v * 10 + (unsigned)(t[i] - '0');
    if (d->key == K_SCOPE && a == e) {
        v = 1; /* a flag: "scope_end" alone means 1 */
        ok = true;
    }
    if (!ok) {
        prob(ps, AP_INVALID_MODIFICATION, AP_ERROR, a < e ? d->args : d->kw, ps->ch, ps->md,
             "'%s' takes a whole number of 0 or more%s", key_names[d->key],
             a < e ? "" : ", on its line");
        return;
    }
    uint32_t n = v > 1000000 ? 1000000 : (uint32_t)v;
    if (d->key == K_LEAD)
        m->lead = n;
    else if (d->key == K_TRAIL)
        m->trail = n;
    else
        m->scope_end = n > 0;
}

/* What any directive line can get wrong: its id, its keyword's spelling. */
static void check_directive(p3 *ps, const dir3 *d)
{
    note_id(ps, d->id);
    if (d->drift) {
        ap_problem *pr = tolerate(ps, AP_ID_DRIFT, AP_INVALID_PATCH_FILE, d->id, -1, -1,
                                  "this directive's id is '%.*s', the patch's is '%s'",
                                  (int)(d->id.end - d->id.start), ps->t + d->id.start, ps->id);
        fix(pr, d->id, ap_xstrdup(ps->id), "Use the patch's id");
    }
    if (d->respelled && d->key != K_UNKNOWN && d->key != K_AP) {
        ap_problem *pr = tolerate(ps, AP_DIRECTIVE_SPELLING, AP_INVALID_PATCH_FILE, d->kw, -1, -1,
                                  "'%.*s' is spelled %s", (int)(d->kw.end - d->kw.start),
                                  ps->t + d->kw.start, key_names[d->key]);
        fix(pr, d->kw, ap_xstrdup(key_names[d->key]), "Write it so");
    }
}

static void directive(p3 *ps, const dir3 *d, uint32_t line)
{
    switch (d->key) {
    case K_FILE: file_directive(ps, d, line); break;
    case K_CREATE: create_directive(ps, d, line); break;
    case K_REPLACE:
    case K_INSERT_AFTER:
    case K_INSERT_BEFORE:
    case K_DELETE:
    case K_RECREATE:
    case K_RENAME: action_directive(ps, d, line); break;
    case K_SNIPPET:
    case K_ANCHOR:
    case K_CONTENT:
    case K_TAIL: value_directive(ps, d, line); break;
    case K_LEAD:
    case K_TRAIL:
    case K_SCOPE: count_directive(ps, d, line); break;
    case K_AP:
        prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->line, ps->ch, ps->md,
             "a second header: the header comes once, before the first directive");
        break;
    default:
        if (d->kw.end > d->kw.start)
            prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->kw, ps->ch, ps->md,
                 "unknown directive '%.*s' (FILE, REPLACE, INSERT_AFTER, INSERT_BEFORE, DELETE, CREATE, "
                 "RECREATE, RENAME, snippet, anchor, content, snippet_tail, ...)",
                 (int)(d->kw.end - d->kw.start), ps->t + d->kw.start);
        else
            prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d->line, ps->ch, ps->md,
                 "a directive needs a keyword after the id");
        start_value(ps, V_SKIP, line, d->kw);
        break;
    }
}

/* A line that is no directive, where no value is being read. */
static void loose_line(p3 *ps, uint32_t i)
{
    const line3 *l = &ps->ln[i];
    if (blank_text(ps->t, l->start, l->end))
        return;
    if (is_comment(ps->t, l)) {
        flush_stray(ps);
        if (!ps->crun)
            ps->crun_first = i;
        ps->crun = true;
        ps->crun_last = i;
        return;
    }
    flush_comments(ps);
    if (is_fence(ps->t, l)) {
        flush_stray(ps);
        ap_problem *pr = tolerate(ps, AP_MARKDOWN_FENCE, AP_INVALID_PATCH_FILE, line_span(ps, i), -1, -1,
                                  "a markdown fence between directives is ignored");
        fix(pr, lines_whole(ps, i, i), ap_xstrdup(""), "Remove the fence");
        return;
    }
    ap_mod *m = cur_mod(ps);
    if (m && !m->snippet.present && !m->content.present &&
        (m->action == AP_REPLACE || m->action == AP_DELETE || m->action == AP_INSERT_AFTER ||
         m->action == AP_INSERT_BEFORE)) {
        ap_problem *pr = tolerate(ps, AP_MISSING_SNIPPET_KEYWORD, AP_INVALID_PATCH_FILE, line_span(ps, i),
                                  ps->ch, ps->md, "text right after %s without 'snippet': read as the snippet",
                                  ap_action_name(m->action));
        fix(pr, (ap_span){l->start, l->start}, directive_text(ps, "snippet"), "Add the snippet directive");
        flush_stray(ps);
        start_value(ps, V_SNIPPET, i, line_span(ps, i));
        ps->vfirst = i;
        return;
    }
    if (!ps->urun)
        ps->urun_first = i;
    ps->urun = true;
    ps->urun_last = i;
}

/* ------------------------------------------------------------ the header */

/* Finds the header, or the first directive of a patch without one; sets the
 * id. Returns the first line of the body, or NO_LINE. */
static uint32_t read_header(p3 *ps, bool *fenced)
{
    ap_patch *p = ps->p;
    const char *t = ps->t;
    for (uint32_t i = 0; i < ps->n; i++) {
        const line3 *l = &ps->ln[i];
        if (is_fence(t, l))
            *fenced = true;
        ap_span id, ap, ver;
        if (header_at(t, l->start, l->end, &id, &ap, &ver)) {
            ps->ids[ps->nids++] = id;
            ps->id = ap_xmemdup(t + id.start, id.end - id.start);
            p->version.present = true;
            p->version.name = "AP";
            p->version.key = ap;
            p->version.span = ver;
            p->version.directive = line_span(ps, i);
            p->version.style = AP_STYLE_PLAIN;
            uint32_t vs = ver.start + (t[ver.start] == 'v' || t[ver.start] == 'V');
            set_text(&p->version, t + vs, ver.end - vs);
            note_id(ps, id);
            if (memcmp(t + ap.start, "AP", 2) != 0) {
                ap_problem *pr = tolerate(ps, AP_DIRECTIVE_SPELLING, AP_INVALID_PATCH_FILE, ap, -1, -1,
                                          "'%.2s' is spelled AP", t + ap.start);
                fix(pr, ap, ap_xstrdup("AP"), "Write AP");
            }
            const char *v = p->version.value;
            if (strcmp(v, "3.2") && strcmp(v, "3.1") && strcmp(v, "3.0")) {
                ap_problem *pr = tolerate(ps, AP_UNSUPPORTED_VERSION, AP_INVALID_PATCH_FILE, ver, -1, -1,
                                          "version %s: apls reads 3.0 to 3.2, and reads this as 3.2", v);
                fix(pr, ver, ap_xstrdup("3.2"), "Write 3.2");
            } else if (vs != ver.start) {
                ap_problem *pr = tolerate(ps, AP_DIRECTIVE_SPELLING, AP_INVALID_PATCH_FILE, ver, -1, -1,
                                          "the version is written without 'v'");
                fix(pr, ver, ap_xstrdup(v), "Write it so");
            }
            return i + 1;
        }
        if (block_directive_at(t, l->start, l->end)) {
            uint32_t ie = token_end(t, l->start, l->end);
            ps->ids[ps->nids++] = (ap_span){l->start, ie};
            ps->id = ap_xmemdup(t + l->start, ie - l->start);
            ap_problem *pr = tolerate(ps, AP_MISSING_HEADER, AP_INVALID_PATCH_FILE, line_span(ps, i), -1, -1,
                                      "no header: the patch should begin with '%s AP 3.2'", ps->id);
            fix(pr, (ap_span){l->start, l->start}, ap_xprintf("%s AP 3.2\n\n", ps->id), "Add the header");
            return i;
        }
    }
    return NO_LINE;
}

/* An id that is not 8 hex digits: the fix writes a generated one in every
 * directive, from the first to the last. */
static void check_id(p3 *ps)
{
    ap_patch *p = ps->p;
    ap_span id = ps->ids[0];
    p->id.present = true;
    p->id.name = "id";
    p->id.key = p->id.span = p->id.directive = id;
    p->id.style = AP_STYLE_PLAIN;
    set_text(&p->id, ps->id, strlen(ps->id));
    if (is_hex8(ps->id, strlen(ps->id)))
        return;
    ap_problem *pr = tolerate(ps, AP_PATCH_ID, AP_INVALID_PATCH_FILE, id, -1, -1,
                              "the patch id '%s' should be 8 random hexadecimal digits", ps->id);
    if (!pr || ps->n_id_at == 0)
        return;
    char fresh[9];
    ap_fresh_id(p->text, p->len, fresh);
    ap_buf b = AP_BUF_INIT;
    uint32_t at = ps->id_at[0].start;
    for (size_t i = 0; i < ps->n_id_at; i++) {
        ap_buf_add(&b, p->text + at, ps->id_at[i].start - at);
        ap_buf_adds(&b, fresh);
        at = ps->id_at[i].end;
    }
    fix(pr, (ap_span){ps->id_at[0].start, at}, ap_buf_detach(&b, NULL), "Use a random hexadecimal id");
}

/* With a markdown fence before the header, the last fence of the text
 * closes the patch: returns its line (or n). */
static uint32_t closing_fence(const p3 *ps, uint32_t body, bool fenced)
{
    if (!fenced)
        return ps->n;
    for (uint32_t i = ps->n; i-- > body;) {
        if (is_fence(ps->t, &ps->ln[i]))
            return i;
    }
    return ps->n;
}

/* Reads lines [i, stop) of the body: directives, their values, loose lines.
 * Returns the line where reading stopped (stop, or an END line: *ended). */
static uint32_t read_body(p3 *ps, uint32_t i, uint32_t stop, bool *ended)
{
    ap_patch *p = ps->p;
    for (; i < stop; i++) {
        dir3 d;
        if (directive_of(ps, i, &d)) {
            flush_runs(ps);
            finish_value(ps, i, false);
            check_directive(ps, &d);
            if (d.key == K_END) {
                p->end_f.present = true;
                p->end_f.name = "END";
                p->end_f.key = p->end_f.span = d.kw;
                p->end_f.directive = d.line;
                if (d.args.end > d.args.start)
                    prob(ps, AP_INVALID_PATCH_FILE, AP_ERROR, d.args, -1, -1, "END takes nothing on its line");
                *ended = true;
                return i;
            }
            directive(ps, &d, i);
            continue;
        }
        if (ps->vkind == V_NONE) {
            loose_line(ps, i);
            continue;
        }
        if (is_fence(ps->t, &ps->ln[i]))
            ps->vfences++;
    }
    return i;
}

/* What was read before line `end` (a FILE line, the tail, the end) is done. */
static void finish_body(p3 *ps, uint32_t end)
{
    finish_value(ps, end, ps->unterminated);
    finish_change(ps);
}

/* A parser over p's text, before any line is split. */
static void p3_start(p3 *ps, ap_patch *p)
{
    memset(ps, 0, sizeof *ps);
    ps->p = p;
    ps->t = p->text;
    ps->strict = p->strict;
    ps->ch = ps->md = -1;
    ps->create_fix = SIZE_MAX;
}

void ap_parse3(ap_patch *p)
{
    p3 ps;
    p3_start(&ps, p);
    ps.n = split_lines(p->text, p->len, after_bom(p->text, p->len), &ps.ln);
    bool fenced = false;
    uint32_t body = read_header(&ps, &fenced);
    if (body == NO_LINE) {
        prob(&ps, AP_INVALID_PATCH_FILE, AP_ERROR, (ap_span){0, 0}, -1, -1,
             "no header '<id> AP 3.2' and no directive found");
        free(ps.ln);
        return;
    }
    uint32_t stop = closing_fence(&ps, body, fenced);
    bool ended = false;
    uint32_t i = read_body(&ps, body, stop, &ended);
    flush_runs(&ps);
    ps.unterminated = !ended && stop == ps.n;
    if (!ended && stop < ps.n && !p->end_f.present) {
        ap_problem *pr = prob(&ps, AP_MARKDOWN_FENCE, AP_WARNING, line_span(&ps, stop), -1, -1,
                              "the markdown fence closing the answer ends the patch; END says so");
        fix(pr, (ap_span){ps.ln[stop].start, ps.ln[stop].start}, directive_text(&ps, "END"), "Add END");
    }
    finish_body(&ps, i);
    check_id(&ps);
    /* what besides a change's own bytes decides how it reads: the ids that
     * make a line a directive, and --strict (ap_run_reuse compares it) */
    uint64_t h = p->strict ? 0x5bd1e9955bd1e995ull : 0x27d4eb2f165667c5ull;
    for (size_t k = 0; k < ps.nids; k++)
        h = (h ^ ap_hash(ps.t + ps.ids[k].start, ps.ids[k].end - ps.ids[k].start)) * 0x100000001b3ull;
    p->context = h;
    p->reparsable = true;
    /* what ap_patch_reparse needs to parse a FILE block alone */
    p->body3 = body < ps.n ? ps.ln[body].start : (uint32_t)p->len;
    p->tail3 = i < ps.n ? ps.ln[i].start : (uint32_t)p->len;
    p->open3 = ps.unterminated;
    p->fenced3 = fenced;
    p->blocks3 = ps.nids == 1 && is_hex8(ps.id, strlen(ps.id)) && p->n_problems < AP_MAX_PARSE_PROBLEMS;
    free(ps.id);
    free(ps.id_at);
    free(ps.ln);
}

bool ap_parse3_region(ap_patch *p, const ap_patch *old, uint32_t from, uint32_t to, bool last)
{
    p3 ps;
    p3_start(&ps, p);
    ps.n = split_lines(p->text, to, from, &ps.ln);
    ps.ids[0] = old->id.span; /* before the region: the same bytes in p */
    ps.nids = 1;
    ps.id = old->id.value;
    bool ended = false;
    uint32_t i = read_body(&ps, 0, ps.n, &ended);
    /* an END stops reading the blocks after it; a drifted id adopted here
     * would make directives of their lines */
    bool ok = !ended && ps.nids == 1;
    if (ok) {
        flush_runs(&ps);
        ps.unterminated = last && old->open3;
        finish_body(&ps, i);
    }
    free(ps.id_at);
    free(ps.ln);
    return ok;
}

bool ap_parse3_file_line(const char *t, uint32_t s, uint32_t e, size_t id_len)
{
    if (e - s <= id_len || !is_blank_ch(t[s + id_len]))
        return false;
    uint32_t k = skip_blanks(t, s + (uint32_t)id_len, e), ke = token_end(t, k, e);
    bool respelled;
    return ke > k && lookup_key(t + k, ke - k, &respelled) == K_FILE;
}
