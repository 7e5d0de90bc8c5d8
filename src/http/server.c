/*
 * server: the workers and their life cycle. Each worker is a thread running an event loop
 * (src/core/loop.c) that owns one libmicrohttpd daemon in external-epoll mode (the daemon's
 * epoll descriptor is one of the loop's watches, and the loop calls MHD_run after each turn),
 * the fibers of its requests (exchange.c), and its pool of PostgreSQL sessions (db/conn.c).
 * Nothing a worker does blocks its loop: a request that waits is a suspended fiber.
 * The listener thread accepts and posts each connection to the least busy worker's loop,
 * which adds it to its daemon.
 */
#include "http/server.h"

#include "core/fiber.h"
#include "core/loop.h"
#include "db/conn.h"
#include "http/exchange.h"
#include "http/listener.h"
#include "http/request.h"
#include "http/router.h"
#include "util/log.h"
#include "util/thread.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* libmicrohttpd's memory per connection. It reads a body into half of it, so this sets how
 * much one recv() takes: 128 KiB gives 64 KiB reads (a 50 MB upload in ~800 reads instead
 * of ~1,600 at 64 KiB). Each open connection keeps all of it resident (libmicrohttpd clears
 * the pool between requests), so it is a trade: 256 KiB made uploads ~10% faster but doubled
 * the memory of idle keep-alive connections (bench/server/RESULTS.md, 16:27). It also bounds
 * the request line and headers, which are held to 64 KiB separately (exchange.c) so that
 * limit does not grow with it. */
#define CONNECTION_MEMORY_BYTES (128 * 1024)
#define MAX_CONNECTIONS 1000        /* open connections in all */
#define DAEMON_ROUNDS_PER_TURN 8
/* How long a stopping worker lets the fibers of released requests end. */
#define RELEASE_WAIT_MS 1000

struct worker {
    struct sb_server *server;
    int index;
    struct MHD_Daemon *daemon;
    struct sb_loop *loop;
    struct sb_watch daemon_watch;    /* the daemon's epoll descriptor */
    bool daemon_due;                 /* it was ready in the last turn */
    pthread_t thread;
    bool thread_started;
    atomic_bool stopping;
};

struct sb_server {
    struct worker *workers;
    int worker_count;
    struct sb_listener *listener;
    struct sb_config *config;
    int port;
};

/* A connection on its way from the listener to a worker's loop. */
struct handed_connection {
    struct worker *worker;
    int fd;
    struct sockaddr_in client;
};

/* ---- built-in routes ------------------------------------------------------------------ */

static void handle_health(struct sb_request *req)
{
    sb_respond_json(req, 200, "{\"status\":\"ok\"}");
}

/* ---- workers ------------------------------------------------------------------------------ */

/* The daemon's descriptor is ready: MHD_run follows the turn. */
static void daemon_ready(struct sb_watch *watch, uint32_t events)
{
    struct worker *w = (struct worker *)((char *)watch - offsetof(struct worker, daemon_watch));
    w->daemon_due = true;
}

/* How long the loop may wait before libmicrohttpd has something due (a connection timeout). */
static int daemon_timeout_ms(struct MHD_Daemon *daemon)
{
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(daemon, &ms) != MHD_YES)
        return -1;
    return ms > 60000 ? 60000 : (int)ms;
}

/* Runs the daemon, again while it says it has work at once (a connection it read from but
 * did not finish: its epoll is edge-triggered, so it keeps such connections on a list of its
 * own and reports a zero timeout), at most a few times: each round would otherwise cost a
 * turn of the loop and its epoll_wait. Returns the daemon's next timeout. */
static int run_daemon_until_idle(struct MHD_Daemon *daemon)
{
    int timeout = 0;
    for (int round = 0; round < DAEMON_ROUNDS_PER_TURN && timeout == 0; round++) {
        MHD_run(daemon);
        timeout = daemon_timeout_ms(daemon);
    }
    return timeout;
}

/* The worker stops: requests still waiting have outlived the grace period. Their connections
 * are resumed so that libmicrohttpd closes them (it refuses to stop with suspended ones), and
 * their fibers get a short while to end (a stream's handler sees its cancel flag); one that
 * does not keeps its memory, as the process is ending. */
static void release_requests_left(struct worker *w)
{
    sb_exchange_release_all();
    MHD_run(w->daemon);
    int64_t deadline = sb_now_ms() + RELEASE_WAIT_MS;
    while (sb_exchange_steps_running() > 0 && sb_now_ms() < deadline) {
        sb_loop_turn(w->loop, 20);
        if (sb_exchange_take_resumed())
            MHD_run(w->daemon);
    }
}

/* Each turn waits for the loop's descriptors (the daemon's among them) no longer than the
 * daemon's next timeout; the daemon runs only when it has something to do: its descriptor was
 * ready, a fiber resumed one of its connections, or its timeout came (each MHD_run costs an
 * epoll_wait of its own, and most turns are a database answer for a fiber). */
static void *run_worker(void *arg)
{
    struct worker *w = arg;
    int timeout = daemon_timeout_ms(w->daemon);
    while (!atomic_load(&w->stopping)) {
        int64_t started = timeout > 0 ? sb_now_ms() : 0;
        sb_loop_turn(w->loop, timeout);
        bool timed_out = timeout == 0 || (timeout > 0 && sb_now_ms() - started >= timeout);
        if (sb_exchange_take_resumed() || w->daemon_due || timed_out) {
            w->daemon_due = false;
            timeout = run_daemon_until_idle(w->daemon);
        } else {
            timeout = daemon_timeout_ms(w->daemon);
        }
    }
    release_requests_left(w);
    sb_db_close_loop_sessions();
    sb_fiber_release_cache();
    return NULL;
}

