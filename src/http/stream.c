/*
 * stream: a streamed answer (stream.h) between the handler's fiber, which writes, and
 * libmicrohttpd, which pulls the body through a content reader callback when the client's
 * socket can take more.
 *
 * The bytes written wait in one buffer (malloc'd, freed with the request's arena). When the
 * reader finds it empty it suspends the connection and returns 0 (libmicrohttpd's way of
 * saying "no data yet"); the next write or the end resumes it. A writer that finds more than
 * SB_STREAM_UNSENT_MAX bytes unsent waits until the reader has taken half. While the stream
 * is open the exchange watches the client's socket for its shutdown (sb_request_client_gone),
 * since a suspended connection is watched by nobody else: the cancel flag turns true and a
 * waiting writer wakes.
 */
#include "http/stream.h"

#include "core/fiber.h"
#include "core/loop.h"
#include "http/exchange.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BLOCK_BYTES (16 * 1024)

struct sb_stream {
    struct sb_request *req;
    char *data;             /* bytes written; [sent, len) not yet taken by the reader */
    size_t len, sent, capacity;
    bool asked;             /* the handler waits for the response to be queued */
    bool queued;            /* libmicrohttpd has the response */
    bool ended;             /* no more writes: the reader ends the body once it is empty */
    bool reader_waits;      /* the reader suspended the connection for want of data */
    bool completed;         /* libmicrohttpd is done with the request */
    volatile bool gone;     /* the client went away (or the request completed) */
    struct sb_fiber *writer;/* the handler's fiber while it waits (queueing, draining) */
};

static void free_stream_data(void *arg)
{
    struct sb_stream *s = arg;
    free(s->data);
    s->data = NULL;
}

static void wake_writer(struct sb_stream *s)
{
    if (s->writer)
        sb_loop_wake(s->writer);
}

/* Lets libmicrohttpd call the reader again (it suspended the connection for want of data). */
static void resume_reader(struct sb_stream *s)
{
    if (!s->reader_waits || s->completed)
        return;
    s->reader_waits = false;
    MHD_resume_connection((struct MHD_Connection *)s->req->connection);
    sb_exchange_note_resumed();
}

/* The exchange saw the client's socket shut down (sb_request_client_gone's watch), or the
 * server stops (sb_exchange_release_all). */
void sb_stream_client_left(struct sb_request *req)
{
    struct sb_stream *s = req->response.stream;
    if (!s)
        return;
    s->gone = true;
    wake_writer(s);
    resume_reader(s);           /* libmicrohttpd then reads the end of file and completes */
}

/* ---- the handler's side ----------------------------------------------------------------- */

/* Waits (in the handler's fiber) until woken. False outside a fiber on a loop (the handler
 * runs on the caller's stack): nothing can be waited for, the answer goes out when it returns. */
static bool wait_for_reader(struct sb_stream *s)
{
    if (!sb_fiber_current() || !sb_loop_current())
        return false;
    s->writer = sb_fiber_current();
    sb_wait_suspend(-1);
    s->writer = NULL;
    return true;
}

/* Has the response queued with libmicrohttpd (its status and headers go out at once). The
 * exchange queues it from this call when this fiber has not waited yet (its first run happens
 * inside libmicrohttpd's call), else once its suspended connection is resumed. */
static void have_response_queued(struct sb_stream *s)
{
    s->asked = true;
    sb_exchange_resume_for_stream(s->req);
    while (!s->queued && !s->gone)
        if (!wait_for_reader(s))
            return;
    if (s->queued && !s->gone && *sb_request_client_gone(s->req))
        s->gone = true;   /* starts the watch; a client already gone counts at once */
}

void sb_stream_begin(struct sb_request *req, int status, const char *content_type)
{
    struct sb_stream *s = sb_arena_alloc(req->arena, sizeof *s);
    memset(s, 0, sizeof *s);
    s->req = req;
    sb_arena_defer(req->arena, free_stream_data, s);
    req->response.status = status;
    req->response.content_type = content_type;
    req->response.body = NULL;
    req->response.body_len = 0;
    req->response.stream = s;
    have_response_queued(s);
}

static void append(struct sb_stream *s, const char *data, size_t len)
{
    if (s->sent > 0 && s->sent == s->len)
        s->sent = s->len = 0;
    if (s->len + len > s->capacity) {
        if (s->sent > 0) {
            memmove(s->data, s->data + s->sent, s->len - s->sent);
            s->len -= s->sent;
            s->sent = 0;
        }
        size_t capacity = s->capacity ? s->capacity : STREAM_BLOCK_BYTES;
        while (capacity < s->len + len)
            capacity *= 2;
        if (capacity != s->capacity) {
            char *grown = realloc(s->data, capacity);
            if (!grown)
                abort();   /* as the arena does when memory runs out */
            s->data = grown;
            s->capacity = capacity;
        }
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
}

bool sb_stream_write(struct sb_request *req, const char *data, size_t len)
{
    struct sb_stream *s = req->response.stream;
    if (!s || s->gone || s->ended)
        return false;
    if (len == 0)
        return true;
    append(s, data, len);
    resume_reader(s);
    while (!s->gone && s->queued && s->len - s->sent > SB_STREAM_UNSENT_MAX)
        if (!wait_for_reader(s))
            break;
    return !s->gone;
}

void sb_stream_end(struct sb_request *req)
{
    struct sb_stream *s = req->response.stream;
    if (!s || s->ended)
        return;
    s->ended = true;
    resume_reader(s);
}

const volatile bool *sb_stream_cancelled(struct sb_request *req)
{
    static const volatile bool never = false;
    struct sb_stream *s = req->response.stream;
    return s ? &s->gone : &never;
}

/* ---- libmicrohttpd's side --------------------------------------------------------------- */

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sb_stream *s = cls;
    size_t unsent = s->len - s->sent;
    if (unsent > 0) {
        size_t n = unsent < max ? unsent : max;
        memcpy(buf, s->data + s->sent, n);
        s->sent += n;
        if (s->len - s->sent <= SB_STREAM_UNSENT_MAX / 2)
            wake_writer(s);
        return (ssize_t)n;
    }
    if (s->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (s->gone)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    s->reader_waits = true;
    MHD_suspend_connection((struct MHD_Connection *)s->req->connection);
    return 0;
}

bool sb_stream_wants_queue(const struct sb_request *req)
{
    const struct sb_stream *s = req->response.stream;
    return s && s->asked && !s->queued && !s->gone;
}

bool sb_stream_is_queued(const struct sb_request *req)
{
    const struct sb_stream *s = req->response.stream;
    return s && s->queued;
}

struct MHD_Response *sb_stream_response(struct sb_request *req)
{
    return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES, read_stream,
                                             req->response.stream, NULL);
}

void sb_stream_queued(struct sb_request *req, bool handler_returned)
{
    struct sb_stream *s = req->response.stream;
    s->queued = true;
    if (handler_returned)
        s->ended = true;   /* it wrote everything without ever waiting */
    wake_writer(s);
}

void sb_stream_request_completed(struct sb_request *req)
{
    struct sb_stream *s = req->response.stream;
    if (!s)
        return;
    s->completed = true;
    s->reader_waits = false;
    s->gone = true;
    wake_writer(s);
}
