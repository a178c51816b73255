/* parse.c - a patch's text into the model, with a source span for every key
 * and value and every problem found (not just the first).
 *
 * Two passes. The YAML layer (yaml_tree.h) reads the text into a tree of
 * nodes the way PyYAML's safe loader (the reference's) reads it, reporting
 * what it refuses. The schema walk here then reads the tree into ap_patch
 * and reports what is missing, mistyped or unknown. A YAML syntax error
 * stops the reading, but the nodes completed before it are still walked, so
 * the modifications above a typo keep their diagnostics while the user
 * types. A node the YAML layer refused (a bad tag, say) adds no problem of
 * its own here; what holds it is not usable. */
#include "yaml_tree.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROBLEM(p, code, sev, span, ch, md, ...)                                    \
    do {                                                                            \
        if (!ap_ytoo_many(p))                                                       \
            ap_problem_add(&(p)->problems, &(p)->n_problems, code, sev, span, ch, md, \
                           __VA_ARGS__);                                            \
    } while (0)

/* ------------------------------------------------------------ the schema */

/* The kinds the schema reads: a mapping and a list as PyYAML builds them
 * (a !!set or !!omap is neither). */
static bool is_map(const ynode *n)
{
    return n && n->kind == Y_MAP && n->type == AP_Y_MAP && !n->bad;
}

static bool is_seq(const ynode *n)
{
    return n && n->kind == Y_SEQ && n->type == AP_Y_SEQ && !n->bad;
}

static const char *describe(const ynode *n)
{
    if (!n)
        return "nothing";
    if (n->bad || n->kind == Y_BAD)
        return "an invalid node";
    return ap_ytype_describe(n->type);
}

/* The byte offset where the line holding off starts / ends (before its break). */
static uint32_t line_begin(const char *t, uint32_t off)
{
    while (off > 0 && t[off - 1] != '\n' && t[off - 1] != '\r')
        off--;
    return off;
}

static uint32_t line_end(const char *t, size_t len, uint32_t off)
{
    while (off < len && t[off] != '\n' && t[off] != '\r')
        off++;
    return off;
}

static uint32_t next_line(const char *t, size_t len, uint32_t off)
{
    off = line_end(t, len, off);
    if (off < len && t[off] == '\r')
        off++;
    if (off < len && t[off] == '\n')
        off++;
    return off;
}

/* For a block scalar, finds where its content lines start in the source:
 * value line i is source line (header + 1 + i) without its indentation. */
