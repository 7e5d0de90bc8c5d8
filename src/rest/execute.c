/*
 * execute: one statement per request, in one round trip or in an explicit transaction.
 */
#include "rest/execute.h"

#include "rest/query.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ESTIMATE_EXACT_UP_TO 1000   /* count=estimated counts exactly below this (Supabase's db-max-rows) */

/* Everything a step of running one request needs. */
struct run {
    struct sb_arena *arena;
    const struct sb_db_call *identity;
    const struct sb_schema_cache *cache;
    struct sb_rest_error *err;
};

static bool read_outcome(const struct sb_db_result *res, struct sb_rest_outcome *o)
{
    if (!res->rows || PQntuples(res->rows) != 1 || PQnfields(res->rows) != 3)
        return false;
    o->total = PQgetisnull(res->rows, 0, 0) ? -1 : atoll(PQgetvalue(res->rows, 0, 0));
    o->count = atoll(PQgetvalue(res->rows, 0, 1));
    o->body = PQgetisnull(res->rows, 0, 2) ? NULL : PQgetvalue(res->rows, 0, 2);
    return true;
}

static bool db_failed(struct run *x, enum sb_db_status st, const struct sb_db_result *res)
{
    if (st == SB_DB_UNAVAILABLE)
        return res->busy ? sb_rest_fail_pool_timeout(x->err) : sb_rest_fail_database_unreachable(x->err);
    sb_rest_error_from_db(x->arena, res, x->identity->role, x->cache, x->err);
    return false;
}

/* One round trip: role, claims and the statement, in one transaction. */
static bool run_once(struct run *x, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    struct sb_db_call call = *x->identity;
    call.sql = sql->text;
    call.nparams = sql->nparams;
    call.params = sql->params;
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    enum sb_db_status st = sb_db_run(x->arena, &call, &res);
    if (st != SB_DB_OK)
        return db_failed(x, st, &res);
    return read_outcome(&res, o) || sb_rest_fail_result_shape(x->err);
}

/* BEGIN with the request's role, then `before` (if any), the statement, and COMMIT, unless
 * one_row is asked and the statement touched another number of rows (then ROLLBACK). */
static bool run_in_transaction(struct run *x, const char *before, const struct sb_rest_sql *sql, bool one_row,
                               struct sb_rest_outcome *o)
{
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    enum sb_db_status st = sb_db_begin(x->arena, x->identity, &res);
    if (st != SB_DB_OK)
        return db_failed(x, st, &res);
    if (before && (st = sb_db_query(x->arena, before, 0, NULL, &res)) != SB_DB_OK) {
        sb_db_rollback();
        return db_failed(x, st, &res);
    }
    st = sb_db_query(x->arena, sql->text, sql->nparams, sql->params, &res);
    if (st != SB_DB_OK) {
        sb_db_rollback();
        return db_failed(x, st, &res);
    }
    if (!read_outcome(&res, o)) {
        sb_db_rollback();
        return sb_rest_fail_result_shape(x->err);
    }
    if (one_row && o->count != 1) {
        sb_db_rollback();
        return sb_rest_fail_singular(x->err, x->arena, o->count);
    }
    st = sb_db_commit(x->arena, &res);
    return st == SB_DB_OK || db_failed(x, st, &res);
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
static bool read_with_estimate(struct run *x, const struct sb_rest_plan *plan, struct sb_rest_outcome *o)
{
    struct sb_rest_sql explain, sql;
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    sb_rest_query_planned_count(x->arena, plan, &explain);
    enum sb_db_status st = sb_db_begin(x->arena, x->identity, &res);
    if (st == SB_DB_OK)
        st = sb_db_query(x->arena, explain.text, explain.nparams, explain.params, &res);
    long long planned = st == SB_DB_OK ? plan_rows(&res) : -1;
    bool exact = plan->total == SB_TOTAL_ESTIMATED && planned <= ESTIMATE_EXACT_UP_TO;
    if (st == SB_DB_OK) {
        sb_rest_query(x->arena, plan, exact, &sql);
        st = sb_db_query(x->arena, sql.text, sql.nparams, sql.params, &res);
    }
    if (st == SB_DB_OK && !read_outcome(&res, o))
        st = SB_DB_ERROR;
    if (st != SB_DB_OK) {
        sb_db_rollback();
        return res.sqlstate || st == SB_DB_UNAVAILABLE ? db_failed(x, st, &res) : sb_rest_fail_result_shape(x->err);
    }
    st = sb_db_commit(x->arena, &res);
    if (st != SB_DB_OK)
        return db_failed(x, st, &res);
    if (!exact)
        o->total = planned;
    return true;
}

bool sb_rest_execute(struct sb_arena *arena, const struct sb_db_call *identity, const struct sb_schema_cache *cache,
                     const struct sb_rest_plan *plan, struct sb_rest_outcome *o, struct sb_rest_error *err)
{
    struct run x = { arena, identity, cache, err };
    if (plan->nothing_to_run) {
        *o = (struct sb_rest_outcome){ -1, 0, "[]" };
        return true;
    }
    if (plan->total == SB_TOTAL_PLANNED || plan->total == SB_TOTAL_ESTIMATED)
        return read_with_estimate(&x, plan, o);
    struct sb_rest_sql sql;
    sb_rest_query(arena, plan, plan->total == SB_TOTAL_EXACT, &sql);
    if (plan->one_row_or_rollback)
        return run_in_transaction(&x, NULL, &sql, true, o);
    if (plan->read_only)
        return run_in_transaction(&x, "SET TRANSACTION READ ONLY", &sql, false, o);
    return run_once(&x, &sql, o);
}
