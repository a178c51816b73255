/* endpoint.c - JSON-RPC dispatch, LSP lifecycle and cancellation.
 *
 * Handles owned once started: `check` (dispatch after each poll), `poll` (the
 * client process watch), `stall` (stops the endpoint soon after the client
 * stopped reading) and the transport. handles_open counts those not yet
 * closed; lsp_endpoint_free requires it to be 0. */
#include "endpoint.h"

#include "alloc.h"
#include "log.h"
#include "transport.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define TRACE_CUT 2000

typedef struct handler {
    char *method;              /* owned */
    bool request;              /* request or notification handler */
    lsp_request_fn on_request;
    lsp_notification_fn on_notification;
    void *data;
} handler;

/* One incoming message waiting for dispatch. */
typedef struct queued {
    struct queued *next;
    lsp_msg msg;       /* owned, unless frame_error */
    bool frame_error;  /* a framing error to answer with id null */
    int code;          /* frame_error: the error code */
    char *message;     /* frame_error: owned reason */
    bool cancelled;    /* a request cancelled before dispatch */
} queued;

/* A request handed to a handler and not yet answered. */
typedef struct inflight {
    json_t *id;   /* owned reference */
    char *method; /* owned */
} inflight;

/* A server->client request awaiting its response. */
typedef struct outgoing {
    json_int_t id;
    char *method; /* owned */
    lsp_response_fn cb;
    void *data;
} outgoing;

struct lsp_endpoint {
    uv_loop_t *loop;
    lsp_transport *transport; /* owned until its close completes */
    bool output_closed;       /* transport close requested: send nothing */
    uv_check_t check;
    uv_timer_t poll;
    uv_timer_t stall;
    int handles_open;
    bool started;

    handler *handlers;
    size_t nhandlers, caphandlers;
    lsp_endpoint_hooks hooks;

    queued *qhead, *qtail;
    bool eof;

    lsp_state state;
    json_t *init_id; /* owned: the initialize request while it is unanswered */
    inflight *inflight;
    size_t ninflight, capinflight;
    outgoing *outgoing;
    size_t noutgoing, capoutgoing;
    json_int_t next_id;

    long long parent_pid;
    unsigned poll_ms;
    size_t max_body;
    size_t max_output;        /* 0: the transport's default */
    int exit_code;
    bool stopping;
};

/* ------------------------------------------------------------- utilities */

/* A short printable form of an id for logs, into buf (borrowed). */
static const char *id_text(const json_t *id, char *buf, size_t n)
{
    if (json_is_integer(id))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else if (json_is_string(id))
        snprintf(buf, n, "\"%.40s\"", json_string_value(id));
    else
        snprintf(buf, n, "null");
    return buf;
}

/* Serialises msg (stolen) and hands it to the transport; a queued message
 * with the same key (NULL: none) is replaced. */
static void send_keyed(lsp_endpoint *ep, const char *key, json_t *msg)
{
    if (!ep->transport || ep->output_closed) {
        json_decref(msg);
        return;
    }
    size_t len;
    char *text = lsp_json_dump(msg, &len);
    json_decref(msg);
    if (lsp_log_enabled(LSP_LOG_TRACE))
        lsp_log(LSP_LOG_TRACE, "--> %.*s%s", (int)(len > TRACE_CUT ? TRACE_CUT : len), text,
                len > TRACE_CUT ? "..." : "");
    lsp_transport_send_latest(ep->transport, key, text, len);
}

static void send_msg(lsp_endpoint *ep, json_t *msg)
{
    send_keyed(ep, NULL, msg);
}

static const handler *find_handler(const lsp_endpoint *ep, const char *method, bool request)
{
    for (size_t i = 0; i < ep->nhandlers; i++) {
        if (ep->handlers[i].request == request && strcmp(ep->handlers[i].method, method) == 0)
            return &ep->handlers[i];
    }
    return NULL;
}

