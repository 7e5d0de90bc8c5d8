/*
 * query_parts: fields, conditions, embedded resources, select lists, order and paging of a
 * planned relation tree, as SQL. query.c assembles them into whole statements.
 */
#include "rest/query_parts.h"

#include "rest/query.h"

#include <ctype.h>
#include <string.h>

void sb_query_init(struct sb_query *w, struct sb_arena *arena)
{
    memset(w, 0, sizeof *w);
    w->arena = arena;
    w->next_alias = 1;
}

void sb_query_ident(struct sb_buf *b, const char *name)
{
    sb_buf_append_char(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            sb_buf_append_char(b, '"');
        sb_buf_append_char(b, *p);
    }
    sb_buf_append_char(b, '"');
}

void sb_query_param(struct sb_query *w, struct sb_buf *b, const char *value)
{
    if (w->nparams == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        const char **n = sb_arena_alloc(w->arena, sizeof *n * (size_t)w->cap);
        if (w->nparams)
            memcpy(n, w->params, sizeof *n * (size_t)w->nparams);
        w->params = n;
    }
    w->params[w->nparams++] = value;
    sb_buf_printf(b, "$%d", w->nparams);
}

const char *sb_rest_array_literal(struct sb_arena *arena, const char *const *elems, int count)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append_char(&b, '{');
    for (int i = 0; i < count; i++) {
        if (i)
            sb_buf_append_char(&b, ',');
        sb_buf_append_char(&b, '"');
        for (const char *p = elems[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sb_buf_append_char(&b, '\\');
            sb_buf_append_char(&b, *p);
        }
        sb_buf_append_char(&b, '"');
    }
    sb_buf_append_char(&b, '}');
    return b.data;
}

static void alias_name(struct sb_buf *b, int alias)
{
    sb_buf_printf(b, "pgrst_%d", alias);
}

static bool is_integer(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* alias."column"->$k::text->>$m::int ... */
static void field_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_rest_field *f)
{
    alias_name(b, alias);
    sb_buf_append_char(b, '.');
    sb_query_ident(b, f->name);
    for (int i = 0; i < f->path_len; i++) {
        sb_buf_append(b, f->path_as_text[i] ? "->>" : "->");
        sb_query_param(w, b, f->path[i]);
        sb_buf_append(b, is_integer(f->path[i]) ? "::int" : "::text");
    }
}

/* ---- embedded resources ----------------------------------------------------------------------- */

/* target_alias.col = parent_alias.parent_col AND ... */
static void join_sql(struct sb_buf *b, const struct sb_plan_relation *rel, int parent_alias, int alias)
{
    for (int i = 0; i < rel->join_count; i++) {
        if (i)
            sb_buf_append(b, " AND ");
        alias_name(b, alias);
        sb_buf_append_char(b, '.');
        sb_query_ident(b, rel->cols[i]);
        sb_buf_append(b, " = ");
        alias_name(b, parent_alias);
        sb_buf_append_char(b, '.');
        sb_query_ident(b, rel->parent_cols[i]);
    }
}

/* " FROM target AS alias WHERE <join> AND <the embed's own conditions>" */
static void related_rows_sql(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel,
                             int parent_alias, int alias)
{
    sb_buf_append(b, " FROM \"public\".");
    sb_query_ident(b, rel->name);
    sb_buf_append(b, " AS ");
    alias_name(b, alias);
    sb_buf_append(b, " WHERE ");
    join_sql(b, rel, parent_alias, alias);
    struct sb_buf where;
    sb_buf_init(&where, w->arena);
    sb_query_where(w, &where, rel, alias);
    if (where.len)
        sb_buf_printf(b, " AND %s", where.data);
}

static void exists_sql(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int parent_alias)
{
    int alias = w->next_alias++;
    sb_buf_append(b, "EXISTS (SELECT 1");
    related_rows_sql(w, b, rel, parent_alias, alias);
    sb_buf_append(b, ")");
}

/* (SELECT coalesce(json_agg(pgrst_e), '[]') FROM (SELECT ... FROM target WHERE join ...) pgrst_e),
 * or row_to_json of the one row for a to-one embed. */
static void embed_sql(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int parent_alias)
{
    int alias = w->next_alias++;
    sb_buf_append(b, rel->to_one ? "(SELECT row_to_json(pgrst_e) FROM (SELECT "
                                 : "(SELECT coalesce(json_agg(pgrst_e), '[]') FROM (SELECT ");
    struct sb_buf group;
    sb_buf_init(&group, w->arena);
    sb_query_select_list(w, b, rel, alias, &group);
    related_rows_sql(w, b, rel, parent_alias, alias);
    if (group.len)
        sb_buf_printf(b, " GROUP BY %s", group.data);
    sb_query_order(w, b, rel, alias);
    sb_query_paging(w, b, rel);
    sb_buf_append(b, ") pgrst_e) AS ");
    sb_query_ident(b, rel->key);
}

