/* edits.c - a rendered run as a WorkspaceEdit the client can apply.
 *
 * Hunks become line edits against the very text the engine read, so the
 * client ends with exactly the bytes apls apply writes. An open target's
 * edit carries the version the server saw (the client refuses a stale one);
 * a target that is not open carries null, its text having come from disk.
 * New files: CreateFile where the client can, else the files travel in an
 * apls.createFiles command the server runs after the edit (Neovim 0.7 and
 * eglot 1.9 have no usable CreateFile). */
#include "server.h"

#include "alloc.h"
#include "lsptypes.h"
#include "uri.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

/* Where line `line` of t starts; past the last line, (line count, 0), which
 * every client clamps to the end of the text. (Neovim 0.7 keeps a stray
 * empty line when told the end of a last line that has no line break.) */
static lsp_position line_pos(const ap_text *t, uint32_t line)
{
    uint32_t n = ap_text_line_count(t);
    return (lsp_position){line < n ? line : n, 0};
}

/* s[0..n) with every line break as \n (malloc'd, *out bytes). A lone CR is
 * a line break only in a file that breaks at CR; in an LF file it is content
 * (the engine splits lines so) and stays. */
static char *to_lf(const char *s, size_t n, bool cr_breaks, size_t *out)
{
    char *d = lsp_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            d[k++] = '\n';
            i++;
        } else if (s[i] == '\r' && cr_breaks) {
            d[k++] = '\n';
        } else {
            d[k++] = s[i];
        }
    }
    *out = k;
    return d;
}

/* The hunks of f as TextEdits; NULL when a hunk's text is not UTF-8 (a JSON
 * string cannot carry it, and no editor could insert it). Editors hold a
 * buffer as lines and write each with the file's own ending, so line breaks
 * travel as \n (eglot would write a \r\n of newText as \r\r\n); raw keeps
 * the bytes, for a patch that gives an LF file other endings. */
static json_t *text_edits(const ap_file *f, bool raw)
{
    json_t *edits = json_array();
    bool cr_breaks = f->before ? ap_text_eol(f->before) == AP_EOL_CR
                               : !memchr(f->after, '\n', f->after_len) && memchr(f->after, '\r', f->after_len);
    for (size_t h = 0; h < f->n_hunks; h++) {
        const ap_hunk *hk = &f->hunks[h];
        size_t n = hk->out_len;
        char *lf = raw ? NULL : to_lf(f->after + hk->out, hk->out_len, cr_breaks, &n);
        json_t *text = json_stringn(lf ? lf : f->after + hk->out, n);
        free(lf);
        if (!text) {
            json_decref(edits);
            return NULL;
        }
        lsp_range r = {line_pos(f->before, hk->line), line_pos(f->before, hk->end_line)};
        json_array_append_new(edits, json_pack("{s:o,s:o}", "range", lsp_range_to_json(r), "newText", text));
    }
    return edits;
}

static bool utf8_ok(const char *b, size_t n)
{
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if ((k = lsp_utf8_decode(b + i, n - i, &cp)) == 0)
            return false;
    return true;
}

static json_t *doc_id(const char *uri, const lsp_doc *doc)
{
    return json_pack("{s:s,s:o}", "uri", uri, "version",
                     doc ? json_integer((json_int_t)doc->version) : json_null());
}

/* A 3.2 operation on a path (file f of the run) as a resource operation of
 * the edit, appended to ops; a folder to make goes to the apls.createFiles
 * entries (LSP has no operation for it). False with *why when the client
 * cannot do it: the server never renames or deletes behind an editor's back
 * (an open buffer would keep the old path). */
