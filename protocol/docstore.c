/* docstore.c - the open documents, a sorted array of pointers by key. */
#include "docstore.h"

#include "alloc.h"
#include "uri.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lsp_docstore {
    lsp_doc **docs;   /* owned, sorted by key */
    size_t count, cap;
    lsp_encoding enc; /* how change ranges count characters */
    uint64_t stamps;  /* the last stamp given */
    char error[256];  /* message of the last failure */
};

int lsp_docstore_set_error(lsp_docstore *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ds->error, sizeof ds->error, fmt, ap);
    va_end(ap);
    return -1;
}

lsp_docstore *lsp_docstore_new(void)
{
    lsp_docstore *ds = lsp_xcalloc(1, sizeof *ds);
    ds->enc = LSP_ENC_UTF16;
    return ds;
}

/* Frees doc and everything it owns. */
static void doc_free(lsp_doc *doc)
{
    lsp_lines_release(&doc->lines);
    free(doc->uri);
    free(doc->path);
    free(doc->key);
    free(doc->language_id);
    free(doc->text);
    free(doc);
}

void lsp_docstore_free(lsp_docstore *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->count; i++)
        doc_free(ds->docs[i]);
    free(ds->docs);
    free(ds);
}

void lsp_docstore_set_encoding(lsp_docstore *ds, lsp_encoding enc)
{
    ds->enc = enc;
}

lsp_encoding lsp_docstore_encoding(const lsp_docstore *ds)
{
    return ds->enc;
}

/* The key of uri (its path, or the URI for a non-file URI); caller frees. */
static char *key_of_uri(const char *uri)
{
    char *path = lsp_uri_to_path(uri);
    return path ? path : lsp_xstrdup(uri);
}

/* Binary search: stores the index of key (or where it would go) in *at and
 * returns whether it is there. */
static bool find_key(const lsp_docstore *ds, const char *key, size_t *at)
{
    size_t lo = 0, hi = ds->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ds->docs[mid]->key, key);
        if (c == 0) {
            *at = mid;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return false;
}

lsp_doc *lsp_docstore_open(lsp_docstore *ds, const char *uri, const char *language_id,
                           int64_t version, const char *text, size_t len)
{
    char *key = key_of_uri(uri);
    size_t at;
    lsp_doc *doc;
    if (find_key(ds, key, &at)) {
        doc = ds->docs[at]; /* reopened: replace in place */
        free(doc->uri);
        free(doc->language_id);
        free(doc->text);
        free(key);
    } else {
        if (ds->count == ds->cap) {
            ds->cap = ds->cap ? ds->cap * 2 : 16;
            ds->docs = lsp_xreallocarray(ds->docs, ds->cap, sizeof *ds->docs);
        }
        memmove(ds->docs + at + 1, ds->docs + at, (ds->count - at) * sizeof *ds->docs);
        doc = lsp_xcalloc(1, sizeof *doc);
        doc->key = key;
        doc->path = lsp_uri_to_path(uri);
        lsp_lines_init(&doc->lines);
        ds->docs[at] = doc;
        ds->count++;
    }
    doc->uri = lsp_xstrdup(uri);
    doc->language_id = lsp_xstrdup(language_id ? language_id : "");
    doc->version = version;
    doc->stamp = ++ds->stamps;
    doc->text = lsp_xmemdup(text, len);
    doc->len = len;
    lsp_lines_build(&doc->lines, doc->text, doc->len);
    return doc;
}

/* A text being edited: owned bytes (NUL-terminated) and their index. */
typedef struct scratch {
    char *text;
    size_t len, cap;
    lsp_lines lines;
} scratch;

