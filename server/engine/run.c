/* run.c - resolving a parsed patch against its targets (ap-2.0.md sections
 * 3, 4 and 7) and planning what applying it does.
 *
 * Order of work, so that nothing is read before every path is known safe:
 *   1. paths: every file_path is checked lexically and by the file provider
 *      (symbolic links), and changes naming one file are grouped (by its
 *      canonical path: two spellings of one file are one group);
 *   2. load: each target is read once (fs->load);
 *   3. resolve: the modifications of each file run in order on a view of it,
 *      each one searching the text the previous ones left.
 *
 * A modification ends in one of three states: it applies, it is already
 * applied (and changes nothing), or it fails. Failing ones do not stop the
 * run: every problem is reported, and the run is simply not ok.
 *
 * One modification on a view is resolve.c's; recognising what is applied
 * beyond one modification, applied.c's; explaining a failure, explain.c's. */
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* path -> file index, for grouping the changes that name one file */
static uint32_t *path_slot(run_ctx *x, const char *path)
{
    if ((x->run->n_files + 1) * 2 > x->by_path_mask) {
        uint32_t n = x->by_path_mask ? (x->by_path_mask + 1) * 2 : 64;
        free(x->by_path);
        x->by_path = ap_xcalloc(n, sizeof *x->by_path);
        x->by_path_mask = n - 1;
        for (size_t i = 0; i < x->run->n_files; i++) {
            if (x->run->files[i].path_op) /* a group of its own */
                continue;
            const char *p = x->run->files[i].path;
            uint32_t j = (uint32_t)ap_hash(p, strlen(p)) & x->by_path_mask;
            while (x->by_path[j])
                j = (j + 1) & x->by_path_mask;
            x->by_path[j] = (uint32_t)i + 1;
        }
    }
    uint32_t j = (uint32_t)ap_hash(path, strlen(path)) & x->by_path_mask;
    while (x->by_path[j] && strcmp(x->run->files[x->by_path[j] - 1].path, path) != 0)
        j = (j + 1) & x->by_path_mask;
    return &x->by_path[j];
}

bool ap_run_selected(const ap_options *o, int ch, int md)
{
    return (o->only_change < 0 || o->only_change == ch) && (o->only_mod < 0 || o->only_mod == md);
}

ap_problem *ap_run_problem(ap_run *run, ap_code code, ap_severity sev, ap_span span, int ch, int md,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ap_problem *p = ap_problem_addv(&run->problems, &run->n_problems, code, sev, span, ch, md, fmt, ap);
    va_end(ap);
    if (sev == AP_ERROR)
        run->ok = false;
    return p;
}

/* A patch span moved by d bytes. */
static ap_span shifted(ap_span s, int64_t d)
{
    return (ap_span){(uint32_t)((int64_t)s.start + d), (uint32_t)((int64_t)s.end + d)};
}

/* Is the view nothing but blank lines? */
static bool all_blank(const ap_view *v)
{
    return ap_view_at_end(v, ap_view_skip_blank(v, ap_view_begin(v)));
}

/* Replaces the whole view with the content, as it is (CREATE: the new
 * file's text; RECREATE: text the run wrote). Returns the hover text. */
static char *write_whole(ap_view *v, const mod_pats *mp, int ch, int md, bool created)
{
    ap_buf store = AP_BUF_INIT;
    uint32_t n;
    ap_line none = {0};
    none.s = "";
    ap_nline *lines = ap_indented_lines(&mp->content, &none, ch, md, true, &store, &n);
    for (uint32_t i = 0; i < n; i++)
        lines[i].created = created;
    ap_view_replace(v, ap_view_begin(v), ap_view_end(v), lines, n);
    v->changed = true;
    char *after = ap_lines_text(lines, n);
    free(lines);
    ap_buf_release(&store);
    return after;
}

/* CREATE_FILE: write the file, or recognise it written. */
static void run_create(run_ctx *x, int fi, int ch, int md, ap_mod_result *r)
{
    file_state *fs = &x->fst[fi];
    const mod_pats *mp = &x->pats[ch][md];
    ap_view *v = &fs->view;
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    /* 3.2 creates over an empty file (35) */
    bool blank = mp->rules->file_ops && fs->exists && !v->changed && all_blank(v);
    if ((fs->exists || v->changed) && !(blank && mp->content.n > 0)) {
        /* compare as the reference does: stripped lines, outer blanks dropped */
        ap_pos first = ap_view_skip_blank(v, ap_view_begin(v));
        bool same = mp->content.n == 0 ? ap_view_at_end(v, first)
                                       : ap_block_follows(v, first, &mp->content, NULL);
        if (same) {
            ap_pos rest = first;
            uint32_t i, end;
            ap_content_block(&mp->content, &i, &end);
            for (; i < end; i++)
                rest = ap_view_next(v, rest);
            same = ap_view_at_end(v, ap_view_skip_blank(v, rest));
        }
        if (same) {
            r->state = AP_MOD_ALREADY_APPLIED;
            r->why = "the file exists with this content";
            return;
        }
        if (ap_created_here(x, fi, ch, md, v)) {
            r->state = AP_MOD_ALREADY_APPLIED;
            r->why = "the file exists as this change makes it";
            return;
        }
        r->state = AP_MOD_FAILED;
        r->code = AP_FILE_EXISTS;
        ap_run_problem(x->run, AP_FILE_EXISTS, AP_ERROR, m->action_f.span, ch, md,
                "%s: %s exists with other content; apls will not overwrite it%s",
                ap_action_keyword(x->patch->format, AP_CREATE_FILE), x->run->files[fi].path,
                mp->rules->file_ops ? " (RECREATE replaces a file's whole content)" : "");
        return;
    }
    r->state = AP_MOD_APPLIES;
    r->after = write_whole(v, mp, ch, md, true);
}

