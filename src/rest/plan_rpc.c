/*
 * plan_rpc: the plan of a function call (/rest/v1/rpc/<fn>): the arguments given (GET: the
 * query parameters named like an argument of some overload; POST: the keys of the JSON body),
 * the one overload they fit (PGRST202 none, PGRST203 several), each argument as text for its
 * type, and the plan of the returned rows when the function returns rows.
 */
#include "rest/plan.h"

#include "rest/query.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The arguments as given: names, and for GET their text (POST's come from the body). */
struct given_args {
    int count;
    const char **names;
    const char **values;
};

static const struct sb_cache_arg *arg_named(const struct sb_cache_function *f, const char *name)
{
    for (int i = 0; i < f->arg_count; i++)
        if (strcmp(f->args[i].name, name) == 0)
            return &f->args[i];
    return NULL;
}

/* ---- the arguments given -------------------------------------------------------------------- */

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
        if (strcmp(f->name, p->fn) == 0 && arg_named(f, key))
            return true;
    }
    return false;
}

static bool collect_get_args(struct sb_arena *arena, const struct sb_schema_cache *cache,
                             const struct sb_rest_request *r, const char *name, struct given_args *a,
                             struct sb_rest_query *q, struct sb_error *err)
{
    struct arg_probe probe = { cache, name };
    a->names = sb_arena_alloc(arena, sizeof *a->names * (size_t)(r->query_count + 1));
    a->values = sb_arena_alloc(arena, sizeof *a->values * (size_t)(r->query_count + 1));
    for (int i = 0; i < r->query_count; i++) {
        if (!key_is_argument(r->query[i].key, &probe))
            continue;
        a->names[a->count] = r->query[i].key;
        a->values[a->count++] = r->query[i].value;
    }
    return sb_rest_parse_query(arena, r->query, r->query_count, key_is_argument, &probe, q, err);
}

/* POST: the body's keys are the arguments; values become text once the function is known. */
static json_t *collect_post_args(struct sb_arena *arena, const struct sb_rest_request *r, struct given_args *a,
                                 struct sb_rest_query *q, struct sb_error *err)
{
    json_error_t jerr;
    json_t *body = r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr) : json_object();
    if (!json_is_object(body)) {
        json_decref(body);
        sb_rest_fail_body(err, "Expected a JSON object of arguments");
        return NULL;
    }
    sb_arena_defer(arena, sb_json_release, body);
    size_t n = json_object_size(body);
    a->names = sb_arena_alloc(arena, sizeof *a->names * (n + 1));
    a->values = sb_arena_alloc(arena, sizeof *a->values * (n + 1));
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) a->names[a->count++] = key;
    if (!sb_rest_parse_query(arena, r->query, r->query_count, NULL, NULL, q, err))
        return NULL;
    return body;
}

/* ---- the overload ----------------------------------------------------------------------------- */

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

/* Every given name is an argument of f, and every argument of f without a default is given. */
static bool fits(const struct sb_cache_function *f, const struct given_args *a)
{
    for (int k = 0; k < a->count; k++)
        if (!arg_named(f, a->names[k]))
            return false;
    for (int k = 0; k < f->arg_count; k++) {
        bool given = false;
        for (int j = 0; j < a->count; j++)
            given = given || strcmp(a->names[j], f->args[k].name) == 0;
        if (!given && !f->args[k].has_default)
            return false;
    }
    return true;
}

/* The one function called name that the given arguments fit. */
static const struct sb_cache_function *choose_function(struct sb_arena *arena, const struct sb_schema_cache *cache,
                                                       const char *name, const struct given_args *a,
                                                       struct sb_error *err)
{
    const struct sb_cache_function *chosen = NULL;
    int matches = 0;
    for (int i = 0; i < cache->function_count; i++) {
        const struct sb_cache_function *f = &cache->functions[i];
        if (strcmp(f->name, name) == 0 && fits(f, a)) {
            chosen = f;
            matches++;
        }
    }
    if (matches == 1)
        return chosen;
    if (matches > 1) {
        sb_rest_fail_ambiguous_function(err, arena, name);
        return NULL;
    }
    struct sb_buf names;
    sb_buf_init(&names, arena);
    for (int k = 0; k < a->count; k++)
        sb_buf_printf(&names, "%s%s", k ? ", " : "", a->names[k]);
    sb_rest_fail_no_function(err, arena, name, names.data, a->count);
    return NULL;
}

/* ---- the arguments' values ------------------------------------------------------------------ */

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

/* Each argument with f's name and type for it; the whole-body function gets the body. */
static void plan_args(struct sb_arena *arena, const struct sb_rest_request *r, const struct sb_cache_function *f,
                      bool whole, const struct given_args *a, json_t *body, struct sb_plan_call *call)
{
    call->args = sb_arena_alloc(arena, sizeof *call->args * (size_t)(a->count + 1));
    if (whole) {
        call->args[0] = (struct sb_plan_arg){ f->args[0].name, f->args[0].type, r->body_len ? r->body : "{}" };
        call->arg_count = 1;
        return;
    }
    for (int i = 0; i < a->count; i++) {
        const struct sb_cache_arg *arg = arg_named(f, a->names[i]);
        call->args[i].name = arg->name;
        call->args[i].type = arg->type;
        call->args[i].value = body ? arg_text(arena, json_object_get(body, a->names[i]), arg->type) : a->values[i];
    }
    call->arg_count = a->count;
}

bool sb_rest_plan_rpc(struct sb_arena *arena, const struct sb_schema_cache *cache, const struct sb_rest_request *r,
                      const char *name, struct sb_rest_plan *plan, struct sb_error *err)
{
    bool read = sb_rest_request_is_read(r);
    if (!read && strcmp(r->method, "POST") != 0)
        return sb_rest_fail_function_method(err);
    struct given_args a = { 0 };
    struct sb_rest_query *q = sb_arena_alloc(arena, sizeof *q);
    json_t *body = NULL;
    if (read ? !collect_get_args(arena, cache, r, name, &a, q, err) : !(body = collect_post_args(arena, r, &a, q, err)))
        return false;
    const struct sb_cache_function *whole = body ? whole_body_function(cache, name) : NULL;
    const struct sb_cache_function *f = whole ? whole : choose_function(arena, cache, name, &a, err);
    if (!f)
        return false;
    plan->action = SB_PLAN_CALL;
    plan->call.function = f->name;
    plan->call.returns = f->returns;
    plan->call.returns_set = f->returns_set;
    plan_args(arena, r, f, whole != NULL, &a, body, &plan->call);
    sb_plan_apply_range(r->range, q);
    plan->total = plan->prefs.count != SB_COUNT_NONE ? SB_TOTAL_EXACT : SB_TOTAL_NONE;
    plan->read_only = read && f->volatility == 'v';    /* stable/immutable ones cannot write */
    plan->offset = q->scopes[0].offset;
    return f->returns != SB_RETURNS_ROWS || sb_plan_call_rows(arena, cache, f, q, plan, err);
}
