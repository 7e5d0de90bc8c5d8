/*
 * plan: the tree of relations of one statement, resolved against the schema cache: each
 * relation's select list (columns, count(), embeds through the foreign key chosen), its
 * conditions, order and paging; and a write's columns, DEFAULTs and conflict target. Names
 * are checked in the order the statement uses them, so the first error of a request with
 * several is the one PostgreSQL's order of reading would meet first.
 */
#include "rest/plan.h"

#include "util/buf.h"

#include <string.h>

struct planner {
    struct sb_arena *arena;
    const struct sb_schema_cache *cache;
    const struct sb_rest_query *q;
    struct sb_error *err;
    const char **embedded;           /* the paths of the embeds planned (filters may name only these) */
    int embedded_count;
};

/* How an embedded resource relates to its parent, as found in the schema cache. */
struct relationship {
    const struct sb_cache_table *target;
    const struct sb_cache_fkey *fk;
    bool parent_holds_fk;            /* parent.from_cols -> target.to_cols */
    bool to_one;
};

static void planner_init(struct planner *p, struct sb_arena *arena, const struct sb_schema_cache *cache,
                         const struct sb_rest_query *q, struct sb_error *err)
{
    memset(p, 0, sizeof *p);
    p->arena = arena;
    p->cache = cache;
    p->q = q;
    p->err = err;
}

static struct sb_plan_relation *new_relation(struct planner *p, const char *name, const char *path)
{
    struct sb_plan_relation *rel = sb_arena_alloc(p->arena, sizeof *rel);
    memset(rel, 0, sizeof *rel);
    rel->name = name;
    rel->path = path;
    rel->limit = -1;
    return rel;
}

static bool check_field(struct planner *p, const struct sb_cache_table *t, const struct sb_rest_field *f)
{
    return sb_cache_column(t, f->name) || sb_rest_fail_no_column(p->err, p->arena, t->name, f->name);
}

/* The key a field has in the output: its alias, else the last JSON key, else the column. */
static const char *output_key(const struct sb_rest_item *item)
{
    if (item->alias)
        return item->alias;
    if (item->field.path_len)
        return item->field.path[item->field.path_len - 1];
    return item->field.name;
}

static const char *embed_key(const struct sb_rest_item *item)
{
    return item->alias ? item->alias : item->field.name;
}

static const char *child_path(struct planner *p, const char *path, const struct sb_rest_item *item)
{
    return *path ? sb_arena_printf(p->arena, "%s.%s", path, embed_key(item)) : embed_key(item);
}

/* The position in sel of the embed called name (its alias, else its relation), or -1. */
static int embed_named(const struct sb_rest_select *sel, const char *name)
{
    for (int i = 0; sel && i < sel->count; i++) {
        const struct sb_rest_item *it = &sel->items[i];
        if (it->kind == SB_ITEM_EMBED && strcmp(embed_key(it), name) == 0)
            return i;
    }
    return -1;
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
    for (int i = 0; i < count; i++)
        if (!sb_cache_is_key_column(t, cols[i]))
            return false;
    return true;
}

/* The one foreign key between parent and the embedded table (either way round, matching the
 * !hint): none is PGRST200, several PGRST201. To-one when the parent holds the key or the
 * child's key columns are its primary key. */
