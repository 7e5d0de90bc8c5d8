/*
 * ceiling_h2o.c: the ceiling prototype's h2o front (shape "1hxP"): h2o 2.2.5's library with
 * its own event loop (Debian libh2o-evloop-dev) parses HTTP/1.1 and writes the responses.
 * The handler queues the request's statements on the PostgreSQL connection tied to its HTTP
 * connection and returns without answering, which leaves the request suspended; the
 * PostgreSQL sockets are in the same h2o_evloop_t (h2o_evloop_socket_create with
 * H2O_SOCKET_FLAG_DONT_READ, so libpq reads them itself), and when a request's Sync comes
 * back its answer goes out with h2o_start_response and h2o_send. One thread.
 */
#define _GNU_SOURCE
#define H2O_USE_LIBUV 0   /* the evloop flavour of the headers, as libh2o-evloop is built */
#include "ceiling.h"

#include <errno.h>
#include <h2o.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct worker *worker;
static h2o_globalconf_t config;
static h2o_context_t context;
static h2o_accept_ctx_t accept_ctx;

static void on_pg_writable(h2o_socket_t *sock, const char *err);

/* libpq could not write everything at once: finish when the socket takes more. */
static void flush_pg(struct pg *p)
{
    if (!p->watching_out && PQflush(p->conn) == 1) {
        p->watching_out = true;
        h2o_socket_notify_write(p->watcher, on_pg_writable);
    }
}

static void on_pg_writable(h2o_socket_t *sock, const char *err)
{
    struct pg *p = sock->data;
    p->watching_out = false;
    flush_pg(p);
}

static void on_pg_readable(h2o_socket_t *sock, const char *err)
{
    struct pg *p = sock->data;
    if (PQconsumeInput(p->conn) != 1) {
        fprintf(stderr, "read: %s", PQerrorMessage(p->conn));
        exit(1);
    }
    drain_results(p);
}

/* The request pool is being cleared (answered, or the client went away): the request's
 * struct http goes with it, or, while its statements run, when their results come. */
static void on_request_disposed(void *slot)
{
    struct http *h = *(struct http **)slot;
    h->front_req = NULL;
    if (h->busy)
        h->closed = true;
    else
        free_http(h);
}

/* The id of `?id=eq.<id>` in the request target, or the POST body, as text in param. */
static bool take_param(h2o_req_t *req, char *param, size_t size)
{
    bool insert = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    size_t n = 0;
    if (insert) {
        n = req->entity.base && req->entity.len < size ? req->entity.len : 0;
        memcpy(param, req->entity.base, n);
    } else {
        const char *id = memmem(req->path.base, req->path.len, "id=eq.", 6);
        if (id) {
            const char *end = req->path.base + req->path.len;
            for (id += 6; id + n < end && id[n] != '&' && n < 64; n++)
                ;
            memcpy(param, id, n);
        }
    }
    param[n] = 0;
    return insert;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct http *h = calloc(1, sizeof *h);
    h->kind = HTTP;
    h->fd = -1;
    h->front_req = req;
    struct http **slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, on_request_disposed);
    *slot = h;
    char param[4096];
    bool insert = take_param(req, param, sizeof param);
    struct pg *p = &worker->pgs[req->conn->id % (uint64_t)worker->npg];
    queue_request(p, h, insert, param);
    flush_pg(p);
    return 0;   /* handled; answered later by answer_h2o */
}

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value, strlen(value));
}

void answer_h2o(struct http *h)
{
    static h2o_generator_t generator = { NULL, NULL };   /* the whole body goes in one h2o_send */
    static unsigned long counter;
    h2o_req_t *req = h->front_req;
    const char *body = response_body(h);
    size_t blen = strlen(body);
    req->res.status = h->failed ? 500 : h->created ? 201 : 200;
    req->res.reason = h->failed ? "Internal Server Error" : h->created ? "Created" : "OK";
    req->res.content_length = blen;
    char *id = h2o_mem_alloc_pool(&req->pool, 32);
    snprintf(id, 32, "ceiling-%06lu", counter++);
    add_header(req, "content-type", "application/json; charset=utf-8");
    add_header(req, "content-range", "0-0/*");
    if (h->created)
        add_header(req, "preference-applied", "return=representation");
    add_header(req, "x-request-id", id);
    add_header(req, "access-control-allow-origin", "*");
    add_header(req, "access-control-expose-headers",
               "Content-Range, Content-Location, Location, Preference-Applied, Range-Unit, "
               "X-Supabase-Api-Version, X-Request-Id, ETag, Content-Disposition, X-Total-Count, Link");
    h2o_start_response(req, &generator);
    h2o_iovec_t buf = h2o_iovec_init(body, blen);   /* h->body lives until the request is disposed */
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    int ls = *(int *)listener->data, one = 1, fd;
    while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        h2o_accept(&accept_ctx, h2o_evloop_socket_create(context.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION));
    }
}

void serve_h2o(struct worker *w, int ls)
{
    static int listen_fd;
    worker = w;
    current_worker = w;
    listen_fd = ls;
    h2o_config_init(&config);
    h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&context, loop, &config);
    accept_ctx.ctx = &context;
    accept_ctx.hosts = config.hosts;

    for (int i = 0; i < w->npg; i++) {
        struct pg *p = &w->pgs[i];
        h2o_socket_t *sock = h2o_evloop_socket_create(loop, p->fd, H2O_SOCKET_FLAG_DONT_READ);
        sock->data = p;
        p->watcher = sock;
        h2o_socket_read_start(sock, on_pg_readable);
    }
    h2o_socket_t *listener = h2o_evloop_socket_create(loop, ls, H2O_SOCKET_FLAG_DONT_READ);
    listener->data = &listen_fd;
    h2o_socket_read_start(listener, on_accept);
    for (;;)
        if (h2o_evloop_run(loop, INT32_MAX) != 0 && errno != EINTR) {   /* EINTR: e.g. a tracer attached */
            fprintf(stderr, "h2o_evloop_run failed: %s\n", strerror(errno));
            exit(1);
        }
}
