/* docstore.h - the documents the client has open.
 *
 * Each document is keyed by its decoded path (or, for a non-file: URI, by the
 * URI itself), so two spellings of one file URI are one document; it keeps the
 * exact URI string the client used in didOpen, its text bytes, version,
 * languageId and a line index that is always in step with the text.
 *
 * Edits (lsp_docstore_change) are applied in order: a change with a range
 * replaces that range, located in the store's position encoding; a change
 * without one replaces the whole text. They are atomic: if one is invalid (its
 * end before its start), none is applied, the version does not move, and
 * lsp_docstore_error() says why. rangeLength has no place here on purpose:
 * eglot counts it in Emacs characters; the range alone is exact. */
#ifndef APLS_LSP_DOCSTORE_H
#define APLS_LSP_DOCSTORE_H

#include "position.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One open document. The store owns it and every field; callers read only. */
typedef struct lsp_doc {
    char *uri;         /* the URI as the client spelled it in didOpen */
    char *path;        /* the decoded absolute path; NULL for a non-file URI */
    char *key;         /* path, or uri for a non-file URI: the identity */
    char *language_id; /* as given in didOpen */
    int64_t version;   /* the version of the last open or change */
    uint64_t stamp;    /* new at every open and change, never reused in the store:
                          tells texts apart where versions repeat (a document
                          closed and opened again from version 1) */
    char *text;        /* the bytes, NUL-terminated (may hold NULs: use len) */
    size_t len;        /* bytes of text */
    lsp_lines lines;   /* index over text, rebuilt after each change */
} lsp_doc;

/* One entry of a didChange: a range edit when has_range, else a full text. */
typedef struct lsp_change {
    bool has_range;
    lsp_range range;  /* in the store's encoding */
    const char *text; /* borrowed: the new text */
    size_t len;
} lsp_change;

typedef struct lsp_docstore lsp_docstore;

/* A new, empty store using UTF-16 positions; the caller frees it with
 * lsp_docstore_free. */
lsp_docstore *lsp_docstore_new(void);

/* Frees the store and every document in it. */
void lsp_docstore_free(lsp_docstore *ds);

/* Sets the position encoding used by later changes (the negotiated one); no
 * memory changes hands. */
void lsp_docstore_set_encoding(lsp_docstore *ds, lsp_encoding enc);

/* The encoding changes are read in; no memory changes hands. */
lsp_encoding lsp_docstore_encoding(const lsp_docstore *ds);

/* Opens (or, if already open, replaces) the document of uri with a copy of
 * text[0..len); returns it, owned by the store until it is closed. */
lsp_doc *lsp_docstore_open(lsp_docstore *ds, const char *uri, const char *language_id,
                           int64_t version, const char *text, size_t len);

/* Applies n changes to doc in order and sets its version; returns 0, or -1
 * with nothing changed and a message in lsp_docstore_error(). Borrows
 * changes; doc stays owned by the store (its text pointer may move). */
int lsp_docstore_change(lsp_docstore *ds, lsp_doc *doc, int64_t version,
                        const lsp_change *changes, size_t n);

/* Closes and frees the document of uri (any spelling); returns 0, or -1 with
 * a message if it was not open. Pointers to that document become invalid. */
int lsp_docstore_close(lsp_docstore *ds, const char *uri);

/* The document of uri, in any spelling, or NULL; owned by the store. */
lsp_doc *lsp_docstore_find_uri(const lsp_docstore *ds, const char *uri);

/* The document whose decoded path is path, or NULL; owned by the store. */
lsp_doc *lsp_docstore_find_path(const lsp_docstore *ds, const char *path);

/* Number of open documents; borrows ds. */
size_t lsp_docstore_count(const lsp_docstore *ds);

/* The i-th document in key order (i < count), owned by the store; indexes
 * shift when documents are opened or closed. */
lsp_doc *lsp_docstore_at(const lsp_docstore *ds, size_t i);

/* Records a failure message for lsp_docstore_error (for layers built on the
 * store, like docsync); returns -1 so callers can "return" it. */
int lsp_docstore_set_error(lsp_docstore *ds, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The message of the last failed call, owned by the store until its next
 * call ("" if none failed yet). */
const char *lsp_docstore_error(const lsp_docstore *ds);

#endif
