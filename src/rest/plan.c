/*
 * plan: the pieces of a statement, from the parsed request and the schema cache: quoted
 * identifiers, $n parameters, fields with JSON paths, conditions, embedded resources through
 * foreign keys, select lists, order and paging. sql.c assembles them into whole statements.
 */
#include "rest/plan.h"

#include "rest/sql.h"

#include <ctype.h>
#include <string.h>

struct relation {                    /* how an embedded resource joins its parent */
    const struct sb_cache_table *target;
    const struct sb_cache_fkey *fk;
    bool parent_holds_fk;            /* parent.from_cols -> target.to_cols */
    bool to_one;
};

/* ---- small pieces -------------------------------------------------------------------------- */

void sb_plan_ident(struct sb_buf *b, const char *name)
{
    sb_buf_append_char(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            sb_buf_append_char(b, '"');
        sb_buf_append_char(b, *p);
    }
    sb_buf_append_char(b, '"');
}

void sb_plan_param(struct sb_plan *g, struct sb_buf *b, const char *value)
{
    if (g->nparams == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        const char **n = sb_arena_alloc(g->arena, sizeof *n * (size_t)g->cap);
        if (g->nparams)
            memcpy(n, g->params, sizeof *n * (size_t)g->nparams);
        g->params = n;
    }
    g->params[g->nparams++] = value;
    sb_buf_printf(b, "$%d", g->nparams);
}

static void alias_name(struct sb_buf *b, int alias)
{
    sb_buf_printf(b, "pgrst_%d", alias);
}

