/* patch_checks.h - the invariants of a parsed patch, shared by the fuzz
 * targets of the parsers (fuzz_parse.c, fuzz_parse3.c); each defines
 * FUZZ_NAME before including it. Every check abort()s when broken:
 *  - the patch keeps an exact copy of the text, NUL-terminated, and the
 *    format ap_format_detect gives;
 *  - every span (problems, notes, fixes, keys, values, directives, heads,
 *    the line starts of literal blocks) lies within the text, start <= end;
 *  - problems come in text order, with a known code and severity and a
 *    one-line message; has_errors says whether one of them is an error;
 *  - a YAML error (yaml_error) is an error problem, and makes the patch not
 *    reparsable; a value the YAML layer refused has no value;
 *  - changes and modifications come in text order, and a modification marked
 *    ok (the run trusts it) has what its action needs;
 *  - a patch without errors has only ok changes and modifications;
 *  - ap_patch_reparse after an edit gives exactly what ap_patch_parse gives;
 *  - written in either format, a patch without errors reads back as the same
 *    model, but for what the writer reports it cannot express. */
#ifndef APLS_PATCH_CHECKS_H
#define APLS_PATCH_CHECKS_H

#include "ap.h"
#include "problem_order.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ap_patch *cur;

static void fail(const char *what, uint32_t a, uint32_t b)
{
    fprintf(stderr, "%s: invariant broken: %s (%u, %u; text is %zu bytes)\n", FUZZ_NAME, what, a, b,
            cur ? cur->len : 0);
    abort();
}

static void check_span(ap_span s, const char *what)
{
    if (s.start > s.end || s.end > cur->len)
        fail(what, s.start, s.end);
}

static void check_field(const ap_field *f, const char *what)
{
    if (!f->present) {
        if (f->is_string || f->value || f->line_at)
            fail(what, 0, 0);
        return;
    }
    check_span(f->key, what);
    check_span(f->span, what);
    check_span(f->directive, what);
    if (!f->name || !f->name[0])
        fail("a field without its name", f->key.start, 0);
    if (f->boundary && cur->format != AP_FORMAT_3_2)
        fail("a file boundary in a 2.0 patch", f->span.start, 0);
    if (f->refused && (f->is_string || f->is_null))
        fail(what, 4, 4); /* a value the YAML layer refused has no value */
    if (f->is_string) {
        if (!f->value || f->value[f->len] != '\0')
            fail(what, (uint32_t)f->len, 1);
    } else if (f->value) {
        fail(what, 2, 2);
    }
    if (f->n_lines && !f->line_at)
        fail(what, f->n_lines, 3);
    for (uint32_t i = 0; i < f->n_lines; i++) {
        if (f->line_at[i] > cur->len)
            fail(what, f->line_at[i], i);
        if (i > 0 && f->line_at[i] < f->line_at[i - 1])
            fail(what, f->line_at[i - 1], f->line_at[i]);
    }
}

static void check_problem(const ap_problem *p)
{
    if (p->code <= AP_OK || p->code >= AP_CODE_COUNT)
        fail("problem code", (uint32_t)p->code, 0);
    if (strcmp(ap_code_name(p->code), "UNKNOWN") == 0)
        fail("problem code name", (uint32_t)p->code, 0);
    if (p->severity < AP_ERROR || p->severity > AP_HINT)
        fail("problem severity", (uint32_t)p->severity, 0);
    check_span(p->span, "problem span");
    if (!p->message || !p->message[0])
        fail("problem message empty", p->span.start, p->span.end);
    if (getenv("APLS_FUZZ_ONE_LINE") && strpbrk(p->message, "\n\r"))
        fail("problem message spans lines", p->span.start, p->span.end);
    if (p->change < -1 || (p->change >= 0 && (size_t)p->change >= cur->n_changes))
        fail("problem change index", (uint32_t)p->change, 0);
    for (size_t i = 0; i < p->n_related; i++) {
        if (!p->related[i].message)
            fail("note without message", p->span.start, 0);
        if (p->related[i].file == -1)
            check_span(p->related[i].span, "note span");
    }
    for (size_t i = 0; i < p->n_fixes; i++) {
        if (!p->fixes[i].title || !p->fixes[i].text)
            fail("fix without title or text", p->span.start, 0);
        check_span(p->fixes[i].span, "fix span");
    }
    uint32_t line, col;
    ap_linecol(cur->text, cur->len, p->span.start, &line, &col);
    if (col > p->span.start || line > p->span.start)
        fail("ap_linecol beyond the offset", line, col);
}

