/*
 * exchange: a request through libmicrohttpd's callbacks (exchange.h says when each runs):
 *   - the access handler's first call (headers in): set up the request, find the route,
 *     authenticate, refuse early what is too large; a streaming route's begin_body runs in a
 *     fiber;
 *   - further calls with body pieces: buffer them, or hand them to a streaming route;
 *   - the last call (body done): run the handler in a fiber;
 *   - a call after a suspended fiber ended (the connection was resumed): queue its answer.
 * The completion callback logs one JSON line (batched: see sb_log_batched) and frees the
 * request's arena.
 */
#include "http/exchange.h"

#include "auth/jwt_cache.h"
#include "core/fiber.h"
#include "core/loop.h"
#include "db/conn.h"
#include "http/request.h"
#include "http/router.h"
#include "http/stream.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HEADERS_MAX_BYTES (64 * 1024)
#define UNSENT_MAX_BYTES (128 * 1024)

/* The route code that runs in a fiber. */
enum step {
    STEP_NONE,
    STEP_BEGIN_BODY,   /* a streaming route's begin_body */
    STEP_HANDLE,       /* the route's handle */
};

/* Per-request state, allocated in the request's own arena. */
struct exchange {
    struct sb_request req;
    const struct sb_route *route;
    struct sb_buf body;
    struct timespec started;
    bool body_too_large;
    bool queued;          /* a response has been queued with MHD */
    bool handled;         /* the handle step has started */
    enum step running;    /* the step whose fiber has not ended yet */
    enum step ended;      /* a step that ended while the connection was suspended */
    bool suspended;       /* MHD holds the connection while the step's fiber waits */
    int begin_body_result;
    struct sb_watch peer; /* the client's socket, for its shutdown: while a body streams in
                             (client_went_away), or once a handler asked (client_left) */
    bool watching_peer;
    bool finished_early;  /* the route's finished already ran (client_went_away) */
    bool abandoned;       /* completed while its fiber still runs: the fiber frees the arena */
    struct exchange *prev_live, *next_live;   /* this worker's requests not yet completed */
    volatile bool client_gone;  /* sb_request_client_gone's flag */
};

static atomic_ulong request_counter;
/* Requests begun and not yet completed: what a graceful stop waits for (idle keep-alive
 * connections are not requests, and are simply closed). */
static atomic_long requests_in_flight;
static unsigned long request_id_prefix;
/* A connection of this worker was resumed since sb_exchange_take_resumed last looked. */
static __thread bool resumed_on_this_thread;
/* This worker's requests not yet completed (for sb_exchange_release_all). */
static __thread struct exchange *live_exchanges;
/* This worker's route steps whose fiber has not ended. */
static __thread int steps_running;

static const char cors_expose[] =
    "Content-Range, Content-Location, Location, Preference-Applied, Range-Unit, "
    "X-Supabase-Api-Version, X-Request-Id, ETag, Content-Disposition, X-Total-Count, Link";
static const char cors_allow_headers[] =
    "apikey, authorization, x-client-info, content-type, content-profile, accept-profile, prefer, "
    "range, x-upsert, x-supabase-api-version, cache-control, x-request-id";

void sb_exchange_init(void)
{
    request_id_prefix = ((unsigned long)time(NULL) ^ (unsigned long)getpid()) & 0xffffffffUL;
}

long sb_exchange_in_flight(void)
{
    return atomic_load(&requests_in_flight);
}

/* ---- setting a request up ---------------------------------------------------------- */

/* Copies the connection's values of one kind (query arguments, headers) into the arena. */
struct value_collector {
    struct sb_arena *arena;
    struct sb_kv **items;
    int *count;
    int capacity;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct value_collector *c = cls;
    if (*c->count == c->capacity) {
        int capacity = c->capacity ? c->capacity * 2 : 16;
        struct sb_kv *grown = sb_arena_alloc(c->arena, sizeof *grown * (size_t)capacity);
        if (*c->count)
            memcpy(grown, *c->items, sizeof *grown * (size_t)*c->count);
        *c->items = grown;
        c->capacity = capacity;
    }
    (*c->items)[*c->count].key = sb_arena_strdup(c->arena, key);
    (*c->items)[*c->count].value = sb_arena_strdup(c->arena, value ? value : "");
    (*c->count)++;
    return MHD_YES;
}

