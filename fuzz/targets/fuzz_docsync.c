/* fuzz_docsync.c - didOpen and didChange of hostile texts and ranges, in the
 * three position encodings, against a slow model written here.
 *
 * Input: byte 0 picks the encoding (low two bits, 3 = UTF-16) and, with bit
 * 2, sends every change of the input in one didChange instead of one by one.
 * The rest is split at 0x1E bytes: the first piece is the opened text, each
 * later one a change: four bytes (start line, start character, end line, end
 * character; a byte of 0xF0 or more stands for a huge number near UINT32_MAX,
 * so clamping is reached) and the new text; a piece shorter than four bytes
 * replaces the whole text. Texts may hold CR, CRLF, NUL, emoji and invalid
 * UTF-8 (sent as JSON strings as they are: jansson keeps the bytes).
 *
 * Checked, abort() on failure:
 *  - the document's text is what the model computes: each range located by
 *    a plain walk over the text (lines end at LF, CRLF or a lone CR; a
 *    character past the line's end clamps to the end of its content, one
 *    inside a character snaps to its start; an invalid byte is one unit);
 *    a range whose end is before its start refuses the whole didChange and
 *    leaves text and version as they were;
 *  - the line index the store brought along splice by splice is the one
 *    lsp_lines_build gives for the final text;
 *  - offset -> position -> offset is the identity on every character start
 *    outside a line break, in all three encodings, and every position the
 *    store gives is one the model locates at that offset. */
#include "docstore.h"
#include "docsync.h"
#include "position.h"
#include "utf8.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_docsync: invariant broken: %s (%zu, %zu)\n", what, a, b);
    abort();
}

/* ------------------------------------------------------------ the model */

/* Where line (zero-based) starts and where its content ends in s, by a walk
 * from the start; false if s has fewer lines. */
static bool model_line(const char *s, size_t n, uint32_t line, size_t *from, size_t *to)
{
    size_t i = 0;
    for (uint32_t l = 0;; l++) {
        size_t e = i;
        while (e < n && s[e] != '\n' && s[e] != '\r')
            e++;
        if (l == line) {
            *from = i, *to = e;
            return true;
        }
        if (e == n)
            return false;
        i = e + (s[e] == '\r' && e + 1 < n && s[e + 1] == '\n' ? 2 : 1);
    }
}

/* Units of one character: k bytes (0: an invalid byte) holding cp. */
static uint32_t units(size_t k, uint32_t cp, lsp_encoding enc)
{
    if (k == 0)
        return 1;
    if (enc == LSP_ENC_UTF8)
        return (uint32_t)k;
    return enc == LSP_ENC_UTF16 && cp >= 0x10000 ? 2 : 1;
}

static size_t model_offset(const char *s, size_t n, lsp_position pos, lsp_encoding enc)
{
    size_t p, e;
    if (!model_line(s, n, pos.line, &p, &e))
        return n;
    uint64_t u = 0;
    while (p < e) {
        uint32_t cp = 0;
        size_t k = lsp_utf8_decode(s + p, e - p, &cp);
        uint32_t w = units(k, cp, enc);
        if (u + w > pos.character)
            break;
        u += w;
        p += k ? k : 1;
    }
    return p;
}

/* ------------------------------------------------------------ the input */

static uint32_t number(uint8_t b)
{
    return b >= 0xF0 ? UINT32_MAX - (uint32_t)(b - 0xF0) * 0x1000 : b;
}

/* One change read from a piece of the input. */
typedef struct piece {
    bool has_range;
    lsp_range range;
    const char *text;
    size_t len;
} piece;

static json_t *change_json(const piece *c)
{
    json_t *j = json_object();
    json_object_set_new(j, "text", json_stringn_nocheck(c->text, c->len));
    if (c->has_range)
        json_object_set_new(j, "range",
                            json_pack("{s:{s:I,s:I},s:{s:I,s:I}}", "start", "line",
                                      (json_int_t)c->range.start.line, "character",
                                      (json_int_t)c->range.start.character, "end", "line",
                                      (json_int_t)c->range.end.line, "character",
                                      (json_int_t)c->range.end.character));
    return j;
}

static json_t *params(json_int_t version, json_t *changes)
{
    return json_pack("{s:{s:s,s:I},s:o}", "textDocument", "uri", "file:///w/a.ap", "version",
                     version, "contentChanges", changes);
}

/* ----------------------------------------------------------- the checks */

/* The model applies cs[0..n) to *text as one didChange: false (and *text
 * untouched) when one range ends before it starts. */
static bool model_apply(char **text, size_t *len, const piece *cs, size_t n, lsp_encoding enc)
{
    char *t = malloc(*len + 1);
    size_t tl = *len;
    memcpy(t, *text, tl);
    for (size_t i = 0; i < n; i++) {
        const piece *c = &cs[i];
        size_t a = 0, b = tl;
        if (c->has_range) {
            a = model_offset(t, tl, c->range.start, enc);
            b = model_offset(t, tl, c->range.end, enc);
            if (b < a) {
                free(t);
                return false;
            }
        }
        char *u = malloc(tl - (b - a) + c->len + 1);
        memcpy(u, t, a);
        memcpy(u + a, c->text, c->len);
        memcpy(u + a + c->len, t + b, tl - b);
        tl = tl - (b - a) + c->len;
        free(t);
        t = u;
    }
    free(*text);
    *text = t;
    *len = tl;
    return true;
}

