/* endpoint_test.c - the endpoint over a socketpair with a fake client:
 * lifecycle, cancellation, unknown methods, framing errors, server->client
 * requests, exit codes, the client process watch, and a clean loop close. */
#include "endpoint.h"

#include "check.h"
#include "framing.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ fake client */

typedef struct client {
    int fd;            /* the client's end of both directions */
    int server_fd;     /* given to the endpoint (which closes it) */
    json_t *out;       /* array of every message the server wrote */
} client;

static void client_open(client *c)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        exit(2);
    }
    c->fd = sv[0];
    /* stdin and stdout are distinct fds on one socket, as with a real client. */
    c->server_fd = sv[1];
    c->out = json_array();
}

/* Writes one framed message with printf-style JSON. */
static void client_send(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void client_send(client *c, const char *fmt, ...)
{
    char body[4096], msg[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    int n = snprintf(msg, sizeof msg, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    if (write(c->fd, msg, (size_t)n) != n)
        perror("write");
}

static void client_raw(client *c, const char *bytes, size_t n)
{
    if (write(c->fd, bytes, n) != (ssize_t)n)
        perror("write");
}

/* Reads everything the server wrote until it closed its end. */
static void client_collect(client *c)
{
    lsp_framer f;
    lsp_framer_init(&f, 0);
    char buf[65536];
    ssize_t n;
    int flags = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
    while ((n = read(c->fd, buf, sizeof buf)) > 0) {
        lsp_framer_feed(&f, buf, (size_t)n);
        lsp_frame fr;
        lsp_frame_status st;
        while ((st = lsp_framer_next(&f, &fr)) != LSP_FRAME_NEED_MORE) {
            CHECK_INT(st, LSP_FRAME_MESSAGE);
            if (st == LSP_FRAME_MESSAGE)
                json_array_append_new(c->out, json_loadb(fr.body, fr.len, 0, NULL));
        }
    }
    lsp_framer_release(&f);
    close(c->fd);
}

static void client_free(client *c)
{
    json_decref(c->out);
}

/* The idx-th message the server wrote with "id" == id (an integer). */
static json_t *reply_to(const client *c, json_int_t id, int idx)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->out, i, m)
    {
        json_t *jid = json_object_get(m, "id");
        if (json_is_integer(jid) && json_integer_value(jid) == id &&
            !json_object_get(m, "method") && idx-- == 0)
            return m;
    }
    return NULL;
}

static int count_replies(const client *c, json_int_t id)
{
    int n = 0;
    while (reply_to(c, id, n))
        n++;
    return n;
}

/* The error code of the reply to id, 0 for a result, 1 if there is none. */
static int code_of(const client *c, json_int_t id)
{
    json_t *m = reply_to(c, id, 0);
    if (!m)
        return 1;
    json_t *err = json_object_get(m, "error");
    if (err)
        return (int)json_integer_value(json_object_get(err, "code"));
    return json_object_get(m, "result") ? 0 : 1;
}

/* ------------------------------------------------------------ fake server */

typedef struct server {
    lsp_endpoint *ep;
    client *c;
    int initialize_calls, echo_calls, slow_calls, opened, shutdown_calls, exit_calls;
    int exit_code_seen, cancel_hook_calls, config_results, config_closed;
    json_t *deferred_id;
    uv_timer_t timer;
    bool timer_open;
    pid_t child;
} server;

static void on_initialize(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    server *s = data;
    s->initialize_calls++;
    lsp_endpoint_reply(ep, id, json_pack("{s:{s:i}}", "capabilities", "textDocumentSync", 2));
}

static void on_echo(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    server *s = data;
    s->echo_calls++;
    lsp_endpoint_reply(ep, id, params ? json_incref(params) : NULL);
}

static void on_slow(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    server *s = data;
    s->slow_calls++;
    lsp_endpoint_reply(ep, id, json_string("should not happen"));
}

static void on_bad_params(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    if (!json_is_integer(json_object_get(params, "n")))
        lsp_endpoint_reply_error(ep, id, LSP_INVALID_PARAMS, "\"n\" must be an integer, not %s",
                                 "a string");
    else
        lsp_endpoint_reply(ep, id, NULL);
}

/* test/big: a 100 KB reply */
static void on_big(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    char *text = malloc(100000 + 1);
    memset(text, 'b', 100000);
    text[100000] = '\0';
    lsp_endpoint_reply(ep, id, json_string(text));
    free(text);
}

static void on_did_open(lsp_endpoint *ep, json_t *params, void *data)
{
    server *s = data;
    s->opened++;
}

static void on_shutdown(lsp_endpoint *ep, void *data)
{
    server *s = data;
    s->shutdown_calls++;
}

static void on_timer_closed(uv_handle_t *h)
{
    server *s = h->data;
    s->timer_open = false;
}

static void on_exit_hook(lsp_endpoint *ep, int code, void *data)
{
    server *s = data;
    s->exit_calls++;
    s->exit_code_seen = code;
    if (s->timer_open && !uv_is_closing((uv_handle_t *)&s->timer))
        uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

static void on_cancel_hook(lsp_endpoint *ep, json_t *id, void *data)
{
    server *s = data;
    s->cancel_hook_calls++;
    CHECK_INT(json_integer_value(id), 2);
}

/* Sets up a loop, an endpoint with the handlers above, and a client. */
static void setup(uv_loop_t *loop, server *s, client *c)
{
    memset(s, 0, sizeof *s);
    uv_loop_init(loop);
    client_open(c);
    s->c = c;
    s->ep = lsp_endpoint_new(loop);
    lsp_endpoint_on_request(s->ep, "initialize", on_initialize, s);
    lsp_endpoint_on_request(s->ep, "test/echo", on_echo, s);
    lsp_endpoint_on_request(s->ep, "test/slow", on_slow, s);
    lsp_endpoint_on_request(s->ep, "test/badParams", on_bad_params, s);
    lsp_endpoint_on_request(s->ep, "test/big", on_big, s);
    lsp_endpoint_on_notification(s->ep, "textDocument/didOpen", on_did_open, s);
    lsp_endpoint_hooks hooks = {on_shutdown, on_exit_hook, on_cancel_hook, s};
    lsp_endpoint_set_hooks(s->ep, &hooks);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    s->timer_open = true;
}

/* Runs the loop to the end, reading in_fd (-1: the client's socket); returns
 * the exit code; checks that the loop closes cleanly. */
static int run_from(uv_loop_t *loop, server *s, int in_fd)
{
    if (in_fd < 0)
        CHECK_INT(lsp_endpoint_start(s->ep, s->c->server_fd, dup(s->c->server_fd)), 0);
    else
        CHECK_INT(lsp_endpoint_start(s->ep, in_fd, s->c->server_fd), 0);
    uv_run(loop, UV_RUN_DEFAULT);
    int code = lsp_endpoint_exit_code(s->ep);
    CHECK_INT(lsp_endpoint_state(s->ep), LSP_STATE_STOPPED);
    lsp_endpoint_free(s->ep);
    CHECK(!s->timer_open);
    CHECK_INT(uv_loop_close(loop), 0);
    CHECK_INT(s->exit_calls, 1);
    CHECK_INT(s->exit_code_seen, code);
    client_collect(s->c);
    return code;
}

static int run(uv_loop_t *loop, server *s)
{
    return run_from(loop, s, -1);
}

#define INIT "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"initialize\",\"params\":" \
             "{\"processId\":null,\"capabilities\":{}}}"
#define INITIALIZED "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}"
#define SHUTDOWN "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"shutdown\"}"
#define EXIT "{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"
#define REQ "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":{}}"
#define NOTE "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{}}"
#define CANCEL "{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":%d}}"

/* ------------------------------------------------------------------ tests */

static void test_lifecycle(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, REQ, 1, "test/echo");                 /* before initialize */
    client_send(&c, NOTE, "textDocument/didOpen");        /* dropped */
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
                    "{\"processId\":%d,\"capabilities\":{}}}",
                (int)getpid());
    client_send(&c, INITIALIZED);
    client_send(&c, NOTE, "textDocument/didOpen");
    client_send(&c, REQ, 3, "foo/bar");                   /* unknown */
    client_send(&c, NOTE, "foo/baz");                     /* ignored */
    client_send(&c, REQ, 4, "$/unknown");                 /* $/ request: -32601 */
    client_send(&c, NOTE, "$/setTrace");
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test/echo\","
                    "\"params\":{\"x\":[1,2]}}");
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"test/badParams\","
                    "\"params\":{\"n\":\"1\"}}");
    client_send(&c, INIT, 9);                             /* a second initialize */
    client_send(&c, SHUTDOWN, 7);
    client_send(&c, REQ, 8, "test/echo");                 /* after shutdown */
    client_send(&c, NOTE, "textDocument/didOpen");        /* dropped */
    client_send(&c, EXIT);
    client_send(&c, REQ, 10, "test/echo");                /* after exit: never read */
    CHECK_INT(run(&loop, &s), 0);

    CHECK_INT(code_of(&c, 1), LSP_SERVER_NOT_INITIALIZED);
    CHECK_INT(code_of(&c, 2), 0);
    CHECK_INT(json_integer_value(json_object_get(
                  json_object_get(json_object_get(reply_to(&c, 2, 0), "result"), "capabilities"),
                  "textDocumentSync")),
              2);
    CHECK_INT(code_of(&c, 3), LSP_METHOD_NOT_FOUND);
    CHECK_INT(code_of(&c, 4), LSP_METHOD_NOT_FOUND);
    CHECK_INT(code_of(&c, 5), 0);
    CHECK_INT(json_array_size(json_object_get(json_object_get(reply_to(&c, 5, 0), "result"), "x")),
              2);
    CHECK_INT(code_of(&c, 6), LSP_INVALID_PARAMS);
    CHECK_STR(json_string_value(json_object_get(json_object_get(reply_to(&c, 6, 0), "error"),
                                                "message")),
              "\"n\" must be an integer, not a string");
    CHECK_INT(code_of(&c, 9), LSP_INVALID_REQUEST);
    CHECK_INT(code_of(&c, 7), 0);
    CHECK(json_is_null(json_object_get(reply_to(&c, 7, 0), "result")));
    CHECK_INT(code_of(&c, 8), LSP_INVALID_REQUEST);
    CHECK_INT(count_replies(&c, 10), 0);
    CHECK_INT(json_array_size(c.out), 9); /* nothing else was written */
    CHECK_INT(s.initialize_calls, 1);
    CHECK_INT(s.echo_calls, 1);
    CHECK_INT(s.opened, 1);
    CHECK_INT(s.shutdown_calls, 1);
    client_free(&c);
}

