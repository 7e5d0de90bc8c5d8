/* auth/tokens: access tokens from database claims, refresh tokens, mailed codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "auth/tokens.h"

static const char secret[] = "a-test-secret-of-at-least-32-characters!!";

static void an_access_token_gets_iat_and_exp_and_keeps_the_claims(void **state)
{
    struct sb_arena *a = sb_arena_new();
    long long expires_at;
    char *token = sb_tokens_access_token(a, secret, NULL, "{\"sub\": \"u1\", \"role\": \"authenticated\"}", 3600,
                                         &expires_at);
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_OK);
    assert_string_equal(c.sub, "u1");
    assert_int_equal(c.exp - c.iat, 3600);
    assert_int_equal(c.exp, expires_at);
    assert_true(c.iat <= (long long)time(NULL) && c.iat >= (long long)time(NULL) - 5);
    sb_arena_free(a);
}

static void an_empty_claims_object_still_makes_a_valid_token(void **state)
{
    struct sb_arena *a = sb_arena_new();
    long long expires_at;
    char *token = sb_tokens_access_token(a, secret, NULL, "{}", 60, &expires_at);
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_OK);
    assert_int_equal(c.exp, expires_at);
    sb_arena_free(a);
}

static void the_issuer_is_added_as_iss(void **state)
{
    struct sb_arena *a = sb_arena_new();
    long long expires_at;
    char *token = sb_tokens_access_token(a, secret, "http://h/auth/v1", "{\"sub\":\"u1\"}", 60, &expires_at);
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_OK);
    assert_non_null(strstr(c.json, "\"iss\":\"http://h/auth/v1\""));
    assert_non_null(strstr(c.json, "\"sub\":\"u1\""));
    sb_arena_free(a);
}

static void claims_that_are_not_an_object_make_no_token(void **state)
{
    struct sb_arena *a = sb_arena_new();
    long long expires_at;
    assert_null(sb_tokens_access_token(a, secret, NULL, "[1]", 60, &expires_at));
    assert_null(sb_tokens_access_token(a, secret, NULL, "", 60, &expires_at));
    sb_arena_free(a);
}

static void refresh_tokens_are_32_lowercase_letters_or_digits_and_differ(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *t1 = sb_tokens_new_refresh_token(a), *t2 = sb_tokens_new_refresh_token(a);
    assert_int_equal(strlen(t1), SB_REFRESH_TOKEN_LEN);
    assert_int_equal(strspn(t1, "abcdefghijklmnopqrstuvwxyz0123456789"), SB_REFRESH_TOKEN_LEN);
    assert_string_not_equal(t1, t2);
    sb_arena_free(a);
}

static void a_refresh_or_link_token_is_stored_as_its_sha256(void **state)
{
    struct sb_arena *a = sb_arena_new();
    /* SHA-256("abc"), FIPS 180-2 */
    assert_string_equal(sb_tokens_stored_hash(a, "abc"),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sb_arena_free(a);
}

static void a_sealed_child_opens_with_its_parent(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *sealed = sb_tokens_seal_child(a, "parent-token", "child-token");
    assert_non_null(sealed);
    assert_null(strstr(sealed, "child"));
    assert_string_equal(sb_tokens_unseal_child(a, "parent-token", sealed), "child-token");
    sb_arena_free(a);
}

static void a_sealed_child_does_not_open_with_another_token(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *sealed = sb_tokens_seal_child(a, "parent-token", "child-token");
    assert_null(sb_tokens_unseal_child(a, "other-token", sealed));
    sb_arena_free(a);
}

static void a_damaged_seal_does_not_open(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *sealed = sb_tokens_seal_child(a, "parent-token", "child-token");
    size_t last = strlen(sealed) - 1;
    sealed[last] = sealed[last] == '0' ? '1' : '0';
    assert_null(sb_tokens_unseal_child(a, "parent-token", sealed));
    assert_null(sb_tokens_unseal_child(a, "parent-token", "not hex"));
    assert_null(sb_tokens_unseal_child(a, "parent-token", "abcd"));
    assert_null(sb_tokens_unseal_child(a, "parent-token", NULL));
    sb_arena_free(a);
}