static void check_doc(const lsp_doc *doc, const char *text, size_t len)
{
    if (doc->len != len || memcmp(doc->text, text, len) != 0)
        fail("the document's text is not the model's", doc->len, len);
    if (doc->text[len] != '\0')
        fail("the document's text is not NUL-terminated", len, 0);
    lsp_lines fresh;
    lsp_lines_init(&fresh);
    lsp_lines_build(&fresh, doc->text, doc->len);
    if (doc->lines.text != doc->text || doc->lines.len != doc->len)
        fail("the line index is over another text", doc->lines.len, doc->len);
    if (lsp_lines_count(&doc->lines) != lsp_lines_count(&fresh))
        fail("the spliced line index counts other lines", lsp_lines_count(&doc->lines),
             lsp_lines_count(&fresh));
    for (size_t l = 0; l < lsp_lines_count(&fresh); l++)
        if (lsp_lines_start(&doc->lines, l) != lsp_lines_start(&fresh, l))
            fail("the spliced line index has another line start", l,
                 lsp_lines_start(&doc->lines, l));
    lsp_lines_release(&fresh);

    /* the round trip, on every character start outside a line break */
    for (int e = LSP_ENC_UTF8; e <= LSP_ENC_UTF32; e++) {
        size_t i = 0;
        while (i <= len) {
            lsp_position pos = lsp_offset_to_position(&doc->lines, i, (lsp_encoding)e);
            if (model_offset(text, len, pos, (lsp_encoding)e) != i)
                fail("the model locates the store's position elsewhere", i, (size_t)e);
            if (lsp_position_to_offset(&doc->lines, pos, (lsp_encoding)e) != i)
                fail("offset -> position -> offset moved", i, (size_t)e);
            if (i == len)
                break;
            if (text[i] == '\r' || text[i] == '\n') {
                i += text[i] == '\r' && i + 1 < len && text[i + 1] == '\n' ? 2 : 1;
                continue;
            }
            uint32_t cp;
            size_t k = lsp_utf8_decode(text + i, len - i, &cp);
            i += k ? k : 1;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    lsp_encoding enc = (data[0] & 3) == 3 ? LSP_ENC_UTF16 : (lsp_encoding)(data[0] & 3);
    bool batch = data[0] & 4;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    /* the pieces */
    piece cs[64];
    size_t nc = 0;
    const char *sep = memchr(in, 0x1E, n);
    const char *open_text = in;
    size_t open_len = sep ? (size_t)(sep - in) : n;
    while (sep && nc < 64) {
        const char *p = sep + 1;
        sep = memchr(p, 0x1E, (size_t)(in + n - p));
        size_t pl = sep ? (size_t)(sep - p) : (size_t)(in + n - p);
        piece *c = &cs[nc++];
        memset(c, 0, sizeof *c);
        if (pl >= 4) {
            const uint8_t *b = (const uint8_t *)p;
            c->has_range = true;
            c->range.start = (lsp_position){number(b[0]), number(b[1])};
            c->range.end = (lsp_position){number(b[2]), number(b[3])};
            c->text = p + 4;
            c->len = pl - 4;
        } else {
            c->text = p;
            c->len = pl;
        }
    }

    lsp_docstore *ds = lsp_docstore_new();
    lsp_docstore_set_encoding(ds, enc);
    json_t *open = json_pack("{s:{s:s,s:s,s:i,s:o}}", "textDocument", "uri", "file:///w/a.ap",
                             "languageId", "ap", "version", 1, "text",
                             json_stringn_nocheck(open_text, open_len));
    lsp_doc *doc = lsp_docstore_did_open(ds, open);
    json_decref(open);
    if (!doc)
        fail("didOpen refused", open_len, 0);
    size_t len = open_len;
    char *text = malloc(len + 1);
    memcpy(text, open_text, len);
    check_doc(doc, text, len);

    json_int_t version = 1;
    for (size_t i = 0; i < nc; i += batch ? nc : 1) {
        size_t k = batch ? nc : 1;
        json_t *list = json_array();
        for (size_t j = 0; j < k; j++)
            json_array_append_new(list, change_json(&cs[i + j]));
        json_t *pr = params(version + 1, list);
        bool model_ok = model_apply(&text, &len, cs + i, k, enc);
        lsp_doc *d = lsp_docstore_did_change(ds, pr);
        json_decref(pr);
        if ((d != NULL) != model_ok)
            fail(model_ok ? "didChange refused a valid change" : "didChange took a reversed range",
                 i, 0);
        doc = lsp_docstore_find_uri(ds, "file:///w/a.ap");
        if (!doc)
            fail("the document went away", i, 0);
        if (model_ok)
            version++;
        if (doc->version != version)
            fail("the version", (size_t)doc->version, (size_t)version);
        check_doc(doc, text, len);
    }

    json_t *close = json_pack("{s:{s:s}}", "textDocument", "uri", "file:///w/a.ap");
    if (lsp_docstore_did_close(ds, close) != 0)
        fail("didClose refused", 0, 0);
    json_decref(close);
    free(text);
    lsp_docstore_free(ds);
    return 0;
}
