/* framing.h - a push parser for LSP's Content-Length framing.
 *
 * Bytes go in with lsp_framer_feed, in any chunking (partial or coalesced
 * messages); lsp_framer_next then answers, like redis' incremental parser,
 * "need more bytes", "message ready" (body pointer and length) or "protocol
 * error" (with a reason). After an error the parser resynchronises by itself:
 *
 *  - an oversized Content-Length (over max_body) is reported when its header
 *    block ends, and exactly that many body bytes are then discarded, without
 *    buffering them, before the next header is read;
 *  - a malformed or missing Content-Length, a header line without ':' or a
 *    header block over LSP_FRAME_HEADER_MAX bytes is reported, and everything
 *    up to the next "Content-Length" (any case, anywhere) is discarded.
 *
 * Header names are case-insensitive; Content-Type and unknown headers are
 * ignored; a header line ends with "\r\n" or a bare "\n"; blank lines before a
 * header block are skipped. No libuv, no JSON: bytes only.
 *
 * Invariant: every split of a byte stream into feeds yields the same sequence
 * of messages and errors. */
#ifndef APLS_LSP_FRAMING_H
#define APLS_LSP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSP_FRAME_DEFAULT_MAX ((size_t)64 * 1024 * 1024) /* body size cap */
#define LSP_FRAME_HEADER_MAX 8192                          /* one header block */

typedef enum lsp_frame_status {
    LSP_FRAME_NEED_MORE, /* feed more bytes, then call lsp_framer_next again */
    LSP_FRAME_MESSAGE,   /* frame->body, frame->len hold one body */
    LSP_FRAME_ERROR,     /* frame->error, frame->reason say what was wrong */
} lsp_frame_status;

typedef enum lsp_frame_error {
    LSP_FRAME_OK,
    LSP_FRAME_BAD_HEADER, /* a header line without ':' or a block too long */
    LSP_FRAME_BAD_LENGTH, /* Content-Length missing, not a number, conflicting */
    LSP_FRAME_TOO_LARGE,  /* Content-Length over the cap: the body is skipped */
} lsp_frame_error;

/* What lsp_framer_next found. Pointers borrow from the framer and are valid
 * until the next call of any lsp_framer_ function on it. */
typedef struct lsp_frame {
    const char *body;     /* MESSAGE: the body (not NUL-terminated) */
    size_t len;           /* MESSAGE: its length in bytes */
    lsp_frame_error error; /* ERROR: the kind; LSP_FRAME_OK otherwise */
    const char *reason;   /* ERROR: a one-line explanation */
} lsp_frame;

/* The parser. Fields are private: use the functions. */
typedef struct lsp_framer {
    char *buf;             /* owned; unparsed bytes are buf[start..end) */
    size_t start, end, cap;
    size_t max_body;       /* cap on Content-Length */
    int state;             /* enum in framing.c */
    size_t line_scan;      /* bytes of the current header line without '\n' */
    size_t header_bytes;   /* bytes of the current header block so far */
    int header_count;      /* header lines in the current block */
    bool have_length;      /* a Content-Length was seen in this block */
    uint64_t length;       /* its value */
    uint64_t discard;      /* body bytes still to skip (oversized message) */
    char reason[192];      /* the last error's explanation */
} lsp_framer;

/* Initialises f with a body cap of max_body bytes (0: LSP_FRAME_DEFAULT_MAX);
 * f owns nothing until fed; release with lsp_framer_release. */
void lsp_framer_init(lsp_framer *f, size_t max_body);

/* Frees the framer's buffer; f may be initialised again. */
void lsp_framer_release(lsp_framer *f);

/* Appends len bytes of data to f (copied; bytes of an oversized body being
 * skipped are dropped without copying). Invalidates earlier frame pointers. */
void lsp_framer_feed(lsp_framer *f, const char *data, size_t len);

/* Parses what was fed: returns LSP_FRAME_MESSAGE or LSP_FRAME_ERROR with
 * *frame filled in (pointers borrowed from f until its next call), or
 * LSP_FRAME_NEED_MORE. Call it until it returns LSP_FRAME_NEED_MORE. */
lsp_frame_status lsp_framer_next(lsp_framer *f, lsp_frame *frame);

/* True when f holds no part of a message (for "input ended inside a
 * message" reports at end of input); no memory. */
bool lsp_framer_idle(const lsp_framer *f);

#endif
