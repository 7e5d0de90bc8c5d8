/* rest/sql: the statements generated for parsed requests against a small fixed schema cache:
 * identifiers quoted and only from the cache, values as parameters, embeds through FKs, and
 * the errors for unknown names and ambiguous relationships. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rest/sql.h"

static struct sb_cache_column course_cols[] = {
    { "id", "uuid", true, true, "uuid_generate_v4()" }, { "user_id", "uuid", true, false, NULL },
    { "name", "text", true, false, NULL }, { "prefs", "jsonb", false, false, NULL },
};
static struct sb_cache_column material_cols[] = {
    { "id", "uuid", true, true, NULL }, { "course_id", "uuid", true, false, NULL },
    { "backup_course_id", "uuid", false, false, NULL }, { "name", "text", true, false, NULL },
};
static struct sb_cache_column chat_cols[] = {
    { "id", "uuid", true, true, NULL }, { "course_id", "uuid", true, false, NULL },
};
static const char *pkey[] = { "id" };
static const char *fk_course[] = { "course_id" };
static const char *fk_backup[] = { "backup_course_id" };
static struct sb_cache_table tables[] = {
    { "courses", false, false, 4, course_cols, 1, pkey },
    { "materials", false, false, 4, material_cols, 1, pkey },
    { "chats", false, false, 2, chat_cols, 1, pkey },
};
static struct sb_cache_fkey fkeys[] = {
    { "materials_course_id_fkey", &tables[1], &tables[0], 1, fk_course, pkey },
    { "materials_backup_course_id_fkey", &tables[1], &tables[0], 1, fk_backup, pkey },
    { "chats_course_id_fkey", &tables[2], &tables[0], 1, fk_course, pkey },
};
static struct sb_schema_cache cache = { .table_count = 3, .fkey_count = 3, .tables = tables, .fkeys = fkeys };

static struct sb_arena *arena;
static struct sb_error err;

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

/* The read statement for a query string "k=v&k=v" on a table; NULL when refused (see err). */
static const struct sb_rest_sql *read_sql(const char *table, const char *query)
{
    struct sb_kv args[16];
    int n = 0;
    char *text = sb_arena_strdup(arena, query);
    for (char *save = NULL, *p = strtok_r(text, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        *eq = '\0';
        args[n].key = p;
        args[n++].value = eq + 1;
    }
    struct sb_rest_query *q = sb_arena_alloc(arena, sizeof *q);
    assert_true(sb_rest_parse_query(arena, args, n, NULL, NULL, q, &err));
    struct sb_rest_sql *out = sb_arena_alloc(arena, sizeof *out);
    const struct sb_cache_table *t = sb_cache_table(&cache, table);
    return sb_rest_sql_read(arena, &cache, t, q, false, out, &err) ? out : NULL;
}

static void values_and_json_keys_are_parameters(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "select=name&name=eq.x'y&prefs->>pace=eq.fast");
    assert_non_null(s);
    assert_non_null(strstr(s->text, "SELECT pgrst_0.\"name\" AS \"name\" FROM \"public\".\"courses\" AS pgrst_0"
                                    " WHERE (pgrst_0.\"name\" = $1) AND (pgrst_0.\"prefs\"->>$2::text = $3)"));
    assert_int_equal(s->nparams, 3);
    assert_string_equal(s->params[0], "x'y");
    assert_string_equal(s->params[1], "pace");
    assert_string_equal(s->params[2], "fast");
    assert_null(strstr(s->text, "x'y"));
}

static void aliases_are_quoted_with_quotes_doubled(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "select=\"a\\\"b\":name");
    assert_non_null(s);
    assert_non_null(strstr(s->text, "AS \"a\"\"b\""));
}

static void in_lists_become_one_array_parameter(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "name=in.(a,\"b,c\",d\\e)");
    assert_non_null(strstr(s->text, "pgrst_0.\"name\" = ANY($1)"));
    assert_string_equal(s->params[0], "{\"a\",\"b,c\",\"d\\\\e\"}");
}

static void limit_and_offset_are_parameters(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "limit=5&offset=10&order=name.desc.nullslast");
    assert_non_null(strstr(s->text, "ORDER BY pgrst_0.\"name\" DESC NULLS LAST LIMIT $1 OFFSET $2"));
    assert_string_equal(s->params[0], "5");
    assert_string_equal(s->params[1], "10");
}

