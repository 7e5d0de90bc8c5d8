/*
 * call: the call value of a request (call.h): identity, body, error, statements and
 * transactions that fill the error when they fail.
 */
#include "base/call.h"

#include "util/log.h"

#include <string.h>
#include <strings.h>

static void identify(struct sb_call *call, const struct sb_request *req)
{
    call->token = req->auth;
    if (req->auth == SB_AUTH_VALID) {
        call->identity.role = req->claims.role;
        call->identity.claims = req->claims.json;
        call->identity.sub = req->claims.sub;
    } else {
        call->token_refused = sb_jwt_status_message(req->auth_error);
        call->identity.role = "anon";
        call->identity.claims = "{\"role\":\"anon\"}";
    }
}

struct sb_call *sb_call_of(struct sb_request *req, const struct sb_service *service)
{
    if (req->call)
        return req->call;
    struct sb_call *call = sb_arena_alloc(req->arena, sizeof *call); /* zeroed */
    call->req = req;
    call->service = service;
    identify(call, req);
    req->call = call;
    return call;
}

bool sb_call_has_token(const struct sb_call *call)
{
    return call->token == SB_AUTH_VALID;
}

const struct sb_db_call *sb_call_service_role(void)
{
    static const struct sb_db_call service_role = { .role = "service_role",
                                                    .claims = "{\"role\":\"service_role\"}" };
    return &service_role;
}

/* ---- the body ---------------------------------------------------------------------------- */

void sb_json_release(void *json)
{
    json_decref(json);
}

static bool content_type_is_json(const char *type)
{
    if (!type)
        return false;
    while (*type == ' ')
        type++;
    return strncasecmp(type, "application/json", 16) == 0 && (type[16] == '\0' || type[16] == ';' || type[16] == ' ');
}

/* Fills *why_not with the service's words for a body that is not a JSON object. */
static json_t *refuse_body(struct sb_call *call, struct sb_error *why_not, const char *why)
{
    const struct sb_error *bad = &call->service->bad_body;
    const char *message = bad->message;
    if (!message)
        message = sb_arena_printf(call->req->arena, "Could not parse request body as JSON: %s", why);
    sb_error_set(why_not, bad->status, bad->code, message, NULL, NULL);
    return NULL;
}

static json_t *parse_body(struct sb_call *call, struct sb_error *why_not)
{
    struct sb_request *req = call->req;
    json_t *body = NULL;
    if (req->body_len == 0) {
        body = json_object();
    } else {
        if (call->service->body_needs_json_type && !content_type_is_json(sb_request_header(req, "Content-Type")))
            return refuse_body(call, why_not, "Content-Type must be application/json");
        json_error_t error;
        body = json_loadb(req->body, req->body_len, call->service->json_flags, &error);
        if (!body)
            return refuse_body(call, why_not, error.text);
    }
    sb_arena_defer(req->arena, sb_json_release, body);
    if (!json_is_object(body))
        return refuse_body(call, why_not, "expected an object");
    return body;
}

json_t *sb_call_body(struct sb_call *call)
{
    if (!call->body_read) {
        call->body_read = true;
        call->body = parse_body(call, &call->body_error);
    }
    if (!call->body)
        call->error = call->body_error;
    return call->body;
}

/* ---- the error ---------------------------------------------------------------------------- */

bool sb_call_fail(struct sb_call *call, int status, const char *code, const char *message)
{
    return sb_error_set(&call->error, status, code, message, NULL, NULL);
}

static void log_failure(struct sb_call *call, const struct sb_db_result *db)
{
    sb_log(SB_LOG_ERROR, sb_arena_printf(call->req->arena, "%s: %s", call->service->name,
                                         db->sqlstate ? "database error" : "unexpected failure"),
           "id", call->req->id, "sqlstate", db->sqlstate ? db->sqlstate : "", "error", db->message ? db->message : "",
           NULL);
}

bool sb_call_fail_db(struct sb_call *call, const struct sb_db_result *db)
{
    const struct sb_service *s = call->service;
    if (db->status == SB_DB_UNAVAILABLE) {
        call->error = db->busy && s->busy.code ? s->busy : s->unavailable;
        return false;
    }
    if (sb_sqlstate_rule_for(s->sqlstates, db->sqlstate)) {
        sb_error_from_sqlstate(s->sqlstates, db, call->identity.role, &call->error);
    } else {
        call->error = s->internal;
        call->error.sqlstate = db->sqlstate;
        if (!call->error.message)
            call->error.message = db->message ? db->message : "database error";
    }
    if (s->explain)
        s->explain(call, db);
    if (call->error.status >= 500)
        log_failure(call, db);
    return false;
}

void sb_call_respond_error(struct sb_call *call)
{
    call->service->write_error(call->req, &call->error);
}

/* ---- statements and transactions ------------------------------------------------------------ */

bool sb_call_run(struct sb_call *call, const struct sb_db_call *who, const char *sql, int nparams,
                 const char *const *params, struct sb_db_result *out)
{
    struct sb_db_call statement = who ? *who : call->identity;
    statement.sql = sql;
    statement.nparams = nparams;
    statement.params = params;
    memset(out, 0, sizeof *out);
    return sb_db_run(call->req->arena, &statement, out) == SB_DB_OK || sb_call_fail_db(call, out);
}

/* A failed step: the transaction is given up and the call says why. */
static bool step_failed(struct sb_call *call, const struct sb_db_result *db)
{
    sb_db_rollback();
    return sb_call_fail_db(call, db);
}

bool sb_call_begin(struct sb_call *call, const struct sb_db_call *who, struct sb_db_result *out)
{
    struct sb_db_result own;
    struct sb_db_result *r = out ? out : &own;
    memset(r, 0, sizeof *r);
    return sb_db_begin(call->req->arena, who ? who : &call->identity, r) == SB_DB_OK || step_failed(call, r);
}

bool sb_call_query(struct sb_call *call, const char *sql, int nparams, const char *const *params,
                   struct sb_db_result *out)
{
    memset(out, 0, sizeof *out);
    return sb_db_query(call->req->arena, sql, nparams, params, out) == SB_DB_OK || step_failed(call, out);
}

bool sb_call_commit(struct sb_call *call, struct sb_db_result *out)
{
    struct sb_db_result own;
    struct sb_db_result *r = out ? out : &own;
    memset(r, 0, sizeof *r);
    return sb_db_commit(call->req->arena, r) == SB_DB_OK || step_failed(call, r);
}

void sb_call_rollback(struct sb_call *call)
{
    (void)call;
    sb_db_rollback();
}