static void map_block_lines(const char *t, size_t len, const ynode *n, ap_field *f)
{
    uint32_t hdr = n->span.start;  /* at the indicator */
    uint32_t hdr_end = line_end(t, len, hdr);
    uint32_t cut = hdr;
    while (cut < hdr_end && t[cut] != ' ' && t[cut] != '#')
        cut++;
    if (f->style != AP_STYLE_LITERAL || n->len == 0) {
        /* Folded lines do not map to source lines, and an empty block has
         * none: the span runs from the first content character to the end
         * of the last content line, or is the indicator when all is blank. */
        uint32_t stop = n->span.end < len ? n->span.end : (uint32_t)len;
        uint32_t first = UINT32_MAX, last_end = 0;
        for (uint32_t at = next_line(t, len, hdr); at < stop; at = next_line(t, len, at)) {
            uint32_t e = line_end(t, len, at), s = at;
            while (s < e && t[s] == ' ')
                s++;
            if (s >= e || s >= stop)
                continue;
            if (first == UINT32_MAX) {
                first = s;
                f->indent = s - at;
            }
            last_end = e;
        }
        f->span = first != UINT32_MAX ? (ap_span){first, last_end} : (ap_span){hdr, cut};
        return;
    }
    uint32_t at = next_line(t, len, hdr);
    struct vline {
        const char *s;
        uint32_t len;
    } *vl = NULL;
    size_t nv = 0, cap = 0;
    for (size_t i = 0; i < n->len;) {
        size_t j = i;
        while (j < n->len && n->val[j] != '\n' && n->val[j] != '\r')
            j++;
        AP_GROW(vl, nv, cap);
        vl[nv++] = (struct vline){n->val + i, (uint32_t)(j - i)};
        if (j < n->len && n->val[j] == '\r' && j + 1 < n->len && n->val[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    f->line_at = nv ? ap_xmalloc(nv * sizeof *f->line_at) : NULL;
    f->n_lines = (uint32_t)nv;
    uint32_t indent = UINT32_MAX;
    for (size_t i = 0; i < nv; i++) {
        uint32_t e = line_end(t, len, at);
        uint32_t srclen = e - at;
        if (vl[i].len > 0) {
            if (srclen < vl[i].len ||
                memcmp(t + e - vl[i].len, vl[i].s, vl[i].len) != 0 ||
                (indent != UINT32_MAX && srclen - vl[i].len != indent)) {
                /* not one value line per source line (odd breaks) */
                free(f->line_at);
                f->line_at = NULL;
                f->n_lines = 0;
                break;
            }
            if (indent == UINT32_MAX)
                indent = srclen >= vl[i].len ? srclen - vl[i].len : 0;
        }
        f->line_at[i] = at;
        at = next_line(t, len, at);
    }
    if (f->line_at) {
        if (indent == UINT32_MAX)
            indent = 0;
        f->indent = indent;
        uint32_t first = UINT32_MAX, last_end = 0;
        for (size_t i = 0; i < nv; i++) {
            uint32_t e = line_end(t, len, f->line_at[i]);
            uint32_t s = f->line_at[i] + indent;
            if (s > e)
                s = e;
            f->line_at[i] = s;
            if (vl[i].len > 0) {
                if (first == UINT32_MAX)
                    first = s;
                last_end = e;
            }
        }
        if (first != UINT32_MAX)
            f->span = (ap_span){first, last_end};
        else
            f->span = (ap_span){hdr, cut};
    } else {
        f->span = (ap_span){hdr, n->span.end};
    }
    free(vl);
}

static void fill_field(builder *b, ap_field *f, const char *name, const ynode *key, const ynode *val)
{
    f->present = true;
    f->name = name;
    f->key = key->span;
    f->directive = key->span;
    f->span = val ? val->span : key->span;
    if (val && val->bad)
        f->refused = true;
    if (!val || val->kind != Y_SCALAR || val->bad)
        return;
    f->style = val->style;
    f->is_null = val->type == AP_Y_NULL;
    if (val->type == AP_Y_STR) {
        f->is_string = true;
        f->value = ap_xmemdup(val->val, val->len);
        f->len = val->len;
        if (f->style == AP_STYLE_LITERAL || f->style == AP_STYLE_FOLDED)
            map_block_lines(b->text, b->len, val, f);
    }
}

static ap_span head_of(builder *b, const ynode *n)
{
    uint32_t s = n->span.start;
    return (ap_span){s, line_end(b->text, b->len, s)};
}

static uint32_t column_of(builder *b, uint32_t off)
{
    return off - line_begin(b->text, off);
}

/* A key the schema knows: text (PyYAML's "yes" is a boolean, not a name). */
static bool key_is(const ynode *k, const char *name)
{
    return k->kind == Y_SCALAR && k->type == AP_Y_STR && !k->bad && k->len == strlen(name) &&
           memcmp(k->val, name, k->len) == 0;
}

/* Reports keys that are not scalars or repeat; returns false for a key not
 * to read (a later one of the same name wins, as in PyYAML). */
static bool key_ok(builder *b, const ynode *map, size_t i, ap_code code, int ch, int md)
{
    const ynode *k = map->kids[i];
    if (k->bad)
        return false;
    if (k->kind != Y_SCALAR) {
        PROBLEM(b->p, code, AP_ERROR, k->span, ch, md, "a key must be a plain name, not %s",
                describe(k));
        return false;
    }
    if (k->dup)
        PROBLEM(b->p, AP_INVALID_PATCH_FILE, AP_ERROR, k->span, ch, md,
                "duplicate key '%s' (the last one counts, as for the reference)", k->val);
    return !k->shadowed;
}

/* Marks the text keys of map that an earlier one of the same name had
 * (dup: a problem, unless one of them came from a merge key) and that a
 * later one has (shadowed: not read). A hash set: a mapping of 200,000
 * keys costs 200,000 steps, not their square. */
static void mark_duplicates(const ynode *map)
{
    size_t nkeys = (map->n + 1) / 2, cap = 16;
    while (cap < nkeys * 2)
        cap *= 2;
    size_t *set = ap_xcalloc(cap, sizeof *set); /* index + 1 of the last key seen */
    for (size_t i = 0; i < map->n; i += 2) {
        ynode *k = map->kids[i];
        if (k->kind != Y_SCALAR || k->type != AP_Y_STR || k->bad)
            continue;
        size_t j = ap_hash(k->val, k->len) & (cap - 1);
        for (; set[j]; j = (j + 1) & (cap - 1)) {
            ynode *o = map->kids[set[j] - 1];
            if (o->len == k->len && memcmp(o->val, k->val, k->len) == 0)
                break;
        }
        if (set[j]) {
            map->kids[set[j] - 1]->shadowed = true;
            k->dup = set[j] - 1 >= map->nmerged && i >= map->nmerged;
        }
        set[j] = i + 1;
    }
    free(set);
}

static void unknown_key(builder *b, const ynode *k, int ch, int md, const char *where)
{
    PROBLEM(b->p, AP_UNKNOWN_KEY, AP_WARNING, k->span, ch, md,
            "unknown key '%s' in %s is ignored", k->val, where);
}

/* A slip a model makes (a key misspelled, an action in lower case, the
 * version as a number): read as meant, with a warning and a preferred fix
 * that writes it as the format spells it; with --strict an error of the code
 * the format gives it (docs/format-2.0.md, "Slips"). NULL past the limit. */
static ap_problem *slip(builder *b, ap_code code, ap_code strict_code, ap_span at, int ch, int md,
                       const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static ap_problem *slip(builder *b, ap_code code, ap_code strict_code, ap_span at, int ch, int md,
                        const char *fmt, ...)
{
    if (ap_ytoo_many(b->p))
        return NULL;
    bool refuse = b->p->strict;
    va_list ap;
    va_start(ap, fmt);
    ap_problem *pr = ap_problem_addv(&b->p->problems, &b->p->n_problems, refuse ? strict_code : code,
                                     refuse ? AP_ERROR : AP_WARNING, at, ch, md, fmt, ap);
    va_end(ap);
    if (refuse) {
        char *m = ap_xprintf("%s (refused with --strict: %s)", pr->message, ap_code_name(code));
        free(pr->message);
        pr->message = m;
    }
    return pr;
}

/* Edits between a and b (lower case; a swap of two neighbours counts one),
 * or more than cap. Keys are short: a small table. */
static size_t key_distance(const char *a, size_t na, const char *b, size_t nb, size_t cap)
{
    if (na > 40 || nb > 40 || (na > nb ? na - nb : nb - na) > cap)
        return cap + 1;
    size_t d[41][41];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            char x = (char)tolower((unsigned char)a[i - 1]), y = (char)tolower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j - 1] + (x != y);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == y && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

/* The known key an unknown one most likely means: the one other name a
 * model uses for it (aliases: "path" for "file_path"), or the one known key
 * within one edit (two for keys of 8 letters or more), case aside; -1 when
 * none or two are as near. */
static int meant_key(const ynode *k, const char *const *names, size_t n, const char *const *aliases)
{
    if (k->kind != Y_SCALAR || k->type != AP_Y_STR || k->bad)
        return -1;
    for (size_t i = 0; aliases && aliases[i]; i += 2)
        if (strlen(aliases[i]) == k->len && strncasecmp(aliases[i], k->val, k->len) == 0)
            for (size_t j = 0; j < n; j++)
                if (!strcmp(names[j], aliases[i + 1]))
                    return (int)j;
    int best = -1;
    size_t best_d = SIZE_MAX, ties = 0;
    for (size_t j = 0; j < n; j++) {
        size_t len = strlen(names[j]), cap = len >= 8 ? 2 : 1;
        size_t d = key_distance(k->val, k->len, names[j], len, cap);
        if (d > cap)
            continue;
        if (d < best_d)
            best = (int)j, best_d = d, ties = 0;
        else if (d == best_d)
            ties++;
    }
    return ties ? -1 : best;
}

/* An unknown key of a mapping: a slip read as the key it means (when that
 * key is not given too: *slot is then filled), or ignored with a warning
 * that names the key it may mean. */
static void unknown_or_meant(builder *b, const ynode *k, const ynode *v, const char *const *names,
                             ap_field *const *slots, size_t n, const char *const *aliases, int ch,
                             int md, const char *where, const ynode **meant_val)
{
    int j = meant_key(k, names, n, aliases);
    if (j < 0) {
        unknown_key(b, k, ch, md, where);
        return;
    }
    if (slots[j]->present) {
        if (!ap_ytoo_many(b->p))
            PROBLEM(b->p, AP_UNKNOWN_KEY, AP_WARNING, k->span, ch, md,
                    "unknown key '%s' in %s is ignored ('%s' is given too)", k->val, where, names[j]);
        return;
    }
    ap_problem *pr = slip(b, AP_KEY_SPELLING, AP_UNKNOWN_KEY, k->span, ch, md,
                          "'%s' is read as '%s'", k->val, names[j]);
    if (pr)
        ap_problem_fix(pr, k->span, ap_xstrdup(names[j]), "Rename '%s' to '%s'", k->val,
                       names[j])->preferred = true;
    if (b->p->strict)
        return; /* ignored, as an unknown key */
    fill_field(b, slots[j], names[j], k, v);
    if (meant_val)
        meant_val[j] = v;
}

static const char *const action_names[AP_ACTION_COUNT] = {
    "", "REPLACE", "INSERT_AFTER", "INSERT_BEFORE", "DELETE", "CREATE_FILE",
    "CREATE", "RECREATE", "RENAME", "DELETE"};

const char *ap_action_name(ap_action a)
{
    return (unsigned)a < AP_ACTION_COUNT ? action_names[a] : "";
}

const char *ap_action_keyword(ap_format f, ap_action a)
{
    return f == AP_FORMAT_3_2 && a == AP_CREATE_FILE ? "CREATE" : ap_action_name(a);
}

bool ap_action_on_path(ap_action a)
{
    return a == AP_RENAME || a == AP_DELETE_PATH || a == AP_CREATE_DIR;
}

const char *ap_format_name(ap_format f)
{
    return f == AP_FORMAT_3_2 ? "3.2" : "2.0";
}

void ap_mod_fields(ap_mod *m, ap_field *out[AP_MOD_FIELDS])
{
    ap_field *all[AP_MOD_FIELDS] = {&m->action_f, &m->snippet, &m->start_snippet, &m->end_snippet,
                                    &m->anchor,   &m->content, &m->lead_f,        &m->trail_f,
                                    &m->scope_f,  &m->dest,    NULL};
    memcpy(out, all, sizeof all);
}

/* The action a value spelled otherwise means: case aside, '-' or ' ' for
 * '_' ("replace", "Insert-After"); none when it is no action's name. */
static ap_action action_meant(const char *v)
{
    char up[32];
    size_t n = strlen(v);
    if (n == 0 || n >= sizeof up)
        return AP_ACTION_NONE;
    for (size_t i = 0; i <= n; i++)
        up[i] = v[i] == '-' || v[i] == ' ' ? '_' : (char)toupper((unsigned char)v[i]);
    for (int a = AP_REPLACE; a <= AP_CREATE_FILE; a++)
        if (strcmp(up, action_names[a]) == 0)
            return (ap_action)a;
    return AP_ACTION_NONE;
}

static bool code_field_ok(builder *b, ap_field *f, const char *name, int ch, int md, bool allow_empty)
{
    if (!f->present)
        return true;
    if (f->refused)
        return false;
    if (!f->is_string) {
        /* null content is an empty one; anything else is a type error */
        if (allow_empty && f->is_null) {
            f->is_string = true;
            f->value = ap_xstrdup("");
            f->len = 0;
            return true;
        }
        if (f->is_null)
            PROBLEM(b->p, AP_INVALID_MODIFICATION, AP_ERROR,
                    f->span.end > f->span.start ? f->span : f->key, ch, md,
                    "'%s' is empty: it needs the text to look for (a literal block, '%s: |')", name,
                    name);
        else
            PROBLEM(b->p, AP_INVALID_MODIFICATION, AP_ERROR, f->span, ch, md,
                    "'%s' must be text (a literal block, '%s: |'), not a number, list or mapping",
                    name, name);
        return false;
    }
    if (!allow_empty) {
        size_t off, n;
        ap_strip(f->value, f->len, &off, &n);
        if (n == 0) {
            PROBLEM(b->p, AP_INVALID_MODIFICATION, AP_ERROR, f->span, ch, md,
                    "'%s' has no text to look for (it is empty or only white space)", name);
            return false;
        }
    }
    if (f->style != AP_STYLE_LITERAL && f->len > 0 && !ap_ytoo_many(b->p)) {
        ap_problem *pr = ap_problem_add(&b->p->problems, &b->p->n_problems, AP_SCALAR_STYLE, AP_WARNING, f->span, ch, md,
                "'%s' is a %s scalar; code is safest in a literal block ('%s: |')", name,
                f->style == AP_STYLE_FOLDED          ? "folded"
                : f->style == AP_STYLE_SINGLE_QUOTED ? "single-quoted"
                : f->style == AP_STYLE_DOUBLE_QUOTED ? "double-quoted"
                                                     : "plain",
                name);
        ap_fix_literal(pr, b->p, f, name);
    }
    return true;
}

static bool count_field(builder *b, ap_field *f, const ynode *val, uint32_t *out, const char *name,
                        int ch, int md)
{
    if (!f->present)
        return true;
    if (f->refused)
        return false;
    int64_t v = -1;
    bool integer = val && val->kind == Y_SCALAR && val->type == AP_Y_INT && ap_yint(val->val, val->len, &v);
    if (integer && v >= 0) {
        *out = v > 1000000 ? 1000000 : (uint32_t)v;
        return true;
    }
    PROBLEM(b->p, AP_INVALID_MODIFICATION, AP_ERROR, f->span, ch, md,
            "'%s' must be a whole number of 0 or more, not %s", name,
            integer ? "a negative one" : describe(val));
    return false;
}

static void read_mod(builder *b, const ynode *n, ap_mod *m, int ch, int md)
{
    if (is_map(n))
        mark_duplicates(n);
    ap_patch *p = b->p;
    size_t before = p->n_problems;
    m->span = n->span;
    if (!is_map(n)) {
        m->head = n->span;
        if (!n->bad)
            PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, n->span, ch, md,
                    "a modification must be a mapping with 'action' and its keys, not %s",
                    describe(n));
        return;
    }
    m->head = head_of(b, n);
    /* the column of its own keys (merged ones stand elsewhere) */
    m->key_col = n->n > n->nmerged ? column_of(b, n->kids[n->nmerged]->span.start)
                                   : column_of(b, n->span.start);
    /* a refused key or value: the mapping is not whole, and is not used */
    bool whole = n->complete && !n->has_bad;
    static const char *const names[] = {"action", "snippet", "start_snippet", "end_snippet",
                                        "anchor", "content", "include_leading_blank_lines",
                                        "include_trailing_blank_lines"};
    enum { NKEYS = sizeof names / sizeof *names };
    ap_field *const slots[NKEYS] = {&m->action_f, &m->snippet, &m->start_snippet, &m->end_snippet,
                                    &m->anchor,   &m->content, &m->lead_f,        &m->trail_f};
    const ynode *vals[NKEYS] = {0};
    for (size_t i = 0; i < n->n; i += 2) {
        const ynode *k = n->kids[i], *v = i + 1 < n->n ? n->kids[i + 1] : NULL;
        if (!key_ok(b, n, i, AP_INVALID_MODIFICATION, ch, md))
            continue;
        for (size_t j = 0; j < NKEYS; j++)
            if (key_is(k, names[j])) {
                fill_field(b, slots[j], names[j], k, v);
                vals[j] = v;
            }
    }
    /* the keys it does not know, once the ones it knows are in */
    for (size_t i = 0; i < n->n; i += 2) {
        const ynode *k = n->kids[i], *v = i + 1 < n->n ? n->kids[i + 1] : NULL;
        bool known = false;
        for (size_t j = 0; j < NKEYS && !known; j++)
            known = key_is(k, names[j]);
        if (!known && !k->bad && k->kind == Y_SCALAR && !k->shadowed)
            unknown_or_meant(b, k, v, names, slots, NKEYS, NULL, ch, md, "a modification", vals);
    }
    const ynode *lead = vals[6], *trail = vals[7];

    if (!m->action_f.present) {
        if (whole)
            PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->head, ch, md,
                    "the modification has no 'action' (REPLACE, INSERT_AFTER, INSERT_BEFORE, "
                    "DELETE or CREATE_FILE)");
    } else if (m->action_f.refused) {
        /* reported by the YAML layer */
    } else if (!m->action_f.is_string) {
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.span, ch, md,
                "'action' must be one of REPLACE, INSERT_AFTER, INSERT_BEFORE, DELETE, CREATE_FILE");
    } else {
        for (int a = AP_REPLACE; a <= AP_CREATE_FILE; a++)
            if (strcmp(m->action_f.value, action_names[a]) == 0)
                m->action = (ap_action)a;
        ap_action meant = m->action == AP_ACTION_NONE ? action_meant(m->action_f.value) : AP_ACTION_NONE;
        if (meant != AP_ACTION_NONE) {
            ap_problem *pr = slip(b, AP_ACTION_SPELLING, AP_INVALID_MODIFICATION, m->action_f.span, ch, md,
                                  "action '%s' is read as %s", m->action_f.value, action_names[meant]);
            if (pr)
                ap_problem_fix(pr, m->action_f.span, ap_xstrdup(action_names[meant]), "Write %s",
                               action_names[meant])->preferred = true;
            if (!p->strict)
                m->action = meant;
        } else if (m->action == AP_ACTION_NONE)
            PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.span, ch, md,
                    "unknown action '%s' (REPLACE, INSERT_AFTER, INSERT_BEFORE, DELETE or "
                    "CREATE_FILE)",
                    m->action_f.value);
    }

    code_field_ok(b, &m->snippet, "snippet", ch, md, false);
    code_field_ok(b, &m->start_snippet, "start_snippet", ch, md, false);
    code_field_ok(b, &m->end_snippet, "end_snippet", ch, md, false);
    code_field_ok(b, &m->anchor, "anchor", ch, md, false);
    code_field_ok(b, &m->content, "content", ch, md, true);
    count_field(b, &m->lead_f, lead, &m->lead, "include_leading_blank_lines", ch, md);
    count_field(b, &m->trail_f, trail, &m->trail, "include_trailing_blank_lines", ch, md);

    bool range = m->start_snippet.present || m->end_snippet.present;
    ap_action a = m->action;
    if (m->snippet.present && range)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->snippet.key, ch, md,
                "'snippet' cannot be used with 'start_snippet'/'end_snippet': use one or the other");
    else if (m->start_snippet.present != m->end_snippet.present)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR,
                m->start_snippet.present ? m->start_snippet.key : m->end_snippet.key, ch, md,
                "a range needs both 'start_snippet' and 'end_snippet'");
    if (range && a != AP_ACTION_NONE && a != AP_REPLACE && a != AP_DELETE)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR,
                m->start_snippet.present ? m->start_snippet.key : m->end_snippet.key, ch, md,
                "a range (start_snippet/end_snippet) works only with REPLACE and DELETE, not %s",
                action_names[a]);
    if (a == AP_DELETE && m->content.present)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->content.key, ch, md,
                "DELETE takes no 'content'");
    if (a != AP_DELETE && a != AP_ACTION_NONE && !m->content.present && whole)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->head, ch, md, "%s needs 'content'",
                action_names[a]);
    if (a != AP_CREATE_FILE && a != AP_ACTION_NONE && !m->snippet.present && !range && whole)
        PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->head, ch, md,
                "%s needs a 'snippet' (or 'start_snippet' and 'end_snippet') to find its place",
                action_names[a]);
    if (a == AP_CREATE_FILE) {
        const ap_field *extra[] = {&m->snippet, &m->start_snippet, &m->end_snippet, &m->anchor,
                                   &m->lead_f, &m->trail_f};
        for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
            if (extra[i]->present)
                PROBLEM(p, AP_UNKNOWN_KEY, AP_WARNING, extra[i]->key, ch, md,
                        "CREATE_FILE writes the whole file; this key is ignored");
        if (md > 0)
            PROBLEM(p, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.span, ch, md,
                    "CREATE_FILE must be the first modification of its change");
    }

    bool errors = false;
    for (size_t i = before; i < p->n_problems; i++)
        errors |= p->problems[i].severity == AP_ERROR;
    m->ok = !errors && whole && a != AP_ACTION_NONE;
}

