/*
 * sql: whole statements (read, insert, update, delete, function call) assembled from the
 * pieces plan.c writes. Every statement returns one row: total, count, body.
 */
#include "rest/sql.h"

#include "rest/plan.h"
#include "util/buf.h"

#include <string.h>

static void finish(struct sb_plan *g, struct sb_buf *b, struct sb_rest_sql *out)
{
    out->text = b->data;
    out->nparams = g->nparams;
    out->params = g->params;
}

/* "SELECT <list> FROM <from> AS pgrst_0 WHERE .. GROUP BY .. ORDER BY .. LIMIT .." for the top
 * level; where receives the WHERE text alone (for the total count), or is NULL when the
 * rows are already chosen (the RETURNING rows of a write). */
static bool top_select(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, const char *from,
                       bool paged, struct sb_buf *where)
{
    struct sb_buf list, group;
    sb_buf_init(&list, g->arena);
    sb_buf_init(&group, g->arena);
    sb_plan_mark_visited(g, "");
    if (!sb_plan_select_list(g, &list, t, 0, &g->q->select, "", &group))
        return false;
    if (where && !sb_plan_where(g, where, t, 0, &g->q->select, ""))
        return false;
    sb_buf_printf(b, "SELECT %s FROM %s AS pgrst_0", list.data, from);
    if (where && where->len)
        sb_buf_printf(b, " WHERE %s", where->data);
    if (group.len)
        sb_buf_printf(b, " GROUP BY %s", group.data);
    if (paged) {
        if (!sb_plan_order(g, b, t, 0, &g->q->select, ""))
            return false;
        sb_plan_limit(g, b, "");
    }
    return sb_plan_all_scopes_visited(g);
}

static const char *table_from(struct sb_plan *g, const struct sb_cache_table *t)
{
    struct sb_buf b;
    sb_buf_init(&b, g->arena);
    sb_buf_append(&b, "\"public\".");
    sb_plan_ident(&b, t->name);
    return b.data;
}

/* Closes "WITH pgrst_source AS (..." with the result row: the total over `from` with the same
 * WHERE (or NULL), the page's row count and its rows as JSON. */
static void page_and_total_sql(struct sb_buf *b, const char *from, const struct sb_buf *where, bool want_total)
{
    sb_buf_append(b, ") SELECT ");
    if (want_total)
        sb_buf_printf(b, "(SELECT count(*) FROM %s AS pgrst_0%s%s)", from, where->len ? " WHERE " : "", where->data);
    else
        sb_buf_append(b, "NULL::bigint");
    sb_buf_append(b, ", count(*), coalesce(json_agg(pgrst_source), '[]')::text FROM pgrst_source");
}

bool sb_rest_sql_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                      const struct sb_rest_query *q, bool want_total, struct sb_rest_sql *out,
                      struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    struct sb_buf b, where;
    sb_buf_init(&b, arena);
    sb_buf_init(&where, arena);
    const char *from = table_from(&g, table);
    sb_buf_append(&b, "WITH pgrst_source AS (");
    if (!top_select(&g, &b, table, from, true, &where))
        return false;
    page_and_total_sql(&b, from, &where, want_total);
    finish(&g, &b, out);
    return true;
}

bool sb_rest_sql_planned_count(struct sb_arena *arena, const struct sb_schema_cache *cache,
                               const struct sb_cache_table *table, const struct sb_rest_query *q,
                               struct sb_rest_sql *out, struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    struct sb_buf b, where;
    sb_buf_init(&b, arena);
    sb_buf_init(&where, arena);
    if (!sb_plan_where(&g, &where, table, 0, &q->select, ""))
        return false;
    sb_buf_printf(&b, "EXPLAIN (FORMAT JSON) SELECT 1 FROM %s AS pgrst_0%s%s", table_from(&g, table),
                  where.len ? " WHERE " : "", where.data);
    finish(&g, &b, out);
    return true;
}

static bool check_columns(struct sb_plan *g, const struct sb_cache_table *t, const struct sb_rest_write *w)
{
    for (int i = 0; i < w->column_count; i++)
        if (!sb_cache_column(t, w->columns[i]))
            return sb_rest_fail(g->err, 400, "PGRST204",
                                sb_arena_printf(g->arena, "Could not find the '%s' column of '%s' in the schema cache",
                                                w->columns[i], t->name),
                                NULL, NULL);
    return true;
}

static void column_list(struct sb_buf *b, const struct sb_rest_write *w, const char *prefix)
{
    for (int i = 0; i < w->column_count; i++) {
        if (i)
            sb_buf_append(b, ", ");
        sb_buf_append(b, prefix);
        sb_plan_ident(b, w->columns[i]);
    }
}

