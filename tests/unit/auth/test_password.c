/* auth/password: bcrypt $2b$ cost 10 hashes, and verification of hashes made elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/password.h"

static void a_new_hash_is_bcrypt_2b_cost_10(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *hash = sb_password_hash(a, "correct horse");
    assert_non_null(hash);
    assert_int_equal(strlen(hash), 60);
    assert_memory_equal(hash, "$2b$10$", 7);
    sb_arena_free(a);
}

static void two_hashes_of_one_password_differ_by_their_salt(void **state)
{
    struct sb_arena *a = sb_arena_new();
    assert_string_not_equal(sb_password_hash(a, "same"), sb_password_hash(a, "same"));
    sb_arena_free(a);
}

static void the_right_password_matches_and_a_wrong_one_does_not(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *hash = sb_password_hash(a, "correct horse");
    assert_true(sb_password_matches("correct horse", hash));
    assert_false(sb_password_matches("correct horsE", hash));
    assert_false(sb_password_matches("", hash));
    sb_arena_free(a);
}

static void a_published_2a_test_vector_matches(void **state)
{
    /* crypt_blowfish's first test vector */
    assert_true(sb_password_matches("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    assert_false(sb_password_matches("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
}

static void anything_but_a_bcrypt_hash_never_matches(void **state)
{
    assert_false(sb_password_matches("", ""));
    assert_false(sb_password_matches("pw", NULL));
    assert_false(sb_password_matches("pw", "pw"));
    assert_false(sb_password_matches("pw", "$1$abcdefgh$abcdefghijklmnopqrstuv"));
    assert_false(sb_password_matches("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_hash_is_bcrypt_2b_cost_10),
        cmocka_unit_test(two_hashes_of_one_password_differ_by_their_salt),
        cmocka_unit_test(the_right_password_matches_and_a_wrong_one_does_not),
        cmocka_unit_test(a_published_2a_test_vector_matches),
        cmocka_unit_test(anything_but_a_bcrypt_hash_never_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
