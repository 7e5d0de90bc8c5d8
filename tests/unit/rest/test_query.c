/* rest/query: a plan written as SQL. The query stage reads only the plan: it writes the same
 * statement for a plan whether or not the schema cache it was planned against still exists,
 * the same statement every time, and a plan made by hand with no cache at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "rest/query.h"


static void same_statement(const struct sb_rest_sql *a, const struct sb_rest_sql *b)
{
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->nparams, b->nparams);
    for (int i = 0; i < a->nparams; i++) {
        if (a->params[i] && b->params[i])
            assert_string_equal(a->params[i], b->params[i]);
        else
            assert_ptr_equal(a->params[i], b->params[i]);
    }
}

/* The fixture's tables, foreign keys and functions copied to the heap (the strings are
 * shared), so that freeing them after planning makes any later look-up a use-after-free. */
static struct sb_schema_cache *heap_copy_of_fixture(void)
{
    const struct sb_schema_cache *f = &fixture_cache;
    struct sb_schema_cache *c = calloc(1, sizeof *c);
    *c = *f;
    c->tables = malloc(sizeof *c->tables * (size_t)f->table_count);
    c->fkeys = malloc(sizeof *c->fkeys * (size_t)f->fkey_count);
    c->functions = malloc(sizeof *c->functions * (size_t)f->function_count);
    memcpy(c->tables, f->tables, sizeof *c->tables * (size_t)f->table_count);
    memcpy(c->fkeys, f->fkeys, sizeof *c->fkeys * (size_t)f->fkey_count);
    memcpy(c->functions, f->functions, sizeof *c->functions * (size_t)f->function_count);
    for (int i = 0; i < f->fkey_count; i++) {
        c->fkeys[i].from = &c->tables[f->fkeys[i].from - f->tables];
        c->fkeys[i].to = &c->tables[f->fkeys[i].to - f->tables];
    }
    for (int i = 0; i < f->function_count; i++)
        if (f->functions[i].result)
            c->functions[i].result = &c->tables[f->functions[i].result - f->tables];
    return c;
}

static void free_copy(struct sb_schema_cache *c)
{
    free(c->tables);
    free(c->fkeys);
    free(c->functions);
    free(c);
}

struct case_ {
    const char *method, *target, *query, *body, *prefer;
    bool rpc;
};

static bool plan_case(const struct case_ *k, const struct sb_schema_cache *cache, struct sb_rest_plan *plan)
{
    struct sb_error err;
    struct sb_rest_request r = fixture_request(fixture_arena, k->method, k->query, k->body);
    r.prefer = k->prefer;
    if (!sb_rest_plan_headers(fixture_arena, &r, plan, &err))
        return false;
    return k->rpc ? sb_rest_plan_rpc(fixture_arena, cache, &r, k->target, plan, &err)
                  : sb_rest_plan_table(fixture_arena, cache, &r, k->target, plan, &err);
}