/* ---- conditions ------------------------------------------------------------------------------ */

static const char *op_sql(enum sb_rest_op op)
{
    switch (op) {
    case SB_OP_EQ: return "=";
    case SB_OP_NEQ: return "<>";
    case SB_OP_GT: return ">";
    case SB_OP_GTE: return ">=";
    case SB_OP_LT: return "<";
    case SB_OP_LTE: return "<=";
    case SB_OP_LIKE: return "LIKE";
    case SB_OP_ILIKE: return "ILIKE";
    case SB_OP_MATCH: return "~";
    case SB_OP_IMATCH: return "~*";
    case SB_OP_CS: return "@>";
    case SB_OP_CD: return "<@";
    case SB_OP_OV: return "&&";
    case SB_OP_SL: return "<<";
    case SB_OP_SR: return ">>";
    case SB_OP_NXR: return "&<";
    case SB_OP_NXL: return "&>";
    case SB_OP_ADJ: return "-|-";
    default: return "=";
    }
}

static const char *tsquery_function(enum sb_rest_op op)
{
    switch (op) {
    case SB_OP_PLFTS: return "plainto_tsquery";
    case SB_OP_PHFTS: return "phraseto_tsquery";
    case SB_OP_WFTS: return "websearch_to_tsquery";
    default: return "to_tsquery";
    }
}

static bool is_like(enum sb_rest_op op)
{
    return op == SB_OP_LIKE || op == SB_OP_ILIKE;
}

/* like's * is SQL's % */
static const char *like_pattern(struct sb_arena *arena, const char *v)
{
    char *s = sb_arena_strdup(arena, v);
    for (char *p = s; *p; p++)
        if (*p == '*')
            *p = '%';
    return s;
}

static void fts_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_plan_cond *pc)
{
    const struct sb_rest_cond *c = pc->parsed;
    if (!pc->on_tsvector) {
        sb_buf_append(b, "to_tsvector(");
        if (c->fts_config) {
            sb_query_param(w, b, c->fts_config);
            sb_buf_append(b, "::regconfig, ");
        }
    }
    field_sql(w, b, alias, &c->field);
    sb_buf_printf(b, "%s @@ %s(", pc->on_tsvector ? "" : ")", tsquery_function(c->op));
    if (c->fts_config) {
        sb_query_param(w, b, c->fts_config);
        sb_buf_append(b, "::regconfig, ");
    }
    sb_query_param(w, b, c->value);
    sb_buf_append(b, ")");
}

/* op(any)/op(all): the elements as one array parameter */
static void quantified_sql(struct sb_query *w, struct sb_buf *b, const struct sb_rest_cond *c)
{
    const char **elems = sb_arena_alloc(w->arena, sizeof *elems * (size_t)(c->list_len + 1));
    for (int i = 0; i < c->list_len; i++)
        elems[i] = is_like(c->op) ? like_pattern(w->arena, c->list[i]) : c->list[i];
    sb_buf_append(b, c->quant == SB_QUANT_ANY ? "ANY(" : "ALL(");
    sb_query_param(w, b, sb_rest_array_literal(w->arena, elems, c->list_len));
    sb_buf_append(b, ")");
}

static void column_cond_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_plan_cond *pc)
{
    const struct sb_rest_cond *c = pc->parsed;
    if (sb_rest_op_is_fts(c->op)) {
        fts_sql(w, b, alias, pc);
        return;
    }
    field_sql(w, b, alias, &c->field);
    if (c->op == SB_OP_IS) {
        sb_buf_printf(b, " IS %s", strcmp(c->value, "null") == 0 ? "NULL" : strcmp(c->value, "true") == 0 ? "TRUE"
                                   : strcmp(c->value, "false") == 0 ? "FALSE" : "UNKNOWN");
    } else if (c->op == SB_OP_IN) {
        sb_buf_append(b, " = ANY(");
        sb_query_param(w, b, sb_rest_array_literal(w->arena, c->list, c->list_len));
        sb_buf_append(b, ")");
    } else if (c->op == SB_OP_ISDISTINCT) {
        sb_buf_append(b, " IS DISTINCT FROM ");
        sb_query_param(w, b, c->value);
    } else {
        sb_buf_printf(b, " %s ", op_sql(c->op));
        if (c->quant != SB_QUANT_NONE)
            quantified_sql(w, b, c);
        else
            sb_query_param(w, b, is_like(c->op) ? like_pattern(w->arena, c->value) : c->value);
    }
}

