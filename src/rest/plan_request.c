/*
 * plan_request: the plan of a whole request on a table or view: the Prefer and Accept
 * decisions, the schema asked for, the query string, the Range header, the JSON body and the
 * columns it sets, PUT's rules; then the statement's plan (plan.c) for the method.
 */
#include "rest/plan.h"

#include "util/buf.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sb_rest_request_is_read(const struct sb_rest_request *r)
{
    return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

/* ---- headers ------------------------------------------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

static bool apply_pref(struct sb_rest_prefs *p, const char *pref)
{
    static const struct { const char *text; int kind, value; } known[] = {
        { "return=minimal", 0, SB_RETURN_MINIMAL },
        { "return=headers-only", 0, SB_RETURN_HEADERS_ONLY },
        { "return=representation", 0, SB_RETURN_REPRESENTATION },
        { "count=exact", 1, SB_COUNT_EXACT },
        { "count=planned", 1, SB_COUNT_PLANNED },
        { "count=estimated", 1, SB_COUNT_ESTIMATED },
        { "resolution=merge-duplicates", 2, SB_RESOLUTION_MERGE },
        { "resolution=ignore-duplicates", 2, SB_RESOLUTION_IGNORE },
        { "missing=default", 3, 1 },
        { "missing=null", 3, 0 },
        { "handling=strict", 4, 1 },
        { "handling=lenient", 4, 0 },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(pref, known[i].text) != 0)
            continue;
        switch (known[i].kind) {
        case 0: p->ret = (enum sb_rest_return)known[i].value; break;
        case 1: p->count = (enum sb_rest_count)known[i].value; break;
        case 2: p->resolution = (enum sb_rest_resolution)known[i].value; break;
        case 3: p->missing_default = known[i].value; break;
        default: p->strict = known[i].value; break;
        }
        return true;
    }
    return false;
}

/* Prefer: a, b, ...: the ones understood (and applied, but for handling=), the first other
 * one (tx= and timezone= are accepted and ignored). */
static void read_prefer(struct sb_arena *arena, const char *header, struct sb_rest_prefs *out)
{
    memset(out, 0, sizeof *out);
    if (!header)
        return;
    char *copy = sb_arena_strdup(arena, header);
    struct sb_buf applied;
    sb_buf_init(&applied, arena);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *pref = trim(tok);
        if (!*pref)
            continue;
        if (apply_pref(out, pref)) {
            if (strncmp(pref, "handling=", 9) != 0)
                sb_buf_printf(&applied, "%s%s", applied.len ? ", " : "", pref);
        } else if (!out->unknown && strncmp(pref, "tx=", 3) != 0 && strncmp(pref, "timezone=", 9) != 0) {
            out->unknown = pref;
        }
    }
    out->applied = applied.len ? applied.data : NULL;
}

static enum sb_rest_accept read_accept(const char *accept)
{
    if (!accept || !*accept)
        return SB_ACCEPT_JSON;
    if (strstr(accept, "application/vnd.pgrst.object"))
        return SB_ACCEPT_OBJECT;
    if (strstr(accept, "application/json") || strstr(accept, "*/*") || strstr(accept, "application/*"))
        return SB_ACCEPT_JSON;
    if (strstr(accept, "text/csv"))
        return SB_ACCEPT_CSV;
    return SB_ACCEPT_UNSUPPORTED;
}

bool sb_rest_plan_headers(struct sb_arena *arena, const struct sb_rest_request *r, struct sb_rest_plan *plan,
                          struct sb_error *err)
{
    memset(plan, 0, sizeof *plan);
    read_prefer(arena, r->prefer, &plan->prefs);
    if (plan->prefs.strict && plan->prefs.unknown)
        return sb_rest_fail_preferences(err, arena, plan->prefs.unknown);
    plan->accept = read_accept(r->accept);
    if (plan->accept == SB_ACCEPT_UNSUPPORTED)
        return sb_rest_fail_accept(err, r->accept);
    const char *profile = sb_rest_request_is_read(r) ? r->accept_profile : r->content_profile;
    return !profile || strcmp(profile, "public") == 0 || sb_rest_fail_schema(err);
}

/* ---- reads ------------------------------------------------------------------------------------- */

/* A Range bound: digits only, at most LONG_MAX; false for anything else. */
static bool read_range_bound(const char *text, const char **end, long *out)
{
    if (*text < '0' || *text > '9')
        return false;
    char *after;
    errno = 0;
    long n = strtol(text, &after, 10);
    if (errno == ERANGE)
        return false;
    *out = n;
    *end = after;
    return true;
}

/* "first-last" or "first-" (items, as PostgREST reads Range); a malformed or out-of-range
 * header is ignored, as PostgREST ignores one it cannot read. */