static void test_cancel_in_same_read(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    /* Request, its cancellation, and the end, written together. */
    client_send(&c, REQ, 2, "test/slow");
    client_send(&c, REQ, 3, "test/echo");
    client_send(&c, CANCEL, 2);
    client_send(&c, CANCEL, 99); /* unknown id: ignored */
    client_send(&c, SHUTDOWN, 4);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 0);
    CHECK_INT(code_of(&c, 2), LSP_REQUEST_CANCELLED);
    CHECK_INT(count_replies(&c, 2), 1);
    CHECK_INT(s.slow_calls, 0);
    CHECK_INT(code_of(&c, 3), 0);
    CHECK_INT(s.cancel_hook_calls, 0); /* never reached the server */
    client_free(&c);
}

/* test/defer: keeps the id, makes the client cancel it, answers 50 ms later. */
static void on_late_reply(uv_timer_t *t)
{
    server *s = t->data;
    CHECK(!lsp_endpoint_is_pending(s->ep, s->deferred_id));
    lsp_endpoint_reply(s->ep, s->deferred_id, json_string("late")); /* dropped */
    json_decref(s->deferred_id);
    s->deferred_id = NULL;
    client_send(s->c, SHUTDOWN, 3);
    client_send(s->c, EXIT);
}

static void on_defer(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    server *s = data;
    s->deferred_id = json_incref(id);
    CHECK(lsp_endpoint_is_pending(ep, id));
    client_send(s->c, CANCEL, 2); /* arrives in a later read */
    uv_timer_start(&s->timer, on_late_reply, 50, 0);
}