static ssize_t inflight_find(const lsp_endpoint *ep, const json_t *id)
{
    for (size_t i = 0; i < ep->ninflight; i++) {
        if (json_equal(ep->inflight[i].id, id))
            return (ssize_t)i;
    }
    return -1;
}

/* Records id (a new reference is kept) as in flight. */
static void inflight_add(lsp_endpoint *ep, json_t *id, const char *method)
{
    if (ep->ninflight == ep->capinflight) {
        ep->capinflight = ep->capinflight ? ep->capinflight * 2 : 16;
        ep->inflight = lsp_xreallocarray(ep->inflight, ep->capinflight, sizeof *ep->inflight);
    }
    ep->inflight[ep->ninflight].id = json_incref(id);
    ep->inflight[ep->ninflight].method = lsp_xstrdup(method);
    ep->ninflight++;
}

/* Forgets in-flight entry i and frees what it owned. */
static void inflight_remove(lsp_endpoint *ep, size_t i)
{
    json_decref(ep->inflight[i].id);
    free(ep->inflight[i].method);
    ep->inflight[i] = ep->inflight[--ep->ninflight];
}

static void queued_free(queued *q)
{
    lsp_msg_release(&q->msg);
    free(q->message);
    free(q);
}

static void queue_push(lsp_endpoint *ep, queued *q)
{
    if (ep->qtail)
        ep->qtail->next = q;
    else
        ep->qhead = q;
    ep->qtail = q;
}

static queued *queue_pop(lsp_endpoint *ep)
{
    queued *q = ep->qhead;
    if (q) {
        ep->qhead = q->next;
        if (!ep->qhead)
            ep->qtail = NULL;
        q->next = NULL;
    }
    return q;
}

/* The exit code for a stop now: 0 only after shutdown. */
static int stop_code(const lsp_endpoint *ep)
{
    return ep->state == LSP_STATE_SHUTDOWN ? 0 : 1;
}

/* -------------------------------------------------------------- replies */

/* Sends msg (stolen), the answer to in-flight request id (borrowed), unless
 * id is no longer in flight; tracks the answer to initialize. */
static void finish_request(lsp_endpoint *ep, json_t *id, json_t *msg, bool is_error)
{
    ssize_t i = id ? inflight_find(ep, id) : -1;
    if (i < 0) {
        char buf[64];
        lsp_log(LSP_LOG_DEBUG, "dropping the reply to request %s: cancelled or already answered",
                id_text(id, buf, sizeof buf));
        json_decref(msg);
        return;
    }
    inflight_remove(ep, (size_t)i);
    if (ep->init_id && json_equal(ep->init_id, id)) {
        json_decref(ep->init_id);
        ep->init_id = NULL;
        if (ep->state == LSP_STATE_INITIALIZING)
            ep->state = is_error ? LSP_STATE_UNINITIALIZED : LSP_STATE_RUNNING;
    }
    send_msg(ep, msg);
}

void lsp_endpoint_reply(lsp_endpoint *ep, json_t *id, json_t *result)
{
    finish_request(ep, id, lsp_response_new(id, result), false);
}

void lsp_endpoint_reply_error_data(lsp_endpoint *ep, json_t *id, int code, const char *message,
                                   json_t *data)
{
    json_t *msg = lsp_error_response_new(id, code, message);
    if (data)
        json_object_set_new(json_object_get(msg, "error"), "data", data);
    finish_request(ep, id, msg, true);
}

void lsp_endpoint_reply_error(lsp_endpoint *ep, json_t *id, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = lsp_xvasprintf(fmt, ap);
    va_end(ap);
    lsp_endpoint_reply_error_data(ep, id, code, message, NULL);
    free(message);
}

bool lsp_endpoint_is_pending(const lsp_endpoint *ep, json_t *id)
{
    return inflight_find(ep, id) >= 0;
}

