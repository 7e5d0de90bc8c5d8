/*
 * ceiling_uv.c: the ceiling prototype's libuv front (shape "1uxP"): libuv 1.44 (Debian
 * libuv1-dev) runs the loop, accepts and reads the HTTP connections (uv_read_start) and
 * writes the responses (uv_try_write, headers and body in one writev); each PostgreSQL
 * socket is a uv_poll_t in the same loop, read by libpq itself. Requests are parsed with
 * picohttpparser, which Debian 12 ships only inside libh2o (exported as phr_parse_request,
 * no header: its prototype is declared below); Debian 12 has no llhttp package. One request
 * per connection at a time, as in ceiling.c's hand-written front. One thread.
 */
#define _GNU_SOURCE
#include "ceiling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

/* picohttpparser's API, as built into libh2o 2.2.5. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

struct uv_conn {
    uv_tcp_t tcp;
    struct http *h;
};

static struct worker *worker;
static uv_loop_t loop;

static void on_pg_ready(uv_poll_t *poll, int status, int events);

/* libpq could not write everything at once: watch for writability until it has. */
static void flush_pg(struct pg *p)
{
    bool more = PQflush(p->conn) == 1;
    if (more != p->watching_out) {
        p->watching_out = more;
        uv_poll_start(p->watcher, UV_READABLE | (more ? UV_WRITABLE : 0), on_pg_ready);
    }
}

static void on_pg_ready(uv_poll_t *poll, int status, int events)
{
    struct pg *p = poll->data;
    if (events & UV_WRITABLE)
        flush_pg(p);
    if (events & UV_READABLE) {
        if (PQconsumeInput(p->conn) != 1) {
            fprintf(stderr, "read: %s", PQerrorMessage(p->conn));
            exit(1);
        }
        drain_results(p);
    }
}

static void on_closed(uv_handle_t *handle)
{
    struct uv_conn *c = (struct uv_conn *)handle;
    if (c->h)
        free_http(c->h);
    free(c);
}

/* uv_close closes the socket at once and calls on_closed later: a request in flight is
 * marked closed now, so that its answer is not written, and freed when its result arrives. */
static void close_conn(struct http *h)
{
    struct uv_conn *c = h->front_conn;
    if (!c || uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    h->front_conn = NULL;
    if (h->busy) {
        h->closed = true;
        c->h = NULL;
    }
}

static const struct phr_header *find_header(const struct phr_header *hs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (hs[i].name_len == strlen(name) && strncasecmp(hs[i].name, name, hs[i].name_len) == 0)
            return &hs[i];
    return NULL;
}

/* Takes the next complete request out of h->in, if one is there and none is in flight. */
static void parse_request(struct http *h)
{
    if (h->busy || h->len == 0)
        return;
    const char *method, *path;
    size_t method_len, path_len, nheaders = 32;
    int minor;
    struct phr_header headers[32];
    int head_len = phr_parse_request(h->in, h->len, &method, &method_len, &path, &path_len, &minor, headers,
                                     &nheaders, 0);
    if (head_len == -2)
        return;                       /* incomplete */
    if (head_len < 0) {
        close_conn(h);
        return;
    }
    bool insert = method_len == 4 && memcmp(method, "POST", 4) == 0;
    char param[4096];
    size_t consumed = (size_t)head_len, n = 0;
    if (insert) {
        const struct phr_header *cl = find_header(headers, nheaders, "content-length");
        n = cl ? strtoul(cl->value, NULL, 10) : 0;
        if (h->len < consumed + n || n >= sizeof param)
            return;
        memcpy(param, h->in + consumed, n);
        consumed += n;
    } else {
        const char *id = memmem(path, path_len, "id=eq.", 6);
        if (id)
            for (id += 6; id + n < path + path_len && id[n] != '&' && n < 64; n++)
                ;
        if (n)
            memcpy(param, id, n);
    }
    param[n] = 0;
    memmove(h->in, h->in + consumed, h->len - consumed);
    h->len -= consumed;
    queue_request(h->pg, h, insert, param);
    flush_pg(h->pg);
}

void answer_uv(struct http *h)
{
    struct uv_conn *c = h->front_conn;
    char head[1024];
    const char *body = response_body(h);
    size_t blen = strlen(body);
    int n = format_response_head(head, sizeof head, h, blen);
    uv_buf_t bufs[2] = { uv_buf_init(head, (unsigned)n), uv_buf_init((char *)body, (unsigned)blen) };
    int sent = uv_try_write((uv_stream_t *)&c->tcp, bufs, 2);
    if (sent != (int)(n + blen))   /* a 0.5 KB answer to an idle keep-alive socket: never short here */
        fprintf(stderr, "short write %d\n", sent);
    free(h->body);
    h->body = NULL;
    h->failed = false;
    parse_request(h);                 /* a request that arrived while this one ran */
}

static void give_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct http *h = ((struct uv_conn *)handle)->h;
    *buf = uv_buf_init(h->in + h->len, (unsigned)(IN_BYTES - 1 - h->len));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct http *h = ((struct uv_conn *)stream)->h;
    if (nread < 0) {
        close_conn(h);
        return;
    }
    h->len += (size_t)nread;
    parse_request(h);
}

/* Each new connection is tied to one of the worker's PostgreSQL connections, in turn. */
static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    struct uv_conn *c = calloc(1, sizeof *c);
    uv_tcp_init(&loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct http *h = calloc(1, sizeof *h);
    h->kind = HTTP;
    h->fd = -1;
    h->front_conn = c;
    h->pg = &worker->pgs[worker->next_pg++ % worker->npg];
    c->h = h;
    uv_read_start((uv_stream_t *)&c->tcp, give_buffer, on_read);
}

void serve_uv(struct worker *w, int ls)
{
    worker = w;
    current_worker = w;
    uv_loop_init(&loop);
    for (int i = 0; i < w->npg; i++) {
        struct pg *p = &w->pgs[i];
        uv_poll_t *poll = calloc(1, sizeof *poll);
        uv_poll_init(&loop, poll, p->fd);
        poll->data = p;
        p->watcher = poll;
        uv_poll_start(poll, UV_READABLE, on_pg_ready);
    }
    static uv_tcp_t server;
    uv_tcp_init(&loop, &server);
    int err = uv_tcp_open(&server, ls);
    if (!err)
        err = uv_listen((uv_stream_t *)&server, 128, on_connection);
    if (err) {
        fprintf(stderr, "listen: %s\n", uv_strerror(err));
        exit(1);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    exit(1);
}
