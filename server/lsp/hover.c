/* hover.c - what a modification does: where it lands, and the change as a
 * diff with the file's real indentation; or why it does not resolve. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"

#include <stdlib.h>
#include <string.h>

static void add(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char **s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = lsp_xvasprintf(fmt, ap);
    va_end(ap);
    char *joined = lsp_xasprintf("%s%s", *s ? *s : "", more);
    free(*s);
    free(more);
    *s = joined;
}

/* Lines of text as diff lines with prefix. */
static void add_lines(char **s, char prefix, const char *text)
{
    if (!text)
        return;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        add(s, "%c%.*s\n", prefix, (int)n, p);
        p += n + (e ? 1 : 0);
    }
}

/* Text for a markdown hover: code the engine quotes ('x_y') becomes a code
 * span, every other character that is markup mid-line is escaped, so no
 * client renders a name's underscores as italics (Neovim 0.7 hid those of
 * '_is_legal_header_name'). A quote opens code only after a space or an
 * opening bracket and closes before a space or punctuation, so "the
 * reference's" stays prose. Plain text is returned as it is. */
static char *md_prose(bool md, const char *t)
{
    if (!md)
        return lsp_xstrdup(t);
    size_t n = strlen(t);
    char *out = lsp_xmalloc(n * 2 + 3 * n / 2 + 16), *o = out;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '\'' && (i == 0 || strchr(" \t([\"", t[i - 1]))) {
            size_t j = i + 1;
            while (j < n && !(t[j] == '\'' && (j + 1 == n || strchr(" \t,.;:)]!?\n", t[j + 1]))))
                j++;
            if (j < n && j > i + 1 && !memchr(t + i + 1, '`', j - i - 1) && !memchr(t + i + 1, '\n', j - i - 1)) {
                /* a code span; one leading or trailing blank would be dropped
                 * by the renderer, so pad both sides when either has one */
                bool pad = t[i + 1] == ' ' || t[j - 1] == ' ';
                *o++ = '`';
                if (pad)
                    *o++ = ' ';
                memcpy(o, t + i + 1, j - i - 1);
                o += j - i - 1;
                if (pad)
                    *o++ = ' ';
                *o++ = '`';
                i = j;
                continue;
            }
        }
        /* what means markup in the middle of a line (the text never
         * starts one): emphasis, code, links, HTML, entities, tables */
        if (c && strchr("\\`*_[]<>&|~", c))
            *o++ = '\\';
        *o++ = c;
    }
    *o = '\0';
    return out;
}

/* A path or name as code: a code span in markdown. */
static char *md_code(bool md, const char *t)
{
    return md && !strchr(t, '`') ? lsp_xasprintf("`%s`", t) : lsp_xstrdup(t);
}

/* Why a modification was not checked: the patch's first error when it has
 * one (a YAML error stops everything after it), else its file. */
static char *not_checked_why(const apls_patch *p, bool md)
{
    for (size_t i = 0; i < p->patch->n_problems; i++) {
        const ap_problem *pr = &p->patch->problems[i];
        if (pr->severity != AP_ERROR)
            continue;
        uint32_t line, col;
        ap_linecol(p->patch->text, p->patch->len, pr->span.start, &line, &col);
        char *msg = md_prose(md, pr->message);
        char *s = lsp_xasprintf("not checked: the patch must be fixed first (line %u: %s)", line + 1, msg);
        free(msg);
        return s;
    }
    return lsp_xstrdup("not checked: its file could not be read");
}

static const ap_problem *problem_of(const apls_patch *p, int ch, int md)
{
    for (size_t i = 0; i < p->run->n_problems; i++)
        if (p->run->problems[i].change == ch && p->run->problems[i].mod == md &&
            p->run->problems[i].severity == AP_ERROR)
            return &p->run->problems[i];
    for (size_t i = 0; i < p->patch->n_problems; i++)
        if (p->patch->problems[i].change == ch && p->patch->problems[i].mod == md &&
            p->patch->problems[i].severity == AP_ERROR)
            return &p->patch->problems[i];
    return NULL;
}

/* What else writing file fi changes: lines no modification touches that
 * lose their trailing blanks (2.0 strips every line it writes). */
static void add_other_changes(char **s, const apls_patch *p, int fi, bool md)
{
    if (fi < 0 || (size_t)fi >= p->run->n_files)
        return;
    ap_run_render(p->run, (size_t)fi);
    const ap_file *f = &p->run->files[fi];
    if (f->status == AP_FILE_MODIFIED && f->blanks_stripped)
        add(s, "\nWriting %s%s%s also strips trailing blanks from %u line%s no modification touches "
               "(2.0 strips every line it writes; the setting %strailingWhitespace: \"inserted\"%s keeps them).\n",
            md ? "`" : "", f->path, md ? "`" : "", f->blanks_stripped, f->blanks_stripped == 1 ? "" : "s",
            md ? "`" : "", md ? "`" : "");
}

