/* handback.c - what did not apply, handed back to the model that wrote the
 * patch (apply --partial, the server's "Apply what resolves"): the failing
 * modifications as a patch in its own format, and a report saying for each
 * what went wrong, the closest lines and the text around them as the files
 * are after the part that applied. */
#include "ap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ap_handback_fatal(const ap_patch *p)
{
    for (size_t i = 0; i < p->n_problems; i++) {
        const ap_problem *pr = &p->problems[i];
        if (pr->severity == AP_ERROR && (pr->code == AP_INVALID_PATCH_FILE || pr->change < 0))
            return true;
    }
    return false;
}

/* Did modification (ch, md) fail, or not run because its file failed? */
bool ap_handback_failed(const ap_run *run, size_t ch, size_t md)
{
    const ap_patch *p = run->patch;
    const ap_mod_result *r = &run->mods[ch][md];
    if (r->state == AP_MOD_FAILED)
        return true;
    return r->state == AP_MOD_NOT_RUN && p->changes[ch].mods[md].ok && (r->file < 0 ||
           run->files[r->file].status == AP_FILE_FAILED);
}

/* The 1-based line of the new text (or the old, when unchanged) where base
 * line `line` of file f went. */
static uint32_t new_line_of(const ap_file *f, uint32_t line)
{
    int64_t shift = 0;
    for (size_t h = 0; h < f->n_hunks; h++) {
        const ap_hunk *k = &f->hunks[h];
        if (k->line > line)
            break;
        uint32_t out_lines = 0;
        for (uint32_t i = 0; i < k->out_len; i++)
            out_lines += f->after[k->out + i] == '\n' ||
                         (f->after[k->out + i] == '\r' && (i + 1 == k->out_len || f->after[k->out + i + 1] != '\n'));
        if (line < k->end_line)
            return (uint32_t)((int64_t)k->line + shift);
        shift += (int64_t)out_lines - (k->end_line - k->line);
    }
    return (uint32_t)((int64_t)line + shift);
}

/* Lines [from, to) of text, numbered, in a fenced block. */
static void excerpt(FILE *out, const char *s, size_t n, uint32_t from, uint32_t to)
{
    fputs("```\n", out);
    uint32_t line = 0;
    size_t i = 0;
    while (i < n && line < to) {
        size_t e = i;
        while (e < n && s[e] != '\n' && s[e] != '\r')
            e++;
        if (line >= from)
            fprintf(out, "%5u | %.*s\n", line + 1, (int)(e - i), s + i);
        if (e < n && s[e] == '\r' && e + 1 < n && s[e + 1] == '\n')
            e++;
        i = e + 1;
        line++;
    }
    fputs("```\n", out);
}

/* Returns how many excerpts of target files it showed. */
static size_t report_problem(FILE *out, const ap_run *run, const ap_problem *pr)
{
    size_t shown = 0;
    fprintf(out, "- **%s**: %s\n", ap_code_name(pr->code), pr->message);
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        if (r->file < 0 || (size_t)r->file >= run->n_files)
            continue;
        const ap_file *f = &run->files[r->file];
        const char *s = f->after ? f->after : f->before ? ap_text_bytes(f->before) : "";
        size_t n = f->after ? f->after_len : f->before ? ap_text_len(f->before) : 0;
        uint32_t at = f->after ? new_line_of(f, r->where.line) : r->where.line;
        fprintf(out, "  - %s (now line %u of `%s`):\n", r->message, at + 1, f->path);
        excerpt(out, s, n, at > 3 ? at - 3 : 0, at + 4);
        shown++;
    }
    return shown;
}

/* The file of change ch as it is now, its first lines, when nothing else
 * showed it. */