static void test_cancel_deferred(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_on_request(s.ep, "test/defer", on_defer, &s);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, REQ, 2, "test/defer");
    CHECK_INT(run(&loop, &s), 0);
    CHECK_INT(count_replies(&c, 2), 1);
    CHECK_INT(code_of(&c, 2), LSP_REQUEST_CANCELLED);
    CHECK_INT(s.cancel_hook_calls, 1);
    CHECK_INT(code_of(&c, 3), 0);
    client_free(&c);
}

static void test_eof_without_shutdown(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, REQ, 2, "test/echo");
    shutdown(c.fd, SHUT_WR);
    CHECK_INT(run(&loop, &s), 1);
    CHECK_INT(code_of(&c, 2), 0); /* queued messages are served before EOF acts */
    client_free(&c);
}

static void test_eof_after_shutdown(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, INIT, 1);
    client_send(&c, SHUTDOWN, 2);
    shutdown(c.fd, SHUT_WR);
    CHECK_INT(run(&loop, &s), 0);
    client_free(&c);
}

/* eglot 1.9's handshake: "params": null on shutdown and on exit. */
static void test_null_params_handshake(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test/echo\",\"params\":null}");
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\",\"params\":null}");
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"method\":\"exit\",\"params\":null}");
    shutdown(c.fd, SHUT_WR); /* an ignored exit ends at end of input, with 1 */
    CHECK_INT(run(&loop, &s), 0);
    CHECK_INT(code_of(&c, 2), 0);
    CHECK_INT(code_of(&c, 3), 0);
    CHECK(json_is_null(json_object_get(reply_to(&c, 3, 0), "result")));
    CHECK_INT(s.shutdown_calls, 1);
    client_free(&c);
}

