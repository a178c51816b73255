/* transport.c - framed LSP messages over pipes, sockets, terminals and files.
 *
 * Handles owned: `deadline` (a timer, always), `in` and `out` when their fd is
 * a stream. Requests owned: `read_req` while a file read is in flight, and
 * the one write in flight (a batch: a uv_write_t or a uv_fs_t). Messages wait
 * in the transport's own queue, not in libuv's, so that a newer message can
 * replace a queued one with the same key, and the queue can be bounded. The
 * transport is freed only when every handle is closed and no request is in
 * flight (maybe_free). */
#include "transport.h"

#include "alloc.h"
#include "log.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536
#define FLUSH_DEADLINE_MS 1000
#define MAX_BATCH 64              /* messages per write */
#define DEFAULT_MAX_QUEUED (64u << 20)

enum io_kind { IO_NONE, IO_STREAM, IO_FILE };

typedef union stream_handle {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_tty_t tty;
    uv_tcp_t tcp;
} stream_handle;

/* One framed message on its way out: queued, then in a batch in flight. */
typedef struct out_msg {
    struct out_msg *next;
    char *key;           /* owned; a later message with this key replaces it while queued */
    char *body;          /* owned */
    size_t len;
    char header[48];
    size_t header_len;
} out_msg;

/* The one write in flight: messages taken from the head of the queue. */
typedef struct batch {
    uv_write_t req;      /* stream output */
    uv_fs_t fs;          /* file output */
    lsp_transport *t;
    out_msg *msgs;       /* owned, in order */
    size_t n;
    size_t total, done;  /* bytes; done: file output, whose writes may be short */
    uv_buf_t bufs[2 * MAX_BATCH];
} batch;

struct lsp_transport {
    uv_loop_t *loop;
    lsp_framer framer;
    lsp_transport_callbacks cb;

    int in_kind, out_kind;   /* enum io_kind */
    int in_fd, out_fd;
    stream_handle in, out;   /* valid when the kind is IO_STREAM */
    bool in_open, out_open;  /* stream handle initialised and not yet closing */
    int handles_open;        /* handles initialised and not yet closed */

    uv_fs_t read_req;        /* file input */
    bool read_active;        /* read_req in flight */
    bool reading;            /* more input wanted */
    bool eof_reported;
    char readbuf[READ_CHUNK];

    out_msg *q_head, *q_tail; /* waiting: not yet handed to libuv */
    size_t q_count, q_bytes;
    size_t max_queued;       /* cap on q_bytes (0: none) */
    bool stalled;            /* the cap was hit: the client stopped reading */
    batch *inflight;         /* the write in flight, or NULL */
    bool fs_write_active;    /* inflight is a uv_fs_write */
    bool out_broken;         /* a write failed: drop the rest */
    bool closing_output;     /* output closed or closing: start no write */

    uv_timer_t deadline;     /* bounds the flush at close */
    bool closing;
    bool freed;
    void (*on_closed)(void *data);
    void *closed_data;
};

static void maybe_free(lsp_transport *t);
static void file_read_next(lsp_transport *t);

static void on_handle_closed(uv_handle_t *h)
{
    lsp_transport *t = h->data;
    t->handles_open--;
    maybe_free(t);
}

/* Frees t and calls on_closed once nothing of t is left in the loop. */
static void maybe_free(lsp_transport *t)
{
    if (!t->closing || t->freed || t->handles_open > 0 || t->read_active || t->fs_write_active)
        return;
    t->freed = true;
    void (*on_closed)(void *) = t->on_closed;
    void *data = t->closed_data;
    lsp_framer_release(&t->framer);
    free(t);
    if (on_closed)
        on_closed(data);
}

static const char *kind_name(uv_handle_type type)
{
    switch (type) {
    case UV_NAMED_PIPE:
        return "a pipe";
    case UV_TTY:
        return "a terminal";
    case UV_TCP:
        return "a TCP socket";
    case UV_FILE:
        return "a file";
    case UV_UDP:
        return "a UDP socket";
    default:
        return "not open";
    }
}

lsp_transport *lsp_transport_new(uv_loop_t *loop, const lsp_transport_callbacks *cb,
                                 size_t max_body)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    lsp_transport *t = lsp_xcalloc(1, sizeof *t);
    t->loop = loop;
    t->cb = *cb;
    t->in_fd = t->out_fd = -1;
    t->max_queued = DEFAULT_MAX_QUEUED;
    lsp_framer_init(&t->framer, max_body);
    uv_timer_init(loop, &t->deadline);
    t->deadline.data = t;
    t->handles_open = 1;
    return t;
}

