/* actions.c - code actions and the commands behind them.
 *
 * Every action carries its edit (eglot has no codeAction/resolve). Apply
 * actions are computed on a run of just what they apply; one that cannot
 * apply is offered disabled with the reason (or, to a client that does not
 * show disabled actions, as a command that explains why). */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"

#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    apls_patch *p;
    json_t *only;     /* context.only, or NULL */
    json_t *out;
    bool explained;   /* an "(unavailable)" entry is in the menu already */
} ctx;

static bool wanted(const ctx *c, const char *kind)
{
    if (!c->only || !json_is_array(c->only) || json_array_size(c->only) == 0)
        return true;
    size_t i;
    json_t *k;
    json_array_foreach(c->only, i, k) {
        const char *want = json_string_value(k);
        size_t n = want ? strlen(want) : 0;
        if (want && strncmp(kind, want, n) == 0 && (kind[n] == '\0' || kind[n] == '.'))
            return true;
    }
    return false;
}

static json_t *command(const char *title, const char *name, json_t *arg)
{
    return json_pack("{s:s,s:s,s:[o]}", "title", title, "command", name, "arguments", arg);
}

static void add_disabled(ctx *c, const char *title, const char *kind, const char *why)
{
    apls_server *s = c->p->srv;
    if (s->client.disabled_actions) {
        json_array_append_new(c->out, json_pack("{s:s,s:s,s:{s:o}}", "title", title, "kind", kind,
                                                "disabled", "reason", apls_json_text(why)));
    } else if (!c->explained) {
        /* a client that cannot grey an action out gets one entry that says
         * why (the first: the whole patch's reason covers the others), not
         * a menu of entries that do nothing */
        c->explained = true;
        char *t = lsp_xasprintf("%s (unavailable)", title);
        json_array_append_new(c->out, json_pack("{s:s,s:s,s:o}", "title", t, "kind", kind, "command",
                                                command(t, "apls.explain", apls_json_text(why))));
        free(t);
    }
}

static void add_apply(ctx *c, const char *title, const char *kind, int ch, int md)
{
    if (!wanted(c, kind))
        return;
    apls_patch *p = c->p;
    ap_run *run = p->run;
    if (ch >= 0) {
        ap_options o = AP_OPTIONS_INIT;
        o.trailing_ws = p->srv->set.trailing_ws;
        o.only_change = ch;
        o.only_mod = md;
        o.root_why = p->root_why;
        run = ap_run_new(p->patch, p->fs, &o);
    }
    char *why = NULL;
    json_t *creates = NULL;
    json_t *edit = apls_workspace_edit(p, run, &why, &creates);
    if (edit && json_array_size(json_object_get(edit, "documentChanges")) == 0 && !creates) {
        json_decref(edit);
        edit = NULL;
        why = lsp_xstrdup("already applied: nothing to change");
    }
    if (edit) {
        json_t *a = json_pack("{s:s,s:s,s:o}", "title", title, "kind", kind, "edit", edit);
        if (ch < 0)
            json_object_set_new(a, "isPreferred", json_true());
        if (creates)
            json_object_set_new(a, "command", command("Create the new files", "apls.createFiles", creates));
        json_array_append_new(c->out, a);
    } else {
        add_disabled(c, title, kind, why ? why : "it does not resolve");
    }
    free(why);
    if (run != p->run)
        ap_run_free(run);
}

/* An action with its edit (and the command that makes what the client
 * cannot), or disabled with why. */
static void offer(ctx *c, const char *title, const char *kind, json_t *edit, json_t *creates, const char *why)
{
    if (!edit) {
        json_decref(creates);
        add_disabled(c, title, kind, why ? why : "it does not resolve");
        return;
    }
    json_t *a = json_pack("{s:s,s:s,s:o}", "title", title, "kind", kind, "edit", edit);
    if (creates)
        json_object_set_new(a, "command", command("Create the new files", "apls.createFiles", creates));
    json_array_append_new(c->out, a);
}