static bool path_op(apls_patch *p, const ap_file *f, json_t *ops, json_t *fallback, char **why)
{
    apls_server *s = p->srv;
    const char *folder = f->kind == AP_PATH_DIR ? "folder" : "file";
    if (f->status == AP_FILE_DIR_CREATED) {
        char *abs = lsp_xasprintf("%s/%s", p->root, f->path);
        json_array_append_new(fallback, json_pack("{s:s,s:s,s:s,s:b}", "path", abs, "root", p->root, "file",
                                                  f->path, "folder", 1));
        free(abs);
        return true;
    }
    bool rename = f->status == AP_FILE_RENAMED;
    if (rename ? !s->client.rename_files : !s->client.delete_files) {
        *why = lsp_xasprintf("%s: this editor cannot %s a %s through an edit (its "
                             "workspace.workspaceEdit.resourceOperations lacks \"%s\"); use apls apply",
                             f->path, rename ? "rename" : "delete", folder, rename ? "rename" : "delete");
        return false;
    }
    char *abs = lsp_xasprintf("%s/%s", p->root, f->path);
    char *uri = lsp_path_to_uri(abs);
    char *abs2 = rename ? lsp_xasprintf("%s/%s", p->root, f->dest) : NULL;
    char *uri2 = abs2 ? lsp_path_to_uri(abs2) : NULL;
    bool ok = uri && (!rename || uri2);
    if (!ok)
        *why = lsp_xasprintf("%s: cannot name it as a file: URI", rename && uri ? f->dest : f->path);
    else if (rename)
        json_array_append_new(ops, json_pack("{s:s,s:s,s:s,s:{s:b,s:b}}", "kind", "rename", "oldUri", uri,
                                             "newUri", uri2, "options", "overwrite", 0, "ignoreIfExists", 0));
    else
        json_array_append_new(ops, json_pack("{s:s,s:s,s:{s:b,s:b}}", "kind", "delete", "uri", uri, "options",
                                             "recursive", f->kind == AP_PATH_DIR, "ignoreIfNotExists", 0));
    free(abs);
    free(uri);
    free(abs2);
    free(uri2);
    return ok;
}

json_t *apls_workspace_edit(apls_patch *p, ap_run *run, char **why, json_t **creates)
{
    return apls_workspace_edit_opts(p, run, false, why, creates);
}

