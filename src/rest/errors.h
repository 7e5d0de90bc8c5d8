/*
 * errors: the data API's error answers, in PostgREST's shape
 * {"code","message","details","hint"} (null when absent), and the mapping of a PostgreSQL
 * error (SQLSTATE) to an HTTP status. A violated CHECK constraint that carries a COMMENT is
 * answered with that comment as the message (the seed's validation messages).
 *
 * Strings in an sb_rest_error are static or owned by the request's arena.
 */
#ifndef SB_REST_ERRORS_H
#define SB_REST_ERRORS_H

#include "db/conn.h"
#include "http/request.h"
#include "rest/schema_cache.h"

struct sb_rest_error {
    int status;
    const char *code, *message, *details, *hint;
};

/* Fills err and returns false, so parsers can `return sb_rest_fail(...)`. */
bool sb_rest_fail(struct sb_rest_error *err, int status, const char *code, const char *message,
                  const char *details, const char *hint);

/* The status PostgREST gives a SQLSTATE; role matters for 42501 (anon 401, others 403). */
int sb_rest_status_for_sqlstate(const char *sqlstate, const char *role);

/* Turns a database refusal into the API's error (with the constraint's comment if any). */
void sb_rest_error_from_db(struct sb_arena *arena, const struct sb_db_result *db, const char *role,
                           const struct sb_schema_cache *cache, struct sb_rest_error *err);

/* Sends err as the response (adds WWW-Authenticate to 401s). */
void sb_rest_respond_error(struct sb_request *req, const struct sb_rest_error *err);

#endif
