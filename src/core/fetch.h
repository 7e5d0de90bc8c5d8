/*
 * fetch: HTTP requests to other servers (a language model, an embedding service) from a
 * request's fiber, without blocking the worker's loop: libcurl's multi interface drives the
 * transfer, and the fiber waits on curl's socket through the loop (sb_wait_fd) between steps.
 * On a thread's own stack (no loop) the same call simply blocks.
 *
 * The response body is either gathered into the arena (on_data NULL) or handed to on_data
 * piece by piece as it arrives (a streamed answer); on_data returning non-zero stops the
 * transfer (the client went away). Headers and body of the request are the caller's and must
 * live until the call returns. Calls on one thread share a connection cache (libcurl's share
 * interface), so a server called again is reached on the connection kept from before.
 */
#ifndef SB_CORE_FETCH_H
#define SB_CORE_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

struct sb_fetch_request {
    const char *method;                 /* "GET", "POST", ... */
    const char *url;
    const char *const *headers;         /* "Name: value" lines, NULL-terminated; may be NULL */
    const char *body;                   /* may be NULL */
    size_t body_len;
    long timeout_ms;                    /* whole transfer; 0: none */
    int (*on_data)(void *cls, const char *data, size_t len);
    void *cls;
    /* May be NULL; when it turns true (from the loop, e.g. sb_stream_cancelled: the client
     * went away) the transfer stops within SB_FETCH_CANCEL_CHECK_MS and the call fails. */
    const volatile bool *cancel;
    /* A whole answer (on_data NULL) longer than this fails as too large; 0: SB_FETCH_MAX_BODY. */
    size_t max_body_bytes;
};

#define SB_FETCH_MAX_BODY (16 * 1024 * 1024)

#define SB_FETCH_CANCEL_CHECK_MS 100

struct sb_fetch_response {
    long status;                        /* HTTP status, 0 when no answer came */
    char *body;                         /* NUL-terminated, in the arena (when on_data is NULL) */
    size_t body_len;
    const char *error;                  /* NULL, or why there is no complete answer (arena) */
};

/* 0 when an answer came (any status), -1 with out->error set otherwise (cannot connect, timed
 * out, stopped by on_data). */
int sb_fetch(struct sb_arena *arena, const struct sb_fetch_request *request, struct sb_fetch_response *out);

#endif
