/* util/utf8: a text cut to a number of bytes never ends inside a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/utf8.h"

static void a_text_that_fits_is_kept_whole(void **state)
{
    assert_int_equal(sb_utf8_prefix("abc", 10), 3);
    assert_int_equal(sb_utf8_prefix("abc", 3), 3);
    assert_int_equal(sb_utf8_prefix_n("abcdef", 4, 10), 4);
}

static void a_cut_inside_a_character_moves_before_it(void **state)
{
    assert_int_equal(sb_utf8_prefix("\xc3\xa9\xc3\xa9", 3), 2);          /* é é: the second é does not fit */
    assert_int_equal(sb_utf8_prefix("a\xe2\x82\xac", 3), 1);             /* a €: € needs three bytes */
    assert_int_equal(sb_utf8_prefix("a\xe2\x82\xac", 4), 4);
    assert_int_equal(sb_utf8_prefix_n("\xf0\x9f\x99\x82x", 5, 2), 0);    /* a four-byte emoji first */
}

static void a_cut_on_a_boundary_stays_there(void **state)
{
    assert_int_equal(sb_utf8_prefix("ab\xc3\xa9", 2), 2);
    assert_int_equal(sb_utf8_prefix_n("\xc3\xa9" "abc", 5, 2), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_text_that_fits_is_kept_whole),
        cmocka_unit_test(a_cut_inside_a_character_moves_before_it),
        cmocka_unit_test(a_cut_on_a_boundary_stays_there),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
