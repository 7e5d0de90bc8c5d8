/* rest/plan: a request on a table resolved against the schema cache (fixture.h) into a plan:
 * the relation tree (embeds through the foreign key chosen, to-one or not, conditions, order,
 * paging), the write's columns, DEFAULTs and conflict target, the header decisions; and every
 * error a request can have before the database, raised by the planner with no SQL written. */
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

/* The headers, then the request on table, as the service plans them; true when planned. */
static bool plan_table(struct sb_rest_request r, const char *table)
{
    memset(&err, 0, sizeof err);
    return sb_rest_plan_headers(fixture_arena, &r, &plan, &err) &&
           sb_rest_plan_table(fixture_arena, &fixture_cache, &r, table, &plan, &err);
}

static void refused_with(int status, const char *code, const char *message)
{
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);
    if (message)
        assert_string_equal(err.message, message);
}

/* ---- the relation tree ------------------------------------------------------------------------- */

static void an_unknown_embed_is_PGRST200_from_the_planner_before_any_sql(void **state)
{
    assert_false(plan_table(request("GET", "select=*,nothing(*)", NULL), "courses"));
    refused_with(400, "PGRST200", "Could not find a relationship between 'courses' and 'nothing' in the schema cache");
    assert_null(plan.target);          /* nothing was planned for the query stage to write */
}

static void an_embed_joins_through_its_foreign_key_and_is_one_row_when_the_parent_holds_it(void **state)
{
    assert_true(plan_table(request("GET", "select=id,courses(name)", NULL), "chats"));
    assert_int_equal(plan.action, SB_PLAN_READ);
    assert_int_equal(plan.target->output_count, 2);
    const struct sb_plan_output *o = &plan.target->outputs[1];
    assert_int_equal(o->kind, SB_OUTPUT_EMBED);
    assert_string_equal(o->key, "courses");
    const struct sb_plan_relation *e = o->embed;
    assert_string_equal(e->name, "courses");
    assert_string_equal(e->path, "courses");
    assert_true(e->to_one);
    assert_int_equal(e->join_count, 1);
    assert_string_equal(e->cols[0], "id");
    assert_string_equal(e->parent_cols[0], "course_id");

    assert_true(plan_table(request("GET", "select=name,rooms:chats(id)", NULL), "courses"));
    e = plan.target->outputs[1].embed;
    assert_string_equal(e->key, "rooms");
    assert_string_equal(e->path, "rooms");
    assert_false(e->to_one);
    assert_string_equal(e->cols[0], "course_id");
    assert_string_equal(e->parent_cols[0], "id");
}

static void two_foreign_keys_make_an_embed_ambiguous_until_a_hint_chooses_one(void **state)
{
    assert_false(plan_table(request("GET", "select=name,materials(name)", NULL), "courses"));
    refused_with(300, "PGRST201", "Could not embed because more than one relationship was found for 'courses' and "
                                  "'materials'");
    assert_true(plan_table(request("GET", "select=name,materials!backup_course_id(name)", NULL), "courses"));
    assert_string_equal(plan.target->outputs[1].embed->cols[0], "backup_course_id");
    assert_true(plan_table(request("GET", "select=name,materials!materials_course_id_fkey(name)", NULL), "courses"));
    assert_string_equal(plan.target->outputs[1].embed->cols[0], "course_id");
}

static void an_inner_embed_filters_its_parent_and_its_own_filters_stay_with_it(void **state)
{
    assert_true(plan_table(request("GET", "select=name,chats!inner(id)&chats.id=eq.1&name=eq.x", NULL), "courses"));
    const struct sb_plan_relation *top = plan.target, *chats = top->outputs[1].embed;
    assert_int_equal(top->cond_count, 2);
    assert_int_equal(top->conds[0].kind, SB_PLAN_COND_COLUMN);
    assert_string_equal(top->conds[0].parsed->field.name, "name");
    assert_int_equal(top->conds[1].kind, SB_PLAN_COND_INNER_EMBED);
    assert_ptr_equal(top->conds[1].embed, chats);
    assert_int_equal(chats->cond_count, 1);
    assert_string_equal(chats->conds[0].parsed->value, "1");
}