static void check_mod(const ap_mod *m)
{
    check_span(m->span, "modification span");
    check_span(m->head, "modification head");
    const ap_field *fs[] = {&m->action_f, &m->snippet, &m->start_snippet, &m->end_snippet, &m->anchor,
                            &m->content,  &m->lead_f,  &m->trail_f,       &m->scope_f,     &m->dest};
    static const char *const names[] = {"action", "snippet", "start_snippet", "end_snippet", "anchor",
                                        "content", "lead",   "trail",         "scope_end",   "dest"};
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++)
        check_field(fs[i], names[i]);
    if ((unsigned)m->action >= AP_ACTION_COUNT)
        fail("action out of range", (uint32_t)m->action, 0);
    bool v3 = cur->format == AP_FORMAT_3_2;
    if (!v3 && m->action > AP_CREATE_FILE)
        fail("a 3.2 action in a 2.0 patch", (uint32_t)m->action, 0);
    if (!v3 && (m->scope_f.present || m->dest.present))
        fail("a 3.2 directive in a 2.0 patch", m->span.start, 0);
    if (!m->ok)
        return;
    /* what run.c relies on for a modification marked ok */
    ap_action a = m->action;
    if (a == AP_ACTION_NONE)
        fail("ok modification without action", m->span.start, 0);
    bool range = m->start_snippet.present || m->end_snippet.present;
    bool located = a == AP_REPLACE || a == AP_INSERT_AFTER || a == AP_INSERT_BEFORE || a == AP_DELETE;
    if (located) {
        if (m->snippet.present == range)
            fail("ok modification: not exactly one of snippet / range", m->span.start, 0);
        if (m->snippet.present && !m->snippet.is_string)
            fail("ok modification: snippet not text", m->span.start, 0);
        if (range && !(m->start_snippet.is_string && m->end_snippet.is_string))
            fail("ok modification: range not text", m->span.start, 0);
        if (range && a != AP_REPLACE && a != AP_DELETE && !v3)
            fail("ok modification: range on an insert", m->span.start, 0);
        if (m->anchor.present && !m->anchor.is_string)
            fail("ok modification: anchor not text", m->span.start, 0);
        if (m->end_snippet.boundary == AP_BOUNDARY_START)
            fail("ok modification: a range ending at '^'", m->span.start, 0);
    } else {
        const ap_field *none[] = {&m->snippet, &m->start_snippet, &m->end_snippet, &m->anchor};
        for (size_t i = 0; i < 4; i++)
            if (none[i]->present && v3)
                fail("ok modification: a locator kept on an action that ignores it", m->span.start, 0);
    }
    bool needs_content = a == AP_REPLACE || a == AP_INSERT_AFTER || a == AP_INSERT_BEFORE ||
                         a == AP_CREATE_FILE || a == AP_RECREATE;
    if (!needs_content && m->content.present)
        fail("ok modification with a content it does not take", m->span.start, 0);
    if (needs_content && !(m->content.present && m->content.is_string))
        fail("ok modification without text content", m->span.start, 0);
    if (a == AP_RENAME && !(m->dest.is_string && m->dest.len > 0))
        fail("ok RENAME without a new path", m->span.start, 0);
}

/* ------------------------------------------- reparse against parse */

static void differ(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "%s: ap_patch_reparse differs from ap_patch_parse: %s (%zu, %zu)\n", FUZZ_NAME,
            what, a, b);
    abort();
}

static bool span_eq(ap_span a, ap_span b)
{
    return a.start == b.start && a.end == b.end;
}