/* WITH pgrst_write AS (<write> RETURNING pgrst_0.*), pgrst_source AS (SELECT <list> FROM
 * pgrst_write AS pgrst_0) SELECT NULL, count(*), body FROM pgrst_source */
static bool wrap_write(struct sb_plan *g, struct sb_buf *write, const struct sb_cache_table *t, bool want_body,
                       struct sb_rest_sql *out)
{
    struct sb_buf b;
    sb_buf_init(&b, g->arena);
    sb_buf_printf(&b, "WITH pgrst_write AS (%s RETURNING pgrst_0.*), pgrst_source AS (", write->data);
    if (want_body) {
        if (!top_select(g, &b, t, "pgrst_write", false, NULL))
            return false;
    } else {
        sb_buf_append(&b, "SELECT 1 FROM pgrst_write");
    }
    sb_buf_printf(&b, ") SELECT NULL::bigint, count(*), %s FROM pgrst_source",
                  want_body ? "coalesce(json_agg(pgrst_source), '[]')::text" : "NULL::text");
    finish(g, &b, out);
    return true;
}

static bool conflict_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t,
                         const struct sb_rest_write *w)
{
    const char *const *target = g->q->on_conflict_count ? g->q->on_conflict : t->pkey;
    int count = g->q->on_conflict_count ? g->q->on_conflict_count : t->pkey_count;
    if (count == 0)
        return sb_rest_fail(g->err, 400, "PGRST100", "failed to parse on_conflict parameter",
                            sb_arena_printf(g->arena, "'%s' has no primary key: name the columns with on_conflict",
                                            t->name), NULL);
    sb_buf_append(b, " ON CONFLICT (");
    for (int i = 0; i < count; i++) {
        if (!sb_cache_column(t, target[i]))
            return sb_plan_unknown_column(g, t, target[i]);
        if (i)
            sb_buf_append(b, ", ");
        sb_plan_ident(b, target[i]);
    }
    if (w->conflict == SB_CONFLICT_IGNORE || w->column_count == 0) {
        sb_buf_append(b, ") DO NOTHING");
        return true;
    }
    sb_buf_append(b, ") DO UPDATE SET ");
    for (int i = 0; i < w->column_count; i++) {
        if (i)
            sb_buf_append(b, ", ");
        sb_plan_ident(b, w->columns[i]);
        sb_buf_append(b, " = EXCLUDED.");
        sb_plan_ident(b, w->columns[i]);
    }
    return true;
}

/* Prefer: missing=default: each value, or the column's DEFAULT where the object lacks the key. */
static void values_or_defaults(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t,
                               const struct sb_rest_write *w)
{
    for (int i = 0; i < w->column_count; i++) {
        const struct sb_cache_column *c = sb_cache_column(t, w->columns[i]);
        if (i)
            sb_buf_append(b, ", ");
        sb_buf_append(b, "CASE WHEN pgrst_j.obj::jsonb ? ");
        sb_plan_param(g, b, c->name);
        sb_buf_append(b, "::text THEN pgrst_body.");
        sb_plan_ident(b, c->name);
        sb_buf_printf(b, " ELSE %s END", c->default_sql ? c->default_sql : "NULL");
    }
}

bool sb_rest_sql_insert(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    if (!check_columns(&g, table, w))
        return false;
    struct sb_buf b;
    sb_buf_init(&b, arena);
    const char *from = table_from(&g, table);
    sb_buf_printf(&b, "INSERT INTO %s AS pgrst_0 ", from);
    if (w->column_count == 0) {
        sb_buf_append(&b, "DEFAULT VALUES");
    } else {
        sb_buf_append(&b, "(");
        column_list(&b, w, "");
        sb_buf_append(&b, ") SELECT ");
        if (w->missing_default)
            values_or_defaults(&g, &b, table, w);
        else
            column_list(&b, w, "pgrst_body.");
        sb_buf_append(&b, " FROM json_array_elements(CASE WHEN json_typeof(");
        sb_plan_param(&g, &b, w->body);
        sb_buf_printf(&b, "::json) = 'array' THEN $%d::json ELSE json_build_array($%d::json) END) AS pgrst_j(obj)"
                          " CROSS JOIN LATERAL json_populate_record(NULL::%s, pgrst_j.obj) AS pgrst_body",
                      g.nparams, g.nparams, from);
    }
    if (w->conflict != SB_CONFLICT_NONE && !conflict_sql(&g, &b, table, w))
        return false;
    return wrap_write(&g, &b, table, w->want_body, out);
}