/* Replaces s->text[start..end) with repl[0..n); s owns its buffer. */
static void scratch_splice(scratch *s, size_t start, size_t end, const char *repl, size_t n)
{
    size_t tail = s->len - end;
    size_t len = start + n + tail;
    if (len < start || len + 1 > s->cap) {
        if (len + 1 == 0)
            lsp_oom(SIZE_MAX);
        s->cap = len + 1 > s->cap * 2 ? len + 1 : s->cap * 2;
        s->text = lsp_xrealloc(s->text, s->cap);
    }
    memmove(s->text + start + n, s->text + end, tail);
    if (n)
        memcpy(s->text + start, repl, n);
    s->len = len;
    s->text[len] = '\0';
}

int lsp_docstore_change(lsp_docstore *ds, lsp_doc *doc, int64_t version,
                        const lsp_change *changes, size_t n)
{
    scratch s = {.text = lsp_xmemdup(doc->text, doc->len), .len = doc->len, .cap = doc->len + 1};
    /* the document's line index, brought along splice by splice (a keystroke
     * in a long patch reads the lines it touched, not the whole text) */
    lsp_lines_init(&s.lines);
    if (doc->lines.count) {
        s.lines.starts = lsp_xreallocarray(NULL, doc->lines.count, sizeof *s.lines.starts);
        memcpy(s.lines.starts, doc->lines.starts, doc->lines.count * sizeof *s.lines.starts);
        s.lines.count = s.lines.cap = doc->lines.count;
        s.lines.text = s.text;
        s.lines.len = s.len;
    } else {
        lsp_lines_build(&s.lines, s.text, s.len);
    }

    for (size_t i = 0; i < n; i++) {
        const lsp_change *c = &changes[i];
        if (!c->has_range) {
            scratch_splice(&s, 0, s.len, c->text, c->len);
            lsp_lines_build(&s.lines, s.text, s.len);
        } else {
            size_t start = lsp_position_to_offset(&s.lines, c->range.start, ds->enc);
            size_t end = lsp_position_to_offset(&s.lines, c->range.end, ds->enc);
            if (end < start) {
                lsp_lines_release(&s.lines);
                free(s.text);
                return lsp_docstore_set_error(
                    ds, "change %zu of %zu for \"%s\": range end %u:%u is before its start %u:%u",
                    i + 1, n, doc->uri, c->range.end.line, c->range.end.character,
                    c->range.start.line, c->range.start.character);
            }
            scratch_splice(&s, start, end, c->text, c->len);
            lsp_lines_splice(&s.lines, s.text, s.len, start, end, start + c->len);
        }
    }

    lsp_lines_release(&doc->lines);
    free(doc->text);
    doc->text = s.text;
    doc->len = s.len;
    doc->lines = s.lines; /* built over s.text, which the doc now owns */
    doc->version = version;
    doc->stamp = ++ds->stamps;
    return 0;
}

int lsp_docstore_close(lsp_docstore *ds, const char *uri)
{
    char *key = key_of_uri(uri);
    size_t at;
    bool found = find_key(ds, key, &at);
    free(key);
    if (!found)
        return lsp_docstore_set_error(ds, "\"%s\" is not open", uri);
    doc_free(ds->docs[at]);
    memmove(ds->docs + at, ds->docs + at + 1, (ds->count - at - 1) * sizeof *ds->docs);
    ds->count--;
    return 0;
}

lsp_doc *lsp_docstore_find_uri(const lsp_docstore *ds, const char *uri)
{
    char *key = key_of_uri(uri);
    size_t at;
    bool found = find_key(ds, key, &at);
    free(key);
    return found ? ds->docs[at] : NULL;
}

lsp_doc *lsp_docstore_find_path(const lsp_docstore *ds, const char *path)
{
    size_t at;
    return find_key(ds, path, &at) ? ds->docs[at] : NULL;
}

size_t lsp_docstore_count(const lsp_docstore *ds)
{
    return ds->count;
}

lsp_doc *lsp_docstore_at(const lsp_docstore *ds, size_t i)
{
    return i < ds->count ? ds->docs[i] : NULL;
}

const char *lsp_docstore_error(const lsp_docstore *ds)
{
    return ds->error;
}