static void read_change(builder *b, const ynode *n, ap_change *c, int ch)
{
    if (is_map(n))
        mark_duplicates(n);
    ap_patch *p = b->p;
    c->span = n->span;
    if (!is_map(n)) {
        c->head = n->span;
        if (!n->bad)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, n->span, ch, -1,
                    "a change must be a mapping with 'file_path' and 'modifications', not %s",
                    describe(n));
        return;
    }
    c->head = head_of(b, n);
    const ynode *mods = NULL;
    bool whole = n->complete && !n->has_bad;
    bool ok = whole || n->complete;
    static const char *const names[] = {"file_path", "newline", "modifications"};
    static const char *const aliases[] = {"path", "file_path", "file", "file_path", "filename", "file_path",
                                          "mods", "modifications", NULL};
    ap_field *const slots[] = {&c->file_path, &c->newline, &c->mods_f};
    const ynode *vals[3] = {0};
    for (size_t i = 0; i < n->n; i += 2) {
        const ynode *k = n->kids[i], *v = i + 1 < n->n ? n->kids[i + 1] : NULL;
        if (!key_ok(b, n, i, AP_INVALID_PATCH_FILE, ch, -1)) {
            ok = false;
            continue;
        }
        for (size_t j = 0; j < 3; j++)
            if (key_is(k, names[j]))
                fill_field(b, slots[j], names[j], k, v), vals[j] = v;
    }
    for (size_t i = 0; i < n->n; i += 2) {
        const ynode *k = n->kids[i], *v = i + 1 < n->n ? n->kids[i + 1] : NULL;
        bool known = key_is(k, names[0]) || key_is(k, names[1]) || key_is(k, names[2]);
        if (!known && !k->bad && k->kind == Y_SCALAR && !k->shadowed)
            unknown_or_meant(b, k, v, names, slots, 3, aliases, ch, -1, "a change", vals);
    }
    mods = vals[2];
    if (!c->file_path.present) {
        if (whole)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, c->head, ch, -1,
                    "the change has no 'file_path'");
        ok = false;
    } else if (c->file_path.refused) {
        ok = false;
    } else if (!c->file_path.is_string || c->file_path.len == 0) {
        PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, c->file_path.span, ch, -1,
                "'file_path' must be a relative path, not %s",
                c->file_path.is_string ? "empty text" : "a number, list or mapping");
        ok = false;
    }
    if (c->newline.refused) {
        ok = false;
    } else if (c->newline.present) {
        const char *v = c->newline.is_string ? c->newline.value : "";
        if (!strcmp(v, "LF"))
            c->eol = AP_EOL_LF;
        else if (!strcmp(v, "CRLF"))
            c->eol = AP_EOL_CRLF;
        else if (!strcmp(v, "CR"))
            c->eol = AP_EOL_CR;
        else {
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, c->newline.span, ch, -1,
                    "'newline' must be LF, CRLF or CR");
            ok = false;
        }
    }
    if (!c->mods_f.present) {
        if (whole)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, c->head, ch, -1,
                    "the change has no 'modifications' list");
        ok = false;
    } else if ((!mods && !n->complete) || c->mods_f.refused) {
        ok = false; /* cut off by a YAML error, or refused: that problem says it all */
    } else if (!is_seq(mods)) {
        PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, c->mods_f.span, ch, -1,
                "'modifications' must be a list, not %s", describe(mods));
        ok = false;
    } else {
        c->n_mods = mods->n;
        c->mods = ap_xcalloc(mods->n, sizeof *c->mods);
        for (size_t i = 0; i < mods->n; i++)
            read_mod(b, mods->kids[i], &c->mods[i], ch, (int)i);
    }
    c->ok = ok && !n->has_bad;
}

