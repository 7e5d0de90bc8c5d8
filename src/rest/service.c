/*
 * service: routes a /rest/v1 request to the parser, the SQL generator, the database and the
 * responder. One function per kind of request; each ends in exactly one response.
 */
#include "rest/service.h"

#include "db/conn.h"
#include "http/router.h"
#include "rest/errors.h"
#include "rest/parse.h"
#include "rest/respond.h"
#include "rest/schema_cache.h"
#include "rest/sql.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/rest/v1"

/* Everything a handler step needs about the request being served. */
struct call {
    struct sb_request *req;
    const struct sb_schema_cache *cache;
    struct sb_db_call identity;
    struct sb_rest_prefs prefs;
    enum sb_rest_accept accept;
    struct sb_rest_query query;
    struct sb_rest_error err;
};

static void release_cache(void *cache)
{
    sb_schema_cache_release(cache);
}

static void free_json(void *json)
{
    json_decref(json);
}

static void answer_error(struct call *c)
{
    sb_rest_respond_error(c->req, &c->err);
}

/* ---- running a statement ----------------------------------------------------------------- */

static bool read_outcome(const struct sb_db_result *res, struct sb_rest_outcome *o)
{
    if (!res->rows || PQntuples(res->rows) != 1 || PQnfields(res->rows) != 3)
        return false;
    o->total = PQgetisnull(res->rows, 0, 0) ? -1 : atoll(PQgetvalue(res->rows, 0, 0));
    o->count = atoll(PQgetvalue(res->rows, 0, 1));
    o->body = PQgetisnull(res->rows, 0, 2) ? NULL : PQgetvalue(res->rows, 0, 2);
    return true;
}

static bool db_failed(struct call *c, enum sb_db_status st, const struct sb_db_result *res)
{
    if (st == SB_DB_UNAVAILABLE)
        return sb_rest_fail(&c->err, 503, "PGRST001", "Database client error. Retrying the connection.", NULL,
                            NULL);
    sb_rest_error_from_db(c->req->arena, res, c->identity.role, c->cache, &c->err);
    return false;
}

/* One round trip: role, claims and the statement, in one transaction. */
static bool run(struct call *c, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    struct sb_db_call call = c->identity;
    call.sql = sql->text;
    call.nparams = sql->nparams;
    call.params = sql->params;
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    enum sb_db_status st = sb_db_run(c->req->arena, &call, &res);
    if (st != SB_DB_OK)
        return db_failed(c, st, &res);
    if (!read_outcome(&res, o))
        return sb_rest_fail(&c->err, 500, "PGRST000", "unexpected result shape", NULL, NULL);
    return true;
}

/* The explicit-transaction variant of run: BEGIN with the request's role, then `before` (if
 * any), the statement, and COMMIT, unless check refuses the outcome (then ROLLBACK). */
static bool run_in_transaction(struct call *c, const char *before, const struct sb_rest_sql *sql,
                               struct sb_rest_outcome *o, bool (*check)(struct call *c, const struct sb_rest_outcome *o))
{
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    enum sb_db_status st = sb_db_begin(c->req->arena, &c->identity, &res);
    if (st != SB_DB_OK)
        return db_failed(c, st, &res);
    if (before && (st = sb_db_query(c->req->arena, before, 0, NULL, &res)) != SB_DB_OK) {
        sb_db_rollback();
        return db_failed(c, st, &res);
    }
    st = sb_db_query(c->req->arena, sql->text, sql->nparams, sql->params, &res);
    if (st != SB_DB_OK) {
        sb_db_rollback();
        return db_failed(c, st, &res);
    }
    if (!read_outcome(&res, o)) {
        sb_db_rollback();
        return sb_rest_fail(&c->err, 500, "PGRST000", "unexpected result shape", NULL, NULL);
    }
    if (check && !check(c, o)) {
        sb_db_rollback();
        return false;
    }
    st = sb_db_commit(c->req->arena, &res);
    return st == SB_DB_OK || db_failed(c, st, &res);
}

