/* report.c - problems and files, for people (the compiler convention) and
 * for scripts (--json, contract.md). */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_word(ap_severity s)
{
    return s == AP_ERROR ? "error" : s == AP_WARNING ? "warning" : s == AP_INFO ? "info" : "note";
}

/* line and column of off: 0-based line, column in code points or UTF-16 units */
/* Where each line of the last patch asked about starts: built once, so that
 * 30,000 problems do not each scan the patch from its start. */
static struct {
    const ap_patch *of;
    uint32_t *starts;
    size_t n;
} lines;

static void index_lines(const ap_patch *p)
{
    if (lines.of == p)
        return;
    free(lines.starts);
    size_t cap = 64;
    lines.starts = malloc(cap * sizeof *lines.starts);
    lines.n = 0;
    lines.starts[lines.n++] = 0;
    for (size_t i = 0; i < p->len; i++) {
        char c = p->text[i];
        if (c != '\n' && c != '\r')
            continue;
        if (c == '\r' && i + 1 < p->len && p->text[i + 1] == '\n')
            i++;
        if (lines.n == cap)
            lines.starts = realloc(lines.starts, (cap *= 2) * sizeof *lines.starts);
        lines.starts[lines.n++] = (uint32_t)i + 1;
    }
    lines.of = p;
}

void cli_report_forget(const ap_patch *p)
{
    if (lines.of != p)
        return;
    free(lines.starts);
    lines.starts = NULL;
    lines.n = 0;
    lines.of = NULL;
}

/* off as a 0-based line and a column in code points (or UTF-16 units) */
static void position(const ap_patch *p, uint32_t off, bool utf16, uint32_t *line, uint32_t *col)
{
    index_lines(p);
    if (off > p->len)
        off = (uint32_t)p->len;
    size_t lo = 0, hi = lines.n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (lines.starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (uint32_t)lo;
    *col = 0;
    for (uint32_t i = lines.starts[lo]; i < off; i++) {
        unsigned char c = (unsigned char)p->text[i];
        if (c == '\r' || c == '\n')
            break;
        if ((c & 0xc0) != 0x80)
            (*col)++;
        if (utf16 && (c & 0xf8) == 0xf0)
            (*col)++; /* an astral character is two UTF-16 units */
    }
}

static void print_one(FILE *out, const cli_patch *cp, const ap_problem *pr)
{
    uint32_t line, col;
    position(cp->patch, pr->span.start, false, &line, &col);
    fprintf(out, "%s:%u:%u: %s: %s: %s\n", cp->arg, line + 1, col + 1, severity_word(pr->severity),
            ap_code_name(pr->code), pr->message);
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        if (r->file >= 0 && cp->run && (size_t)r->file < cp->run->n_files) {
            const char *path = cp->run->files[r->file].path;
            if (strcmp(cp->root, ".") == 0)
                fprintf(out, "%s:%u: note: %s\n", path, r->where.line + 1, r->message);
            else
                fprintf(out, "%s/%s:%u: note: %s\n", cp->root, path, r->where.line + 1, r->message);
        } else {
            position(cp->patch, r->span.start, false, &line, &col);
            fprintf(out, "%s:%u:%u: note: %s\n", cp->arg, line + 1, col + 1, r->message);
        }
    }
}

void cli_print_list(FILE *out, const cli_patch *cp, const ap_problem *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        print_one(out, cp, &list[i]);
}

void cli_print_problems(FILE *out, const cli_patch *cp)
{
    /* parse and resolution problems, merged in text order */
    size_t i = 0, j = 0;
    const ap_patch *p = cp->patch;
    const ap_run *r = cp->run;
    size_t nr = r ? r->n_problems : 0;
    while (i < p->n_problems || j < nr) {
        if (j >= nr || (i < p->n_problems && p->problems[i].span.start <= r->problems[j].span.start))
            print_one(out, cp, &p->problems[i++]);
        else
            print_one(out, cp, &r->problems[j++]);
    }
}

static const char *status_word(ap_file_status s)
{
    switch (s) {
    case AP_FILE_MODIFIED: return "modified";
    case AP_FILE_CREATED: return "created";
    case AP_FILE_FAILED: return "failed";
    case AP_FILE_DELETED: return "deleted";
    case AP_FILE_RENAMED: return "renamed";
    case AP_FILE_DIR_CREATED: return "folder created";
    default: return "unchanged";
    }
}

