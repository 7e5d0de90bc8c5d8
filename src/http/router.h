/*
 * router: the table of routes, filled once at start-up by each service before the server
 * starts, read-only afterwards (so worker threads share it without locks).
 *
 * A route matches a method (NULL for any) and a path prefix; the longest matching prefix wins.
 * By default the server buffers the body (up to SB_MAX_BODY_BYTES) and then calls handle.
 * A route that streams its body sets begin_body and body_chunk instead: begin_body runs once
 * the headers are in (return 0 to go on, or an HTTP status after responding, to refuse),
 * body_chunk for each piece (same convention), handle at the end. finished, if set, always
 * runs last, with completed = false when the client went away or the request was refused:
 * the place to remove a half-written file.
 */
#ifndef SB_HTTP_ROUTER_H
#define SB_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

struct sb_route {
    const char *method;
    const char *prefix;
    void (*handle)(struct sb_request *req);
    int (*begin_body)(struct sb_request *req);
    int (*body_chunk)(struct sb_request *req, const char *data, size_t len);
    void (*finished)(struct sb_request *req, bool completed);
};

/* Copies the route into the table. Call before sb_server_start. */
void sb_router_add(const struct sb_route *route);

/* The best route for method and path, or NULL. *path_known is set when some route has the
 * path but not the method (so the caller can answer 405 rather than 404). */
const struct sb_route *sb_router_find(const char *method, const char *path, bool *path_known);

/* Registers every service's routes (src/http/services.c lists them). */
void sb_services_register(void);

#endif