void sb_plan_apply_range(const char *range, struct sb_rest_query *q)
{
    struct sb_rest_scope *top = &q->scopes[0];
    long first, last = -1;
    const char *p;
    if (!range || top->limit >= 0 || !read_range_bound(range, &p, &first) || *p != '-')
        return;
    p++;
    if (*p && (!read_range_bound(p, &p, &last) || *p))
        return;
    top->offset = first;
    if (last >= first)
        top->limit = last - first < LONG_MAX ? last - first + 1 : LONG_MAX;
}

static enum sb_plan_total total_for(enum sb_rest_count count)
{
    switch (count) {
    case SB_COUNT_EXACT: return SB_TOTAL_EXACT;
    case SB_COUNT_PLANNED: return SB_TOTAL_PLANNED;
    case SB_COUNT_ESTIMATED: return SB_TOTAL_ESTIMATED;
    default: return SB_TOTAL_NONE;
    }
}

static bool plan_read(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                      const struct sb_cache_table *t, struct sb_rest_query *q, struct sb_rest_plan *plan,
                      struct sb_error *err)
{
    sb_plan_apply_range(r->range, q);
    plan->total = total_for(plan->prefs.count);
    plan->offset = q->scopes[0].offset;
    return sb_plan_read(arena, cache, t, q, plan, err);
}

/* ---- the body of a write --------------------------------------------------------------------- */

static void add_key(struct sb_arena *arena, struct sb_rest_write *w, const char *key)
{
    for (int i = 0; i < w->column_count; i++)
        if (strcmp(w->columns[i], key) == 0)
            return;
    const char **n = sb_arena_alloc(arena, sizeof *n * (size_t)(w->column_count + 1));
    if (w->column_count)
        memcpy(n, w->columns, sizeof *n * (size_t)w->column_count);
    n[w->column_count++] = sb_arena_strdup(arena, key);
    w->columns = n;
}

/* The columns a write sets: columns= when given, else every key of the body's objects. */
static void collect_columns(struct sb_arena *arena, const struct sb_rest_query *q, json_t *body,
                            struct sb_rest_write *w)
{
    const char *key;
    json_t *v, *row;
    size_t i;
    if (q->columns) {
        for (int k = 0; k < q->column_count; k++)
            add_key(arena, w, q->columns[k]);
    } else if (json_is_object(body)) {
        json_object_foreach(body, key, v) add_key(arena, w, key);
    } else {
        json_array_foreach(body, i, row) {
            json_object_foreach(row, key, v) add_key(arena, w, key);
        }
    }
}

/* The body as JSON (an object, or an array of objects when allowed; freed with the arena),
 * and the columns it sets; NULL with PGRST102 otherwise. */
static json_t *read_body(struct sb_arena *arena, const struct sb_rest_request *r, const struct sb_rest_query *q,
                         bool array_allowed, struct sb_rest_write *w, struct sb_error *err)
{
    json_error_t jerr;
    json_t *body = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : NULL;
    bool shape_ok = json_is_object(body) || (array_allowed && json_is_array(body));
    size_t i;
    json_t *row;
    if (json_is_array(body))
        json_array_foreach(body, i, row) shape_ok = shape_ok && json_is_object(row);
    if (!shape_ok) {
        json_decref(body);
        sb_rest_fail_body(err, array_allowed ? "Expected a JSON object or an array of objects"
                                             : "Expected a JSON object");
        return NULL;
    }
    sb_arena_defer(arena, sb_json_release, body);
    memset(w, 0, sizeof *w);
    w->body = r->body;
    collect_columns(arena, q, body, w);
    return body;
}

/* ---- writes ------------------------------------------------------------------------------------ */

/* For return=headers-only: the rows written come back as their primary key only. */
static void select_primary_key(struct sb_arena *arena, const struct sb_cache_table *t, struct sb_rest_query *q)
{
    struct sb_rest_select *s = &q->select;
    s->count = t->pkey_count;
    s->items = sb_arena_alloc(arena, sizeof *s->items * (size_t)t->pkey_count);
    memset(s->items, 0, sizeof *s->items * (size_t)t->pkey_count);
    for (int i = 0; i < t->pkey_count; i++) {
        s->items[i].kind = SB_ITEM_FIELD;
        s->items[i].field.name = t->pkey[i];
    }
}

static bool plan_insert(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                        const struct sb_cache_table *t, struct sb_rest_query *q, struct sb_rest_plan *plan,
                        struct sb_error *err)
{
    const struct sb_rest_prefs *prefs = &plan->prefs;
    struct sb_rest_write w;
    json_t *body = read_body(arena, r, q, true, &w, err);
    if (!body)
        return false;
    plan->action = SB_PLAN_INSERT;
    plan->created = true;
    if (json_is_array(body) && json_array_size(body) == 0) {
        plan->nothing_to_run = true;
        return true;
    }
    w.want_body = prefs->ret == SB_RETURN_REPRESENTATION;
    w.missing_default = prefs->missing_default;
    w.conflict = prefs->resolution == SB_RESOLUTION_MERGE    ? SB_CONFLICT_MERGE
                 : prefs->resolution == SB_RESOLUTION_IGNORE ? SB_CONFLICT_IGNORE
                                                             : SB_CONFLICT_NONE;
    if (prefs->ret == SB_RETURN_HEADERS_ONLY && t->pkey_count > 0) {
        select_primary_key(arena, t, q);
        w.want_body = true;
        plan->location_table = t->name;
        plan->location_key_count = t->pkey_count;
        plan->location_key = t->pkey;
    }
    return sb_plan_insert(arena, cache, t, q, &w, plan, err);
}

