/*
 * fuzz_rest_parse: libFuzzer target for the data API's URL grammar and SQL generator.
 *
 * The input is a query string without percent-encoding ("select=a,b(c)&name=eq.x&or=(...)"):
 * split at '&' and the first '=', parsed with sb_rest_parse_query, and when it parses, planned
 * against a small fixed schema cache (courses, materials) and written as SQL (sql.h: the plan
 * stage, then the query stage) for a read, an update and a delete. Nothing may crash, leak or trip ASan/UBSan; errors must carry a code and a message.
 * Build and run: scripts/fuzz-rest.sh. The corpus (tests/fuzz/corpus/rest_parse) is replayed
 * by `make test` (tests/fuzz/replay_main.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest/parse.h"
#include "rest/sql.h"

static struct sb_cache_column course_cols[] = {
    { "id", "uuid", true, true, NULL }, { "user_id", "uuid", true, false, NULL },
    { "name", "text", true, false, NULL }, { "tags", "text[]", false, false, NULL },
    { "prefs", "jsonb", false, false, NULL },
};
static struct sb_cache_column material_cols[] = {
    { "id", "uuid", true, true, NULL }, { "course_id", "uuid", true, false, NULL },
    { "name", "text", true, false, NULL }, { "file_size", "bigint", true, false, NULL },
};
static const char *pkey[] = { "id" };
static const char *fk_from[] = { "course_id" };
static struct sb_cache_table tables[] = {
    { "courses", false, false, 5, course_cols, 1, pkey },
    { "materials", false, false, 4, material_cols, 1, pkey },
};
static struct sb_cache_fkey fkeys[] = {
    { "materials_course_id_fkey", &tables[1], &tables[0], 1, fk_from, pkey },
};
static struct sb_schema_cache cache = { .table_count = 2, .fkey_count = 1, .tables = tables, .fkeys = fkeys };

static int split_args(struct sb_arena *arena, char *text, struct sb_kv *args, int max)
{
    int n = 0;
    for (char *save = NULL, *part = strtok_r(text, "&", &save); part && n < max; part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq)
            *eq = '\0';
        args[n].key = sb_arena_strdup(arena, part);
        args[n].value = sb_arena_strdup(arena, eq ? eq + 1 : "");
        n++;
    }
    return n;
}

static void check_error(const struct sb_error *err)
{
    if (!err->code || !err->message || err->status < 300 || err->status > 599)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sb_arena *arena = sb_arena_new();
    char *text = sb_arena_strndup(arena, (const char *)data, size);
    struct sb_kv args[64];
    int n = split_args(arena, text, args, 64);
    struct sb_rest_query q;
    struct sb_error err;
    if (!sb_rest_parse_query(arena, args, n, NULL, NULL, &q, &err)) {
        check_error(&err);
    } else {
        struct sb_rest_sql sql;
        struct sb_rest_write w = { .body = "{}", .column_count = 1, .columns = (const char *[]){ "name" } };
        for (int t = 0; t < 2; t++) {
            if (!sb_rest_sql_read(arena, &cache, &tables[t], &q, true, &sql, &err))
                check_error(&err);
            if (!sb_rest_sql_update(arena, &cache, &tables[t], &q, &w, &sql, &err))
                check_error(&err);
            if (!sb_rest_sql_delete(arena, &cache, &tables[t], &q, true, &sql, &err))
                check_error(&err);
        }
    }
    sb_arena_free(arena);
    return 0;
}