static void same_field(const ap_field *a, const ap_field *b, const char *what)
{
    if (a->present != b->present || a->is_string != b->is_string || a->is_null != b->is_null ||
        a->len != b->len || a->style != b->style || !span_eq(a->key, b->key) ||
        !span_eq(a->span, b->span) || !span_eq(a->directive, b->directive) ||
        a->boundary != b->boundary || a->refused != b->refused || (a->name == NULL) != (b->name == NULL) ||
        (a->name && strcmp(a->name, b->name) != 0) || a->n_lines != b->n_lines || a->indent != b->indent)
        differ(what, a->span.start, b->span.start);
    if ((a->value == NULL) != (b->value == NULL) ||
        (a->value && memcmp(a->value, b->value, a->len) != 0))
        differ(what, a->len, b->len);
    for (uint32_t i = 0; i < a->n_lines; i++)
        if (a->line_at[i] != b->line_at[i])
            differ(what, a->line_at[i], b->line_at[i]);
}

static void same_patch(const ap_patch *a, const ap_patch *b)
{
    if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0)
        differ("text", a->len, b->len);
    if (a->has_errors != b->has_errors)
        differ("has_errors", a->has_errors, b->has_errors);
    if (a->format != b->format || a->strict != b->strict)
        differ("format or strictness", a->format, b->format);
    if (a->yaml_error != b->yaml_error)
        differ("yaml_error", a->yaml_error, b->yaml_error);
    if (a->n_problems != b->n_problems)
        differ("number of problems", a->n_problems, b->n_problems);
    const ap_problem **pa = sorted_problems(a->problems, a->n_problems);
    const ap_problem **pb = sorted_problems(b->problems, b->n_problems);
    for (size_t i = 0; i < a->n_problems; i++) {
        const ap_problem *x = pa[i], *y = pb[i];
        if (x->code != y->code || x->severity != y->severity || !span_eq(x->span, y->span) ||
            x->change != y->change || x->mod != y->mod || strcmp(x->message, y->message) != 0) {
            fprintf(stderr, "  reparse: %s %u-%u %s\n  parse:   %s %u-%u %s\n",
                    ap_code_name(x->code), x->span.start, x->span.end, x->message,
                    ap_code_name(y->code), y->span.start, y->span.end, y->message);
            differ("a problem", i, 0);
        }
        if (x->n_related != y->n_related || x->n_fixes != y->n_fixes)
            differ("a problem's notes or fixes", x->n_related * 1000 + x->n_fixes,
                   y->n_related * 1000 + y->n_fixes);
        for (size_t k = 0; k < x->n_fixes; k++)
            if (!span_eq(x->fixes[k].span, y->fixes[k].span) ||
                strcmp(x->fixes[k].text, y->fixes[k].text) != 0)
                differ("a fix", i, k);
        for (size_t k = 0; k < x->n_related; k++)
            if (x->related[k].file != y->related[k].file ||
                !span_eq(x->related[k].span, y->related[k].span))
                differ("a note", i, k);
    }
    free(pa);
    free(pb);
    same_field(&a->version, &b->version, "version");
    same_field(&a->changes_f, &b->changes_f, "changes");
    same_field(&a->id, &b->id, "id");
    same_field(&a->end_f, &b->end_f, "END");
    if (a->n_changes != b->n_changes)
        differ("number of changes", a->n_changes, b->n_changes);
    for (size_t i = 0; i < a->n_changes; i++) {
        const ap_change *x = &a->changes[i], *y = &b->changes[i];
        if (!span_eq(x->span, y->span) || !span_eq(x->head, y->head) || x->eol != y->eol ||
            x->ok != y->ok || x->n_mods != y->n_mods)
            differ("a change", i, x->n_mods * 1000 + y->n_mods);
        same_field(&x->file_path, &y->file_path, "file_path");
        same_field(&x->newline, &y->newline, "newline");
        same_field(&x->mods_f, &y->mods_f, "modifications");
        for (size_t j = 0; j < x->n_mods; j++) {
            const ap_mod *m = &x->mods[j], *n = &y->mods[j];
            if (!span_eq(m->span, n->span) || !span_eq(m->head, n->head) ||
                m->key_col != n->key_col || m->action != n->action || m->lead != n->lead ||
                m->trail != n->trail || m->scope_end != n->scope_end || m->ok != n->ok)
                differ("a modification", i, j);
            same_field(&m->action_f, &n->action_f, "action");
            same_field(&m->snippet, &n->snippet, "snippet");
            same_field(&m->start_snippet, &n->start_snippet, "start_snippet");
            same_field(&m->end_snippet, &n->end_snippet, "end_snippet");
            same_field(&m->anchor, &n->anchor, "anchor");
            same_field(&m->content, &n->content, "content");
            same_field(&m->lead_f, &n->lead_f, "include_leading_blank_lines");
            same_field(&m->trail_f, &n->trail_f, "include_trailing_blank_lines");
            same_field(&m->scope_f, &n->scope_f, "scope_end");
            same_field(&m->dest, &n->dest, "RENAME");
        }
    }
}

