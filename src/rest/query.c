/*
 * query: whole statements (read, planned count, insert, update, delete, function call)
 * assembled from the pieces query_parts.c writes. Every statement returns one row: total,
 * count, body.
 */
#include "rest/query.h"

#include "rest/query_parts.h"
#include "util/buf.h"

#include <string.h>

static void finish(struct sb_query *w, struct sb_buf *b, struct sb_rest_sql *out)
{
    out->text = b->data;
    out->nparams = w->nparams;
    out->params = w->params;
}

/* "SELECT <list> FROM <from> AS pgrst_0 WHERE .. GROUP BY .. ORDER BY .. LIMIT .." for the
 * target; where receives the WHERE text alone (for the total count), or is NULL when the
 * rows are already chosen (the RETURNING rows of a write). */
static void top_select(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, const char *from,
                       bool paged, struct sb_buf *where)
{
    struct sb_buf list, group;
    sb_buf_init(&list, w->arena);
    sb_buf_init(&group, w->arena);
    sb_query_select_list(w, &list, rel, 0, &group);
    if (where)
        sb_query_where(w, where, rel, 0);
    sb_buf_printf(b, "SELECT %s FROM %s AS pgrst_0", list.data, from);
    if (where && where->len)
        sb_buf_printf(b, " WHERE %s", where->data);
    if (group.len)
        sb_buf_printf(b, " GROUP BY %s", group.data);
    if (paged) {
        sb_query_order(w, b, rel, 0);
        sb_query_paging(w, b, rel);
    }
}

static const char *table_from(struct sb_arena *arena, const char *name)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "\"public\".");
    sb_query_ident(&b, name);
    return b.data;
}

/* Closes "WITH pgrst_source AS (..." with the result row: the total over `from` with the same
 * WHERE (or NULL), the page's row count and its rows as JSON. */
static void page_and_total_sql(struct sb_buf *b, const char *from, const struct sb_buf *where, bool count_total)
{
    sb_buf_append(b, ") SELECT ");
    if (count_total)
        sb_buf_printf(b, "(SELECT count(*) FROM %s AS pgrst_0%s%s)", from, where->len ? " WHERE " : "", where->data);
    else
        sb_buf_append(b, "NULL::bigint");
    sb_buf_append(b, ", count(*), coalesce(json_agg(pgrst_source), '[]')::text FROM pgrst_source");
}

static void read_sql(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, bool count_total)
{
    struct sb_buf where;
    sb_buf_init(&where, w->arena);
    const char *from = table_from(w->arena, rel->name);
    sb_buf_append(b, "WITH pgrst_source AS (");
    top_select(w, b, rel, from, true, &where);
    page_and_total_sql(b, from, &where, count_total);
}

/* ---- writes ------------------------------------------------------------------------------------ */

/* "<prefix>"a", <prefix>"b"": the quoted names, comma-separated. */
static void column_list(struct sb_buf *b, const char *const *names, int count, const char *prefix)
{
    for (int i = 0; i < count; i++) {
        if (i)
            sb_buf_append(b, ", ");
        sb_buf_append(b, prefix);
        sb_query_ident(b, names[i]);
    }
}

/* WITH pgrst_write AS (<write> RETURNING pgrst_0.*), pgrst_source AS (SELECT <list> FROM
 * pgrst_write AS pgrst_0) SELECT NULL, count(*), body FROM pgrst_source */
static void wrap_write(struct sb_query *w, struct sb_buf *b, const struct sb_buf *write,
                       const struct sb_rest_plan *plan)
{
    bool want_body = plan->write.want_body;
    sb_buf_printf(b, "WITH pgrst_write AS (%s RETURNING pgrst_0.*), pgrst_source AS (", write->data);
    if (want_body)
        top_select(w, b, plan->target, "pgrst_write", false, NULL);
    else
        sb_buf_append(b, "SELECT 1 FROM pgrst_write");
    sb_buf_printf(b, ") SELECT NULL::bigint, count(*), %s FROM pgrst_source",
                  want_body ? "coalesce(json_agg(pgrst_source), '[]')::text" : "NULL::text");
}

