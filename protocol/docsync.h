/* docsync.h - textDocument/didOpen, didChange and didClose params applied to
 * a docstore.
 *
 * Each function checks the JSON types LSP prescribes and, on anything wrong,
 * changes nothing and leaves a message in lsp_docstore_error(): the server
 * logs it (notifications cannot be answered). In didChange, each entry of
 * contentChanges is applied in order by "range" when it has one, else as the
 * whole text; "rangeLength" is ignored (eglot counts it in Emacs characters). */
#ifndef APLS_LSP_DOCSYNC_H
#define APLS_LSP_DOCSYNC_H

#include "docstore.h"

#include <jansson.h>

/* Opens the document of didOpen params; returns it (owned by ds), or NULL on
 * bad params. Borrows params. */
lsp_doc *lsp_docstore_did_open(lsp_docstore *ds, const json_t *params);

/* Applies didChange params; returns the changed document (owned by ds), or
 * NULL on bad params, an unknown document or an invalid range, in which case
 * the document is unchanged. Borrows params. */
lsp_doc *lsp_docstore_did_change(lsp_docstore *ds, const json_t *params);

/* Closes the document of didClose params; returns 0, or -1 if the params are
 * bad or the document was not open. Borrows params. */
int lsp_docstore_did_close(lsp_docstore *ds, const json_t *params);

#endif