static void check_patch(const ap_patch *p, const uint8_t *data, size_t size)
{
    cur = p;
    if (size > AP_MAX_PATCH_BYTES) {
        if (!p->has_errors)
            fail("an oversized patch accepted", 0, 0);
        return;
    }
    if (p->len != size || !p->text || memcmp(p->text, data, size) != 0 || p->text[size] != '\0')
        fail("the patch text is not a copy of the input", (uint32_t)p->len, (uint32_t)size);

    bool errors = false;
    for (size_t i = 0; i < p->n_problems; i++) {
        check_problem(&p->problems[i]);
        errors |= p->problems[i].severity == AP_ERROR;
        if (i > 0 && p->problems[i].span.start < p->problems[i - 1].span.start)
            fail("problems out of order", p->problems[i - 1].span.start, p->problems[i].span.start);
    }
    if (errors != p->has_errors)
        fail("has_errors disagrees with the problems", errors, p->has_errors);
    if (p->yaml_error && !p->has_errors)
        fail("a YAML error without an error problem", 0, 0);
    if (p->yaml_error && p->reparsable)
        fail("a YAML error in a reparsable patch", 0, 0);

    if (p->format != ap_format_detect(p->text, p->len))
        fail("the format is not the one detected", p->format, 0);
    check_field(&p->version, "version");
    check_field(&p->changes_f, "changes");
    check_field(&p->id, "id");
    check_field(&p->end_f, "END");
    if (p->format == AP_FORMAT_3_2 && p->changes_f.present)
        fail("a 2.0 key in a 3.2 patch", 0, 0);
    if (p->n_changes && !p->changes)
        fail("changes missing", (uint32_t)p->n_changes, 0);
    for (size_t i = 0; i < p->n_changes; i++) {
        const ap_change *c = &p->changes[i];
        check_span(c->span, "change span");
        check_span(c->head, "change head");
        check_field(&c->file_path, "file_path");
        check_field(&c->newline, "newline");
        check_field(&c->mods_f, "modifications");
        if (i > 0 && c->span.start < p->changes[i - 1].span.start)
            fail("changes out of order", p->changes[i - 1].span.start, c->span.start);
        if (c->ok && !(c->file_path.is_string && c->file_path.len > 0))
            fail("ok change without a file_path", c->span.start, 0);
        if ((unsigned)c->eol > AP_EOL_CR)
            fail("newline out of range", (uint32_t)c->eol, 0);
        if (c->n_mods && !c->mods)
            fail("modifications missing", (uint32_t)c->n_mods, 0);
        if (!p->has_errors && !c->ok)
            fail("a change not ok in a patch without errors", c->span.start, 0);
        for (size_t j = 0; j < c->n_mods; j++) {
            check_mod(&c->mods[j]);
            if (j > 0 && c->mods[j].span.start < c->mods[j - 1].span.start)
                fail("modifications out of order", c->mods[j - 1].span.start, c->mods[j].span.start);
            if (c->mods[j].span.start < c->span.start)
                fail("a modification before its change", c->mods[j].span.start, c->span.start);
            if (!p->has_errors && !c->mods[j].ok)
                fail("a modification not ok in a patch without errors", c->mods[j].span.start, 0);
        }
    }
    if (getenv("APLS_FUZZ_VERBOSE"))
        fprintf(stderr, "parse: %s, %zu bytes, %zu changes, %zu problems%s\n", ap_format_name(p->format),
                size, p->n_changes, p->n_problems, p->has_errors ? " (errors)" : "");
    cur = NULL;
}

/* ------------------------------------------------------- the writers */

/* Which modifications a model has that the strict 3.2 form still warns
 * about or (with --strict) refuses: REPLACE or RECREATE with empty content,
 * a range on an insert. */
