/* http/router: one table of routes: whole paths with {param} segments, prefixes, 405 vs 404,
 * and the scope that answers what no route takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void handle_a(struct sb_request *req) { (void)req; }
static void handle_b(struct sb_request *req) { (void)req; }
static void handle_c(struct sb_request *req) { (void)req; }
static void unrouted(struct sb_request *req, int status) { (void)req; (void)status; }

static int add_routes(void **state)
{
    sb_router_add(&(struct sb_route){ .method = "GET", .path = "/auth/v1/user", .handle = handle_a });
    sb_router_add(&(struct sb_route){ .method = "PUT", .path = "/auth/v1/user", .handle = handle_b });
    sb_router_add(&(struct sb_route){ .method = "GET", .path = "/auth/v1/admin/users", .handle = handle_a });
    sb_router_add(&(struct sb_route){ .method = "GET", .path = "/auth/v1/admin/users/{id}", .handle = handle_b });
    sb_router_add(&(struct sb_route){ .method = NULL, .prefix = "/rest/v1", .handle = handle_a });
    sb_router_add(&(struct sb_route){ .method = "POST", .prefix = "/storage/v1/object/", .handle = handle_a });
    sb_router_add(&(struct sb_route){ .method = "POST", .prefix = "/storage/v1/object/move", .handle = handle_b });
    sb_router_add(&(struct sb_route){ .method = "GET", .prefix = "/both/", .handle = handle_a });
    sb_router_add(&(struct sb_route){ .method = "GET", .path = "/both/exact", .handle = handle_c });
    sb_router_add_scope(&(struct sb_scope){ .prefix = "/auth/v1", .unrouted = unrouted });
    return 0;
}

static const struct sb_route *find(const char *method, const char *path, bool *known)
{
    return sb_router_find(method, path, known);
}

static void a_whole_path_matches_only_itself(void **state)
{
    bool known;
    assert_ptr_equal(find("GET", "/auth/v1/user", &known)->handle, handle_a);
    assert_null(find("GET", "/auth/v1/users", &known));
    assert_false(known);
    assert_null(find("GET", "/auth/v1/user/x", &known));
    assert_null(find("GET", "/auth/v1//user", &known));
}

static void a_trailing_slash_after_a_fixed_segment_is_ignored(void **state)
{
    bool known;
    assert_ptr_equal(find("GET", "/auth/v1/user/", &known)->handle, handle_a);
    assert_null(find("GET", "/auth/v1/user//", &known));
}

static void the_method_picks_among_routes_of_one_path(void **state)
{
    bool known;
    assert_ptr_equal(find("PUT", "/auth/v1/user", &known)->handle, handle_b);
}

static void a_known_path_with_another_method_is_405_not_404(void **state)
{
    bool known = false;
    assert_null(find("DELETE", "/auth/v1/user", &known));
    assert_true(known);
    assert_null(find("DELETE", "/auth/v1/nothing", &known));
    assert_false(known);
}

static void a_parameter_segment_matches_one_non_empty_segment(void **state)
{
    bool known;
    assert_ptr_equal(find("GET", "/auth/v1/admin/users/42", &known)->handle, handle_b);
    assert_ptr_equal(find("GET", "/auth/v1/admin/users", &known)->handle, handle_a);
    assert_ptr_equal(find("GET", "/auth/v1/admin/users/", &known)->handle, handle_a);
    assert_null(find("GET", "/auth/v1/admin/users/42/", &known));
    assert_null(find("GET", "/auth/v1/admin/users/42/x", &known));
    assert_true(sb_router_path_matches("/a/{x}/b", "/a/1/b"));
    assert_false(sb_router_path_matches("/a/{x}/b", "/a//b"));
}

static void a_prefix_takes_every_path_under_it_and_the_longest_wins(void **state)
{
    bool known;
    assert_ptr_equal(find("PATCH", "/rest/v1/courses", &known)->handle, handle_a);
    assert_ptr_equal(find("POST", "/storage/v1/object/move", &known)->handle, handle_b);
    assert_ptr_equal(find("POST", "/storage/v1/object/b/k", &known)->handle, handle_a);
}

static void a_whole_path_wins_over_a_prefix(void **state)
{
    bool known;
    assert_ptr_equal(find("GET", "/both/exact", &known)->handle, handle_c);
    assert_ptr_equal(find("GET", "/both/other", &known)->handle, handle_a);
}

static void the_scope_of_a_path_is_found_by_prefix(void **state)
{
    assert_ptr_equal(sb_router_scope_for("/auth/v1/nothing")->unrouted, unrouted);
    assert_non_null(sb_router_scope_for("/auth/v1"));
    assert_null(sb_router_scope_for("/storage/v1/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_whole_path_matches_only_itself),
        cmocka_unit_test(a_trailing_slash_after_a_fixed_segment_is_ignored),
        cmocka_unit_test(the_method_picks_among_routes_of_one_path),
        cmocka_unit_test(a_known_path_with_another_method_is_405_not_404),
        cmocka_unit_test(a_parameter_segment_matches_one_non_empty_segment),
        cmocka_unit_test(a_prefix_takes_every_path_under_it_and_the_longest_wins),
        cmocka_unit_test(a_whole_path_wins_over_a_prefix),
        cmocka_unit_test(the_scope_of_a_path_is_found_by_prefix),
    };
    return cmocka_run_group_tests(tests, add_routes, NULL);
}