static bool plan_update(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                        const struct sb_cache_table *t, struct sb_rest_query *q, struct sb_rest_plan *plan,
                        struct sb_error *err)
{
    struct sb_rest_write w;
    if (!read_body(arena, r, q, false, &w, err))
        return false;
    plan->action = SB_PLAN_UPDATE;
    if (w.column_count == 0) {
        plan->nothing_to_run = true;
        return true;
    }
    w.want_body = plan->prefs.ret == SB_RETURN_REPRESENTATION;
    return sb_plan_update(arena, cache, t, q, &w, plan, err);
}

static bool plan_delete(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_cache_table *t,
                        struct sb_rest_query *q, struct sb_rest_plan *plan, struct sb_error *err)
{
    return sb_plan_delete(arena, cache, t, q, plan->prefs.ret == SB_RETURN_REPRESENTATION, plan, err);
}

/* The body's value for a key, as the text a filter would give it. */
static bool body_value_is(json_t *body, const char *key, const char *text)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return false;
    if (json_is_string(v))
        return strcmp(json_string_value(v), text) == 0;
    char *dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    bool same = dumped && strcmp(dumped, text) == 0;
    free(dumped);
    return same;
}

/* PUT names one row: each primary key column once with eq, nothing else (PGRST105), no paging
 * (PGRST114), and the body holds the same values (PGRST115). */
static bool put_names_one_row(const struct sb_cache_table *t, const struct sb_rest_query *q, json_t *body,
                              struct sb_error *err)
{
    const struct sb_rest_scope *top = &q->scopes[0];
    bool ok = t->pkey_count > 0 && q->scope_count == 1 && top->cond_count == t->pkey_count;
    for (int i = 0; ok && i < top->cond_count; i++) {
        const struct sb_rest_cond *f = &top->conds[i];
        ok = f->kind == SB_COND_LEAF && !f->negate && f->op == SB_OP_EQ && f->quant == SB_QUANT_NONE &&
             f->field.path_len == 0 && sb_cache_is_key_column(t, f->field.name);
        for (int j = 0; ok && j < i; j++)
            ok = strcmp(top->conds[j].field.name, f->field.name) != 0;
    }
    if (!ok)
        return sb_rest_fail_put_filters(err);
    if (top->limit >= 0 || top->offset > 0)
        return sb_rest_fail_put_paging(err);
    for (int i = 0; i < top->cond_count; i++)
        if (!body_value_is(body, top->conds[i].field.name, top->conds[i].value))
            return sb_rest_fail_put_payload(err);
    return true;
}

/* PUT ?pk=eq.v with the whole row: an insert merging on the primary key. */
static bool plan_put(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                     const struct sb_cache_table *t, struct sb_rest_query *q, struct sb_rest_plan *plan,
                     struct sb_error *err)
{
    struct sb_rest_write w;
    json_t *body = read_body(arena, r, q, false, &w, err);
    if (!body || !put_names_one_row(t, q, body, err))
        return false;
    w.want_body = plan->prefs.ret == SB_RETURN_REPRESENTATION;
    w.conflict = SB_CONFLICT_MERGE;
    q->scopes[0].cond_count = 0;               /* the filters named the row; the insert needs none */
    q->on_conflict_count = 0;
    return sb_plan_insert(arena, cache, t, q, &w, plan, err);
}

bool sb_rest_plan_table(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                        const char *name, struct sb_rest_plan *plan, struct sb_error *err)
{
    const struct sb_cache_table *t = sb_cache_table(cache, name);
    if (!t)
        return sb_rest_fail_no_relation(err, arena, name);
    struct sb_rest_query *q = sb_arena_alloc(arena, sizeof *q);
    if (!sb_rest_parse_query(arena, r->query, r->query_count, NULL, NULL, q, err))
        return false;
    if (sb_rest_request_is_read(r))
        return plan_read(arena, cache, r, t, q, plan, err);
    plan->one_row_or_rollback = plan->accept == SB_ACCEPT_OBJECT;   /* every write */
    if (strcmp(r->method, "POST") == 0)
        return plan_insert(arena, cache, r, t, q, plan, err);
    if (strcmp(r->method, "PATCH") == 0)
        return plan_update(arena, cache, r, t, q, plan, err);
    if (strcmp(r->method, "DELETE") == 0)
        return plan_delete(arena, cache, t, q, plan, err);
    if (strcmp(r->method, "PUT") == 0)
        return plan_put(arena, cache, r, t, q, plan, err);
    return sb_rest_fail_method(err, r->method);
}
