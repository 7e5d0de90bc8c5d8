/*
 * execute: runs a planned request (plan.h) against the database, as the request's role, and
 * reads what its statement returned. The statement is written by the query stage (query.h)
 * here, just before it runs.
 *
 * Most requests are one round trip (sb_call_run). An explicit transaction (sb_call_begin ...
 * sb_call_commit, base/call.h) is used for a singular write (rolled back unless it touched exactly one row:
 * 406 PGRST116), a GET/HEAD of a VOLATILE function (READ ONLY: a write is 25006, 405), and
 * count=planned|estimated (the EXPLAIN of the count, then the read). A database refusal
 * becomes the API's error (errors.h); no connection is 503 PGRST001.
 */
#ifndef SB_REST_EXECUTE_H
#define SB_REST_EXECUTE_H

#include <stdbool.h>

#include "base/call.h"
#include "rest/errors.h"
#include "rest/plan.h"

/* What the statement returned: total (-1 when not counted), rows in the page, JSON body. */
struct sb_rest_outcome {
    long long total;
    long long count;
    const char *body;
};

/* Runs as the call's identity; a refusal fills call->error (the schema cache in call->state
 * gives CHECK constraints their messages). An insert of [] or a PATCH of {} returns no rows
 * without running. */
bool sb_rest_execute(struct sb_call *call, const struct sb_rest_plan *plan, struct sb_rest_outcome *o);

#endif