static void conflict_sql(struct sb_buf *b, const struct sb_plan_write *wr)
{
    sb_buf_append(b, " ON CONFLICT (");
    column_list(b, wr->conflict_target, wr->conflict_count, "");
    if (wr->conflict == SB_CONFLICT_IGNORE || wr->column_count == 0) {
        sb_buf_append(b, ") DO NOTHING");
        return;
    }
    sb_buf_append(b, ") DO UPDATE SET ");
    for (int i = 0; i < wr->column_count; i++) {
        if (i)
            sb_buf_append(b, ", ");
        sb_query_ident(b, wr->columns[i]);
        sb_buf_append(b, " = EXCLUDED.");
        sb_query_ident(b, wr->columns[i]);
    }
}

/* Prefer: missing=default: each value, or the column's DEFAULT where the object lacks the key. */
static void values_or_defaults(struct sb_query *w, struct sb_buf *b, const struct sb_plan_write *wr)
{
    for (int i = 0; i < wr->column_count; i++) {
        if (i)
            sb_buf_append(b, ", ");
        sb_buf_append(b, "CASE WHEN pgrst_j.obj::jsonb ? ");
        sb_query_param(w, b, wr->columns[i]);
        sb_buf_append(b, "::text THEN pgrst_body.");
        sb_query_ident(b, wr->columns[i]);
        sb_buf_printf(b, " ELSE %s END", wr->defaults[i] ? wr->defaults[i] : "NULL");
    }
}

/* INSERT ... SELECT FROM json_populate_record of each element of the body (an object or an
 * array of objects). */
static void insert_sql(struct sb_query *w, struct sb_buf *b, const struct sb_rest_plan *plan)
{
    const struct sb_plan_write *wr = &plan->write;
    const char *from = table_from(w->arena, plan->target->name);
    struct sb_buf write;
    sb_buf_init(&write, w->arena);
    sb_buf_printf(&write, "INSERT INTO %s AS pgrst_0 ", from);
    if (wr->column_count == 0) {
        sb_buf_append(&write, "DEFAULT VALUES");
    } else {
        sb_buf_append(&write, "(");
        column_list(&write, wr->columns, wr->column_count, "");
        sb_buf_append(&write, ") SELECT ");
        if (wr->defaults)
            values_or_defaults(w, &write, wr);
        else
            column_list(&write, wr->columns, wr->column_count, "pgrst_body.");
        sb_buf_append(&write, " FROM json_array_elements(CASE WHEN json_typeof(");
        sb_query_param(w, &write, wr->body);
        sb_buf_printf(&write, "::json) = 'array' THEN $%d::json ELSE json_build_array($%d::json) END) AS "
                              "pgrst_j(obj) CROSS JOIN LATERAL json_populate_record(NULL::%s, pgrst_j.obj) AS "
                              "pgrst_body", w->nparams, w->nparams, from);
    }
    if (wr->conflict != SB_CONFLICT_NONE)
        conflict_sql(&write, wr);
    wrap_write(w, b, &write, plan);
}

static void update_sql(struct sb_query *w, struct sb_buf *b, const struct sb_rest_plan *plan)
{
    const struct sb_plan_write *wr = &plan->write;
    const char *from = table_from(w->arena, plan->target->name);
    struct sb_buf write, where;
    sb_buf_init(&write, w->arena);
    sb_buf_init(&where, w->arena);
    sb_buf_printf(&write, "UPDATE %s AS pgrst_0 SET ", from);
    for (int i = 0; i < wr->column_count; i++) {
        if (i)
            sb_buf_append(&write, ", ");
        sb_query_ident(&write, wr->columns[i]);
        sb_buf_append(&write, " = pgrst_body.");
        sb_query_ident(&write, wr->columns[i]);
    }
    sb_buf_printf(&write, " FROM json_populate_record(NULL::%s, ", from);
    sb_query_param(w, &write, wr->body);
    sb_buf_append(&write, "::json) AS pgrst_body");
    sb_query_where(w, &where, plan->target, 0);
    sb_buf_printf(&write, " WHERE %s", where.data);
    wrap_write(w, b, &write, plan);
}

