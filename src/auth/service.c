/*
 * service: the /auth/v1 routes (each endpoint registered with the router, which dispatches),
 * the API key gate, who is calling, and SQL as service_role. Every answer of the service
 * carries X-Supabase-Api-Version: auth-js reads error codes from the body only when it sees
 * that header.
 */
#include "auth/service.h"

#include "auth/jwt.h"
#include "http/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PREFIX "/auth/v1"
#define API_VERSION "2024-01-01"
#define UUID_PATTERN "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

/* Every answer of the service says which API version it speaks. */
static bool announce(struct sb_request *req)
{
    sb_response_header(req, "X-Supabase-Api-Version", API_VERSION);
    return true;
}

/* Kong, in front of GoTrue in Supabase, refuses calls without a valid project key. */
static bool apikey_accepted(struct sb_request *req)
{
    announce(req);
    const char *key = sb_request_header(req, "apikey");
    if (!key || !*key) {
        if (sb_call_has_token(sb_auth_call(req))) /* a valid Bearer token stands in for the key */
            return true;
        sb_respond_json(req, 401, "{\"message\":\"No API key found in request\"}");
        return false;
    }
    struct sb_jwt_claims claims;
    if (sb_jwt_verify(req->arena, req->config->jwt_secret, key, NULL, &claims) != SB_JWT_OK) {
        sb_respond_json(req, 401, "{\"message\":\"Invalid API key\"}");
        return false;
    }
    return true;
}

/* Every endpoint passes the API key gate, except links opened in a browser from a mail. */
static const struct sb_route routes[] = {
    { .method = "POST", .path = PREFIX "/signup", .admit = apikey_accepted, .handle = sb_auth_handle_signup },
    { .method = "POST", .path = PREFIX "/token", .admit = apikey_accepted, .handle = sb_auth_handle_token },
    { .method = "GET", .path = PREFIX "/user", .admit = apikey_accepted, .handle = sb_auth_handle_get_user },
    { .method = "PUT", .path = PREFIX "/user", .admit = apikey_accepted, .handle = sb_auth_handle_put_user },
    { .method = "POST", .path = PREFIX "/logout", .admit = apikey_accepted, .handle = sb_auth_handle_logout },
    { .method = "GET", .path = PREFIX "/settings", .admit = apikey_accepted, .handle = sb_auth_handle_settings },
    { .method = "GET", .path = PREFIX "/health", .admit = apikey_accepted, .handle = sb_auth_handle_health },
    { .method = "POST", .path = PREFIX "/recover", .admit = apikey_accepted, .handle = sb_auth_handle_recover },
    { .method = "GET", .path = PREFIX "/verify", .admit = announce, .handle = sb_auth_handle_verify_get },
    { .method = "POST", .path = PREFIX "/verify", .admit = apikey_accepted, .handle = sb_auth_handle_verify_post },
    { .method = "POST", .path = PREFIX "/resend", .admit = apikey_accepted, .handle = sb_auth_handle_resend },
    { .method = "GET", .path = PREFIX "/admin/users",
      .admit = apikey_accepted, .handle = sb_auth_handle_admin_users },
    { .method = "POST", .path = PREFIX "/admin/users",
      .admit = apikey_accepted, .handle = sb_auth_handle_admin_users },
    { .method = "GET", .path = PREFIX "/admin/users/{id}",
      .admit = apikey_accepted, .handle = sb_auth_handle_admin_user },
    { .method = "PUT", .path = PREFIX "/admin/users/{id}",
      .admit = apikey_accepted, .handle = sb_auth_handle_admin_user },
    { .method = "DELETE", .path = PREFIX "/admin/users/{id}",
      .admit = apikey_accepted, .handle = sb_auth_handle_admin_user },
};

/* A path under /auth/v1 that no endpoint takes (with this method). */
static void unrouted(struct sb_request *req, int status)
{
    announce(req);
    if (status == 405)
        sb_auth_fail(req, 405, "method_not_allowed", "Method not allowed");
    else
        sb_auth_fail(req, 404, "not_found", "Not found");
}

void sb_auth_register(void)
{
    sb_router_add_scope(&(struct sb_scope){ .prefix = PREFIX, .unrouted = unrouted });
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        sb_router_add(&routes[i]);
}

/* ---- callers ---- */

/* The Bearer token's claims, or false after answering 401/403. */
static bool bearer_claims(struct sb_request *req)
{
    const char *authorization = sb_request_header(req, "Authorization");
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) {
        sb_auth_fail(req, 401, "no_authorization", "This endpoint requires a Bearer token");
        return false;
    }
    const struct sb_call *call = sb_auth_call(req);
    if (!sb_call_has_token(call)) {
        sb_auth_fail(req, 403, "bad_jwt", call->token_refused);
        return false;
    }
    return true;
}

bool sb_auth_require_user(struct sb_request *req, struct sb_auth_user *user)
{
    if (!bearer_claims(req))
        return false;
    const struct sb_jwt_claims *c = &req->claims;
    if (!c->sub || !*c->sub) {
        sb_auth_fail(req, 403, "bad_jwt", "invalid claim: missing sub claim");
        return false;
    }
    const char *params[] = { c->sub, c->session_id };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "SELECT (SELECT auth.sb_user_json(u) FROM auth.users u"
                    "         WHERE u.id = CASE WHEN $1 ~* '" UUID_PATTERN "' THEN $1::uuid END),"
                    "       $2::text IS NULL OR EXISTS (SELECT 1 FROM auth.sessions s"
                    "         WHERE s.id = CASE WHEN $2 ~* '" UUID_PATTERN "' THEN $2::uuid END"
                    "           AND s.user_id::text = $1)",
                    2, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return false;
    }
    const char *user_json = sb_auth_value(&db, 0);
    if (!user_json) {
        sb_auth_fail(req, 403, "user_not_found", "User from sub claim in JWT does not exist");
        return false;
    }
    if (strcmp(sb_auth_value(&db, 1), "t") != 0) {
        sb_auth_fail(req, 403, "session_not_found", "Session from session_id claim in JWT does not exist");
        return false;
    }
    user->id = c->sub;
    user->session_id = c->session_id;
    user->user_json = user_json;
    return true;
}

bool sb_auth_require_admin(struct sb_request *req)
{
    if (!bearer_claims(req))
        return false;
    if (strcmp(req->claims.role, "service_role") != 0) {
        sb_auth_fail(req, 403, "not_admin", "User not allowed");
        return false;
    }
    return true;
}

/* ---- database ---- */

enum sb_db_status sb_auth_sql(struct sb_request *req, const char *sql, int nparams, const char *const *params,
                              struct sb_db_result *out)
{
    /* No claims: the server acts. Not sb_call_run: a refusal is often expected (a taken
     * address) and answered by the handler, so it must not be logged as a failure here. */
    struct sb_db_call call = { .role = "service_role", .sql = sql, .nparams = nparams, .params = params };
    return sb_db_run(req->arena, &call, out);
}

const char *sb_auth_value(const struct sb_db_result *r, int col)
{
    if (!r->rows || PQntuples(r->rows) < 1 || PQnfields(r->rows) <= col || PQgetisnull(r->rows, 0, col))
        return NULL;
    return PQgetvalue(r->rows, 0, col);
}

