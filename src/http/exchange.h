/*
 * exchange: one HTTP request's life inside a worker, as libmicrohttpd's callbacks see it —
 * set up (path, query, client, token), find the route, take the body, run the route's code
 * in a fiber, answer, log.
 *
 * A route's begin_body and handle run in a fiber of the worker's loop. If the fiber waits
 * (for PostgreSQL, the job pool, another server), the connection is suspended and the worker
 * goes on with other requests; when the fiber ends, the connection is resumed and the answer
 * queued from the next callback, as libmicrohttpd requires. Everything an exchange holds lives
 * in the request's arena, freed in the completion callback.
 *
 * Only server.c uses this header: it passes these functions to libmicrohttpd.
 */
#ifndef SB_HTTP_EXCHANGE_H
#define SB_HTTP_EXCHANGE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

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

/* Requests begun and not yet completed, in all workers. */
long sb_exchange_in_flight(void);

#endif