/* 3.2 --strict as an action: the text parsed strictly and run again. */
static void add_strict(ctx *c)
{
    const char *kind = "source.applyPatch.strict";
    apls_patch *p = c->p;
    if (!wanted(c, kind) || p->patch->format != AP_FORMAT_3_2)
        return;
    ap_patch *sp = ap_patch_parse_opts(p->patch->text, p->patch->len, AP_PARSE_STRICT);
    ap_options o = AP_OPTIONS_INIT;
    o.trailing_ws = p->srv->set.trailing_ws;
    o.root_why = p->root_why;
    ap_run *run = ap_run_new(sp, p->fs, &o);
    char *why = NULL, *reason = NULL;
    json_t *creates = NULL;
    json_t *edit = apls_workspace_edit(p, run, &why, &creates);
    if (edit && json_array_size(json_object_get(edit, "documentChanges")) == 0 && !creates) {
        json_decref(edit);
        edit = NULL;
        reason = lsp_xstrdup("already applied: nothing to change");
    } else if (!edit) {
        reason = lsp_xasprintf("strict mode refuses it: %s", why ? why : "it does not resolve");
    }
    offer(c, "Apply patch (strict)", kind, edit, creates, reason);
    free(why);
    free(reason);
    ap_run_free(run);
    ap_patch_free(sp);
}

/* <patch without .ap>.failed.<ext> */
static char *beside(const char *path, const char *ext)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".ap") == 0)
        n -= 3;
    return lsp_xasprintf("%.*s.failed.%s", (int)n, path, ext);
}

/* --partial as an action: what resolves is applied, and the failing
 * modifications are handed back beside the patch, as apply --partial does. */
static void add_partial(ctx *c)
{
    const char *kind = "source.applyPatch.partial";
    apls_patch *p = c->p;
    const ap_run *r = p->run;
    if (!wanted(c, kind) || r->ok || ap_handback_fatal(p->patch))
        return;
    size_t total = 0, applies = 0;
    for (size_t ch = 0; ch < p->patch->n_changes; ch++)
        for (size_t m = 0; m < p->patch->changes[ch].n_mods; m++) {
            total++;
            applies += r->mods[ch][m].state == AP_MOD_APPLIES &&
                       (r->mods[ch][m].file < 0 || r->files[r->mods[ch][m].file].status != AP_FILE_FAILED);
        }
    if (applies == 0)
        return;
    char *why = NULL;
    json_t *creates = NULL;
    json_t *edit = apls_workspace_edit_opts(p, p->run, true, &why, &creates);
    if (edit && p->path) {
        char *fap = beside(p->path, "ap"), *fmd = beside(p->path, "md");
        size_t n = 0;
        char *text = ap_handback_patch(p->run, &n);
        apls_edit_put_file(p, edit, &creates, fap, text, n);
        free(text);
        /* named as they sit, side by side (as `apls apply --partial fix.ap` run there names them) */
        const char *slash = strrchr(fap, '/'), *pslash = strrchr(p->path, '/');
        text = ap_handback_report(p->run, pslash ? pslash + 1 : p->path, slash ? slash + 1 : fap, &n);
        apls_edit_put_file(p, edit, &creates, fmd, text, n);
        free(text);
        free(fap);
        free(fmd);
    }
    char *title = lsp_xasprintf("Apply what resolves (%zu of %zu modifications%s)", applies, total,
                                p->path ? "; the rest handed back" : "");
    offer(c, title, kind, edit, creates, why);
    free(title);
    free(why);
}

static bool overlaps(ap_span s, uint32_t a, uint32_t b)
{
    return s.start <= b && a <= s.end;
}

static void add_fixes(ctx *c, const ap_problem *list, size_t n, uint32_t a, uint32_t b)
{
    if (!wanted(c, "quickfix"))
        return;
    for (size_t i = 0; i < n; i++) {
        const ap_problem *pr = &list[i];
        if (!pr->n_fixes || !overlaps(pr->span, a, b))
            continue;
        json_t *diag = json_pack("{s:o,s:s,s:s,s:o}", "range", apls_patch_range(c->p, pr->span), "code",
                                 ap_code_name(pr->code), "source", "apls", "message", apls_json_text(pr->message));
        for (size_t k = 0; k < pr->n_fixes; k++) {
            const ap_fix *f = &pr->fixes[k];
            json_t *a2 = json_pack("{s:o,s:s,s:[O],s:o}", "title", apls_json_text(f->title), "kind", "quickfix",
                                   "diagnostics", diag, "edit", apls_patch_edit(c->p, f->span, f->text));
            if (!a2) /* its text is not UTF-8 (target bytes): no client could apply it */
                continue;
            /* only a fix the engine checked is safe to take blindly */
            if (f->preferred)
                json_object_set_new(a2, "isPreferred", json_true());
            json_array_append_new(c->out, a2);
        }
        json_decref(diag);
    }
}

static bool failing(const ap_mod_result *r)
{
    return r->state == AP_MOD_FAILED;
}

