/* util/log: JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/log.h"

static void plain_text_is_copied_unchanged(void **state)
{
    char buf[32];
    assert_int_equal(sb_json_escape(buf, sizeof buf, "GET /health"), 11);
    assert_string_equal(buf, "GET /health");
}

static void quotes_backslashes_and_controls_are_escaped(void **state)
{
    char buf[64];
    sb_json_escape(buf, sizeof buf, "a\"b\\c\nd\x01");
    assert_string_equal(buf, "a\\\"b\\\\c\\nd\\u0001");
}

static void a_short_buffer_is_truncated_and_the_needed_length_returned(void **state)
{
    char buf[4];
    assert_int_equal(sb_json_escape(buf, sizeof buf, "abcdef"), 6);
    assert_string_equal(buf, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_copied_unchanged),
        cmocka_unit_test(quotes_backslashes_and_controls_are_escaped),
        cmocka_unit_test(a_short_buffer_is_truncated_and_the_needed_length_returned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
