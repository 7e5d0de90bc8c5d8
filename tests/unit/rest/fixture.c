/* The schema cache and requests of fixture.h. */
#include "fixture.h"

#include <string.h>

static struct sb_cache_column course_cols[] = {
    { "id", "uuid", true, true, "uuid_generate_v4()" }, { "user_id", "uuid", true, false, NULL },
    { "name", "text", true, false, NULL }, { "prefs", "jsonb", false, false, NULL },
    { "search", "tsvector", false, false, NULL },
};
static struct sb_cache_column material_cols[] = {
    { "id", "uuid", true, true, NULL }, { "course_id", "uuid", true, false, NULL },
    { "backup_course_id", "uuid", false, false, NULL }, { "name", "text", true, false, NULL },
};
static struct sb_cache_column chat_cols[] = {
    { "id", "uuid", true, true, NULL }, { "course_id", "uuid", true, false, NULL },
};
static struct sb_cache_column note_cols[] = { { "body", "text", false, false, NULL } };
static const char *pkey[] = { "id" };
static const char *fk_course[] = { "course_id" };
static const char *fk_backup[] = { "backup_course_id" };
static struct sb_cache_table tables[] = {
    { "courses", false, false, 5, course_cols, 1, pkey },
    { "materials", false, false, 4, material_cols, 1, pkey },
    { "chats", false, false, 2, chat_cols, 1, pkey },
    { "notes", false, false, 1, note_cols, 0, NULL },
};
static struct sb_cache_fkey fkeys[] = {
    { "materials_course_id_fkey", &tables[1], &tables[0], 1, fk_course, pkey },
    { "materials_backup_course_id_fkey", &tables[1], &tables[0], 1, fk_backup, pkey },
    { "chats_course_id_fkey", &tables[2], &tables[0], 1, fk_course, pkey },
};
static struct sb_cache_arg add2_args[] = { { "a", "integer", false }, { "b", "integer", false } };
static struct sb_cache_arg add3_args[] = { { "a", "integer", false }, { "b", "integer", false },
                                           { "c", "integer", false } };
static struct sb_cache_arg pick_int_args[] = { { "x", "integer", false } };
static struct sb_cache_arg pick_text_args[] = { { "x", "text", false } };
static struct sb_cache_arg search_args[] = { { "q", "text", false }, { "lim", "integer", true } };
static struct sb_cache_arg ingest_args[] = { { "", "json", false } };
static struct sb_cache_arg tag_args[] = { { "tags", "text[]", false } };
static struct sb_cache_function functions[] = {
    { "add", 2, add2_args, SB_RETURNS_SCALAR, false, 'i', NULL },
    { "add", 3, add3_args, SB_RETURNS_SCALAR, false, 'i', NULL },
    { "pick", 1, pick_int_args, SB_RETURNS_SCALAR, false, 'i', NULL },
    { "pick", 1, pick_text_args, SB_RETURNS_SCALAR, false, 'i', NULL },
    { "search", 2, search_args, SB_RETURNS_ROWS, true, 's', &tables[0] },
    { "touch", 0, NULL, SB_RETURNS_VOID, false, 'v', NULL },
    { "ingest", 1, ingest_args, SB_RETURNS_SCALAR, false, 'v', NULL },
    { "tag", 1, tag_args, SB_RETURNS_SCALAR, false, 'v', NULL },
};

struct sb_schema_cache fixture_cache = {
    .table_count = 4, .tables = tables,
    .fkey_count = 3, .fkeys = fkeys,
    .function_count = 8, .functions = functions,
};

struct sb_rest_request fixture_request(struct sb_arena *arena, const char *method, const char *query,
                                       const char *body)
{
    struct sb_rest_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    struct sb_kv *args = sb_arena_alloc(arena, sizeof *args * 32);
    char *text = sb_arena_strdup(arena, query);
    for (char *save = NULL, *p = strtok_r(text, "&", &save); p && r.query_count < 32; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        args[r.query_count].key = p;
        args[r.query_count++].value = eq ? eq + 1 : "";
    }
    r.query = args;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    return r;
}

struct sb_arena *fixture_arena;

int fixture_setup(void **state)
{
    fixture_arena = sb_arena_new();
    return 0;
}

int fixture_teardown(void **state)
{
    sb_arena_free(fixture_arena);
    fixture_arena = NULL;
    return 0;
}