static void read_root(builder *b, const ynode *root)
{
    ap_patch *p = b->p;
    if (!root) {
        if (!b->yaml_error)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, ((ap_span){0, 0}), -1, -1,
                    "the patch is empty: it needs 'version: \"2.0\"' and 'changes'");
        return;
    }
    if (!is_map(root)) {
        if (!root->bad)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, root->span, -1, -1,
                    "the patch must be a mapping with 'version' and 'changes', not %s",
                    describe(root));
        return;
    }
    bool whole = root->complete && !root->has_bad;
    const ynode *changes = NULL, *version = NULL;
    mark_duplicates(root);
    static const char *const names[] = {"version", "changes"};
    ap_field *const slots[] = {&p->version, &p->changes_f};
    const ynode *vals[2] = {0};
    for (size_t i = 0; i < root->n; i += 2) {
        const ynode *k = root->kids[i], *v = i + 1 < root->n ? root->kids[i + 1] : NULL;
        if (!key_ok(b, root, i, AP_INVALID_PATCH_FILE, -1, -1))
            continue;
        for (size_t j = 0; j < 2; j++)
            if (key_is(k, names[j]))
                fill_field(b, slots[j], names[j], k, v), vals[j] = v;
    }
    for (size_t i = 0; i < root->n; i += 2) {
        const ynode *k = root->kids[i], *v = i + 1 < root->n ? root->kids[i + 1] : NULL;
        if (!key_is(k, names[0]) && !key_is(k, names[1]) && !k->bad && k->kind == Y_SCALAR && !k->shadowed)
            unknown_or_meant(b, k, v, names, slots, 2, NULL, -1, -1, "the patch", vals);
    }
    version = vals[0];
    changes = vals[1];
    ap_span top = head_of(b, root);
    if (!p->version.present) {
        if (whole)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, top, -1, -1,
                    "the patch has no 'version' (write version: \"2.0\")");
    } else if (p->version.refused) {
        /* reported by the YAML layer */
    } else if (!p->version.is_string || strcmp(p->version.value, "2.0") != 0) {
        if (version && version->kind == Y_SCALAR && version->type == AP_Y_FLOAT &&
            strcmp(version->val, "2.0") == 0) {
            /* the number 2.0: what the model meant, but not the string */
            ap_problem *pr = slip(b, AP_VERSION_NUMBER, AP_INVALID_PATCH_FILE, p->version.span, -1, -1,
                                  "'version' is the number 2.0, read as the string \"2.0\": quote it");
            if (pr)
                ap_problem_fix(pr, p->version.span, ap_xstrdup("\"2.0\""), "Quote the version")->preferred =
                    true;
        } else
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, p->version.span, -1, -1,
                    "unsupported version '%s': apls reads version \"2.0\"",
                    version && version->kind == Y_SCALAR ? version->val : describe(version));
    }
    if (!p->changes_f.present) {
        if (whole)
            PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, top, -1, -1,
                    "the patch has no 'changes' list");
    } else if ((!changes && !root->complete) || p->changes_f.refused) {
        /* cut off by a YAML error, or refused: that problem says it all */
    } else if (!is_seq(changes)) {
        PROBLEM(p, AP_INVALID_PATCH_FILE, AP_ERROR, p->changes_f.span, -1, -1,
                "'changes' must be a list, not %s", describe(changes));
    } else {
        p->n_changes = changes->n;
        p->changes = ap_xcalloc(changes->n, sizeof *p->changes);
        for (size_t i = 0; i < changes->n; i++)
            read_change(b, changes->kids[i], &p->changes[i], (int)i);
    }
}