bool sb_plan_unknown_column(struct sb_plan *g, const struct sb_cache_table *t, const char *name)
{
    return sb_rest_fail(g->err, 400, "42703", sb_arena_printf(g->arena, "column %s.%s does not exist", t->name, name),
                        NULL, NULL);
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
static bool field_expr(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                       const struct sb_rest_field *f)
{
    const struct sb_cache_column *c = sb_cache_column(t, f->name);
    if (!c)
        return sb_plan_unknown_column(g, t, f->name);
    alias_name(b, alias);
    sb_buf_append_char(b, '.');
    sb_plan_ident(b, c->name);
    for (int i = 0; i < f->path_len; i++) {
        sb_buf_append(b, f->path_as_text[i] ? "->>" : "->");
        sb_plan_param(g, b, f->path[i]);
        sb_buf_append(b, is_integer(f->path[i]) ? "::int" : "::text");
    }
    return true;
}

/* The key a field has in the output: its alias, else the last JSON key, else the column. */
static const char *output_name(const struct sb_rest_item *item)
{
    if (item->alias)
        return item->alias;
    if (item->field.path_len)
        return item->field.path[item->field.path_len - 1];
    return item->field.name;
}

static const char *child_path(struct sb_plan *g, const char *path, const struct sb_rest_item *item)
{
    const char *name = item->alias ? item->alias : item->field.name;
    return *path ? sb_arena_printf(g->arena, "%s.%s", path, name) : name;
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

/* ---- relationships ------------------------------------------------------------------------- */

static bool fk_matches_hint(const struct sb_cache_fkey *k, const char *hint)
{
    if (!hint)
        return true;
    if (strcmp(k->name, hint) == 0)
        return true;
    return k->count == 1 && strcmp(k->from_cols[0], hint) == 0;
}

static bool cols_are_pkey(const struct sb_cache_table *t, const char *const *cols, int count)
{
    if (t->pkey_count != count || count == 0)
        return false;
    for (int i = 0; i < count; i++) {
        bool found = false;
        for (int j = 0; j < t->pkey_count; j++)
            found = found || strcmp(cols[i], t->pkey[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool find_relation(struct sb_plan *g, const struct sb_cache_table *parent, const struct sb_rest_item *item,
                          struct relation *out)
{
    const struct sb_cache_table *target = sb_cache_table(g->cache, item->field.name);
    int found = 0;
    struct sb_buf choices;
    sb_buf_init(&choices, g->arena);
    for (int i = 0; target && i < g->cache->fkey_count; i++) {
        const struct sb_cache_fkey *k = &g->cache->fkeys[i];
        bool down = k->from == parent && k->to == target;   /* parent references target */
        bool up = k->from == target && k->to == parent;     /* target references parent */
        if (!(down || up) || !fk_matches_hint(k, item->hint))
            continue;
        if (found++ == 0) {
            out->target = target;
            out->fk = k;
            out->parent_holds_fk = down;
            out->to_one = down || cols_are_pkey(target, k->from_cols, k->count);
        }
        sb_buf_printf(&choices, "%s'%s!%s'", choices.len ? ", " : "", item->field.name, k->name);
    }
    if (found == 1)
        return true;
    if (found == 0)
        return sb_rest_fail(g->err, 400, "PGRST200",
                            sb_arena_printf(g->arena, "Could not find a relationship between '%s' and '%s' in the "
                                                      "schema cache", parent->name, item->field.name),
                            item->hint ? sb_arena_printf(g->arena, "Searched for a foreign key relationship between "
                                                                   "'%s' and '%s' using the hint '%s'",
                                                         parent->name, item->field.name, item->hint)
                                       : NULL,
                            "Perhaps you meant a table that references this one, or check the spelling");
    return sb_rest_fail(g->err, 300, "PGRST201",
                        sb_arena_printf(g->arena, "Could not embed because more than one relationship was found "
                                                  "for '%s' and '%s'", parent->name, item->field.name),
                        NULL,
                        sb_arena_printf(g->arena, "Try changing '%s' to one of the following: %s. Find the desired "
                                                  "relationship in the 'details' key.", item->field.name, choices.data));
}

/* target_alias.to = parent_alias.from (or the other way round) */
static void join_condition(struct sb_buf *b, const struct relation *r, int parent_alias, int target_alias)
{
    for (int i = 0; i < r->fk->count; i++) {
        if (i)
            sb_buf_append(b, " AND ");
        alias_name(b, target_alias);
        sb_buf_append_char(b, '.');
        sb_plan_ident(b, r->parent_holds_fk ? r->fk->to_cols[i] : r->fk->from_cols[i]);
        sb_buf_append(b, " = ");
        alias_name(b, parent_alias);
        sb_buf_append_char(b, '.');
        sb_plan_ident(b, r->parent_holds_fk ? r->fk->from_cols[i] : r->fk->to_cols[i]);
    }
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

static const char *like_pattern(struct sb_arena *arena, const char *v)
{
    char *s = sb_arena_strdup(arena, v);
    for (char *p = s; *p; p++)
        if (*p == '*')
            *p = '%';
    return s;
}

static bool is_like(enum sb_rest_op op)
{
    return op == SB_OP_LIKE || op == SB_OP_ILIKE;
}

static bool fts_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                    const struct sb_rest_cond *c)
{
    const struct sb_cache_column *col = sb_cache_column(t, c->field.name);
    bool is_vector = col && c->field.path_len == 0 && strcmp(col->type, "tsvector") == 0;
    if (!is_vector) {
        sb_buf_append(b, "to_tsvector(");
        if (c->fts_config) {
            sb_plan_param(g, b, c->fts_config);
            sb_buf_append(b, "::regconfig, ");
        }
    }
    if (!field_expr(g, b, t, alias, &c->field))
        return false;
    sb_buf_printf(b, "%s @@ %s(", is_vector ? "" : ")", tsquery_function(c->op));
    if (c->fts_config) {
        sb_plan_param(g, b, c->fts_config);
        sb_buf_append(b, "::regconfig, ");
    }
    sb_plan_param(g, b, c->value);
    sb_buf_append(b, ")");
    return true;
}

static bool leaf_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                     const struct sb_rest_cond *c)
{
    if (c->op == SB_OP_FTS || c->op == SB_OP_PLFTS || c->op == SB_OP_PHFTS || c->op == SB_OP_WFTS)
        return fts_sql(g, b, t, alias, c);
    if (!field_expr(g, b, t, alias, &c->field))
        return false;
    if (c->op == SB_OP_IS) {
        sb_buf_printf(b, " IS %s", strcmp(c->value, "null") == 0 ? "NULL" : strcmp(c->value, "true") == 0 ? "TRUE"
                                   : strcmp(c->value, "false") == 0 ? "FALSE" : "UNKNOWN");
        return true;
    }
    if (c->op == SB_OP_IN) {
        sb_buf_append(b, " = ANY(");
        sb_plan_param(g, b, sb_rest_array_literal(g->arena, c->list, c->list_len));
        sb_buf_append(b, ")");
        return true;
    }
    if (c->op == SB_OP_ISDISTINCT) {
        sb_buf_append(b, " IS DISTINCT FROM ");
        sb_plan_param(g, b, c->value);
        return true;
    }
    sb_buf_printf(b, " %s ", op_sql(c->op));
    if (c->quant != SB_QUANT_NONE) {
        const char **elems = sb_arena_alloc(g->arena, sizeof *elems * (size_t)(c->list_len + 1));
        for (int i = 0; i < c->list_len; i++)
            elems[i] = is_like(c->op) ? like_pattern(g->arena, c->list[i]) : c->list[i];
        sb_buf_append(b, c->quant == SB_QUANT_ANY ? "ANY(" : "ALL(");
        sb_plan_param(g, b, sb_rest_array_literal(g->arena, elems, c->list_len));
        sb_buf_append(b, ")");
        return true;
    }
    sb_plan_param(g, b, is_like(c->op) ? like_pattern(g->arena, c->value) : c->value);
    return true;
}

static const struct sb_rest_item *embed_named(const struct sb_rest_select *sel, const char *name)
{
    for (int i = 0; sel && i < sel->count; i++) {
        const struct sb_rest_item *it = &sel->items[i];
        if (it->kind == SB_ITEM_EMBED && strcmp(it->alias ? it->alias : it->field.name, name) == 0)
            return it;
    }
    return NULL;
}

static bool exists_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *parent, int parent_alias,
                       const struct sb_rest_item *item, const char *path);

static bool cond_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                     const struct sb_rest_cond *c, const struct sb_rest_select *sel, const char *path)
{
    if (c->negate)
        sb_buf_append(b, "NOT ");
    sb_buf_append_char(b, '(');
    if (c->kind == SB_COND_LEAF) {
        const struct sb_rest_item *embed = c->field.path_len == 0 ? embed_named(sel, c->field.name) : NULL;
        if (embed && !sb_cache_column(t, c->field.name)) {
            if (c->op != SB_OP_IS || strcmp(c->value, "null") != 0)
                return sb_rest_fail(g->err, 400, "PGRST120",
                                    "Only is null or not is null filters are allowed on embedded resources", NULL,
                                    NULL);
            sb_buf_append(b, "NOT ");
            if (!exists_sql(g, b, t, alias, embed, child_path(g, path, embed)))
                return false;
        } else if (!leaf_sql(g, b, t, alias, c)) {
            return false;
        }
    } else {
        if (c->child_count == 0)
            sb_buf_append(b, c->kind == SB_COND_AND ? "true" : "false");
        for (int i = 0; i < c->child_count; i++) {
            if (i)
                sb_buf_append(b, c->kind == SB_COND_AND ? " AND " : " OR ");
            if (!cond_sql(g, b, t, alias, &c->children[i], sel, path))
                return false;
        }
    }
    sb_buf_append_char(b, ')');
    return true;
}

void sb_plan_mark_visited(struct sb_plan *g, const char *path)
{
    const char **n = sb_arena_alloc(g->arena, sizeof *n * (size_t)(g->visited_count + 1));
    if (g->visited_count)
        memcpy(n, g->visited, sizeof *n * (size_t)g->visited_count);
    n[g->visited_count++] = path;
    g->visited = n;
}

/* The WHERE conditions of one level (filters of its scope, !inner embeds), ANDed, or "" */
bool sb_plan_where(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                      const struct sb_rest_select *sel, const char *path)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(g->q, path);
    int n = 0;
    for (int i = 0; s && i < s->cond_count; i++) {
        sb_buf_append(b, n++ ? " AND " : "");
        if (!cond_sql(g, b, t, alias, &s->conds[i], sel, path))
            return false;
    }
    for (int i = 0; sel && i < sel->count; i++) {
        const struct sb_rest_item *it = &sel->items[i];
        if (it->kind != SB_ITEM_EMBED || !it->inner)
            continue;
        sb_buf_append(b, n++ ? " AND " : "");
        if (!exists_sql(g, b, t, alias, it, child_path(g, path, it)))
            return false;
    }
    return true;
}

/* " FROM target AS alias WHERE <join> AND <the embed's own conditions>" */
static bool related_rows_sql(struct sb_plan *g, struct sb_buf *b, const struct relation *r, int parent_alias, int alias,
                             const struct sb_rest_item *item, const char *path)
{
    sb_buf_append(b, " FROM \"public\".");
    sb_plan_ident(b, r->target->name);
    sb_buf_append(b, " AS ");
    alias_name(b, alias);
    sb_buf_append(b, " WHERE ");
    join_condition(b, r, parent_alias, alias);
    struct sb_buf w;
    sb_buf_init(&w, g->arena);
    if (!sb_plan_where(g, &w, r->target, alias, item->children, path))
        return false;
    if (w.len)
        sb_buf_printf(b, " AND %s", w.data);
    return true;
}

static bool exists_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *parent, int parent_alias,
                       const struct sb_rest_item *item, const char *path)
{
    struct relation r;
    if (!find_relation(g, parent, item, &r))
        return false;
    int alias = g->next_alias++;
    sb_buf_append(b, "EXISTS (SELECT 1");
    if (!related_rows_sql(g, b, &r, parent_alias, alias, item, path))
        return false;
    sb_buf_append(b, ")");
    return true;
}

/* ---- select list ------------------------------------------------------------------------------ */

/* (SELECT target.column FROM target WHERE join): a to-one embedded relation's column, for
 * order=relation(column). The relation must be embedded at this level. */
static bool related_column_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                               const struct sb_rest_select *sel, const struct sb_rest_order_term *o)
{
    const struct sb_rest_item *embed = embed_named(sel, o->relation);
    struct relation r;
    if (!embed)
        return sb_rest_fail(g->err, 400, "PGRST108",
                            sb_arena_printf(g->arena, "'%s' is not an embedded resource in this request", o->relation),
                            NULL, "Embed the relation in 'select' to order by its columns.");
    if (!find_relation(g, t, embed, &r))
        return false;
    if (!r.to_one)
        return sb_rest_fail(g->err, 400, "PGRST118",
                            sb_arena_printf(g->arena, "A related order on '%s' is not possible", o->relation),
                            sb_arena_printf(g->arena, "'%s' and '%s' do not form a many-to-one or one-to-one "
                                                      "relationship", t->name, r.target->name), NULL);
    int inner = g->next_alias++;
    sb_buf_append(b, "(SELECT ");
    if (!field_expr(g, b, r.target, inner, &o->field))
        return false;
    sb_buf_append(b, " FROM \"public\".");
    sb_plan_ident(b, r.target->name);
    sb_buf_append(b, " AS ");
    alias_name(b, inner);
    sb_buf_append(b, " WHERE ");
    join_condition(b, &r, alias, inner);
    sb_buf_append(b, ")");
    return true;
}

