/*
 * stream: an answer sent while it is being made (server-sent events from the tutor), from a
 * route's handle, in its fiber.
 *
 * sb_stream_begin sends the status line and headers (those added with sb_response_header so
 * far) and the body follows in chunks (chunked transfer encoding) as sb_stream_write hands them
 * over. A write returns once its bytes are queued; it waits (suspending the fiber, never the
 * loop) only while more than SB_STREAM_UNSENT_MAX bytes are still unsent to a slow client. When
 * the client goes away, writes return false and sb_stream_cancelled's flag turns true, also while
 * the fiber is waiting on something else: pass it to sb_fetch (fetch.h: cancel) so an upstream
 * call stops at once. The answer ends when handle returns (or at sb_stream_end). After
 * sb_stream_begin, the sb_respond_* functions must not be called.
 */
#ifndef SB_HTTP_STREAM_H
#define SB_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

#define SB_STREAM_UNSENT_MAX (64 * 1024)

/* Starts the streamed answer. */
void sb_stream_begin(struct sb_request *req, int status, const char *content_type);
/* Queues len bytes; false once the client has gone (the bytes are dropped). */
bool sb_stream_write(struct sb_request *req, const char *data, size_t len);
/* Ends the answer: what was written is sent, then the last chunk. */
void sb_stream_end(struct sb_request *req);
/* A flag that turns true when the client goes away (valid until the request completes). */
const volatile bool *sb_stream_cancelled(struct sb_request *req);

/* ---- for the server's exchange (exchange.c) only ---- */

struct MHD_Response;
/* True while the handler waits for its stream's response to be queued with libmicrohttpd
 * (it has written its first bytes). */
bool sb_stream_wants_queue(const struct sb_request *req);
/* True once the stream's response is queued. */
bool sb_stream_is_queued(const struct sb_request *req);
/* The response to queue for the stream (libmicrohttpd pulls the body from it). */
struct MHD_Response *sb_stream_response(struct sb_request *req);
/* The response is queued: the handler's fiber goes on (or, if it already returned, the
 * stream ends once what it wrote is sent). */
void sb_stream_queued(struct sb_request *req, bool handler_returned);
/* The client's socket was shut down (the exchange watches it), or the server stops: writes
 * fail from now on, a waiting writer wakes, a reader waiting for bytes ends the body. */
void sb_stream_client_left(struct sb_request *req);
/* libmicrohttpd completed the request (sent, or the client went away): nothing more is
 * sent; a handler still running sees its writes fail and its cancel flag set. */
void sb_stream_request_completed(struct sb_request *req);

#endif