ap_patch *ap_patch_parse(const char *text, size_t len)
{
    return ap_patch_parse_opts(text, len, 0);
}

/* Is text[a, e) a markdown fence line: ``` and an optional language name
 * (open) or nothing (close), blanks after? */
static bool fence_line(const char *t, uint32_t a, uint32_t e, bool open)
{
    if (e - a < 3 || memcmp(t + a, "```", 3) != 0)
        return false;
    uint32_t i = a + 3;
    while (open && i < e && (isalnum((unsigned char)t[i]) || t[i] == '-' || t[i] == '_' || t[i] == '+'))
        i++;
    while (i < e && (t[i] == ' ' || t[i] == '\t'))
        i++;
    return i == e;
}

/* A patch a model wrapped in a markdown fence (```yaml ... ```): its first
 * non-blank line opens one, its last non-blank line (if any) closes it. The
 * fence lines are read as comments (a stand-in of the same length, so every
 * span still points at the text), with a warning and a preferred fix that
 * removes them. No block scalar can hold a line at column 0 here, so the
 * closing line is never a value's. False when there is no fence. */
static bool unfence(ap_patch *p, char **feed)
{
    const char *t = p->text;
    uint32_t len = (uint32_t)p->len, a = 0;
    if (len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
        a = 3;
    while (a < len && (t[a] == '\n' || t[a] == '\r' || t[a] == ' ' || t[a] == '\t'))
        a++;
    a = line_begin(t, a);
    if (a == 0 && len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
        a = 3; /* the byte order mark is no part of the line */
    if (a < len && t[a] == ' ')
        return false;
    uint32_t ae = line_end(t, len, a);
    if (a >= len || !fence_line(t, a, ae, true))
        return false;
    /* the last non-blank line */
    uint32_t z = len;
    while (z > ae && (t[z - 1] == '\n' || t[z - 1] == '\r' || t[z - 1] == ' ' || t[z - 1] == '\t'))
        z--;
    uint32_t zb = line_begin(t, z), ze = line_end(t, len, zb);
    bool closed = z > ae && fence_line(t, zb, ze, false);
    char *f = ap_xmemdup(t, len);
    memset(f + a, ' ', ae - a);
    f[a] = '#';
    if (closed) {
        memset(f + zb, ' ', ze - zb);
        f[zb] = '#';
    }
    *feed = f;
    ap_problem *pr = slip(&(builder){.p = p}, AP_MARKDOWN_FENCE, AP_INVALID_PATCH_FILE, (ap_span){a, ae}, -1, -1,
                          closed ? "the patch is wrapped in a markdown fence (``` lines): they are ignored"
                                 : "the patch starts with a markdown fence (```): it is ignored");
    if (pr) {
        /* one edit from the opening line to past the closing one: the text
         * between them as it is */
        uint32_t from = a, to = closed ? next_line(t, len, zb) : next_line(t, len, a);
        uint32_t in_a = next_line(t, len, a), in_z = closed ? zb : to;
        if (!closed)
            in_a = in_z = to;
        char *keep = closed ? ap_xmemdup(t + in_a, in_z - in_a) : ap_xstrdup("");
        if (closed) {
            ap_problem_fix(pr, (ap_span){from, to}, keep, "Remove the markdown fence lines")->preferred = true;
        } else {
            free(keep);
            ap_problem_fix(pr, (ap_span){from, to}, ap_xstrdup(""), "Remove the markdown fence line")->preferred =
                true;
        }
    }
    return true;
}

static void parse_yaml(ap_patch *p)
{
    builder b = {0};
    char *feed = NULL;
    bool fenced = unfence(p, &feed);
    if (fenced && p->strict) {
        /* refused: the fence is the error, not what libyaml makes of it */
        free(feed);
        return;
    }
    b.text = fenced ? feed : p->text;
    b.len = p->len;
    b.p = p;
    ynode *root = ap_ybuild(&b);
    p->reparsable = !b.unclean && !fenced;
    p->yaml_error = b.yaml_error;
    read_root(&b, root);
    ap_ybuilder_release(&b);
    free(feed);
}

ap_patch *ap_patch_parse_opts(const char *text, size_t len, unsigned flags)
{
    ap_patch *p = ap_xcalloc(1, sizeof *p);
    p->strict = (flags & AP_PARSE_STRICT) != 0;
    if (len > AP_MAX_PATCH_BYTES) {
        p->text = ap_xmemdup("", 0);
        ap_problem_add(&p->problems, &p->n_problems, AP_INVALID_PATCH_FILE, AP_ERROR,
                       (ap_span){0, 0}, -1, -1,
                       "the patch is %zu bytes; apls reads patches of up to %u MiB", len,
                       AP_MAX_PATCH_BYTES >> 20);
        p->has_errors = true;
        return p;
    }
    p->text = ap_xmemdup(text, len);
    p->len = len;
    p->format = ap_format_detect(text, len);
    if (p->format == AP_FORMAT_3_2)
        ap_parse3(p); /* parsed whole each time; reusable by context */
    else
        parse_yaml(p);
    if (ap_ytoo_many(p))
        ap_problem_add(&p->problems, &p->n_problems, AP_INVALID_PATCH_FILE, AP_ERROR,
                       (ap_span){0, 0}, -1, -1, "too many problems; stopped after %d",
                       AP_MAX_PROBLEMS);
    ap_problems_sort(p->problems, p->n_problems);
    for (size_t i = 0; i < p->n_problems; i++)
        p->has_errors |= p->problems[i].severity == AP_ERROR;
    return p;
}

static void field_free(ap_field *f)
{
    free(f->value);
    free(f->line_at);
}

static void mod_fields_free(ap_mod *m)
{
    ap_field *fs[AP_MOD_FIELDS];
    ap_mod_fields(m, fs);
    for (size_t i = 0; fs[i]; i++)
        field_free(fs[i]);
}

void ap_patch_free(ap_patch *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_changes; i++)
        ap_change_fields_free(&p->changes[i]);
    free(p->changes);
    field_free(&p->version);
    field_free(&p->changes_f);
    field_free(&p->id);
    field_free(&p->end_f);
    ap_problems_free(p->problems, p->n_problems);
    free(p->text);
    free(p);
}

void ap_linecol(const char *text, size_t len, uint32_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 0, c = 0;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || (ch == '\r' && !(i + 1 < len && text[i + 1] == '\n'))) {
            l++;
            c = 0;
        } else if (ch == '\r') {
            /* the \r of a CRLF: the \n counts the line */
        } else if ((ch & 0xc0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* ------------------------------------------------------ parsing again */

/* Offsets at or after `at` move by d; the others stay. */
typedef struct shifter {
    uint32_t at;
    int64_t d;
} shifter;

static uint32_t mv(const shifter *s, uint32_t off)
{
    return off >= s->at ? (uint32_t)((int64_t)off + s->d) : off;
}

static void mv_span(const shifter *s, ap_span *sp)
{
    sp->start = mv(s, sp->start);
    sp->end = mv(s, sp->end);
}

static void mv_field(const shifter *s, ap_field *f)
{
    if (!f->present)
        return;
    mv_span(s, &f->key);
    mv_span(s, &f->span);
    mv_span(s, &f->directive);
    for (uint32_t i = 0; i < f->n_lines; i++)
        f->line_at[i] = mv(s, f->line_at[i]);
}

static void mv_mod(const shifter *s, ap_mod *m)
{
    mv_span(s, &m->span);
    mv_span(s, &m->head);
    ap_field *fs[AP_MOD_FIELDS];
    ap_mod_fields(m, fs);
    for (size_t i = 0; fs[i]; i++)
        mv_field(s, fs[i]);
}

static void mv_change(const shifter *s, ap_change *c)
{
    mv_span(s, &c->span);
    mv_span(s, &c->head);
    mv_field(s, &c->file_path);
    mv_field(s, &c->newline);
    mv_field(s, &c->mods_f);
    for (size_t i = 0; i < c->n_mods; i++)
        mv_mod(s, &c->mods[i]);
}

static void mv_problem(const shifter *s, ap_problem *p)
{
    mv_span(s, &p->span);
    for (size_t i = 0; i < p->n_related; i++)
        if (p->related[i].file < 0)
            mv_span(s, &p->related[i].span);
    for (size_t i = 0; i < p->n_fixes; i++)
        mv_span(s, &p->fixes[i].span);
}

void ap_field_shift(ap_field *f, uint32_t at, int64_t d)
{
    shifter s = {at, d};
    mv_field(&s, f);
}

void ap_change_hollow(ap_change *c)
{
    c->mods = NULL;
    c->n_mods = 0;
    memset(&c->file_path, 0, sizeof c->file_path);
    memset(&c->newline, 0, sizeof c->newline);
    memset(&c->mods_f, 0, sizeof c->mods_f);
}

void ap_change_shift(ap_change *c, uint32_t at, int64_t d)
{
    shifter s = {at, d};
    mv_change(&s, c);
}

void ap_problem_shift(ap_problem *p, uint32_t at, int64_t d)
{
    shifter s = {at, d};
    mv_problem(&s, p);
}


/* The one item of the one-item sequence that is the value of map's only
 * key, or NULL. */
static ynode *only_item(ynode *map)
{
    if (!map || map->kind != Y_MAP || !map->complete || map->n != 2)
        return NULL;
    ynode *seq = map->kids[1];
    if (seq->kind != Y_SEQ || !seq->complete || seq->n != 1)
        return NULL;
    return seq->kids[0];
}

/* A piece of the patch parsed on its own, in a small document: doc holds
 * the wrapper's lines, then the piece. */
typedef struct alone {
    ap_buf doc;
    builder b;
    ap_patch *sink;
} alone;

/* Appends t[0, n) (found at start in the patch) to a->doc and parses the
 * document, its problems going to sink; *shift takes an offset in the
 * document to one in the patch. */
static ynode *parse_alone(alone *a, ap_patch *sink, const char *t, size_t n, size_t start, int64_t *shift)
{
    size_t prefix = a->doc.len;
    ap_buf_add(&a->doc, t, n);
    *shift = (int64_t)start - (int64_t)prefix;
    memset(&a->b, 0, sizeof a->b);
    a->b.text = a->doc.s;
    a->b.len = a->doc.len;
    a->b.p = sink;
    a->sink = sink;
    sink->text = a->doc.s; /* borrowed while the fixes read it */
    sink->len = a->doc.len;
    return ap_ybuild(&a->b);
}

static void alone_release(alone *a)
{
    ap_ybuilder_release(&a->b);
    ap_buf_release(&a->doc);
    a->sink->text = NULL;
    a->sink->len = 0;
}

/* Parses text[start, end) (whole lines: one item of a block sequence) on
 * its own into *c (ch) or *m (ch, md); false when it is not exactly one clean,
 * complete item that stays inside its sequence. Problems go to sink.
 *
 * libyaml reads a node differently by what holds it, so the item is parsed
 * in the smallest document with the same structure and columns as the
 * patch: "c:" holding a change (as "changes:" at column 0 does), and for a
 * modification, "- m:" at its change's dash column. */
static bool parse_item(const char *text, uint32_t start, uint32_t end, int ch, int md, ap_patch *sink,
                       ap_change *c, ap_mod *m, uint32_t change_dash_col, int64_t *shift)
{
    const char *t = text + start;
    size_t n = end - start;
    /* the dash column; every later line must stand to its right */
    size_t col = 0;
    while (col < n && t[col] == ' ')
        col++;
    if (col + 1 >= n || t[col] != '-' || (t[col + 1] != ' ' && t[col + 1] != '\n'))
        return false;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n' && t[e] != '\r')
            e++;
        if (i > 0) {
            size_t k = i;
            while (k < e && t[k] == ' ')
                k++;
            if (k < e && t[k] != '#' && k - i <= col)
                return false;
        }
        i = e;
        if (i < n && t[i] == '\r')
            i++;
        if (i < n && t[i] == '\n')
            i++;
    }
    alone a = {.doc = AP_BUF_INIT};
    ap_buf_adds(&a.doc, "c:\n");
    if (m) {
        for (uint32_t i = 0; i < change_dash_col; i++)
            ap_buf_addc(&a.doc, ' ');
        ap_buf_adds(&a.doc, "- m:\n");
    }
    ynode *root = parse_alone(&a, sink, t, n, start, shift);
    builder *b = &a.b;
    ynode *item = only_item(root);
    if (item && m)
        item = only_item(item);
    bool ok = !b->unclean && sink->n_problems == 0 && item && item->kind == Y_MAP && item->complete;
    if (ok) {
        if (m)
            read_mod(b, item, m, ch, md);
        else
            read_change(b, item, c, ch);
    }
    alone_release(&a);
    return ok;
}

static uint32_t item_start(const ap_patch *p, ap_span s)
{
    return line_begin(p->text, s.start);
}

/* Does the item whose node starts at s have its dash on the same line, with
 * only spaces before ("  - key: ...")? Item bounds are line bounds only then
 * (a "- " alone on the line above would belong to the item before). */
static bool dash_line(const ap_patch *p, ap_span s)
{
    uint32_t i = line_begin(p->text, s.start);
    while (i < s.start && p->text[i] == ' ')
        i++;
    if (i >= s.start || p->text[i] != '-')
        return false;
    for (i++; i < s.start; i++)
        if (p->text[i] != ' ')
            return false;
    return true;
}

/* Is there a root key after 'changes', or a key after 'modifications' in
 * change c? Then the last item's end is not the end of its parent. */
static bool changes_last(const ap_patch *p)
{
    for (size_t i = 0; i < p->n_problems; i++)
        if (p->problems[i].change < 0)
            return false; /* unknown root keys and the like: be careful */
    return !p->version.present || p->version.key.start < p->changes_f.key.start;
}

unsigned long ap_reparse_hits;

void ap_change_fields_free(ap_change *c)
{
    for (size_t j = 0; j < c->n_mods; j++)
        mod_fields_free(&c->mods[j]);
    free(c->mods);
    field_free(&c->file_path);
    field_free(&c->newline);
    field_free(&c->mods_f);
}

/* The change item whose lines hold off: the last one starting at or before
 * it, or n_changes when off is before the first. */
static size_t change_item_at(const ap_patch *p, uint32_t off)
{
    size_t c = p->n_changes;
    for (size_t lo = 0, hi = p->n_changes; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (item_start(p, p->changes[mid].span) <= off)
            c = mid, lo = mid + 1;
        else
            hi = mid;
    }
    return c;
}

/* Parses text[start, end) (whole lines: items of the 'changes' block
 * sequence, any number of them, none included) on their own into *out
 * (*n_out changes, numbered from ch; at_end: they run to the end of the
 * text); false when they are not clean, complete items that stay inside
 * the sequence: they end with a line break (or the text), the first line is an item's
 * dash at the dash column (a line before it, even one that looks like a
 * comment or is blank, may belong to a block scalar of the item above), and
 * every later line that is not blank or a comment stands right of that
 * column or is another item's dash at it. Problems go to sink. Parsed as
 * parse_item does, in "c:" holding the items. */
static bool parse_changes(const char *text, uint32_t start, uint32_t end, bool at_end, int ch, uint32_t dash_col,
                          ap_patch *sink, ap_change **out, size_t *n_out, int64_t *shift)
{
    const char *t = text + start;
    size_t n = end - start, items = 0;
    bool content = false;
    *out = NULL;
    *n_out = 0;
    *shift = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n' && t[e] != '\r')
            e++;
        size_t k = i;
        while (k < e && t[k] == ' ')
            k++;
        if (k < e && t[k] != '#') {
            if (k - i < dash_col)
                return false;
            if (k - i == dash_col) {
                if (t[k] != '-' || !(k + 1 == e || t[k + 1] == ' '))
                    return false;
                items++;
            } else if (!content) {
                return false; /* the first line of content is no dash */
            }
            content = true;
        }
        i = e;
        if (i < n && t[i] == '\r')
            i++;
        if (i < n && t[i] == '\n')
            i++;
    }
    if (n == 0)
        return true; /* the items deleted whole */
    if (!at_end && t[n - 1] != '\n' && t[n - 1] != '\r')
        return false; /* the next item's dash line would be glued to the last line */
    size_t col = 0;
    while (col < n && t[col] == ' ')
        col++;
    if (col != dash_col || col >= n || t[col] != '-' || items == 0)
        return false; /* the first line is no dash */
    alone a = {.doc = AP_BUF_INIT};
    ap_buf_adds(&a.doc, "c:\n");
    ynode *root = parse_alone(&a, sink, t, n, start, shift);
    builder *b = &a.b;
    ynode *seq = root && root->kind == Y_MAP && root->complete && root->n == 2 ? root->kids[1] : NULL;
    bool ok = !b->unclean && sink->n_problems == 0 && seq && seq->kind == Y_SEQ && seq->complete && seq->n == items;
    for (size_t i = 0; ok && i < items; i++)
        ok = seq->kids[i]->kind == Y_MAP && seq->kids[i]->complete;
    if (ok) {
        *out = ap_xcalloc(items, sizeof **out);
        *n_out = items;
        for (size_t i = 0; i < items; i++)
            read_change(b, seq->kids[i], &(*out)[i], ch + (int)i);
    }
    alone_release(&a);
    return ok;
}

/* The new patch of text (taken) made from old: old's changes [from, to)
 * replaced by newc[0, n_new), or, when newm is set, modification m of change
 * from replaced by *newm (both parsed alone: their offsets move by
 * item_shift, their problems are sink's); everything else moved over, its
 * offsets at or after old_end moving by d. old is left hollow: its text and
 * its changes' spans stay, for ap_run_reuse. */
static ap_patch *moved_over(ap_patch *old, char *text, size_t len, ap_reparse how, uint32_t old_end, int64_t d,
                            size_t from, size_t to, ap_change *newc, size_t n_new, ap_mod *newm, int m, ap_patch *sink,
                            int64_t item_shift)
{
    ap_patch *np = ap_xcalloc(1, sizeof *np);
    np->text = text;
    np->len = len;
    np->format = old->format;
    np->reparsable = old->reparsable;
    np->yaml_error = old->yaml_error;
    np->strict = old->strict;
    np->context = old->context;
    np->id = old->id; /* 3.2 (moved over only with the same text) */
    np->end_f = old->end_f;
    np->body3 = old->body3; /* (the same text) */
    np->tail3 = old->tail3;
    np->blocks3 = old->blocks3;
    np->open3 = old->open3;
    np->fenced3 = old->fenced3;
    memset(&old->id, 0, sizeof old->id);
    memset(&old->end_f, 0, sizeof old->end_f);
    np->reparsed = how;
    shifter sh = {old_end, d}, in = {0, item_shift};
    np->version = old->version;
    np->changes_f = old->changes_f;
    memset(&old->version, 0, sizeof old->version);
    memset(&old->changes_f, 0, sizeof old->changes_f);
    mv_field(&sh, &np->version);
    mv_field(&sh, &np->changes_f);
    size_t nc = old->n_changes, n_rep = newm ? 0 : to - from;
    int64_t dc = newm ? 0 : (int64_t)n_new - (int64_t)n_rep;
    np->n_changes = (size_t)((int64_t)nc + dc);
    np->changes = ap_xcalloc(np->n_changes ? np->n_changes : 1, sizeof *np->changes);
    size_t j = 0;
    for (size_t k = 0; k < nc; k++) {
        if (!newm && k == from) {
            for (size_t i = 0; i < n_new; i++) {
                np->changes[j] = newc[i];
                mv_change(&in, &np->changes[j++]);
            }
        }
        if (!newm && k >= from && k < to)
            continue; /* freed with old */
        ap_change *o = &old->changes[k];
        np->changes[j] = *o;
        /* the changes before the edit's first item end before it: nothing
         * of theirs moves (nor anything when the length stayed) */
        if (d != 0 && (k >= from || how == AP_REPARSE_SAME))
            mv_change(&sh, &np->changes[j]);
        j++;
        /* the old change keeps its span (ap_run_reuse compares texts) */
        ap_change_hollow(o);
    }
    free(newc);
    if (newm) {
        ap_mod *slot = &np->changes[from].mods[m];
        mod_fields_free(slot);
        *slot = *newm;
        mv_mod(&in, slot);
    } else if (how == AP_REPARSE_CHANGES && to == nc) {
        /* the list ends where its last change now does (a block sequence) */
        np->changes_f.span.end = np->changes[np->n_changes - 1].span.end;
    }
    /* problems: the parsed items' anew, the others moved */
    for (size_t i = 0; i < old->n_problems; i++) {
        ap_problem *pr = &old->problems[i];
        bool mine = newm ? pr->change == (int)from && pr->mod == m
                         : pr->change >= (int)from && pr->change < (int)to;
        if (mine) {
            ap_problem_release(pr);
            continue;
        }
        ap_problem *q = ap_problem_push(&np->problems, &np->n_problems);
        *q = *pr;
        mv_problem(&sh, q);
        if (q->change >= (int)to)
            q->change = (int)(q->change + dc);
    }
    for (size_t i = 0; sink && i < sink->n_problems; i++) {
        ap_problem *q = ap_problem_push(&np->problems, &np->n_problems);
        *q = sink->problems[i];
        mv_problem(&in, q);
    }
    if (sink)
        free(sink->problems);
    free(old->problems);
    old->problems = NULL;
    old->n_problems = 0;
    ap_problems_sort(np->problems, np->n_problems);
    np->has_errors = how == AP_REPARSE_SAME && old->has_errors;
    for (size_t i = 0; i < np->n_problems; i++)
        np->has_errors |= np->problems[i].severity == AP_ERROR;
    ap_reparse_hits++;
    return np;
}


/* The whole text parsed, and why the edit could not be parsed alone. */
static ap_patch *full_parse(const char *text, size_t len, unsigned flags, const char *why)
{
    ap_patch *p = ap_patch_parse_opts(text, len, flags);
    p->reparse_why = why;
    return p;
}

ap_patch *ap_patch_reparse(ap_patch *old, const char *text, size_t len)
{
    unsigned flags = old && old->strict ? AP_PARSE_STRICT : 0;
    if (!old || len > AP_MAX_PATCH_BYTES)
        return full_parse(text, len, flags, "no earlier parse");
    /* the same text (a target changed), in either format: the same model */
    if (len == old->len && memcmp(text, old->text, len) == 0)
        return moved_over(old, ap_xmemdup(text, len), len, AP_REPARSE_SAME, (uint32_t)len, 0, 0, 0, NULL, 0, NULL, -1,
                          NULL, 0);
    /* the edit: the common prefix and suffix of the texts bound it */
    size_t n = old->len < len ? old->len : len, pre = 0, suf = 0;
    while (pre + 64 <= n && memcmp(old->text + pre, text + pre, 64) == 0)
        pre += 64;
    while (pre < n && old->text[pre] == text[pre])
        pre++;
    while (suf + 64 <= n - pre && memcmp(old->text + old->len - suf - 64, text + len - suf - 64, 64) == 0)
        suf += 64;
    while (suf < n - pre && old->text[old->len - 1 - suf] == text[len - 1 - suf])
        suf++;
    if (old->format != AP_FORMAT_2_0) {
        /* 3.2: the FILE blocks the edit touched */
        const char *why = NULL;
        ap_patch *p = ap_reparse3(old, text, len, (uint32_t)pre, (uint32_t)(old->len - suf), &why);
        return p ? p : full_parse(text, len, flags, why);
    }
    if (!old->reparsable || old->n_changes == 0 || !old->changes_f.present ||
        (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0))
        return full_parse(text, len, flags, "the earlier text was not a clean patch");
    uint32_t P = (uint32_t)pre, old_end = (uint32_t)(old->len - suf);
    int64_t d = (int64_t)len - (int64_t)old->len;
    size_t nc = old->n_changes;
    /* still 2.0? Detection reads line by line, and old's lines were all 2.0:
     * only the lines the edit touched can make it 3.2 now */
    uint32_t la = line_begin(text, P), lb = line_end(text, len, (uint32_t)((int64_t)old_end + d));
    if (la > 0 && la + 3 <= len && memcmp(text + la, "\xef\xbb\xbf", 3) == 0 /* (skipped at a start) */
            ? ap_format_detect(text, len) != AP_FORMAT_2_0
                                                          : ap_format_detect(text + la, lb - la) != AP_FORMAT_2_0)
        return full_parse(text, len, flags, "3.2 is parsed whole");

    /* the change items the edit [P, old_end) touches: c0 holds P, c1 the
     * last byte it replaces (or P, for an insertion) */
    uint32_t last = old_end > P ? old_end - 1 : P;
    size_t c0 = change_item_at(old, P), c1 = change_item_at(old, last);
    if (c0 == nc)
        return full_parse(text, len, flags, "the edit is before the first change");
    bool at_end = c1 + 1 == nc;
    if (at_end && !changes_last(old))
        return full_parse(text, len, flags, "keys follow the last change");
    uint32_t c_end = at_end ? (uint32_t)old->len : item_start(old, old->changes[c1 + 1].span);
    if (last >= c_end && !(at_end && last == c_end))
        return full_parse(text, len, flags, "the edit leaves the changes");
    if (c0 == 0 && P <= old->changes[0].span.start)
        return full_parse(text, len, flags, "the edit is at the start of the list");
    for (size_t k = c0; k <= c1; k++)
        if (!old->changes[k].ok || !dash_line(old, old->changes[k].span))
            return full_parse(text, len, flags, "a change it touches is not a clean item");
    if (!at_end && !dash_line(old, old->changes[c1 + 1].span))
        return full_parse(text, len, flags, "the next change is not a clean item");
    uint32_t key_col = old->changes_f.key.start - line_begin(old->text, old->changes_f.key.start);
    if (key_col != 0)
        return full_parse(text, len, flags, "'changes' is not at column 0");
    ap_change *oc = &old->changes[c0];
    uint32_t dash = item_start(old, oc->span);
    uint32_t dash_col = 0;
    while (dash + dash_col < oc->span.start && old->text[dash + dash_col] == ' ')
        dash_col++;
    char *copy = ap_xmemdup(text, len);

    /* narrower: one modification of one change (not the last: keys may follow it) */
    if (c0 == c1) {
        for (size_t k = 0; k + 1 < oc->n_mods; k++) {
            uint32_t m_end = item_start(old, oc->mods[k + 1].span);
            if (!(P >= oc->mods[k].span.start && old_end < m_end && oc->mods[k].span.start < m_end &&
                  dash_line(old, oc->mods[k].span) && dash_line(old, oc->mods[k + 1].span)))
                continue;
            ap_patch sink = {.strict = old->strict};
            ap_mod newm = {0};
            int64_t shift = 0;
            uint32_t start = item_start(old, oc->mods[k].span);
            if (parse_item(copy, start, (uint32_t)((int64_t)m_end + d), (int)c0, (int)k, &sink, NULL, &newm, dash_col,
                           &shift))
                return moved_over(old, copy, len, AP_REPARSE_MOD, old_end, d, c0, c0 + 1, NULL, 0, &newm, (int)k,
                                  &sink, shift);
            ap_problems_free(sink.problems, sink.n_problems);
            mod_fields_free(&newm);
            break; /* (the changes below may still read it) */
        }
    }
    /* the change items, parsed alone (any number of them: an item inserted,
     * deleted, or split in two) */
    ap_patch sink = {.strict = old->strict};
    ap_change *newc = NULL;
    size_t n_new = 0;
    int64_t shift = 0;
    uint32_t start = item_start(old, oc->span);
    if (!parse_changes(copy, start, (uint32_t)((int64_t)c_end + d), at_end, (int)c0, dash_col, &sink, &newc, &n_new, &shift) ||
        nc - (c1 - c0 + 1) + n_new == 0) {
        ap_problems_free(sink.problems, sink.n_problems);
        for (size_t i = 0; i < n_new; i++)
            ap_change_fields_free(&newc[i]);
        free(newc);
        free(copy);
        return full_parse(text, len, flags, "the edited items do not parse alone");
    }
    return moved_over(old, copy, len, AP_REPARSE_CHANGES, old_end, d, c0, c1 + 1, newc, n_new, NULL, -1, &sink,
                      shift);
}
