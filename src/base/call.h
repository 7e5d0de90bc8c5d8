/*
 * call: what every service handler works with for one request — who is calling, the JSON
 * body, one error value — and the one way a service runs SQL and transactions.
 *
 * A service describes itself once (struct sb_service): how its wire shape writes an error,
 * its SQLSTATE table, and its words for an unreachable database and a body that is not JSON.
 * sb_call_of builds the call value once per request (kept in req->call, in the arena):
 *   - identity: the role, claims and sub of the token the server core already verified
 *     (req->auth, req->claims), or anon's when no token was sent; a refused token is
 *     recorded (token, token_refused), not answered: each service refuses in its own words;
 *   - the body, parsed as JSON on first use (sb_call_body);
 *   - error: filled by whatever refuses (sb_call_fail, a failed statement), written once by
 *     sb_call_respond_error in the service's shape.
 * Statements (sb_call_run) and transactions (sb_call_begin, sb_call_query, sb_call_commit,
 * sb_call_rollback) fill the call's error when they fail; a failed step of a transaction has
 * already rolled it back, so a handler writes only the happy path and returns on false.
 * Everything returned lives in the request's arena.
 */
#ifndef SB_BASE_CALL_H
#define SB_BASE_CALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "db/conn.h"
#include "http/request.h"

struct sb_call;

struct sb_service {
    const char *name;                   /* in log lines: "auth", "rest", "storage" */
    void (*write_error)(struct sb_request *req, const struct sb_error *err);
    const struct sb_sqlstate_rule *sqlstates;
    struct sb_error unavailable;        /* the database cannot be reached */
    struct sb_error busy;               /* every pooled session stayed taken (no code: unavailable) */
    /* A failure with no SQLSTATE (not the database's) or one the table does not know; a NULL
     * message means the database's own words. */
    struct sb_error internal;
    /* A body that is not a JSON object: bad_body's status and code, and its message, or when
     * that is NULL "Could not parse request body as JSON: <why>". */
    struct sb_error bad_body;
    size_t json_flags;                  /* jansson decoding flags (JSON_REJECT_DUPLICATES) */
    bool body_needs_json_type;          /* refuse a body whose Content-Type is not application/json */
    /* Optional: says more than the table about a refusal (rest: a CHECK's comment; storage:
     * a missing bucket); runs after the table filled call->error. */
    void (*explain)(struct sb_call *call, const struct sb_db_result *db);
};

struct sb_call {
    struct sb_request *req;
    const struct sb_service *service;
    enum sb_auth_state token;           /* what the core found: no token, a valid one, a refused one */
    const char *token_refused;          /* why no token was accepted (token is not SB_AUTH_VALID) */
    struct sb_db_call identity;         /* role, claims, sub: the token's, or anon's */
    struct sb_error error;              /* what went wrong, once something did */
    json_t *body;                       /* after sb_call_body */
    bool body_read;
    struct sb_error body_error;         /* why the body was refused */
    void *state;                        /* the service's own (rest: the schema cache) */
};

/* The request's call value, built on the first call; service must be the same each time. */
struct sb_call *sb_call_of(struct sb_request *req, const struct sb_service *service);

/* True when the core verified a token (claims, role and sub are the token's). */
bool sb_call_has_token(const struct sb_call *call);

/* The identity to run SQL as service_role with (for work the server does on its own behalf). */
const struct sb_db_call *sb_call_service_role(void);

/* The body as a JSON object (an empty body is {}), or NULL with the error filled (bad_body). */
json_t *sb_call_body(struct sb_call *call);

/* json_decref in the shape sb_arena_defer takes: a JSON value the arena owns. */
void sb_json_release(void *json);

/* Fills the error (no details or hint); returns false. */
bool sb_call_fail(struct sb_call *call, int status, const char *code, const char *message);
/* Fills the error from a failed statement: the service's unavailable or busy error, or its
 * SQLSTATE table's answer (a 500 is logged with the SQLSTATE and message, never sent).
 * Returns false. */
bool sb_call_fail_db(struct sb_call *call, const struct sb_db_result *db);
/* Writes the call's error as the response, in the service's wire shape. */
void sb_call_respond_error(struct sb_call *call);

/* One statement in one round trip, as who (NULL: the caller); false with the error filled. */
bool sb_call_run(struct sb_call *call, const struct sb_db_call *who, const char *sql, int nparams,
                 const char *const *params, struct sb_db_result *out);

/* An explicit transaction as who (NULL: the caller). Each step returns false with the error
 * filled and the transaction rolled back when it fails; out (may be NULL for begin and commit)
 * keeps the failed result for a service that wants to say more. */
bool sb_call_begin(struct sb_call *call, const struct sb_db_call *who, struct sb_db_result *out);
bool sb_call_query(struct sb_call *call, const char *sql, int nparams, const char *const *params,
                   struct sb_db_result *out);
bool sb_call_commit(struct sb_call *call, struct sb_db_result *out);
/* Ends the transaction without keeping anything (a decision, not a failure). */
void sb_call_rollback(struct sb_call *call);

#endif
