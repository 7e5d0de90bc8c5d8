/* auth/ratelimit: token buckets per key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/ratelimit.h"

static void a_key_gets_its_limit_then_is_refused(void **state)
{
    assert_true(sb_ratelimit_take("test a", 3, 300));
    assert_true(sb_ratelimit_take("test a", 3, 300));
    assert_true(sb_ratelimit_take("test a", 3, 300));
    assert_false(sb_ratelimit_take("test a", 3, 300));
}

static void another_key_has_its_own_bucket(void **state)
{
    assert_true(sb_ratelimit_take("test b", 1, 300));
    assert_false(sb_ratelimit_take("test b", 1, 300));
    assert_true(sb_ratelimit_take("test c", 1, 300));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_key_gets_its_limit_then_is_refused),
        cmocka_unit_test(another_key_has_its_own_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
