/* base/call: one call value per request: identity from the verified token, the body parsed
 * once, one error written in the service's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/call.h"

static const struct sb_error *written;

static void write_error(struct sb_request *req, const struct sb_error *err)
{
    written = err;
    sb_respond_json(req, err->status, "{}");
}

static const struct sb_sqlstate_rule sqlstates[] = {
    { "23505", 409, 0, "Duplicate", "The resource already exists" },
    { "42501", 403, 401, "Unauthorized", NULL },
    { NULL, 0, 0, NULL, NULL },
};

static void explain(struct sb_call *call, const struct sb_db_result *db)
{
    if (db->table && strcmp(db->table, "buckets") == 0)
        sb_call_fail(call, 404, "Bucket not found", "Bucket not found");
}

static const struct sb_service service = {
    .name = "test",
    .write_error = write_error,
    .sqlstates = sqlstates,
    .unavailable = { 503, "Unavailable", "down", NULL, NULL, NULL },
    .busy = { 503, "Busy", "busy", NULL, NULL, NULL },
    .internal = { 500, "internal", "Internal Server Error", NULL, NULL, NULL },
    .bad_body = { 400, "bad_json", NULL, NULL, NULL, NULL },
    .json_flags = JSON_REJECT_DUPLICATES,
    .explain = explain,
};

static struct sb_request *request(const char *body)
{
    struct sb_arena *arena = sb_arena_new();
    struct sb_request *req = sb_arena_alloc(arena, sizeof *req);
    req->arena = arena;
    req->id = "test";
    req->body = body;
    req->body_len = strlen(body);
    return req;
}

static void done(struct sb_request *req)
{
    sb_arena_free(req->arena);
}

static void the_call_is_built_once_per_request(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    assert_ptr_equal(sb_call_of(req, &service), call);
    assert_ptr_equal(call->req, req);
    done(req);
}

static void a_verified_token_gives_its_role_claims_and_sub(void **state)
{
    struct sb_request *req = request("");
    req->auth = SB_AUTH_VALID;
    req->claims = (struct sb_jwt_claims){ .json = "{\"role\":\"authenticated\",\"sub\":\"u1\"}",
                                          .role = "authenticated", .sub = "u1" };
    struct sb_call *call = sb_call_of(req, &service);
    assert_true(sb_call_has_token(call));
    assert_string_equal(call->identity.role, "authenticated");
    assert_string_equal(call->identity.claims, req->claims.json);
    assert_string_equal(call->identity.sub, "u1");
    assert_null(call->token_refused);
    done(req);
}

static void without_a_token_the_caller_is_anon(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    assert_false(sb_call_has_token(call));
    assert_int_equal(call->token, SB_AUTH_NONE);
    assert_string_equal(call->identity.role, "anon");
    assert_string_equal(call->identity.claims, "{\"role\":\"anon\"}");
    assert_null(call->identity.sub);
    done(req);
}

static void a_refused_token_is_recorded_with_the_reason_not_answered(void **state)
{
    struct sb_request *req = request("");
    req->auth = SB_AUTH_INVALID;
    req->auth_error = SB_JWT_MALFORMED;
    struct sb_call *call = sb_call_of(req, &service);
    assert_int_equal(call->token, SB_AUTH_INVALID);
    assert_string_equal(call->token_refused, sb_jwt_status_message(SB_JWT_MALFORMED));
    assert_string_equal(call->identity.role, "anon");
    assert_int_equal(req->response.status, 0);
    done(req);
}

static void service_role_identity_names_its_role_in_the_claims(void **state)
{
    const struct sb_db_call *who = sb_call_service_role();
    assert_string_equal(who->role, "service_role");
    assert_string_equal(who->claims, "{\"role\":\"service_role\"}");
}

static void an_empty_body_is_an_empty_object(void **state)
{
    struct sb_request *req = request("");
    json_t *body = sb_call_body(sb_call_of(req, &service));
    assert_true(json_is_object(body));
    assert_int_equal(json_object_size(body), 0);
    done(req);
}

static void the_body_is_parsed_once(void **state)
{
    struct sb_request *req = request("{\"email\":\"a@example.com\"}");
    struct sb_call *call = sb_call_of(req, &service);
    json_t *body = sb_call_body(call);
    assert_string_equal(json_string_value(json_object_get(body, "email")), "a@example.com");
    assert_ptr_equal(sb_call_body(call), body);
    done(req);
}

static void a_body_that_is_not_json_fills_the_error_with_the_parsers_reason(void **state)
{
    struct sb_request *req = request("{\"email\":");
    struct sb_call *call = sb_call_of(req, &service);
    assert_null(sb_call_body(call));
    assert_int_equal(call->error.status, 400);
    assert_string_equal(call->error.code, "bad_json");
    assert_true(strncmp(call->error.message, "Could not parse request body as JSON: ", 38) == 0);
    call->error = (struct sb_error){ 0 };
    assert_null(sb_call_body(call));                 /* asked again: refused again */
    assert_string_equal(call->error.code, "bad_json");
    done(req);
}

