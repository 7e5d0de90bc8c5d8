/* http/listener: connections are spread over the workers, and the limits close the extra ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/listener.h"

#define WORKERS 2

static struct MHD_Daemon *workers[WORKERS];
static int worker_index[WORKERS] = { 0, 1 };
static struct sb_listener *listener;

static enum MHD_Result never_called(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                    const char *version, const char *data, size_t *size, void **ctx)
{
    return MHD_NO;
}

static void notified(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_ConnectionNotificationCode code)
{
    if (code != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    sb_listener_closed(listener, *(int *)cls, info ? info->client_addr : NULL);
}

/* The workers here are plain libmicrohttpd daemons with threads of their own, which take a
 * connection from any thread. */
static void add_to_daemon(void *cls, int worker, int fd, const struct sockaddr_in *client)
{
    if (MHD_add_connection(workers[worker], fd, (const struct sockaddr *)client, sizeof *client) != MHD_YES)
        sb_listener_closed(listener, worker, (const struct sockaddr *)client);
}

static void start(int max_connections, int max_per_ip)
{
    for (int i = 0; i < WORKERS; i++) {
        workers[i] = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET, 0, NULL,
                                      NULL, never_called, NULL, MHD_OPTION_NOTIFY_CONNECTION, notified,
                                      &worker_index[i], MHD_OPTION_END);
        assert_non_null(workers[i]);
    }
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(sb_listener_start(&addr, add_to_daemon, NULL, NULL, WORKERS, max_connections, max_per_ip, &listener), 0);
}

static int stop(void **state)
{
    sb_listener_stop(listener);
    for (int i = 0; i < WORKERS; i++)
        MHD_stop_daemon(workers[i]);
    sb_listener_free(listener);
    listener = NULL;
    return 0;
}

static int connect_to_listener(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sb_listener_port(listener)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

static unsigned connections_of(int worker)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(workers[worker], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* Hand-over is asynchronous (another thread): wait, up to 5 s, until the workers hold n in all. */
static void wait_for_connections(unsigned n)
{
    for (int i = 0; i < 500 && connections_of(0) + connections_of(1) != n; i++) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    assert_int_equal(connections_of(0) + connections_of(1), n);
}

/* True when the server closed fd (read gives end of file within 5 s). */
static bool closed_by_server(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char byte;
    return poll(&p, 1, 5000) == 1 && read(fd, &byte, 1) == 0;
}

static void connections_opened_together_are_spread_evenly_over_the_workers(void **state)
{
    start(100, 100);
    int fds[4];
    for (int i = 0; i < 4; i++)
        fds[i] = connect_to_listener();
    wait_for_connections(4);
    assert_int_equal(connections_of(0), 2);
    assert_int_equal(connections_of(1), 2);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
}

static void a_connection_past_the_per_address_limit_is_closed_at_once(void **state)
{
    start(100, 1);
    int first = connect_to_listener();
    int second = connect_to_listener();
    assert_true(closed_by_server(second));
    wait_for_connections(1);
    close(first);
    close(second);
}

static void a_connection_past_the_total_limit_is_closed_at_once(void **state)
{
    start(2, 100);
    int a = connect_to_listener(), b = connect_to_listener(), c = connect_to_listener();
    assert_true(closed_by_server(c));
    wait_for_connections(2);
    close(a);
    close(b);
    close(c);
}

static void a_closed_connection_gives_its_place_back(void **state)
{
    start(100, 1);
    int first = connect_to_listener();
    wait_for_connections(1);
    close(first);
    wait_for_connections(0);
    int again = connect_to_listener();
    wait_for_connections(1);        /* admitted: the first one's count was released */
    close(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(connections_opened_together_are_spread_evenly_over_the_workers, stop),
        cmocka_unit_test_teardown(a_connection_past_the_per_address_limit_is_closed_at_once, stop),
        cmocka_unit_test_teardown(a_connection_past_the_total_limit_is_closed_at_once, stop),
        cmocka_unit_test_teardown(a_closed_connection_gives_its_place_back, stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