/* On the worker's thread: the connection joins its daemon. */
static void add_connection(void *arg)
{
    struct handed_connection *h = arg;
    struct worker *w = h->worker;
    if (MHD_add_connection(w->daemon, h->fd, (const struct sockaddr *)&h->client, sizeof h->client) != MHD_YES)
        sb_listener_closed(w->server->listener, w->index, (const struct sockaddr *)&h->client); /* MHD closed it */
    free(h);
}

/* On the listener's thread. */
static void hand_over(void *cls, int worker, int fd, const struct sockaddr_in *client)
{
    struct sb_server *server = cls;
    struct handed_connection *h = malloc(sizeof *h);
    if (!h) {
        close(fd);
        sb_listener_closed(server->listener, worker, (const struct sockaddr *)client);
        return;
    }
    *h = (struct handed_connection){ &server->workers[worker], fd, *client };
    sb_loop_post(server->workers[worker].loop, add_connection, h);
}

/* A connection closed: the listener counts it against its worker and address no more. */
static void connection_notified(void *cls, struct MHD_Connection *conn, void **socket_context,
                                enum MHD_ConnectionNotificationCode code)
{
    struct worker *w = cls;
    if (code != MHD_CONNECTION_NOTIFY_CLOSED || !w->server->listener)
        return;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    sb_listener_closed(w->server->listener, w->index, info ? info->client_addr : NULL);
}

static struct MHD_Daemon *start_daemon(struct worker *w)
{
    const struct sb_config *config = w->server->config;
    return MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
        sb_exchange_access, (void *)config,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)config->request_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
        MHD_OPTION_NOTIFY_COMPLETED, sb_exchange_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, connection_notified, w,
        MHD_OPTION_UNESCAPE_CALLBACK, sb_exchange_unescape, NULL,
        MHD_OPTION_END);
}

/* The worker's daemon and loop, then its thread. */
static bool start_worker(struct worker *w)
{
    w->daemon = start_daemon(w);
    w->loop = sb_loop_new();
    if (!w->daemon || !w->loop)
        return false;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (!info)
        return false;
    w->daemon_watch = (struct sb_watch){ .fd = info->epoll_fd, .on_ready = daemon_ready };
    if (sb_loop_watch(w->loop, &w->daemon_watch, EPOLLIN) != 0)
        return false;
    w->thread_started = sb_thread_start(&w->thread, run_worker, w) == 0;
    return w->thread_started;
}

static bool start_workers(struct sb_server *server)
{
    const struct sb_config *config = server->config;
    server->worker_count = config->threads;
    server->workers = calloc((size_t)server->worker_count, sizeof *server->workers);
    sb_db_configure_pool((config->db_pool_size + config->threads - 1) / config->threads, config->db_pool_timeout_ms);
    for (int i = 0; i < server->worker_count; i++) {
        server->workers[i].server = server;
        server->workers[i].index = i;
        if (!start_worker(&server->workers[i]))
            return false;
    }
    return true;
}

/* Ends each worker's loop, then stops its daemon (closing its connections) from here; then
 * frees the listener and the server. */
static void stop_workers(struct sb_server *server)
{
    for (int i = 0; server->workers && i < server->worker_count; i++) {
        struct worker *w = &server->workers[i];
        if (w->thread_started) {
            atomic_store(&w->stopping, true);
            sb_loop_wake_up(w->loop);
            pthread_join(w->thread, NULL);
        }
    }
    for (int i = 0; server->workers && i < server->worker_count; i++) {
        struct worker *w = &server->workers[i];
        if (w->daemon)
            MHD_stop_daemon(w->daemon);
        if (w->loop) {
            sb_loop_free(w->loop);
        }
    }
    sb_listener_free(server->listener);
    free(server->workers);
    free(server);
}

/* The listener is bound and accepts nothing yet: with SB_PORT=0 the API's own URL (the base of
 * mailed links, the tokens' issuer) is known from now on, before any request can read it. */
static void port_bound(void *cls, int port)
{
    struct sb_server *server = cls;
    if (server->config->port == 0)
        sb_config_set_bound_port(server->config, port);
}

struct sb_server *sb_server_start(struct sb_config *config)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)config->port) };
    if (inet_pton(AF_INET, config->host, &addr.sin_addr) != 1) {
        fprintf(stderr, "studybase: cannot bind to '%s': expected an IPv4 address such as 127.0.0.1\n",
                config->host);
        return NULL;
    }
    sb_exchange_init();
    sb_router_add(&(struct sb_route){ .method = "GET", .prefix = "/health", .handle = handle_health });
    sb_router_add(&(struct sb_route){ .method = "HEAD", .prefix = "/health", .handle = handle_health });

    struct sb_server *server = calloc(1, sizeof *server);
    server->config = config;
    if (!start_workers(server) ||
        sb_listener_start(&addr, hand_over, port_bound, server, server->worker_count, MAX_CONNECTIONS,
                          config->max_connections_per_ip, &server->listener) != 0) {
        fprintf(stderr, "studybase: cannot listen on %s:%d (is the port in use?)\n", config->host, config->port);
        stop_workers(server);
        return NULL;
    }
    server->port = sb_listener_port(server->listener);
    char port[16];
    snprintf(port, sizeof port, "%d", server->port);
    sb_log(SB_LOG_INFO, "listening", "host", config->host, "port", port, NULL);
    return server;
}

int sb_server_port(const struct sb_server *server)
{
    return server->port;
}

void sb_server_stop(struct sb_server *server)
{
    if (!server)
        return;
    sb_listener_stop(server->listener); /* stop accepting; requests in flight go on */
    for (int i = 0; i < server->config->shutdown_grace_s * 20 && sb_exchange_in_flight() > 0; i++) {
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    stop_workers(server);
    sb_log_flush();
}