/* RECREATE: the file's whole new content, or recognised as its content
 * already (line by line, trailing blanks and line endings aside). */
static void run_recreate(run_ctx *x, int fi, int ch, int md, ap_mod_result *r, ap_pos *next)
{
    ap_view *v = &x->fst[fi].view;
    const ap_pattern *c = &x->pats[ch][md].content;
    ap_pos p = ap_view_begin(v);
    uint32_t i = 0;
    for (; i < c->n_lines && !ap_view_at_end(v, p); i++, p = ap_view_next(v, p)) {
        const ap_line *a = ap_view_line(v, p), *b = &c->lines[i];
        size_t la = a->s_off + a->s_len, lb = b->s_off + b->s_len;
        if (a->blank != b->blank || (!a->blank && (la != lb || memcmp(a->s, b->s, la) != 0)))
            break;
    }
    if (i == c->n_lines && ap_view_at_end(v, p) && (x->fst[fi].exists || v->changed)) {
        r->state = AP_MOD_ALREADY_APPLIED;
        r->why = "the file already holds exactly this content";
        return;
    }
    if ((x->fst[fi].exists || v->changed) && ap_created_here(x, fi, ch, md, v)) {
        r->state = AP_MOD_ALREADY_APPLIED;
        r->why = "the file is what this RECREATE and the modifications after it make";
        return;
    }
    r->state = AP_MOD_APPLIES;
    r->before = ap_region_text(v, ap_view_begin(v), ap_view_end(v));
    r->after = write_whole(v, &x->pats[ch][md], ch, md, false);
    *next = ap_view_end(v);
}

/* The warnings of a 3.2 heuristic that decided where a modification went. */
static void warn_heuristics(run_ctx *x, int fi, int ch, int md, const outcome *o)
{
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    const mod_pats *mp = &x->pats[ch][md];
    const char *path = x->run->files[fi].path;
    const ap_view *v = &x->fst[fi].view;
    const char *name = ap_action_keyword(x->patch->format, m->action);
    if (o->moved)
        ap_run_problem(x->run, AP_NESTING_MISMATCH, AP_WARNING, m->action_f.span, ch, md,
                       "%s's place in %s is inside a block, and its content is a top-level "
                       "declaration: it goes %s the enclosing block instead (a snippet on the "
                       "declaration with scope_end 1 says so)",
                       name, path, m->action == AP_INSERT_AFTER ? "after" : "before");
    if (o->reversed)
        ap_run_problem(x->run, AP_REVERSED_RANGE, AP_WARNING, m->end_snippet.key, ch, md,
                       "'%s' stands before '%s' in %s: the range runs from it to the snippet",
                       m->end_snippet.name, m->start_snippet.name, path);
    if (o->scope_ignored)
        ap_run_problem(x->run, AP_SCOPE_END_IGNORED, AP_WARNING, m->scope_f.key, ch, md,
                       "the snippet opens no block in %s (no bracket, no ':'): '%s' is ignored",
                       path, m->scope_f.name);
    const char *ind;
    uint32_t len;
    if (mp->rules->content_verbatim && ap_reindent(v, m, mp, o, &ind, &len))
        ap_run_problem(x->run, AP_REINDENTED, AP_WARNING, m->content.key, ch, md,
                       "the content starts at column 0 where %s is indented by %u: it is indented "
                       "to match (indent it in the patch to say so)",
                       path, len);
}

