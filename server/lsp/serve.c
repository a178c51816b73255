/* serve.c - apls as a language server: state, capabilities, settings and
 * the handlers of the document lifecycle. */
#include "server.h"

#include "alloc.h"
#include "docsync.h"
#include "lsptypes.h"
#include "uri.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEBOUNCE_MS 50

static const char *const commands[] = {"apls.applyPatch", "apls.createFiles", "apls.explain",
                                       "apls.showTarget"};

bool apls_is_patch(const lsp_doc *doc)
{
    size_t n = strlen(doc->uri);
    return (doc->language_id && strcmp(doc->language_id, "ap") == 0) ||
           (n > 3 && strcmp(doc->uri + n - 3, ".ap") == 0);
}

apls_patch *apls_patch_of(apls_server *s, const char *uri)
{
    const lsp_doc *doc = lsp_docstore_find_uri(s->docs, uri);
    if (!doc)
        return NULL;
    /* by the document (its path), whatever spelling the patch was opened with */
    for (size_t i = 0; i < s->n_patches; i++)
        if (lsp_docstore_find_uri(s->docs, s->patches[i]->uri) == doc)
            return s->patches[i];
    return NULL;
}

/* The patch was opened again under another spelling of its URI: the old
 * spelling's diagnostics are cleared, and the new one gets them. */
static void respell(apls_patch *p, const char *uri)
{
    if (strcmp(p->uri, uri) == 0)
        return;
    lsp_endpoint_notify_latest(p->srv->ep, "textDocument/publishDiagnostics", p->uri,
                               json_pack("{s:s,s:[]}", "uri", p->uri, "diagnostics"));
    free(p->uri);
    p->uri = lsp_xstrdup(uri);
    free(p->published);
    p->published = NULL;
    apls_diag_cache_free(p->diags); /* related places in the patch carry its URI */
    p->diags = NULL;
}

static json_t *dig(json_t *j, const char *a, const char *b, const char *c)
{
    j = json_object_get(j, a);
    if (b)
        j = json_object_get(j, b);
    if (c)
        j = json_object_get(j, c);
    return j;
}

static bool array_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/* Whether a client's hover contentFormat asks for markdown: the first of
 * "markdown" and "plaintext" it lists wins (the list is in the client's order
 * of preference); none listed means plain text. */
static bool prefers_markdown(json_t *formats)
{
    size_t i;
    json_t *v;
    json_array_foreach(formats, i, v) {
        const char *f = json_string_value(v);
        if (f && strcmp(f, "markdown") == 0)
            return true;
        if (f && strcmp(f, "plaintext") == 0)
            return false;
    }
    return false;
}

/* A folder's path without trailing slashes (Emacs writes "/proj/"): paths
 * are compared and joined as strings, "/proj//a.c" is not "/proj/a.c". */
static char *folder_path(char *path)
{
    size_t n = path ? strlen(path) : 0;
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    return path;
}

/* Reads settings from an object (initializationOptions, a configuration
 * result, or didChangeConfiguration's "apls" section). */
static void read_settings(apls_server *s, json_t *o)
{
    if (!json_is_object(o))
        return;
    json_t *v;
    if ((v = json_object_get(o, "root")) && (json_is_string(v) || json_is_null(v))) {
        free(s->set.root);
        s->set.root = json_is_string(v) && json_string_length(v) ? folder_path(lsp_xstrdup(json_string_value(v)))
                                                                 : NULL;
    }
    if ((v = json_object_get(o, "debounceMs")) && json_is_integer(v) && json_integer_value(v) >= 0)
        s->set.debounce_ms = (unsigned)(json_integer_value(v) > 10000 ? 10000 : json_integer_value(v));
    if ((v = json_object_get(o, "analysisReport")) && json_is_boolean(v))
        s->set.report = json_is_true(v);
    if ((v = json_object_get(o, "trailingWhitespace")) && json_is_string(v))
        s->set.trailing_ws = strcmp(json_string_value(v), "inserted") == 0 ? AP_WS_INSERTED : AP_WS_ALL;
    lsp_log_level lvl;
    if ((v = json_object_get(o, "logLevel")) && json_is_string(v) && lsp_log_level_parse(json_string_value(v), &lvl))
        lsp_log_set_level(lvl);
}

