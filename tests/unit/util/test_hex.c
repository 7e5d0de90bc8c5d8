/* util/hex: bytes as lowercase hexadecimal, two digits a byte, NUL-terminated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/hex.h"

static void writes_two_lowercase_digits_per_byte(void **state)
{
    const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
    char out[9];
    memset(out, 'x', sizeof out);
    sb_hex_encode(bytes, sizeof bytes, out);
    assert_string_equal(out, "000fa5ff");
}

static void encodes_nothing_as_the_empty_string(void **state)
{
    char out[1] = { 'x' };
    sb_hex_encode("", 0, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_two_lowercase_digits_per_byte),
        cmocka_unit_test(encodes_nothing_as_the_empty_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