ap_mod_state ap_run_mod(run_ctx *x, int fi, int ch, int md, const seq_ctx *sc, outcome *keep,
                        ap_pos *next, bool *sets_cursor)
{
    ap_run *run = x->run;
    const ap_mod *m = &x->patch->changes[ch].mods[md];
    ap_mod_result *r = &run->mods[ch][md];
    file_state *fs = &x->fst[fi];
    ap_view *v = &fs->view;
    r->file = fi;
    if (sets_cursor)
        *sets_cursor = false;
    if (keep) {
        memset(keep, 0, sizeof *keep);
        keep->reported = true;
    }
    /* a NUL byte would make the file binary: apls writes text (and could
     * not read it back to see the patch applied) */
    if (m->content.is_string && memchr(m->content.value, '\0', m->content.len)) {
        r->state = AP_MOD_FAILED;
        r->code = AP_INVALID_MODIFICATION;
        ap_run_problem(x->run, AP_INVALID_MODIFICATION, AP_ERROR, m->content.key, ch, md,
                       "the content holds a NUL byte: apls writes text files");
        return r->state;
    }
    if (m->action == AP_CREATE_FILE) {
        run_create(x, fi, ch, md, r);
        return r->state;
    }
    if (m->action == AP_RECREATE) {
        ap_pos end;
        run_recreate(x, fi, ch, md, r, &end);
        if (r->state == AP_MOD_APPLIES && next) {
            *next = end;
            *sets_cursor = true;
        }
        return r->state;
    }
    const mod_pats *mp = &x->pats[ch][md];
    outcome o;
    ap_resolve(v, m, mp, sc, &o);
    if (o.state == AP_MOD_APPLIES && ap_action_inserts(m->action) &&
        ap_behind_later_inserts(x, fi, ch, md, &o)) {
        o.state = AP_MOD_ALREADY_APPLIED;
        o.why = "the content already stands here, behind what later modifications inserted";
    }
    r->state = o.state;
    r->code = o.code;
    r->why = o.why;
    r->has_anchor = o.has_anchor;
    r->has_region = false;
    if (o.has_anchor)
        r->anchor = ap_view_tspan(v, o.anchor.first, ap_view_next(v, o.anchor.last));
    if (o.has_region) {
        r->has_region = true;
        r->region = ap_view_tspan(v, o.from, o.to);
    }
    if (o.state == AP_MOD_FAILED) {
        if (keep) {
            *keep = o;
            return o.state;
        }
        const ap_pattern *want = ap_failing_pattern(mp, o.fail_field);
        if (!mp->rules->sequential && (o.code == AP_SNIPPET_NOT_FOUND || o.code == AP_END_SNIPPET_NOT_FOUND) &&
            ap_taken_by_this_run(v, want)) {
            /* 2.0: the locator stood in the file as read and an earlier
             * modification of this patch took it; the message says so, as
             * 3.2's LOCATOR_CONSUMED does, under the code 2.0 knows (the
             * reference would count a REPLACE whose content stands somewhere
             * as applied: docs/engine.md, "Recognising an applied
             * modification") */
            const ap_field *f = ap_failing_field(m, o.fail_field);
            const ap_line *l = ap_pattern_at(want, 0);
            ap_run_problem(x->run, o.code, AP_ERROR, f->span, ch, md,
                           "%s '%.*s%s' stood in %s, but an earlier modification of this patch removed it: "
                           "modifications apply in order, each to what the ones before it left; fold this "
                           "change into that one's content, or locate it in the text as that one leaves it",
                           f->name, (int)(l->s_len > 60 ? 60 : l->s_len), l->s + l->s_off,
                           l->s_len > 60 || want->n > 1 ? "..." : "", x->run->files[fi].path);
        } else {
            ap_report_failure(x, fi, ch, md, &o);
        }
        ap_matches_release(&o.many);
        return o.state;
    }
    ap_matches_release(&o.many);
    if (o.state == AP_MOD_ALREADY_APPLIED && !o.has_region && m->action == AP_DELETE)
        ap_warn_gone(x, fi, ch, md);
    if (o.state == AP_MOD_ALREADY_APPLIED && o.sets_cursor && next) {
        *next = o.next;
        *sets_cursor = true;
    }
    if (o.state != AP_MOD_APPLIES)
        return o.state;
    /* (warnings that decide no state: not for a run that reads only states) */
    if (mp->rules->sequential && !x->run->opts.states_only)
        warn_heuristics(x, fi, ch, md, &o);
    free(r->before);
    free(r->after);
    r->before = ap_region_text(v, o.from, o.to);
    if (!x->run->opts.states_only)
        ap_check_indent(x, fi, ch, md);
    ap_pos after;
    r->after = ap_apply_outcome(v, m, mp, ch, md, &o, &after);
    if (next) {
        *next = after;
        *sets_cursor = true;
    }
    return o.state;
}

/* A modification of a group recognised as applied as a whole. */
static void mark_applied(run_ctx *x, int fi, int ch, int md, const char *why, bool recorded)
{
    ap_mod_result *r = &x->run->mods[ch][md];
    r->file = fi;
    r->state = AP_MOD_ALREADY_APPLIED;
    r->why = why;
    /* (recognised from the text, a DELETE's text is gone: a line much like
     * it may be the one it meant) */
    if (x->patch->changes[ch].mods[md].action == AP_DELETE && !recorded)
        ap_warn_gone(x, fi, ch, md);
}

/* 3.4 structural sanity: a file whose brackets balanced before the patch
 * and do not after it is most likely broken, though every modification
 * applied; a warning, since counting cannot know every language. */
static void check_brackets(run_ctx *x, int fi)
{
    file_state *st = &x->fst[fi];
    /* edits that count for nothing leave the balance as it was: the file
     * itself need not be read */
    if (ap_brackets_edits_neutral(&st->view))
        return;
    /* what the edits change, from their lines alone where that can be
     * shown: when nothing, the file balances after exactly when it did
     * before, and the whole file need not be read (its map costs ~180
     * instructions a line, a whole file per keystroke in a target) */
    int64_t delta = 0, after;
    if (ap_brackets_edits_delta(&st->view, &delta)) {
        if (delta == 0 || ap_brackets_balance(st->view.base) != 0)
            return;
        after = delta;
    } else {
        if (ap_brackets_text(st->view.base) != 0)
            return;
        after = ap_brackets_view(&st->view);
        if (after == 0)
            return;
    }
    const ap_file *f = &x->run->files[fi];
    ap_run_problem(x->run, AP_UNBALANCED_BRACKETS, AP_WARNING,
                   x->patch->changes[f->first_change].file_path.span, f->first_change, -1,
                   "the brackets of %s balanced before the patch and are off by %+lld after it: the "
                   "result is very likely not valid code; review it",
                   f->path, (long long)after);
}

/* A 3.2 change that is an operation on its path (RENAME, DELETE of the
 * path, CREATE of a folder): a group of its own (fileops.c). */