/* Initialises h as the stream handle of fd (type from uv_guess_handle).
 * Returns 0, or a libuv error with nothing left to close. */
static int stream_open(lsp_transport *t, stream_handle *h, int fd, uv_handle_type type,
                       bool readable)
{
    int err;
    switch (type) {
    case UV_NAMED_PIPE:
        uv_pipe_init(t->loop, &h->pipe, 0);
        err = uv_pipe_open(&h->pipe, fd);
        break;
    case UV_TTY:
        err = uv_tty_init(t->loop, &h->tty, fd, readable);
        if (err < 0)
            return err; /* nothing was initialised */
        break;
    case UV_TCP:
        uv_tcp_init(t->loop, &h->tcp);
        err = uv_tcp_open(&h->tcp, fd);
        break;
    default:
        return UV_EINVAL;
    }
    h->handle.data = t;
    t->handles_open++;
    if (err < 0) {
        /* Initialised but unusable: it must still be closed. */
        uv_close(&h->handle, on_handle_closed);
        return err;
    }
    return 0;
}

/* Feeds n bytes to the framer and hands over every message and error. */
static void feed(lsp_transport *t, const char *data, size_t n)
{
    lsp_framer_feed(&t->framer, data, n);
    lsp_frame frame;
    lsp_frame_status st;
    while (!t->closing && (st = lsp_framer_next(&t->framer, &frame)) != LSP_FRAME_NEED_MORE) {
        if (st == LSP_FRAME_MESSAGE)
            t->cb.on_message(t->cb.data, frame.body, frame.len);
        else
            t->cb.on_frame_error(t->cb.data, frame.error, frame.reason);
    }
}