static bool find_relationship(struct planner *p, const struct sb_cache_table *parent, const struct sb_rest_item *item,
                              struct relationship *out)
{
    const struct sb_cache_table *target = sb_cache_table(p->cache, item->field.name);
    int found = 0;
    struct sb_buf choices;
    sb_buf_init(&choices, p->arena);
    for (int i = 0; target && i < p->cache->fkey_count; i++) {
        const struct sb_cache_fkey *k = &p->cache->fkeys[i];
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
        return sb_rest_fail_no_relationship(p->err, p->arena, parent->name, item->field.name, item->hint);
    return sb_rest_fail_ambiguous_embed(p->err, p->arena, parent->name, item->field.name, choices.data);
}

static void set_join(struct sb_plan_relation *rel, const struct relationship *r)
{
    rel->join_count = r->fk->count;
    rel->cols = r->parent_holds_fk ? r->fk->to_cols : r->fk->from_cols;
    rel->parent_cols = r->parent_holds_fk ? r->fk->from_cols : r->fk->to_cols;
    rel->to_one = r->to_one;
}

/* ---- conditions ------------------------------------------------------------------------------ */

/* A filter naming an embed of this level rather than a column: only is.null / not.is.null. */
static bool plan_embed_filter(struct planner *p, const struct sb_plan_relation *rel, int embed,
                              const struct sb_rest_cond *c, struct sb_plan_cond *out)
{
    if (c->op != SB_OP_IS || strcmp(c->value, "null") != 0)
        return sb_rest_fail_embed_filter(p->err);
    out->kind = SB_PLAN_COND_NO_EMBED;
    out->embed = rel->outputs[embed].embed;
    return true;
}

static bool plan_cond(struct planner *p, const struct sb_plan_relation *rel, const struct sb_cache_table *t,
                      const struct sb_rest_select *sel, const struct sb_rest_cond *c, struct sb_plan_cond *out)
{
    memset(out, 0, sizeof *out);
    out->negate = c->negate;
    if (c->kind != SB_COND_LEAF) {
        out->kind = c->kind == SB_COND_AND ? SB_PLAN_COND_AND : SB_PLAN_COND_OR;
        out->child_count = c->child_count;
        out->children = sb_arena_alloc(p->arena, sizeof *out->children * (size_t)(c->child_count + 1));
        for (int i = 0; i < c->child_count; i++)
            if (!plan_cond(p, rel, t, sel, &c->children[i], &out->children[i]))
                return false;
        return true;
    }
    const struct sb_cache_column *col = sb_cache_column(t, c->field.name);
    int embed = c->field.path_len == 0 ? embed_named(sel, c->field.name) : -1;
    if (embed >= 0 && !col)
        return plan_embed_filter(p, rel, embed, c, out);
    out->kind = SB_PLAN_COND_COLUMN;
    out->parsed = c;
    out->on_tsvector =
        sb_rest_op_is_fts(c->op) && col && c->field.path_len == 0 && strcmp(col->type, "tsvector") == 0;
    return col || sb_rest_fail_no_column(p->err, p->arena, t->name, c->field.name);
}

/* The ANDed conditions of one level: its filters, then (when sel is given: reads, not writes)
 * filters naming its embeds and its !inner embeds. */
static bool plan_conds(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t,
                       const struct sb_rest_select *sel)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(p->q, rel->path);
    int inner = 0;
    for (int i = 0; sel && i < sel->count; i++)
        inner += sel->items[i].kind == SB_ITEM_EMBED && sel->items[i].inner;
    int filters = s ? s->cond_count : 0;
    rel->conds = sb_arena_alloc(p->arena, sizeof *rel->conds * (size_t)(filters + inner + 1));
    for (int i = 0; i < filters; i++)
        if (!plan_cond(p, rel, t, sel, &s->conds[i], &rel->conds[rel->cond_count++]))
            return false;
    for (int i = 0; sel && i < sel->count; i++) {
        if (sel->items[i].kind != SB_ITEM_EMBED || !sel->items[i].inner)
            continue;
        struct sb_plan_cond *c = &rel->conds[rel->cond_count++];
        memset(c, 0, sizeof *c);
        c->kind = SB_PLAN_COND_INNER_EMBED;
        c->embed = rel->outputs[i].embed;
    }
    return true;
}

/* ---- order and paging --------------------------------------------------------------------------- */

