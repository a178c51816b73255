/* framing.c - push parser for Content-Length framing.
 *
 * States: HEADERS reads header lines until a blank one; BODY waits until the
 * announced number of bytes is buffered; DISCARD skips the body of an
 * oversized message; RESYNC drops bytes up to the next "Content-Length". Every
 * call consumes from buf[start..end); feed compacts and grows the buffer. */
#include "framing.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { ST_HEADERS, ST_BODY, ST_DISCARD, ST_RESYNC };

static const char content_length[] = "content-length";
#define CONTENT_LENGTH_LEN (sizeof content_length - 1)

void lsp_framer_init(lsp_framer *f, size_t max_body)
{
    memset(f, 0, sizeof *f);
    f->max_body = max_body ? max_body : LSP_FRAME_DEFAULT_MAX;
    f->state = ST_HEADERS;
}

void lsp_framer_release(lsp_framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->start = f->end = f->cap = 0;
}

/* Forgets the header block being read; owns nothing. */
static void block_reset(lsp_framer *f)
{
    f->line_scan = 0;
    f->header_bytes = 0;
    f->header_count = 0;
    f->have_length = false;
    f->length = 0;
}

void lsp_framer_feed(lsp_framer *f, const char *data, size_t len)
{
    /* An oversized body is skipped straight from the caller's bytes. */
    if (f->state == ST_DISCARD && f->start == f->end) {
        size_t n = f->discard < len ? (size_t)f->discard : len;
        f->discard -= n;
        data += n, len -= n;
        if (f->discard == 0)
            f->state = ST_HEADERS;
    }
    if (len == 0)
        return;
    if (f->start == f->end) {
        f->start = f->end = 0;
    } else if (f->start > 0 && f->end + len > f->cap) {
        memmove(f->buf, f->buf + f->start, f->end - f->start);
        f->end -= f->start;
        f->start = 0;
    }
    if (f->end + len > f->cap) {
        if (len > SIZE_MAX / 2 - f->end)
            lsp_oom(SIZE_MAX);
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->end + len)
            cap *= 2;
        f->buf = lsp_xrealloc(f->buf, cap);
        f->cap = cap;
    }
    memcpy(f->buf + f->end, data, len);
    f->end += len;
}