/* at: where the hover is. Over the problem's squiggle (its span) the client
 * shows the diagnostic's message and related places itself: they are left out. */
static char *mod_text(const apls_patch *p, int ch, int md, bool md_ok, uint32_t at)
{
    const ap_mod *m = &p->patch->changes[ch].mods[md];
    const ap_mod_result *r = &p->run->mods[ch][md];
    const char *code = md_ok ? "`" : "";
    char *where = apls_mod_summary(p, ch, md);
    char *s = NULL;
    bool path_op = ap_action_on_path(m->action);
    if (m->action != AP_ACTION_NONE) /* as the patch spells it (3.2: CREATE) */
        add(&s, "%s%s%s ", code, ap_action_keyword(p->patch->format, m->action), code);
    else
        add(&s, "Modification %d (no action) ", md + 1);
    if (md_ok && !path_op && (r->state == AP_MOD_APPLIES || r->state == AP_MOD_ALREADY_APPLIED)) {
        /* "[in ]path:12-14[ (note)]": the place as code, the note as prose */
        const char *note = strstr(where, " (");
        size_t head = note ? (size_t)(note - where) : strlen(where), in = strncmp(where, "in ", 3) == 0 ? 3 : 0;
        char *place = lsp_xmemdup(where + in, head - in);
        char *w = md_code(true, place), *rest = md_prose(true, where + head);
        add(&s, "%s%s%s", in ? "in " : "", w, rest);
        free(place);
        free(w);
        free(rest);
    } else {
        /* (a 3.2 operation on a path says what it does in words, its paths as code) */
        char *op = path_op && r->state != AP_MOD_FAILED ? apls_path_op_summary(p, ch, md, md_ok) : NULL;
        char *w = md_prose(md_ok, op ? op : where);
        free(op);
        add(&s, "%s", w);
        free(w);
    }
    free(where);
    if (r->state == AP_MOD_APPLIES && path_op) {
        /* a 3.2 operation on a path: the heading says it all, no text diff */
        add(&s, " (applies)\n");
        return s;
    }
    switch (r->state) {
    case AP_MOD_APPLIES:
        add(&s, " (applies)\n\n%s\n", md_ok ? "```diff" : "");
        if (m->action == AP_INSERT_AFTER || m->action == AP_INSERT_BEFORE) {
            /* an insertion keeps the lines it is placed by: they are context */
            if (m->action == AP_INSERT_BEFORE)
                add_lines(&s, '+', r->after);
            add_lines(&s, ' ', r->before);
            if (m->action != AP_INSERT_BEFORE)
                add_lines(&s, '+', r->after);
        } else {
            /* what the region becomes, byte for byte as written, lines it
             * keeps shown once */
            char *d = ap_diff_lines(r->before, r->after);
            add(&s, "%s", d);
            free(d);
        }
        if (md_ok)
            add(&s, "```\n");
        add_other_changes(&s, p, r->file, md_ok);
        break;
    case AP_MOD_ALREADY_APPLIED: {
        char *why = md_prose(md_ok, r->why ? r->why : "nothing to change");
        add(&s, "\n\nalready applied: %s\n", why);
        free(why);
        break;
    }
    case AP_MOD_FAILED:
    case AP_MOD_NOT_RUN: {
        const ap_problem *pr = problem_of(p, ch, md);
        if (!pr) {
            char *why = not_checked_why(p, md_ok);
            add(&s, "\n\n%s\n", why);
            free(why);
            break;
        }
        if (at >= pr->span.start && at <= pr->span.end) {
            add(&s, "\n\n%s%s%s (the problem shown here)\n", code, ap_code_name(pr->code), code);
            break;
        }
        char *msg = md_prose(md_ok, pr->message);
        add(&s, "\n\n%s%s%s: %s\n", code, ap_code_name(pr->code), code, msg);
        free(msg);
        for (size_t i = 0; i < pr->n_related; i++) {
            const ap_related *rl = &pr->related[i];
            if (rl->file >= 0 && (size_t)rl->file < p->run->n_files) {
                char *note = md_prose(md_ok, rl->message);
                add(&s, "%s %s%s:%u%s: %s\n", md_ok ? "-" : " ", code, p->run->files[rl->file].path,
                    rl->where.line + 1, code, note);
                free(note);
            }
        }
        break;
    }
    }
    return s;
}

/* What the patch does to a file, in words ("modified", "renamed to
 * `b.txt`": 3.2 operations on paths have statuses of their own). */