/* order=rel(col): rel must be a to-one embed of this level (PGRST108, PGRST118). */
static bool plan_related_order(struct planner *p, const struct sb_plan_relation *rel, const struct sb_cache_table *t,
                               const struct sb_rest_select *sel, const struct sb_rest_order_term *o,
                               struct sb_plan_order *out)
{
    int embed = embed_named(sel, o->relation);
    struct relationship r;
    if (embed < 0)
        return sb_rest_fail_order_not_embedded(p->err, p->arena, o->relation);
    if (!find_relationship(p, t, &sel->items[embed], &r))
        return false;
    if (!r.to_one)
        return sb_rest_fail_related_order(p->err, p->arena, o->relation, t->name, r.target->name);
    out->via = rel->outputs[embed].embed;
    return check_field(p, r.target, &o->field);
}

static bool plan_order(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t,
                       const struct sb_rest_select *sel)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(p->q, rel->path);
    if (!s || s->order_count == 0)
        return true;
    rel->order = sb_arena_alloc(p->arena, sizeof *rel->order * (size_t)s->order_count);
    rel->order_count = s->order_count;
    for (int i = 0; i < s->order_count; i++) {
        const struct sb_rest_order_term *o = &s->order[i];
        struct sb_plan_order *out = &rel->order[i];
        memset(out, 0, sizeof *out);
        out->field = &o->field;
        out->desc = o->desc;
        out->nulls = o->nulls;
        bool ok = o->relation ? plan_related_order(p, rel, t, sel, o, out) : check_field(p, t, &o->field);
        if (!ok)
            return false;
    }
    return true;
}

static void plan_paging(struct planner *p, struct sb_plan_relation *rel)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(p->q, rel->path);
    if (s) {
        rel->limit = s->limit;
        rel->offset = s->offset;
    }
}

/* ---- select lists ------------------------------------------------------------------------------- */

static bool plan_outputs(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t,
                         const struct sb_rest_select *sel);

static void mark_embedded(struct planner *p, const char *path)
{
    const char **n = sb_arena_alloc(p->arena, sizeof *n * (size_t)(p->embedded_count + 1));
    if (p->embedded_count)
        memcpy(n, p->embedded, sizeof *n * (size_t)p->embedded_count);
    n[p->embedded_count++] = path;
    p->embedded = n;
}

/* An embedded resource: the relationship, then its own select list, conditions, order, paging. */
static bool plan_embed(struct planner *p, const struct sb_plan_relation *parent, const struct sb_cache_table *t,
                       const struct sb_rest_item *item, struct sb_plan_relation **out)
{
    struct relationship r;
    if (!find_relationship(p, t, item, &r))
        return false;
    struct sb_plan_relation *rel = new_relation(p, r.target->name, child_path(p, parent->path, item));
    rel->key = embed_key(item);
    rel->inner = item->inner;
    set_join(rel, &r);
    mark_embedded(p, rel->path);
    *out = rel;
    if (!plan_outputs(p, rel, r.target, item->children) || !plan_conds(p, rel, r.target, item->children) ||
        !plan_order(p, rel, r.target, item->children))
        return false;
    plan_paging(p, rel);
    return true;
}

/* count() is counted: `count` means it too when the table has no column of that name. */
static bool is_count_item(const struct sb_cache_table *t, const struct sb_rest_item *it)
{
    if (it->kind == SB_ITEM_COUNT)
        return true;
    return it->kind == SB_ITEM_FIELD && strcmp(it->field.name, "count") == 0 && it->field.path_len == 0 &&
           !it->cast && !sb_cache_column(t, "count");
}