static void a_to_many_embed_is_a_correlated_json_array(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "select=name,chats(id)");
    assert_non_null(s);
    assert_non_null(strstr(s->text, "(SELECT coalesce(json_agg(pgrst_e), '[]') FROM (SELECT pgrst_1.\"id\" AS \"id\" "
                                    "FROM \"public\".\"chats\" AS pgrst_1 WHERE pgrst_1.\"course_id\" = pgrst_0.\"id\")"
                                    " pgrst_e) AS \"chats\""));
}

static void a_to_one_embed_is_a_json_object(void **state)
{
    const struct sb_rest_sql *s = read_sql("chats", "select=id,courses(name)");
    assert_non_null(strstr(s->text, "(SELECT row_to_json(pgrst_e) FROM (SELECT pgrst_1.\"name\" AS \"name\" FROM "
                                    "\"public\".\"courses\" AS pgrst_1 WHERE pgrst_1.\"id\" = pgrst_0.\"course_id\")"));
}

static void inner_embeds_filter_the_parent(void **state)
{
    const struct sb_rest_sql *s = read_sql("courses", "select=name,chats!inner(id)&chats.id=eq.1");
    assert_non_null(strstr(s->text, "WHERE EXISTS (SELECT 1 FROM \"public\".\"chats\" AS pgrst_2 WHERE "
                                    "pgrst_2.\"course_id\" = pgrst_0.\"id\" AND (pgrst_2.\"id\" = $"));
}

static void two_foreign_keys_make_an_embed_ambiguous_until_hinted(void **state)
{
    assert_null(read_sql("courses", "select=name,materials(name)"));
    assert_int_equal(err.status, 300);
    assert_string_equal(err.code, "PGRST201");
    assert_non_null(strstr(err.hint, "'materials!materials_course_id_fkey'"));
    assert_non_null(strstr(err.hint, "'materials!materials_backup_course_id_fkey'"));
    const struct sb_rest_sql *s = read_sql("courses", "select=name,materials!backup_course_id(name)");
    assert_non_null(s);
    assert_non_null(strstr(s->text, "pgrst_1.\"backup_course_id\" = pgrst_0.\"id\""));
}

static void unknown_names_are_refused(void **state)
{
    assert_null(read_sql("courses", "select=nope"));
    assert_string_equal(err.code, "42703");
    assert_string_equal(err.message, "column courses.nope does not exist");
    assert_null(read_sql("courses", "order=nope"));
    assert_string_equal(err.code, "42703");
    assert_null(read_sql("courses", "select=*,nothing(*)"));
    assert_string_equal(err.code, "PGRST200");
    assert_null(read_sql("courses", "chats.id=eq.1"));
    assert_string_equal(err.code, "PGRST108");
    assert_null(read_sql("courses", "select=name,chats(id)&chats=eq.1"));
    assert_string_equal(err.code, "PGRST120");
}

static void writes_check_columns_and_require_filters(void **state)
{
    struct sb_rest_query q;
    assert_true(sb_rest_parse_query(arena, NULL, 0, NULL, NULL, &q, &err));
    const char *cols[] = { "name", "colour" };
    struct sb_rest_write w = { .body = "{}", .column_count = 2, .columns = cols };
    struct sb_rest_sql s;
    assert_false(sb_rest_sql_insert(arena, &cache, &tables[0], &q, &w, &s, &err));
    assert_string_equal(err.code, "PGRST204");
    assert_string_equal(err.message, "Could not find the 'colour' column of 'courses' in the schema cache");
    w.column_count = 1;
    assert_false(sb_rest_sql_update(arena, &cache, &tables[0], &q, &w, &s, &err));
    assert_string_equal(err.code, "21000");
    assert_false(sb_rest_sql_delete(arena, &cache, &tables[0], &q, false, &s, &err));
    assert_string_equal(err.code, "21000");
    w.missing_default = true;
    assert_true(sb_rest_sql_insert(arena, &cache, &tables[0], &q, &w, &s, &err));
    assert_non_null(strstr(s.text, "CASE WHEN pgrst_j.obj::jsonb ? $1::text THEN pgrst_body.\"name\" ELSE NULL END"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(values_and_json_keys_are_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(aliases_are_quoted_with_quotes_doubled, setup, teardown),
        cmocka_unit_test_setup_teardown(in_lists_become_one_array_parameter, setup, teardown),
        cmocka_unit_test_setup_teardown(limit_and_offset_are_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(a_to_many_embed_is_a_correlated_json_array, setup, teardown),
        cmocka_unit_test_setup_teardown(a_to_one_embed_is_a_json_object, setup, teardown),
        cmocka_unit_test_setup_teardown(inner_embeds_filter_the_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(two_foreign_keys_make_an_embed_ambiguous_until_hinted, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_names_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_check_columns_and_require_filters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