static void a_body_that_is_not_an_object_is_refused(void **state)
{
    struct sb_request *req = request("[1,2]");
    struct sb_call *call = sb_call_of(req, &service);
    assert_null(sb_call_body(call));
    assert_string_equal(call->error.message, "Could not parse request body as JSON: expected an object");
    done(req);
}

static void the_services_decoding_flags_apply(void **state)
{
    struct sb_request *req = request("{\"a\":1,\"a\":2}");
    struct sb_call *call = sb_call_of(req, &service);
    assert_null(sb_call_body(call));                 /* JSON_REJECT_DUPLICATES */
    done(req);
}

static void a_service_with_its_own_words_for_a_bad_body_uses_them(void **state)
{
    struct sb_service plain = service;
    plain.bad_body = (struct sb_error){ 400, "InvalidRequest", "The request body must be a JSON object", NULL, NULL, NULL };
    plain.json_flags = 0;
    struct sb_request *req = request("nope");
    struct sb_call *call = sb_call_of(req, &plain);
    assert_null(sb_call_body(call));
    assert_string_equal(call->error.code, "InvalidRequest");
    assert_string_equal(call->error.message, "The request body must be a JSON object");
    done(req);
}

static void a_refusal_of_the_database_goes_through_the_services_table(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    struct sb_db_result db = { .status = SB_DB_ERROR, .sqlstate = "42501", .message = "permission denied" };
    assert_false(sb_call_fail_db(call, &db));
    assert_int_equal(call->error.status, 401);       /* the caller is anon */
    assert_string_equal(call->error.code, "Unauthorized");
    assert_string_equal(call->error.message, "permission denied");
    assert_string_equal(call->error.sqlstate, "42501");
    done(req);
}

static void the_service_may_say_more_than_its_table(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    struct sb_db_result db = { .status = SB_DB_ERROR, .sqlstate = "23503", .table = "buckets" };
    sb_call_fail_db(call, &db);
    assert_int_equal(call->error.status, 404);
    assert_string_equal(call->error.code, "Bucket not found");
    done(req);
}

static void an_unknown_sqlstate_or_none_is_the_services_internal_error(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    struct sb_db_result db = { .status = SB_DB_ERROR, .sqlstate = "XX000", .message = "secret detail" };
    sb_call_fail_db(call, &db);
    assert_int_equal(call->error.status, 500);
    assert_string_equal(call->error.code, "internal");
    assert_string_equal(call->error.message, "Internal Server Error");
    db.sqlstate = NULL;
    sb_call_fail_db(call, &db);
    assert_string_equal(call->error.code, "internal");
    done(req);
}

static void an_unreachable_or_exhausted_database_is_the_services_503(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    struct sb_db_result db = { .status = SB_DB_UNAVAILABLE };
    sb_call_fail_db(call, &db);
    assert_int_equal(call->error.status, 503);
    assert_string_equal(call->error.code, "Unavailable");
    db.busy = true;
    sb_call_fail_db(call, &db);
    assert_string_equal(call->error.code, "Busy");
    done(req);
}

static void the_error_is_written_in_the_services_shape(void **state)
{
    struct sb_request *req = request("");
    struct sb_call *call = sb_call_of(req, &service);
    assert_false(sb_call_fail(call, 422, "weak_password", "too short"));
    written = NULL;
    sb_call_respond_error(call);
    assert_ptr_equal(written, &call->error);
    assert_int_equal(req->response.status, 422);
    done(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_call_is_built_once_per_request),
        cmocka_unit_test(a_verified_token_gives_its_role_claims_and_sub),
        cmocka_unit_test(without_a_token_the_caller_is_anon),
        cmocka_unit_test(a_refused_token_is_recorded_with_the_reason_not_answered),
        cmocka_unit_test(service_role_identity_names_its_role_in_the_claims),
        cmocka_unit_test(an_empty_body_is_an_empty_object),
        cmocka_unit_test(the_body_is_parsed_once),
        cmocka_unit_test(a_body_that_is_not_json_fills_the_error_with_the_parsers_reason),
        cmocka_unit_test(a_body_that_is_not_an_object_is_refused),
        cmocka_unit_test(the_services_decoding_flags_apply),
        cmocka_unit_test(a_service_with_its_own_words_for_a_bad_body_uses_them),
        cmocka_unit_test(a_refusal_of_the_database_goes_through_the_services_table),
        cmocka_unit_test(the_service_may_say_more_than_its_table),
        cmocka_unit_test(an_unknown_sqlstate_or_none_is_the_services_internal_error),
        cmocka_unit_test(an_unreachable_or_exhausted_database_is_the_services_503),
        cmocka_unit_test(the_error_is_written_in_the_services_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