static void collect_values(struct MHD_Connection *conn, enum MHD_ValueKind kind, struct sb_arena *arena,
                           struct sb_kv **items, int *count)
{
    struct value_collector collector = { arena, items, count, 0 };
    MHD_get_connection_values(conn, kind, collect_value, &collector);
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

static struct exchange *begin_exchange(const struct sb_config *config, struct MHD_Connection *conn,
                                       const char *url, const char *method)
{
    struct sb_arena *arena = sb_arena_new();
    struct exchange *ex = sb_arena_alloc(arena, sizeof *ex);
    struct sb_request *req = &ex->req;
    atomic_fetch_add(&requests_in_flight, 1);
    clock_gettime(CLOCK_MONOTONIC, &ex->started);
    req->arena = arena;
    req->config = config;
    req->connection = conn;
    req->method = sb_arena_strdup(arena, method);
    req->path = sb_arena_strdup(arena, url);
    req->response.fd = -1;
    req->id = new_request_id(arena);
    req->client_ip = client_address(arena, conn);
    collect_values(conn, MHD_GET_ARGUMENT_KIND, arena, &req->query, &req->query_count);
    collect_values(conn, MHD_HEADER_KIND, arena, &req->headers, &req->header_count);
    sb_buf_init(&ex->body, arena);
    authenticate(req);
    ex->next_live = live_exchanges;
    if (live_exchanges)
        live_exchanges->prev_live = ex;
    live_exchanges = ex;
    return ex;
}

static void forget_live(struct exchange *ex)
{
    if (ex->prev_live)
        ex->prev_live->next_live = ex->next_live;
    else if (live_exchanges == ex)
        live_exchanges = ex->next_live;
    if (ex->next_live)
        ex->next_live->prev_live = ex->prev_live;
    ex->prev_live = ex->next_live = NULL;
}

int sb_exchange_steps_running(void)
{
    return steps_running;
}

/* Resumes the connection suspended while the step's fiber waited, if it is. */
static void resume_if_suspended(struct exchange *ex)
{
    if (!ex->suspended)
        return;
    ex->suspended = false;
    MHD_resume_connection((struct MHD_Connection *)ex->req.connection);
    resumed_on_this_thread = true;
}

void sb_exchange_release_all(void)
{
    for (struct exchange *ex = live_exchanges; ex; ex = ex->next_live) {
        sb_stream_client_left(&ex->req);   /* a stream's handler stops as if its client left */
        resume_if_suspended(ex);
    }
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

/* 405 when a route has the path for another method, else 404: in the shape of the service
 * whose scope holds the path, else the server's own. */
static void answer_unrouted(struct sb_request *req, bool path_known)
{
    const struct sb_scope *scope = sb_router_scope_for(req->path);
    if (scope)
        scope->unrouted(req, path_known ? 405 : 404);
    else if (path_known)
        respond_error(req, 405, "method_not_allowed", "this path does not take that method");
    else
        respond_error(req, 404, "not_found", "no route for this path");
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

/* The client's socket, or -1. */
static int client_socket(const struct sb_request *req)
{
    if (!req->connection)
        return -1;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info((struct MHD_Connection *)req->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* For a response sent from a file: at most UNSENT_MAX_BYTES wait unsent in the socket
 * (TCP_NOTSENT_LOWAT; bytes in flight are not counted, so a long fat network is not slowed).
 * The kernel's default lets the whole send buffer fill with unsent bytes, and on loopback
 * those are then pushed through TCP from the receiver's side as it acknowledges: the client
 * does the server's work too. With the limit, the server pushes its own bytes. */
static void limit_unsent_bytes(const struct sb_request *req)
{
    int fd = client_socket(req);
    int lowat = UNSENT_MAX_BYTES;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
}

static enum MHD_Result queue(struct exchange *ex, bool preflight)
{
    struct sb_request *req = &ex->req;
    struct sb_response *r = &req->response;
    struct MHD_Response *res;
    if (r->stream) {
        res = sb_stream_response(req);
    } else if (r->fd >= 0) {
        limit_unsent_bytes(req);
        res = MHD_create_response_from_fd_at_offset64(r->fd_size, r->fd, r->fd_offset);
        if (res)
            r->fd = -1; /* MHD owns it now; otherwise the completion callback closes it */
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
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    add_cors_headers(res, req, preflight);
    enum MHD_Result ret = MHD_queue_response((struct MHD_Connection *)req->connection, (unsigned)r->status, res);
    MHD_destroy_response(res);
    ex->queued = true;
    if (r->stream)
        sb_stream_queued(req, ex->running == STEP_NONE);
    return ret;
}

/* ---- route code in fibers --------------------------------------------------------------- */

static void run_step_in_fiber(void *arg)
{
    struct exchange *ex = arg;
    struct sb_request *req = &ex->req;
    const struct sb_route *route = ex->route;
    bool first_step = ex->running == STEP_BEGIN_BODY || !route->begin_body;
    bool admitted = !first_step || !route->admit || route->admit(req);
    if (ex->running == STEP_BEGIN_BODY)
        ex->begin_body_result = admitted ? route->begin_body(req) : req->response.status;
    else if (admitted)
        route->handle(req);
    sb_db_rollback();   /* a transaction the route left open ends here */
    steps_running--;
    if (ex->abandoned) {
        sb_arena_free(req->arena);   /* completed while this fiber ran (a stream's client left) */
        return;
    }
    enum step step = ex->running;
    ex->running = STEP_NONE;
    if (sb_stream_is_queued(req)) {
        sb_stream_end(req);   /* its response is queued: nothing to answer */
        return;
    }
    ex->ended = step;
    resume_if_suspended(ex);
}

void sb_exchange_note_resumed(void)
{
    resumed_on_this_thread = true;
}

void sb_exchange_resume_for_stream(struct sb_request *req)
{
    /* Not suspended in the fiber's first run: the access handler queues when it yields. */
    resume_if_suspended((struct exchange *)req);   /* req is an exchange's first member */
}

bool sb_exchange_take_resumed(void)
{
    bool resumed = resumed_on_this_thread;
    resumed_on_this_thread = false;
    return resumed;
}

/* Runs the step in a fiber of the worker's loop. True when it ended at once (the caller goes
 * on); false when it waits: the connection is suspended until it ends. */
static bool run_step(struct exchange *ex, enum step step)
{
    struct sb_loop *loop = sb_loop_current();
    ex->running = step;
    steps_running++;
    struct sb_fiber *fiber = loop ? sb_fiber_new(run_step_in_fiber, ex) : NULL;
    if (!fiber) {
        run_step_in_fiber(ex);   /* no loop (or no memory for a stack): run it here */
    } else if (!sb_loop_start(loop, fiber)) {
        if (sb_stream_wants_queue(&ex->req))
            return false;   /* it began a stream: the caller queues it, the fiber goes on */
        ex->suspended = true;
        MHD_suspend_connection((struct MHD_Connection *)ex->req.connection);
        return false;
    }
    ex->ended = STEP_NONE;
    return true;
}

/* ---- a streamed body's client going away ------------------------------------------------ */

/* libmicrohttpd's epoll is edge-triggered and does not always see a client's end of file
 * that arrives with the last bytes of a large body the client abandons (measured: the socket
 * sits in CLOSE-WAIT, unread, until the inactivity timeout, holding the upload's temporary
 * file). So while a route streams a body, the loop watches the client's socket for the
 * peer's shutdown (EPOLLRDHUP, once): the body can then never complete, so the route's
 * finished runs at once with completed = false (the temporary file goes), and the socket's
 * reading side is shut down, which wakes libmicrohttpd to read the end of file and close. */
static void client_went_away(struct sb_watch *watch, uint32_t events)
{
    struct exchange *ex = (struct exchange *)((char *)watch - offsetof(struct exchange, peer));
    ex->watching_peer = false;   /* EPOLLONESHOT: it fires no more */
    if (ex->route->finished && !ex->finished_early) {
        ex->finished_early = true;
        ex->route->finished(&ex->req, false);
    }
    shutdown(watch->fd, SHUT_RD);
}

/* Watches the client's socket for its shutdown (once), calling on_shut_down. */
static void watch_peer(struct exchange *ex, void (*on_shut_down)(struct sb_watch *watch, uint32_t events))
{
    struct sb_loop *loop = sb_loop_current();
    int fd = client_socket(&ex->req);
    if (!loop || fd < 0)
        return;
    ex->peer = (struct sb_watch){ .fd = fd, .on_ready = on_shut_down };
    ex->watching_peer = sb_loop_watch(loop, &ex->peer, EPOLLRDHUP | EPOLLONESHOT) == 0;
}

static void stop_watching_peer(struct exchange *ex)
{
    struct sb_loop *loop = sb_loop_current();
    if (ex->watching_peer && loop)
        sb_loop_unwatch(loop, &ex->peer);
    ex->watching_peer = false;
}

/* ---- a handler's client going away ------------------------------------------------------- */

static void client_left(struct sb_watch *watch, uint32_t events)
{
    struct exchange *ex = (struct exchange *)((char *)watch - offsetof(struct exchange, peer));
    ex->watching_peer = false;   /* EPOLLONESHOT: it fires no more */
    ex->client_gone = true;
    sb_stream_client_left(&ex->req);
}

const volatile bool *sb_request_client_gone(struct sb_request *req)
{
    struct exchange *ex = (struct exchange *)req;   /* req is an exchange's first member */
    if (!ex->watching_peer && !ex->client_gone)   /* a completed request's connection is no more */
        watch_peer(ex, client_left);
    return &ex->client_gone;
}

/* ---- the phases ----------------------------------------------------------------------- */

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

/* After begin_body: a refusal is answered now; otherwise the body comes. */
static enum MHD_Result after_begin_body(struct exchange *ex)
{
    if (ex->begin_body_result != 0)
        return queue(ex, false);
    watch_peer(ex, client_went_away);
    return MHD_YES;
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
        answer_unrouted(req, path_known);
        return queue(ex, false);
    }
    if (ex->route->begin_body)
        return run_step(ex, STEP_BEGIN_BODY) ? after_begin_body(ex) : MHD_YES;
    if (declared_length_exceeds(req, req->config->max_body_bytes)) {
        respond_error(req, 413, "request_too_large", "the request body is larger than the server accepts");
        return queue(ex, false);
    }
    return MHD_YES;
}

static enum MHD_Result on_body_piece(struct exchange *ex, const char *data, size_t size)
{
    struct sb_request *req = &ex->req;
    if (ex->queued || ex->body_too_large || ex->finished_early)
        return MHD_YES; /* already answered, or the client is gone: discard the rest */
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

static enum MHD_Result answer_handled(struct exchange *ex)
{
    if (ex->req.response.status == 0)
        respond_error(&ex->req, 500, "unexpected_failure", "the handler gave no answer");
    return queue(ex, false);
}

static enum MHD_Result on_body_done(struct exchange *ex)
{
    struct sb_request *req = &ex->req;
    if (ex->queued || ex->handled)
        return MHD_YES;
    if (ex->finished_early)
        return MHD_NO;   /* the client went away: close */
    ex->handled = true;
    stop_watching_peer(ex);
    if (ex->body_too_large) {
        respond_error(req, 413, "request_too_large", "the request body is larger than the server accepts");
        return queue(ex, false);
    }
    req->body = ex->body.data;
    req->body_len = ex->body.len;
    if (run_step(ex, STEP_HANDLE))
        return answer_handled(ex);
    return sb_stream_wants_queue(req) ? queue(ex, false) : MHD_YES;
}

/* The connection was resumed, and libmicrohttpd repeats the call during which it was
 * suspended: the headers call after begin_body, the last call after handle. Either way this
 * call only finishes that step (a body piece comes in a later call). */
static enum MHD_Result on_step_ended(struct exchange *ex)
{
    enum step ended = ex->ended;
    ex->ended = STEP_NONE;
    return ended == STEP_HANDLE ? answer_handled(ex) : after_begin_body(ex);
}

enum MHD_Result sb_exchange_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_data_size,
                                   void **req_cls)
{
    struct exchange *ex = *req_cls;
    if (!ex) {
        ex = begin_exchange(cls, conn, url, method);
        *req_cls = ex;
        return on_headers(ex);
    }
    if (sb_stream_wants_queue(&ex->req))
        return queue(ex, false);   /* resumed for a stream its handler began after waiting */
    if (ex->ended != STEP_NONE)
        return on_step_ended(ex);
    if (*upload_data_size) {
        enum MHD_Result r = on_body_piece(ex, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return r;
    }
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

void sb_exchange_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct exchange *ex = *req_cls;
    if (!ex)
        return;
    *req_cls = NULL;
    forget_live(ex);
    bool completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    stop_watching_peer(ex);
    ex->client_gone = true;   /* a handler still running sees that nobody waits for it */
    sb_stream_request_completed(&ex->req);
    if (ex->route && ex->route->finished && !ex->finished_early)
        ex->route->finished(&ex->req, completed);
    if (ex->req.response.fd >= 0)
        close(ex->req.response.fd);
    log_exchange(ex, toe);
    ex->req.connection = NULL;   /* libmicrohttpd frees it after this call */
    /* A fiber still running keeps its request's memory and frees it when it ends: a streaming
     * handler whose client went away (it sees its writes fail), or one the server stops while
     * it waits (its worker's loop has ended, so it never runs again: the process is ending). */
    if (ex->running == STEP_NONE)
        sb_arena_free(ex->req.arena);
    else
        ex->abandoned = true;
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
size_t sb_exchange_unescape(void *cls, struct MHD_Connection *conn, char *s)
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
