/*
 * server: libmicrohttpd glue. One request goes through three callbacks:
 *   - the access handler's first call (headers in): set up the request, find the route,
 *     authenticate, refuse early what is too large;
 *   - further calls with body pieces: buffer them, or hand them to a streaming route;
 *   - the last call (body done): run the handler and queue its response.
 * The completion callback logs one JSON line (batched: see sb_log_batched) and frees the
 * request's arena.
 */
#include "http/server.h"

#include "auth/jwt_cache.h"
#include "http/listener.h"
#include "http/request.h"
#include "http/router.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_SECONDS 10
/* libmicrohttpd's memory per connection. It reads a body into half of it, so this sets how
 * much one recv() takes: 128 KiB gives 64 KiB reads (a 50 MB upload in ~800 reads instead
 * of ~1,600 at 64 KiB). Each open connection keeps all of it resident (libmicrohttpd clears
 * the pool between requests), so it is a trade: 256 KiB made uploads ~10% faster but doubled
 * the memory of idle keep-alive connections (bench/server/RESULTS.md, 16:27). It also bounds
 * the request line and headers, which are held to HEADERS_MAX_BYTES separately
 * (too_much_header) so that limit does not grow with it. */
#define CONNECTION_MEMORY_BYTES (128 * 1024)
#define HEADERS_MAX_BYTES (64 * 1024)
#define UNSENT_MAX_BYTES (128 * 1024)
#define MAX_CONNECTIONS 1000        /* open connections in all */

struct worker {
    struct sb_server *server;
    int index;
};

struct sb_server {
    struct MHD_Daemon **daemons;     /* one per worker thread (SB_THREADS) */
    struct worker *workers;
    int worker_count;
    struct sb_listener *listener;
    const struct sb_config *config;
    int port;
};

/* Per-connection state, allocated in the request's own arena. */
struct exchange {
    struct sb_request req;
    const struct sb_route *route;
    struct sb_buf body;
    struct timespec started;
    bool body_too_large;
    bool queued;      /* a response has been queued with MHD */
};

static atomic_ulong request_counter;
/* Requests begun and not yet completed: what a graceful stop waits for (idle keep-alive
 * connections are not requests, and are simply closed). */
static atomic_long requests_in_flight;
static unsigned long request_id_prefix;

static const char cors_expose[] =
    "Content-Range, Content-Location, Location, Preference-Applied, Range-Unit, "
    "X-Supabase-Api-Version, X-Request-Id, ETag, Content-Disposition, X-Total-Count, Link";
static const char cors_allow_headers[] =
    "apikey, authorization, x-client-info, content-type, content-profile, accept-profile, prefer, "
    "range, x-upsert, x-supabase-api-version, cache-control, x-request-id";

/* ---- setting a request up ---------------------------------------------------------- */

struct query_collector {
    struct sb_request *req;
    int capacity;
};

static enum MHD_Result collect_query_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                              const char *value)
{
    struct query_collector *c = cls;
    struct sb_request *req = c->req;
    if (req->query_count == c->capacity) {
        int capacity = c->capacity ? c->capacity * 2 : 8;
        struct sb_kv *grown = sb_arena_alloc(req->arena, sizeof *grown * (size_t)capacity);
        if (req->query_count)
            memcpy(grown, req->query, sizeof *grown * (size_t)req->query_count);
        req->query = grown;
        c->capacity = capacity;
    }
    req->query[req->query_count].key = sb_arena_strdup(req->arena, key);
    req->query[req->query_count].value = sb_arena_strdup(req->arena, value ? value : "");
    req->query_count++;
    return MHD_YES;
}

static const char *client_address(struct sb_arena *arena, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char text[INET6_ADDRSTRLEN] = "";
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof text);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof text);
    }
    return sb_arena_strdup(arena, text);
}

/* The token: Authorization: Bearer <t>, else the apikey header. */
static const char *presented_token(const struct sb_request *req)
{
    const char *authorization = sb_request_header(req, "Authorization");
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *t = authorization + 7;
        while (*t == ' ')
            t++;
        if (*t)
            return t;
    }
    const char *apikey = sb_request_header(req, "apikey");
    return apikey && *apikey ? apikey : NULL;
}