static bool exactly_one_row(struct call *c, const struct sb_rest_outcome *o)
{
    if (o->count == 1)
        return true;
    sb_rest_fail_singular(&c->err, c->req->arena, o->count);
    return false;
}

/* A write that must touch exactly one row (singular Accept): rolled back otherwise. */
static bool run_single_write(struct call *c, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    return run_in_transaction(c, NULL, sql, o, exactly_one_row);
}

/* GET/HEAD on a VOLATILE function runs read-only, as PostgREST does: a write is 25006 (405). */
static bool run_read_only(struct call *c, const struct sb_rest_sql *sql, struct sb_rest_outcome *o)
{
    return run_in_transaction(c, "SET TRANSACTION READ ONLY", sql, o, NULL);
}

/* ---- request set-up ------------------------------------------------------------------------ */

static bool is_read(const struct sb_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

static bool check_profile(struct call *c)
{
    const char *profile = sb_request_header(c->req, is_read(c->req) ? "Accept-Profile" : "Content-Profile");
    if (!profile || strcmp(profile, "public") == 0)
        return true;
    return sb_rest_fail(&c->err, 406, "PGRST106", "The schema must be one of the following: public", NULL, NULL);
}

static bool check_token(struct call *c)
{
    struct sb_request *req = c->req;
    if (req->auth == SB_AUTH_INVALID)
        return sb_rest_fail(&c->err, 401, "PGRST301", sb_jwt_status_message(req->auth_error), NULL, NULL);
    if (req->auth == SB_AUTH_VALID) {
        c->identity.role = req->claims.role;
        c->identity.claims = req->claims.json;
        c->identity.sub = req->claims.sub;
    } else {
        c->identity.role = "anon";
        c->identity.claims = "{\"role\":\"anon\"}";
    }
    return true;
}

static bool check_headers(struct call *c)
{
    sb_rest_read_prefer(c->req, &c->prefs);
    if (c->prefs.strict && c->prefs.unknown)
        return sb_rest_fail(&c->err, 400, "PGRST122", "Invalid preferences given with handling=strict",
                            sb_arena_printf(c->req->arena, "Invalid preferences: %s", c->prefs.unknown), NULL);
    c->accept = sb_rest_read_accept(c->req);
    if (c->accept == SB_ACCEPT_UNSUPPORTED)
        return sb_rest_fail(&c->err, 406, "PGRST107", "None of these media types are available: the Accept header",
                            sb_request_header(c->req, "Accept"), NULL);
    return check_profile(c) && check_token(c);
}

/* Range: 0-9 becomes offset/limit when the query string gives none. */
static void apply_range_header(struct call *c)
{
    const char *range = sb_request_header(c->req, "Range");
    struct sb_rest_scope *top = &c->query.scopes[0];
    long first, last = -1;
    if (!range || top->limit >= 0)
        return;
    if (sscanf(range, "%ld-%ld", &first, &last) < 1 || first < 0)
        return;
    top->offset = first;
    if (last >= first)
        top->limit = last - first + 1;
}

static bool wants_total(const struct call *c)
{
    return c->prefs.count != SB_COUNT_NONE;
}

/* ---- tables ------------------------------------------------------------------------------- */

static bool unknown_relation(struct call *c, const char *name)
{
    return sb_rest_fail(&c->err, 404, "42P01",
                        sb_arena_printf(c->req->arena, "relation \"public.%s\" does not exist", name), NULL, NULL);
}

#define ESTIMATE_EXACT_UP_TO 1000   /* count=estimated counts exactly below this (Supabase's db-max-rows) */

/* The planner's estimate from an EXPLAIN (FORMAT JSON) result, or -1. */
static long long plan_rows(const struct sb_db_result *res)
{
    if (!res->rows || PQntuples(res->rows) < 1)
        return -1;
    json_t *plan = json_loads(PQgetvalue(res->rows, 0, 0), 0, NULL);
    json_t *rows = json_object_get(json_object_get(json_array_get(plan, 0), "Plan"), "Plan Rows");
    long long n = json_is_number(rows) ? (long long)json_number_value(rows) : -1;
    json_decref(plan);
    return n;
}

/* count=planned|estimated: EXPLAIN the count, then read, in one transaction. planned gives the
 * estimate; estimated counts exactly when the estimate is small. */
static bool read_with_estimate(struct call *c, const struct sb_cache_table *t, struct sb_rest_outcome *o)
{
    struct sb_arena *arena = c->req->arena;
    struct sb_rest_sql explain, sql;
    struct sb_db_result res;
    memset(&res, 0, sizeof res);
    if (!sb_rest_sql_planned_count(arena, c->cache, t, &c->query, &explain, &c->err))
        return false;
    enum sb_db_status st = sb_db_begin(arena, &c->identity, &res);
    if (st == SB_DB_OK)
        st = sb_db_query(arena, explain.text, explain.nparams, explain.params, &res);
    long long planned = st == SB_DB_OK ? plan_rows(&res) : -1;
    bool exact = c->prefs.count == SB_COUNT_ESTIMATED && planned <= ESTIMATE_EXACT_UP_TO;
    if (st == SB_DB_OK && !sb_rest_sql_read(arena, c->cache, t, &c->query, exact, &sql, &c->err)) {
        sb_db_rollback();
        return false;
    }
    if (st == SB_DB_OK)
        st = sb_db_query(arena, sql.text, sql.nparams, sql.params, &res);
    if (st == SB_DB_OK && !read_outcome(&res, o))
        st = SB_DB_ERROR;
    if (st != SB_DB_OK) {
        sb_db_rollback();
        return res.sqlstate || st == SB_DB_UNAVAILABLE
                   ? db_failed(c, st, &res)
                   : sb_rest_fail(&c->err, 500, "PGRST000", "unexpected result shape", NULL, NULL);
    }
    st = sb_db_commit(arena, &res);
    if (st != SB_DB_OK)
        return db_failed(c, st, &res);
    if (!exact)
        o->total = planned;
    return true;
}

static bool read_rows(struct call *c, const struct sb_cache_table *t, struct sb_rest_outcome *o)
{
    if (c->prefs.count == SB_COUNT_PLANNED || c->prefs.count == SB_COUNT_ESTIMATED)
        return read_with_estimate(c, t, o);
    struct sb_rest_sql sql;
    return sb_rest_sql_read(c->req->arena, c->cache, t, &c->query, wants_total(c), &sql, &c->err) &&
           run(c, &sql, o);
}

static void table_read(struct call *c, const struct sb_cache_table *t)
{
    apply_range_header(c);
    struct sb_rest_outcome o;
    if (!read_rows(c, t, &o))
        return answer_error(c);
    long offset = c->query.scopes[0].offset;
    if (o.total >= 0 && offset > 0 && offset >= o.total && o.count == 0) {
        sb_response_header(c->req, "Content-Range", sb_arena_printf(c->req->arena, "*/%lld", o.total));
        sb_rest_fail(&c->err, 416, "PGRST103", "Requested range not satisfiable",
                     sb_arena_printf(c->req->arena, "An offset of %ld was requested, but there are only %lld rows.",
                                     offset, o.total), NULL);
        return answer_error(c);
    }
    if (c->accept == SB_ACCEPT_OBJECT && o.count != 1) {
        sb_rest_fail_singular(&c->err, c->req->arena, o.count);
        return answer_error(c);
    }
    sb_rest_respond_rows(c->req, c->accept, &c->prefs, offset, &o);
}

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

/* The body as JSON (object, or array of objects when allowed), and the columns it sets. */
static json_t *read_body(struct call *c, bool array_allowed, struct sb_rest_write *w)
{
    struct sb_request *req = c->req;
    json_error_t jerr;
    json_t *body = req->body_len ? json_loadb(req->body, req->body_len, 0, &jerr) : NULL;
    bool shape_ok = json_is_object(body) || (array_allowed && json_is_array(body));
    size_t i;
    json_t *row;
    if (json_is_array(body))
        json_array_foreach(body, i, row) shape_ok = shape_ok && json_is_object(row);
    if (!shape_ok) {
        json_decref(body);
        sb_rest_fail(&c->err, 400, "PGRST102", "Empty or invalid json",
                     array_allowed ? "Expected a JSON object or an array of objects" : "Expected a JSON object",
                     NULL);
        return NULL;
    }
    sb_arena_defer(req->arena, free_json, body);
    w->body = req->body;
    if (c->query.columns) {
        for (int k = 0; k < c->query.column_count; k++)
            add_key(req->arena, w, c->query.columns[k]);
        return body;
    }
    const char *key;
    json_t *v;
    if (json_is_object(body)) {
        json_object_foreach(body, key, v) add_key(req->arena, w, key);
    } else {
        json_array_foreach(body, i, row) {
            json_object_foreach(row, key, v) add_key(req->arena, w, key);
        }
    }
    return body;
}

/* Location: /table?pk=eq.value for the first row written (body holds its primary key). */
static void add_location(struct call *c, const struct sb_cache_table *t, const char *body)
{
    json_t *rows = body ? json_loads(body, 0, NULL) : NULL;
    json_t *first = json_array_get(rows, 0);
    if (json_is_object(first)) {
        struct sb_buf b;
        sb_buf_init(&b, c->req->arena);
        sb_buf_printf(&b, "/%s", t->name);
        for (int i = 0; i < t->pkey_count; i++) {
            json_t *v = json_object_get(first, t->pkey[i]);
            char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            sb_buf_printf(&b, "%c%s=eq.%s", i ? '&' : '?', t->pkey[i], text ? text : json_string_value(v));
            free(text);
        }
        sb_response_header(c->req, "Location", b.data);
    }
    json_decref(rows);
}

/* location_of: the table whose inserted row's Location to send (headers-only), or NULL. */
static void answer_write(struct call *c, const struct sb_rest_sql *sql, bool created,
                         const struct sb_cache_table *location_of)
{
    struct sb_rest_outcome o;
    bool ok = c->accept == SB_ACCEPT_OBJECT ? run_single_write(c, sql, &o) : run(c, sql, &o);
    if (!ok)
        return answer_error(c);
    if (location_of)
        add_location(c, location_of, o.body);
    sb_rest_respond_written(c->req, c->accept, &c->prefs, created, &o);
}

/* For return=headers-only: the rows written come back as their primary key only. */
static void select_primary_key(struct call *c, const struct sb_cache_table *t)
{
    struct sb_rest_select *s = &c->query.select;
    s->count = t->pkey_count;
    s->items = sb_arena_alloc(c->req->arena, sizeof *s->items * (size_t)t->pkey_count);
    for (int i = 0; i < t->pkey_count; i++) {
        s->items[i].kind = SB_ITEM_FIELD;
        s->items[i].field.name = t->pkey[i];
    }
}

static void table_insert(struct call *c, const struct sb_cache_table *t)
{
    struct sb_rest_write w = { 0 };
    json_t *body = read_body(c, true, &w);
    if (!body)
        return answer_error(c);
    w.want_body = c->prefs.ret == SB_RETURN_REPRESENTATION;
    w.missing_default = c->prefs.missing_default;
    w.conflict = c->prefs.resolution == SB_RESOLUTION_MERGE    ? SB_CONFLICT_MERGE
                 : c->prefs.resolution == SB_RESOLUTION_IGNORE ? SB_CONFLICT_IGNORE
                                                               : SB_CONFLICT_NONE;
    if (json_is_array(body) && json_array_size(body) == 0) {
        struct sb_rest_outcome none = { -1, 0, "[]" };
        return sb_rest_respond_written(c->req, c->accept, &c->prefs, true, &none);
    }
    bool locate = c->prefs.ret == SB_RETURN_HEADERS_ONLY && t->pkey_count > 0;
    if (locate) {
        select_primary_key(c, t);
        w.want_body = true;
    }
    struct sb_rest_sql sql;
    if (!sb_rest_sql_insert(c->req->arena, c->cache, t, &c->query, &w, &sql, &c->err))
        return answer_error(c);
    answer_write(c, &sql, true, locate ? t : NULL);
}

static void table_update(struct call *c, const struct sb_cache_table *t)
{
    struct sb_rest_write w = { 0 };
    if (!read_body(c, false, &w))
        return answer_error(c);
    w.want_body = c->prefs.ret == SB_RETURN_REPRESENTATION;
    if (w.column_count == 0) {
        struct sb_rest_outcome none = { -1, 0, "[]" };
        return sb_rest_respond_written(c->req, c->accept, &c->prefs, false, &none);
    }
    struct sb_rest_sql sql;
    if (!sb_rest_sql_update(c->req->arena, c->cache, t, &c->query, &w, &sql, &c->err))
        return answer_error(c);
    answer_write(c, &sql, false, NULL);
}

static void table_delete(struct call *c, const struct sb_cache_table *t)
{
    struct sb_rest_sql sql;
    if (!sb_rest_sql_delete(c->req->arena, c->cache, t, &c->query, c->prefs.ret == SB_RETURN_REPRESENTATION, &sql,
                            &c->err))
        return answer_error(c);
    answer_write(c, &sql, false, NULL);
}

static bool is_pkey_column(const struct sb_cache_table *t, const char *name)
{
    for (int i = 0; i < t->pkey_count; i++)
        if (strcmp(t->pkey[i], name) == 0)
            return true;
    return false;
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

/* PUT names one row: each primary key column once with eq, nothing else, and the body holds
 * the same values. */
static bool put_names_one_row(struct call *c, const struct sb_cache_table *t, json_t *body)
{
    const struct sb_rest_scope *top = &c->query.scopes[0];
    bool ok = t->pkey_count > 0 && c->query.scope_count == 1 && top->cond_count == t->pkey_count;
    for (int i = 0; ok && i < top->cond_count; i++) {
        const struct sb_rest_cond *f = &top->conds[i];
        ok = f->kind == SB_COND_LEAF && !f->negate && f->op == SB_OP_EQ && f->quant == SB_QUANT_NONE &&
             f->field.path_len == 0 && is_pkey_column(t, f->field.name);
        for (int j = 0; ok && j < i; j++)
            ok = strcmp(top->conds[j].field.name, f->field.name) != 0;
    }
    if (!ok)
        return sb_rest_fail(&c->err, 405, "PGRST105", "Filters must include all and only primary key columns with "
                            "'eq' operators", NULL, NULL);
    if (top->limit >= 0 || top->offset > 0)
        return sb_rest_fail(&c->err, 400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT",
                            NULL, NULL);
    for (int i = 0; i < top->cond_count; i++)
        if (!body_value_is(body, top->conds[i].field.name, top->conds[i].value))
            return sb_rest_fail(&c->err, 400, "PGRST115", "Payload values do not match URL in primary key column(s)",
                                NULL, NULL);
    return true;
}

/* PUT ?pk=eq.v with the whole row: insert it, or replace the columns given if it exists. */
static void table_put(struct call *c, const struct sb_cache_table *t)
{
    struct sb_rest_write w = { 0 };
    json_t *body = read_body(c, false, &w);
    if (!body || !put_names_one_row(c, t, body))
        return answer_error(c);
    w.want_body = c->prefs.ret == SB_RETURN_REPRESENTATION;
    w.conflict = SB_CONFLICT_MERGE;
    struct sb_rest_query q = c->query;         /* the filters named the row; the insert needs none */
    struct sb_rest_scope top = q.scopes[0];
    top.cond_count = 0;
    q.scopes = &top;
    q.on_conflict_count = 0;
    struct sb_rest_sql sql;
    if (!sb_rest_sql_insert(c->req->arena, c->cache, t, &q, &w, &sql, &c->err))
        return answer_error(c);
    answer_write(c, &sql, false, NULL);
}

static void serve_table(struct call *c, const char *name)
{
    struct sb_request *req = c->req;
    const struct sb_cache_table *t = sb_cache_table(c->cache, name);
    if (!t) {
        unknown_relation(c, name);
        return answer_error(c);
    }
    if (!sb_rest_parse_query(req->arena, req->query, req->query_count, NULL, NULL, &c->query, &c->err))
        return answer_error(c);
    if (is_read(req))
        table_read(c, t);
    else if (strcmp(req->method, "POST") == 0)
        table_insert(c, t);
    else if (strcmp(req->method, "PATCH") == 0)
        table_update(c, t);
    else if (strcmp(req->method, "DELETE") == 0)
        table_delete(c, t);
    else if (strcmp(req->method, "PUT") == 0)
        table_put(c, t);
    else {
        sb_rest_fail(&c->err, 405, "PGRST101", "Unsupported HTTP method", req->method, NULL);
        answer_error(c);
    }
}

/* ---- functions ------------------------------------------------------------------------------ */

struct rpc_args {
    int count;
    const char **names;
    const char **values;         /* NULL = SQL NULL */
};

/* Text for an argument: strings as they are, arrays as {..} for array types, else JSON. */
static const char *arg_text(struct sb_arena *arena, json_t *v, const char *type)
{
    if (json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return sb_arena_strdup(arena, json_string_value(v));
    size_t tl = strlen(type);
    if (json_is_array(v) && tl > 2 && strcmp(type + tl - 2, "[]") == 0) {
        const char **elems = sb_arena_alloc(arena, sizeof *elems * (json_array_size(v) + 1));
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) elems[i] = arg_text(arena, e, "");
        for (i = 0; i < json_array_size(v); i++)
            if (!elems[i])
                elems[i] = "";
        return sb_rest_array_literal(arena, elems, (int)json_array_size(v));
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    const char *copy = sb_arena_strdup(arena, text ? text : "null");
    free(text);
    return copy;
}

static bool has_arg(const struct sb_cache_function *f, const char *name)
{
    for (int i = 0; i < f->arg_count; i++)
        if (strcmp(f->args[i].name, name) == 0)
            return true;
    return false;
}

/* The function named name whose arguments fit the given names (every given name is an
 * argument, every argument without a default is given). */
/* A function of one unnamed json/jsonb argument, which takes a POST body whole. */
static const struct sb_cache_function *whole_body_function(const struct sb_schema_cache *cache, const char *name)
{
    for (int i = 0; i < cache->function_count; i++) {
        const struct sb_cache_function *f = &cache->functions[i];
        if (strcmp(f->name, name) == 0 && f->arg_count == 1 && f->args[0].name[0] == '\0' &&
            (strcmp(f->args[0].type, "json") == 0 || strcmp(f->args[0].type, "jsonb") == 0))
            return f;
    }
    return NULL;
}

static const struct sb_cache_function *choose_function(struct call *c, const char *name, const struct rpc_args *a)
{
    const struct sb_cache_function *chosen = NULL;
    int matches = 0;
    for (int i = 0; i < c->cache->function_count; i++) {
        const struct sb_cache_function *f = &c->cache->functions[i];
        if (strcmp(f->name, name) != 0)
            continue;
        bool fits = true;
        for (int k = 0; k < a->count && fits; k++)
            fits = has_arg(f, a->names[k]);
        for (int k = 0; k < f->arg_count && fits; k++) {
            bool given = false;
            for (int j = 0; j < a->count; j++)
                given = given || strcmp(a->names[j], f->args[k].name) == 0;
            fits = given || f->args[k].has_default;
        }
        if (fits) {
            chosen = f;
            matches++;
        }
    }
    if (matches == 1)
        return chosen;
    struct sb_buf names;
    sb_buf_init(&names, c->req->arena);
    for (int k = 0; k < a->count; k++)
        sb_buf_printf(&names, "%s%s", k ? ", " : "", a->names[k]);
    if (matches > 1)
        sb_rest_fail(&c->err, 300, "PGRST203",
                     sb_arena_printf(c->req->arena, "Could not choose the best candidate function between several "
                                                    "overloads of public.%s", name),
                     NULL, "Try renaming the parameters or the function itself in the database");
    else
        sb_rest_fail(&c->err, 404, "PGRST202",
                     sb_arena_printf(c->req->arena, "Could not find the function public.%s(%s) in the schema cache",
                                     name, names.data),
                     a->count ? sb_arena_printf(c->req->arena, "Searched for the function public.%s with parameters "
                                                               "%s", name, names.data)
                              : sb_arena_printf(c->req->arena, "Searched for the function public.%s without "
                                                               "parameters", name),
                     NULL);
    return NULL;
}

static const char *arg_type(const struct sb_cache_function *f, const char *name)
{
    for (int i = 0; i < f->arg_count; i++)
        if (strcmp(f->args[i].name, name) == 0)
            return f->args[i].type;
    return "";
}

/* Is key an argument name of any function called name? (GET: arguments vs filters) */
struct arg_probe {
    const struct sb_schema_cache *cache;
    const char *fn;
};

static bool key_is_argument(const char *key, void *ctx)
{
    const struct arg_probe *p = ctx;
    for (int i = 0; i < p->cache->function_count; i++) {
        const struct sb_cache_function *f = &p->cache->functions[i];
        if (strcmp(f->name, p->fn) == 0 && has_arg(f, key))
            return true;
    }
    return false;
}

static bool collect_get_args(struct call *c, const char *name, struct rpc_args *a)
{
    struct sb_request *req = c->req;
    struct arg_probe probe = { c->cache, name };
    a->names = sb_arena_alloc(req->arena, sizeof *a->names * (size_t)(req->query_count + 1));
    a->values = sb_arena_alloc(req->arena, sizeof *a->values * (size_t)(req->query_count + 1));
    for (int i = 0; i < req->query_count; i++) {
        if (!key_is_argument(req->query[i].key, &probe))
            continue;
        a->names[a->count] = req->query[i].key;
        a->values[a->count++] = req->query[i].value;
    }
    return sb_rest_parse_query(req->arena, req->query, req->query_count, key_is_argument, &probe, &c->query, &c->err);
}

/* POST: the body's keys are the arguments; values become text once the function is known. */
static json_t *collect_post_args(struct call *c, struct rpc_args *a)
{
    struct sb_request *req = c->req;
    json_error_t jerr;
    json_t *body = req->body_len ? json_loadb(req->body, req->body_len, 0, &jerr) : json_object();
    if (!json_is_object(body)) {
        json_decref(body);
        sb_rest_fail(&c->err, 400, "PGRST102", "Empty or invalid json", "Expected a JSON object of arguments", NULL);
        return NULL;
    }
    sb_arena_defer(req->arena, free_json, body);
    size_t n = json_object_size(body);
    a->names = sb_arena_alloc(req->arena, sizeof *a->names * (n + 1));
    a->values = sb_arena_alloc(req->arena, sizeof *a->values * (n + 1));
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) a->names[a->count++] = key;
    if (!sb_rest_parse_query(req->arena, req->query, req->query_count, NULL, NULL, &c->query, &c->err))
        return NULL;
    return body;
}

static void answer_rpc(struct call *c, const struct sb_cache_function *f, const struct sb_rest_outcome *o)
{
    struct sb_request *req = c->req;
    if (f->returns == SB_RETURNS_VOID) {
        sb_respond(req, 204, NULL, "", 0);
        return;
    }
    bool rows = f->returns_set || f->returns == SB_RETURNS_ROWS;
    if (!rows) {
        const char *body = o->body ? o->body : "null";
        sb_respond(req, 200, "application/json; charset=utf-8", body, strlen(body));
        return;
    }
    if (!f->returns_set) {      /* one composite value: an object (or null) */
        const char *body = o->count == 1 ? sb_rest_unwrap_single(req->arena, o->body) : "null";
        sb_respond(req, 200, "application/json; charset=utf-8", body, strlen(body));
        return;
    }
    if (c->accept == SB_ACCEPT_OBJECT && o->count != 1) {
        sb_rest_fail_singular(&c->err, req->arena, o->count);
        return answer_error(c);
    }
    sb_rest_respond_rows(req, c->accept, &c->prefs, c->query.scopes[0].offset, o);
}

static void serve_rpc(struct call *c, const char *name)
{
    struct sb_request *req = c->req;
    if (!is_read(req) && strcmp(req->method, "POST") != 0) {
        sb_rest_fail(&c->err, 405, "PGRST101", "Only GET, HEAD and POST are allowed for functions", NULL, NULL);
        return answer_error(c);
    }
    struct rpc_args a = { 0 };
    json_t *body = NULL;
    if (is_read(req) ? !collect_get_args(c, name, &a) : !(body = collect_post_args(c, &a)))
        return answer_error(c);
    const struct sb_cache_function *whole = body ? whole_body_function(c->cache, name) : NULL;
    const struct sb_cache_function *f = whole ? whole : choose_function(c, name, &a);
    if (!f)
        return answer_error(c);
    struct sb_rest_rpc_arg *args = sb_arena_alloc(req->arena, sizeof *args * (size_t)(a.count + 1));
    if (whole) {
        args[0].name = "";
        args[0].value = req->body_len ? req->body : "{}";
        a.count = 1;
    }
    for (int i = 0; !whole && i < a.count; i++) {
        args[i].name = a.names[i];
        args[i].value = body ? arg_text(req->arena, json_object_get(body, a.names[i]), arg_type(f, a.names[i]))
                             : a.values[i];
    }
    apply_range_header(c);
    struct sb_rest_sql sql;
    struct sb_rest_outcome o;
    if (!sb_rest_sql_rpc(req->arena, c->cache, f, args, a.count, &c->query, wants_total(c), &sql, &c->err))
        return answer_error(c);
    bool read_only = is_read(req) && f->volatility == 'v';   /* stable/immutable ones cannot write */
    if (!(read_only ? run_read_only(c, &sql, &o) : run(c, &sql, &o)))
        return answer_error(c);
    answer_rpc(c, f, &o);
}

/* ---- the route --------------------------------------------------------------------------------- */

/* GET /rest/v1/: the exposed tables and functions (a small description, not OpenAPI). */
static void serve_root(struct call *c)
{
    struct sb_buf b;
    sb_buf_init(&b, c->req->arena);
    sb_buf_append(&b, "{\"tables\":[");
    for (int i = 0; i < c->cache->table_count; i++) {
        sb_buf_append(&b, i ? "," : "");
        sb_buf_append_json_string(&b, c->cache->tables[i].name);
    }
    sb_buf_append(&b, "]}");
    sb_respond_json(c->req, 200, b.data);
}

static void handle(struct sb_request *req)
{
    struct call c;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.cache = sb_schema_cache_acquire();
    if (!c.cache) {
        sb_rest_fail(&c.err, 503, "PGRST002", "Could not query the database for the schema cache. Retrying.", NULL,
                     NULL);
        return answer_error(&c);
    }
    sb_arena_defer(req->arena, release_cache, (void *)c.cache);
    if (!check_headers(&c))
        return answer_error(&c);
    const char *rest = req->path + strlen(PREFIX);
    if (*rest && *rest != '/') {
        sb_rest_fail(&c.err, 404, "PGRST125", "Invalid path specified in request URL", NULL, NULL);
        return answer_error(&c);
    }
    while (*rest == '/')
        rest++;
    if (!*rest)
        return serve_root(&c);
    if (strncmp(rest, "rpc/", 4) == 0 && rest[4] && !strchr(rest + 4, '/'))
        return serve_rpc(&c, rest + 4);
    if (strchr(rest, '/')) {
        sb_rest_fail(&c.err, 404, "PGRST125", "Invalid path specified in request URL", NULL, NULL);
        return answer_error(&c);
    }
    serve_table(&c, rest);
}

void sb_rest_register(void)
{
    static const struct sb_route route = { .method = NULL, .prefix = PREFIX, .handle = handle };
    sb_router_add(&route);
    if (sb_db_conninfo())
        sb_schema_cache_start(sb_db_conninfo());
}
