/* transport.h - LSP bytes over libuv: read framed messages from one fd,
 * write framed messages to another.
 *
 * Each fd may be a pipe, a socket, a terminal or a regular file (or a device
 * such as /dev/null): uv_guess_handle decides. Streams are read and written
 * with uv_read_start/uv_write; regular files with uv_fs_read/uv_fs_write,
 * since libuv aborts if a regular file is opened as a pipe. Input is fed to a
 * framer and every complete body (and every framing error) is handed to the
 * callbacks, in order; end of input is reported once. Output is framed with a
 * Content-Length header; each body stays alive until its write completes.
 * SIGPIPE is ignored; a write error is logged once and later writes are
 * dropped; a read error counts as end of input.
 *
 * Output waits in a queue of the transport's own, one write (a batch of
 * messages) in flight at a time. A message sent with a key replaces a queued
 * message with the same key (which was never written): a client that reads
 * slowly gets the latest of each, not every one. The bytes waiting are capped
 * (lsp_transport_set_max_queued, 64 MiB by default): a message that would go
 * over the cap means the client has stopped reading for good; the queue is
 * dropped, every later message too, and on_stalled runs once.
 *
 * Lifetime: lsp_transport_close stops reading, lets queued writes finish (for
 * at most one second, then cancels them), closes every handle, waits for fs
 * requests in flight, frees the transport from the last close callback and
 * then calls on_closed (never synchronously). Stream fds are closed with their
 * handles (libuv does it); regular-file fds are left open. */
#ifndef APLS_LSP_TRANSPORT_H
#define APLS_LSP_TRANSPORT_H

#include "framing.h"

#include <stddef.h>
#include <uv.h>

typedef struct lsp_transport lsp_transport;

/* What the transport calls; data is passed back to every callback. Bodies
 * and reasons are borrowed for the duration of the call. */
typedef struct lsp_transport_callbacks {
    void (*on_message)(void *data, const char *body, size_t len);
    void (*on_frame_error)(void *data, lsp_frame_error error, const char *reason);
    void (*on_eof)(void *data);
    /* The client stopped reading (the output cap was hit); may be NULL.
     * Called from inside a send: do not stop anything from it directly. */
    void (*on_stalled)(void *data);
    void *data;
} lsp_transport_callbacks;

/* A new transport on loop with a body cap of max_body (0: 64 MiB); copies
 * *cb. It owns a timer handle from now on: always end with
 * lsp_transport_close and let the loop run. Ignores SIGPIPE. */
lsp_transport *lsp_transport_new(uv_loop_t *loop, const lsp_transport_callbacks *cb,
                                 size_t max_body);

/* Opens in_fd for reading and out_fd for writing (they must differ) and starts
 * reading. Returns 0 or a negative libuv error (logged); either way the
 * transport keeps what it opened until lsp_transport_close. */
int lsp_transport_open(lsp_transport *t, int in_fd, int out_fd);

/* Queues body[0..len) as one framed message; takes ownership of body, which
 * must come from malloc (lsp_json_dump) and is freed once written, failed or
 * dropped (after close began, or after a write error). */
void lsp_transport_send(lsp_transport *t, char *body, size_t len);

/* Like lsp_transport_send, but a queued message sent with the same key
 * (copied; NULL: none) is replaced by this one, in its place in the queue.
 * Takes ownership of body. */
void lsp_transport_send_latest(lsp_transport *t, const char *key, char *body, size_t len);

/* Caps the bytes waiting behind the write in flight (0: no cap); no memory
 * changes hands. A message is always accepted when nothing waits. */
void lsp_transport_set_max_queued(lsp_transport *t, size_t bytes);

/* Messages queued or in flight, not yet completed; borrows t. */
size_t lsp_transport_pending_writes(const lsp_transport *t);

/* Begins closing (a second call does nothing): see the lifetime rules above.
 * t is freed by the loop; on_closed(data) runs after that, if not NULL. */
void lsp_transport_close(lsp_transport *t, void (*on_closed)(void *data), void *data);

#endif