/* A client that sends requests but never reads the replies: once more than
 * the cap waits unread, the endpoint stops by itself (code 1). */
static void test_client_stops_reading(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_set_max_output(s.ep, 1 << 20);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    for (int i = 0; i < 40; i++)
        client_send(&c, REQ, 10 + i, "test/big");
    CHECK_INT(run(&loop, &s), 1);
    CHECK(count_replies(&c, 49) == 0); /* never all of them */
    client_free(&c);
}

static void test_exit_without_shutdown(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, INIT, 1);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 1);
    client_free(&c);
}

static void test_exit_before_initialize(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 1);
    CHECK_INT(s.initialize_calls, 0);
    client_free(&c);
}

static void test_bad_input_keeps_serving(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_set_max_body(s.ep, 1000);
    client_send(&c, INIT, 1);
    /* Oversized: skipped exactly, even though it looks like messages. */
    char big[3000];
    int n = snprintf(big, sizeof big, "Content-Length: 2000\r\n\r\n");
    memset(big + n, ' ', 2000);
    client_raw(&c, big, (size_t)n + 2000);
    client_raw(&c, "Content-Length: abc\r\n\r\n{}", 25);           /* malformed */
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":");                /* not JSON */
    client_send(&c, "[" REQ "]", 5, "test/echo");                   /* batch */
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":7}");  /* bad method */
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":1}"); /* unanswered */
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":null}"); /* unknown response */
    client_send(&c, REQ, 8, "test/echo");
    client_send(&c, SHUTDOWN, 9);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 0);

    /* The id-null errors, in order: too large, malformed header, parse, batch. */
    int codes[8], nnull = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c.out, i, m)
    {
        if (json_is_null(json_object_get(m, "id")) && nnull < 8)
            codes[nnull++] = (int)json_integer_value(
                json_object_get(json_object_get(m, "error"), "code"));
    }
    CHECK_INT(nnull, 4);
    CHECK_INT(codes[0], LSP_INVALID_REQUEST);
    CHECK_INT(codes[1], LSP_PARSE_ERROR);
    CHECK_INT(codes[2], LSP_PARSE_ERROR);
    CHECK_INT(codes[3], LSP_INVALID_REQUEST);
    CHECK_INT(code_of(&c, 6), LSP_INVALID_REQUEST);
    CHECK_INT(count_replies(&c, 5), 0); /* the batch is not executed */
    CHECK_INT(code_of(&c, 8), 0);
    CHECK_INT(code_of(&c, 9), 0);
    CHECK_INT(json_array_size(c.out), 8);
    client_free(&c);
}

