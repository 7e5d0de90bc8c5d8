/* rest/parse: PostgREST's URL grammar into the AST, and errors that name the bad part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rest/parse.h"

static struct sb_arena *arena;

static int setup(void **state)
{
    arena = sb_arena_new();
    return 0;
}

static int teardown(void **state)
{
    sb_arena_free(arena);
    return 0;
}

static struct sb_rest_select parse_select_ok(const char *text)
{
    struct sb_rest_select sel;
    struct sb_error err;
    assert_true(sb_rest_parse_select(arena, text, &sel, &err));
    return sel;
}

static struct sb_error parse_select_error(const char *text)
{
    struct sb_rest_select sel;
    struct sb_error err;
    assert_false(sb_rest_parse_select(arena, text, &sel, &err));
    return err;
}

static void select_reads_columns_aliases_casts_and_json_paths(void **state)
{
    struct sb_rest_select s = parse_select_ok("id,title:name,size:file_size::text,prefs->>learning_pace,data->a->0");
    assert_int_equal(s.count, 5);
    assert_string_equal(s.items[0].field.name, "id");
    assert_null(s.items[0].alias);
    assert_string_equal(s.items[1].alias, "title");
    assert_string_equal(s.items[1].field.name, "name");
    assert_string_equal(s.items[2].cast, "text");
    assert_int_equal(s.items[3].field.path_len, 1);
    assert_string_equal(s.items[3].field.path[0], "learning_pace");
    assert_true(s.items[3].field.path_as_text[0]);
    assert_int_equal(s.items[4].field.path_len, 2);
    assert_string_equal(s.items[4].field.path[1], "0");
    assert_false(s.items[4].field.path_as_text[1]);
}

static void select_reads_embeds_with_hints_inner_and_count(void **state)
{
    struct sb_rest_select s = parse_select_ok("*, m:materials!course_id!inner(name, file_size), chat_history(count), n:count()");
    assert_int_equal(s.count, 4);
    assert_int_equal(s.items[0].kind, SB_ITEM_STAR);
    assert_int_equal(s.items[1].kind, SB_ITEM_EMBED);
    assert_string_equal(s.items[1].alias, "m");
    assert_string_equal(s.items[1].field.name, "materials");
    assert_string_equal(s.items[1].hint, "course_id");
    assert_true(s.items[1].inner);
    assert_int_equal(s.items[1].children->count, 2);
    assert_string_equal(s.items[2].children->items[0].field.name, "count");
    assert_int_equal(s.items[3].kind, SB_ITEM_COUNT);
    assert_string_equal(s.items[3].alias, "n");
}

static void select_reads_quoted_names(void **state)
{
    struct sb_rest_select s = parse_select_ok("\"odd, \\\"name\\\"\"");
    assert_string_equal(s.items[0].field.name, "odd, \"name\"");
}

static void select_errors_name_the_bad_part_and_column(void **state)
{
    struct sb_error e = parse_select_error("name,materials(name");
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "PGRST100");
    assert_string_equal(e.message, "failed to parse select parameter (name,materials(name)");
    assert_string_equal(e.details, "unexpected end of input at column 20, expecting \",\" or \")\"");
    e = parse_select_error("name;drop");
    assert_string_equal(e.details, "unexpected \";\" at column 5, expecting \",\" or the end");
    e = parse_select_error("name::regclass");
    assert_non_null(strstr(e.details, "a known type"));
    e = parse_select_error("a,,b");
    assert_non_null(strstr(e.details, "column 3"));
}

static void select_refuses_nesting_past_the_limit(void **state)
{
    char text[400] = "id";
    for (int i = 0; i < 20; i++) {
        char next[400];
        snprintf(next, sizeof next, "c(%s)", text);
        strcpy(text, next);
    }
    struct sb_error e = parse_select_error(text);
    assert_non_null(strstr(e.details, "less nesting"));
}

static struct sb_rest_cond filter_ok(const char *key, const char *value)
{
    struct sb_rest_cond c;
    struct sb_error err;
    assert_true(sb_rest_parse_filter(arena, key, value, &c, &err));
    return c;
}

static void filters_read_operators_negation_and_values(void **state)
{
    struct sb_rest_cond c = filter_ok("name", "eq.a.b");
    assert_int_equal(c.op, SB_OP_EQ);
    assert_string_equal(c.value, "a.b");
    assert_false(c.negate);
    c = filter_ok("embedding", "not.is.NULL");
    assert_true(c.negate);
    assert_int_equal(c.op, SB_OP_IS);
    assert_string_equal(c.value, "null");
    c = filter_ok("prefs->>learning_pace", "eq.fast");
    assert_string_equal(c.field.name, "prefs");
    assert_string_equal(c.field.path[0], "learning_pace");
    c = filter_ok("grade", "cs.{Bachelor}");
    assert_int_equal(c.op, SB_OP_CS);
    assert_string_equal(c.value, "{Bachelor}");
}

static void filters_read_in_lists_with_quoted_elements(void **state)
{
    struct sb_rest_cond c = filter_ok("name", "in.(a,\"b,c\",\"d\\\"e\",)");
    assert_int_equal(c.op, SB_OP_IN);
    assert_int_equal(c.list_len, 4);
    assert_string_equal(c.list[0], "a");
    assert_string_equal(c.list[1], "b,c");
    assert_string_equal(c.list[2], "d\"e");
    assert_string_equal(c.list[3], "");
    c = filter_ok("name", "in.()");
    assert_int_equal(c.list_len, 0);
}

static void filters_read_modifiers(void **state)
{
    struct sb_rest_cond c = filter_ok("name", "wfts(english).cats or dogs");
    assert_int_equal(c.op, SB_OP_WFTS);
    assert_string_equal(c.fts_config, "english");
    assert_string_equal(c.value, "cats or dogs");
    c = filter_ok("name", "like(any).{a*,b*}");
    assert_int_equal(c.quant, SB_QUANT_ANY);
    assert_int_equal(c.list_len, 2);
    assert_string_equal(c.list[1], "b*");
}

static void filters_refuse_unknown_operators_and_modifiers(void **state)
{
    struct sb_rest_cond c;
    struct sb_error err;
    assert_false(sb_rest_parse_filter(arena, "name", "evil.x", &c, &err));
    assert_string_equal(err.code, "PGRST100");
    assert_non_null(strstr(err.details, "an operator"));
    assert_false(sb_rest_parse_filter(arena, "name", "fts(eng'lish).x", &c, &err));
    assert_false(sb_rest_parse_filter(arena, "name", "is.maybe", &c, &err));
    assert_false(sb_rest_parse_filter(arena, "name", "eq", &c, &err));
    assert_false(sb_rest_parse_filter(arena, "na;me", "eq.x", &c, &err));
    assert_false(sb_rest_parse_filter(arena, "name", "neq(any).{a}", &c, &err));
}

static void logic_trees_nest_and_negate(void **state)
{
    struct sb_rest_cond c;
    struct sb_error err;
    assert_true(sb_rest_parse_logic(arena, "or", false, "(a.eq.1,not.and(b.gt.2,c.in.(x,\"y,z\")),d.eq.\"q,r\")", &c, &err));
    assert_int_equal(c.kind, SB_COND_OR);
    assert_int_equal(c.child_count, 3);
    assert_int_equal(c.children[1].kind, SB_COND_AND);
    assert_true(c.children[1].negate);
    assert_int_equal(c.children[1].children[1].list_len, 2);
    assert_string_equal(c.children[1].children[1].list[1], "y,z");
    assert_string_equal(c.children[2].value, "q,r");
}

static void logic_trees_refuse_unbalanced_parentheses(void **state)
{
    struct sb_rest_cond c;
    struct sb_error err;
    assert_false(sb_rest_parse_logic(arena, "or", false, "(a.eq.1,b.eq.2", &c, &err));
    assert_string_equal(err.message, "failed to parse logic tree parameter ((a.eq.1,b.eq.2)");
    assert_false(sb_rest_parse_logic(arena, "or", false, "(a.eq.1))", &c, &err));
    assert_false(sb_rest_parse_logic(arena, "and", false, "a.eq.1", &c, &err));
}

static void order_reads_directions_and_nulls(void **state)
{
    struct sb_rest_order_term *t;
    int n;
    struct sb_error err;
    assert_true(sb_rest_parse_order(arena, "created_at.desc.nullslast,name,prefs->>x.asc.nullsfirst", &t, &n, &err));
    assert_int_equal(n, 3);
    assert_true(t[0].desc);
    assert_int_equal(t[0].nulls, 2);
    assert_false(t[1].desc);
    assert_int_equal(t[1].nulls, 0);
    assert_string_equal(t[2].field.path[0], "x");
    assert_int_equal(t[2].nulls, 1);
    assert_true(sb_rest_parse_order(arena, "courses(name).desc", &t, &n, &err));
    assert_string_equal(t[0].relation, "courses");
    assert_string_equal(t[0].field.name, "name");
    assert_true(t[0].desc);
    assert_false(sb_rest_parse_order(arena, "courses(name", &t, &n, &err));
    assert_false(sb_rest_parse_order(arena, "name.sideways", &t, &n, &err));
    assert_false(sb_rest_parse_order(arena, "name;drop", &t, &n, &err));
}

static void query_sorts_parameters_into_scopes(void **state)
{
    struct sb_kv args[] = {
        { "select", "name,materials(name)" }, { "name", "eq.x" }, { "materials.order", "name.desc" },
        { "materials.limit", "2" }, { "not.or", "(a.eq.1,b.eq.2)" }, { "materials.file_size", "gt.5" },
        { "limit", "10" }, { "offset", "20" }, { "columns", "\"a\",b" }, { "on_conflict", "id" },
    };
    struct sb_rest_query q;
    struct sb_error err;
    assert_true(sb_rest_parse_query(arena, args, 10, NULL, NULL, &q, &err));
    const struct sb_rest_scope *top = sb_rest_scope_for(&q, "");
    const struct sb_rest_scope *m = sb_rest_scope_for(&q, "materials");
    assert_int_equal(q.scope_count, 2);
    assert_int_equal(top->cond_count, 2);
    assert_true(top->conds[1].negate);
    assert_int_equal(top->limit, 10);
    assert_int_equal(top->offset, 20);
    assert_int_equal(m->order_count, 1);
    assert_int_equal(m->limit, 2);
    assert_int_equal(m->cond_count, 1);
    assert_int_equal(q.column_count, 2);
    assert_string_equal(q.columns[0], "a");
    assert_string_equal(q.on_conflict[0], "id");
}

static void query_refuses_bad_limits(void **state)
{
    struct sb_kv args[] = { { "limit", "-1" } };
    struct sb_rest_query q;
    struct sb_error err;
    assert_false(sb_rest_parse_query(arena, args, 1, NULL, NULL, &q, &err));
    assert_string_equal(err.message, "failed to parse limit parameter (-1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(select_reads_columns_aliases_casts_and_json_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(select_reads_embeds_with_hints_inner_and_count, setup, teardown),
        cmocka_unit_test_setup_teardown(select_reads_quoted_names, setup, teardown),
        cmocka_unit_test_setup_teardown(select_errors_name_the_bad_part_and_column, setup, teardown),
        cmocka_unit_test_setup_teardown(select_refuses_nesting_past_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(filters_read_operators_negation_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(filters_read_in_lists_with_quoted_elements, setup, teardown),
        cmocka_unit_test_setup_teardown(filters_read_modifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(filters_refuse_unknown_operators_and_modifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(logic_trees_nest_and_negate, setup, teardown),
        cmocka_unit_test_setup_teardown(logic_trees_refuse_unbalanced_parentheses, setup, teardown),
        cmocka_unit_test_setup_teardown(order_reads_directions_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(query_sorts_parameters_into_scopes, setup, teardown),
        cmocka_unit_test_setup_teardown(query_refuses_bad_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
