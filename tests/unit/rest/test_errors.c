/* rest/errors: PostgREST's SQLSTATE -> HTTP status table and the seed's CHECK messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rest/errors.h"

static void statuses_follow_postgrest(void **state)
{
    assert_int_equal(sb_rest_status_for_sqlstate("23505", "authenticated"), 409);
    assert_int_equal(sb_rest_status_for_sqlstate("23503", "authenticated"), 409);
    assert_int_equal(sb_rest_status_for_sqlstate("23514", "authenticated"), 400);
    assert_int_equal(sb_rest_status_for_sqlstate("23502", "authenticated"), 400);
    assert_int_equal(sb_rest_status_for_sqlstate("22P02", "authenticated"), 400);
    assert_int_equal(sb_rest_status_for_sqlstate("42501", "anon"), 401);
    assert_int_equal(sb_rest_status_for_sqlstate("42501", "authenticated"), 403);
    assert_int_equal(sb_rest_status_for_sqlstate("42P01", "anon"), 404);
    assert_int_equal(sb_rest_status_for_sqlstate("42883", "anon"), 404);
    assert_int_equal(sb_rest_status_for_sqlstate("25006", "anon"), 405);
    assert_int_equal(sb_rest_status_for_sqlstate("P0001", "anon"), 400);
    assert_int_equal(sb_rest_status_for_sqlstate("P0002", "anon"), 500);
    assert_int_equal(sb_rest_status_for_sqlstate("08006", "anon"), 503);
    assert_int_equal(sb_rest_status_for_sqlstate("53300", "anon"), 503);
    assert_int_equal(sb_rest_status_for_sqlstate("53400", "anon"), 500);
    assert_int_equal(sb_rest_status_for_sqlstate("57014", "anon"), 500);
    assert_int_equal(sb_rest_status_for_sqlstate("28000", "anon"), 403);
    assert_int_equal(sb_rest_status_for_sqlstate("PT404", "anon"), 404);
    assert_int_equal(sb_rest_status_for_sqlstate("PT999", "anon"), 500);
    assert_int_equal(sb_rest_status_for_sqlstate("22000", "anon"), 400);
    assert_int_equal(sb_rest_status_for_sqlstate(NULL, "anon"), 500);
}

static void a_commented_check_answers_with_its_comment(void **state)
{
    struct sb_cache_check checks[] = { { "courses", "courses_name_not_empty", "Course name is required" } };
    struct sb_schema_cache cache = { .check_count = 1, .checks = checks };
    struct sb_db_result db = { .status = SB_DB_ERROR, .sqlstate = "23514",
                               .message = "new row for relation \"courses\" violates check constraint",
                               .constraint = "courses_name_not_empty", .schema = "public", .table = "courses" };
    struct sb_error err;
    sb_rest_error_from_db(&db, "authenticated", &cache, &err);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "23514");
    assert_string_equal(err.message, "Course name is required");
    db.constraint = "other_check";
    sb_rest_error_from_db(&db, "authenticated", &cache, &err);
    assert_string_equal(err.message, db.message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statuses_follow_postgrest),
        cmocka_unit_test(a_commented_check_answers_with_its_comment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