void cli_print_files(FILE *out, const cli_patch *cp, const char *verb)
{
    ap_run *r = cp->run;
    for (size_t i = 0; i < r->n_files; i++)
        ap_run_render(r, i);
    size_t applies = 0, already = 0, failed = 0, total = 0;
    for (size_t c = 0; c < cp->patch->n_changes; c++)
        for (size_t m = 0; m < cp->patch->changes[c].n_mods; m++) {
            total++;
            ap_mod_state s = r->mods[c][m].state;
            applies += s == AP_MOD_APPLIES;
            already += s == AP_MOD_ALREADY_APPLIED;
            failed += s == AP_MOD_FAILED;
        }
    fprintf(out, "%s: %s patch, %zu modification%s: %zu to apply, %zu already applied, %zu failed%s\n",
            cp->arg, ap_format_name(cp->patch->format), total, total == 1 ? "" : "s", applies, already, failed,
            r->ok || cp->partial ? "" : " (nothing is written)");
    for (size_t i = 0; i < r->n_files; i++) {
        const ap_file *f = &r->files[i];
        const char *what = status_word(f->status);
        if (f->status == AP_FILE_RENAMED)
            fprintf(out, "  %s/%s: %s%s%s to %s/%s", cp->root, f->path, verb, verb[0] ? " " : "", what, cp->root,
                    f->dest);
        else if (f->status != AP_FILE_UNCHANGED && f->status != AP_FILE_FAILED)
            fprintf(out, "  %s/%s: %s%s%s", cp->root, f->path, verb, verb[0] ? " " : "", what);
        else
            fprintf(out, "  %s/%s: %s", cp->root, f->path, what);
        /* what else changes: said before it is written */
        if (f->status == AP_FILE_MODIFIED && f->blanks_stripped)
            fprintf(out, "; %u line%s no modification touches lose%s trailing blanks (2.0 strips every line "
                         "written; --trailing-whitespace inserted keeps them)",
                    f->blanks_stripped, f->blanks_stripped == 1 ? "" : "s", f->blanks_stripped == 1 ? "s its" : " their");
        fputc('\n', out);
    }
}

static json_t *range_json(const ap_patch *p, ap_span s)
{
    uint32_t l1, c1, l2, c2;
    position(p, s.start, true, &l1, &c1);
    position(p, s.end, true, &l2, &c2);
    return json_pack("{s:{s:i,s:i},s:{s:i,s:i}}", "start", "line", (json_int_t)l1, "character",
                     (json_int_t)c1, "end", "line", (json_int_t)l2, "character", (json_int_t)c2);
}

static void add_problem(const cli_patch *cp, const ap_problem *pr, json_t *errors, json_t *warnings)
{
    const ap_patch *p = cp->patch;
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(ap_code_name(pr->code)));
    json_object_set_new(o, "message", json_string(pr->message));
    json_object_set_new(o, "severity", json_string(severity_word(pr->severity)));
    json_object_set_new(o, "patch", json_string(cp->arg));
    const char *fp = pr->change >= 0 && (size_t)pr->change < p->n_changes &&
                             p->changes[pr->change].file_path.is_string
                         ? p->changes[pr->change].file_path.value
                         : NULL;
    json_object_set_new(o, "file_path", fp ? json_string(fp) : json_null());
    json_object_set_new(o, "change", pr->change >= 0 ? json_integer(pr->change) : json_null());
    json_object_set_new(o, "modification", pr->mod >= 0 ? json_integer(pr->mod) : json_null());
    json_object_set_new(o, "range", range_json(p, pr->span));
    json_t *notes = json_array();
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        json_t *n = json_pack("{s:s}", "message", r->message);
        if (r->file >= 0 && cp->run && (size_t)r->file < cp->run->n_files) {
            json_object_set_new(n, "path", json_string(cp->run->files[r->file].path));
            json_object_set_new(n, "line", json_integer(r->where.line));
            json_object_set_new(n, "end_line", json_integer(r->where.end_line));
        }
        json_array_append_new(notes, n);
    }
    json_object_set_new(o, "notes", notes);
    json_t *fixes = json_array();
    for (size_t i = 0; i < pr->n_fixes; i++)
        json_array_append_new(fixes, json_pack("{s:s,s:o,s:s,s:b}", "title", pr->fixes[i].title, "range",
                                               range_json(p, pr->fixes[i].span), "text",
                                               pr->fixes[i].text, "preferred", pr->fixes[i].preferred));
    json_object_set_new(o, "fixes", fixes);
    json_array_append_new(pr->severity == AP_ERROR ? errors : warnings, o);
}

void cli_json_add(const cli_patch *cp, json_t *errors, json_t *warnings, json_t *files, bool with_diff)
{
    for (size_t i = 0; i < cp->patch->n_problems; i++)
        add_problem(cp, &cp->patch->problems[i], errors, warnings);
    if (!cp->run)
        return;
    for (size_t i = 0; i < cp->run->n_problems; i++)
        add_problem(cp, &cp->run->problems[i], errors, warnings);
    for (size_t i = 0; i < cp->run->n_files; i++) {
        ap_file *f = &cp->run->files[i];
        if (f->status == AP_FILE_FAILED)
            continue;
        ap_run_render(cp->run, i);
        char *abs = NULL;
        if (asprintf(&abs, "%s/%s", cp->root, f->path) < 0)
            abs = NULL;
        json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "path", f->path, "status", status_word(f->status),
                              "resolved", abs ? abs : f->path, "trailing_blanks_stripped",
                              (json_int_t)f->blanks_stripped);
        free(abs);
        if (f->dest)
            json_object_set_new(o, "to", json_string(f->dest));
        if (with_diff) {
            char *d;
            size_t n;
            ap_diff_unified(f, &d, &n);
            json_object_set_new(o, "diff", json_stringn(d, n));
            free(d);
        }
        json_array_append_new(files, o);
    }
}
