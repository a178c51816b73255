/* fuzz_framing.c - the framer fed in small chunks, every body classified.
 *
 * The first byte picks the chunk size (1 to 64 bytes) and, with its top bit,
 * a small body cap (64 bytes) so the oversized-body path is reached. The rest
 * is fed once in chunks and once all at once: both must give the same
 * sequence of messages and errors (the framer's invariant). Every body is
 * classified by lsp_msg_parse and the error reply of an invalid one is built
 * and serialised, as the endpoint would. */
#include "framing.h"
#include "jsonrpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct events {
    uint64_t *v; /* one entry per event: kind, length and a hash of the body */
    size_t n, cap;
} events;

static void events_add(events *e, uint64_t x)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (!e->v)
            abort();
    }
    e->v[e->n++] = x;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void classify(const char *body, size_t len)
{
    lsp_msg m;
    if (lsp_msg_parse(&m, body, len) == LSP_MSG_INVALID && m.reply) {
        json_t *reply = lsp_msg_error_reply(&m);
        size_t n;
        char *text = lsp_json_dump(reply, &n);
        free(text);
        json_decref(reply);
    }
    lsp_msg_release(&m);
}

static void drain(lsp_framer *f, events *e, int do_classify)
{
    lsp_frame fr;
    lsp_frame_status st;
    while ((st = lsp_framer_next(f, &fr)) != LSP_FRAME_NEED_MORE) {
        if (st == LSP_FRAME_MESSAGE) {
            events_add(e, fnv1a(fr.body, fr.len) ^ ((uint64_t)fr.len << 1));
            if (do_classify)
                classify(fr.body, fr.len);
        } else {
            if (fr.error == LSP_FRAME_OK || !fr.reason)
                abort();
            events_add(e, 0xE0000000u + (uint64_t)fr.error);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)(data[0] & 0x3F) + 1;
    size_t max_body = (data[0] & 0x80) ? 64 : 0;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    events chunked = {0}, whole = {0};
    lsp_framer f;
    lsp_framer_init(&f, max_body);
    for (size_t i = 0; i < n; i += chunk) {
        lsp_framer_feed(&f, in + i, n - i < chunk ? n - i : chunk);
        drain(&f, &chunked, 1);
    }
    lsp_framer_release(&f);

    lsp_framer_init(&f, max_body);
    lsp_framer_feed(&f, in, n);
    drain(&f, &whole, 0);
    lsp_framer_release(&f);

    if (chunked.n != whole.n ||
        (chunked.n && memcmp(chunked.v, whole.v, chunked.n * sizeof *chunked.v) != 0))
        abort(); /* the chunking changed what was parsed */
    free(chunked.v);
    free(whole.v);
    return 0;
}