static void a_filter_naming_an_embed_asks_whether_related_rows_exist(void **state)
{
    assert_true(plan_table(request("GET", "select=name,chats(id)&chats=is.null", NULL), "courses"));
    assert_int_equal(plan.target->conds[0].kind, SB_PLAN_COND_NO_EMBED);
    assert_false(plan.target->conds[0].negate);
    assert_ptr_equal(plan.target->conds[0].embed, plan.target->outputs[1].embed);
    assert_true(plan_table(request("GET", "select=name,chats(id)&chats=not.is.null", NULL), "courses"));
    assert_true(plan.target->conds[0].negate);
    assert_false(plan_table(request("GET", "select=name,chats(id)&chats=eq.1", NULL), "courses"));
    refused_with(400, "PGRST120", "Only is null or not is null filters are allowed on embedded resources");
}

static void parameters_for_an_embed_that_is_not_selected_are_PGRST108(void **state)
{
    assert_false(plan_table(request("GET", "chats.id=eq.1", NULL), "courses"));
    refused_with(400, "PGRST108", "'chats' is not an embedded resource in this request");
    assert_false(plan_table(request("GET", "select=name,chats(id)&chats.limit=1&materials.limit=1", NULL), "courses"));
    refused_with(400, "PGRST108", "'materials' is not an embedded resource in this request");
}

static void ordering_by_an_embeds_column_needs_a_to_one_embed_of_the_same_level(void **state)
{
    assert_true(plan_table(request("GET", "select=id,courses(name)&order=courses(name).desc", NULL), "chats"));
    const struct sb_plan_order *o = &plan.target->order[0];
    assert_ptr_equal(o->via, plan.target->outputs[1].embed);
    assert_string_equal(o->field->name, "name");
    assert_true(o->desc);
    assert_false(plan_table(request("GET", "select=name,chats(id)&order=chats(id)", NULL), "courses"));
    refused_with(400, "PGRST118", "A related order on 'chats' is not possible");
    assert_false(plan_table(request("GET", "order=chats(id)", NULL), "courses"));
    refused_with(400, "PGRST108", NULL);
    assert_string_equal(err.hint, "Embed the relation in 'select' to order by its columns.");
}

static void every_column_named_must_exist_in_its_relation(void **state)
{
    const char *queries[] = { "select=nope", "order=nope", "nope=eq.1", "or=(name.eq.1,nope.eq.2)",
                              "select=name->nope,nope" };
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        assert_false(plan_table(request("GET", queries[i], NULL), "courses"));
        refused_with(400, "42703", "column courses.nope does not exist");
    }
    assert_false(plan_table(request("GET", "select=name,chats(nope)", NULL), "courses"));
    refused_with(400, "42703", "column chats.nope does not exist");
}

static void count_groups_by_the_other_columns_and_cannot_go_with_a_star(void **state)
{
    assert_true(plan_table(request("GET", "select=name,count()", NULL), "courses"));
    assert_true(plan.target->grouped);
    assert_int_equal(plan.target->outputs[1].kind, SB_OUTPUT_COUNT);
    assert_string_equal(plan.target->outputs[1].key, "count");
    assert_false(plan_table(request("GET", "select=*,count()", NULL), "courses"));
    refused_with(400, "PGRST100", NULL);
    assert_string_equal(err.details, "count() cannot be combined with *");
}

static void full_text_search_converts_only_columns_that_are_not_a_tsvector(void **state)
{
    assert_true(plan_table(request("GET", "search=fts.cat&name=plfts.dog", NULL), "courses"));
    assert_true(plan.target->conds[0].on_tsvector);
    assert_false(plan.target->conds[1].on_tsvector);
}