void lsp_endpoint_notify(lsp_endpoint *ep, const char *method, json_t *params)
{
    send_msg(ep, lsp_notification_new(method, params));
}

void lsp_endpoint_notify_latest(lsp_endpoint *ep, const char *method, const char *key,
                                json_t *params)
{
    char *k = lsp_xasprintf("%s %s", method, key);
    send_keyed(ep, k, lsp_notification_new(method, params));
    free(k);
}

void lsp_endpoint_notify_latest_text(lsp_endpoint *ep, const char *method, const char *key, const char *params,
                                     size_t len)
{
    if (!ep->transport || ep->output_closed)
        return;
    /* the envelope lsp_notification_new makes, written around the params */
    json_t *m = lsp_json_text(method, strlen(method));
    size_t mlen;
    char *mtext = lsp_json_dump(m, &mlen);
    json_decref(m);
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":", mid[] = ",\"params\":";
    size_t n = sizeof head - 1 + mlen + sizeof mid - 1 + len + 1;
    char *text = lsp_xmalloc(n + 1), *q = text;
    memcpy(q, head, sizeof head - 1), q += sizeof head - 1;
    memcpy(q, mtext, mlen), q += mlen;
    memcpy(q, mid, sizeof mid - 1), q += sizeof mid - 1;
    memcpy(q, params, len), q += len;
    *q++ = '}';
    *q = '\0';
    free(mtext);
    if (lsp_log_enabled(LSP_LOG_TRACE))
        lsp_log(LSP_LOG_TRACE, "--> %.*s%s", (int)(n > TRACE_CUT ? TRACE_CUT : n), text, n > TRACE_CUT ? "..." : "");
    char *k = lsp_xasprintf("%s %s", method, key);
    lsp_transport_send_latest(ep->transport, k, text, n);
    free(k);
}

/* Calls cb once with a "connection closed" error. */
static void call_closed(lsp_endpoint *ep, lsp_response_fn cb, void *data)
{
    json_t *err = lsp_error_new(LSP_REQUEST_CANCELLED, "connection closed", NULL);
    if (cb)
        cb(ep, NULL, err, data);
    json_decref(err);
}

json_int_t lsp_endpoint_request(lsp_endpoint *ep, const char *method, json_t *params,
                                lsp_response_fn cb, void *data)
{
    json_int_t id = ++ep->next_id;
    if (ep->stopping || ep->output_closed || !ep->transport) {
        json_decref(params);
        call_closed(ep, cb, data);
        return id;
    }
    if (ep->noutgoing == ep->capoutgoing) {
        ep->capoutgoing = ep->capoutgoing ? ep->capoutgoing * 2 : 16;
        ep->outgoing = lsp_xreallocarray(ep->outgoing, ep->capoutgoing, sizeof *ep->outgoing);
    }
    ep->outgoing[ep->noutgoing++] = (outgoing){id, lsp_xstrdup(method), cb, data};
    json_t *jid = json_integer(id);
    send_msg(ep, lsp_request_new(jid, method, params));
    json_decref(jid);
    return id;
}

/* ------------------------------------------------------------- dispatch */

/* Answers a request that never reaches a handler (not in flight). */
static void answer_error(lsp_endpoint *ep, json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void answer_error(lsp_endpoint *ep, json_t *id, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = lsp_xvasprintf(fmt, ap);
    va_end(ap);
    send_msg(ep, lsp_error_response_new(id, code, message));
    free(message);
}

static void on_poll(uv_timer_t *timer)
{
    lsp_endpoint *ep = timer->data;
    if (kill((pid_t)ep->parent_pid, 0) == -1 && errno == ESRCH) {
        lsp_log(LSP_LOG_WARN, "the client process %lld is gone: exiting", ep->parent_pid);
        lsp_endpoint_stop(ep, stop_code(ep));
    }
}

/* Starts watching initialize's processId, if any. Borrows params. */
static void watch_client(lsp_endpoint *ep, const json_t *params)
{
    const json_t *pid = json_object_get(params, "processId");
    if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
        json_integer_value(pid) > (json_int_t)INT32_MAX)
        return;
    ep->parent_pid = json_integer_value(pid);
    if (kill((pid_t)ep->parent_pid, 0) == -1 && errno == ESRCH) {
        lsp_log(LSP_LOG_WARN,
                "client process %lld not found (another PID namespace?): not watching it",
                ep->parent_pid);
        return;
    }
    lsp_log(LSP_LOG_DEBUG, "watching client process %lld every %u ms", ep->parent_pid,
            ep->poll_ms);
    uv_timer_start(&ep->poll, on_poll, ep->poll_ms, ep->poll_ms);
}

