/* util/arena: allocation, copies, formatting, and cleanups at free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"

static void allocations_are_zeroed_aligned_and_distinct(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *p = sb_arena_alloc(a, 3), *q = sb_arena_alloc(a, 100000);
    assert_true(((uintptr_t)p % 16) == 0 && ((uintptr_t)q % 16) == 0);
    assert_true(q[0] == 0 && q[99999] == 0);
    memset(p, 'x', 3);
    memset(q, 'y', 100000);
    assert_int_equal(p[0], 'x');
    assert_true(sb_arena_used(a) >= 100003);
    sb_arena_free(a);
}

static void copies_and_formats_strings(void **state)
{
    struct sb_arena *a = sb_arena_new();
    assert_string_equal(sb_arena_strdup(a, "abc"), "abc");
    assert_string_equal(sb_arena_strndup(a, "abcdef", 2), "ab");
    assert_string_equal(sb_arena_printf(a, "%s-%d", "n", 42), "n-42");
    assert_null(sb_arena_strdup(a, NULL));
    sb_arena_free(a);
}

static int order[3], ran;
static void remember(void *data) { order[ran++] = *(int *)data; }

static void cleanups_run_at_free_last_registered_first(void **state)
{
    struct sb_arena *a = sb_arena_new();
    static int one = 1, two = 2;
    ran = 0;
    sb_arena_defer(a, remember, &one);
    sb_arena_defer(a, remember, &two);
    assert_int_equal(ran, 0);
    sb_arena_free(a);
    assert_int_equal(ran, 2);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 1);
}

static void a_buffer_grows_and_escapes_json(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_buf b;
    sb_buf_init(&b, a);
    for (int i = 0; i < 1000; i++)
        sb_buf_append(&b, "x");
    assert_int_equal(b.len, 1000);
    sb_buf_init(&b, a);
    sb_buf_append_json_string(&b, "say \"hi\"\n");
    sb_buf_append_char(&b, ',');
    sb_buf_append_json_string(&b, NULL);
    assert_string_equal(b.data, "\"say \\\"hi\\\"\\n\",null");
    sb_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allocations_are_zeroed_aligned_and_distinct),
        cmocka_unit_test(copies_and_formats_strings),
        cmocka_unit_test(cleanups_run_at_free_last_registered_first),
        cmocka_unit_test(a_buffer_grows_and_escapes_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
