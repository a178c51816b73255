/* diagnostics.c - an analysis as textDocument/publishDiagnostics.
 *
 * Every problem of the parse and of the run, on the patch text at fault;
 * related places in the target files; a hint tagged Unnecessary over each
 * modification recognised as applied. Sent only when different from what
 * the client already has. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"
#include "uri.h"

#include "utf8.h"

#include <stdlib.h>
#include <string.h>

json_t *apls_json_text(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    size_t n;
    char *ok = lsp_utf8_sanitize(s, strlen(s), &n);
    j = json_stringn(ok, n);
    free(ok);
    return j ? j : json_string("");
}

static json_t *related(const apls_patch *p, const ap_problem *pr)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < pr->n_related; i++) {
        const ap_related *r = &pr->related[i];
        json_t *loc = r->file >= 0 ? apls_target_location(p, r->file, r->where)
                                   : json_pack("{s:s,s:o}", "uri", p->uri, "range",
                                               apls_patch_range(p, r->span));
        if (!loc)
            continue;
        json_array_append_new(arr, json_pack("{s:o,s:o}", "location", loc, "message", apls_json_text(r->message)));
    }
    return arr;
}

static json_t *diagnostic(const apls_patch *p, const ap_problem *pr)
{
    json_t *d = json_pack("{s:o,s:i,s:s,s:s,s:o}", "range", apls_patch_range(p, pr->span), "severity",
                          (int)pr->severity, "code", ap_code_name(pr->code), "source", "apls",
                          "message", apls_json_text(pr->message));
    if (pr->n_related)
        json_object_set_new(d, "relatedInformation", related(p, pr));
    return d;
}

static json_t *build(const apls_patch *p)
{
    json_t *arr = json_array();
    const ap_patch *pt = p->patch;
    const ap_run *run = p->run;
    /* the parse's and the run's problems, merged in text order */
    size_t i = 0, j = 0;
    while (i < pt->n_problems || j < run->n_problems) {
        if (j >= run->n_problems ||
            (i < pt->n_problems && pt->problems[i].span.start <= run->problems[j].span.start))
            json_array_append_new(arr, diagnostic(p, &pt->problems[i++]));
        else
            json_array_append_new(arr, diagnostic(p, &run->problems[j++]));
    }
    for (size_t c = 0; c < pt->n_changes; c++) {
        for (size_t m = 0; m < pt->changes[c].n_mods; m++) {
            const ap_mod_result *r = &run->mods[c][m];
            if (r->state != AP_MOD_ALREADY_APPLIED)
                continue;
            const ap_mod *mod = &pt->changes[c].mods[m];
            ap_span sp = {mod->head.start, mod->span.end};
            json_t *d = json_pack("{s:o,s:i,s:s,s:s,s:s,s:[i]}", "range", apls_patch_range(p, sp),
                                  "severity", 4, "code", "ALREADY_APPLIED", "source", "apls",
                                  "message", "", "tags", 1);
            char *msg = lsp_xasprintf("%s already applied: %s", ap_action_keyword(pt->format, mod->action),
                                      r->why ? r->why : "nothing to change");
            json_object_set_new(d, "message", apls_json_text(msg));
            free(msg);
            json_array_append_new(arr, d);
        }
    }
    return arr;
}

void apls_publish(apls_patch *p)
{
    if (!p->patch || !p->run)
        return;
    apls_report *r = &p->rep;
    bool timed = r->unsent && r->timed;
    uint64_t t0 = timed ? apls_cpu_ns() : 0, t1 = 0, t2 = 0;
    apls_publish_status(p);
    json_t *diags = build(p);
    if (timed)
        t1 = apls_cpu_ns();
    char *text = json_dumps(diags, JSON_COMPACT);
    if (timed)
        t2 = apls_cpu_ns();
    r->diagnostics = json_array_size(diags);
    if (p->published && strcmp(p->published, text) == 0) {
        free(text);
        json_decref(diags);
    } else {
        free(p->published);
        p->published = text;
        /* per document, the latest replaces one the client has not read yet */
        lsp_endpoint_notify_latest(p->srv->ep, "textDocument/publishDiagnostics", p->uri,
                                   json_pack("{s:s,s:I,s:o}", "uri", p->uri, "version",
                                             (json_int_t)p->version, "diagnostics", diags));
        r->published = r->unsent;
    }
    if (timed) {
        r->build_us = (t1 - t0) / 1000;
        r->dump_us = (t2 - t1) / 1000;
        r->send_us = (apls_cpu_ns() - t2) / 1000;
    }
    if (!r->deferred)
        apls_report_send(p);
}