static void dispatch_request(lsp_endpoint *ep, queued *q)
{
    lsp_msg *m = &q->msg;
    const char *method = m->method;
    if (q->cancelled) {
        answer_error(ep, m->id, LSP_REQUEST_CANCELLED, "request cancelled");
        return;
    }
    if (strcmp(method, "initialize") == 0) {
        if (ep->state != LSP_STATE_UNINITIALIZED) {
            answer_error(ep, m->id, LSP_INVALID_REQUEST, "initialize may only be sent once");
            return;
        }
        ep->state = LSP_STATE_INITIALIZING;
        ep->init_id = json_incref(m->id);
        watch_client(ep, m->params);
        inflight_add(ep, m->id, method);
        const handler *h = find_handler(ep, method, true);
        if (h)
            h->on_request(ep, m->id, m->params, h->data);
        else
            lsp_endpoint_reply(ep, m->id, json_pack("{s:{}}", "capabilities"));
        return;
    }
    if (ep->state == LSP_STATE_UNINITIALIZED || ep->state == LSP_STATE_INITIALIZING) {
        answer_error(ep, m->id, LSP_SERVER_NOT_INITIALIZED, "server not initialized: \"%s\"",
                     method);
        return;
    }
    if (ep->state == LSP_STATE_SHUTDOWN) {
        answer_error(ep, m->id, LSP_INVALID_REQUEST, "server is shutting down: \"%s\"", method);
        return;
    }
    if (strcmp(method, "shutdown") == 0) {
        send_msg(ep, lsp_response_new(m->id, NULL));
        ep->state = LSP_STATE_SHUTDOWN;
        lsp_log(LSP_LOG_INFO, "shutdown");
        if (ep->hooks.on_shutdown)
            ep->hooks.on_shutdown(ep, ep->hooks.data);
        return;
    }
    const handler *h = find_handler(ep, method, true);
    if (!h) {
        answer_error(ep, m->id, LSP_METHOD_NOT_FOUND, "method not found: \"%s\"", method);
        return;
    }
    inflight_add(ep, m->id, method);
    h->on_request(ep, m->id, m->params, h->data);
}

static void dispatch_notification(lsp_endpoint *ep, queued *q)
{
    const char *method = q->msg.method;
    if (strcmp(method, "exit") == 0) {
        int code = stop_code(ep);
        lsp_log(LSP_LOG_INFO, "exit (code %d)", code);
        lsp_endpoint_stop(ep, code);
        return;
    }
    if (ep->state != LSP_STATE_RUNNING) {
        lsp_log(LSP_LOG_DEBUG, "dropping notification \"%s\": %s", method,
                ep->state == LSP_STATE_SHUTDOWN ? "after shutdown" : "not initialized");
        return;
    }
    const handler *h = find_handler(ep, method, false);
    if (h)
        h->on_notification(ep, q->msg.params, h->data);
    else if (strncmp(method, "$/", 2) != 0)
        lsp_log(LSP_LOG_DEBUG, "ignoring notification \"%s\"", method);
}

