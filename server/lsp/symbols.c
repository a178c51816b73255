/* symbols.c - the outline (document symbols), code lenses over each
 * modification, and go to definition from a snippet or anchor. */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"

#include <stdlib.h>
#include <string.h>

char *apls_path_op_summary(const apls_patch *p, int ch, int md, bool quote)
{
    const char *q = quote ? "'" : "";
    const ap_mod *m = &p->patch->changes[ch].mods[md];
    const ap_mod_result *r = &p->run->mods[ch][md];
    const ap_file *f = r->file >= 0 ? &p->run->files[r->file] : NULL;
    const char *path = f ? f->path : p->patch->changes[ch].file_path.is_string ? p->patch->changes[ch].file_path.value : "?";
    const char *done = r->state == AP_MOD_ALREADY_APPLIED ? " (already applied)" : "";
    /* the run knows what stood there; a path already renamed is gone */
    const char *what = f && f->kind == AP_PATH_DIR ? "folder" : f && f->kind == AP_PATH_FILE ? "file" : "path";
    switch (m->action) {
    case AP_RENAME:
        return lsp_xasprintf("%s%s%s → %s%s%s%s", q, path, q,
                             q, f && f->dest ? f->dest : m->dest.is_string ? m->dest.value : "?", q, done);
    case AP_DELETE_PATH:
        return lsp_xasprintf("deletes %s %s%s%s%s", what, q, path, q, done);
    case AP_CREATE_DIR:
        return lsp_xasprintf("creates folder %s%s%s%s", q, path, q, done);
    default:
        return NULL;
    }
}

char *apls_mod_summary(const apls_patch *p, int ch, int md)
{
    const ap_mod_result *r = &p->run->mods[ch][md];
    if (r->state == AP_MOD_FAILED)
        return lsp_xasprintf("does not resolve: %s", ap_code_name(r->code));
    if (r->state == AP_MOD_NOT_RUN)
        return lsp_xstrdup("not checked");
    char *op = apls_path_op_summary(p, ch, md, false);
    if (op)
        return op;
    const char *path = r->file >= 0 ? p->run->files[r->file].path : "?";
    if (!r->has_region)
        return lsp_xasprintf("in %s%s", path, r->state == AP_MOD_ALREADY_APPLIED ? " (already applied)" : "");
    const ap_tspan *t = &r->region;
    uint32_t a = t->line + 1, b = t->end_line > t->line ? t->end_line : t->line + 1;
    char *where = a == b ? lsp_xasprintf("%s:%u", path, a) : lsp_xasprintf("%s:%u-%u", path, a, b);
    char *s = lsp_xasprintf("%s%s%s", where,
                            t->inserted_change >= 0 ? " (in text an earlier modification inserted)" : "",
                            r->state == AP_MOD_ALREADY_APPLIED ? " (already applied)" : "");
    free(where);
    return s;
}

static apls_patch *patch_param(apls_server *s, lsp_endpoint *ep, json_t *id, json_t *params)
{
    const char *uri = json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
    if (!uri) {
        lsp_endpoint_reply_error(ep, id, -32602, "textDocument.uri is required");
        return NULL;
    }
    apls_patch *p = apls_patch_of(s, uri);
    if (!p) {
        lsp_endpoint_reply(ep, id, json_array());
        return NULL;
    }
    apls_patch_refresh(p);
    return p;
}

/* The first non-blank line of a field, at most 60 bytes. */
static char *first_line(const ap_field *f)
{
    if (!f->is_string)
        return lsp_xstrdup("");
    const char *s = f->value;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strcspn(s, "\r\n");
    if (n > 60)
        n = 60;
    return lsp_xmemdup(s, n);
}