static void recheck_all(apls_server *s)
{
    for (size_t i = 0; i < s->n_patches; i++) {
        s->patches[i]->version = -1;
        s->patches[i]->rechoose_root = true;
        apls_patch_schedule(s->patches[i]);
    }
}

static void add_folder(apls_server *s, const char *uri)
{
    char *path = folder_path(uri ? lsp_uri_to_path(uri) : NULL);
    if (!path)
        return;
    s->folders = lsp_xrealloc(s->folders, (s->n_folders + 1) * sizeof *s->folders);
    s->folders[s->n_folders++] = path;
}

static void on_initialize(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    apls_server *s = data;
    json_t *caps = json_object_get(params, "capabilities");
    s->client.markdown = prefers_markdown(dig(caps, "textDocument", "hover", "contentFormat"));
    s->client.create_files = json_is_true(dig(caps, "workspace", "workspaceEdit", "documentChanges")) &&
                             array_has(dig(caps, "workspace", "workspaceEdit", "resourceOperations"), "create");
    s->client.rename_files = json_is_true(dig(caps, "workspace", "workspaceEdit", "documentChanges")) &&
                             array_has(dig(caps, "workspace", "workspaceEdit", "resourceOperations"), "rename");
    s->client.delete_files = json_is_true(dig(caps, "workspace", "workspaceEdit", "documentChanges")) &&
                             array_has(dig(caps, "workspace", "workspaceEdit", "resourceOperations"), "delete");
    s->client.watch_dynamic = json_is_true(dig(caps, "workspace", "didChangeWatchedFiles", "dynamicRegistration"));
    s->client.configuration = json_is_true(dig(caps, "workspace", "configuration", NULL));
    s->client.show_document = json_is_true(dig(caps, "window", "showDocument", "support"));
    s->client.disabled_actions = json_is_true(dig(caps, "textDocument", "codeAction", "disabledSupport"));
    read_settings(s, json_object_get(params, "initializationOptions"));

    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(params, "workspaceFolders"), i, f)
        add_folder(s, json_string_value(json_object_get(f, "uri")));
    if (s->n_folders == 0)
        add_folder(s, json_string_value(json_object_get(params, "rootUri")));
    if (s->n_folders == 0 && json_is_string(json_object_get(params, "rootPath")))
        s->folders = lsp_xcalloc(1, sizeof *s->folders),
        s->folders[s->n_folders++] = folder_path(lsp_xstrdup(json_string_value(json_object_get(params, "rootPath"))));

    json_t *forced = dig(params, "initializationOptions", "positionEncoding", NULL);
    lsp_encoding enc;
    if (json_is_string(forced) && lsp_encoding_parse(json_string_value(forced), &enc))
        s->enc = enc;
    else
        s->enc = lsp_encoding_negotiate(params);
    lsp_docstore_set_encoding(s->docs, s->enc);

    json_t *cmds = json_array();
    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
        json_array_append_new(cmds, json_string(commands[k]));
    json_t *result = json_pack(
        "{s:{s:s,s:{s:b,s:i,s:{s:b}},s:b,s:{s:[s,s,s,s],s:b},s:b,s:b,s:{s:b},s:{s:[s,s],s:b},"
        "s:{s:o},s:{s:{s:b,s:b}}},s:{s:s,s:s}}",
        "capabilities", "positionEncoding", lsp_encoding_name(s->enc), "textDocumentSync", "openClose", 1,
        "change", 2, "save", "includeText", 0, "hoverProvider", 1, "codeActionProvider", "codeActionKinds",
        "quickfix", "source.applyPatch", "refactor.rewrite", "source.showTarget", "resolveProvider", 0,
        "definitionProvider", 1, "documentSymbolProvider", 1, "codeLensProvider", "resolveProvider", 0,
        "completionProvider", "triggerCharacters", ":", " ", "resolveProvider", 0, "executeCommandProvider",
        "commands", cmds, "workspace", "workspaceFolders", "supported", 1, "changeNotifications", 1,
        "serverInfo", "name", "apls", "version", APLS_VERSION);
    lsp_log(LSP_LOG_INFO, "initialized: %s positions, %zu folder(s)", lsp_encoding_name(s->enc), s->n_folders);
    lsp_endpoint_reply(ep, id, result);
}