static void dispatch_response(lsp_endpoint *ep, queued *q)
{
    lsp_msg *m = &q->msg;
    char buf[64];
    size_t i;
    for (i = 0; i < ep->noutgoing; i++) {
        if (json_is_integer(m->id) && json_integer_value(m->id) == ep->outgoing[i].id)
            break;
    }
    if (i == ep->noutgoing) {
        const char *why = json_string_value(json_object_get(m->error, "message"));
        lsp_log(LSP_LOG_WARN, "response to unknown request %s%s%s",
                id_text(m->id, buf, sizeof buf), why ? ": " : "", why ? why : "");
        return;
    }
    outgoing o = ep->outgoing[i];
    ep->outgoing[i] = ep->outgoing[--ep->noutgoing];
    if (m->error)
        lsp_log(LSP_LOG_DEBUG, "request %s (\"%s\") failed: %s", id_text(m->id, buf, sizeof buf),
                o.method, json_string_value(json_object_get(m->error, "message")));
    if (o.cb)
        o.cb(ep, m->error ? NULL : m->result, m->error, o.data);
    free(o.method);
}

static void dispatch(lsp_endpoint *ep, queued *q)
{
    if (q->frame_error) {
        answer_error(ep, NULL, q->code, "%s", q->message);
        return;
    }
    switch (q->msg.kind) {
    case LSP_MSG_INVALID:
        lsp_log(LSP_LOG_WARN, "invalid message: %s", q->msg.reason);
        if (q->msg.reply)
            send_msg(ep, lsp_msg_error_reply(&q->msg));
        break;
    case LSP_MSG_REQUEST:
        dispatch_request(ep, q);
        break;
    case LSP_MSG_NOTIFICATION:
        dispatch_notification(ep, q);
        break;
    case LSP_MSG_RESPONSE:
        dispatch_response(ep, q);
        break;
    }
}

/* Runs after every poll phase: everything read in it is queued by now. */
static void on_check(uv_check_t *check)
{
    lsp_endpoint *ep = check->data;
    queued *q;
    while (!ep->stopping && (q = queue_pop(ep))) {
        dispatch(ep, q);
        queued_free(q);
    }
    if (!ep->stopping && ep->eof) {
        lsp_log(LSP_LOG_INFO, "end of input%s", ep->state == LSP_STATE_SHUTDOWN ? "" :
                                                 " without shutdown");
        lsp_endpoint_stop(ep, stop_code(ep));
    }
}

/* ------------------------------------------------------ transport input */

/* Applies $/cancelRequest for id (borrowed) as soon as it arrives. */
static void apply_cancel(lsp_endpoint *ep, json_t *id)
{
    char buf[64];
    if (!json_is_integer(id) && !json_is_string(id)) {
        lsp_log(LSP_LOG_DEBUG, "$/cancelRequest without a valid id");
        return;
    }
    for (queued *q = ep->qhead; q; q = q->next) {
        if (!q->frame_error && q->msg.kind == LSP_MSG_REQUEST && !q->cancelled &&
            json_equal(q->msg.id, id)) {
            q->cancelled = true;
            lsp_log(LSP_LOG_DEBUG, "request %s cancelled before dispatch",
                    id_text(id, buf, sizeof buf));
            return;
        }
    }
    if (inflight_find(ep, id) >= 0) {
        lsp_log(LSP_LOG_DEBUG, "request %s cancelled in flight", id_text(id, buf, sizeof buf));
        lsp_endpoint_reply_error(ep, id, LSP_REQUEST_CANCELLED, "request cancelled");
        if (ep->hooks.on_cancel)
            ep->hooks.on_cancel(ep, id, ep->hooks.data);
        return;
    }
    lsp_log(LSP_LOG_DEBUG, "$/cancelRequest for %s: nothing to cancel",
            id_text(id, buf, sizeof buf));
}