/* Reports the end of input once. */
static void end_of_input(lsp_transport *t)
{
    t->reading = false;
    if (t->in_open)
        uv_read_stop(&t->in.stream);
    if (t->eof_reported || t->closing)
        return;
    t->eof_reported = true;
    if (!lsp_framer_idle(&t->framer))
        lsp_log(LSP_LOG_WARN, "input ended inside a message");
    t->cb.on_eof(t->cb.data);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    lsp_transport *t = h->data;
    *buf = uv_buf_init(t->readbuf, sizeof t->readbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    lsp_transport *t = s->data;
    if (nread > 0) {
        feed(t, buf->base, (size_t)nread);
    } else if (nread == UV_EOF) {
        lsp_log(LSP_LOG_DEBUG, "end of input");
        end_of_input(t);
    } else if (nread < 0) {
        lsp_log(LSP_LOG_WARN, "cannot read input: %s", uv_strerror((int)nread));
        end_of_input(t);
    }
}

static void on_file_read(uv_fs_t *req)
{
    lsp_transport *t = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    t->read_active = false;
    if (t->closing) {
        maybe_free(t);
        return;
    }
    if (n > 0) {
        feed(t, t->readbuf, (size_t)n);
        file_read_next(t);
    } else {
        if (n < 0)
            lsp_log(LSP_LOG_WARN, "cannot read input: %s", uv_strerror((int)n));
        end_of_input(t);
    }
}

/* Starts the next read of a regular file (at its current offset). */
static void file_read_next(lsp_transport *t)
{
    if (!t->reading || t->closing || t->read_active)
        return;
    uv_buf_t buf = uv_buf_init(t->readbuf, sizeof t->readbuf);
    t->read_req.data = t;
    int err = uv_fs_read(t->loop, &t->read_req, t->in_fd, &buf, 1, -1, on_file_read);
    if (err < 0) {
        lsp_log(LSP_LOG_WARN, "cannot read input: %s", uv_strerror(err));
        end_of_input(t);
        return;
    }
    t->read_active = true;
}

int lsp_transport_open(lsp_transport *t, int in_fd, int out_fd)
{
    uv_handle_type in_type = uv_guess_handle(in_fd);
    uv_handle_type out_type = uv_guess_handle(out_fd);
    lsp_log(LSP_LOG_DEBUG, "input (fd %d) is %s, output (fd %d) is %s", in_fd,
            kind_name(in_type), out_fd, kind_name(out_type));
    t->in_fd = in_fd;
    t->out_fd = out_fd;

    int err;
    if (out_type == UV_FILE) {
        t->out_kind = IO_FILE;
    } else if ((err = stream_open(t, &t->out, out_fd, out_type, false)) == 0) {
        t->out_kind = IO_STREAM;
        t->out_open = true;
    } else {
        lsp_log(LSP_LOG_ERROR, "cannot write output (fd %d, %s): %s", out_fd,
                kind_name(out_type), uv_strerror(err));
        t->out_broken = true;
        return err;
    }

    t->reading = true;
    if (in_type == UV_FILE) {
        t->in_kind = IO_FILE;
        file_read_next(t);
        return 0;
    }
    if ((err = stream_open(t, &t->in, in_fd, in_type, true)) == 0) {
        t->in_kind = IO_STREAM;
        t->in_open = true;
        err = uv_read_start(&t->in.stream, on_alloc, on_read);
    }
    if (err < 0) {
        t->reading = false;
        lsp_log(LSP_LOG_ERROR, "cannot read input (fd %d, %s): %s", in_fd, kind_name(in_type),
                uv_strerror(err));
    }
    return err;
}

/* ----------------------------------------------------------- output */

static void close_output(lsp_transport *t);
static void flush(lsp_transport *t);

static void msg_free(out_msg *m)
{
    free(m->key);
    free(m->body);
    free(m);
}

static size_t msg_bytes(const out_msg *m)
{
    return m->header_len + m->len;
}

/* Frees every queued message (none is in flight: they wait in the queue). */
static void drop_queue(lsp_transport *t)
{
    if (t->q_head)
        lsp_log(LSP_LOG_DEBUG, "output closed: dropping %zu queued messages", t->q_count);
    while (t->q_head) {
        out_msg *m = t->q_head;
        t->q_head = m->next;
        msg_free(m);
    }
    t->q_tail = NULL;
    t->q_count = 0;
    t->q_bytes = 0;
}

/* The batch in flight is done (written, failed or cancelled): frees it, logs
 * the first error, and writes what waits, unless the output is finished. */
static void batch_done(lsp_transport *t, int status)
{
    batch *b = t->inflight;
    t->inflight = NULL;
    if (status < 0 && status != UV_ECANCELED && !t->out_broken) {
        lsp_log(LSP_LOG_WARN, "cannot write output: %s (later messages are dropped)",
                uv_strerror(status));
        t->out_broken = true;
    }
    while (b->msgs) {
        out_msg *m = b->msgs;
        b->msgs = m->next;
        msg_free(m);
    }
    free(b);
    if (t->out_broken)
        drop_queue(t);
    if (t->closing && !t->inflight && !t->q_head)
        close_output(t);
    else
        flush(t);
}

static void on_write(uv_write_t *req, int status)
{
    batch *b = req->data;
    batch_done(b->t, status);
}

/* The buffers of b from byte `skip` on, into bufs; returns their count. */
static unsigned batch_bufs(const batch *b, size_t skip, uv_buf_t *bufs)
{
    unsigned n = 0;
    for (out_msg *m = b->msgs; m; m = m->next) {
        const char *part[2] = {m->header, m->body};
        size_t len[2] = {m->header_len, m->len};
        for (int k = 0; k < 2; k++) {
            if (skip >= len[k]) {
                skip -= len[k];
                continue;
            }
            bufs[n++] = uv_buf_init((char *)part[k] + skip, (unsigned)(len[k] - skip));
            skip = 0;
        }
    }
    return n;
}

static void file_write_next(lsp_transport *t);

static void on_file_write(uv_fs_t *req)
{
    batch *b = req->data;
    lsp_transport *t = b->t;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    t->fs_write_active = false;
    if (n > 0)
        b->done += (size_t)n;
    if (n > 0 && b->done < b->total && !t->closing_output)
        file_write_next(t); /* a short write: the rest of the batch */
    else
        batch_done(t, n < 0 ? (int)n : b->done == b->total ? 0 : t->closing_output ? UV_ECANCELED : UV_EIO);
    maybe_free(t);
}

/* Writes the batch in flight to a regular file, from where it stopped. */
static void file_write_next(lsp_transport *t)
{
    batch *b = t->inflight;
    unsigned n = batch_bufs(b, b->done, b->bufs);
    b->fs.data = b;
    int err = uv_fs_write(t->loop, &b->fs, t->out_fd, b->bufs, n, -1, on_file_write);
    if (err < 0) {
        batch_done(t, err);
        return;
    }
    t->fs_write_active = true;
}

/* Starts writing what waits in the queue, as one batch, unless a write is in
 * flight (one at a time: what waits can still be replaced or refused). */
static void flush(lsp_transport *t)
{
    if (t->inflight || !t->q_head || t->closing_output || t->out_broken)
        return;
    batch *b = lsp_xcalloc(1, sizeof *b);
    b->t = t;
    out_msg **tail = &b->msgs;
    while (t->q_head && b->n < MAX_BATCH) {
        out_msg *m = t->q_head;
        t->q_head = m->next;
        t->q_count--;
        t->q_bytes -= msg_bytes(m);
        m->next = NULL;
        *tail = m;
        tail = &m->next;
        b->n++;
        b->total += msg_bytes(m);
    }
    if (!t->q_head)
        t->q_tail = NULL;
    t->inflight = b;
    if (t->out_kind == IO_FILE) {
        file_write_next(t);
        return;
    }
    unsigned n = batch_bufs(b, 0, b->bufs);
    b->req.data = b;
    int err = uv_write(&b->req, &t->out.stream, b->bufs, n, on_write);
    if (err < 0)
        batch_done(t, err);
}

/* The queued message with key, or NULL. */
static out_msg *queued_with_key(const lsp_transport *t, const char *key)
{
    for (out_msg *m = t->q_head; m; m = m->next)
        if (m->key && strcmp(m->key, key) == 0)
            return m;
    return NULL;
}

void lsp_transport_send_latest(lsp_transport *t, const char *key, char *body, size_t len)
{
    if (t->closing || t->out_broken || t->stalled || t->out_kind == IO_NONE) {
        lsp_log(LSP_LOG_DEBUG, "output closed: dropping a message of %zu bytes", len);
        free(body);
        return;
    }
    if (len > UINT32_MAX) {
        lsp_log(LSP_LOG_ERROR, "dropping an outgoing message of %zu bytes", len);
        free(body);
        return;
    }
    out_msg *m = key ? queued_with_key(t, key) : NULL;
    if (m) {
        /* not written yet: the newer body takes its place */
        t->q_bytes -= msg_bytes(m);
        free(m->body);
    } else {
        size_t header = (size_t)snprintf(NULL, 0, "Content-Length: %zu\r\n\r\n", len);
        if (t->q_head && t->max_queued && t->q_bytes + header + len > t->max_queued) {
            /* a client that left this much unread has stopped reading */
            lsp_log(LSP_LOG_ERROR, "the client left more than %zu bytes of output unread: "
                                   "it stopped reading", t->max_queued);
            free(body);
            drop_queue(t);
            t->stalled = true;
            if (t->cb.on_stalled)
                t->cb.on_stalled(t->cb.data);
            return;
        }
        m = lsp_xcalloc(1, sizeof *m);
        m->key = key ? lsp_xstrdup(key) : NULL;
        if (t->q_tail)
            t->q_tail->next = m;
        else
            t->q_head = m;
        t->q_tail = m;
        t->q_count++;
    }
    m->body = body;
    m->len = len;
    m->header_len = (size_t)snprintf(m->header, sizeof m->header, "Content-Length: %zu\r\n\r\n", len);
    t->q_bytes += msg_bytes(m);
    flush(t);
}

void lsp_transport_send(lsp_transport *t, char *body, size_t len)
{
    lsp_transport_send_latest(t, NULL, body, len);
}

void lsp_transport_set_max_queued(lsp_transport *t, size_t bytes)
{
    t->max_queued = bytes;
}

size_t lsp_transport_pending_writes(const lsp_transport *t)
{
    return t->q_count + (t->inflight ? t->inflight->n : 0);
}

/* Closes the output (cancelling what is left) and the deadline timer. */
static void close_output(lsp_transport *t)
{
    if (uv_is_closing((uv_handle_t *)&t->deadline))
        return;
    uv_close((uv_handle_t *)&t->deadline, on_handle_closed);
    /* what waits is dropped; a stream write in flight is cancelled
     * (UV_ECANCELED), a file write in flight finishes */
    t->closing_output = true;
    drop_queue(t);
    if (t->out_open) {
        t->out_open = false;
        uv_close(&t->out.handle, on_handle_closed);
    }
}

static void on_deadline(uv_timer_t *timer)
{
    lsp_transport *t = timer->data;
    lsp_log(LSP_LOG_WARN, "output not flushed after %d ms: dropping %zu messages",
            FLUSH_DEADLINE_MS, lsp_transport_pending_writes(t));
    close_output(t);
}

void lsp_transport_close(lsp_transport *t, void (*on_closed)(void *data), void *data)
{
    if (t->closing)
        return;
    t->closing = true;
    t->reading = false;
    t->on_closed = on_closed;
    t->closed_data = data;
    if (t->in_open) {
        t->in_open = false;
        uv_read_stop(&t->in.stream);
        uv_close(&t->in.handle, on_handle_closed);
    }
    if (lsp_transport_pending_writes(t) == 0 || t->out_broken)
        close_output(t);
    else
        uv_timer_start(&t->deadline, on_deadline, FLUSH_DEADLINE_MS, 0);
}
