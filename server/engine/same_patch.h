/* same_patch.h - the reparse tests' comparison of two parsed patches, field
 * by field (positions, names, problems with their related places and fixes):
 * an incremental reparse must equal a whole parse. Included by one test each. */
#ifndef APLS_SAME_PATCH_H
#define APLS_SAME_PATCH_H

#include "internal.h"

#include <stdio.h>
#include <string.h>

static int diffs;

#define SAME(what, a, b)                                                                   \
    do {                                                                                   \
        if ((a) != (b)) {                                                                  \
            if (diffs++ < 5)                                                               \
                fprintf(stderr, "  %s differs: %lld vs %lld\n", what, (long long)(a),      \
                        (long long)(b));                                                   \
            return false;                                                                  \
        }                                                                                  \
    } while (0)

static bool same_span(const char *what, ap_span a, ap_span b)
{
    SAME(what, a.start, b.start);
    SAME(what, a.end, b.end);
    return true;
}

static bool same_str(const char *what, const char *a, size_t na, const char *b, size_t nb)
{
    SAME(what, na, nb);
    SAME(what, (a == NULL), (b == NULL));
    if (a && memcmp(a, b, na) != 0) {
        if (diffs++ < 5)
            fprintf(stderr, "  %s differs: '%.*s' vs '%.*s'\n", what, (int)na, a, (int)nb, b);
        return false;
    }
    return true;
}

static bool same_name(const char *a, const char *b)
{
    SAME("name null", a == NULL, b == NULL);
    return !a || same_str("name", a, strlen(a), b, strlen(b));
}

static bool same_field(const ap_field *a, const ap_field *b)
{
    SAME("present", a->present, b->present);
    SAME("is_string", a->is_string, b->is_string);
    SAME("is_null", a->is_null, b->is_null);
    SAME("refused", a->refused, b->refused);
    SAME("style", a->style, b->style);
    SAME("boundary", a->boundary, b->boundary);
    SAME("n_lines", a->n_lines, b->n_lines);
    SAME("indent", a->indent, b->indent);
    for (uint32_t i = 0; i < a->n_lines; i++)
        SAME("line_at", a->line_at[i], b->line_at[i]);
    return same_span("field key", a->key, b->key) && same_span("field span", a->span, b->span) &&
           same_span("field directive", a->directive, b->directive) && same_name(a->name, b->name) &&
           same_str("value", a->value, a->len, b->value, b->len);
}

static bool same_mod(const ap_mod *a, const ap_mod *b)
{
    SAME("action", a->action, b->action);
    SAME("key_col", a->key_col, b->key_col);
    SAME("lead", a->lead, b->lead);
    SAME("trail", a->trail, b->trail);
    SAME("scope_end", a->scope_end, b->scope_end);
    SAME("mod ok", a->ok, b->ok);
    ap_field *fa[AP_MOD_FIELDS], *fb[AP_MOD_FIELDS];
    ap_mod_fields((ap_mod *)a, fa);
    ap_mod_fields((ap_mod *)b, fb);
    for (size_t i = 0; fa[i] || fb[i]; i++) {
        SAME("field count", fa[i] == NULL, fb[i] == NULL);
        if (!same_field(fa[i], fb[i]))
            return false;
    }
    return same_span("mod span", a->span, b->span) && same_span("mod head", a->head, b->head);
}

static bool same_problem(const ap_problem *p, const ap_problem *q)
{
    SAME("problem code", p->code, q->code);
    SAME("problem severity", p->severity, q->severity);
    SAME("problem change", p->change, q->change);
    SAME("problem mod", p->mod, q->mod);
    SAME("problem fixes", p->n_fixes, q->n_fixes);
    SAME("problem related", p->n_related, q->n_related);
    if (!same_span("problem span", p->span, q->span) ||
        !same_str("problem message", p->message, strlen(p->message), q->message, strlen(q->message)))
        return false;
    for (size_t k = 0; k < p->n_related; k++)
        if (!same_span("related span", p->related[k].span, q->related[k].span))
            return false;
    for (size_t k = 0; k < p->n_fixes; k++)
        if (!same_span("fix span", p->fixes[k].span, q->fixes[k].span) ||
            !same_str("fix text", p->fixes[k].text, strlen(p->fixes[k].text), q->fixes[k].text,
                      strlen(q->fixes[k].text)) ||
            !same_str("fix title", p->fixes[k].title, strlen(p->fixes[k].title), q->fixes[k].title,
                      strlen(q->fixes[k].title)))
            return false;
    return true;
}

static bool same_patch(const ap_patch *a, const ap_patch *b)
{
    SAME("len", a->len, b->len);
    SAME("text", memcmp(a->text, b->text, a->len), 0);
    SAME("format", a->format, b->format);
    SAME("strict", a->strict, b->strict);
    SAME("context", a->context, b->context);
    SAME("reparsable", a->reparsable, b->reparsable);
    SAME("has_errors", a->has_errors, b->has_errors);
    SAME("yaml_error", a->yaml_error, b->yaml_error);
    SAME("body3", a->body3, b->body3);
    SAME("tail3", a->tail3, b->tail3);
    SAME("blocks3", a->blocks3, b->blocks3);
    SAME("open3", a->open3, b->open3);
    SAME("fenced3", a->fenced3, b->fenced3);
    if (!same_field(&a->id, &b->id) || !same_field(&a->end_f, &b->end_f) ||
        !same_field(&a->version, &b->version) || !same_field(&a->changes_f, &b->changes_f))
        return false;
    SAME("n_changes", a->n_changes, b->n_changes);
    for (size_t c = 0; c < a->n_changes; c++) {
        const ap_change *x = &a->changes[c], *y = &b->changes[c];
        SAME("n_mods", x->n_mods, y->n_mods);
        SAME("eol", x->eol, y->eol);
        SAME("change ok", x->ok, y->ok);
        if (!same_span("change span", x->span, y->span) || !same_span("change head", x->head, y->head) ||
            !same_field(&x->file_path, &y->file_path) || !same_field(&x->newline, &y->newline) ||
            !same_field(&x->mods_f, &y->mods_f)) {
            if (diffs < 6)
                fprintf(stderr, "  in change %zu itself\n", c);
            return false;
        }
        for (size_t m = 0; m < x->n_mods; m++)
            if (!same_mod(&x->mods[m], &y->mods[m])) {
                if (diffs < 6)
                    fprintf(stderr, "  in change %zu modification %zu\n", c, m);
                return false;
            }
    }
    SAME("n_problems", a->n_problems, b->n_problems);
    for (size_t i = 0; i < a->n_problems; i++)
        if (!same_problem(&a->problems[i], &b->problems[i])) {
            if (diffs < 6)
                fprintf(stderr, "  in problem %zu (%s)\n", i, ap_code_name(a->problems[i].code));
            return false;
        }
    return true;
}

#endif
