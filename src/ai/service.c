/*
 * service: route table, error shape and caller identity of /functions/v1 (service.h).
 */
#include "ai/service.h"

#include "ai/embed_route.h"
#include "ai/tutor.h"

#include "http/router.h"
#include "util/buf.h"

#include <string.h>

/* ---- errors ----------------------------------------------------------------------------------- */

static void write_error(struct sb_request *req, const struct sb_error *err)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"code\":");
    sb_buf_append_json_string(&b, err->code);
    sb_buf_append(&b, ",\"message\":");
    sb_buf_append_json_string(&b, err->message);
    sb_buf_append(&b, "}");
    sb_respond_json(req, err->status, b.data);
}

static const struct sb_sqlstate_rule sqlstates[] = {
    { "42501", 403, 0, "forbidden", "not allowed by row-level security" },
    { "23503", 404, 0, "not_found", "a referenced row does not exist" },
    { "22P02", 400, 0, "invalid_input", NULL },
    { "23", 400, 0, "invalid_input", NULL },
    { "P0001", 400, 0, "invalid_input", NULL },
    { NULL, 0, 0, NULL, NULL },
};

static const struct sb_service functions_service = {
    .name = "functions",
    .write_error = write_error,
    .sqlstates = sqlstates,
    .unavailable = { 503, "database_unavailable", "The database is not available", NULL, NULL, NULL },
    .busy = { 503, "busy", "Every database session is busy; try again", NULL, NULL, NULL },
    .internal = { 500, "internal", "Internal Server Error", NULL, NULL, NULL },
    .bad_body = { 400, "bad_json", "The request body must be a JSON object", NULL, NULL, NULL },
    .json_flags = JSON_REJECT_DUPLICATES,
};

struct sb_call *sb_functions_call(struct sb_request *req)
{
    return sb_call_of(req, &functions_service);
}

void sb_functions_fail(struct sb_request *req, int status, const char *code, const char *message)
{
    struct sb_call *call = sb_functions_call(req);
    sb_call_fail(call, status, code, message);
    sb_call_respond_error(call);
}

/* ---- identity --------------------------------------------------------------------------------- */

bool sb_functions_identify(struct sb_request *req, bool need_user, const struct sb_db_call **who)
{
    struct sb_call *call = sb_functions_call(req);
    if (call->token == SB_AUTH_INVALID) {
        sb_functions_fail(req, 401, "invalid_token", call->token_refused);
        return false;
    }
    if (call->token == SB_AUTH_NONE) {
        sb_functions_fail(req, 401, "missing_token", "Send the anon key or a user's access token as Authorization: Bearer");
        return false;
    }
    if (need_user && !call->identity.sub) {
        sb_functions_fail(req, 401, "sign_in_required", "This function needs a signed-in user's access token");
        return false;
    }
    *who = &call->identity;
    return true;
}

/* ---- routes ----------------------------------------------------------------------------------- */

static void answer_unrouted(struct sb_request *req, int status)
{
    if (status == 405)
        sb_functions_fail(req, 405, "method_not_allowed", "Functions are called with POST");
    else
        sb_functions_fail(req, 404, "not_found", "No such function");
}

void sb_functions_register(void)
{
    static const struct sb_scope scope = { SB_FUNCTIONS_PREFIX, answer_unrouted };
    sb_router_add_scope(&scope);
    /* each function adds its route here */
    sb_ai_embed_routes();
    sb_ai_tutor_routes();
}