void apls_on_document_symbol(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_patch *p = patch_param(data, ep, id, params);
    if (!p)
        return;
    json_t *out = json_array();
    for (size_t c = 0; c < p->patch->n_changes; c++) {
        const ap_change *ch = &p->patch->changes[c];
        json_t *kids = json_array();
        for (size_t m = 0; m < ch->n_mods; m++) {
            const ap_mod *mod = &ch->mods[m];
            const ap_field *f = mod->snippet.present ? &mod->snippet
                                : mod->start_snippet.present ? &mod->start_snippet
                                : mod->dest.present        ? &mod->dest
                                                             : &mod->content;
            char *line = first_line(f);
            /* named as the patch spells it (3.2: CREATE; RENAME → its new path) */
            const char *kw = mod->action ? ap_action_keyword(p->patch->format, mod->action) : "(no action)";
            char *name = lsp_xasprintf("%s%s%s", kw, mod->action == AP_RENAME ? " → " : *line ? " " : "", line);
            char *detail = apls_mod_summary(p, (int)c, (int)m);
            ap_span range = {mod->head.start, mod->span.end > mod->head.end ? mod->span.end : mod->head.end};
            json_array_append_new(kids, json_pack("{s:s,s:s,s:i,s:o,s:o}", "name", name, "detail", detail,
                                                  "kind", 6, "range", apls_patch_range(p, range),
                                                  "selectionRange", apls_patch_range(p, mod->head)));
            free(line);
            free(name);
            free(detail);
        }
        ap_span range = {ch->head.start, ch->span.end > ch->head.end ? ch->span.end : ch->head.end};
        json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:o,s:o,s:o}", "name",
                                             ch->file_path.is_string ? ch->file_path.value : "(no file_path)",
                                             "detail", p->patch->format == AP_FORMAT_3_2 ? "3.2 FILE" : "change",
                                             "kind", 1, "range",
                                             apls_patch_range(p, range), "selectionRange",
                                             apls_patch_range(p, ch->head), "children", kids));
    }
    lsp_endpoint_reply(ep, id, out);
}

void apls_on_code_lens(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_patch *p = patch_param(data, ep, id, params);
    if (!p)
        return;
    json_t *out = json_array();
    for (size_t c = 0; c < p->patch->n_changes; c++) {
        for (size_t m = 0; m < p->patch->changes[c].n_mods; m++) {
            const ap_mod_result *r = &p->run->mods[c][m];
            char *sum = apls_mod_summary(p, (int)c, (int)m);
            const char *mark = r->state == AP_MOD_APPLIES           ? "→"
                               : r->state == AP_MOD_ALREADY_APPLIED ? "✓"
                                                                    : "✗";
            char *title = lsp_xasprintf("%s %s", mark, sum);
            json_array_append_new(
                out, json_pack("{s:o,s:{s:s,s:s,s:[{s:s,s:i,s:i}]}}", "range",
                               apls_patch_range(p, p->patch->changes[c].mods[m].head), "command", "title", title,
                               "command", "apls.showTarget", "arguments", "uri", p->uri, "change", (int)c,
                               "modification", (int)m));
            free(title);
            free(sum);
        }
    }
    lsp_endpoint_reply(ep, id, out);
}

static bool in(ap_span s, uint32_t off)
{
    return off >= s.start && off <= s.end;
}

void apls_on_definition(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    lsp_position pos;
    if (!lsp_position_from_json(json_object_get(params, "position"), &pos)) {
        lsp_endpoint_reply_error(ep, id, -32602, "definition needs a position");
        return;
    }
    apls_patch *p = patch_param(s, ep, id, params);
    if (!p)
        return;
    uint32_t off = apls_patch_offset(p, pos);
    int ch, md;
    apls_patch_locate(p, off, &ch, &md);
    json_t *out = json_array();
    if (ch >= 0 && md >= 0) {
        const ap_mod *m = &p->patch->changes[ch].mods[md];
        const ap_mod_result *r = &p->run->mods[ch][md];
        bool on_anchor = m->anchor.present && (in(m->anchor.span, off) || in(m->anchor.key, off));
        json_t *loc = NULL;
        if (on_anchor && r->has_anchor)
            loc = apls_target_location(p, r->file, r->anchor);
        else if (!on_anchor && r->has_region)
            loc = apls_target_location(p, r->file, r->region);
        if (loc)
            json_array_append_new(out, loc);
        /* an ambiguous one: every match */
        for (size_t i = 0; !loc && i < p->run->n_problems; i++) {
            const ap_problem *pr = &p->run->problems[i];
            if (pr->change != ch || pr->mod != md || !in(pr->span, off))
                continue;
            for (size_t k = 0; k < pr->n_related; k++) {
                json_t *l = apls_target_location(p, pr->related[k].file, pr->related[k].where);
                if (l)
                    json_array_append_new(out, l);
            }
        }
    }
    lsp_endpoint_reply(ep, id, out);
}
