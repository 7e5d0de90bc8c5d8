/*
 * service: the /auth/v1 route, its dispatcher, the API key gate, who is calling, and SQL as
 * service_role. Every answer of the service carries X-Supabase-Api-Version: auth-js reads
 * error codes from the body only when it sees that header.
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

struct endpoint {
    const char *method;
    const char *path;       /* exact, or a prefix when it ends with '/' */
    bool needs_apikey;      /* false only for links opened in a browser */
    void (*handle)(struct sb_request *req);
};

static const struct endpoint endpoints[] = {
    { "POST", "/signup", true, sb_auth_handle_signup },
    { "POST", "/token", true, sb_auth_handle_token },
    { "GET", "/user", true, sb_auth_handle_get_user },
    { "PUT", "/user", true, sb_auth_handle_put_user },
    { "POST", "/logout", true, sb_auth_handle_logout },
    { "GET", "/settings", true, sb_auth_handle_settings },
    { "GET", "/health", true, sb_auth_handle_health },
    { "POST", "/recover", true, sb_auth_handle_recover },
    { "GET", "/verify", false, sb_auth_handle_verify_get },
    { "POST", "/verify", true, sb_auth_handle_verify_post },
    { "POST", "/resend", true, sb_auth_handle_resend },
    { "GET", "/admin/users", true, sb_auth_handle_admin_users },
    { "POST", "/admin/users", true, sb_auth_handle_admin_users },
    { "GET", "/admin/users/", true, sb_auth_handle_admin_user },
    { "PUT", "/admin/users/", true, sb_auth_handle_admin_user },
    { "DELETE", "/admin/users/", true, sb_auth_handle_admin_user },
};

static bool path_matches(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (pattern[n - 1] == '/')
        return strncmp(path, pattern, n) == 0 && path[n] != '\0' && !strchr(path + n, '/');
    return strcmp(path, pattern) == 0 || (strncmp(path, pattern, n) == 0 && strcmp(path + n, "/") == 0);
}

/* Kong, in front of GoTrue in Supabase, refuses calls without a valid project key. */
static bool apikey_accepted(struct sb_request *req)
{
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

static void dispatch(struct sb_request *req)
{
    sb_response_header(req, "X-Supabase-Api-Version", API_VERSION);
    const char *path = req->path + strlen(PREFIX);
    bool path_known = false;
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        const struct endpoint *e = &endpoints[i];
        if (!path_matches(e->path, path))
            continue;
        path_known = true;
        if (strcmp(e->method, req->method) != 0)
            continue;
        if (e->needs_apikey && !apikey_accepted(req))
            return;
        e->handle(req);
        return;
    }
    if (path_known)
        sb_auth_fail(req, 405, "method_not_allowed", "Method not allowed");
    else
        sb_auth_fail(req, 404, "not_found", "Not found");
}

void sb_auth_register(void)
{
    sb_router_add(&(struct sb_route){ .method = NULL, .prefix = PREFIX, .handle = dispatch });
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
    static const struct sb_db_call auth_role = { .role = "service_role" }; /* no claims: the server acts */
    sb_call_run(sb_auth_call(req), &auth_role, sql, nparams, params, out);
    return out->status;
}

const char *sb_auth_value(const struct sb_db_result *r, int col)
{
    if (!r->rows || PQntuples(r->rows) < 1 || PQnfields(r->rows) <= col || PQgetisnull(r->rows, 0, col))
        return NULL;
    return PQgetvalue(r->rows, 0, col);
}

const char *sb_auth_external_url(struct sb_request *req)
{
    const struct sb_config *c = req->config;
    if (c->api_external_url)
        return c->api_external_url;
    /* only before the server has told the config which port it bound */
    return sb_arena_printf(req->arena, "http://%s:%d", c->host, c->port);
}
