/* storage/buckets: file_size_limit as bytes or with a decimal unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/buckets.h"

static void sizes_are_bytes_or_decimal_units(void **state)
{
    assert_int_equal(sb_storage_parse_size("52428800"), 52428800);
    assert_int_equal(sb_storage_parse_size("3B"), 3);
    assert_int_equal(sb_storage_parse_size("30KB"), 30000);
    assert_int_equal(sb_storage_parse_size("20MB"), 20000000);
    assert_int_equal(sb_storage_parse_size("1gb"), 1000000000);
}

static void other_text_is_refused(void **state)
{
    assert_int_equal(sb_storage_parse_size(""), -1);
    assert_int_equal(sb_storage_parse_size("MB"), -1);
    assert_int_equal(sb_storage_parse_size("-5"), -1);
    assert_int_equal(sb_storage_parse_size("20 parsecs"), -1);
    assert_int_equal(sb_storage_parse_size(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_are_bytes_or_decimal_units),
        cmocka_unit_test(other_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