static void add_keep_failing(ctx *c)
{
    const char *kind = "refactor.rewrite.keepFailing";
    if (!wanted(c, kind))
        return;
    apls_patch *p = c->p;
    size_t failed = 0, total = 0;
    for (size_t ch = 0; ch < p->patch->n_changes; ch++)
        for (size_t m = 0; m < p->patch->changes[ch].n_mods; m++) {
            total++;
            failed += failing(&p->run->mods[ch][m]);
        }
    if (failed == 0 || failed == total)
        return;
    char *text = ap_patch_keep(p->patch, p->run, failing);
    if (!text)
        return;
    char *title = lsp_xasprintf("Keep only the %zu failing modification%s (to hand back)", failed,
                                failed == 1 ? "" : "s");
    ap_span all = {0, (uint32_t)p->patch->len};
    json_array_append_new(c->out, json_pack("{s:s,s:s,s:o}", "title", title, "kind", kind, "edit",
                                            apls_patch_edit(p, all, text)));
    free(title);
    free(text);
}

static void add_show_target(ctx *c, int ch, int md)
{
    if (!wanted(c, "source.showTarget"))
        return;
    const ap_mod_result *r = &c->p->run->mods[ch][md];
    if (!r->has_region)
        return;
    char *where = apls_mod_summary(c->p, ch, md);
    char *title = lsp_xasprintf("Show where it lands: %s", where);
    json_array_append_new(c->out,
                          json_pack("{s:s,s:s,s:o}", "title", title, "kind", "source.showTarget", "command",
                                    command(title, "apls.showTarget",
                                            json_pack("{s:s,s:i,s:i}", "uri", c->p->uri, "change", ch,
                                                      "modification", md))));
    free(title);
    free(where);
}

void apls_on_code_action(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
    lsp_range range;
    if (!uri || !lsp_range_from_json(json_object_get(params, "range"), &range)) {
        lsp_endpoint_reply_error(ep, id, -32602, "codeAction needs textDocument.uri and range");
        return;
    }
    apls_patch *p = apls_patch_of(s, uri);
    if (!p) {
        lsp_endpoint_reply(ep, id, json_array());
        return;
    }
    ctx c = {p, json_object_get(json_object_get(params, "context"), "only"), json_array(), false};
    /* an edit is built only on targets just checked against the disk */
    if (wanted(&c, "source.applyPatch"))
        apls_patch_verify(p);
    else
        apls_patch_refresh(p);
    uint32_t a = apls_patch_offset(p, range.start), b = apls_patch_offset(p, range.end);
    int ch, md;
    apls_patch_locate(p, a, &ch, &md);

    add_apply(&c, "Apply patch", "source.applyPatch", -1, -1);
    add_strict(&c);
    add_partial(&c);
    if (ch >= 0 && p->patch->changes[ch].file_path.is_string) {
        char *t = lsp_xasprintf("Apply the changes to %s", p->patch->changes[ch].file_path.value);
        add_apply(&c, t, "source.applyPatch.change", ch, -1);
        free(t);
    }
    if (ch >= 0 && md >= 0) {
        ap_action act = p->patch->changes[ch].mods[md].action;
        char *t = act != AP_ACTION_NONE ? lsp_xasprintf("Apply modification %d (%s)", md + 1,
                                                        ap_action_keyword(p->patch->format, act))
                                        : lsp_xasprintf("Apply modification %d", md + 1);
        add_apply(&c, t, "source.applyPatch.modification", ch, md);
        free(t);
        add_show_target(&c, ch, md);
    }
    add_fixes(&c, p->patch->problems, p->patch->n_problems, a, b);
    add_fixes(&c, p->run->problems, p->run->n_problems, a, b);
    add_keep_failing(&c);
    /* one preferred action per menu: a quick fix the engine checked wins over
     * "Apply patch" (a client's "apply the preferred fix" takes the fix) */
    size_t i;
    json_t *act;
    bool fix_preferred = false;
    json_array_foreach(c.out, i, act) fix_preferred |= json_is_true(json_object_get(act, "isPreferred")) &&
                                                      !strcmp(json_string_value(json_object_get(act, "kind")), "quickfix");
    if (fix_preferred)
        json_array_foreach(c.out, i, act) if (strcmp(json_string_value(json_object_get(act, "kind")), "quickfix"))
            json_object_del(act, "isPreferred");
    lsp_endpoint_reply(ep, id, c.out);
}

/* ------------------------------------------------------------ commands */

typedef struct apply_ctx {
    apls_server *s;
    json_t *id;
    json_t *creates;
} apply_ctx;

