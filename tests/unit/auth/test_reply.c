/* auth/reply: the email rule sign-up, sign-in and recovery share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/service.h"

static void an_address_is_trimmed_and_lower_cased(void **state)
{
    struct sb_arena *a = sb_arena_new();
    assert_string_equal(sb_auth_normalize_email(a, "  Ada.Lovelace@Example.COM "), "ada.lovelace@example.com");
    assert_string_equal(sb_auth_normalize_email(a, "a+tag@sub.example.org"), "a+tag@sub.example.org");
    sb_arena_free(a);
}

static void malformed_addresses_are_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const char *bad[] = { "", "   ", "plain", "@example.com", "a@", "a@b", "a@@example.com", "a@b@example.com",
                          "a b@example.com", "a@example..com", "a@.example.com", "a@example.com.", "a..b@example.com",
                          "<a@example.com>", "a@exa\nmple.com", NULL };
    for (int i = 0; bad[i]; i++)
        assert_null(sb_auth_normalize_email(a, bad[i]));
    assert_null(sb_auth_normalize_email(a, NULL));
    sb_arena_free(a);
}

static void an_address_over_255_characters_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char long_address[300];
    memset(long_address, 'a', sizeof long_address);
    memcpy(long_address + 270, "@example.com", 13);
    assert_null(sb_auth_normalize_email(a, long_address));
    sb_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_address_is_trimmed_and_lower_cased),
        cmocka_unit_test(malformed_addresses_are_refused),
        cmocka_unit_test(an_address_over_255_characters_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
