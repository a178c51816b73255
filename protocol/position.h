/* position.h - LSP positions over byte buffers, in three encodings.
 *
 * A line index (lsp_lines) records where each line starts; line breaks are
 * "\n", "\r\n" and a lone "\r", as LSP defines them. Conversions between byte
 * offsets and LSP positions are exact in utf-8, utf-16 and utf-32 and clamp
 * like the LSP specification:
 *
 *  - a line past the last line means the end of the document;
 *  - a character past the end of a line means the end of that line's content
 *    (before its line break);
 *  - a position inside a character (between the two UTF-16 units of an astral
 *    character, or inside a UTF-8 sequence) snaps to the start of it;
 *  - an invalid UTF-8 byte counts as one unit in every encoding.
 *
 * Invariant: offset -> position -> offset is the identity for offsets on
 * character boundaries outside line breaks, in every encoding. */
#ifndef APLS_LSP_POSITION_H
#define APLS_LSP_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum lsp_encoding {
    LSP_ENC_UTF8,  /* "utf-8": character counts bytes */
    LSP_ENC_UTF16, /* "utf-16": the LSP default; astral characters count 2 */
    LSP_ENC_UTF32, /* "utf-32": character counts code points */
} lsp_encoding;

/* A zero-based LSP position; character counts units of the encoding. */
typedef struct lsp_position {
    uint32_t line;
    uint32_t character;
} lsp_position;

typedef struct lsp_range {
    lsp_position start, end;
} lsp_range;

/* A line index over a text it borrows. Fields are read-only for callers. */
typedef struct lsp_lines {
    const char *text; /* borrowed: must outlive the index and not change */
    size_t len;       /* bytes of text */
    size_t *starts;   /* owned: starts[i] is the offset of line i */
    size_t count;     /* number of lines, at least 1 */
    size_t cap;       /* allocated entries of starts */
} lsp_lines;

/* The LSP name of enc ("utf-8", "utf-16", "utf-32"), a static string. */
const char *lsp_encoding_name(lsp_encoding enc);

/* Parses an LSP encoding name into *out; false (and *out untouched) if
 * unknown. */
bool lsp_encoding_parse(const char *name, lsp_encoding *out);

/* Initialises an empty index (one empty line) that owns nothing yet. */
void lsp_lines_init(lsp_lines *li);

/* Indexes text[0..len), which li borrows; reuses li's array. Call again after
 * every change of the text. */
void lsp_lines_build(lsp_lines *li, const char *text, size_t len);
/* Brings li, built over an earlier text, up to text[0, len) after one splice:
 * the bytes [start, old_end) of the earlier text became [start, new_end).
 * The lines before the splice stay, the ones after it move, only the lines
 * it touched are read: what lsp_lines_build(li, text, len) gives. */
void lsp_lines_splice(lsp_lines *li, const char *text, size_t len, size_t start, size_t old_end, size_t new_end);

/* Frees li's array; li may be initialised or built again. */
void lsp_lines_release(lsp_lines *li);

/* Number of lines (a text ending in a line break has an empty last line);
 * borrows li. */
size_t lsp_lines_count(const lsp_lines *li);

/* Byte offset where line starts (the text length if line is past the end);
 * borrows li. */
size_t lsp_lines_start(const lsp_lines *li, size_t line);

/* Byte offset where line's content ends, before its line break (the text
 * length if line is past the end); borrows li. */
size_t lsp_lines_end(const lsp_lines *li, size_t line);

/* The line that holds offset (offsets inside a line break belong to the line
 * it ends; offsets past the end to the last line); borrows li. */
size_t lsp_lines_line_of(const lsp_lines *li, size_t offset);

/* The byte offset of pos, clamped as described above; never past li->len.
 * Borrows li. */
size_t lsp_position_to_offset(const lsp_lines *li, lsp_position pos, lsp_encoding enc);

/* The position of offset (clamped to the text, moved back to the end of the
 * line content if inside a line break, and snapped to a character start).
 * Borrows li. */
lsp_position lsp_offset_to_position(const lsp_lines *li, size_t offset, lsp_encoding enc);

/* Units of enc in s[0..nbytes); a sequence cut short by nbytes counts as
 * invalid bytes. For callers with their own line table; borrows s. */
size_t lsp_units_in(const char *s, size_t nbytes, lsp_encoding enc);

/* The length of the longest prefix of s[0..nbytes) that holds at most units
 * units of enc and does not split a character: nbytes if units reaches past
 * the end. For callers with their own line table; borrows s. */
size_t lsp_bytes_for_units(const char *s, size_t nbytes, uint64_t units, lsp_encoding enc);

#endif
