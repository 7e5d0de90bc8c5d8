/*
 * query_parts: the pieces of SQL that query.c assembles into statements, written from a plan's
 * relation tree (plan.h): quoted identifiers, $n parameters, fields with JSON paths,
 * conditions, embedded resources as correlated subqueries, select lists, order and paging.
 * Internal to src/rest.
 *
 * Nothing here looks at the schema cache or can fail: the planner has checked every name.
 * A struct sb_query collects the parameters of one statement and numbers the table aliases
 * (pgrst_0 is the statement's target, each embed, EXISTS and related order takes the next
 * number in the order they are written). Everything is owned by the arena given to
 * sb_query_init.
 */
#ifndef SB_REST_QUERY_PARTS_H
#define SB_REST_QUERY_PARTS_H

#include "rest/plan.h"
#include "util/buf.h"

struct sb_query {
    struct sb_arena *arena;
    const char **params;
    int nparams, cap;
    int next_alias;
};

void sb_query_init(struct sb_query *w, struct sb_arena *arena);

/* "name" with embedded quotes doubled. */
void sb_query_ident(struct sb_buf *b, const char *name);
/* Appends $n for a new parameter holding value. */
void sb_query_param(struct sb_query *w, struct sb_buf *b, const char *value);

/* The select list of one level (its rows as pgrst_<alias>), embeds included; for a grouped
 * level (count()), the positions of its columns go to group_by. */
void sb_query_select_list(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias,
                          struct sb_buf *group_by);
/* The ANDed conditions of one level, or nothing. */
void sb_query_where(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias);
/* " ORDER BY ..." for one level, or nothing. */
void sb_query_order(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias);
/* " LIMIT $n OFFSET $m" for one level, or the parts given. */
void sb_query_paging(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel);

#endif
