/* position.c - line index and offset <-> position conversion. */
#include "position.h"

#include "alloc.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

static const char *const encoding_names[] = {"utf-8", "utf-16", "utf-32"};

const char *lsp_encoding_name(lsp_encoding enc)
{
    if ((int)enc < LSP_ENC_UTF8 || enc > LSP_ENC_UTF32)
        return "utf-16";
    return encoding_names[enc];
}

bool lsp_encoding_parse(const char *name, lsp_encoding *out)
{
    for (int i = LSP_ENC_UTF8; i <= LSP_ENC_UTF32; i++) {
        if (strcmp(name, encoding_names[i]) == 0) {
            *out = (lsp_encoding)i;
            return true;
        }
    }
    return false;
}

void lsp_lines_init(lsp_lines *li)
{
    memset(li, 0, sizeof *li);
    li->text = "";
}

/* Appends a line start to li's owned array. */
static void lines_push(lsp_lines *li, size_t start)
{
    if (li->count == li->cap) {
        li->cap = li->cap ? li->cap * 2 : 64;
        li->starts = lsp_xreallocarray(li->starts, li->cap, sizeof *li->starts);
    }
    li->starts[li->count++] = start;
}

void lsp_lines_build(lsp_lines *li, const char *text, size_t len)
{
    li->text = text;
    li->len = len;
    li->count = 0;
    lines_push(li, 0);
    /* memchr runs at memory speed; lone CRs between two LFs are rare */
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *cr = memchr(text + i, '\r', end - i);
        while (cr) {
            size_t k = (size_t)(cr - text);
            if (k + 1 == end && nl) /* the CR of a CRLF: the LF counts */
                break;
            lines_push(li, k + 1);
            cr = k + 1 < end ? memchr(cr + 1, '\r', end - (k + 1)) : NULL;
        }
        if (!nl)
            break;
        lines_push(li, end + 1);
        i = end + 1;
    }
}

/* Is there a line start at s of text (a LF before it, or a CR that is not
 * the CR of a CRLF)? */
static bool starts_line(const char *text, size_t len, size_t s)
{
    if (s == 0 || s > len)
        return s == 0;
    char b = text[s - 1];
    return b == '\n' || (b == '\r' && !(s < len && text[s] == '\n'));
}

void lsp_lines_splice(lsp_lines *li, const char *text, size_t len, size_t start, size_t old_end, size_t new_end)
{
    if (li->count == 0) {
        lsp_lines_build(li, text, len);
        return;
    }
    /* kept: the starts before start (their break and the byte after it are
     * before the splice); moved: the ones after old_end */
    size_t keep = 0, lo = 0, hi = li->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (li->starts[mid] < start)
            keep = mid + 1, lo = mid + 1;
        else
            hi = mid;
    }
    if (keep == 0)
        keep = 1; /* line 0 starts at 0 */
    size_t tail = keep;
    while (tail < li->count && li->starts[tail] <= old_end)
        tail++;
    size_t n_tail = li->count - tail;
    size_t *moved = n_tail ? lsp_xreallocarray(NULL, n_tail, sizeof *moved) : NULL;
    for (size_t i = 0; i < n_tail; i++)
        moved[i] = li->starts[tail + i] - old_end + new_end;
    li->count = keep;
    li->text = text;
    li->len = len;
    for (size_t s = start > 1 ? start : 1; s <= new_end && s <= len; s++)
        if (starts_line(text, len, s))
            lines_push(li, s);
    for (size_t i = 0; i < n_tail; i++)
        lines_push(li, moved[i]);
    free(moved);
}

void lsp_lines_release(lsp_lines *li)
{
    free(li->starts);
    lsp_lines_init(li);
}

size_t lsp_lines_count(const lsp_lines *li)
{
    return li->count ? li->count : 1;
}

size_t lsp_lines_start(const lsp_lines *li, size_t line)
{
    if (li->count == 0)
        return 0;
    return line < li->count ? li->starts[line] : li->len;
}

size_t lsp_lines_end(const lsp_lines *li, size_t line)
{
    if (li->count == 0)
        return 0;
    if (line + 1 >= li->count)
        return li->len; /* the last line has no break; or past the end */
    size_t next = li->starts[line + 1];
    if (li->text[next - 1] == '\n' && next - 1 > li->starts[line] && li->text[next - 2] == '\r')
        return next - 2;
    return next - 1;
}

size_t lsp_lines_line_of(const lsp_lines *li, size_t offset)
{
    if (li->count == 0)
        return 0;
    size_t lo = 0, hi = li->count; /* starts[lo] <= offset < starts[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (li->starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Decodes one step at s[0..n): stores its bytes and its units in enc. */
static void step(const char *s, size_t n, lsp_encoding enc, size_t *bytes, size_t *units)
{
    if ((unsigned char)s[0] < 0x80) {
        *bytes = *units = 1;
        return;
    }
    uint32_t cp;
    size_t k = lsp_utf8_decode(s, n, &cp);
    if (k == 0) {
        *bytes = *units = 1; /* an invalid byte is one unit everywhere */
        return;
    }
    *bytes = k;
    switch (enc) {
    case LSP_ENC_UTF8:
        *units = k;
        break;
    case LSP_ENC_UTF16:
        *units = cp >= 0x10000 ? 2 : 1;
        break;
    default:
        *units = 1;
        break;
    }
}

size_t lsp_units_in(const char *s, size_t nbytes, lsp_encoding enc)
{
    if (enc == LSP_ENC_UTF8)
        return nbytes; /* k bytes, k units; one invalid byte, one unit */
    size_t units = 0;
    for (size_t i = 0; i < nbytes;) {
        size_t b, u;
        step(s + i, nbytes - i, enc, &b, &u);
        i += b;
        units += u;
    }
    return units;
}

size_t lsp_bytes_for_units(const char *s, size_t nbytes, uint64_t units, lsp_encoding enc)
{
    uint64_t have = 0;
    size_t i = 0;
    while (i < nbytes && have < units) {
        size_t b, u;
        step(s + i, nbytes - i, enc, &b, &u);
        if (have + u > units)
            break; /* units ends inside this character: snap to its start */
        have += u;
        i += b;
    }
    return i;
}

size_t lsp_position_to_offset(const lsp_lines *li, lsp_position pos, lsp_encoding enc)
{
    if (pos.line >= lsp_lines_count(li))
        return li->len;
    size_t start = lsp_lines_start(li, pos.line);
    size_t end = lsp_lines_end(li, pos.line);
    return start + lsp_bytes_for_units(li->text + start, end - start, pos.character, enc);
}

lsp_position lsp_offset_to_position(const lsp_lines *li, size_t offset, lsp_encoding enc)
{
    if (offset > li->len)
        offset = li->len;
    size_t line = lsp_lines_line_of(li, offset);
    size_t start = lsp_lines_start(li, line);
    size_t end = lsp_lines_end(li, line);
    if (offset > end)
        offset = end;
    /* Walk the characters before offset; one that straddles it is excluded. */
    const char *s = li->text + start;
    size_t n = end - start, target = offset - start;
    uint64_t units = 0;
    for (size_t i = 0; i < target;) {
        size_t b, u;
        step(s + i, n - i, enc, &b, &u);
        if (i + b > target)
            break;
        i += b;
        units += u;
    }
    lsp_position pos = {
        .line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line,
        .character = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units,
    };
    return pos;
}