static void a_code_is_six_digits(void **state)
{
    struct sb_arena *a = sb_arena_new();
    char *otp = sb_tokens_new_otp(a);
    assert_int_equal(strlen(otp), 6);
    assert_int_equal(strspn(otp, "0123456789"), 6);
    sb_arena_free(a);
}

static void a_link_token_is_an_hmac_of_kind_user_and_code_under_a_key_derived_from_the_secret(void **state)
{
    struct sb_arena *a = sb_arena_new();
    /* computed independently (Python's hmac): key = HMAC-SHA256("secret", "studybase mail token
     * key v1"), token = HMAC-SHA256(key, "recovery\0user-1\0123456") */
    assert_string_equal(sb_tokens_mail_link_token(a, "secret", "recovery", "user-1", "123456"),
                        "08d13843742632aedd17e601b672ed0d5870176782b3279041e52df0dd9820e9");
    sb_arena_free(a);
}

static void a_link_token_changes_with_each_of_its_inputs(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const char *base = sb_tokens_mail_link_token(a, "secret", "recovery", "user-1", "123456");
    assert_string_not_equal(base, sb_tokens_mail_link_token(a, "secret2", "recovery", "user-1", "123456"));
    assert_string_not_equal(base, sb_tokens_mail_link_token(a, "secret", "confirmation", "user-1", "123456"));
    assert_string_not_equal(base, sb_tokens_mail_link_token(a, "secret", "recovery", "user-2", "123456"));
    assert_string_not_equal(base, sb_tokens_mail_link_token(a, "secret", "recovery", "user-1", "123457"));
    /* the fields are separated: moving a character from one to the next is another token */
    assert_string_not_equal(sb_tokens_mail_link_token(a, "secret", "recovery", "user-1", "23456"),
                            sb_tokens_mail_link_token(a, "secret", "recovery", "user-12", "3456"));
    sb_arena_free(a);
}

static void a_sealed_mail_opens_with_its_secret_only(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const char *body = "Follow this link: http://x/auth/v1/verify?token=abc\nOr enter this code: 123456\n";
    char *sealed = sb_tokens_seal_mail(a, "secret", body);
    assert_non_null(sealed);
    assert_string_equal(sb_tokens_unseal_mail(a, "secret", sealed), body);
    assert_null(sb_tokens_unseal_mail(a, "another secret", sealed));
    assert_string_not_equal(sealed, sb_tokens_seal_mail(a, "secret", body)); /* a fresh IV each time */
    sb_arena_free(a);
}

static void tokens_are_equal_only_when_every_byte_and_the_length_match(void **state)
{
    assert_true(sb_tokens_equal("abcdef", "abcdef"));
    assert_false(sb_tokens_equal("abcdef", "abcdeg"));
    assert_false(sb_tokens_equal("abcdef", "abcde"));
    assert_false(sb_tokens_equal("", "a"));
    assert_true(sb_tokens_equal("", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_access_token_gets_iat_and_exp_and_keeps_the_claims),
        cmocka_unit_test(an_empty_claims_object_still_makes_a_valid_token),
        cmocka_unit_test(the_issuer_is_added_as_iss),
        cmocka_unit_test(claims_that_are_not_an_object_make_no_token),
        cmocka_unit_test(refresh_tokens_are_32_lowercase_letters_or_digits_and_differ),
        cmocka_unit_test(a_refresh_or_link_token_is_stored_as_its_sha256),
        cmocka_unit_test(a_sealed_child_opens_with_its_parent),
        cmocka_unit_test(a_sealed_child_does_not_open_with_another_token),
        cmocka_unit_test(a_damaged_seal_does_not_open),
        cmocka_unit_test(a_code_is_six_digits),
        cmocka_unit_test(a_link_token_is_an_hmac_of_kind_user_and_code_under_a_key_derived_from_the_secret),
        cmocka_unit_test(a_link_token_changes_with_each_of_its_inputs),
        cmocka_unit_test(a_sealed_mail_opens_with_its_secret_only),
        cmocka_unit_test(tokens_are_equal_only_when_every_byte_and_the_length_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