static bool strict_refusable(const ap_patch *p)
{
    for (size_t c = 0; c < p->n_changes; c++)
        for (size_t k = 0; k < p->changes[c].n_mods; k++) {
            const ap_mod *m = &p->changes[c].mods[k];
            /* empty as the model reads it: a lone line break is no content
             * (same_text drops a final one; 2.0's "|+" over a blank line) */
            bool empty = m->content.len == 0 || (m->content.len == 1 && m->content.value[0] == '\n');
            if ((m->action == AP_REPLACE || m->action == AP_RECREATE) && m->content.present && empty)
                return true;
            if ((m->action == AP_INSERT_AFTER || m->action == AP_INSERT_BEFORE) && m->start_snippet.present)
                return true;
        }
    return false;
}

/* A patch without errors, written in each format: what the writer does not
 * report as lost must read back as the same model; the 3.2 text is in
 * strict form; the writers never fail and their losses point into p. */
static void check_writers(const ap_patch *p)
{
    if (p->has_errors || p->len > AP_MAX_PATCH_BYTES)
        return;
    for (int f = AP_FORMAT_2_0; f <= AP_FORMAT_3_2; f++) {
        ap_write_options o = {(ap_format)f, NULL, NULL};
        ap_problem *lost = NULL;
        size_t n_lost = 0, len = 0;
        char *text = ap_patch_write(p, &o, &len, &lost, &n_lost);
        if (!text || text[len] != '\0' || strlen(text) > len)
            fail("the writer's text", (uint32_t)len, (uint32_t)f);
        cur = p;
        for (size_t i = 0; i < n_lost; i++) {
            check_problem(&lost[i]);
            if (lost[i].code != AP_NOT_EXPRESSIBLE)
                fail("a loss with another code", (uint32_t)lost[i].code, (uint32_t)f);
        }
        cur = NULL;
        if (n_lost == 0) {
            ap_patch *back = ap_patch_parse(text, len);
            char *why = NULL;
            if (back->format != (ap_format)f || back->has_errors || !ap_patch_same_model(p, back, &why)) {
                fprintf(stderr, "%s: written as %s, the patch reads back %s: %s\n--- written:\n%s\n",
                        FUZZ_NAME, ap_format_name((ap_format)f),
                        back->has_errors ? "with errors" : "as another model", why ? why : "", text);
                for (size_t i = 0; i < back->n_problems; i++)
                    fprintf(stderr, "  %s: %s\n", ap_code_name(back->problems[i].code), back->problems[i].message);
                fail("the writer's round trip", (uint32_t)f, 0);
            }
            free(why);
            ap_patch_free(back);
            if (f == AP_FORMAT_3_2 && !strict_refusable(p)) {
                ap_patch *strict = ap_patch_parse_opts(text, len, AP_PARSE_STRICT);
                if (strict->has_errors) {
                    fprintf(stderr, "%s: the 3.2 writer's text is refused by --strict:\n%s\n", FUZZ_NAME, text);
                    for (size_t i = 0; i < strict->n_problems; i++)
                        fprintf(stderr, "  %s: %s\n", ap_code_name(strict->problems[i].code),
                                strict->problems[i].message);
                    fail("the 3.2 writer's strict form", 0, 0);
                }
                ap_patch_free(strict);
            }
        }
        ap_problems_free(lost, n_lost);
        free(text);
    }
}

/* An edit made from the input's own bytes: where, how much goes, what
 * comes in. Returns the edited text (malloc'd). */
static char *make_edit(const uint8_t *data, size_t size, const char *const *ins, size_t n_ins,
                       size_t *out_len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    size_t pos = size ? (size_t)(h % (size + 1)) : 0;
    size_t del = (size_t)((h >> 20) % 4);
    if (del > size - pos)
        del = size - pos;
    const char *s = ins[(h >> 32) % n_ins];
    size_t n = strlen(s);
    char *out = malloc(size - del + n + 1);
    memcpy(out, data, pos);
    memcpy(out + pos, s, n);
    memcpy(out + pos + n, data + pos + del, size - pos - del);
    *out_len = size - del + n;
    out[*out_len] = '\0';
    return out;
}

#endif