static void the_statement_is_written_from_the_plan_alone_after_the_cache_is_gone(void **state)
{
    static const struct case_ cases[] = {
        { "GET", "courses", "select=name,chats!inner(id,courses(*))&chats.order=id.desc&chats.limit=2"
                            "&or=(name.ilike.*a*,prefs->>pace.eq.fast)&search=fts(english).cat&limit=3", NULL, NULL,
          false },
        { "GET", "chats", "select=id,c:courses(name,n:count())&order=c(name).desc.nullslast&c=not.is.null",
          NULL, "count=exact", false },
        { "POST", "courses", "select=id,materials!course_id(name)&on_conflict=user_id",
          "[{\"name\":\"a\",\"id\":\"x\"}]", "return=representation, missing=default, resolution=merge-duplicates", false },
        { "PATCH", "courses", "id=in.(1,2)&select=name", "{\"name\":\"b\"}", "return=representation", false },
        { "DELETE", "materials", "name=like(any).{a*,b}", NULL, NULL, false },
        { "PUT", "courses", "id=eq.1", "{\"id\":\"1\",\"name\":\"c\"}", NULL, false },
        { "GET", "search", "q=x&lim=2&select=name,chats(id)&name=neq.z&offset=1", NULL, "count=exact", true },
        { "POST", "add", "", "{\"a\":1,\"b\":2}", NULL, true },
        { "POST", "ingest", "", "{\"x\":1}", NULL, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sb_rest_plan from_copy, from_fixture;
        struct sb_rest_sql written, expected;
        struct sb_schema_cache *copy = heap_copy_of_fixture();
        bool planned = plan_case(&cases[i], copy, &from_copy);
        free_copy(copy);
        assert_true(planned);
        sb_rest_query(fixture_arena, &from_copy, from_copy.total == SB_TOTAL_EXACT, &written);   /* ASan: no look-up */
        assert_true(plan_case(&cases[i], &fixture_cache, &from_fixture));
        sb_rest_query(fixture_arena, &from_fixture, from_fixture.total == SB_TOTAL_EXACT, &expected);
        same_statement(&written, &expected);
    }
}

static void the_same_plan_always_gives_the_same_statement(void **state)
{
    static const struct case_ k = { "GET", "courses", "select=name,chats(id)&chats=is.null&order=name&limit=1",
                                    NULL, NULL, false };
    struct sb_rest_plan plan;
    struct sb_rest_sql first, second;
    assert_true(plan_case(&k, &fixture_cache, &plan));
    sb_rest_query(fixture_arena, &plan, true, &first);
    sb_rest_query(fixture_arena, &plan, true, &second);
    same_statement(&first, &second);
}

static void a_read_made_by_hand_needs_no_schema_cache(void **state)
{
    struct sb_rest_field name = { .name = "name" };
    struct sb_plan_output outputs[] = { { .kind = SB_OUTPUT_COLUMN, .key = "title", .field = &name } };
    struct sb_rest_cond mine = { .kind = SB_COND_LEAF, .field = { .name = "user_id" }, .op = SB_OP_EQ, .value = "u1" };
    struct sb_plan_cond conds[] = { { .kind = SB_PLAN_COND_COLUMN, .parsed = &mine } };
    struct sb_plan_relation courses = { .name = "courses", .path = "", .output_count = 1, .outputs = outputs,
                                        .cond_count = 1, .conds = conds, .limit = 5 };
    struct sb_rest_plan plan = { .action = SB_PLAN_READ, .target = &courses };
    struct sb_rest_sql sql;
    sb_rest_query(fixture_arena, &plan, false, &sql);
    assert_string_equal(sql.text, "WITH pgrst_source AS (SELECT pgrst_0.\"name\" AS \"title\" FROM \"public\".\"courses\""
                                  " AS pgrst_0 WHERE (pgrst_0.\"user_id\" = $1) LIMIT $2) SELECT NULL::bigint, count(*), "
                                  "coalesce(json_agg(pgrst_source), '[]')::text FROM pgrst_source");
    assert_int_equal(sql.nparams, 2);
    assert_string_equal(sql.params[0], "u1");
    assert_string_equal(sql.params[1], "5");
}

static void counting_repeats_the_reads_conditions_over_all_rows(void **state)
{
    static const struct case_ k = { "GET", "courses", "name=eq.x&limit=1", NULL, NULL, false };
    struct sb_rest_plan plan;
    struct sb_rest_sql sql;
    assert_true(plan_case(&k, &fixture_cache, &plan));
    sb_rest_query(fixture_arena, &plan, true, &sql);
    assert_non_null(strstr(sql.text, ") SELECT (SELECT count(*) FROM \"public\".\"courses\" AS pgrst_0 WHERE "
                                     "(pgrst_0.\"name\" = $1)), count(*), "));
    sb_rest_query_planned_count(fixture_arena, &plan, &sql);
    assert_string_equal(sql.text, "EXPLAIN (FORMAT JSON) SELECT 1 FROM \"public\".\"courses\" AS pgrst_0 WHERE "
                                  "(pgrst_0.\"name\" = $1)");
    assert_int_equal(sql.nparams, 1);
}

static void a_call_passes_named_arguments_by_name_and_an_unnamed_one_by_position(void **state)
{
    struct sb_plan_arg args[] = { { "a", "integer", "1" }, { "", "text", NULL } };
    struct sb_rest_plan plan = { .action = SB_PLAN_CALL,
                                 .call = { .function = "add", .arg_count = 2, .args = args,
                                           .returns = SB_RETURNS_SCALAR } };
    struct sb_rest_sql sql;
    sb_rest_query(fixture_arena, &plan, false, &sql);
    assert_string_equal(sql.text, "SELECT NULL::bigint, 1::bigint, to_json(\"public\".\"add\"(\"a\" := $1::integer, "
                                  "$2::text))::text");
    assert_int_equal(sql.nparams, 2);
    assert_string_equal(sql.params[0], "1");
    assert_null(sql.params[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_statement_is_written_from_the_plan_alone_after_the_cache_is_gone, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(the_same_plan_always_gives_the_same_statement, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_read_made_by_hand_needs_no_schema_cache, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(counting_repeats_the_reads_conditions_over_all_rows, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_call_passes_named_arguments_by_name_and_an_unnamed_one_by_position, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