static bool plan_output(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t,
                        const struct sb_rest_item *it, struct sb_plan_output *out)
{
    memset(out, 0, sizeof *out);
    if (is_count_item(t, it)) {
        out->kind = SB_OUTPUT_COUNT;
        out->key = it->alias ? it->alias : "count";
        return true;
    }
    if (it->kind == SB_ITEM_STAR) {
        out->kind = SB_OUTPUT_ALL;
        return true;
    }
    if (it->kind == SB_ITEM_EMBED) {
        if (rel->grouped)
            return sb_rest_fail_count_with(p->err, "count() cannot be combined with embedded resources", NULL);
        out->kind = SB_OUTPUT_EMBED;
        out->key = embed_key(it);
        return plan_embed(p, rel, t, it, &out->embed);
    }
    out->kind = SB_OUTPUT_COLUMN;
    out->key = output_key(it);
    out->field = &it->field;
    out->cast = it->cast;
    return check_field(p, t, &it->field);
}

/* One output per item of sel, in order (so outputs[i] is sel->items[i]). */
static bool plan_outputs(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t,
                         const struct sb_rest_select *sel)
{
    bool has_star = false;
    for (int i = 0; i < sel->count; i++) {
        rel->grouped = rel->grouped || is_count_item(t, &sel->items[i]);
        has_star = has_star || sel->items[i].kind == SB_ITEM_STAR;
    }
    if (rel->grouped && has_star)
        return sb_rest_fail_count_with(p->err, "count() cannot be combined with *", "Name the columns to group by");
    rel->outputs = sb_arena_alloc(p->arena, sizeof *rel->outputs * (size_t)(sel->count + 1));
    for (int i = 0; i < sel->count; i++) {
        rel->output_count = i + 1;
        if (!plan_output(p, rel, t, &sel->items[i], &rel->outputs[i]))
            return false;
    }
    return true;
}

/* Every filter, order or paging parameter for an embed path names an embed planned (PGRST108). */
static bool all_scopes_embedded(struct planner *p)
{
    for (int i = 0; i < p->q->scope_count; i++) {
        const char *path = p->q->scopes[i].path;
        if (!*path)
            continue;
        bool seen = false;
        for (int j = 0; j < p->embedded_count; j++)
            seen = seen || strcmp(p->embedded[j], path) == 0;
        if (!seen)
            return sb_rest_fail_not_embedded(p->err, p->arena, path);
    }
    return true;
}

/* The target read (a table's rows, or a call's): select list, conditions, order, paging. */
static struct sb_plan_relation *plan_rows(struct planner *p, const struct sb_cache_table *t)
{
    struct sb_plan_relation *rel = new_relation(p, t->name, "");
    const struct sb_rest_select *sel = &p->q->select;
    if (!plan_outputs(p, rel, t, sel) || !plan_conds(p, rel, t, sel) || !plan_order(p, rel, t, sel))
        return NULL;
    plan_paging(p, rel);
    return all_scopes_embedded(p) ? rel : NULL;
}

/* The rows a write returns: only the select list (the rows are those written). */
static bool plan_returned_rows(struct planner *p, struct sb_plan_relation *rel, const struct sb_cache_table *t)
{
    return plan_outputs(p, rel, t, &p->q->select) && all_scopes_embedded(p);
}

/* ---- writes ------------------------------------------------------------------------------------ */

static bool plan_columns(struct planner *p, const struct sb_cache_table *t, const struct sb_rest_write *w,
                         struct sb_plan_write *out)
{
    for (int i = 0; i < w->column_count; i++)
        if (!sb_cache_column(t, w->columns[i]))
            return sb_rest_fail_no_write_column(p->err, p->arena, w->columns[i], t->name);
    out->body = w->body;
    out->column_count = w->column_count;
    out->columns = w->columns;
    out->want_body = w->want_body;
    return true;
}

/* missing=default: each column's DEFAULT expression, for the rows that lack the key. */
static void plan_defaults(struct planner *p, const struct sb_cache_table *t, struct sb_plan_write *out)
{
    const char **defaults = sb_arena_alloc(p->arena, sizeof *defaults * (size_t)(out->column_count + 1));
    for (int i = 0; i < out->column_count; i++)
        defaults[i] = sb_cache_column(t, out->columns[i])->default_sql;
    out->defaults = defaults;
}