/* Server -> client requests: one answered, one left open until exit. */
static void on_config(lsp_endpoint *ep, json_t *result, json_t *error, void *data)
{
    server *s = data;
    if (result && json_integer_value(json_object_get(json_array_get(result, 0), "a")) == 1)
        s->config_results++;
    if (error && json_integer_value(json_object_get(error, "code")) == LSP_REQUEST_CANCELLED)
        s->config_closed++;
}

static void on_initialized(lsp_endpoint *ep, json_t *params, void *data)
{
    server *s = data;
    CHECK_INT(lsp_endpoint_request(ep, "workspace/configuration",
                                   json_pack("{s:[{s:s}]}", "items", "section", "apls"), on_config,
                                   s),
              1);
    CHECK_INT(lsp_endpoint_request(ep, "client/registerCapability", NULL, on_config, s), 2);
}

static void test_server_requests(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_on_notification(s.ep, "initialized", on_initialized, &s);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[{\"a\":1}]}");
    client_send(&c, SHUTDOWN, 2);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 0);
    CHECK_INT(s.config_results, 1);
    CHECK_INT(s.config_closed, 1);
    int requests = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c.out, i, m)
    {
        const char *method = json_string_value(json_object_get(m, "method"));
        if (method && strcmp(method, "workspace/configuration") == 0 &&
            json_integer_value(json_object_get(m, "id")) == 1 &&
            json_object_get(json_object_get(m, "params"), "items"))
            requests++;
    }
    CHECK_INT(requests, 1);
    client_free(&c);
}

/* A notification whose params come as JSON text reaches the client as the
 * same message lsp_endpoint_notify_latest sends, and replaces a queued one
 * of its key like it. */
static void on_initialized_text(lsp_endpoint *ep, json_t *params, void *data)
{
    (void)params;
    (void)data;
    const char *first = "{\"uri\":\"file:///a.ap\",\"version\":1,\"diagnostics\":[]}";
    const char *second = "{\"uri\":\"file:///a.ap\",\"version\":2,\"diagnostics\":[{\"message\":\"x\\ny\"}]}";
    lsp_endpoint_notify_latest_text(ep, "textDocument/publishDiagnostics", "file:///a.ap", first, strlen(first));
    lsp_endpoint_notify_latest_text(ep, "textDocument/publishDiagnostics", "file:///a.ap", second, strlen(second));
}

static void test_notify_latest_text(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_on_notification(s.ep, "initialized", on_initialized_text, &s);
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, SHUTDOWN, 2);
    client_send(&c, EXIT);
    CHECK_INT(run(&loop, &s), 0);
    int got = 0;
    size_t i;
    json_t *m;
    json_array_foreach(c.out, i, m)
    {
        const char *method = json_string_value(json_object_get(m, "method"));
        if (!method || strcmp(method, "textDocument/publishDiagnostics") != 0)
            continue;
        got++;
        CHECK_STR(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
        json_t *p = json_object_get(m, "params");
        CHECK_STR(json_string_value(json_object_get(p, "uri")), "file:///a.ap");
        json_t *d = json_array_get(json_object_get(p, "diagnostics"), 0);
        if (json_integer_value(json_object_get(p, "version")) == 2)
            CHECK_STR(json_string_value(json_object_get(d, "message")), "x\ny");
    }
    CHECK(got == 1 || got == 2); /* the second replaced the first unless it was written already */
    client_free(&c);
}