static void applied(lsp_endpoint *ep, json_t *result, json_t *error, void *data)
{
    apply_ctx *ac = data;
    bool ok = !error && json_is_true(json_object_get(result, "applied"));
    char *why = NULL;
    if (ok && ac->creates && apls_create_files(ac->s, ac->creates, &why) != 0)
        ok = false;
    if (ok)
        lsp_endpoint_reply(ep, ac->id, json_true());
    else
        lsp_endpoint_reply_error(ep, ac->id, -32803, "the client did not apply the edit%s%s",
                                 why ? ": " : "", why ? why : "");
    free(why);
    json_decref(ac->id);
    json_decref(ac->creates);
    free(ac);
}

static void show_message(apls_server *s, int type, const char *msg)
{
    lsp_endpoint_notify(s->ep, "window/showMessage",
                        json_pack("{s:i,s:o}", "type", type, "message", apls_json_text(msg)));
}

static void show_target(apls_server *s, json_t *arg)
{
    const char *uri = json_string_value(json_object_get(arg, "uri"));
    apls_patch *p = uri ? apls_patch_of(s, uri) : NULL;
    if (!p)
        return;
    apls_patch_refresh(p);
    int ch = (int)json_integer_value(json_object_get(arg, "change"));
    int md = (int)json_integer_value(json_object_get(arg, "modification"));
    if (ch < 0 || (size_t)ch >= p->patch->n_changes || md < 0 ||
        (size_t)md >= p->patch->changes[ch].n_mods)
        return;
    const ap_mod_result *r = &p->run->mods[ch][md];
    json_t *loc = r->has_region ? apls_target_location(p, r->file, r->region) : NULL;
    if (loc && s->client.show_document) {
        lsp_endpoint_request(s->ep, "window/showDocument",
                             json_pack("{s:O,s:b,s:O}", "uri", json_object_get(loc, "uri"), "takeFocus",
                                       1, "selection", json_object_get(loc, "range")),
                             NULL, NULL);
    } else {
        char *where = apls_mod_summary(p, ch, md);
        show_message(s, 3, where);
        free(where);
    }
    json_decref(loc);
}

void apls_on_execute_command(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    const char *cmd = json_string_value(json_object_get(params, "command"));
    json_t *args = json_object_get(params, "arguments");
    json_t *arg = json_array_get(args, 0);
    if (!cmd) {
        lsp_endpoint_reply_error(ep, id, -32602, "executeCommand needs a command");
        return;
    }
    if (strcmp(cmd, "apls.createFiles") == 0) {
        char *why = NULL;
        if (!json_is_array(arg)) {
            lsp_endpoint_reply_error(ep, id, -32602, "apls.createFiles takes a list of files");
        } else if (apls_create_files(s, arg, &why) != 0) {
            show_message(s, 1, why);
            lsp_endpoint_reply_error(ep, id, -32803, "%s", why);
        } else {
            lsp_endpoint_reply(ep, id, json_null());
        }
        free(why);
    } else if (strcmp(cmd, "apls.explain") == 0) {
        show_message(s, 2, json_is_string(arg) ? json_string_value(arg) : "unavailable");
        lsp_endpoint_reply(ep, id, json_null());
    } else if (strcmp(cmd, "apls.showTarget") == 0) {
        show_target(s, arg);
        lsp_endpoint_reply(ep, id, json_null());
    } else if (strcmp(cmd, "apls.applyPatch") == 0) {
        const char *uri = json_is_string(arg) ? json_string_value(arg)
                                              : json_string_value(json_object_get(arg, "uri"));
        apls_patch *p = uri ? apls_patch_of(s, uri) : NULL;
        if (!p) {
            lsp_endpoint_reply_error(ep, id, -32602, "apls.applyPatch: no open patch %s", uri ? uri : "");
            return;
        }
        apls_patch_verify(p);
        char *why = NULL;
        json_t *creates = NULL;
        json_t *edit = apls_workspace_edit(p, p->run, &why, &creates);
        if (!edit) {
            show_message(s, 2, why);
            lsp_endpoint_reply_error(ep, id, -32803, "%s", why);
            free(why);
            return;
        }
        apply_ctx *ac = lsp_xcalloc(1, sizeof *ac);
        ac->s = s;
        ac->id = json_incref(id);
        ac->creates = creates;
        lsp_endpoint_request(ep, "workspace/applyEdit", json_pack("{s:s,s:o}", "label", "Apply patch", "edit", edit),
                             applied, ac);
    } else {
        lsp_endpoint_reply_error(ep, id, -32602, "unknown command '%s'", cmd);
    }
}
