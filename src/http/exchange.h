/*
 * exchange: one HTTP request's life inside a worker, as libmicrohttpd's callbacks see it —
 * set up (path, query, client, token), find the route, take the body, run the route's code
 * in a fiber, answer, log.
 *
 * A route's begin_body and handle run in a fiber of the worker's loop. If the fiber waits
 * (for PostgreSQL, the job pool, another server), the connection is suspended and the worker
 * goes on with other requests; when the fiber ends, the connection is resumed and the answer
 * queued from the next callback, as libmicrohttpd requires. A handler that streams its answer
 * (stream.h) has its response queued as soon as it begins the stream and goes on writing.
 * Everything an exchange holds lives in the request's arena, freed in the completion callback
 * (or, when a streaming handler is still running then, when its fiber ends).
 *
 * Only server.c (and stream.c, for its two hooks) uses this header.
 */
#ifndef SB_HTTP_EXCHANGE_H
#define SB_HTTP_EXCHANGE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"
#include "util/config.h"

/* Must be called once before any request (the request-id prefix). */
void sb_exchange_init(void);

/* libmicrohttpd's access handler; cls is the server's const struct sb_config *. */
enum MHD_Result sb_exchange_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                   const char *version, const char *upload_data, size_t *upload_data_size,
                                   void **req_cls);

/* libmicrohttpd's completion callback: the route's finished, the log line, the arena. */
void sb_exchange_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                           enum MHD_RequestTerminationCode toe);

/* libmicrohttpd's unescape callback: %XX decoding with %00 as C0 80 (see exchange.c). */
size_t sb_exchange_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* Whether a connection of the calling worker was resumed (a fiber ended) since the last call:
 * then libmicrohttpd has work even if its descriptor said nothing. */
bool sb_exchange_take_resumed(void);

/* For stream.c: a connection of this worker was resumed (libmicrohttpd has work). */
void sb_exchange_note_resumed(void);

/* For stream.c: a stream was begun by the handler; if the handler's connection is suspended
 * (it waited before), resume it so that the response is queued from the next callback. */
void sb_exchange_resume_for_stream(struct sb_request *req);

/* On a worker's thread as it stops: resumes every connection of its requests still suspended
 * (a fiber waiting, a stream waiting for its next bytes; streams are cancelled), so that
 * libmicrohttpd can close them. Their fibers end when their handlers notice (a stream's
 * cancel flag, a write that fails, the database's answer). */
void sb_exchange_release_all(void);

/* Route steps of the calling worker whose fiber has not ended. */
int sb_exchange_steps_running(void);

/* Requests begun and not yet completed, in all workers. */
long sb_exchange_in_flight(void);

#endif
