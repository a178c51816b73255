/* transport_test.c - the transport over pipes, regular files, /dev/null, a
 * closed pipe and a terminal (pty); every test ends with a clean loop close. */
#include "transport.h"

#include "check.h"
#include "log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

typedef struct sink {
    char got[8192]; /* "M<body>|" and "E<kind>|" in order */
    int eof;
    bool closed;
    lsp_transport *t;
    bool echo;      /* send every body back */
    bool close_on_eof;
} sink;

static void on_message(void *data, const char *body, size_t len)
{
    sink *s = data;
    size_t n = strlen(s->got);
    snprintf(s->got + n, sizeof s->got - n, "M%.*s|", (int)len, body);
    if (s->echo) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, body, len);
        lsp_transport_send(s->t, copy, len);
    }
}

static void on_frame_error(void *data, lsp_frame_error error, const char *reason)
{
    sink *s = data;
    size_t n = strlen(s->got);
    snprintf(s->got + n, sizeof s->got - n, "E%d|", (int)error);
}

static void on_closed(void *data)
{
    sink *s = data;
    s->closed = true;
}

static void on_eof(void *data)
{
    sink *s = data;
    s->eof++;
    if (s->close_on_eof)
        lsp_transport_close(s->t, on_closed, s);
}

static const char input[] = "Content-Length: 5\r\n\r\nhello"
                            "Content-Length: x\r\n\r\n"
                            "content-length: 2\n\n{}";
#define WANT "Mhello|E2|M{}|"

/* Runs a transport from in_fd to out_fd until end of input; echoes. */
static void run_echo(int in_fd, int out_fd, sink *s)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    memset(s, 0, sizeof *s);
    s->echo = true;
    s->close_on_eof = true;
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, NULL, s};
    s->t = lsp_transport_new(&loop, &cb, 0);
    CHECK_INT(lsp_transport_open(s->t, in_fd, out_fd), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(s->closed);
    CHECK_INT(s->eof, 1);
    CHECK_INT(uv_loop_close(&loop), 0);
}

static char *read_all(int fd)
{
    static char buf[65536];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    return buf;
}

static const char echoed[] = "Content-Length: 5\r\n\r\nhelloContent-Length: 2\r\n\r\n{}";

static void test_pipes(void)
{
    int in[2], out[2];
    CHECK_INT(pipe(in), 0);
    CHECK_INT(pipe(out), 0);
    CHECK(write(in[1], input, sizeof input - 1) == (ssize_t)(sizeof input - 1));
    close(in[1]);
    sink s;
    run_echo(in[0], out[1], &s); /* both closed by the transport */
    CHECK_STR(s.got, WANT);
    CHECK_STR(read_all(out[0]), echoed);
    close(out[0]);
}

static int temp_file(const char *content)
{
    char path[] = "/tmp/apls-transport-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (content && write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        perror("write");
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void test_regular_files(void)
{
    int in = temp_file(input);
    int out = temp_file(NULL);
    CHECK_INT(uv_guess_handle(in), UV_FILE);
    sink s;
    run_echo(in, out, &s);
    CHECK_STR(s.got, WANT);
    lseek(out, 0, SEEK_SET);
    CHECK_STR(read_all(out), echoed);
    close(in); /* file fds are left open by the transport */
    close(out);
}

static void test_dev_null(void)
{
    int in = temp_file(input);
    int out = open("/dev/null", O_WRONLY);
    sink s;
    run_echo(in, out, &s);
    CHECK_STR(s.got, WANT);
    close(in);
    close(out);
    /* /dev/null as input: immediate end of input. */
    int null_in = open("/dev/null", O_RDONLY);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    run_echo(null_in, sv[1], &s);
    CHECK_STR(s.got, "");
    close(null_in);
    close(sv[0]);
}

static void test_write_error_not_fatal(void)
{
    int in[2], out[2];
    CHECK_INT(pipe(in), 0);
    CHECK_INT(pipe(out), 0);
    close(out[0]); /* nobody reads: EPIPE, not SIGPIPE */
    CHECK(write(in[1], input, sizeof input - 1) == (ssize_t)(sizeof input - 1));
    close(in[1]);
    sink s;
    run_echo(in[0], out[1], &s);
    CHECK_STR(s.got, WANT);
}

/* A transport writing to a socket nobody reads (yet): the test holds in[1]
 * and sv[0]. */
typedef struct stuck {
    uv_loop_t loop;
    sink s;
    int in[2], sv[2];
} stuck;

static void send_filler(lsp_transport *t, size_t n)
{
    char *big = malloc(n);
    memset(big, 'x', n);
    lsp_transport_send(t, big, n);
}

static void stuck_open(stuck *k, void (*stalled)(void *))
{
    CHECK_INT(pipe(k->in), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, k->sv), 0);
    uv_loop_init(&k->loop);
    memset(&k->s, 0, sizeof k->s);
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, stalled, &k->s};
    k->s.t = lsp_transport_new(&k->loop, &cb, 0);
    CHECK_INT(lsp_transport_open(k->s.t, k->in[0], k->sv[1]), 0);
}

