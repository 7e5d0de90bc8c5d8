/*
 * errors: the data API's error answers, in PostgREST's shape
 * {"code","message","details","hint"} (null when absent), and the mapping of a PostgreSQL
 * error (SQLSTATE) to an HTTP status. A violated CHECK constraint that carries a COMMENT is
 * answered with that comment as the message (the seed's validation messages).
 *
 * Every error the data API raises itself is one function below, grouped as PostgREST groups
 * its codes and by the stage that raises it: PGRST0xx the database connection (service.c,
 * execute.c), PGRST1xx the request (parse.c, plan*.c, respond.c), PGRST2xx the schema cache
 * (plan*.c), PGRST3xx the token (service.c), and the few PostgreSQL codes the planner answers
 * itself where PostgreSQL would. Each fills err and returns false, so a stage can
 * `return sb_rest_fail_...(...)`.
 *
 * The error value is the service base's one (base/error.h); this file is the data API's words
 * for it, its SQLSTATE table and its wire shape (sb_rest_service, for base/call.h). Strings in
 * an sb_error are static or owned by the arena passed.
 */
#ifndef SB_REST_ERRORS_H
#define SB_REST_ERRORS_H

#include "base/call.h"
#include "base/error.h"
#include "db/conn.h"
#include "http/request.h"
#include "rest/schema_cache.h"

/* The data API as the service base sees it: PostgREST's shape, its SQLSTATE table, PGRST001
 * (unreachable) and PGRST003 (pool exhausted). */
extern const struct sb_service sb_rest_service;

/* ---- PGRST0xx: the database (service.c, execute.c) --------------------------------------- */

bool sb_rest_fail_result_shape(struct sb_error *err);                  /* PGRST000 500 */
bool sb_rest_fail_no_schema_cache(struct sb_error *err);               /* PGRST002 503 */

/* ---- PGRST1xx: the request ------------------------------------------------------------------ */

/* parse.c: a query parameter that does not parse. */
bool sb_rest_fail_parse(struct sb_error *err, const char *message, const char *details);   /* PGRST100 */
/* plan.c: count() next to * or an embed (which columns the table has decides what count is). */
bool sb_rest_fail_count_with(struct sb_error *err, const char *what, const char *hint);    /* PGRST100 */
/* plan.c: an upsert on a table without a primary key and without on_conflict. */
bool sb_rest_fail_no_conflict_target(struct sb_error *err, struct sb_arena *arena, const char *table);
/* plan_request.c, plan_rpc.c */
bool sb_rest_fail_method(struct sb_error *err, const char *method);    /* PGRST101 405 */
bool sb_rest_fail_function_method(struct sb_error *err);               /* PGRST101 405 */
bool sb_rest_fail_body(struct sb_error *err, const char *expected);    /* PGRST102 400 */
bool sb_rest_fail_put_filters(struct sb_error *err);                   /* PGRST105 405 */
bool sb_rest_fail_schema(struct sb_error *err);                        /* PGRST106 406 */
bool sb_rest_fail_accept(struct sb_error *err, const char *accept);    /* PGRST107 406 */
bool sb_rest_fail_put_paging(struct sb_error *err);                    /* PGRST114 400 */
bool sb_rest_fail_put_payload(struct sb_error *err);                   /* PGRST115 400 */
bool sb_rest_fail_preferences(struct sb_error *err, struct sb_arena *arena, const char *unknown);  /* PGRST122 */
/* plan.c */
bool sb_rest_fail_not_embedded(struct sb_error *err, struct sb_arena *arena, const char *path);   /* PGRST108 */
bool sb_rest_fail_order_not_embedded(struct sb_error *err, struct sb_arena *arena, const char *relation);
bool sb_rest_fail_related_order(struct sb_error *err, struct sb_arena *arena, const char *relation,
                                const char *parent, const char *target);   /* PGRST118 400 */
bool sb_rest_fail_embed_filter(struct sb_error *err);                  /* PGRST120 400 */
/* respond.c (and execute.c for a singular write, which is rolled back) */
bool sb_rest_fail_range(struct sb_error *err, struct sb_arena *arena, long offset, long long total);  /* 103 */
bool sb_rest_fail_singular(struct sb_error *err, struct sb_arena *arena, long long rows);        /* PGRST116 */
/* service.c */
bool sb_rest_fail_path(struct sb_error *err);                          /* PGRST125 404 */

/* ---- PGRST2xx: the schema cache (plan.c, plan_rpc.c) ---------------------------------------- */

bool sb_rest_fail_no_relationship(struct sb_error *err, struct sb_arena *arena, const char *parent,
                                  const char *child, const char *hint);     /* PGRST200 400 */
bool sb_rest_fail_ambiguous_embed(struct sb_error *err, struct sb_arena *arena, const char *parent,
                                  const char *child, const char *choices);  /* PGRST201 300 */
/* names: the argument names given, ", "-separated; count: how many */
bool sb_rest_fail_no_function(struct sb_error *err, struct sb_arena *arena, const char *name,
                              const char *names, int count);                /* PGRST202 404 */
bool sb_rest_fail_ambiguous_function(struct sb_error *err, struct sb_arena *arena, const char *name);  /* 203 */
bool sb_rest_fail_no_write_column(struct sb_error *err, struct sb_arena *arena, const char *column,
                                  const char *table);                       /* PGRST204 400 */

/* ---- PGRST3xx: the token (service.c) ------------------------------------------------------ */

bool sb_rest_fail_token(struct sb_error *err, const char *why);        /* PGRST301 401 */

/* ---- PostgreSQL's codes, for what the planner refuses before PostgreSQL would --------------- */

bool sb_rest_fail_no_relation(struct sb_error *err, struct sb_arena *arena, const char *name);   /* 42P01 */
bool sb_rest_fail_no_column(struct sb_error *err, struct sb_arena *arena, const char *table,
                            const char *column);                            /* 42703 400 */
/* verb: UPDATE or DELETE without a filter (as pg-safeupdate) */
bool sb_rest_fail_no_filter(struct sb_error *err, struct sb_arena *arena, const char *verb);     /* 21000 */

/* ---- errors from the database -------------------------------------------------------------- */

/* The status PostgREST gives a SQLSTATE; role matters for 42501 (anon 401, others 403). */
int sb_rest_status_for_sqlstate(const char *sqlstate, const char *role);

/* Turns a database refusal into the API's error (with the constraint's comment if any). */
void sb_rest_error_from_db(const struct sb_db_result *db, const char *role, const struct sb_schema_cache *cache,
                           struct sb_error *err);

#endif
