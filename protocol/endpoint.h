/* endpoint.h - the JSON-RPC 2.0 / LSP endpoint the server plugs into.
 *
 * The endpoint owns the transport, classifies every incoming body, keeps the
 * LSP lifecycle, applies cancellations, and dispatches to handlers registered
 * by method name. The server never sees: framing or JSON errors, batches,
 * requests before initialize (-32002) or after shutdown (-32600), unknown
 * methods (-32601 for requests; notifications ignored, $/ ones silently),
 * "shutdown" (answered null at once; the on_shutdown hook runs), "exit",
 * "$/cancelRequest", or requests cancelled before they were dispatched.
 *
 * Dispatch: messages read are queued and dispatched from a uv_check callback,
 * right after the loop's poll phase, so a $/cancelRequest that arrives in the
 * same read as its request is applied first: the request is answered -32800
 * and never reaches its handler. A request already handed to a handler and
 * not yet answered ("in flight") that gets cancelled is answered -32800 at
 * once, the on_cancel hook runs, and the handler's late reply is dropped.
 *
 * Replies: a request handler answers with lsp_endpoint_reply or
 * lsp_endpoint_reply_error, before it returns or at any later time, using the
 * request id (json_incref it to keep it). Every request must be answered once;
 * replies to ids no longer in flight are dropped.
 *
 * Stop: "exit" (code 0 after shutdown, else 1), end of input (same codes), the
 * death of the client's processId (polled every 2 s), a client that stopped
 * reading (its unread output over the cap: code 1), or lsp_endpoint_stop.
 * Stopping runs the on_exit hook, where the server must close its own libuv
 * handles, then closes the endpoint's handles and the transport (flushing
 * pending writes for up to 1 s). uv_run then returns; read the code with
 * lsp_endpoint_exit_code and free with lsp_endpoint_free.
 *
 * Ownership: json_t arguments named result, params or data are stolen; ids
 * are borrowed; params handed to handlers are borrowed for the call. */
#ifndef APLS_LSP_ENDPOINT_H
#define APLS_LSP_ENDPOINT_H

#include "jsonrpc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct lsp_endpoint lsp_endpoint;

typedef enum lsp_state {
    LSP_STATE_UNINITIALIZED, /* before initialize */
    LSP_STATE_INITIALIZING,  /* initialize dispatched, not yet answered */
    LSP_STATE_RUNNING,       /* initialize answered with a result */
    LSP_STATE_SHUTDOWN,      /* shutdown answered */
    LSP_STATE_STOPPED,       /* exit, end of input, or stopped: closing */
} lsp_state;

/* A request handler: answer id (borrowed; incref to keep) now or later.
 * params is borrowed for the call and may be NULL. */
typedef void (*lsp_request_fn)(lsp_endpoint *ep, json_t *id, json_t *params, void *data);

/* A notification handler; params is borrowed for the call and may be NULL. */
typedef void (*lsp_notification_fn)(lsp_endpoint *ep, json_t *params, void *data);

/* The answer to a server->client request: exactly one call, with result set
 * (the client's result, possibly a JSON null) or error set (the client's error
 * object, or a -32800 "connection closed" error at stop). Both are borrowed
 * for the call. */
typedef void (*lsp_response_fn)(lsp_endpoint *ep, json_t *result, json_t *error, void *data);

/* Lifecycle hooks; any may be NULL; data is passed to each. */
typedef struct lsp_endpoint_hooks {
    void (*on_shutdown)(lsp_endpoint *ep, void *data);
    /* The endpoint is stopping with code: close your handles here. */
    void (*on_exit)(lsp_endpoint *ep, int code, void *data);
    /* An in-flight request was cancelled (already answered -32800): stop
     * working on it; id is borrowed for the call. */
    void (*on_cancel)(lsp_endpoint *ep, json_t *id, void *data);
    void *data;
} lsp_endpoint_hooks;

/* A new endpoint on loop; nothing runs until lsp_endpoint_start. Switches
 * jansson to lsp_xmalloc. The caller frees it with lsp_endpoint_free. */
lsp_endpoint *lsp_endpoint_new(uv_loop_t *loop);

/* Registers fn for request method (copied); a later registration of the same
 * method replaces it. "shutdown", "exit" and "$/cancelRequest" are built in. */