bool sb_plan_order(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                   const struct sb_rest_select *sel, const char *path)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(g->q, path);
    if (!s || s->order_count == 0)
        return true;
    sb_buf_append(b, " ORDER BY ");
    for (int i = 0; i < s->order_count; i++) {
        const struct sb_rest_order_term *o = &s->order[i];
        if (i)
            sb_buf_append(b, ", ");
        bool ok = o->relation ? related_column_sql(g, b, t, alias, sel, o) : field_expr(g, b, t, alias, &o->field);
        if (!ok)
            return false;
        sb_buf_append(b, o->desc ? " DESC" : " ASC");
        if (o->nulls)
            sb_buf_append(b, o->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
    }
    return true;
}

void sb_plan_limit(struct sb_plan *g, struct sb_buf *b, const char *path)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(g->q, path);
    if (!s)
        return;
    if (s->limit >= 0) {
        sb_buf_append(b, " LIMIT ");
        sb_plan_param(g, b, sb_arena_printf(g->arena, "%ld", s->limit));
    }
    if (s->offset > 0) {
        sb_buf_append(b, " OFFSET ");
        sb_plan_param(g, b, sb_arena_printf(g->arena, "%ld", s->offset));
    }
}

static bool is_count_item(const struct sb_cache_table *t, const struct sb_rest_item *it)
{
    if (it->kind == SB_ITEM_COUNT)
        return true;
    return it->kind == SB_ITEM_FIELD && strcmp(it->field.name, "count") == 0 && it->field.path_len == 0 &&
           !it->cast && !sb_cache_column(t, "count");
}