static void configuration_answered(lsp_endpoint *ep, json_t *result, json_t *error, void *data)
{
    (void)ep;
    apls_server *s = data;
    if (!error && json_is_array(result)) {
        read_settings(s, json_array_get(result, 0));
        recheck_all(s);
    }
}

static void on_initialized(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)params;
    apls_server *s = data;
    if (s->client.watch_dynamic)
        lsp_endpoint_request(ep, "client/registerCapability",
                             json_pack("{s:[{s:s,s:s,s:{s:[{s:s}]}}]}", "registrations", "id", "apls-watch",
                                       "method", "workspace/didChangeWatchedFiles", "registerOptions",
                                       "watchers", "globPattern", "**/*"),
                             NULL, NULL);
    if (s->client.configuration)
        lsp_endpoint_request(ep, "workspace/configuration",
                             json_pack("{s:[{s:s}]}", "items", "section", "apls"), configuration_answered, s);
}

static void on_did_open(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    apls_server *s = data;
    lsp_doc *doc = lsp_docstore_did_open(s->docs, params);
    if (!doc) {
        lsp_log(LSP_LOG_WARN, "didOpen: %s", lsp_docstore_error(s->docs));
        return;
    }
    if (apls_is_patch(doc)) {
        apls_patch *p = apls_patch_of(s, doc->uri);
        if (p)
            respell(p, doc->uri);
        else
            p = apls_patch_open(s, doc);
        p->rep.deferred = true; /* the publication reports the analysis */
        apls_patch_refresh(p); /* at once: the user just opened it */
        p->rep.deferred = false;
        apls_publish(p);
    } else if (doc->path) {
        apls_dependents_changed(s, doc->path);
    }
}

static void on_did_change(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    apls_server *s = data;
    lsp_doc *doc = lsp_docstore_did_change(s->docs, params);
    if (!doc) {
        lsp_log(LSP_LOG_WARN, "didChange: %s", lsp_docstore_error(s->docs));
        return;
    }
    apls_patch *p = apls_is_patch(doc) ? apls_patch_of(s, doc->uri) : NULL;
    if (p)
        apls_patch_schedule(p);
    else if (doc->path)
        apls_dependents_changed(s, doc->path);
}

static void on_did_close(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    apls_server *s = data;
    const char *uri = json_string_value(dig(params, "textDocument", "uri", NULL));
    const lsp_doc *doc = uri ? lsp_docstore_find_uri(s->docs, uri) : NULL;
    if (!doc)
        return;
    apls_patch *p = apls_patch_of(s, uri);
    char *path = doc->path ? lsp_xstrdup(doc->path) : NULL;
    if (p)
        apls_patch_close(p);
    lsp_docstore_did_close(s->docs, params);
    if (path && !p)
        apls_dependents_changed(s, path); /* the disk takes over */
    free(path);
}

static void on_did_save(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    (void)params;
    (void)data;
    /* the buffer was already what the server used; nothing changes */
}

static void on_did_change_configuration(lsp_endpoint *ep, json_t *params, void *data)
{
    apls_server *s = data;
    json_t *settings = json_object_get(params, "settings");
    json_t *mine = json_object_get(settings, "apls");
    read_settings(s, mine ? mine : settings);
    if (s->client.configuration)
        lsp_endpoint_request(ep, "workspace/configuration",
                             json_pack("{s:[{s:s}]}", "items", "section", "apls"), configuration_answered, s);
    else
        recheck_all(s);
}

static void on_did_change_folders(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)ep;
    apls_server *s = data;
    size_t i;
    json_t *f;
    json_array_foreach(dig(params, "event", "removed", NULL), i, f) {
        char *path = folder_path(lsp_uri_to_path(json_string_value(json_object_get(f, "uri")) ?: ""));
        for (size_t k = 0; path && k < s->n_folders; k++) {
            if (strcmp(s->folders[k], path) == 0) {
                free(s->folders[k]);
                s->folders[k] = s->folders[--s->n_folders];
                break;
            }
        }
        free(path);
    }
    json_array_foreach(dig(params, "event", "added", NULL), i, f)
        add_folder(s, json_string_value(json_object_get(f, "uri")));
    recheck_all(s);
}