json_t *apls_workspace_edit_opts(apls_patch *p, ap_run *run, bool partial, char **why, json_t **creates)
{
    apls_server *s = p->srv;
    const ap_patch *pt = run->patch; /* (a strict action's run has its own) */
    *creates = NULL;
    if (!run->ok && !partial) {
        size_t failed = 0;
        const char *first = NULL;
        for (size_t i = 0; i < pt->n_problems; i++)
            if (pt->problems[i].severity == AP_ERROR && failed++ == 0)
                first = pt->problems[i].message;
        for (size_t i = 0; i < run->n_problems; i++)
            if (run->problems[i].severity == AP_ERROR && failed++ == 0)
                first = run->problems[i].message;
        *why = lsp_xasprintf("%zu problem%s must be fixed first: %s", failed, failed == 1 ? "" : "s",
                             first ? first : "");
        return NULL;
    }
    json_t *changes = json_array();
    json_t *fallback = json_array();
    json_t *ops = json_array(); /* 3.2 operations on paths: after the text edits */
    for (size_t i = 0; i < run->n_files; i++) {
        ap_file *f = &run->files[i];
        if (f->status == AP_FILE_RENAMED || f->status == AP_FILE_DELETED || f->status == AP_FILE_DIR_CREATED) {
            if (!path_op(p, f, ops, fallback, why)) {
                json_decref(changes);
                json_decref(fallback);
                json_decref(ops);
                return NULL;
            }
            continue;
        }
        ap_run_render(run, i);
        if (f->status != AP_FILE_MODIFIED && f->status != AP_FILE_CREATED)
            continue;
        char *abs = lsp_xasprintf("%s/%s", p->root, f->path);
        char *uri = lsp_path_to_uri(abs);
        const lsp_doc *doc = lsp_docstore_find_path(s->docs, abs);
        if (!uri) {
            *why = lsp_xasprintf("%s: cannot name it as a file: URI", f->path);
            goto refuse;
        }
        if (f->status == AP_FILE_MODIFIED) {
            /* never edit text the server did not see */
            if (doc && (doc->len != ap_text_len(f->before) ||
                        memcmp(doc->text, ap_text_bytes(f->before), doc->len) != 0)) {
                *why = lsp_xasprintf("%s changed since it was checked; try again", f->path);
                goto refuse;
            }
            /* a patch may give an LF file other endings (the bytes travel as
             * they are); an editor cannot turn a CRLF or CR buffer into
             * another kind through edits */
            ap_eol from = ap_text_eol(f->before) ? ap_text_eol(f->before) : AP_EOL_LF;
            ap_eol to = f->eol ? f->eol : from;
            if (to != from && from != AP_EOL_LF) {
                *why = lsp_xasprintf("%s: the patch changes its line endings from %s to %s, which an "
                                     "editor cannot do by editing text; use apls apply",
                                     f->path, from == AP_EOL_CRLF ? "CRLF" : "CR",
                                     to == AP_EOL_LF ? "LF" : to == AP_EOL_CRLF ? "CRLF" : "CR");
                goto refuse;
            }
            json_t *edits = text_edits(f, to != from);
            if (!edits)
                goto not_utf8;
            json_array_append_new(changes, json_pack("{s:o,s:o}", "textDocument",
                                                     doc_id(doc ? doc->uri : uri, doc), "edits", edits));
        } else if (!utf8_ok(f->after, f->after_len)) {
            goto not_utf8;
        } else if (s->client.create_files && !memchr(f->after, '\r', f->after_len)) {
            /* (a new file with CR endings is written by the server: an editor
             * gives a new buffer its own default endings) */
            json_array_append_new(changes, json_pack("{s:s,s:s,s:{s:b,s:b}}", "kind", "create", "uri",
                                                     uri, "options", "overwrite", 0,
                                                     "ignoreIfExists", 0));
            json_array_append_new(
                changes, json_pack("{s:o,s:[{s:o,s:o}]}", "textDocument", doc_id(uri, NULL), "edits",
                                   "range", lsp_range_to_json((lsp_range){{0, 0}, {0, 0}}), "newText",
                                   json_stringn(f->after, f->after_len)));
        } else {
            json_array_append_new(fallback, json_pack("{s:s,s:s,s:s,s:o}", "path", abs, "root", p->root,
                                                      "file", f->path, "content",
                                                      json_stringn(f->after, f->after_len)));
        }
        free(uri);
        free(abs);
        continue;
    not_utf8:
        *why = lsp_xasprintf("%s: the text it changes is not valid UTF-8, which an editor cannot edit; "
                             "use apls apply", f->path);
    refuse:
        free(uri);
        free(abs);
        json_decref(changes);
        json_decref(fallback);
        json_decref(ops);
        return NULL;
    }
    json_array_extend(changes, ops);
    json_decref(ops);
    if (json_array_size(fallback))
        *creates = fallback;
    else
        json_decref(fallback);
    return json_pack("{s:o}", "documentChanges", changes);
}

json_t *apls_patch_edit(const apls_patch *p, ap_span span, const char *text)
{
    const lsp_doc *doc = lsp_docstore_find_uri(p->srv->docs, p->uri);
    return json_pack("{s:[{s:o,s:[{s:o,s:s}]}]}", "documentChanges", "textDocument",
                     doc_id(p->uri, doc), "edits", "range", apls_patch_range(p, span), "newText",
                     text);
}