/* The client process dies: the endpoint notices without any input. */
static void on_kill_child(uv_timer_t *t)
{
    server *s = t->data;
    kill(s->child, SIGKILL);
    waitpid(s->child, NULL, 0);
    s->child = 0;
}

static void test_client_process_gone(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    s.child = fork();
    if (s.child == 0) {
        pause();
        _exit(0);
    }
    lsp_endpoint_set_poll_interval(s.ep, 20);
    client_send(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                    "{\"processId\":%d,\"capabilities\":{}}}",
                (int)s.child);
    uv_timer_start(&s.timer, on_kill_child, 100, 0);
    CHECK_INT(run(&loop, &s), 1);
    CHECK_INT(code_of(&c, 1), 0);
    CHECK_INT(s.child, 0);
    client_free(&c);
}

/* A deferred initialize blocks other requests until it is answered. */
static void on_init_later(uv_timer_t *t)
{
    server *s = t->data;
    lsp_endpoint_reply(s->ep, s->deferred_id, json_pack("{s:{}}", "capabilities"));
    json_decref(s->deferred_id);
    s->deferred_id = NULL;
    client_send(s->c, REQ, 3, "test/echo");
    client_send(s->c, SHUTDOWN, 4);
    client_send(s->c, EXIT);
}

static void on_initialize_deferred(lsp_endpoint *ep, json_t *id, json_t *params, void *data)
{
    server *s = data;
    s->initialize_calls++;
    s->deferred_id = json_incref(id);
    uv_timer_start(&s->timer, on_init_later, 30, 0);
}

static void test_initialize_deferred(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    lsp_endpoint_on_request(s.ep, "initialize", on_initialize_deferred, &s);
    client_send(&c, INIT, 1);
    client_send(&c, REQ, 2, "test/echo"); /* before the reply: -32002 */
    CHECK_INT(run(&loop, &s), 0);
    CHECK_INT(code_of(&c, 1), 0);
    CHECK_INT(code_of(&c, 2), LSP_SERVER_NOT_INITIALIZED);
    CHECK_INT(code_of(&c, 3), 0);
    client_free(&c);
}

/* `apls < session.txt`: standard input is a regular file. */
static void test_stdin_is_a_file(void)
{
    uv_loop_t loop;
    server s;
    client c;
    setup(&loop, &s, &c);
    char path[] = "/tmp/apls-endpoint-XXXXXX";
    int file = mkstemp(path);
    unlink(path);
    int sock = c.fd;
    c.fd = file; /* client_send writes the session into the file */
    client_send(&c, INIT, 1);
    client_send(&c, INITIALIZED);
    client_send(&c, REQ, 2, "test/echo");
    client_send(&c, REQ, 3, "test/slow");
    client_send(&c, CANCEL, 3);
    client_send(&c, SHUTDOWN, 4);
    client_send(&c, EXIT);
    c.fd = sock;
    lseek(file, 0, SEEK_SET);
    CHECK_INT(run_from(&loop, &s, file), 0);
    close(file);
    CHECK_INT(code_of(&c, 1), 0);
    CHECK_INT(code_of(&c, 2), 0);
    CHECK_INT(code_of(&c, 3), LSP_REQUEST_CANCELLED);
    CHECK_INT(code_of(&c, 4), 0);
    client_free(&c);
}

int main(void)
{
    lsp_log_set_level(getenv("APLS_TEST_LOG") ? LSP_LOG_TRACE : LSP_LOG_ERROR);
    RUN(test_lifecycle);
    RUN(test_cancel_in_same_read);
    RUN(test_cancel_deferred);
    RUN(test_eof_without_shutdown);
    RUN(test_eof_after_shutdown);
    RUN(test_null_params_handshake);
    RUN(test_client_stops_reading);
    RUN(test_exit_without_shutdown);
    RUN(test_exit_before_initialize);
    RUN(test_bad_input_keeps_serving);
    RUN(test_server_requests);
    RUN(test_notify_latest_text);
    RUN(test_client_process_gone);
    RUN(test_initialize_deferred);
    RUN(test_stdin_is_a_file);
    return check_summary();
}