/* (SELECT coalesce(json_agg(pgrst_e), '[]') FROM (SELECT ... FROM target WHERE join ...) pgrst_e) */
static bool embed_sql(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *parent, int parent_alias,
                      const struct sb_rest_item *item, const char *parent_path)
{
    struct relation r;
    if (!find_relation(g, parent, item, &r))
        return false;
    const char *path = child_path(g, parent_path, item);
    sb_plan_mark_visited(g, path);
    int alias = g->next_alias++;
    sb_buf_append(b, r.to_one ? "(SELECT row_to_json(pgrst_e) FROM (SELECT "
                              : "(SELECT coalesce(json_agg(pgrst_e), '[]') FROM (SELECT ");
    struct sb_buf group;
    sb_buf_init(&group, g->arena);
    if (!sb_plan_select_list(g, b, r.target, alias, item->children, path, &group))
        return false;
    if (!related_rows_sql(g, b, &r, parent_alias, alias, item, path))
        return false;
    if (group.len)
        sb_buf_printf(b, " GROUP BY %s", group.data);
    if (!sb_plan_order(g, b, r.target, alias, item->children, path))
        return false;
    sb_plan_limit(g, b, path);
    sb_buf_append(b, ") pgrst_e) AS ");
    sb_plan_ident(b, item->alias ? item->alias : item->field.name);
    return true;
}