static void paging_comes_from_limit_and_offset_or_else_the_Range_header(void **state)
{
    assert_true(plan_table(request("GET", "limit=5&offset=10", NULL), "courses"));
    assert_int_equal(plan.target->limit, 5);
    assert_int_equal(plan.target->offset, 10);
    assert_int_equal(plan.offset, 10);
    struct sb_rest_request r = request("GET", "", NULL);
    r.range = "20-29";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.target->limit, 10);
    assert_int_equal(plan.target->offset, 20);
    r = request("GET", "limit=5", NULL);
    r.range = "20-29";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.target->limit, 5);
    assert_int_equal(plan.target->offset, 0);
}

/* ---- the headers --------------------------------------------------------------------------- */

static void prefer_and_accept_decide_the_return_the_count_and_the_shape(void **state)
{
    struct sb_rest_request r = request("GET", "", NULL);
    r.prefer = "return=representation, count=exact, tx=commit";
    r.accept = "application/vnd.pgrst.object+json";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.prefs.ret, SB_RETURN_REPRESENTATION);
    assert_int_equal(plan.total, SB_TOTAL_EXACT);
    assert_int_equal(plan.accept, SB_ACCEPT_OBJECT);
    assert_string_equal(plan.prefs.applied, "return=representation, count=exact");
    r.prefer = "count=planned";
    r.accept = "text/csv";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.total, SB_TOTAL_PLANNED);
    assert_int_equal(plan.accept, SB_ACCEPT_CSV);
}

static void headers_the_api_cannot_serve_are_refused_before_the_table_is_looked_up(void **state)
{
    struct sb_rest_request r = request("GET", "", NULL);
    r.accept = "text/html";
    assert_false(plan_table(r, "nowhere"));
    refused_with(406, "PGRST107", NULL);
    assert_string_equal(err.details, "text/html");
    r = request("GET", "", NULL);
    r.accept_profile = "private";
    assert_false(plan_table(r, "nowhere"));
    refused_with(406, "PGRST106", "The schema must be one of the following: public");
    r = request("GET", "", NULL);
    r.prefer = "handling=strict, bogus=1";
    assert_false(plan_table(r, "nowhere"));
    refused_with(400, "PGRST122", NULL);
    assert_string_equal(err.details, "Invalid preferences: bogus=1");
    r.prefer = "bogus=1";                                  /* lenient: ignored */
    assert_true(plan_table(r, "courses"));
}

static void writes_read_the_content_profile_and_reads_the_accept_profile(void **state)
{
    struct sb_rest_request r = request("POST", "", "{\"name\":\"a\"}");
    r.accept_profile = "private";
    assert_true(plan_table(r, "courses"));
    r.content_profile = "private";
    assert_false(plan_table(r, "courses"));
    refused_with(406, "PGRST106", NULL);
}

static void an_unknown_table_is_42P01_and_an_unknown_method_PGRST101(void **state)
{
    assert_false(plan_table(request("GET", "", NULL), "nowhere"));
    refused_with(404, "42P01", "relation \"public.nowhere\" does not exist");
    assert_false(plan_table(request("TRACE", "", NULL), "courses"));
    refused_with(405, "PGRST101", "Unsupported HTTP method");
    assert_string_equal(err.details, "TRACE");
}

/* ---- writes ------------------------------------------------------------------------------------ */

static void an_insert_writes_the_keys_of_its_objects_or_the_columns_parameter(void **state)
{
    const char *body = "[{\"name\":\"a\"},{\"name\":\"b\",\"prefs\":{}}]";
    assert_true(plan_table(request("POST", "", body), "courses"));
    assert_int_equal(plan.action, SB_PLAN_INSERT);
    assert_true(plan.created);
    assert_ptr_equal(plan.write.body, body);
    assert_int_equal(plan.write.column_count, 2);
    assert_string_equal(plan.write.columns[0], "name");
    assert_string_equal(plan.write.columns[1], "prefs");
    assert_null(plan.write.defaults);
    assert_int_equal(plan.write.conflict, SB_CONFLICT_NONE);
    assert_false(plan.write.want_body);
    assert_true(plan_table(request("POST", "columns=name", "{\"name\":\"a\",\"colour\":1}"), "courses"));
    assert_int_equal(plan.write.column_count, 1);
    assert_false(plan_table(request("POST", "", "{\"colour\":\"red\"}"), "courses"));
    refused_with(400, "PGRST204", "Could not find the 'colour' column of 'courses' in the schema cache");
}

