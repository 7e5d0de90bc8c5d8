/* storage/range: what a download's Range header asks of a file of a given size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/range.h"

static void expect_part(const char *header, uint64_t size, uint64_t first, uint64_t last)
{
    struct sb_byte_range r = sb_range_parse(header, size);
    assert_int_equal(r.kind, SB_RANGE_PART);
    assert_int_equal(r.first, first);
    assert_int_equal(r.last, last);
}

static void expect_kind(const char *header, uint64_t size, enum sb_range_kind kind)
{
    assert_int_equal(sb_range_parse(header, size).kind, kind);
}

static void a_closed_range_is_taken_as_it_is(void **state)
{
    expect_part("bytes=0-99", 1000, 0, 99);
    expect_part("bytes=10-10", 1000, 10, 10);
    expect_part(" bytes=5-9 ", 1000, 5, 9);
}

static void a_range_past_the_end_is_cut_at_the_last_byte(void **state)
{
    expect_part("bytes=900-5000", 1000, 900, 999);
    expect_part("bytes=900-", 1000, 900, 999);
}

static void a_suffix_range_is_the_last_bytes(void **state)
{
    expect_part("bytes=-100", 1000, 900, 999);
    expect_part("bytes=-5000", 1000, 0, 999);
}

static void a_range_that_starts_past_the_end_cannot_be_satisfied(void **state)
{
    expect_kind("bytes=1000-", 1000, SB_RANGE_UNSATISFIABLE);
    expect_kind("bytes=1000-2000", 1000, SB_RANGE_UNSATISFIABLE);
    expect_kind("bytes=-0", 1000, SB_RANGE_UNSATISFIABLE);
    expect_kind("bytes=0-", 0, SB_RANGE_UNSATISFIABLE);
    expect_kind("bytes=-10", 0, SB_RANGE_UNSATISFIABLE);
}

static void anything_else_means_the_whole_file(void **state)
{
    expect_kind(NULL, 1000, SB_RANGE_WHOLE);
    expect_kind("", 1000, SB_RANGE_WHOLE);
    expect_kind("items=0-9", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=0-9,20-29", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=9-0", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=-", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=a-9", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes 0-9", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes = 0-9", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=0 - 9", 1000, SB_RANGE_WHOLE);
    expect_kind("bytes=99999999999999999999-", 1000, SB_RANGE_WHOLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_closed_range_is_taken_as_it_is),
        cmocka_unit_test(a_range_past_the_end_is_cut_at_the_last_byte),
        cmocka_unit_test(a_suffix_range_is_the_last_bytes),
        cmocka_unit_test(a_range_that_starts_past_the_end_cannot_be_satisfied),
        cmocka_unit_test(anything_else_means_the_whole_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
