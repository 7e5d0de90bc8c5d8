/*
 * execute: one statement per request, in one round trip or in an explicit transaction.
 */
#include "rest/execute.h"

#include "rest/query.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ESTIMATE_EXACT_UP_TO 1000   /* count=estimated counts exactly below this (Supabase's db-max-rows) */

static bool read_outcome(const struct sb_db_result *res, struct sb_rest_outcome *o)
{
    if (!res->rows || PQntuples(res->rows) != 1 || PQnfields(res->rows) != 3)
        return false;
    o->total = PQgetisnull(res->rows, 0, 0) ? -1 : atoll(PQgetvalue(res->rows, 0, 0));
    o->count = atoll(PQgetvalue(res->rows, 0, 1));
    o->body = PQgetisnull(res->rows, 0, 2) ? NULL : PQgetvalue(res->rows, 0, 2);
    return true;
}

/* One round trip: role, claims and the statement, in one transaction. */
static bool run_once(struct sb_call *call, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    struct sb_db_result res;
    return sb_call_run(call, NULL, sql->text, sql->nparams, sql->params, &res) &&
           (read_outcome(&res, o) || sb_rest_fail_result_shape(&call->error));
}

/* A statement of an open transaction whose outcome is read; rolled back when it has none. */
static bool query_outcome(struct sb_call *call, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    struct sb_db_result res;
    if (!sb_call_query(call, sql->text, sql->nparams, sql->params, &res))
        return false;
    if (read_outcome(&res, o))
        return true;
    sb_call_rollback(call);
    return sb_rest_fail_result_shape(&call->error);
}

/* BEGIN with the request's role, then `before` (if any), the statement, and COMMIT, unless
 * one_row is asked and the statement touched another number of rows (then ROLLBACK). */
static bool run_in_transaction(struct sb_call *call, const char *before, const struct sb_rest_sql *sql,
                               bool one_row, struct sb_rest_outcome *o)
{
    struct sb_db_result res;
    if (!sb_call_begin(call, NULL, NULL) || (before && !sb_call_query(call, before, 0, NULL, &res)) ||
        !query_outcome(call, sql, o))
        return false;
    if (one_row && o->count != 1) {
        sb_call_rollback(call);
        return sb_rest_fail_singular(&call->error, call->req->arena, o->count);
    }
    return sb_call_commit(call, NULL);
}

/* The planner's estimate from an EXPLAIN (FORMAT JSON) result, or -1. */
static long long plan_rows(const struct sb_db_result *res)
{
    if (!res->rows || PQntuples(res->rows) < 1)
        return -1;
    json_t *plan = json_loads(PQgetvalue(res->rows, 0, 0), 0, NULL);
    json_t *rows = json_object_get(json_object_get(json_array_get(plan, 0), "Plan"), "Plan Rows");
    long long n = json_is_number(rows) ? (long long)json_number_value(rows) : -1;
    json_decref(plan);
    return n;
}

/* count=planned|estimated: EXPLAIN the count, then read, in one transaction. planned gives the
 * estimate; estimated counts exactly when the estimate is small. */
static bool read_with_estimate(struct sb_call *call, const struct sb_rest_plan *plan, struct sb_rest_outcome *o)
{
    struct sb_arena *arena = call->req->arena;
    struct sb_rest_sql explain, sql;
    struct sb_db_result res;
    sb_rest_query_planned_count(arena, plan, &explain);
    if (!sb_call_begin(call, NULL, NULL) ||
        !sb_call_query(call, explain.text, explain.nparams, explain.params, &res))
        return false;
    long long planned = plan_rows(&res);
    bool exact = plan->total == SB_TOTAL_ESTIMATED && planned <= ESTIMATE_EXACT_UP_TO;
    sb_rest_query(arena, plan, exact, &sql);
    if (!query_outcome(call, &sql, o) || !sb_call_commit(call, NULL))
        return false;
    if (!exact)
        o->total = planned;
    return true;
}

bool sb_rest_execute(struct sb_call *call, const struct sb_rest_plan *plan, struct sb_rest_outcome *o)
{
    if (plan->nothing_to_run) {
        *o = (struct sb_rest_outcome){ -1, 0, "[]" };
        return true;
    }
    if (plan->total == SB_TOTAL_PLANNED || plan->total == SB_TOTAL_ESTIMATED)
        return read_with_estimate(call, plan, o);
    struct sb_rest_sql sql;
    sb_rest_query(call->req->arena, plan, plan->total == SB_TOTAL_EXACT, &sql);
    if (plan->one_row_or_rollback)
        return run_in_transaction(call, NULL, &sql, true, o);
    if (plan->read_only)
        return run_in_transaction(call, "SET TRANSACTION READ ONLY", &sql, false, o);
    return run_once(call, &sql, o);
}