static void missing_default_gives_each_column_its_DEFAULT_expression(void **state)
{
    struct sb_rest_request r = request("POST", "", "{\"id\":\"x\",\"name\":\"a\"}");
    r.prefer = "missing=default";
    assert_true(plan_table(r, "courses"));
    assert_string_equal(plan.write.defaults[0], "uuid_generate_v4()");
    assert_null(plan.write.defaults[1]);
}

static void an_upsert_conflicts_on_the_primary_key_unless_on_conflict_names_columns(void **state)
{
    struct sb_rest_request r = request("POST", "", "{\"name\":\"a\"}");
    r.prefer = "resolution=merge-duplicates";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.write.conflict, SB_CONFLICT_MERGE);
    assert_int_equal(plan.write.conflict_count, 1);
    assert_string_equal(plan.write.conflict_target[0], "id");
    r = request("POST", "on_conflict=user_id,name", "{\"name\":\"a\"}");
    r.prefer = "resolution=ignore-duplicates";
    assert_true(plan_table(r, "courses"));
    assert_int_equal(plan.write.conflict, SB_CONFLICT_IGNORE);
    assert_int_equal(plan.write.conflict_count, 2);
    assert_string_equal(plan.write.conflict_target[1], "name");
    r = request("POST", "", "{\"body\":\"a\"}");
    r.prefer = "resolution=merge-duplicates";
    assert_false(plan_table(r, "notes"));
    refused_with(400, "PGRST100", "failed to parse on_conflict parameter");
    r = request("POST", "on_conflict=nope", "{\"name\":\"a\"}");
    r.prefer = "resolution=merge-duplicates";
    assert_false(plan_table(r, "courses"));
    refused_with(400, "42703", "column courses.nope does not exist");
}

static void an_empty_insert_or_update_has_nothing_to_run(void **state)
{
    assert_true(plan_table(request("POST", "", "[]"), "courses"));
    assert_true(plan.nothing_to_run);
    assert_true(plan.created);
    assert_true(plan_table(request("PATCH", "", "{}"), "courses"));     /* no filter needed either */
    assert_true(plan.nothing_to_run);
    assert_int_equal(plan.action, SB_PLAN_UPDATE);
}

static void updates_and_deletes_need_a_filter(void **state)
{
    assert_false(plan_table(request("PATCH", "", "{\"name\":\"x\"}"), "courses"));
    refused_with(400, "21000", "UPDATE requires a WHERE clause");
    assert_false(plan_table(request("DELETE", "", NULL), "courses"));
    refused_with(400, "21000", "DELETE requires a WHERE clause");
    assert_true(plan_table(request("DELETE", "id=eq.1", NULL), "courses"));
    assert_int_equal(plan.action, SB_PLAN_DELETE);
    assert_int_equal(plan.target->cond_count, 1);
}

static void a_body_that_is_not_the_json_expected_is_PGRST102(void **state)
{
    assert_false(plan_table(request("POST", "", "nope"), "courses"));
    refused_with(400, "PGRST102", "Empty or invalid json");
    assert_string_equal(err.details, "Expected a JSON object or an array of objects");
    assert_false(plan_table(request("PATCH", "id=eq.1", "[{}]"), "courses"));
    assert_string_equal(err.details, "Expected a JSON object");
    assert_false(plan_table(request("POST", "", NULL), "courses"));
    refused_with(400, "PGRST102", NULL);
}