/* Closes the transport and checks that everything of it is gone. */
static void stuck_close(stuck *k)
{
    lsp_transport_close(k->s.t, on_closed, &k->s);
    uv_run(&k->loop, UV_RUN_DEFAULT);
    CHECK(k->s.closed);
    CHECK_INT(uv_loop_close(&k->loop), 0);
    close(k->in[1]);
    close(k->sv[0]);
}

static void test_flush_deadline(void)
{
    /* The output is never read and fills up: close still finishes. */
    stuck k;
    stuck_open(&k, NULL);
    for (int i = 0; i < 64; i++)
        send_filler(k.s.t, 256 * 1024);
    CHECK(lsp_transport_pending_writes(k.s.t) > 0);
    uint64_t start = uv_now(&k.loop);
    stuck_close(&k);
    CHECK(uv_now(&k.loop) - start >= 900);
}

static char *dup_text(const char *text)
{
    return strdup(text);
}

/* Runs the loop and reads fd (non-blocking) until nothing is left to write;
 * returns what was read (static). */
static const char *drain(uv_loop_t *loop, lsp_transport *t, int fd)
{
    static char buf[4 << 20];
    size_t n = 0;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    for (int idle = 0; idle < 50;) {
        uv_run(loop, UV_RUN_NOWAIT);
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r > 0)
            n += (size_t)r, idle = 0;
        else if (lsp_transport_pending_writes(t) == 0)
            idle++;
    }
    buf[n] = '\0';
    return buf;
}

/* The bodies of framed messages in s, each followed by '|', skipping any
 * body longer than 64 bytes (filler). */
static const char *bodies(const char *s)
{
    static char out[4096];
    size_t k = 0;
    out[0] = '\0';
    while ((s = strstr(s, "Content-Length: "))) {
        size_t len = strtoul(s + 16, NULL, 10);
        s = strstr(s, "\r\n\r\n") + 4;
        if (len <= 64)
            k += (size_t)snprintf(out + k, sizeof out - k, "%.*s|", (int)len, s);
        s += len;
    }
    return out;
}

static void test_latest_replaces_queued(void)
{
    /* While the client does not read, a keyed message replaces the queued
     * one with its key, in its place; other messages all stay, in order. */
    stuck k;
    stuck_open(&k, NULL);
    lsp_transport *t = k.s.t;
    send_filler(t, 1 << 20); /* more than the socket holds: stays in flight */
    lsp_transport_send_latest(t, "a", dup_text("A1"), 2);
    lsp_transport_send_latest(t, "b", dup_text("B1"), 2);
    lsp_transport_send(t, dup_text("X"), 1);
    for (int i = 2; i <= 1000; i++) {
        char text[16];
        snprintf(text, sizeof text, "A%d", i);
        lsp_transport_send_latest(t, "a", dup_text(text), strlen(text));
    }
    lsp_transport_send(t, dup_text("Y"), 1);
    CHECK_INT(lsp_transport_pending_writes(t), 5);
    CHECK_STR(bodies(drain(&k.loop, t, k.sv[0])), "A1000|B1|X|Y|");
    stuck_close(&k);
}