static bool require_filters(struct sb_plan *g, const char *verb)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(g->q, "");
    if (s && s->cond_count > 0)
        return true;
    return sb_rest_fail(g->err, 400, "21000", sb_arena_printf(g->arena, "%s requires a WHERE clause", verb), NULL,
                        "Add a filter (for every row, e.g. ?id=not.is.null)");
}

bool sb_rest_sql_update(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q,
                        const struct sb_rest_write *w, struct sb_rest_sql *out, struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    if (!check_columns(&g, table, w) || !require_filters(&g, "UPDATE"))
        return false;
    struct sb_buf b, where;
    sb_buf_init(&b, arena);
    sb_buf_init(&where, arena);
    const char *from = table_from(&g, table);
    sb_buf_printf(&b, "UPDATE %s AS pgrst_0 SET ", from);
    for (int i = 0; i < w->column_count; i++) {
        if (i)
            sb_buf_append(&b, ", ");
        sb_plan_ident(&b, w->columns[i]);
        sb_buf_append(&b, " = pgrst_body.");
        sb_plan_ident(&b, w->columns[i]);
    }
    sb_buf_printf(&b, " FROM json_populate_record(NULL::%s, ", from);
    sb_plan_param(&g, &b, w->body);
    sb_buf_append(&b, "::json) AS pgrst_body");
    if (!sb_plan_where(&g, &where, table, 0, NULL, ""))
        return false;
    sb_buf_printf(&b, " WHERE %s", where.data);
    return wrap_write(&g, &b, table, w->want_body, out);
}

bool sb_rest_sql_delete(struct sb_arena *arena, const struct sb_schema_cache *cache,
                        const struct sb_cache_table *table, const struct sb_rest_query *q, bool want_body,
                        struct sb_rest_sql *out, struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    if (!require_filters(&g, "DELETE"))
        return false;
    struct sb_buf b, where;
    sb_buf_init(&b, arena);
    sb_buf_init(&where, arena);
    sb_buf_printf(&b, "DELETE FROM %s AS pgrst_0", table_from(&g, table));
    if (!sb_plan_where(&g, &where, table, 0, NULL, ""))
        return false;
    sb_buf_printf(&b, " WHERE %s", where.data);
    return wrap_write(&g, &b, table, want_body, out);
}

static void call_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_function *fn,
                     const struct sb_rest_rpc_arg *args, int arg_count)
{
    sb_buf_append(b, "\"public\".");
    sb_plan_ident(b, fn->name);
    sb_buf_append(b, "(");
    for (int i = 0; i < arg_count; i++) {
        const struct sb_cache_arg *a = NULL;
        for (int j = 0; j < fn->arg_count && !a; j++)
            if (strcmp(fn->args[j].name, args[i].name) == 0)
                a = &fn->args[j];
        if (i)
            sb_buf_append(b, ", ");
        if (a->name[0]) {                /* named notation; an unnamed argument goes by position */
            sb_plan_ident(b, a->name);
            sb_buf_append(b, " := ");
        }
        sb_plan_param(g, b, args[i].value);
        sb_buf_printf(b, "::%s", a->type);
    }
    sb_buf_append(b, ")");
}

bool sb_rest_sql_rpc(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_function *fn,
                     const struct sb_rest_rpc_arg *args, int arg_count, const struct sb_rest_query *q,
                     bool want_total, struct sb_rest_sql *out, struct sb_rest_error *err)
{
    struct sb_plan g;
    sb_plan_init(&g, arena, cache, q, err);
    struct sb_buf b, call;
    sb_buf_init(&b, arena);
    sb_buf_init(&call, arena);
    call_sql(&g, &call, fn, args, arg_count);
    if (fn->returns == SB_RETURNS_VOID) {
        sb_buf_printf(&b, "SELECT NULL::bigint, count(*), NULL::text FROM (SELECT %s) AS pgrst_void", call.data);
    } else if (fn->returns == SB_RETURNS_SCALAR && !fn->returns_set) {
        sb_buf_printf(&b, "SELECT NULL::bigint, 1::bigint, to_json(%s)::text", call.data);
    } else if (fn->returns == SB_RETURNS_SCALAR) {
        sb_buf_printf(&b, "SELECT NULL::bigint, count(*), coalesce(json_agg(pgrst_value), '[]')::text"
                          " FROM %s AS pgrst_value", call.data);
    } else {
        struct sb_buf where;
        sb_buf_init(&where, arena);
        sb_buf_printf(&b, "WITH pgrst_call AS MATERIALIZED (SELECT * FROM %s), pgrst_source AS (", call.data);
        if (!top_select(&g, &b, fn->result, "pgrst_call", true, &where))
            return false;
        page_and_total_sql(&b, "pgrst_call", &where, want_total);
    }
    finish(&g, &b, out);
    return true;
}