static void on_message(void *data, const char *body, size_t len)
{
    lsp_endpoint *ep = data;
    if (ep->stopping)
        return;
    if (lsp_log_enabled(LSP_LOG_TRACE))
        lsp_log(LSP_LOG_TRACE, "<-- %.*s%s", (int)(len > TRACE_CUT ? TRACE_CUT : len), body,
                len > TRACE_CUT ? "..." : "");
    queued *q = lsp_xcalloc(1, sizeof *q);
    lsp_msg_parse(&q->msg, body, len);
    if (q->msg.kind == LSP_MSG_NOTIFICATION && strcmp(q->msg.method, "$/cancelRequest") == 0) {
        apply_cancel(ep, json_object_get(q->msg.params, "id"));
        queued_free(q);
        return;
    }
    queue_push(ep, q);
}

static void on_frame_error(void *data, lsp_frame_error error, const char *reason)
{
    lsp_endpoint *ep = data;
    if (ep->stopping)
        return;
    lsp_log(LSP_LOG_WARN, "framing error: %s", reason);
    queued *q = lsp_xcalloc(1, sizeof *q);
    q->frame_error = true;
    q->code = error == LSP_FRAME_TOO_LARGE ? LSP_INVALID_REQUEST : LSP_PARSE_ERROR;
    q->message = lsp_xstrdup(reason);
    queue_push(ep, q);
}

static void on_eof(void *data)
{
    lsp_endpoint *ep = data;
    ep->eof = true;
}

static void on_stall_timer(uv_timer_t *timer)
{
    lsp_endpoint *ep = timer->data;
    lsp_log(LSP_LOG_ERROR, "the client stopped reading: exiting");
    lsp_endpoint_stop(ep, 1);
}

/* Called inside a send, maybe deep in a handler: stop from the loop. */
static void on_stalled(void *data)
{
    lsp_endpoint *ep = data;
    if (!ep->stopping)
        uv_timer_start(&ep->stall, on_stall_timer, 0, 0);
}

/* ------------------------------------------------------------ lifecycle */

lsp_endpoint *lsp_endpoint_new(uv_loop_t *loop)
{
    lsp_json_use_xmalloc();
    lsp_endpoint *ep = lsp_xcalloc(1, sizeof *ep);
    ep->loop = loop;
    ep->state = LSP_STATE_UNINITIALIZED;
    ep->poll_ms = 2000;
    ep->exit_code = 1;
    return ep;
}

/* Adds or replaces a handler entry (method copied). */
static void add_handler(lsp_endpoint *ep, const char *method, bool request, lsp_request_fn rfn,
                        lsp_notification_fn nfn, void *data)
{
    handler *h = (handler *)find_handler(ep, method, request);
    if (!h) {
        if (ep->nhandlers == ep->caphandlers) {
            ep->caphandlers = ep->caphandlers ? ep->caphandlers * 2 : 32;
            ep->handlers = lsp_xreallocarray(ep->handlers, ep->caphandlers, sizeof *ep->handlers);
        }
        h = &ep->handlers[ep->nhandlers++];
        h->method = lsp_xstrdup(method);
        h->request = request;
    }
    h->on_request = rfn;
    h->on_notification = nfn;
    h->data = data;
}

void lsp_endpoint_on_request(lsp_endpoint *ep, const char *method, lsp_request_fn fn,
                             void *data)
{
    add_handler(ep, method, true, fn, NULL, data);
}

void lsp_endpoint_on_notification(lsp_endpoint *ep, const char *method, lsp_notification_fn fn,
                                  void *data)
{
    add_handler(ep, method, false, NULL, fn, data);
}

void lsp_endpoint_set_hooks(lsp_endpoint *ep, const lsp_endpoint_hooks *hooks)
{
    ep->hooks = *hooks;
}

void lsp_endpoint_set_max_body(lsp_endpoint *ep, size_t max_body)
{
    ep->max_body = max_body;
}

void lsp_endpoint_set_max_output(lsp_endpoint *ep, size_t bytes)
{
    ep->max_output = bytes;
}