static bool is_path_op(const ap_change *c)
{
    return c->n_mods == 1 && c->mods[0].ok && ap_action_on_path(c->mods[0].action);
}

/* An operation on a path among other actions: the parser refuses the block,
 * but should one slip through, the text resolver would search for a
 * snippet such an action has not got. Failed here instead, never crashed. */
static bool stray_path_action(run_ctx *x, int ch)
{
    const ap_change *c = &x->patch->changes[ch];
    if (is_path_op(c))
        return false;
    for (size_t md = 0; md < c->n_mods; md++) {
        const ap_mod *m = &c->mods[md];
        if (!m->ok || !ap_action_on_path(m->action))
            continue;
        ap_run_problem(x->run, AP_INVALID_MODIFICATION, AP_ERROR, m->action_f.span, ch, (int)md,
                       "%s cannot share its FILE block with other actions",
                       ap_action_keyword(x->patch->format, m->action));
        for (size_t k = 0; k < c->n_mods; k++) {
            x->run->mods[ch][k].state = AP_MOD_FAILED;
            x->run->mods[ch][k].code = AP_INVALID_MODIFICATION;
        }
        x->run->ok = false;
        return true;
    }
    return false;
}

/* A new file entry for path (taken). */
static int new_file(run_ctx *x, char *path, int ch)
{
    ap_run *run = x->run;
    size_t i = run->n_files++;
    run->files = ap_xrealloc(run->files, run->n_files * sizeof *run->files);
    x->fst = ap_xrealloc(x->fst, run->n_files * sizeof *x->fst);
    memset(&run->files[i], 0, sizeof run->files[i]);
    memset(&x->fst[i], 0, sizeof x->fst[i]);
    run->files[i].path = path;
    run->files[i].first_change = ch;
    file_state *fs = &x->fst[i];
    AP_GROW(fs->changes, fs->n_changes, fs->cap_changes);
    fs->changes[fs->n_changes++] = ch;
    fs->eol = x->patch->changes[ch].eol;
    return (int)i;
}

/* 3.2: a leading project folder the root lacks is dropped, with a warning
 * and the fix that writes the path without it. */
static char *drop_prefix(run_ctx *x, int ch, char *norm, const ap_field *f, size_t *dropped)
{
    if (!x->kinds)
        x->kinds = ap_xcalloc(1, sizeof *x->kinds);
    char *rest = ap_path_unprefixed(x->fs, x->kinds, norm, dropped);
    if (!rest)
        return norm;
    ap_problem *pr = ap_run_problem(x->run, AP_PATH_PREFIX, AP_WARNING, f->span, ch, -1,
                                    "'%s' does not exist, but '%s' does: the leading folder%s the "
                                    "root does not have %s dropped",
                                    norm, rest, *dropped == 1 ? "" : "s", *dropped == 1 ? "is" : "are");
    ap_problem_fix(pr, f->span, ap_xstrdup(rest), "Write '%s'", rest);
    free(norm);
    return rest;
}

/* The path of a field, normalized and checked by the provider, or NULL
 * with the problem reported. */
static char *checked_path(run_ctx *x, int ch, int md, const ap_field *f, bool folder, const char *what)
{
    const char *why = NULL;
    char *norm = folder ? ap_path_normalize_any(f->value, f->len, &why)
                        : ap_path_normalize(f->value, f->len, &why);
    if (!norm) {
        ap_run_problem(x->run, AP_INVALID_FILE_PATH, AP_ERROR, f->span, ch, md, "invalid %s: %s", what, why);
        return NULL;
    }
    return norm;
}

static bool provider_allows(run_ctx *x, int ch, int md, const ap_field *f, const char *path,
                            const char *what)
{
    char *fwhy = NULL;
    if (x->fs->check_path(x->fs, path, &fwhy) == AP_OK)
        return true;
    ap_run_problem(x->run, AP_INVALID_FILE_PATH, AP_ERROR, f->span, ch, md, "invalid %s: %s", what,
                   fwhy ? fwhy : "it leaves the root");
    free(fwhy);
    return false;
}

/* Change ch joins the group of file i. */
static int join_group(run_ctx *x, size_t i, int ch)
{
    file_state *fs = &x->fst[i];
    AP_GROW(fs->changes, fs->n_changes, fs->cap_changes);
    fs->changes[fs->n_changes++] = ch;
    if (x->patch->changes[ch].eol)
        fs->eol = x->patch->changes[ch].eol;
    return (int)i;
}

