/* core/fetch: a request to another server from a fiber lets the loop run other fibers while
 * it waits; the answer comes whole or piece by piece; a server that does not answer in time
 * or cannot be reached is an error, not a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fetch.h"
#include "core/fiber.h"
#include "core/loop.h"

/* A one-connection HTTP server on 127.0.0.1: reads a request, waits until its gate opens,
 * answers "hello" (or never answers when told to). */
struct server {
    int listen_fd, port;
    atomic_bool gate_open;
    bool never_answer;
    char request[4096];
    pthread_t thread;
};

static void *serve_once(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    size_t got = 0;
    while (got < sizeof s->request - 1 && !strstr(s->request, "\r\n\r\n")) {
        ssize_t n = read(fd, s->request + got, sizeof s->request - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        s->request[got] = '\0';
    }
    while (!atomic_load(&s->gate_open))
        usleep(1000);
    if (!s->never_answer) {
        const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
        ssize_t written = write(fd, answer, sizeof answer - 1);
        (void)written;
    }
    close(fd);
    return NULL;
}

/* Answers two requests on the one connection it accepts (keep-alive): a second call that
 * opened a connection of its own would get no answer. */
static void *serve_twice_on_one_connection(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    for (int i = 0; i < 2; i++) {
        size_t got = 0;
        s->request[0] = '\0';
        while (got < sizeof s->request - 1 && !strstr(s->request, "\r\n\r\n")) {
            ssize_t n = read(fd, s->request + got, sizeof s->request - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            s->request[got] = '\0';
        }
        const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        ssize_t written = write(fd, answer, sizeof answer - 1);
        (void)written;
    }
    close(fd);
    return NULL;
}

static void start_server_with(struct server *s, bool gate_open, bool never_answer, void *(*serve)(void *))
{
    memset(s, 0, sizeof *s);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s->listen_fd, 4), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&addr, &len);
    s->port = ntohs(addr.sin_port);
    atomic_store(&s->gate_open, gate_open);
    s->never_answer = never_answer;
    pthread_create(&s->thread, NULL, serve, s);
}

static void start_server(struct server *s, bool gate_open, bool never_answer)
{
    start_server_with(s, gate_open, never_answer, serve_once);
}

