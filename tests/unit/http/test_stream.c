/* http/stream: a handler's answer sent while it is being made — whole and in order however it
 * is written (at once, after the handler waited, more than the unsent limit to a slow reader),
 * chunked; a client that goes away turns the handler's cancel flag and fails its writes (and a
 * handler that answers only at the end learns of it too: sb_request_client_gone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "http/router.h"
#include "http/server.h"
#include "http/stream.h"

#define BIG_PIECES 256
#define BIG_PIECE_BYTES 4096

static struct sb_config config;
static struct sb_server *server;
static atomic_bool saw_cancel, write_failed, saw_client_gone, late_started, client_reset, late_begin_done;

/* Waits in the handler's fiber, as a handler waiting on another server would. */
static void wait_a_little(void)
{
    sb_wait_suspend(sb_now_ms() + 5);
}

static void stream_at_once(struct sb_request *req)
{
    sb_stream_begin(req, 200, "text/plain");
    sb_stream_write(req, "one,", 4);
    sb_stream_write(req, "two,", 4);
    sb_stream_write(req, "three", 5);
}

static void stream_after_waiting(struct sb_request *req)
{
    wait_a_little();
    sb_response_header(req, "X-Kind", "waited");
    sb_stream_begin(req, 201, "text/event-stream");
    for (int i = 0; i < 3; i++) {
        char event[32];
        int n = snprintf(event, sizeof event, "data: %d\n\n", i);
        sb_stream_write(req, event, (size_t)n);
        wait_a_little();
    }
}

/* Piece i is BIG_PIECE_BYTES of the letter 'a' + i % 26. */
static void stream_more_than_the_unsent_limit(struct sb_request *req)
{
    static char piece[BIG_PIECE_BYTES];
    sb_stream_begin(req, 200, "application/octet-stream");
    for (int i = 0; i < BIG_PIECES; i++) {
        memset(piece, 'a' + i % 26, sizeof piece);
        if (!sb_stream_write(req, piece, sizeof piece))
            return;
    }
}

/* A model may think longer than the server's idle timeout (1 s here) between two tokens. */
static void stream_with_a_pause_longer_than_the_idle_timeout(struct sb_request *req)
{
    sb_stream_begin(req, 200, "text/plain");
    sb_stream_write(req, "before,", 7);
    sb_wait_suspend(sb_now_ms() + 1500);
    sb_stream_write(req, "after", 5);
}

static void stream_until_the_client_goes(struct sb_request *req)
{
    sb_stream_begin(req, 200, "text/event-stream");
    sb_stream_write(req, "data: first\n\n", 13);
    const volatile bool *cancelled = sb_stream_cancelled(req);
    for (int i = 0; i < 2000 && !*cancelled; i++)
        wait_a_little();
    atomic_store(&saw_cancel, *cancelled);
    atomic_store(&write_failed, !sb_stream_write(req, "data: late\n\n", 12));
}

/* A handler that answers at the end (JSON) and waits long before it, watching its client. */
static void answer_late_unless_the_client_goes(struct sb_request *req)
{
    const volatile bool *gone = sb_request_client_gone(req);
    atomic_store(&late_started, true);
    for (int i = 0; i < 2000 && !*gone; i++)
        wait_a_little();
    atomic_store(&saw_client_gone, *gone);
    sb_respond_json(req, 200, "{}");
}

/* Begins its stream only once the test has reset the connection: libmicrohttpd then completes
 * the request while the handler's fiber still waits for its response to be queued. */
static void begin_after_the_client_left(struct sb_request *req)
{
    atomic_store(&late_started, true);
    for (int i = 0; i < 2000 && !atomic_load(&client_reset); i++)
        wait_a_little();
    wait_a_little();
    sb_stream_begin(req, 200, "text/event-stream");
    bool gone = *sb_stream_cancelled(req) || !sb_stream_write(req, "data: x\n\n", 9);
    (void)sb_request_header(req, "Host");   /* the connection may be gone: the copy is read */
    atomic_store(&write_failed, gone);
    atomic_store(&late_begin_done, true);
}

