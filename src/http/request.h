/*
 * request: what a handler sees of one HTTP request, and how it answers.
 *
 * Every pointer in a request lives in req->arena and dies with the request. A handler reads
 * the request, then calls exactly one of the sb_respond_* functions (the last call wins);
 * headers added with sb_response_header go out with whichever response is sent. The server
 * adds CORS headers, the request id and the JSON log line itself.
 */
#ifndef SB_HTTP_REQUEST_H
#define SB_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "util/arena.h"
#include "util/config.h"

struct sb_stream; /* http/stream.h: a streamed answer */
struct sb_call; /* base/call.h: the service's view of this request, built on first use */

struct sb_kv {
    const char *key;
    const char *value;
};

enum sb_auth_state {
    SB_AUTH_NONE,    /* neither Authorization: Bearer nor apikey was sent */
    SB_AUTH_VALID,   /* claims holds the verified token */
    SB_AUTH_INVALID, /* a token was sent and refused: auth_error says why */
};

struct sb_header {
    struct sb_header *next;
    const char *name, *value;
};

struct sb_response {
    int status;                /* 0 until a handler responds */
    const char *content_type;
    const char *body;
    size_t body_len;
    int fd;                    /* >= 0: send this file (closed by the server) instead of body */
    uint64_t fd_offset;        /* where in the file the bytes sent start */
    uint64_t fd_size;          /* how many bytes are sent */
    struct sb_header *headers;
    struct sb_stream *stream;  /* set by sb_stream_begin (http/stream.h): the body is streamed */
};

struct sb_request {
    struct sb_arena *arena;
    const struct sb_config *config;
    const char *id;            /* request id, also sent as X-Request-Id */
    const char *method;
    const char *path;          /* percent-decoded path without the query string */
    struct sb_kv *query;       /* query arguments in order; percent-decoded, '+' read as space */
    int query_count;
    struct sb_kv *headers;     /* request headers in order (copied: a handler may outlive the
                                  connection, e.g. a stream whose client left) */
    int header_count;
    const char *body;          /* the whole body for buffered routes, NUL-terminated */
    size_t body_len;
    const char *client_ip;

    enum sb_auth_state auth;
    enum sb_jwt_status auth_error;
    struct sb_jwt_claims claims; /* valid when auth == SB_AUTH_VALID */

    void *route_state;         /* free for the route's streaming callbacks */
    struct sb_call *call;      /* NULL until a service asks for it (sb_call_of) */
    struct sb_response response;
    void *connection;          /* the server's own (struct MHD_Connection *) */
};

/* The first value of a header (case-insensitive name), or NULL. */
const char *sb_request_header(const struct sb_request *req, const char *name);
/* The first value of a query argument, or NULL. */
const char *sb_request_query(const struct sb_request *req, const char *key);

void sb_response_header(struct sb_request *req, const char *name, const char *value);
void sb_respond(struct sb_request *req, int status, const char *content_type, const char *body, size_t len);
/* body is copied if it is not already in the arena's lifetime: pass arena or static text. */
void sb_respond_json(struct sb_request *req, int status, const char *json);
/* A flag that turns true when the client goes away (shuts its socket down) while the handler
 * runs — also while the handler waits, its connection suspended: pass it as sb_fetch's cancel
 * so that a long call to another server stops early. The watch starts at the first call and
 * ends with the request. */
const volatile bool *sb_request_client_gone(struct sb_request *req);
/* Sends fd's first size bytes; the server closes fd when done. */
void sb_respond_file(struct sb_request *req, int status, const char *content_type, int fd, uint64_t size);
/* Sends size bytes of fd from offset on (a byte range); the server closes fd when done. */
void sb_respond_file_part(struct sb_request *req, int status, const char *content_type, int fd, uint64_t offset,
                          uint64_t size);

#endif