static char *file_fate(const ap_file *f, bool md)
{
    switch (f->status) {
    case AP_FILE_UNCHANGED:
        return lsp_xstrdup("unchanged");
    case AP_FILE_MODIFIED:
        return lsp_xstrdup("modified");
    case AP_FILE_CREATED:
        return lsp_xstrdup("created");
    case AP_FILE_FAILED:
        return lsp_xstrdup("failed");
    case AP_FILE_DELETED:
        return lsp_xstrdup(f->kind == AP_PATH_DIR ? "deleted (a folder, with what it holds)" : "deleted");
    case AP_FILE_RENAMED: {
        char *dest = md_code(md, f->dest ? f->dest : "?");
        char *out = lsp_xasprintf("renamed to %s", dest);
        free(dest);
        return out;
    }
    case AP_FILE_DIR_CREATED:
        return lsp_xstrdup("created (a folder)");
    }
    return lsp_xstrdup("?");
}

/* On the header (3.2) or the version key (2.0): the format the patch is read
 * as, the words of what apls/status tells a client's status line. */
static json_t *format_hover(const apls_patch *p, uint32_t off)
{
    const ap_patch *pt = p->patch;
    const ap_field *v = &pt->version;
    ap_span at = pt->format == AP_FORMAT_3_2 ? v->directive : (ap_span){v->key.start, v->span.end};
    if (!v->present || off < at.start || off > at.end)
        return json_null();
    size_t mods = 0;
    for (size_t c = 0; c < pt->n_changes; c++)
        mods += pt->changes[c].n_mods;
    char *text = lsp_xasprintf("apls reads this patch as format %s%s%s: %zu file block%s, %zu modification%s",
                               ap_format_name(pt->format), pt->format == AP_FORMAT_3_2 && pt->id.is_string ? ", id " : "",
                               pt->format == AP_FORMAT_3_2 && pt->id.is_string ? pt->id.value : "", pt->n_changes,
                               pt->n_changes == 1 ? "" : "s", mods, mods == 1 ? "" : "s");
    json_t *r = json_pack("{s:{s:s,s:o},s:o}", "contents", "kind", "plaintext", "value", apls_json_text(text), "range",
                          apls_patch_range(p, at));
    free(text);
    return r;
}

void apls_on_hover(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
    lsp_position pos;
    if (!uri || !lsp_position_from_json(json_object_get(params, "position"), &pos)) {
        lsp_endpoint_reply_error(ep, id, -32602, "hover needs textDocument.uri and position");
        return;
    }
    apls_patch *p = apls_patch_of(s, uri);
    if (!p) {
        lsp_endpoint_reply(ep, id, json_null());
        return;
    }
    apls_patch_refresh(p);
    int ch, md;
    uint32_t off = apls_patch_offset(p, pos);
    apls_patch_locate(p, off, &ch, &md);
    if (ch < 0) {
        lsp_endpoint_reply(ep, id, format_hover(p, off));
        return;
    }
    bool markdown = s->client.markdown;
    char *text = NULL;
    ap_span span;
    if (md >= 0) {
        text = mod_text(p, ch, md, markdown, off);
        const ap_mod *m = &p->patch->changes[ch].mods[md];
        span = (ap_span){m->head.start, m->span.end};
    } else {
        const ap_change *c = &p->patch->changes[ch];
        span = c->file_path.present ? c->file_path.span : c->head;
        int fi = -1;
        for (size_t m = 0; m < c->n_mods && fi < 0; m++)
            fi = p->run->mods[ch][m].file;
        for (size_t i = 0; i < p->run->n_files && fi < 0; i++)
            if (p->run->files[i].first_change == ch)
                fi = (int)i;
        if (fi >= 0) {
            ap_run_render(p->run, (size_t)fi);
            char *abs = apls_target_path(p, (size_t)fi);
            char *rel = md_code(markdown, p->run->files[fi].path), *where = md_code(markdown, abs);
            char *fate = file_fate(&p->run->files[fi], markdown);
            text = lsp_xasprintf("%s resolves to %s (%s by this patch; %zu modification%s)", rel, where, fate,
                                 c->n_mods, c->n_mods == 1 ? "" : "s");
            free(fate);
            free(rel);
            free(where);
            free(abs);
            add_other_changes(&text, p, fi, markdown);
        }
        if (!text) {
            char *name = md_code(markdown, c->file_path.is_string ? c->file_path.value : "change");
            char *why = not_checked_why(p, markdown);
            text = lsp_xasprintf("%s: %s", name, p->patch->has_errors ? why : "not resolved");
            free(name);
            free(why);
        }
    }
    json_t *result = json_pack("{s:{s:s,s:o},s:o}", "contents", "kind", markdown ? "markdown" : "plaintext",
                               "value", apls_json_text(text), "range", apls_patch_range(p, span));
    free(text);
    lsp_endpoint_reply(ep, id, result);
}