static void stop_server(struct server *s)
{
    atomic_store(&s->gate_open, true);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

struct call {
    struct sb_arena *arena;
    struct sb_fetch_request request;
    struct sb_fetch_response response;
    char url[64];
    int result;
    bool done;
};

static void prepare_call(struct call *c, int port, const char *method, const char *body)
{
    memset(c, 0, sizeof *c);
    c->arena = sb_arena_new();
    snprintf(c->url, sizeof c->url, "http://127.0.0.1:%d/v1/thing", port);
    c->request = (struct sb_fetch_request){ .method = method, .url = c->url, .body = body,
                                            .body_len = body ? strlen(body) : 0, .timeout_ms = 5000 };
}

static void run_call(void *arg)
{
    struct call *c = arg;
    c->result = sb_fetch(c->arena, &c->request, &c->response);
    c->done = true;
}

/* Runs the call in a fiber of loop, turning the loop until it is done. */
static void run_to_end(struct sb_loop *loop, struct call *c)
{
    if (!sb_loop_start(loop, sb_fiber_new(run_call, c)))
        while (!c->done)
            sb_loop_turn(loop, -1);
}

static void open_gate(void *arg)
{
    atomic_store(&((struct server *)arg)->gate_open, true);
}

static void a_fetch_waits_in_its_fiber_while_the_loop_runs_others(void **state)
{
    struct server s;
    start_server(&s, false, false);
    struct sb_loop *loop = sb_loop_new();
    struct call c;
    static const char *const headers[] = { "Content-Type: application/json", NULL };
    prepare_call(&c, s.port, "POST", "{\"input\":\"x\"}");
    c.request.headers = headers;
    assert_false(sb_loop_start(loop, sb_fiber_new(run_call, &c)));
    /* the server answers only when another fiber of the same loop opens its gate */
    assert_true(sb_loop_start(loop, sb_fiber_new(open_gate, &s)));
    while (!c.done)
        sb_loop_turn(loop, -1);
    assert_int_equal(c.result, 0);
    assert_int_equal(c.response.status, 200);
    assert_string_equal(c.response.body, "hello");
    assert_non_null(strstr(s.request, "POST /v1/thing HTTP/1.1\r\n"));
    assert_non_null(strstr(s.request, "Content-Type: application/json\r\n"));
    stop_server(&s);
    sb_arena_free(c.arena);
    sb_loop_free(loop);
}

struct pieces {
    char text[64];
    size_t len;
};

static int gather(void *cls, const char *data, size_t len)
{
    struct pieces *p = cls;
    memcpy(p->text + p->len, data, len);
    p->len += len;
    return 0;
}

static void a_streamed_answer_reaches_on_data(void **state)
{
    struct server s;
    start_server(&s, true, false);
    struct sb_loop *loop = sb_loop_new();
    struct call c;
    struct pieces p = { 0 };
    prepare_call(&c, s.port, "GET", NULL);
    c.request.on_data = gather;
    c.request.cls = &p;
    run_to_end(loop, &c);
    assert_int_equal(c.result, 0);
    assert_int_equal(p.len, 5);
    assert_memory_equal(p.text, "hello", 5);
    assert_int_equal(c.response.body_len, 0);
    stop_server(&s);
    sb_arena_free(c.arena);
    sb_loop_free(loop);
}

static void an_answer_larger_than_the_callers_limit_is_an_error(void **state)
{
    struct server s;
    start_server(&s, true, false);
    struct sb_loop *loop = sb_loop_new();
    struct call c;
    prepare_call(&c, s.port, "GET", NULL);
    c.request.max_body_bytes = 4;   /* "hello" is 5 */
    run_to_end(loop, &c);
    assert_int_equal(c.result, -1);
    assert_string_equal(c.response.error, "the answer is larger than the caller accepts");
    stop_server(&s);
    sb_arena_free(c.arena);
    sb_loop_free(loop);
}

static void a_server_that_does_not_answer_in_time_is_an_error(void **state)
{
    struct server s;
    start_server(&s, false, true);
    struct sb_loop *loop = sb_loop_new();
    struct call c;
    prepare_call(&c, s.port, "GET", NULL);
    c.request.timeout_ms = 100;
    run_to_end(loop, &c);
    assert_int_equal(c.result, -1);
    assert_non_null(c.response.error);
    assert_int_equal(c.response.status, 0);
    stop_server(&s);
    sb_arena_free(c.arena);
    sb_loop_free(loop);
}

static volatile bool cancel_flag;

static void set_cancel(void *arg)
{
    cancel_flag = true;
}

/* The call waits for a server that never answers, with no timeout of its own; another fiber
 * of the loop raises the cancel flag (as a stream does when its client leaves), and the call
 * ends as cancelled. */
static void a_fetch_whose_cancel_flag_turns_true_stops(void **state)
{
    struct server s;
    start_server(&s, false, true);
    struct sb_loop *loop = sb_loop_new();
    struct call c;
    prepare_call(&c, s.port, "GET", NULL);
    c.request.timeout_ms = 0;
    cancel_flag = false;
    c.request.cancel = &cancel_flag;
    assert_false(sb_loop_start(loop, sb_fiber_new(run_call, &c)));
    sb_loop_turn(loop, 0);
    assert_false(c.done);
    assert_true(sb_loop_start(loop, sb_fiber_new(set_cancel, NULL)));
    while (!c.done)
        sb_loop_turn(loop, -1);
    assert_int_equal(c.result, -1);
    assert_string_equal(c.response.error, "cancelled");
    stop_server(&s);
    sb_arena_free(c.arena);
    sb_loop_free(loop);
}

static void a_second_call_to_the_same_server_reuses_the_connection(void **state)
{
    struct server s;
    start_server_with(&s, true, false, serve_twice_on_one_connection);
    struct sb_loop *loop = sb_loop_new();
    for (int i = 0; i < 2; i++) {
        struct call c;
        prepare_call(&c, s.port, "GET", NULL);
        c.request.timeout_ms = 3000;
        if (!sb_loop_start(loop, sb_fiber_new(run_call, &c)))
            while (!c.done)
                sb_loop_turn(loop, -1);
        assert_int_equal(c.result, 0);
        assert_string_equal(c.response.body, "hello");
        sb_arena_free(c.arena);
    }
    pthread_join(s.thread, NULL);
    close(s.listen_fd);
    sb_loop_free(loop);
}

static void a_server_that_cannot_be_reached_is_an_error_outside_a_fiber_too(void **state)
{
    struct server s;
    start_server(&s, true, false);
    int port = s.port;
    struct call warm;
    prepare_call(&warm, port, "GET", NULL);
    run_call(&warm);                 /* blocking, on this thread: the server's one answer */
    assert_int_equal(warm.result, 0);
    assert_string_equal(warm.response.body, "hello");
    stop_server(&s);                 /* the port is closed now */
    struct call c;
    prepare_call(&c, port, "GET", NULL);
    run_call(&c);
    assert_int_equal(c.result, -1);
    assert_non_null(c.response.error);
    sb_arena_free(warm.arena);
    sb_arena_free(c.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_fetch_waits_in_its_fiber_while_the_loop_runs_others),
        cmocka_unit_test(a_streamed_answer_reaches_on_data),
        cmocka_unit_test(an_answer_larger_than_the_callers_limit_is_an_error),
        cmocka_unit_test(a_server_that_does_not_answer_in_time_is_an_error),
        cmocka_unit_test(a_fetch_whose_cancel_flag_turns_true_stops),
        cmocka_unit_test(a_second_call_to_the_same_server_reuses_the_connection),
        cmocka_unit_test(a_server_that_cannot_be_reached_is_an_error_outside_a_fiber_too),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sb_fiber_release_cache();
    return failed;
}
