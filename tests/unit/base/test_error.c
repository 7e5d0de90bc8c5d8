/* base/error: a service's SQLSTATE table decides status, code and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/error.h"

static const struct sb_sqlstate_rule table[] = {
    { "23505", 409, 0, "Duplicate", "The resource already exists" },
    { "42501", 403, 401, NULL, NULL },
    { "PT", SB_STATUS_IN_SQLSTATE, 0, NULL, NULL },
    { "23", 400, 0, "InvalidRequest", NULL },
    { NULL, 0, 0, NULL, NULL },
};

static struct sb_db_result refusal(const char *sqlstate)
{
    return (struct sb_db_result){ .status = SB_DB_ERROR, .sqlstate = sqlstate, .message = "the database's words",
                                  .detail = "detail", .hint = "hint" };
}

static void the_first_matching_line_decides(void **state)
{
    struct sb_db_result db = refusal("23505");
    struct sb_error err;
    assert_false(sb_error_from_sqlstate(table, &db, "authenticated", &err));
    assert_int_equal(err.status, 409);
    assert_string_equal(err.code, "Duplicate");
    assert_string_equal(err.message, "The resource already exists");
    assert_string_equal(err.sqlstate, "23505");
    assert_string_equal(err.details, "detail");
    assert_string_equal(err.hint, "hint");
}

static void a_class_line_matches_every_code_of_the_class_with_the_databases_message(void **state)
{
    struct sb_db_result db = refusal("23514");
    struct sb_error err;
    sb_error_from_sqlstate(table, &db, "authenticated", &err);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "InvalidRequest");
    assert_string_equal(err.message, "the database's words");
}

static void a_line_without_a_code_answers_with_the_sqlstate(void **state)
{
    struct sb_db_result db = refusal("42501");
    struct sb_error err;
    sb_error_from_sqlstate(table, &db, "authenticated", &err);
    assert_int_equal(err.status, 403);
    assert_string_equal(err.code, "42501");
}

static void anon_gets_the_lines_anon_status(void **state)
{
    struct sb_db_result db = refusal("42501");
    struct sb_error err;
    sb_error_from_sqlstate(table, &db, "anon", &err);
    assert_int_equal(err.status, 401);
}

static void a_status_can_come_from_the_sqlstate(void **state)
{
    struct sb_error err;
    struct sb_db_result db = refusal("PT402");
    sb_error_from_sqlstate(table, &db, NULL, &err);
    assert_int_equal(err.status, 402);
    db = refusal("PT999");
    sb_error_from_sqlstate(table, &db, NULL, &err);
    assert_int_equal(err.status, 500);
}

static void a_sqlstate_the_table_does_not_know_is_500(void **state)
{
    struct sb_db_result db = refusal("XX000");
    struct sb_error err;
    assert_null(sb_sqlstate_rule_for(table, "XX000"));
    assert_null(sb_sqlstate_rule_for(table, NULL));
    sb_error_from_sqlstate(table, &db, "anon", &err);
    assert_int_equal(err.status, 500);
    assert_string_equal(err.code, "XX000");
}

static void set_fills_every_field_and_returns_false(void **state)
{
    struct sb_error err = { .sqlstate = "23505" };
    assert_false(sb_error_set(&err, 404, "not_found", "Not found", "d", "h"));
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "Not found");
    assert_string_equal(err.details, "d");
    assert_string_equal(err.hint, "h");
    assert_null(err.sqlstate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_first_matching_line_decides),
        cmocka_unit_test(a_class_line_matches_every_code_of_the_class_with_the_databases_message),
        cmocka_unit_test(a_line_without_a_code_answers_with_the_sqlstate),
        cmocka_unit_test(anon_gets_the_lines_anon_status),
        cmocka_unit_test(a_status_can_come_from_the_sqlstate),
        cmocka_unit_test(a_sqlstate_the_table_does_not_know_is_500),
        cmocka_unit_test(set_fills_every_field_and_returns_false),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
