/* rest/plan_rpc: a call of /rest/v1/rpc/<fn> planned against the schema cache (fixture.h):
 * the overload the given arguments fit, each argument as text for its type, the rows it
 * returns planned like a read, and how it runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fixture.h"

static struct sb_error err;
static struct sb_rest_plan plan;

static struct sb_rest_request request(const char *method, const char *query, const char *body)
{
    return fixture_request(fixture_arena, method, query, body);
}

static bool plan_call(struct sb_rest_request r, const char *function)
{
    memset(&err, 0, sizeof err);
    return sb_rest_plan_headers(fixture_arena, &r, &plan, &err) &&
           sb_rest_plan_rpc(fixture_arena, &fixture_cache, &r, function, &plan, &err);
}

static void argument_is(int i, const char *name, const char *type, const char *value)
{
    assert_true(i < plan.call.arg_count);
    assert_string_equal(plan.call.args[i].name, name);
    assert_string_equal(plan.call.args[i].type, type);
    if (value)
        assert_string_equal(plan.call.args[i].value, value);
    else
        assert_null(plan.call.args[i].value);
}

static void the_arguments_given_choose_the_overload(void **state)
{
    assert_true(plan_call(request("GET", "a=1&b=2", NULL), "add"));
    assert_int_equal(plan.action, SB_PLAN_CALL);
    assert_string_equal(plan.call.function, "add");
    assert_int_equal(plan.call.arg_count, 2);
    argument_is(0, "a", "integer", "1");
    argument_is(1, "b", "integer", "2");
    assert_true(plan_call(request("GET", "c=3&a=1&b=2", NULL), "add"));
    assert_int_equal(plan.call.arg_count, 3);
    argument_is(0, "c", "integer", "3");
}

static void no_overload_fitting_is_PGRST202_naming_what_was_searched(void **state)
{
    assert_false(plan_call(request("GET", "a=1", NULL), "add"));
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "PGRST202");
    assert_string_equal(err.message, "Could not find the function public.add(a) in the schema cache");
    assert_string_equal(err.details, "Searched for the function public.add with parameters a");
    assert_false(plan_call(request("POST", "", NULL), "nowhere"));
    assert_string_equal(err.details, "Searched for the function public.nowhere without parameters");
}

static void several_overloads_fitting_is_PGRST203(void **state)
{
    assert_false(plan_call(request("GET", "x=1", NULL), "pick"));
    assert_int_equal(err.status, 300);
    assert_string_equal(err.code, "PGRST203");
}

static void parameters_that_are_no_argument_filter_and_page_the_rows_returned(void **state)
{
    assert_true(plan_call(request("GET", "q=cat&name=eq.x&limit=2&select=name,chats(id)", NULL), "search"));
    assert_int_equal(plan.call.arg_count, 1);
    argument_is(0, "q", "text", "cat");
    const struct sb_plan_relation *rows = plan.target;
    assert_non_null(rows);
    assert_int_equal(rows->cond_count, 1);
    assert_string_equal(rows->conds[0].parsed->field.name, "name");
    assert_int_equal(rows->limit, 2);
    assert_string_equal(rows->outputs[1].embed->name, "chats");
    assert_false(plan_call(request("GET", "q=cat&select=nope", NULL), "search"));
    assert_string_equal(err.code, "42703");
    assert_string_equal(err.message, "column courses.nope does not exist");
}

static void a_post_body_gives_each_argument_as_text_for_its_type(void **state)
{
    assert_true(plan_call(request("POST", "", "{\"tags\":[\"a\",\"b c\",null]}"), "tag"));
    argument_is(0, "tags", "text[]", "{\"a\",\"b c\",\"\"}");
    assert_true(plan_call(request("POST", "", "{\"a\":1,\"b\":null}"), "add"));
    argument_is(0, "a", "integer", "1");
    argument_is(1, "b", "integer", NULL);
    assert_false(plan_call(request("POST", "", "[1]"), "add"));
    assert_string_equal(err.code, "PGRST102");
    assert_string_equal(err.details, "Expected a JSON object of arguments");
}

static void a_function_of_one_unnamed_json_argument_takes_the_body_whole(void **state)
{
    const char *body = "{\"anything\":[1,2]}";
    assert_true(plan_call(request("POST", "", body), "ingest"));
    assert_int_equal(plan.call.arg_count, 1);
    argument_is(0, "", "json", body);
    assert_true(plan_call(request("POST", "", NULL), "ingest"));
    argument_is(0, "", "json", "{}");
}

static void a_read_of_a_volatile_function_runs_read_only(void **state)
{
    assert_true(plan_call(request("GET", "", NULL), "touch"));
    assert_true(plan.read_only);
    assert_null(plan.target);
    assert_true(plan_call(request("POST", "", NULL), "touch"));
    assert_false(plan.read_only);
    assert_true(plan_call(request("HEAD", "q=x", NULL), "search"));    /* stable: cannot write anyway */
    assert_false(plan.read_only);
}

static void any_count_asked_of_a_call_is_counted_exactly(void **state)
{
    struct sb_rest_request r = request("GET", "q=x", NULL);
    r.prefer = "count=planned";
    assert_true(plan_call(r, "search"));
    assert_int_equal(plan.total, SB_TOTAL_EXACT);
    r.prefer = NULL;
    assert_true(plan_call(r, "search"));
    assert_int_equal(plan.total, SB_TOTAL_NONE);
}

static void functions_take_only_get_head_and_post(void **state)
{
    assert_false(plan_call(request("PATCH", "", "{}"), "touch"));
    assert_int_equal(err.status, 405);
    assert_string_equal(err.code, "PGRST101");
    assert_string_equal(err.message, "Only GET, HEAD and POST are allowed for functions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_arguments_given_choose_the_overload, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(no_overload_fitting_is_PGRST202_naming_what_was_searched, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(several_overloads_fitting_is_PGRST203, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(parameters_that_are_no_argument_filter_and_page_the_rows_returned, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(a_post_body_gives_each_argument_as_text_for_its_type, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_function_of_one_unnamed_json_argument_takes_the_body_whole, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_read_of_a_volatile_function_runs_read_only, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(any_count_asked_of_a_call_is_counted_exactly, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(functions_take_only_get_head_and_post, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