/* Path checks and grouping: returns the file index of change ch, or -1. */
static int place_change(run_ctx *x, int ch)
{
    const ap_change *c = &x->patch->changes[ch];
    const ap_rules *rules = ap_rules_of(x->patch);
    bool op = rules->file_ops && is_path_op(c);
    char *norm = checked_path(x, ch, -1, &c->file_path, op, "file_path");
    if (!norm)
        return -1;
    size_t dropped = 0;
    char *orig = ap_xstrdup(norm);
    if (rules->file_ops)
        norm = drop_prefix(x, ch, norm, &c->file_path, &dropped);
    /* the folders dropped, with their '/' */
    size_t cut = 0;
    for (size_t k = 0; k < dropped; k++)
        cut += strcspn(orig + cut, "/") + 1;
    if (op) {
        const ap_mod *m = &c->mods[0];
        char *dest = NULL;
        if (m->action == AP_RENAME) {
            dest = checked_path(x, ch, 0, &m->dest, true, "new path");
            /* the prefix the source lost, the new path loses too */
            if (dest && cut && strncmp(dest, orig, cut) == 0)
                memmove(dest, dest + cut, strlen(dest + cut) + 1);
            if (!dest || !provider_allows(x, ch, 0, &m->dest, dest, "new path")) {
                free(dest);
                free(norm);
                free(orig);
                x->run->mods[ch][0].state = AP_MOD_FAILED;
                x->run->mods[ch][0].code = AP_INVALID_FILE_PATH;
                return -1;
            }
        }
        if (!provider_allows(x, ch, -1, &c->file_path, norm, "file_path")) {
            free(dest);
            free(norm);
            free(orig);
            return -1;
        }
        free(orig);
        int i = new_file(x, norm, ch);
        x->run->files[i].path_op = true;
        x->run->files[i].dest = dest;
        return i;
    }
    free(orig);
    /* "myproj/src/a.c" run in myproj: the project's folder named twice (3.2's
     * own prefix rules, above, go first) */
    char *rest = dropped ? NULL
                         : ap_drop_project_folder(x->fs, norm, c->n_mods > 0 && c->mods[0].action == AP_CREATE_FILE);
    if (rest) {
        ap_report_project_folder(x->run, x->patch, ch, norm, rest);
        free(norm);
        norm = rest;
    }
    uint32_t *slot = path_slot(x, norm);
    if (*slot) {
        free(norm);
        return join_group(x, *slot - 1, ch);
    }
    if (!provider_allows(x, ch, -1, &c->file_path, norm, "file_path")) {
        free(norm);
        return -1;
    }
    /* another spelling of a file already named (a symlinked folder, a hard
     * link): the same group, under the canonical path */
    char *canon = x->fs->canonical ? x->fs->canonical(x->fs, norm) : NULL;
    if (canon) {
        free(norm);
        norm = canon;
        slot = path_slot(x, norm);
        if (*slot) {
            free(norm);
            return join_group(x, *slot - 1, ch);
        }
    }
    int i = new_file(x, norm, ch);
    *slot = (uint32_t)i + 1;
    return i;
}

/* Reads file i, or reports why it cannot be. */
static bool load_file(run_ctx *x, size_t i)
{
    ap_run *run = x->run;
    ap_file *f = &run->files[i];
    file_state *fs = &x->fst[i];
    const ap_change *c = &x->patch->changes[f->first_change];
    bool creates = c->n_mods > 0 && c->mods[0].action == AP_CREATE_FILE;
    for (size_t md = 0; md < c->n_mods; md++)
        creates |= c->mods[md].action == AP_RECREATE;
    ap_text *t = NULL;
    char *why = NULL;
    ap_code code = x->fs->load(x->fs, f->path, &t, &why);
    if (code == AP_OK) {
        f->before = t;
        fs->exists = true;
        ap_view_init(&fs->view, t);
        free(why);
        return true;
    }
    if (code == AP_FILE_NOT_FOUND && creates) {
        ap_text *empty = ap_text_new("", 0);
        ap_view_init(&fs->view, empty);
        ap_text_release(empty);
        free(why);
        return true;
    }
    if (creates && ap_rules_of(x->patch)->file_ops && ap_kind_of(x->fs, f->path) == AP_PATH_DIR)
        ap_run_problem(run, AP_FILE_WRITE_ERROR, AP_ERROR, c->file_path.span, f->first_change, -1,
                "%s is a folder: %s cannot write a file there", f->path,
                ap_action_keyword(x->patch->format, c->mods[0].action));
    else if (code == AP_FILE_NOT_FOUND)
        ap_report_missing(x, f->first_change, f->path, why);
    else
        ap_run_problem(run, code, AP_ERROR, c->file_path.span, f->first_change, -1, "%s: %s", f->path,
                why ? why : "cannot be read");
    free(why);
    f->status = AP_FILE_FAILED;
    return false;
}

/* ---------------------------------------------------------- reusing */

/* A file group of the previous run whose inputs are byte for byte those of a
 * group of this run gives its results over instead of being resolved again:
 * the same target text (the same object: providers hand out one per content
 * version), the same options, and changes whose text is identical. Only the
 * patch positions move, by how far each change moved. */
typedef struct reuse_map {
    ap_run *prev;
    int *new_change_of;   /* prev change -> new change, or -1 */
    int *new_file_of;     /* prev file -> new file, or -1 */
    int64_t *shift;       /* prev change -> how far its text moved */
} reuse_map;

static int by_path_cmp(const void *a, const void *b)
{
    const ap_file *const *x = a, *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

/* What besides its text decides how a change resolves: whether it and each
 * of its modifications are well-formed (a YAML error elsewhere can cut a
 * change off without changing a byte of it). */
static uint64_t change_flags(const ap_change *c)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (c->ok + 1) ^ c->n_mods;
    for (size_t m = 0; m < c->n_mods; m++)
        h = (h * 0x100000001b3ull) ^ (uint64_t)(c->mods[m].ok + 2 * c->mods[m].action);
    return h;
}

/* (What this run's placing says about the group is no input: the placing
 * says it again each run and take_problems takes none of the previous
 * run's placing problems, so a group with such a problem is taken over too
 * and says it once. The problems said before this point but not while
 * placing, reading a file and operations on paths, belong to groups that
 * are never taken: not loaded.) */