int apls_create_files(apls_server *s, json_t *files, char **why)
{
    (void)s;
    size_t n = json_array_size(files), i;
    ap_new_file *nf = lsp_xcalloc(n ? n : 1, sizeof *nf);
    const char *root = NULL;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        const char *r = json_string_value(json_object_get(f, "root"));
        const char *file = json_string_value(json_object_get(f, "file"));
        json_t *content = json_object_get(f, "content");
        bool folder = json_is_true(json_object_get(f, "folder"));
        if (!r || !file) {
            /* only an absolute path: below "/" */
            r = "/";
            file = path && path[0] == '/' ? path + strspn(path, "/") : NULL;
        }
        if (!file || (!folder && !json_is_string(content))) {
            *why = lsp_xstrdup("apls.createFiles: each file needs an absolute path (or a root and a "
                               "file) and content");
            free(nf);
            return -1;
        }
        if (root && strcmp(root, r) != 0) {
            *why = lsp_xstrdup("apls.createFiles: the files must share one root");
            free(nf);
            return -1;
        }
        root = r;
        nf[i] = folder ? (ap_new_file){file, NULL, 0}
                       : (ap_new_file){file, json_string_value(content), json_string_length(content)};
    }
    if (n == 0) {
        free(nf);
        return 0;
    }
    /* the engine's transaction, as apls apply writes */
    ap_fs *disk = ap_fs_disk_new(root);
    char *e = NULL;
    ap_code rc = ap_disk_create(disk, nf, n, &e);
    ap_fs_disk_free(disk);
    free(nf);
    if (rc != AP_OK) {
        *why = lsp_xasprintf("cannot create the files: %s", e ? e : ap_code_name(rc));
        free(e);
        return -1;
    }
    return 0;
}

void apls_edit_put_file(apls_patch *p, json_t *edit, json_t **creates, const char *abs, const char *bytes,
                        size_t len)
{
    apls_server *s = p->srv;
    json_t *dc = json_object_get(edit, "documentChanges");
    char *uri = lsp_path_to_uri(abs);
    json_t *text = json_stringn(bytes, len);
    if (!uri || !text || !json_is_array(dc)) {
        free(uri);
        json_decref(text);
        return;
    }
    const lsp_doc *doc = lsp_docstore_find_path(s->docs, abs);
    FILE *f = doc ? NULL : fopen(abs, "rb");
    if (doc || f) {
        /* there already (a stale hand-back): its whole text replaced */
        ap_text *old = NULL;
        if (doc) {
            old = ap_text_new(doc->text, doc->len);
        } else {
            char *buf = NULL;
            size_t n = 0, cap = 0, got;
            do {
                if (n == cap)
                    buf = lsp_xrealloc(buf, cap = cap ? 2 * cap : 4096);
                got = fread(buf + n, 1, cap - n, f);
                n += got;
            } while (got > 0);
            fclose(f);
            old = ap_text_new(buf ? buf : "", n);
            free(buf);
        }
        lsp_range r = {{0, 0}, line_pos(old, ap_text_line_count(old))};
        ap_text_release(old);
        json_array_append_new(dc, json_pack("{s:o,s:[{s:o,s:o}]}", "textDocument", doc_id(doc ? doc->uri : uri, doc),
                                            "edits", "range", lsp_range_to_json(r), "newText", text));
    } else if (s->client.create_files && !memchr(bytes, '\r', len)) {
        json_array_append_new(dc, json_pack("{s:s,s:s,s:{s:b,s:b}}", "kind", "create", "uri", uri, "options",
                                            "overwrite", 0, "ignoreIfExists", 0));
        json_array_append_new(dc, json_pack("{s:o,s:[{s:o,s:o}]}", "textDocument", doc_id(uri, NULL), "edits",
                                            "range", lsp_range_to_json((lsp_range){{0, 0}, {0, 0}}), "newText",
                                            text));
    } else {
        /* written by the server, under the patch's root when it lies there */
        size_t rn = strlen(p->root);
        bool under = strncmp(abs, p->root, rn) == 0 && abs[rn] == '/';
        char *dir = lsp_xstrdup(abs);
        char *slash = strrchr(dir, '/');
        *slash = '\0';
        if (!*creates)
            *creates = json_array();
        json_array_append_new(*creates, json_pack("{s:s,s:s,s:s,s:o}", "path", abs, "root", under ? p->root : dir,
                                                  "file", under ? abs + rn + 1 : slash + 1, "content", text));
        free(dir);
    }
    free(uri);
}