static void authenticate(struct sb_request *req)
{
    const char *token = presented_token(req);
    if (!token) {
        req->auth = SB_AUTH_NONE;
        return;
    }
    req->auth_error = sb_jwt_verify_cached(req->arena, req->config->jwt_secret, token, req->config->jwt_aud,
                                           &req->claims);
    req->auth = req->auth_error == SB_JWT_OK ? SB_AUTH_VALID : SB_AUTH_INVALID;
}

/* "<8 hex digits of the process>-<6 of the counter>", as "%08lx-%06lx" would print it. */
static const char *new_request_id(struct sb_arena *arena)
{
    unsigned long counter = (unsigned long)atomic_fetch_add(&request_counter, 1) & 0xffffff;
    const unsigned char prefix_bytes[4] = { request_id_prefix >> 24, request_id_prefix >> 16, request_id_prefix >> 8,
                                            request_id_prefix };
    const unsigned char counter_bytes[3] = { counter >> 16, counter >> 8, counter };
    char *id = sb_arena_alloc(arena, 16);
    sb_hex_encode(prefix_bytes, sizeof prefix_bytes, id);
    id[8] = '-';
    sb_hex_encode(counter_bytes, sizeof counter_bytes, id + 9);
    return id;
}

static struct exchange *begin_exchange(const struct sb_server *server, struct MHD_Connection *conn,
                                       const char *url, const char *method)
{
    struct sb_arena *arena = sb_arena_new();
    struct exchange *ex = sb_arena_alloc(arena, sizeof *ex);
    struct sb_request *req = &ex->req;
    atomic_fetch_add(&requests_in_flight, 1);
    clock_gettime(CLOCK_MONOTONIC, &ex->started);
    req->arena = arena;
    req->config = server->config;
    req->connection = conn;
    req->method = sb_arena_strdup(arena, method);
    req->path = sb_arena_strdup(arena, url);
    req->response.fd = -1;
    req->id = new_request_id(arena);
    req->client_ip = client_address(arena, conn);
    struct query_collector collector = { req, 0 };
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query_argument, &collector);
    sb_buf_init(&ex->body, arena);
    authenticate(req);
    return ex;
}

/* ---- answering ----------------------------------------------------------------------- */

static void respond_error(struct sb_request *req, int status, const char *error_code, const char *msg)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_printf(&b, "{\"code\":%d,\"error_code\":", status);
    sb_buf_append_json_string(&b, error_code);
    sb_buf_append(&b, ",\"msg\":");
    sb_buf_append_json_string(&b, msg);
    sb_buf_append(&b, "}");
    sb_respond_json(req, status, b.data);
}

