/* partial.c - apls apply --partial: what did not apply, handed back.
 *
 * With --partial, apply writes what resolves (still as one transaction) and
 * leaves the rest. The modifications that failed are written beside the
 * patch as <name>.failed.ap, in the patch's format, so that a model (or a
 * person) can correct just them and apply that; <name>.failed.md says, for
 * each, what went wrong, the closest lines, and the text around them as the
 * files are now. Nothing is written into the project. A clean apply of the
 * patch removes stale ones. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* <patch without .ap>.failed.<ext> */
static char *beside(const char *arg, const char *ext)
{
    size_t n = strlen(arg);
    if (n > 3 && strcmp(arg + n - 3, ".ap") == 0)
        n -= 3;
    char *out = NULL;
    if (asprintf(&out, "%.*s.failed.%s", (int)n, arg, ext) < 0)
        return NULL;
    return out;
}

bool cli_partial_fatal(const cli_patch *cp)
{
    for (size_t i = 0; i < cp->patch->n_problems; i++) {
        const ap_problem *p = &cp->patch->problems[i];
        if (p->severity == AP_ERROR && (p->code == AP_INVALID_PATCH_FILE || p->change < 0))
            return true;
    }
    return false;
}

/* Did modification (ch, md) fail, or not run because its file failed? */
static bool failed(const ap_run *run, const ap_patch *p, size_t ch, size_t md)
{
    const ap_mod_result *r = &run->mods[ch][md];
    if (r->state == AP_MOD_FAILED)
        return true;
    return r->state == AP_MOD_NOT_RUN && p->changes[ch].mods[md].ok && (r->file < 0 ||
           run->files[r->file].status == AP_FILE_FAILED);
}

static bool keep_failed(void *ctx, size_t ch, size_t md)
{
    const cli_patch *cp = ctx;
    return failed(cp->run, cp->patch, ch, md);
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
static size_t report_problem(FILE *out, const cli_patch *cp, const ap_problem *pr)
{
    size_t shown = 0;
    fprintf(out, "- **%s**: %s\n", ap_code_name(pr->code), pr->message);
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        if (r->file < 0 || (size_t)r->file >= cp->run->n_files)
            continue;
        const ap_file *f = &cp->run->files[r->file];
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
static void whole_file(FILE *out, const cli_patch *cp, size_t ch)
{
    for (size_t i = 0; i < cp->run->n_files; i++) {
        const ap_file *f = &cp->run->files[i];
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

static void write_report(FILE *out, const cli_patch *cp, const char *failed_ap, size_t n_failed)
{
    const ap_patch *p = cp->patch;
    fprintf(out, "# %zu modification%s of `%s` did not apply\n\n", n_failed, n_failed == 1 ? "" : "s",
            cp->arg);
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
            bool bad = failed(cp->run, p, ch, md) || !m->ok;
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
                    excerpts += report_problem(out, cp, &p->problems[i]);
            for (size_t i = 0; i < cp->run->n_problems; i++)
                if (cp->run->problems[i].change == (int)ch &&
                    (cp->run->problems[i].mod == (int)md || cp->run->problems[i].mod < 0) &&
                    cp->run->problems[i].severity == AP_ERROR && ++shown)
                    excerpts += report_problem(out, cp, &cp->run->problems[i]);
            if (!shown)
                fputs("- its file could not be changed (see the errors above it)\n", out);
        }
        if (head && !excerpts)
            whole_file(out, cp, ch);
    }
}

int cli_partial_write(const cli_patch *cp, FILE *msg)
{
    size_t n_failed = 0;
    for (size_t ch = 0; ch < cp->patch->n_changes; ch++)
        for (size_t md = 0; md < cp->patch->changes[ch].n_mods; md++)
            n_failed += failed(cp->run, cp->patch, ch, md) || !cp->patch->changes[ch].mods[md].ok;
    char *ap_path = beside(cp->arg, "ap"), *md_path = beside(cp->arg, "md");
    int rc = 0;
    ap_write_options wo = {cp->patch->format, keep_failed, (void *)cp};
    size_t len = 0, n_lost = 0;
    ap_problem *lost = NULL;
    char *text = ap_patch_write(cp->patch, &wo, &len, &lost, &n_lost);
    ap_problems_free(lost, n_lost);
    FILE *f = ap_path ? fopen(ap_path, "wb") : NULL;
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(msg, "apls: cannot write '%s': %s\n", ap_path ? ap_path : "?", strerror(errno));
        rc = -1;
    }
    free(text);
    f = md_path ? fopen(md_path, "w") : NULL;
    if (f) {
        write_report(f, cp, ap_path, n_failed);
        if (fclose(f) != 0)
            rc = -1;
    } else {
        fprintf(msg, "apls: cannot write '%s': %s\n", md_path ? md_path : "?", strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        fprintf(msg, "%s: %zu modification%s did not apply: they are in %s, what went wrong in %s\n",
                cp->arg, n_failed, n_failed == 1 ? "" : "s", ap_path, md_path);
    free(ap_path);
    free(md_path);
    return rc;
}

void cli_partial_clear(const char *arg)
{
    char *a = beside(arg, "ap"), *m = beside(arg, "md");
    if (a)
        unlink(a);
    if (m)
        unlink(m);
    free(a);
    free(m);
}