static bool reusable(const run_ctx *x, size_t i, const ap_run *prev, const ap_file *pf)
{
    const ap_file *f = &x->run->files[i];
    const file_state *st = &x->fst[i];
    if (!pf->view || !f->before || f->before != pf->before || st->n_changes != pf->n_changes ||
        f->eol != pf->eol || x->run->opts.trailing_ws != prev->opts.trailing_ws ||
        x->run->opts.only_change >= 0 || prev->opts.only_change >= 0)
        return false;
    for (size_t k = 0; k < st->n_changes; k++) {
        const ap_change *c = &x->patch->changes[st->changes[k]];
        const ap_change *pc = &prev->patch->changes[pf->changes[k]];
        if (change_flags(c) != prev->flags_of[pf->changes[k]] ||
            c->span.end - c->span.start != pc->span.end - pc->span.start ||
            memcmp(x->patch->text + c->span.start, prev->patch->text + pc->span.start,
                   c->span.end - c->span.start) != 0)
            return false;
    }
    return true;
}

/* The new index of old change pch, among file i's changes (old ones in pf,
 * in the same order); unchanged when it is none of them (-1: original). */
static int renumbered(const file_state *st, const ap_file *pf, int pch)
{
    for (size_t k = 0; k < st->n_changes; k++)
        if (pf->changes[k] == pch)
            return st->changes[k];
    return pch;
}

/* Moves prev file pf's view and modification results into new file i. The
 * lines the view inserted and the regions the results name carry the index
 * of the change that wrote them: an edit that removed a change before this
 * file's moved the numbers. */
static void take_file(run_ctx *x, size_t i, reuse_map *rm, size_t pfi)
{
    ap_run *run = x->run, *prev = rm->prev;
    ap_file *pf = &prev->files[pfi];
    file_state *st = &x->fst[i];
    run->files[i].status = pf->status;
    ap_view_release(&st->view);
    st->view = *pf->view;
    free(pf->view);
    pf->view = NULL;
    for (uint32_t k = 0; k < st->view.nsp; k++)
        for (uint32_t j = 0; j < st->view.sp[k].n; j++) {
            ap_nline *nl = &st->view.sp[k].lines[j];
            nl->change = renumbered(st, pf, nl->change);
        }
    rm->new_file_of[pfi] = (int)i;
    for (size_t k = 0; k < st->n_changes; k++) {
        int ch = st->changes[k], pch = pf->changes[k];
        rm->new_change_of[pch] = ch;
        rm->shift[pch] = (int64_t)x->patch->changes[ch].span.start - prev->patch->changes[pch].span.start;
        for (size_t md = 0; md < x->patch->changes[ch].n_mods; md++) {
            ap_mod_result *r = &run->mods[ch][md], *pr = &prev->mods[pch][md];
            *r = *pr;
            if (r->file >= 0)
                r->file = (int)i;
            if (r->region.inserted_change >= 0)
                r->region.inserted_change = renumbered(st, pf, r->region.inserted_change);
            if (r->anchor.inserted_change >= 0)
                r->anchor.inserted_change = renumbered(st, pf, r->anchor.inserted_change);
            pr->before = pr->after = NULL;
        }
    }
}

/* Moves the problems of the groups taken, at their new places. */
static void take_problems(run_ctx *x, reuse_map *rm)
{
    ap_run *run = x->run, *prev = rm->prev;
    size_t np = prev->patch->n_changes;
    /* (not the placing's: a conflict between two paths is said again, or
     * not, by this run's placing, though one of the groups is taken over) */
    for (size_t i = 0; i < prev->n_problems; i++) {
        ap_problem *p = &prev->problems[i];
        if (p->placing || p->change < 0 || rm->new_change_of[p->change] < 0)
            continue;
        int64_t d = rm->shift[p->change];
        ap_problem *q = ap_problem_push(&run->problems, &run->n_problems);
        *q = *p;
        q->change = rm->new_change_of[p->change];
        q->span = shifted(p->span, d);
        for (size_t k = 0; k < q->n_related; k++) {
            if (q->related[k].file >= 0) {
                q->related[k].file = rm->new_file_of[q->related[k].file];
                /* lines a change inserted: its number moved as the results' did */
                int ic = q->related[k].where.inserted_change;
                if (ic >= 0 && (size_t)ic < np && rm->new_change_of[ic] >= 0)
                    q->related[k].where.inserted_change = rm->new_change_of[ic];
            } else
                q->related[k].span = shifted(q->related[k].span, d);
        }
        for (size_t k = 0; k < q->n_fixes; k++)
            q->fixes[k].span = shifted(q->fixes[k].span, d);
        if (q->severity == AP_ERROR)
            run->ok = false;
        /* the old run keeps an empty problem */
        p->message = NULL;
        p->related = NULL;
        p->n_related = 0;
        p->fixes = NULL;
        p->n_fixes = 0;
    }
}

