/*
 * sql: a parsed query on a known table to one statement in one call: the plan stage (plan.h)
 * then the query stage (query.h). The service runs the two apart, since it plans a whole
 * request before it touches the database; the unit tests and the fuzz target use these to see
 * what a query string becomes, or which error the planner gives it.
 *
 * Each returns false with err filled when the planner refuses the request (no SQL is written
 * then). The statement is owned by the arena.
 */
#ifndef SB_REST_SQL_H
#define SB_REST_SQL_H

#include <stdbool.h>

#include "rest/plan.h"
#include "rest/query.h"

bool sb_rest_sql_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                      const struct sb_rest_query *q, bool want_total, struct sb_rest_sql *out,
                      struct sb_error *err);

bool sb_rest_sql_insert(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_error *err);

bool sb_rest_sql_update(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_error *err);

bool sb_rest_sql_delete(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q, bool want_body,
                        struct sb_rest_sql *out, struct sb_error *err);

#endif