static void on_exit_hook(lsp_endpoint *ep, int code, void *data)
{
    (void)ep;
    (void)code;
    apls_server *s = data;
    while (s->n_patches)
        apls_patch_close(s->patches[s->n_patches - 1]);
    apls_watch_close(s);
}

static int usage(FILE *out)
{
    fputs("usage: apls [--stdio] [--log-level error|warn|info|debug|trace]\n", out);
    return out == stderr ? 2 : 0;
}

int apls_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        lsp_log_level lvl;
        if (strcmp(argv[i], "--stdio") == 0)
            continue;
        if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc && lsp_log_level_parse(argv[i + 1], &lvl)) {
            lsp_log_set_level(lvl);
            i++;
            continue;
        }
        if (strncmp(argv[i], "--log-level=", 12) == 0 && lsp_log_level_parse(argv[i] + 12, &lvl)) {
            lsp_log_set_level(lvl);
            continue;
        }
        fprintf(stderr, "apls: unknown argument '%s'\n", argv[i]);
        return usage(stderr);
    }
    /* A keystroke allocates and frees a few large blocks (the patch text, line
     * tables); keep them in the heap instead of mapping fresh zeroed pages for
     * each one, which cost more than the analysis itself. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    uv_loop_t loop;
    uv_loop_init(&loop);
    apls_server s;
    memset(&s, 0, sizeof s);
    s.loop = &loop;
    s.enc = LSP_ENC_UTF16;
    s.set.debounce_ms = DEFAULT_DEBOUNCE_MS;
    s.ep = lsp_endpoint_new(&loop);
    s.docs = lsp_docstore_new();
    apls_watch_init(&s);

    lsp_endpoint *ep = s.ep;
    lsp_endpoint_on_request(ep, "initialize", on_initialize, &s);
    lsp_endpoint_on_notification(ep, "initialized", on_initialized, &s);
    lsp_endpoint_on_notification(ep, "textDocument/didOpen", on_did_open, &s);
    lsp_endpoint_on_notification(ep, "textDocument/didChange", on_did_change, &s);
    lsp_endpoint_on_notification(ep, "textDocument/didClose", on_did_close, &s);
    lsp_endpoint_on_notification(ep, "textDocument/didSave", on_did_save, &s);
    lsp_endpoint_on_notification(ep, "workspace/didChangeConfiguration", on_did_change_configuration, &s);
    lsp_endpoint_on_notification(ep, "workspace/didChangeWatchedFiles", apls_on_watched_files, &s);
    lsp_endpoint_on_notification(ep, "workspace/didChangeWorkspaceFolders", on_did_change_folders, &s);
    lsp_endpoint_on_request(ep, "textDocument/hover", apls_on_hover, &s);
    lsp_endpoint_on_request(ep, "textDocument/codeAction", apls_on_code_action, &s);
    lsp_endpoint_on_request(ep, "textDocument/definition", apls_on_definition, &s);
    lsp_endpoint_on_request(ep, "textDocument/documentSymbol", apls_on_document_symbol, &s);
    lsp_endpoint_on_request(ep, "textDocument/codeLens", apls_on_code_lens, &s);
    lsp_endpoint_on_request(ep, "textDocument/completion", apls_on_completion, &s);
    lsp_endpoint_on_request(ep, "workspace/executeCommand", apls_on_execute_command, &s);
    lsp_endpoint_hooks hooks = {NULL, on_exit_hook, NULL, &s};
    lsp_endpoint_set_hooks(ep, &hooks);

    if (lsp_endpoint_start(ep, 0, 1) != 0)
        lsp_log(LSP_LOG_ERROR, "cannot serve on stdin/stdout");
    uv_run(&loop, UV_RUN_DEFAULT);
    int code = lsp_endpoint_exit_code(ep);
    lsp_endpoint_free(ep);
    lsp_docstore_free(s.docs);
    apls_cache_free(&s);
    for (size_t i = 0; i < s.n_folders; i++)
        free(s.folders[i]);
    free(s.folders);
    free(s.patches);
    free(s.set.root);
    if (uv_loop_close(&loop) != 0)
        lsp_log(LSP_LOG_WARN, "the event loop closed with handles still open");
    return code;
}
