/*
 * router: the table of routes, filled once at start-up by each service before the server
 * starts, read-only afterwards (so worker threads share it without locks).
 *
 * A route matches a method (NULL for any) and either a whole path or a path prefix:
 *   - path: '/'-separated segments; a segment "{name}" matches any one non-empty segment, any
 *     other must be equal; a trailing '/' after a fixed last segment is ignored ("/user/" is
 *     "/user", as GoTrue's router does). A path route that matches wins over every prefix
 *     route; among path routes the first added wins.
 *   - prefix: every path that starts with it; the longest matching prefix wins.
 * When some route has the path but not the method the answer is 405, else 404: in the shape of
 * the service whose scope (sb_router_add_scope) holds the path, else the server's own.
 * admit, if set, runs first (before begin_body, or before handle for a buffered body): it
 * answers and returns false to refuse (a service's gate, such as auth's API key).
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
    const char *prefix;        /* either prefix ... */
    const char *path;          /* ... or path */
    bool (*admit)(struct sb_request *req);
    void (*handle)(struct sb_request *req);
    int (*begin_body)(struct sb_request *req);
    int (*body_chunk)(struct sb_request *req, const char *data, size_t len);
    void (*finished)(struct sb_request *req, bool completed);
};

/* The part of the URL space a service owns: paths under prefix that no route takes are
 * answered by unrouted (status 404, or 405 when a route has the path for another method). */
struct sb_scope {
    const char *prefix;
    void (*unrouted)(struct sb_request *req, int status);
};

/* Copies the route into the table. Call before sb_server_start. */
void sb_router_add(const struct sb_route *route);
/* Copies the scope into the table. Call before sb_server_start. */
void sb_router_add_scope(const struct sb_scope *scope);

/* The best route for method and path, or NULL. *path_known is set when some route has the
 * path (so the caller can answer 405 rather than 404 when no route has the method too). */
const struct sb_route *sb_router_find(const char *method, const char *path, bool *path_known);

/* True when pattern (a route's path) matches path. */
bool sb_router_path_matches(const char *pattern, const char *path);

/* The scope with the longest prefix of path, or NULL. */
const struct sb_scope *sb_router_scope_for(const char *path);

/* Registers every service's routes (src/http/services.c lists them). */
void sb_services_register(void);

#endif