static int start(void **state)
{
    setenv("SB_PORT", "0", 1);
    setenv("SB_HOST", "127.0.0.1", 1);
    setenv("SB_THREADS", "1", 1);
    setenv("SB_REQUEST_TIMEOUT_S", "1", 1);
    setenv("SB_SHUTDOWN_GRACE_S", "0", 1);
    setenv("SB_JWT_SECRET", "a-test-secret-that-is-long-enough-0123456789", 1);
    assert_int_equal(sb_config_load(&config), 0);
    static const struct sb_route routes[] = {
        { .method = "GET", .path = "/now", .handle = stream_at_once },
        { .method = "GET", .path = "/waited", .handle = stream_after_waiting },
        { .method = "GET", .path = "/big", .handle = stream_more_than_the_unsent_limit },
        { .method = "GET", .path = "/forever", .handle = stream_until_the_client_goes },
        { .method = "GET", .path = "/pause", .handle = stream_with_a_pause_longer_than_the_idle_timeout },
        { .method = "GET", .path = "/late", .handle = answer_late_unless_the_client_goes },
        { .method = "GET", .path = "/reset", .handle = begin_after_the_client_left },
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        sb_router_add(&routes[i]);
    server = sb_server_start(&config);
    assert_non_null(server);
    return 0;
}

static int stop(void **state)
{
    if (server)
        sb_server_stop(server);
    return 0;
}

static int connect_to_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sb_server_port(server)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static void send_get(int fd, const char *path)
{
    char request[256];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(write(fd, request, (size_t)n), n);
}

/* Reads until the server closes (at most 10 s without a byte); returns a malloc'd string. */
static char *read_all(int fd, size_t *len_out, bool slowly)
{
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 10000), 1);
        if (len + 4096 + 1 > cap)
            text = realloc(text, cap *= 2);
        ssize_t n = read(fd, text + len, slowly ? 1024 : 4096);
        assert_true(n >= 0);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    *len_out = len;
    return text;
}

/* The body of a chunked answer (the part after the headers), decoded. */
static char *dechunk(const char *answer, size_t *len_out)
{
    const char *p = strstr(answer, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    char *body = malloc(strlen(p) + 1);
    size_t len = 0;
    for (;;) {
        char *end;
        unsigned long size = strtoul(p, &end, 16);
        assert_true(end != p);
        p = strstr(end, "\r\n") + 2;
        if (size == 0)
            break;
        memcpy(body + len, p, size);
        len += size;
        p += size + 2;
    }
    body[len] = '\0';
    *len_out = len;
    return body;
}

static char *get(const char *path, bool slowly, char **body, size_t *body_len)
{
    int fd = connect_to_server();
    send_get(fd, path);
    size_t len;
    char *answer = read_all(fd, &len, slowly);
    close(fd);
    *body = dechunk(answer, body_len);
    return answer;
}

/* Asks for /forever and returns the connection once its first event has arrived. */
static int open_forever_stream(void)
{
    int fd = connect_to_server();
    send_get(fd, "/forever");
    char buf[512];
    size_t got = 0;
    buf[0] = '\0';
    while (!strstr(buf, "data: first")) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 10000), 1);
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        assert_true(n > 0);
        got += (size_t)n;
        buf[got] = '\0';
    }
    return fd;
}

