/*
 * query: the data API's third stage: a plan (plan.h) as one SQL statement with $n parameters.
 * It reads only the plan (no schema cache lookups) and cannot fail: every name was checked by
 * the planner. The same plan always gives the same statement.
 *
 * Identifiers are always quoted; every value, JSON key, limit and text search configuration
 * is a parameter. Postgres builds the JSON (json_agg): every statement but the planned count
 * returns one row of three columns,
 *   total   bigint  the exact count of matching rows when asked for, else NULL
 *   count   bigint  rows in this page (or written)
 *   body    text    the JSON array of rows (NULL when no body is wanted)
 *
 * The statement text and parameters are owned by the arena.
 */
#ifndef SB_REST_QUERY_H
#define SB_REST_QUERY_H

#include <stdbool.h>

#include "rest/plan.h"

struct sb_rest_sql {
    const char *text;
    int nparams;
    const char **params;
};

/* The statement for plan. count_total: a read (or a call of rows) also counts every row its
 * conditions match, exactly. */
void sb_rest_query(struct sb_arena *arena, const struct sb_rest_plan *plan, bool count_total, struct sb_rest_sql *out);

/* EXPLAIN (FORMAT JSON) of counting the rows a planned read matches (count=planned|estimated):
 * one row, the plan as JSON, whose top "Plan Rows" is PostgreSQL's estimate. */
void sb_rest_query_planned_count(struct sb_arena *arena, const struct sb_rest_plan *plan, struct sb_rest_sql *out);

/* A PostgreSQL array literal ({"a","b"}) of the given elements, each quoted. */
const char *sb_rest_array_literal(struct sb_arena *arena, const char *const *elems, int count);

#endif