static void whole_file(FILE *out, const ap_run *run, size_t ch)
{
    for (size_t i = 0; i < run->n_files; i++) {
        const ap_file *f = &run->files[i];
        if (f->first_change != (int)ch || f->path_op)
            continue;
        const char *s = f->after ? f->after : f->before ? ap_text_bytes(f->before) : NULL;
        size_t n = f->after ? f->after_len : f->before ? ap_text_len(f->before) : 0;
        if (!s)
            return;
        fprintf(out, "\nThe file as it is now (its first 60 lines):\n");
        excerpt(out, s, n, 0, 60);
        return;
    }
}

static void write_report(FILE *out, const ap_run *run, const char *patch_name, const char *failed_ap,
                         size_t n_failed)
{
    const ap_patch *p = run->patch;
    fprintf(out, "# %zu modification%s of `%s` did not apply\n\n", n_failed, n_failed == 1 ? "" : "s",
            patch_name);
    fprintf(out, "The rest of the patch was applied: do not send it again. `%s` holds the failing "
                 "modifications as they were; correct them and apply that patch. Locators match whole "
                 "lines, ignoring indentation, and each modification searches the text as the ones "
                 "before it left it. Excerpts below show the files as they are now.\n",
            failed_ap);
    for (size_t ch = 0; ch < p->n_changes; ch++) {
        bool head = false;
        size_t excerpts = 0;
        for (size_t md = 0; md < p->changes[ch].n_mods; md++) {
            const ap_mod *m = &p->changes[ch].mods[md];
            bool bad = ap_handback_failed(run, ch, md) || !m->ok;
            if (!bad)
                continue;
            if (!head) {
                fprintf(out, "\n## `%s`\n", p->changes[ch].file_path.is_string ? p->changes[ch].file_path.value : "?");
                head = true;
            }
            uint32_t line = 0;
            for (uint32_t i = 0; i < m->head.start && i < p->len; i++)
                line += p->text[i] == '\n';
            fprintf(out, "\n### %s at line %u of the patch%s\n\n", ap_action_keyword(p->format, m->action),
                    line + 1, m->ok ? "" : " (malformed: not in the failed patch)");
            size_t shown = 0;
            for (size_t i = 0; i < p->n_problems; i++)
                if (p->problems[i].change == (int)ch && p->problems[i].mod == (int)md &&
                    p->problems[i].severity == AP_ERROR && ++shown)
                    excerpts += report_problem(out, run, &p->problems[i]);
            for (size_t i = 0; i < run->n_problems; i++)
                if (run->problems[i].change == (int)ch &&
                    (run->problems[i].mod == (int)md || run->problems[i].mod < 0) &&
                    run->problems[i].severity == AP_ERROR && ++shown)
                    excerpts += report_problem(out, run, &run->problems[i]);
            if (!shown)
                fputs("- its file could not be changed (see the errors above it)\n", out);
        }
        if (head && !excerpts)
            whole_file(out, run, ch);
    }
}

static bool keep_failed(void *ctx, size_t ch, size_t md)
{
    return ap_handback_failed(ctx, ch, md);
}

size_t ap_handback_count(const ap_run *run)
{
    size_t n = 0;
    for (size_t ch = 0; ch < run->patch->n_changes; ch++)
        for (size_t md = 0; md < run->patch->changes[ch].n_mods; md++)
            n += ap_handback_failed(run, ch, md) || !run->patch->changes[ch].mods[md].ok;
    return n;
}

char *ap_handback_patch(const ap_run *run, size_t *len)
{
    ap_write_options wo = {run->patch->format, keep_failed, (void *)run};
    size_t n_lost = 0;
    ap_problem *lost = NULL;
    char *text = ap_patch_write(run->patch, &wo, len, &lost, &n_lost);
    ap_problems_free(lost, n_lost);
    return text;
}

char *ap_handback_report(const ap_run *run, const char *patch_name, const char *failed_name, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        abort(); /* out of memory, as everywhere in the engine */
    write_report(out, run, patch_name, failed_name, ap_handback_count(run));
    fclose(out);
    *len = n;
    return buf;
}