void lsp_endpoint_set_poll_interval(lsp_endpoint *ep, unsigned ms)
{
    ep->poll_ms = ms ? ms : 1;
}

static void on_handle_closed(uv_handle_t *h)
{
    lsp_endpoint *ep = h->data;
    ep->handles_open--;
}

static void on_transport_closed(void *data)
{
    lsp_endpoint *ep = data;
    ep->transport = NULL;
    ep->handles_open--;
}

int lsp_endpoint_start(lsp_endpoint *ep, int in_fd, int out_fd)
{
    assert(!ep->started);
    ep->started = true;
    uv_check_init(ep->loop, &ep->check);
    ep->check.data = ep;
    uv_check_start(&ep->check, on_check);
    uv_timer_init(ep->loop, &ep->poll);
    ep->poll.data = ep;
    uv_timer_init(ep->loop, &ep->stall);
    ep->stall.data = ep;
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, on_stalled, ep};
    ep->transport = lsp_transport_new(ep->loop, &cb, ep->max_body);
    if (ep->max_output)
        lsp_transport_set_max_queued(ep->transport, ep->max_output);
    ep->handles_open = 4;
    int err = lsp_transport_open(ep->transport, in_fd, out_fd);
    if (err < 0)
        lsp_endpoint_stop(ep, 1);
    return err;
}

void lsp_endpoint_stop(lsp_endpoint *ep, int code)
{
    if (ep->stopping)
        return;
    ep->stopping = true;
    ep->exit_code = code;
    ep->state = LSP_STATE_STOPPED;

    queued *q;
    while ((q = queue_pop(ep)))
        queued_free(q);
    if (ep->ninflight)
        lsp_log(LSP_LOG_DEBUG, "%zu requests left unanswered", ep->ninflight);
    while (ep->ninflight)
        inflight_remove(ep, ep->ninflight - 1);
    json_decref(ep->init_id);
    ep->init_id = NULL;

    /* Every server->client request gets its one callback. */
    outgoing *pending = ep->outgoing;
    size_t npending = ep->noutgoing;
    ep->outgoing = NULL;
    ep->noutgoing = ep->capoutgoing = 0;
    for (size_t i = 0; i < npending; i++) {
        call_closed(ep, pending[i].cb, pending[i].data);
        free(pending[i].method);
    }
    free(pending);

    if (ep->hooks.on_exit)
        ep->hooks.on_exit(ep, code, ep->hooks.data);

    if (ep->started) {
        uv_close((uv_handle_t *)&ep->check, on_handle_closed);
        uv_close((uv_handle_t *)&ep->poll, on_handle_closed);
        uv_close((uv_handle_t *)&ep->stall, on_handle_closed);
        ep->output_closed = true;
        lsp_transport_close(ep->transport, on_transport_closed, ep);
    }
}

lsp_state lsp_endpoint_state(const lsp_endpoint *ep)
{
    return ep->state;
}

int lsp_endpoint_exit_code(const lsp_endpoint *ep)
{
    return ep->exit_code;
}

uv_loop_t *lsp_endpoint_loop(const lsp_endpoint *ep)
{
    return ep->loop;
}

void lsp_endpoint_free(lsp_endpoint *ep)
{
    if (!ep)
        return;
    assert(!ep->started || ep->handles_open == 0);
    queued *q;
    while ((q = queue_pop(ep)))
        queued_free(q);
    while (ep->ninflight)
        inflight_remove(ep, ep->ninflight - 1);
    free(ep->inflight);
    for (size_t i = 0; i < ep->noutgoing; i++)
        free(ep->outgoing[i].method);
    free(ep->outgoing);
    json_decref(ep->init_id);
    for (size_t i = 0; i < ep->nhandlers; i++)
        free(ep->handlers[i].method);
    free(ep->handlers);
    free(ep);
}