/* ON CONFLICT's columns: on_conflict=, else the primary key. */
static bool plan_conflict(struct planner *p, const struct sb_cache_table *t, enum sb_rest_conflict conflict,
                          struct sb_plan_write *out)
{
    const char *const *target = p->q->on_conflict_count ? p->q->on_conflict : t->pkey;
    int count = p->q->on_conflict_count ? p->q->on_conflict_count : t->pkey_count;
    if (count == 0)
        return sb_rest_fail_no_conflict_target(p->err, p->arena, t->name);
    for (int i = 0; i < count; i++)
        if (!sb_cache_column(t, target[i]))
            return sb_rest_fail_no_column(p->err, p->arena, t->name, target[i]);
    out->conflict = conflict;
    out->conflict_target = target;
    out->conflict_count = count;
    return true;
}

static bool require_filters(struct planner *p, const char *verb)
{
    const struct sb_rest_scope *s = sb_rest_scope_for(p->q, "");
    return (s && s->cond_count > 0) || sb_rest_fail_no_filter(p->err, p->arena, verb);
}

/* ---- the statements ---------------------------------------------------------------------------- */

bool sb_plan_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                  const struct sb_rest_query *q, struct sb_rest_plan *plan, struct sb_error *err)
{
    struct planner p;
    planner_init(&p, arena, cache, q, err);
    plan->action = SB_PLAN_READ;
    plan->target = plan_rows(&p, table);
    return plan->target != NULL;
}

bool sb_plan_call_rows(struct sb_arena *arena, const struct sb_schema_cache *cache,
                       const struct sb_cache_function *fn, const struct sb_rest_query *q, struct sb_rest_plan *plan,
                       struct sb_error *err)
{
    struct planner p;
    planner_init(&p, arena, cache, q, err);
    plan->action = SB_PLAN_CALL;
    plan->target = plan_rows(&p, fn->result);
    return plan->target != NULL;
}

bool sb_plan_insert(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, const struct sb_rest_write *w, struct sb_rest_plan *plan,
                    struct sb_error *err)
{
    struct planner p;
    planner_init(&p, arena, cache, q, err);
    plan->action = SB_PLAN_INSERT;
    plan->target = new_relation(&p, table->name, "");
    memset(&plan->write, 0, sizeof plan->write);
    if (!plan_columns(&p, table, w, &plan->write))
        return false;
    if (w->missing_default)
        plan_defaults(&p, table, &plan->write);
    if (w->conflict != SB_CONFLICT_NONE && !plan_conflict(&p, table, w->conflict, &plan->write))
        return false;
    return !w->want_body || plan_returned_rows(&p, plan->target, table);
}

bool sb_plan_update(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, const struct sb_rest_write *w, struct sb_rest_plan *plan,
                    struct sb_error *err)
{
    struct planner p;
    planner_init(&p, arena, cache, q, err);
    plan->action = SB_PLAN_UPDATE;
    plan->target = new_relation(&p, table->name, "");
    memset(&plan->write, 0, sizeof plan->write);
    if (!plan_columns(&p, table, w, &plan->write) || !require_filters(&p, "UPDATE") ||
        !plan_conds(&p, plan->target, table, NULL))
        return false;
    return !w->want_body || plan_returned_rows(&p, plan->target, table);
}

bool sb_plan_delete(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *table,
                    const struct sb_rest_query *q, bool want_body, struct sb_rest_plan *plan,
                    struct sb_error *err)
{
    struct planner p;
    planner_init(&p, arena, cache, q, err);
    plan->action = SB_PLAN_DELETE;
    plan->target = new_relation(&p, table->name, "");
    memset(&plan->write, 0, sizeof plan->write);
    plan->write.want_body = want_body;
    if (!require_filters(&p, "DELETE") || !plan_conds(&p, plan->target, table, NULL))
        return false;
    return !want_body || plan_returned_rows(&p, plan->target, table);
}