static void put_names_one_row_by_its_whole_primary_key_and_upserts_it(void **state)
{
    assert_true(plan_table(request("PUT", "id=eq.1", "{\"id\":\"1\",\"name\":\"a\"}"), "courses"));
    assert_int_equal(plan.action, SB_PLAN_INSERT);
    assert_false(plan.created);
    assert_int_equal(plan.write.conflict, SB_CONFLICT_MERGE);
    assert_string_equal(plan.write.conflict_target[0], "id");
    assert_false(plan_table(request("PUT", "name=eq.a", "{\"name\":\"a\"}"), "courses"));
    refused_with(405, "PGRST105", NULL);
    assert_false(plan_table(request("PUT", "body=eq.a", "{\"body\":\"a\"}"), "notes"));
    refused_with(405, "PGRST105", NULL);
    assert_false(plan_table(request("PUT", "id=eq.1&limit=1", "{\"id\":\"1\"}"), "courses"));
    refused_with(400, "PGRST114", NULL);
    assert_false(plan_table(request("PUT", "id=eq.1", "{\"id\":\"2\"}"), "courses"));
    refused_with(400, "PGRST115", "Payload values do not match URL in primary key column(s)");
}

static void a_headers_only_insert_returns_the_primary_key_for_the_Location(void **state)
{
    struct sb_rest_request r = request("POST", "select=name", "{\"name\":\"a\"}");
    r.prefer = "return=headers-only";
    assert_true(plan_table(r, "courses"));
    assert_string_equal(plan.location_table, "courses");
    assert_int_equal(plan.location_key_count, 1);
    assert_string_equal(plan.location_key[0], "id");
    assert_true(plan.write.want_body);
    assert_int_equal(plan.target->output_count, 1);
    assert_string_equal(plan.target->outputs[0].key, "id");
    r = request("POST", "", "{\"body\":\"a\"}");
    r.prefer = "return=headers-only";
    assert_true(plan_table(r, "notes"));                   /* no primary key: no Location */
    assert_null(plan.location_table);
}

static void a_singular_accept_makes_a_write_all_or_nothing_for_one_row(void **state)
{
    struct sb_rest_request r = request("PATCH", "id=eq.1", "{\"name\":\"x\"}");
    r.accept = "application/vnd.pgrst.object+json";
    assert_true(plan_table(r, "courses"));
    assert_true(plan.one_row_or_rollback);
    r = request("GET", "id=eq.1", NULL);
    r.accept = "application/vnd.pgrst.object+json";
    assert_true(plan_table(r, "courses"));
    assert_false(plan.one_row_or_rollback);         /* a read is checked after, nothing to undo */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_unknown_embed_is_PGRST200_from_the_planner_before_any_sql, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_embed_joins_through_its_foreign_key_and_is_one_row_when_the_parent_holds_it,
                                        fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(two_foreign_keys_make_an_embed_ambiguous_until_a_hint_chooses_one, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(an_inner_embed_filters_its_parent_and_its_own_filters_stay_with_it, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(a_filter_naming_an_embed_asks_whether_related_rows_exist, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(parameters_for_an_embed_that_is_not_selected_are_PGRST108, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(ordering_by_an_embeds_column_needs_a_to_one_embed_of_the_same_level, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(every_column_named_must_exist_in_its_relation, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(count_groups_by_the_other_columns_and_cannot_go_with_a_star, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(full_text_search_converts_only_columns_that_are_not_a_tsvector, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(paging_comes_from_limit_and_offset_or_else_the_Range_header, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(prefer_and_accept_decide_the_return_the_count_and_the_shape, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(headers_the_api_cannot_serve_are_refused_before_the_table_is_looked_up, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(writes_read_the_content_profile_and_reads_the_accept_profile, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_unknown_table_is_42P01_and_an_unknown_method_PGRST101, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_insert_writes_the_keys_of_its_objects_or_the_columns_parameter, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_default_gives_each_column_its_DEFAULT_expression, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(an_upsert_conflicts_on_the_primary_key_unless_on_conflict_names_columns, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(an_empty_insert_or_update_has_nothing_to_run, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(updates_and_deletes_need_a_filter, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_body_that_is_not_the_json_expected_is_PGRST102, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(put_names_one_row_by_its_whole_primary_key_and_upserts_it, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(a_headers_only_insert_returns_the_primary_key_for_the_Location, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(a_singular_accept_makes_a_write_all_or_nothing_for_one_row, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