/* Fills *frame with an error, formats the reason into f (borrowed by frame). */
static lsp_frame_status frame_error(lsp_framer *f, lsp_frame *frame, lsp_frame_error kind,
                                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static lsp_frame_status frame_error(lsp_framer *f, lsp_frame *frame, lsp_frame_error kind,
                                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof f->reason, fmt, ap);
    va_end(ap);
    frame->body = NULL;
    frame->len = 0;
    frame->error = kind;
    frame->reason = f->reason;
    return LSP_FRAME_ERROR;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses a Content-Length value (digits only): returns false when it is
 * empty, has another character, or does not fit in 64 bits. */
static bool parse_length(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Handles one complete header line (without its line break), already
 * consumed from the buffer; borrows line. */
static lsp_frame_status header_line(lsp_framer *f, lsp_frame *frame, const char *line,
                                    size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (!colon) {
        f->state = ST_RESYNC;
        return frame_error(f, frame, LSP_FRAME_BAD_HEADER, "malformed header line \"%.*s\"",
                           (int)(n > 40 ? 40 : n), line);
    }
    size_t name_len = (size_t)(colon - line);
    while (name_len > 0 && is_blank(line[name_len - 1]))
        name_len--;
    const char *value = colon + 1;
    size_t value_len = (size_t)(line + n - value);
    while (value_len > 0 && is_blank(*value))
        value++, value_len--;
    while (value_len > 0 && is_blank(value[value_len - 1]))
        value_len--;

    if (name_len != CONTENT_LENGTH_LEN || strncasecmp(line, content_length, name_len) != 0)
        return LSP_FRAME_NEED_MORE; /* Content-Type or unknown: ignored */

    uint64_t v;
    if (!parse_length(value, value_len, &v)) {
        f->state = ST_RESYNC;
        return frame_error(f, frame, LSP_FRAME_BAD_LENGTH, "invalid Content-Length \"%.*s\"",
                           (int)(value_len > 40 ? 40 : value_len), value);
    }
    if (f->have_length && v != f->length) {
        f->state = ST_RESYNC;
        return frame_error(f, frame, LSP_FRAME_BAD_LENGTH,
                           "conflicting Content-Length headers (%llu and %llu)",
                           (unsigned long long)f->length, (unsigned long long)v);
    }
    f->have_length = true;
    f->length = v;
    return LSP_FRAME_NEED_MORE;
}

/* Case-insensitive search for "content-length" in s[0..n); NULL if absent. */
static const char *find_content_length(const char *s, size_t n)
{
    for (size_t i = 0; i + CONTENT_LENGTH_LEN <= n; i++) {
        if ((s[i] | 0x20) == 'c' && strncasecmp(s + i, content_length, CONTENT_LENGTH_LEN) == 0)
            return s + i;
    }
    return NULL;
}

lsp_frame_status lsp_framer_next(lsp_framer *f, lsp_frame *frame)
{
    memset(frame, 0, sizeof *frame);
    for (;;) {
        size_t avail = f->end - f->start;
        const char *p = f->buf ? f->buf + f->start : ""; /* NULL + 0 is undefined */
        switch (f->state) {
        case ST_HEADERS: {
            const char *nl = avail > f->line_scan
                                 ? memchr(p + f->line_scan, '\n', avail - f->line_scan)
                                 : NULL;
            /* A block over the limit: drop exactly the bytes up to the limit
             * and resynchronise from there, so that where a read happened
             * to end never changes what is parsed. */
            size_t line = nl ? (size_t)(nl - p) + 1 : avail;
            if (f->header_bytes + line > LSP_FRAME_HEADER_MAX) {
                f->start += LSP_FRAME_HEADER_MAX + 1 - f->header_bytes;
                f->state = ST_RESYNC;
                block_reset(f);
                return frame_error(f, frame, LSP_FRAME_BAD_HEADER,
                                   "header block longer than %d bytes", LSP_FRAME_HEADER_MAX);
            }
            if (!nl) {
                f->line_scan = avail;
                return LSP_FRAME_NEED_MORE;
            }
            size_t consumed = line;
            size_t n = consumed - 1;
            if (n > 0 && p[n - 1] == '\r')
                n--;
            f->start += consumed;
            f->line_scan = 0;
            if (n == 0) {
                if (f->header_count == 0) {
                    f->header_bytes = 0; /* a blank line between messages */
                    continue;
                }
                if (!f->have_length) {
                    f->state = ST_RESYNC;
                    block_reset(f);
                    return frame_error(f, frame, LSP_FRAME_BAD_LENGTH,
                                       "missing Content-Length header");
                }
                if (f->length > f->max_body) {
                    f->state = ST_DISCARD;
                    f->discard = f->length;
                    lsp_frame_status st = frame_error(
                        f, frame, LSP_FRAME_TOO_LARGE,
                        "Content-Length %llu exceeds the limit of %zu bytes",
                        (unsigned long long)f->length, f->max_body);
                    block_reset(f);
                    return st;
                }
                f->state = ST_BODY;
                continue;
            }
            f->header_bytes += consumed;
            f->header_count++;
            lsp_frame_status st = header_line(f, frame, p, n);
            if (st == LSP_FRAME_ERROR) {
                block_reset(f);
                return st;
            }
            continue;
        }
        case ST_BODY:
            if (avail < f->length)
                return LSP_FRAME_NEED_MORE;
            frame->body = p;
            frame->len = (size_t)f->length;
            f->start += (size_t)f->length;
            f->state = ST_HEADERS;
            block_reset(f);
            return LSP_FRAME_MESSAGE;
        case ST_DISCARD: {
            size_t n = f->discard < avail ? (size_t)f->discard : avail;
            f->start += n;
            f->discard -= n;
            if (f->discard > 0)
                return LSP_FRAME_NEED_MORE;
            f->state = ST_HEADERS;
            continue;
        }
        case ST_RESYNC: {
            const char *hit = find_content_length(p, avail);
            if (hit) {
                f->start += (size_t)(hit - p);
                f->state = ST_HEADERS;
                block_reset(f);
                continue;
            }
            /* Keep a tail that may be the start of a split "Content-Length". */
            if (avail >= CONTENT_LENGTH_LEN)
                f->start = f->end - (CONTENT_LENGTH_LEN - 1);
            return LSP_FRAME_NEED_MORE;
        }
        default:
            abort();
        }
    }
}

bool lsp_framer_idle(const lsp_framer *f)
{
    if (f->state == ST_RESYNC)
        return true;
    return f->state == ST_HEADERS && f->header_count == 0 && f->start == f->end;
}