static void delete_sql(struct sb_query *w, struct sb_buf *b, const struct sb_rest_plan *plan)
{
    struct sb_buf write, where;
    sb_buf_init(&write, w->arena);
    sb_buf_init(&where, w->arena);
    sb_buf_printf(&write, "DELETE FROM %s AS pgrst_0", table_from(w->arena, plan->target->name));
    sb_query_where(w, &where, plan->target, 0);
    sb_buf_printf(&write, " WHERE %s", where.data);
    wrap_write(w, b, &write, plan);
}

/* ---- function calls -------------------------------------------------------------------------- */

/* "public"."fn"(name := $1::type, ...): named notation; an unnamed argument goes by position. */
static void function_call_sql(struct sb_query *w, struct sb_buf *b, const struct sb_plan_call *call)
{
    sb_buf_append(b, "\"public\".");
    sb_query_ident(b, call->function);
    sb_buf_append(b, "(");
    for (int i = 0; i < call->arg_count; i++) {
        const struct sb_plan_arg *a = &call->args[i];
        if (i)
            sb_buf_append(b, ", ");
        if (a->name[0]) {
            sb_query_ident(b, a->name);
            sb_buf_append(b, " := ");
        }
        sb_query_param(w, b, a->value);
        sb_buf_printf(b, "::%s", a->type);
    }
    sb_buf_append(b, ")");
}

/* By what the function returns: nothing, one value, a set of values, or rows (materialised
 * once, so filters and the count do not call it twice). */
static void call_sql(struct sb_query *w, struct sb_buf *b, const struct sb_rest_plan *plan, bool count_total)
{
    const struct sb_plan_call *fn = &plan->call;
    struct sb_buf call;
    sb_buf_init(&call, w->arena);
    function_call_sql(w, &call, fn);
    if (fn->returns == SB_RETURNS_VOID) {
        sb_buf_printf(b, "SELECT NULL::bigint, count(*), NULL::text FROM (SELECT %s) AS pgrst_void", call.data);
    } else if (fn->returns == SB_RETURNS_SCALAR && !fn->returns_set) {
        sb_buf_printf(b, "SELECT NULL::bigint, 1::bigint, to_json(%s)::text", call.data);
    } else if (fn->returns == SB_RETURNS_SCALAR) {
        sb_buf_printf(b, "SELECT NULL::bigint, count(*), coalesce(json_agg(pgrst_value), '[]')::text"
                         " FROM %s AS pgrst_value", call.data);
    } else {
        struct sb_buf where;
        sb_buf_init(&where, w->arena);
        sb_buf_printf(b, "WITH pgrst_call AS MATERIALIZED (SELECT * FROM %s), pgrst_source AS (", call.data);
        top_select(w, b, plan->target, "pgrst_call", true, &where);
        page_and_total_sql(b, "pgrst_call", &where, count_total);
    }
}

/* ---- the statements ----------------------------------------------------------------------------- */

void sb_rest_query(struct sb_arena *arena, const struct sb_rest_plan *plan, bool count_total, struct sb_rest_sql *out)
{
    struct sb_query w;
    struct sb_buf b;
    sb_query_init(&w, arena);
    sb_buf_init(&b, arena);
    switch (plan->action) {
    case SB_PLAN_READ: read_sql(&w, &b, plan->target, count_total); break;
    case SB_PLAN_INSERT: insert_sql(&w, &b, plan); break;
    case SB_PLAN_UPDATE: update_sql(&w, &b, plan); break;
    case SB_PLAN_DELETE: delete_sql(&w, &b, plan); break;
    case SB_PLAN_CALL: call_sql(&w, &b, plan, count_total); break;
    }
    finish(&w, &b, out);
}

void sb_rest_query_planned_count(struct sb_arena *arena, const struct sb_rest_plan *plan, struct sb_rest_sql *out)
{
    struct sb_query w;
    struct sb_buf b, where;
    sb_query_init(&w, arena);
    sb_buf_init(&b, arena);
    sb_buf_init(&where, arena);
    sb_query_where(&w, &where, plan->target, 0);
    sb_buf_printf(&b, "EXPLAIN (FORMAT JSON) SELECT 1 FROM %s AS pgrst_0%s%s", table_from(arena, plan->target->name),
                  where.len ? " WHERE " : "", where.data);
    finish(&w, &b, out);
}
