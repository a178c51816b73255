/* docsync.c - didOpen/didChange/didClose params -> docstore. */
#include "docsync.h"

#include "alloc.h"
#include "lsptypes.h"

#include <stdlib.h>

/* The textDocument.uri string of params, or NULL; borrowed from params. */
static const char *doc_uri(const json_t *params)
{
    const json_t *td = json_object_get(params, "textDocument");
    const json_t *uri = json_object_get(td, "uri");
    return json_is_string(uri) ? json_string_value(uri) : NULL;
}

lsp_doc *lsp_docstore_did_open(lsp_docstore *ds, const json_t *params)
{
    const json_t *td = json_object_get(params, "textDocument");
    const char *uri = doc_uri(params);
    const json_t *lang = json_object_get(td, "languageId");
    const json_t *version = json_object_get(td, "version");
    const json_t *text = json_object_get(td, "text");
    if (!uri || !json_is_integer(version) || !json_is_string(text)) {
        lsp_docstore_set_error(ds, "didOpen: textDocument needs a string \"uri\", an "
                                   "integer \"version\" and a string \"text\"");
        return NULL;
    }
    return lsp_docstore_open(ds, uri, json_is_string(lang) ? json_string_value(lang) : "",
                             json_integer_value(version), json_string_value(text),
                             json_string_length(text));
}

lsp_doc *lsp_docstore_did_change(lsp_docstore *ds, const json_t *params)
{
    const json_t *td = json_object_get(params, "textDocument");
    const char *uri = doc_uri(params);
    const json_t *version = json_object_get(td, "version");
    const json_t *changes = json_object_get(params, "contentChanges");
    if (!uri || !json_is_integer(version) || !json_is_array(changes)) {
        lsp_docstore_set_error(ds, "didChange: needs textDocument.uri, an integer "
                                   "textDocument.version and a contentChanges array");
        return NULL;
    }
    lsp_doc *doc = lsp_docstore_find_uri(ds, uri);
    if (!doc) {
        lsp_docstore_set_error(ds, "didChange: \"%s\" is not open", uri);
        return NULL;
    }
    size_t n = json_array_size(changes);
    lsp_change *list = lsp_xcalloc(n, sizeof *list);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(changes, i);
        const json_t *text = json_object_get(c, "text");
        const json_t *range = json_object_get(c, "range");
        if (!json_is_string(text)) {
            lsp_docstore_set_error(ds, "didChange: contentChanges[%zu] has no string \"text\"",
                                   i);
            goto out_free;
        }
        list[i].text = json_string_value(text);
        list[i].len = json_string_length(text);
        if (range && !json_is_null(range)) {
            if (!lsp_range_from_json(range, &list[i].range)) {
                lsp_docstore_set_error(ds, "didChange: contentChanges[%zu].range is not a Range",
                                       i);
                goto out_free;
            }
            list[i].has_range = true;
        }
    }
    if (lsp_docstore_change(ds, doc, json_integer_value(version), list, n) < 0)
        goto out_free;
    free(list);
    return doc;

out_free:
    free(list);
    return NULL;
}

int lsp_docstore_did_close(lsp_docstore *ds, const json_t *params)
{
    const char *uri = doc_uri(params);
    if (!uri)
        return lsp_docstore_set_error(ds, "didClose: textDocument.uri must be a string");
    return lsp_docstore_close(ds, uri);
}