void lsp_endpoint_on_request(lsp_endpoint *ep, const char *method, lsp_request_fn fn,
                             void *data);

/* Registers fn for notification method (copied). */
void lsp_endpoint_on_notification(lsp_endpoint *ep, const char *method, lsp_notification_fn fn,
                                  void *data);

/* Sets the lifecycle hooks (the struct is copied; data stays the caller's). */
void lsp_endpoint_set_hooks(lsp_endpoint *ep, const lsp_endpoint_hooks *hooks);

/* Sets the cap on a message body (default 64 MiB); before start only; no
 * memory changes hands. */
void lsp_endpoint_set_max_body(lsp_endpoint *ep, size_t max_body);

/* Caps the output waiting for the client (default 64 MiB): a client that
 * leaves more unread has stopped reading for good, and the endpoint stops
 * with exit code 1. Before start only; no memory changes hands. */
void lsp_endpoint_set_max_output(lsp_endpoint *ep, size_t bytes);

/* Sets how often the client's processId is polled (default 2000 ms); before
 * initialize; no memory changes hands. */
void lsp_endpoint_set_poll_interval(lsp_endpoint *ep, unsigned ms);

/* Starts serving: reads in_fd, writes out_fd (any of pipe, socket, terminal,
 * regular file). Returns 0, or a negative libuv error after stopping itself
 * with exit code 1 (run the loop so it can close, as after any stop). */
int lsp_endpoint_start(lsp_endpoint *ep, int in_fd, int out_fd);

/* Answers request id (borrowed) with result (stolen; NULL means null). A reply
 * to an id not in flight is dropped. */
void lsp_endpoint_reply(lsp_endpoint *ep, json_t *id, json_t *result);

/* Answers request id (borrowed) with an error (code, printf-style message). */
void lsp_endpoint_reply_error(lsp_endpoint *ep, json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Like lsp_endpoint_reply_error with an error "data" member (stolen). */
void lsp_endpoint_reply_error_data(lsp_endpoint *ep, json_t *id, int code, const char *message,
                                   json_t *data);

/* True while request id (borrowed) awaits its reply: false once answered or
 * cancelled, so long-running work can check it. */
bool lsp_endpoint_is_pending(const lsp_endpoint *ep, json_t *id);

/* Sends a notification with params (stolen; NULL: omitted). */
void lsp_endpoint_notify(lsp_endpoint *ep, const char *method, json_t *params);

/* Like lsp_endpoint_notify, for a notification that supersedes the previous
 * one of the same method and key (borrowed), such as publishDiagnostics per
 * document: while that one waits unwritten (the client reads slowly), this
 * one replaces it, so at most one per key is ever pending. */
void lsp_endpoint_notify_latest(lsp_endpoint *ep, const char *method, const char *key,
                                json_t *params);
/* The same with params given as JSON text (params[0, len), borrowed: an
 * object, as lsp_json_dump writes it), for a caller that already holds the
 * serialisation and would otherwise have it made twice. */
void lsp_endpoint_notify_latest_text(lsp_endpoint *ep, const char *method, const char *key, const char *params,
                                     size_t len);

/* Sends a request with params (stolen; NULL: omitted); cb(ep, result, error,
 * data) is called exactly once (see lsp_response_fn), at once with the
 * "connection closed" error if the endpoint has stopped. Returns the id. */
json_int_t lsp_endpoint_request(lsp_endpoint *ep, const char *method, json_t *params,
                                lsp_response_fn cb, void *data);

/* Stops serving with exit code (a second stop does nothing): see above. The
 * endpoint stays the caller's to free once the loop has run. */
void lsp_endpoint_stop(lsp_endpoint *ep, int code);

/* The lifecycle state; no memory changes hands. */
lsp_state lsp_endpoint_state(const lsp_endpoint *ep);

/* The process exit code once stopped (1 before); no memory changes hands. */
int lsp_endpoint_exit_code(const lsp_endpoint *ep);

/* The loop the endpoint runs on, owned by the caller of lsp_endpoint_new. */
uv_loop_t *lsp_endpoint_loop(const lsp_endpoint *ep);

/* Frees ep; only before start or once the loop has run after a stop (every
 * handle closed). Pending server->client callbacks were already called. */
void lsp_endpoint_free(lsp_endpoint *ep);

#endif
