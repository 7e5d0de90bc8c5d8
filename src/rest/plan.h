/*
 * plan: building blocks of the data API's SQL, shared by the statement builders (sql.c).
 * Internal to src/rest. A struct sb_plan collects the parameters of one statement; every
 * function appends one piece of SQL to a buffer and returns false with g->err filled when
 * the request names something the schema cache does not have. Everything is owned by the
 * arena given to sb_plan_init.
 */
#ifndef SB_REST_PLAN_H
#define SB_REST_PLAN_H

#include <stdbool.h>

#include "rest/errors.h"
#include "rest/parse.h"
#include "rest/schema_cache.h"
#include "util/buf.h"

struct sb_plan {
    struct sb_arena *arena;
    const struct sb_schema_cache *cache;
    const struct sb_rest_query *q;
    struct sb_rest_error *err;
    const char **params;
    int nparams, cap;
    int next_alias;
    const char **visited;            /* scope paths that matched an embedded resource */
    int visited_count;
};

void sb_plan_init(struct sb_plan *g, struct sb_arena *arena, const struct sb_schema_cache *cache,
                  const struct sb_rest_query *q, struct sb_rest_error *err);

/* "name" with embedded quotes doubled. */
void sb_plan_ident(struct sb_buf *b, const char *name);
/* Appends $n for a new parameter holding value. */
void sb_plan_param(struct sb_plan *g, struct sb_buf *b, const char *value);
/* 400 42703 for a column the table does not have. */
bool sb_plan_unknown_column(struct sb_plan *g, const struct sb_cache_table *t, const char *name);

/* The select list of one level (t as pgrst_<alias>), embeds included; the positions of plain
 * fields go to group_by when the list has count(). */
bool sb_plan_select_list(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                         const struct sb_rest_select *sel, const char *path, struct sb_buf *group_by);
/* The ANDed conditions of one level (its filters, !inner embeds), or nothing. */
bool sb_plan_where(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                   const struct sb_rest_select *sel, const char *path);
/* ORDER BY for one level; relation(column) terms need the relation embedded in sel. */
bool sb_plan_order(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                   const struct sb_rest_select *sel, const char *path);
void sb_plan_limit(struct sb_plan *g, struct sb_buf *b, const char *path);

/* Records that an embed path was used; then: every filter/order path names a used embed
 * (else 400 PGRST108). */
void sb_plan_mark_visited(struct sb_plan *g, const char *path);
bool sb_plan_all_scopes_visited(struct sb_plan *g);

#endif