static int stalls;

static void on_stalled(void *data)
{
    stalls++;
}

static void test_stalled_client(void)
{
    /* A client that leaves more than the cap unread has stopped reading:
     * on_stalled runs once, what waits and every later message is dropped,
     * and the transport still closes. */
    stuck k;
    stuck_open(&k, on_stalled);
    lsp_transport *t = k.s.t;
    lsp_transport_set_max_queued(t, 4096);
    send_filler(t, 1 << 20);
    stalls = 0;
    for (int i = 0; i < 100; i++) {
        char *body = malloc(1000);
        memset(body, 'y', 1000);
        lsp_transport_send_latest(t, i % 2 ? "k" : NULL, body, 1000);
    }
    CHECK_INT(stalls, 1);
    CHECK_INT(lsp_transport_pending_writes(t), 1); /* the one in flight */
    stuck_close(&k);
}

static void test_many_messages_to_a_file(void)
{
    /* batches of messages to a regular file: all there, in order */
    int in[2];
    CHECK_INT(pipe(in), 0);
    int out = temp_file(NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sink s;
    memset(&s, 0, sizeof s);
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, NULL, &s};
    s.t = lsp_transport_new(&loop, &cb, 0);
    CHECK_INT(lsp_transport_open(s.t, in[0], out), 0);
    char want[4096];
    size_t k = 0;
    for (int i = 0; i < 300; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        k += (size_t)snprintf(want + k, sizeof want - k, "%s|", text);
        lsp_transport_send_latest(s.t, i == 299 ? "last" : NULL, dup_text(text), strlen(text));
    }
    lsp_transport_close(s.t, on_closed, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(s.closed);
    CHECK_INT(uv_loop_close(&loop), 0);
    lseek(out, 0, SEEK_SET);
    CHECK_STR(bodies(read_all(out)), want);
    close(out);
    close(in[0]);
    close(in[1]);
}

static void test_terminal(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        fprintf(stderr, "  no pty here: skipped\n");
        return;
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    struct termios tio;
    tcgetattr(slave, &tio);
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    int slave_out = dup(slave);
    CHECK_INT(uv_guess_handle(slave), UV_TTY);

    uv_loop_t loop;
    uv_loop_init(&loop);
    sink s;
    memset(&s, 0, sizeof s);
    s.echo = true;
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, NULL, &s};
    s.t = lsp_transport_new(&loop, &cb, 0);
    CHECK_INT(lsp_transport_open(s.t, slave, slave_out), 0);
    CHECK(write(master, input, sizeof input - 1) == (ssize_t)(sizeof input - 1));
    /* Run until both messages came back, then close. */
    for (int i = 0; i < 200 && strcmp(s.got, WANT) != 0; i++)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_STR(s.got, WANT);
    lsp_transport_close(s.t, on_closed, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(s.closed);
    CHECK_INT(uv_loop_close(&loop), 0);
    char buf[256];
    size_t n = 0;
    fcntl(master, F_SETFL, O_NONBLOCK);
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(master, buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    CHECK_STR(buf, echoed);
    close(master);
}

static void test_bad_fd(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sink s;
    memset(&s, 0, sizeof s);
    lsp_transport_callbacks cb = {on_message, on_frame_error, on_eof, NULL, &s};
    s.t = lsp_transport_new(&loop, &cb, 0);
    CHECK(lsp_transport_open(s.t, 1000, 1001) < 0);
    lsp_transport_close(s.t, on_closed, &s);
    CHECK(!s.closed); /* never synchronously */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(s.closed);
    CHECK_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    lsp_log_set_level(getenv("APLS_TEST_LOG") ? LSP_LOG_TRACE : LSP_LOG_ERROR);
    RUN(test_pipes);
    RUN(test_regular_files);
    RUN(test_dev_null);
    RUN(test_write_error_not_fatal);
    RUN(test_flush_deadline);
    RUN(test_latest_replaces_queued);
    RUN(test_stalled_client);
    RUN(test_many_messages_to_a_file);
    RUN(test_terminal);
    RUN(test_bad_fd);
    return check_summary();
}