static void a_stream_written_at_once_arrives_whole_and_chunked(void **state)
{
    char *body;
    size_t len;
    char *answer = get("/now", false, &body, &len);
    assert_true(strncmp(answer, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(answer, "Transfer-Encoding: chunked"));
    assert_non_null(strstr(answer, "Content-Type: text/plain"));
    assert_non_null(strstr(answer, "X-Request-Id: "));
    assert_string_equal(body, "one,two,three");
    free(answer);
    free(body);
}

static void a_stream_begun_after_the_handler_waited_keeps_its_status_headers_and_order(void **state)
{
    char *body;
    size_t len;
    char *answer = get("/waited", false, &body, &len);
    assert_true(strncmp(answer, "HTTP/1.1 201", 12) == 0);
    assert_non_null(strstr(answer, "X-Kind: waited"));
    assert_string_equal(body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
    free(answer);
    free(body);
}

static void more_than_the_unsent_limit_reaches_a_slow_reader_in_order(void **state)
{
    assert_true(BIG_PIECES * BIG_PIECE_BYTES > 4 * SB_STREAM_UNSENT_MAX);
    char *body;
    size_t len;
    char *answer = get("/big", true, &body, &len);
    assert_int_equal(len, BIG_PIECES * BIG_PIECE_BYTES);
    for (int i = 0; i < BIG_PIECES; i++) {
        const char *piece = body + (size_t)i * BIG_PIECE_BYTES;
        assert_int_equal(piece[0], 'a' + i % 26);
        assert_int_equal(piece[BIG_PIECE_BYTES - 1], 'a' + i % 26);
    }
    free(answer);
    free(body);
}

static void a_pause_longer_than_the_idle_timeout_does_not_cut_the_stream(void **state)
{
    char *body;
    size_t len;
    char *answer = get("/pause", false, &body, &len);
    assert_string_equal(body, "before,after");
    free(answer);
    free(body);
}

static void a_client_that_goes_away_cancels_the_handler_and_fails_its_writes(void **state)
{
    atomic_store(&saw_cancel, false);
    atomic_store(&write_failed, false);
    int fd = open_forever_stream();
    close(fd);
    for (int i = 0; i < 1000 && !atomic_load(&write_failed); i++)
        usleep(5000);   /* bounded poll for the handler's verdict, not a synchronisation guess */
    assert_true(atomic_load(&saw_cancel));
    assert_true(atomic_load(&write_failed));
}

static void a_handler_that_answers_at_the_end_learns_that_its_client_went_away(void **state)
{
    atomic_store(&saw_client_gone, false);
    atomic_store(&late_started, false);
    int fd = connect_to_server();
    send_get(fd, "/late");
    for (int i = 0; i < 1000 && !atomic_load(&late_started); i++)
        usleep(5000);   /* bounded: until the handler runs (its client is still there) */
    assert_true(atomic_load(&late_started));
    close(fd);
    for (int i = 0; i < 1000 && !atomic_load(&saw_client_gone); i++)
        usleep(5000);   /* bounded poll for the handler's verdict */
    assert_true(atomic_load(&saw_client_gone));
}

static void a_stream_begun_after_its_client_reset_the_connection_fails_quietly(void **state)
{
    atomic_store(&late_started, false);
    atomic_store(&client_reset, false);
    atomic_store(&late_begin_done, false);
    int fd = connect_to_server();
    send_get(fd, "/reset");
    for (int i = 0; i < 1000 && !atomic_load(&late_started); i++)
        usleep(5000);   /* bounded: until the handler runs */
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);          /* RST */
    atomic_store(&client_reset, true);
    for (int i = 0; i < 1000 && !atomic_load(&late_begin_done); i++)
        usleep(5000);
    assert_true(atomic_load(&late_begin_done));
    assert_true(atomic_load(&write_failed));
}

/* The server stops (its grace for requests in flight is 0 here) while a handler waits between
 * two events and its connection waits for bytes: the stop completes (libmicrohttpd refuses to
 * stop with a suspended connection: it aborts the process), and the client sees the end. */
static void stopping_the_server_ends_a_stream_that_waits_for_its_next_bytes(void **state)
{
    int fd = open_forever_stream();
    sb_server_stop(server);
    server = NULL;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 10000), 1);
    char rest[512];
    while (read(fd, rest, sizeof rest) > 0)
        ;   /* the connection ends: read returns 0 (or an error), never blocks for good */
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stream_written_at_once_arrives_whole_and_chunked),
        cmocka_unit_test(a_stream_begun_after_the_handler_waited_keeps_its_status_headers_and_order),
        cmocka_unit_test(more_than_the_unsent_limit_reaches_a_slow_reader_in_order),
        cmocka_unit_test(a_pause_longer_than_the_idle_timeout_does_not_cut_the_stream),
        cmocka_unit_test(a_client_that_goes_away_cancels_the_handler_and_fails_its_writes),
        cmocka_unit_test(a_handler_that_answers_at_the_end_learns_that_its_client_went_away),
        cmocka_unit_test(a_stream_begun_after_its_client_reset_the_connection_fails_quietly),
        cmocka_unit_test(stopping_the_server_ends_a_stream_that_waits_for_its_next_bytes),
    };
    return cmocka_run_group_tests(tests, start, stop);
}