/* [NOT ](condition); an !inner embed is a bare EXISTS. */
static void cond_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_plan_cond *c)
{
    if (c->kind == SB_PLAN_COND_INNER_EMBED) {
        exists_sql(w, b, c->embed, alias);
        return;
    }
    if (c->negate)
        sb_buf_append(b, "NOT ");
    sb_buf_append_char(b, '(');
    if (c->kind == SB_PLAN_COND_COLUMN) {
        column_cond_sql(w, b, alias, c);
    } else if (c->kind == SB_PLAN_COND_NO_EMBED) {
        sb_buf_append(b, "NOT ");
        exists_sql(w, b, c->embed, alias);
    } else {
        bool and = c->kind == SB_PLAN_COND_AND;
        if (c->child_count == 0)
            sb_buf_append(b, and ? "true" : "false");
        for (int i = 0; i < c->child_count; i++) {
            if (i)
                sb_buf_append(b, and ? " AND " : " OR ");
            cond_sql(w, b, alias, &c->children[i]);
        }
    }
    sb_buf_append_char(b, ')');
}

void sb_query_where(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias)
{
    for (int i = 0; i < rel->cond_count; i++) {
        sb_buf_append(b, i ? " AND " : "");
        cond_sql(w, b, alias, &rel->conds[i]);
    }
}

/* ---- select list, order, paging ------------------------------------------------------------------ */

static void column_output_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_plan_output *o)
{
    if (o->cast)
        sb_buf_append(b, "CAST(");
    field_sql(w, b, alias, o->field);
    if (o->cast)
        sb_buf_printf(b, " AS %s)", o->cast);
    sb_buf_append(b, " AS ");
    sb_query_ident(b, o->key);
}

void sb_query_select_list(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias,
                          struct sb_buf *group_by)
{
    if (rel->output_count == 0) {
        sb_buf_append(b, "NULL AS pgrst_nothing");    /* rel() selects no column */
        return;
    }
    for (int i = 0; i < rel->output_count; i++) {
        const struct sb_plan_output *o = &rel->outputs[i];
        if (i)
            sb_buf_append(b, ", ");
        switch (o->kind) {
        case SB_OUTPUT_COUNT:
            sb_buf_append(b, "count(*) AS ");
            sb_query_ident(b, o->key);
            break;
        case SB_OUTPUT_ALL:
            alias_name(b, alias);
            sb_buf_append(b, ".*");
            break;
        case SB_OUTPUT_EMBED:
            embed_sql(w, b, o->embed, alias);
            break;
        case SB_OUTPUT_COLUMN:
            column_output_sql(w, b, alias, o);
            if (rel->grouped)
                sb_buf_printf(group_by, "%s%d", group_by->len ? ", " : "", i + 1);
            break;
        }
    }
}

/* (SELECT inner.column FROM target AS inner WHERE join): a to-one embed's column. */
static void related_column_sql(struct sb_query *w, struct sb_buf *b, int alias, const struct sb_plan_order *o)
{
    int inner = w->next_alias++;
    sb_buf_append(b, "(SELECT ");
    field_sql(w, b, inner, o->field);
    sb_buf_append(b, " FROM \"public\".");
    sb_query_ident(b, o->via->name);
    sb_buf_append(b, " AS ");
    alias_name(b, inner);
    sb_buf_append(b, " WHERE ");
    join_sql(b, o->via, alias, inner);
    sb_buf_append(b, ")");
}

void sb_query_order(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel, int alias)
{
    if (rel->order_count == 0)
        return;
    sb_buf_append(b, " ORDER BY ");
    for (int i = 0; i < rel->order_count; i++) {
        const struct sb_plan_order *o = &rel->order[i];
        if (i)
            sb_buf_append(b, ", ");
        if (o->via)
            related_column_sql(w, b, alias, o);
        else
            field_sql(w, b, alias, o->field);
        sb_buf_append(b, o->desc ? " DESC" : " ASC");
        if (o->nulls)
            sb_buf_append(b, o->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
    }
}

void sb_query_paging(struct sb_query *w, struct sb_buf *b, const struct sb_plan_relation *rel)
{
    if (rel->limit >= 0) {
        sb_buf_append(b, " LIMIT ");
        sb_query_param(w, b, sb_arena_printf(w->arena, "%ld", rel->limit));
    }
    if (rel->offset > 0) {
        sb_buf_append(b, " OFFSET ");
        sb_query_param(w, b, sb_arena_printf(w->arena, "%ld", rel->offset));
    }
}