/* Marks reused[i] = true for each file that takes the previous run's results. */
static void reuse_files(run_ctx *x, ap_run *prev, const bool *loaded, bool *reused)
{
    ap_run *run = x->run;
    reuse_map rm = {prev, NULL, NULL, NULL};
    size_t np = prev->patch->n_changes ? prev->patch->n_changes : 1;
    rm.new_change_of = ap_xmalloc(np * sizeof *rm.new_change_of);
    rm.shift = ap_xcalloc(np, sizeof *rm.shift);
    for (size_t k = 0; k < np; k++)
        rm.new_change_of[k] = -1;
    rm.new_file_of = ap_xmalloc((prev->n_files ? prev->n_files : 1) * sizeof *rm.new_file_of);
    ap_file **sorted = ap_xmalloc((prev->n_files ? prev->n_files : 1) * sizeof *sorted);
    for (size_t k = 0; k < prev->n_files; k++) {
        rm.new_file_of[k] = -1;
        sorted[k] = &prev->files[k];
    }
    qsort(sorted, prev->n_files, sizeof *sorted, by_path_cmp);
    bool any = false;
    for (size_t i = 0; i < run->n_files; i++) {
        if (!loaded[i])
            continue;
        ap_file key = {.path = run->files[i].path}, *kp = &key;
        ap_file **hit = bsearch(&kp, sorted, prev->n_files, sizeof *sorted, by_path_cmp);
        if (hit && reusable(x, i, prev, *hit)) {
            take_file(x, i, &rm, (size_t)(*hit - prev->files));
            reused[i] = any = true;
            run->n_reused++;
        }
    }
    if (any)
        take_problems(x, &rm);
    free(sorted);
    free(rm.new_change_of);
    free(rm.new_file_of);
    free(rm.shift);
}

ap_run *ap_run_new(const ap_patch *patch, ap_fs *fs, const ap_options *opts)
{
    return ap_run_reuse(patch, fs, opts, NULL);
}

