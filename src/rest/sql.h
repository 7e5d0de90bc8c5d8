/*
 * sql: turns a parsed request (parse.h) into one SQL statement with $n parameters.
 *
 * Identifiers come only from the schema cache and are always quoted; every value, JSON key,
 * limit and text search configuration is a parameter. Postgres builds the JSON (json_agg):
 * every statement returns one row of three columns,
 *   total   bigint  the exact count of matching rows when asked for, else NULL
 *   count   bigint  rows in this page (or written)
 *   body    text    the JSON array of rows (NULL when no body is wanted)
 *
 * The statement text and parameters are owned by the arena.
 */
#ifndef SB_REST_SQL_H
#define SB_REST_SQL_H

#include <stdbool.h>

#include "rest/errors.h"
#include "rest/parse.h"
#include "rest/schema_cache.h"

struct sb_rest_sql {
    const char *text;
    int nparams;
    const char **params;
};

enum sb_rest_conflict { SB_CONFLICT_NONE, SB_CONFLICT_MERGE, SB_CONFLICT_IGNORE };

struct sb_rest_write {
    const char *body;                /* the JSON body text */
    int column_count;
    const char **columns;            /* the columns the body sets (checked here) */
    enum sb_rest_conflict conflict;  /* inserts only */
    bool missing_default;            /* inserts: absent keys take the column DEFAULT, not NULL */
    bool want_body;                  /* return=representation */
};

struct sb_rest_rpc_arg {
    const char *name;
    const char *value;               /* text for the argument's type; NULL = SQL NULL */
};

bool sb_rest_sql_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                      const struct sb_rest_query *q, bool want_total, struct sb_rest_sql *out,
                      struct sb_rest_error *err);

/* EXPLAIN (FORMAT JSON) of counting the rows a read matches (for count=planned|estimated):
 * one row, the plan as JSON, whose top "Plan Rows" is the planner's estimate. */
bool sb_rest_sql_planned_count(struct sb_arena *arena, const struct sb_schema_cache *cache,
                               const struct sb_cache_table *table, const struct sb_rest_query *q,
                               struct sb_rest_sql *out, struct sb_rest_error *err);

bool sb_rest_sql_insert(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_rest_error *err);

bool sb_rest_sql_update(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_rest_error *err);

bool sb_rest_sql_delete(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q, bool want_body,
                        struct sb_rest_sql *out, struct sb_rest_error *err);

/* args have been matched to fn's arguments by the caller (names are fn's own). */
bool sb_rest_sql_rpc(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_function *fn,
                     const struct sb_rest_rpc_arg *args, int arg_count, const struct sb_rest_query *q,
                     bool want_total, struct sb_rest_sql *out, struct sb_rest_error *err);

/* A PostgreSQL array literal ({"a","b"}) of the given elements, each quoted. */
const char *sb_rest_array_literal(struct sb_arena *arena, const char *const *elems, int count);

#endif