static void add_cors_headers(struct MHD_Response *res, const struct sb_request *req, bool preflight)
{
    MHD_add_response_header(res, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(res, "Access-Control-Expose-Headers", cors_expose);
    if (!preflight)
        return;
    const char *asked = sb_request_header(req, "Access-Control-Request-Headers");
    MHD_add_response_header(res, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    MHD_add_response_header(res, "Access-Control-Allow-Headers", asked && *asked ? asked : cors_allow_headers);
    MHD_add_response_header(res, "Access-Control-Max-Age", "86400");
}

/* For a response sent from a file: at most UNSENT_MAX_BYTES wait unsent in the socket
 * (TCP_NOTSENT_LOWAT; bytes in flight are not counted, so a long fat network is not slowed).
 * The kernel's default lets the whole send buffer fill with unsent bytes, and on loopback
 * those are then pushed through TCP from the receiver's side as it acknowledges: the client
 * does the server's work too. With the limit, the server pushes its own bytes. */
static void limit_unsent_bytes(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int lowat = UNSENT_MAX_BYTES;
    if (info)
        setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
}

static enum MHD_Result queue(struct exchange *ex, bool preflight)
{
    struct sb_request *req = &ex->req;
    struct sb_response *r = &req->response;
    struct MHD_Response *res;
    if (r->fd >= 0) {
        limit_unsent_bytes((struct MHD_Connection *)req->connection);
        res = MHD_create_response_from_fd64(r->fd_size, r->fd);
        r->fd = -1; /* MHD owns it now */
    } else {
        res = MHD_create_response_from_buffer(r->body_len, (void *)(r->body ? r->body : ""),
                                              MHD_RESPMEM_PERSISTENT);
    }
    if (!res)
        return MHD_NO;
    if (r->content_type)
        MHD_add_response_header(res, "Content-Type", r->content_type);
    for (struct sb_header *h = r->headers; h; h = h->next)
        MHD_add_response_header(res, h->name, h->value);
    MHD_add_response_header(res, "X-Request-Id", req->id);
    add_cors_headers(res, req, preflight);
    enum MHD_Result ret = MHD_queue_response((struct MHD_Connection *)req->connection, (unsigned)r->status, res);
    MHD_destroy_response(res);
    ex->queued = true;
    return ret;
}

/* ---- the three phases ----------------------------------------------------------------- */

static bool declared_length_exceeds(const struct sb_request *req, long limit)
{
    const char *length = sb_request_header(req, "Content-Length");
    return length && strtoll(length, NULL, 10) > limit;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* True when the request line and headers together pass HEADERS_MAX_BYTES. */
static bool too_much_header(const struct sb_request *req)
{
    size_t total = strlen(req->method) + strlen(req->path) + 11; /* " HTTP/1.1\r\n" */
    for (int i = 0; i < req->query_count; i++)
        total += strlen(req->query[i].key) + strlen(req->query[i].value) + 2; /* "?" or "&", "=" */
    MHD_get_connection_values((struct MHD_Connection *)req->connection, MHD_HEADER_KIND, add_header_size, &total);
    return total > HEADERS_MAX_BYTES;
}

static enum MHD_Result on_headers(struct exchange *ex)
{
    struct sb_request *req = &ex->req;
    if (too_much_header(req)) {
        respond_error(req, 431, "request_header_fields_too_large", "the request headers are larger than the server accepts");
        return queue(ex, false);
    }
    if (strcmp(req->method, "OPTIONS") == 0) {
        sb_respond(req, 200, NULL, "", 0);
        return queue(ex, true);
    }
    bool path_known;
    ex->route = sb_router_find(req->method, req->path, &path_known);
    if (!ex->route) {
        if (path_known)
            respond_error(req, 405, "method_not_allowed", "this path does not take that method");
        else
            respond_error(req, 404, "not_found", "no route for this path");
        return queue(ex, false);
    }
    if (ex->route->begin_body) {
        if (ex->route->begin_body(req) != 0)
            return queue(ex, false);
    } else if (declared_length_exceeds(req, req->config->max_body_bytes)) {
        respond_error(req, 413, "request_too_large", "the request body is larger than the server accepts");
        return queue(ex, false);
    }
    return MHD_YES;
}

static enum MHD_Result on_body_piece(struct exchange *ex, const char *data, size_t size)
{
    struct sb_request *req = &ex->req;
    if (ex->queued || ex->body_too_large)
        return MHD_YES; /* already answered: discard the rest */
    if (ex->route->body_chunk) {
        if (ex->route->body_chunk(req, data, size) != 0)
            return queue(ex, false);
        return MHD_YES;
    }
    if (ex->body.len + size > (size_t)req->config->max_body_bytes) {
        ex->body_too_large = true;
        return MHD_YES;
    }
    sb_buf_append_n(&ex->body, data, size);
    return MHD_YES;
}

static enum MHD_Result on_body_done(struct exchange *ex)
{
    struct sb_request *req = &ex->req;
    if (ex->body_too_large) {
        respond_error(req, 413, "request_too_large", "the request body is larger than the server accepts");
        return queue(ex, false);
    }
    req->body = ex->body.data;
    req->body_len = ex->body.len;
    ex->route->handle(req);
    if (req->response.status == 0)
        respond_error(req, 500, "unexpected_failure", "the handler gave no answer");
    return queue(ex, false);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload_data,
                                      size_t *upload_data_size, void **req_cls)
{
    struct exchange *ex = *req_cls;
    if (!ex) {
        ex = begin_exchange(cls, conn, url, method);
        *req_cls = ex;
        return on_headers(ex);
    }
    if (*upload_data_size) {
        enum MHD_Result r = on_body_piece(ex, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r;
    }
    if (ex->queued)
        return MHD_YES;
    return on_body_done(ex);
}

static void log_exchange(const struct exchange *ex, enum MHD_RequestTerminationCode toe)
{
    const struct sb_request *req = &ex->req;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long us = (long)(now.tv_sec - ex->started.tv_sec) * 1000000L + (now.tv_nsec - ex->started.tv_nsec) / 1000;
    long hundredths = (us + 5) / 10;
    char status[16], duration[32];
    snprintf(status, sizeof status, "%d", req->response.status);
    snprintf(duration, sizeof duration, "%ld.%02ld", hundredths / 100, hundredths % 100);
    sb_log_batched(SB_LOG_INFO, "request", "id", req->id, "method", req->method, "path", req->path,
                   "status", status, "duration_ms", duration, "ip", req->client_ip,
                   "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false", NULL);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct exchange *ex = *req_cls;
    if (!ex)
        return;
    bool completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    if (ex->route && ex->route->finished)
        ex->route->finished(&ex->req, completed);
    if (ex->req.response.fd >= 0)
        close(ex->req.response.fd);
    log_exchange(ex, toe);
    *req_cls = NULL;
    sb_arena_free(ex->req.arena);
    if (atomic_fetch_sub(&requests_in_flight, 1) == 1)
        sb_log_flush();      /* nothing else in flight: the request lines go out now */
}

/* ---- percent-decoding ------------------------------------------------------------------ */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in place (the path and query values), like MHD_http_unescape, except that %00
 * becomes the invalid UTF-8 pair C0 80 instead of a NUL: a NUL would silently cut the C
 * string there ("a.pdf%00.png" read as "a.pdf"); C0 80 is refused wherever text is checked
 * (storage keys, PostgreSQL text). Never longer than its input. */
static size_t unescape_without_nul(void *cls, struct MHD_Connection *conn, char *s)
{
    char *out = s;
    for (const char *in = s; *in;) {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1;
        int lo = hi >= 0 ? hex_value(in[2]) : -1;
        if (lo < 0) {
            *out++ = *in++;
            continue;
        }
        int byte = hi * 16 + lo;
        if (byte == 0) {
            *out++ = (char)0xc0;
            *out++ = (char)0x80;
        } else {
            *out++ = (char)byte;
        }
        in += 3;
    }
    *out = '\0';
    return (size_t)(out - s);
}

/* ---- built-in routes ------------------------------------------------------------------ */

static void handle_health(struct sb_request *req)
{
    sb_respond_json(req, 200, "{\"status\":\"ok\"}");
}

/* ---- life cycle -------------------------------------------------------------------------- */

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

/* One libmicrohttpd daemon per worker thread, each with its own epoll loop and no listening
 * socket: the listener hands them connections (listener.h says why). */
static bool start_workers(struct sb_server *server)
{
    const struct sb_config *config = server->config;
    server->worker_count = config->threads;
    server->daemons = calloc((size_t)server->worker_count, sizeof *server->daemons);
    server->workers = calloc((size_t)server->worker_count, sizeof *server->workers);
    for (int i = 0; i < server->worker_count; i++) {
        server->workers[i] = (struct worker){ server, i };
        server->daemons[i] = MHD_start_daemon(
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
            access_handler, server,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)config->request_timeout_s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
            MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
            MHD_OPTION_NOTIFY_CONNECTION, connection_notified, &server->workers[i],
            MHD_OPTION_UNESCAPE_CALLBACK, unescape_without_nul, NULL,
            MHD_OPTION_END);
        if (!server->daemons[i])
            return false;
    }
    return true;
}

/* Stops every worker (closing its connections), then frees the listener and the server. */
static void stop_workers(struct sb_server *server)
{
    for (int i = 0; server->daemons && i < server->worker_count; i++)
        if (server->daemons[i])
            MHD_stop_daemon(server->daemons[i]);
    sb_listener_free(server->listener);
    free(server->daemons);
    free(server->workers);
    free(server);
}

struct sb_server *sb_server_start(const struct sb_config *config)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)config->port) };
    if (inet_pton(AF_INET, config->host, &addr.sin_addr) != 1) {
        fprintf(stderr, "studybase: cannot bind to '%s': expected an IPv4 address such as 127.0.0.1\n",
                config->host);
        return NULL;
    }
    request_id_prefix = ((unsigned long)time(NULL) ^ (unsigned long)getpid()) & 0xffffffffUL;
    sb_router_add(&(struct sb_route){ .method = "GET", .prefix = "/health", .handle = handle_health });
    sb_router_add(&(struct sb_route){ .method = "HEAD", .prefix = "/health", .handle = handle_health });

    struct sb_server *server = calloc(1, sizeof *server);
    server->config = config;
    if (!start_workers(server) ||
        sb_listener_start(&addr, server->daemons, server->worker_count, MAX_CONNECTIONS,
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
    for (int i = 0; i < SHUTDOWN_GRACE_SECONDS * 20 && atomic_load(&requests_in_flight) > 0; i++) {
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    stop_workers(server);
    sb_log_flush();
}