ap_run *ap_run_reuse(const ap_patch *patch, ap_fs *fs, const ap_options *opts, ap_run *prev)
{
    ap_run *run = ap_xcalloc(1, sizeof *run);
    ap_options defaults = AP_OPTIONS_INIT;
    run->patch = patch;
    run->rules = ap_rules_of(patch);
    run->opts = opts ? *opts : defaults;
    run->ok = !patch->has_errors;
    run->mods = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->mods);
    run->n_changes = patch->n_changes;
    run->n_mods_of = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->n_mods_of);
    run->flags_of = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *run->flags_of);
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        run->n_mods_of[ch] = patch->changes[ch].n_mods;
        run->flags_of[ch] = change_flags(&patch->changes[ch]);
    }
    run_ctx x = {run, fs, patch, NULL, NULL, NULL, 0, NULL, NULL};
    const ap_rules *rules = ap_rules_of(patch);
    x.pats = ap_xcalloc(patch->n_changes ? patch->n_changes : 1, sizeof *x.pats);

    /* 1. paths, before anything is read */
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        const ap_change *c = &patch->changes[ch];
        run->mods[ch] = ap_xcalloc(c->n_mods ? c->n_mods : 1, sizeof **run->mods);
        for (size_t md = 0; md < c->n_mods; md++)
            run->mods[ch][md].file = -1;
        if (!c->ok || (run->opts.only_change >= 0 && run->opts.only_change != (int)ch))
            continue;
        if (stray_path_action(&x, (int)ch))
            continue;
        place_change(&x, (int)ch);
    }
    /* a file and a folder of one name ("x" and "x/y"); an operation on a
     * path and another change naming it */
    ap_paths_conflicts(run, patch);
    ap_path_conflicts(&x);
    for (size_t k = 0; k < run->n_problems; k++)
        run->problems[k].placing = true;
    /* 2. load each file once (an operation on a path reads nothing); one
     * group at a time: each right before it resolves, below */
    bool alone = run->opts.groups_alone;
    bool lazy = alone || run->opts.search_once;
    bool *loaded = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *loaded);
    for (size_t i = 0; i < run->n_files; i++) {
        if (!run->files[i].path_op) {
            if (!lazy)
                loaded[i] = load_file(&x, i);
        } else if (run->files[i].status != AP_FILE_FAILED) {
            ap_path_op(&x, (int)i);
        }
    }
    /* 3. resolve in order, file by file (or take the previous run's results) */
    bool *reused = ap_xcalloc(run->n_files ? run->n_files : 1, sizeof *reused);
    /* only between clean texts: a YAML error can cut a change off, and an
     * alias makes its meaning depend on text outside it */
    if (prev && !alone && patch->reparsable && prev->patch->reparsable && patch->format == prev->patch->format &&
        patch->context == prev->patch->context)
        reuse_files(&x, prev, loaded, reused);
    for (size_t i = 0; i < run->n_files; i++) {
        if (lazy && !run->files[i].path_op)
            loaded[i] = load_file(&x, i);
        if (!loaded[i] || reused[i])
            continue;
        file_state *st = &x.fst[i];
        for (size_t k = 0; k < st->n_changes; k++) {
            int ch = st->changes[k];
            const ap_change *c = &patch->changes[ch];
            x.pats[ch] = ap_xcalloc(c->n_mods ? c->n_mods : 1, sizeof **x.pats);
            for (size_t md = 0; md < c->n_mods; md++)
                if (c->mods[md].ok)
                    ap_pats_init(&x.pats[ch][md], &c->mods[md], ap_rules_of(patch));
        }
        /* applied as a whole, or modification by modification (a group
         * partly applied, or not at all) */
        ap_file *fi = &run->files[i];
        const char *whole = NULL;
        bool recorded = run->opts.known_applied && fi->before &&
                        run->opts.known_applied(run->opts.known_ctx, fi->path, fi->before);
        if (recorded)
            whole = "apls applied this patch to this file, and it is as apls left it";
        bool undecided = false;
        if (!recorded && ap_group_applied(&x, (int)i, &undecided))
            whole = undecided ? "the file is what this patch makes of it, and may be one never patched: "
                                "maybe already applied (the text cannot tell)"
                              : "the file is what this patch makes of it: already applied";
        /* said, never silent: a user holding these bytes unpatched wants
         * them changed (docs/engine.md, "Undecidable by the text") */
        if (whole && undecided && !run->opts.states_only)
            ap_run_problem(run, AP_ALREADY_APPLIED, AP_WARNING, patch->changes[fi->first_change].file_path.span,
                           fi->first_change, -1,
                           "%s may already be applied: it is what this patch makes of a file, and a file "
                           "never patched may hold it too (a content standing beside its own locator, a snippet "
                           "much like a line that stands, or the patch applying to it as it stands); the text "
                           "cannot tell which, so nothing is changed. If it was never patched, make the "
                           "locators tell (an anchor, or a snippet that the content does not repeat)",
                           fi->path);
        if (!whole && rules->sequential) {
            ap_sequence(&x, (int)i);
        } else {
            for (size_t k = 0; k < st->n_changes; k++) {
                int ch = st->changes[k];
                const ap_change *c = &patch->changes[ch];
                for (size_t md = 0; md < c->n_mods; md++) {
                    if (!ap_run_selected(&run->opts, ch, (int)md))
                        continue;
                    if (!c->mods[md].ok)
                        continue;
                    if (whole)
                        mark_applied(&x, (int)i, ch, (int)md, whole, recorded);
                    else
                        ap_run_mod(&x, (int)i, ch, (int)md, NULL, NULL, NULL, NULL);
                }
            }
        }
        if (rules->bracket_check && !run->opts.states_only && st->exists && st->view.changed)
            check_brackets(&x, (int)i);
        ap_file *f = &run->files[i];
        if (st->view.changed) {
            f->status = st->exists ? AP_FILE_MODIFIED : AP_FILE_CREATED;
            char *why = NULL;
            ap_code wc = st->exists && fs->writable ? fs->writable(fs, f->path, &why) : AP_OK;
            if (wc != AP_OK) {
                ap_span at = patch->changes[f->first_change].file_path.span;
                if (wc == AP_FILE_READ_ONLY || !why)
                    ap_run_problem(run, wc, AP_ERROR, at, f->first_change, -1,
                            "%s is read-only: apls will not change it", f->path);
                else
                    ap_run_problem(run, wc, AP_ERROR, at, f->first_change, -1, "%s", why);
                f->status = AP_FILE_FAILED;
            }
            free(why);
        }
        /* a text searched no more (one another run may search, shared by a
         * cache: more references than the file's and the view's, keeps
         * them; an unchanged text may be searched by the twice check) lets
         * its tables go, and its records wait packed until rendering */
        if (run->opts.search_once && !alone && st->view.changed && f->before && f->before->refs <= 2)
        {
            ap_text_pack_lines(f->before);
            /* the whole pages of the freed records and tables go back:
             * the next file's bytes do not fill their holes */
            ap_heap_release();
        }
        /* (one group at a time: its view and text go now, not with the run) */
        if (alone) {
            ap_view_release(&st->view);
            ap_text_release(f->before);
            f->before = NULL;
            loaded[i] = false;
        }
    }
    for (size_t ch = 0; ch < patch->n_changes; ch++) {
        if (!x.pats[ch])
            continue;
        for (size_t md = 0; md < patch->changes[ch].n_mods; md++)
            ap_pats_release(&x.pats[ch][md]);
        free(x.pats[ch]);
    }
    /* the views stay: rendering needs them */
    for (size_t i = 0; i < run->n_files; i++) {
        if (loaded[i]) {
            run->files[i].view = ap_xmalloc(sizeof(ap_view));
            *run->files[i].view = x.fst[i].view;
        }
        run->files[i].eol = x.fst[i].eol;
        run->files[i].changes = x.fst[i].changes;
        run->files[i].n_changes = x.fst[i].n_changes;
    }
    free(reused);
    free(x.by_path);
    ap_listing_free(x.listing);
    ap_kind_memo_free(x.kinds);
    free(loaded);
    free(x.fst);
    free(x.pats);
    ap_problems_sort(run->problems, run->n_problems);
    for (size_t i = 0; i < run->n_problems; i++)
        if (run->problems[i].severity == AP_ERROR)
            run->ok = false;
    /* a run that failed is read as it stands (--partial's hand-back reads
     * lines): its records are whole again; a run that succeeded is
     * rendered, which unpacks each file's */
    for (size_t i = 0; !run->ok && i < run->n_files; i++)
        if (run->files[i].before)
            ap_text_unpack_lines(run->files[i].before);
    return run;
}

void ap_run_free(ap_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        free(f->path);
        free(f->dest);
        ap_text_release(f->before);
        free(f->after);
        free(f->hunks);
        free(f->copied);
        free(f->diff);
        free(f->changes);
        if (f->view) {
            ap_view_release(f->view);
            free(f->view);
        }
    }
    free(run->files);
    for (size_t ch = 0; ch < run->n_changes; ch++) {
        for (size_t md = 0; md < run->n_mods_of[ch]; md++) {
            free(run->mods[ch][md].before);
            free(run->mods[ch][md].after);
        }
        free(run->mods[ch]);
    }
    free(run->n_mods_of);
    free(run->flags_of);
    free(run->mods);
    ap_problems_free(run->problems, run->n_problems);
    free(run);
}