bool sb_plan_select_list(struct sb_plan *g, struct sb_buf *b, const struct sb_cache_table *t, int alias,
                            const struct sb_rest_select *sel, const char *path, struct sb_buf *group_by)
{
    bool has_count = false, has_star = false;
    for (int i = 0; i < sel->count; i++) {
        has_count = has_count || is_count_item(t, &sel->items[i]);
        has_star = has_star || sel->items[i].kind == SB_ITEM_STAR;
    }
    if (has_count && has_star)
        return sb_rest_fail(g->err, 400, "PGRST100", "failed to parse select parameter",
                            "count() cannot be combined with *", "Name the columns to group by");
    if (sel->count == 0) {
        sb_buf_append(b, "NULL AS pgrst_nothing");    /* rel() selects no column */
        return true;
    }
    for (int i = 0; i < sel->count; i++) {
        const struct sb_rest_item *it = &sel->items[i];
        if (i)
            sb_buf_append(b, ", ");
        if (is_count_item(t, it)) {
            sb_buf_append(b, "count(*) AS ");
            sb_plan_ident(b, it->alias ? it->alias : "count");
        } else if (it->kind == SB_ITEM_STAR) {
            alias_name(b, alias);
            sb_buf_append(b, ".*");
        } else if (it->kind == SB_ITEM_EMBED) {
            if (has_count)
                return sb_rest_fail(g->err, 400, "PGRST100", "failed to parse select parameter",
                                    "count() cannot be combined with embedded resources", NULL);
            if (!embed_sql(g, b, t, alias, it, path))
                return false;
        } else {
            if (it->cast)
                sb_buf_append(b, "CAST(");
            if (!field_expr(g, b, t, alias, &it->field))
                return false;
            if (it->cast)
                sb_buf_printf(b, " AS %s)", it->cast);
            sb_buf_append(b, " AS ");
            sb_plan_ident(b, output_name(it));
            if (has_count)
                sb_buf_printf(group_by, "%s%d", group_by->len ? ", " : "", i + 1);
        }
    }
    return true;
}

bool sb_plan_all_scopes_visited(struct sb_plan *g)
{
    for (int i = 0; i < g->q->scope_count; i++) {
        const char *path = g->q->scopes[i].path;
        if (!*path)
            continue;
        bool seen = false;
        for (int j = 0; j < g->visited_count; j++)
            seen = seen || strcmp(g->visited[j], path) == 0;
        if (!seen)
            return sb_rest_fail(g->err, 400, "PGRST108",
                                sb_arena_printf(g->arena, "'%s' is not an embedded resource in this request", path),
                                NULL,
                                sb_arena_printf(g->arena, "Verify that '%s' is included in the 'select' query "
                                                          "parameter.", path));
    }
    return true;
}

void sb_plan_init(struct sb_plan *g, struct sb_arena *arena, const struct sb_schema_cache *cache,
                     const struct sb_rest_query *q, struct sb_rest_error *err)
{
    memset(g, 0, sizeof *g);
    g->arena = arena;
    g->cache = cache;
    g->q = q;
    g->err = err;
    g->next_alias = 1;
}

