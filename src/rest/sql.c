/*
 * sql: plan, then query, for one statement on a table.
 */
#include "rest/sql.h"

#include <string.h>

/* The query stage after a successful plan; passes the planner's verdict on. */
static bool write_if_planned(bool planned, struct sb_arena *arena, const struct sb_rest_plan *plan, bool count_total,
                             struct sb_rest_sql *out)
{
    if (planned)
        sb_rest_query(arena, plan, count_total, out);
    return planned;
}

bool sb_rest_sql_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                      const struct sb_rest_query *q, bool want_total, struct sb_rest_sql *out,
                      struct sb_error *err)
{
    struct sb_rest_plan plan;
    memset(&plan, 0, sizeof plan);
    return write_if_planned(sb_plan_read(arena, cache, table, q, &plan, err), arena, &plan, want_total, out);
}

bool sb_rest_sql_insert(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_error *err)
{
    struct sb_rest_plan plan;
    memset(&plan, 0, sizeof plan);
    return write_if_planned(sb_plan_insert(arena, cache, table, q, w, &plan, err), arena, &plan, false, out);
}

bool sb_rest_sql_update(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_error *err)
{
    struct sb_rest_plan plan;
    memset(&plan, 0, sizeof plan);
    return write_if_planned(sb_plan_update(arena, cache, table, q, w, &plan, err), arena, &plan, false, out);
}

bool sb_rest_sql_delete(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q, bool want_body,
                        struct sb_rest_sql *out, struct sb_error *err)
{
    struct sb_rest_plan plan;
    memset(&plan, 0, sizeof plan);
    return write_if_planned(sb_plan_delete(arena, cache, table, q, want_body, &plan, err), arena, &plan, false, out);
}
