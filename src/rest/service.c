/*
 * service: the route of /rest/v1, and a request through the data API's stages: plan
 * (plan.h, which parses the query string with parse.h), execute (execute.h, which writes the
 * statement with query.h and runs it), respond (respond.h). Each request ends in exactly one
 * response.
 */
#include "rest/service.h"

#include "base/call.h"
#include "http/router.h"
#include "rest/errors.h"
#include "rest/execute.h"
#include "rest/plan.h"
#include "rest/respond.h"
#include "rest/schema_cache.h"
#include "util/buf.h"

#include <string.h>

#define PREFIX "/rest/v1"

enum target { TARGET_ROOT, TARGET_TABLE, TARGET_FUNCTION };

static void release_cache(void *cache)
{
    sb_schema_cache_release(cache);
}

/* The parts of the HTTP request the planner reads. */
static void read_request(const struct sb_request *req, struct sb_rest_request *r)
{
    memset(r, 0, sizeof *r);
    r->method = req->method;
    r->query = req->query;
    r->query_count = req->query_count;
    r->body = req->body;
    r->body_len = req->body_len;
    r->prefer = sb_request_header(req, "Prefer");
    r->accept = sb_request_header(req, "Accept");
    r->range = sb_request_header(req, "Range");
    r->accept_profile = sb_request_header(req, "Accept-Profile");
    r->content_profile = sb_request_header(req, "Content-Profile");
}

/* The role and claims to run as are the call's: the token's, or anon without one; a refused
 * token is PGRST301. */
static bool identified(const struct sb_call *call, struct sb_error *err)
{
    return call->token != SB_AUTH_INVALID || sb_rest_fail_token(err, call->token_refused);
}

/* What the path names after /rest/v1: nothing (the root), rpc/<function> or <table>;
 * anything else is PGRST125. */
static bool route_path(const char *path, enum target *target, const char **name, struct sb_error *err)
{
    const char *rest = path + strlen(PREFIX);
    if (*rest && *rest != '/')
        return sb_rest_fail_path(err);
    while (*rest == '/')
        rest++;
    *name = rest;
    *target = TARGET_TABLE;
    if (!*rest) {
        *target = TARGET_ROOT;
    } else if (strncmp(rest, "rpc/", 4) == 0 && rest[4] && !strchr(rest + 4, '/')) {
        *target = TARGET_FUNCTION;
        *name = rest + 4;
    } else if (strchr(rest, '/')) {
        return sb_rest_fail_path(err);
    }
    return true;
}

/* GET /rest/v1/: the exposed tables (a small description, not OpenAPI). */
static void serve_root(struct sb_request *req, const struct sb_schema_cache *cache)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"tables\":[");
    for (int i = 0; i < cache->table_count; i++) {
        sb_buf_append(&b, i ? "," : "");
        sb_buf_append_json_string(&b, cache->tables[i].name);
    }
    sb_buf_append(&b, "]}");
    sb_respond_json(req, 200, b.data);
}

/* Plan, execute, respond; the first stage that refuses fills call->error. */
static bool serve(struct sb_call *call, const struct sb_schema_cache *cache)
{
    struct sb_request *req = call->req;
    struct sb_arena *arena = req->arena;
    struct sb_error *err = &call->error;
    struct sb_rest_request r;
    struct sb_rest_plan plan;
    enum target target;
    const char *name;
    read_request(req, &r);
    if (!sb_rest_plan_headers(arena, &r, &plan, err) || !identified(call, err) ||
        !route_path(req->path, &target, &name, err))
        return false;
    if (target == TARGET_ROOT) {
        serve_root(req, cache);
        return true;
    }
    bool planned = target == TARGET_FUNCTION ? sb_rest_plan_rpc(arena, cache, &r, name, &plan, err)
                                             : sb_rest_plan_table(arena, cache, &r, name, &plan, err);
    struct sb_rest_outcome o;
    if (!planned || !sb_rest_execute(call, &plan, &o))
        return false;
    return sb_rest_respond(req, &plan, &o, err);
}

static void handle(struct sb_request *req)
{
    struct sb_call *call = sb_call_of(req, &sb_rest_service);
    const struct sb_schema_cache *cache = sb_schema_cache_acquire();
    if (!cache) {
        sb_rest_fail_no_schema_cache(&call->error);
        sb_call_respond_error(call);
        return;
    }
    sb_arena_defer(req->arena, release_cache, (void *)cache);
    call->state = (void *)cache;
    if (!serve(call, cache))
        sb_call_respond_error(call);
}

void sb_rest_register(void)
{
    static const struct sb_route route = { .method = NULL, .prefix = PREFIX, .handle = handle };
    sb_router_add(&route);
    if (sb_db_conninfo())
        sb_schema_cache_start(sb_db_conninfo());
}
