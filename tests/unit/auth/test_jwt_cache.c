/* auth/jwt_cache: a token that verified is answered from the thread's cache until its exp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/jwt_cache.h"

static const char secret[] = "a-test-secret-of-at-least-32-characters!!";
static long long fake_now;

static long long fake_clock(void)
{
    return fake_now;
}

static int reset(void **state)
{
    sb_jwt_cache_clear();
    sb_jwt_use_clock(NULL);
    return 0;
}

static char *token_for(struct sb_arena *a, const char *sub, long long exp)
{
    return sb_jwt_sign(a, secret, sb_arena_printf(a, "{\"sub\":\"%s\",\"role\":\"authenticated\","
                                                     "\"aud\":\"authenticated\",\"exp\":%lld}", sub, exp));
}

static void a_repeated_token_is_answered_from_the_cache_with_the_same_claims(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims first, second;
    char *token = token_for(a, "u1", (long long)time(NULL) + 60);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &first), SB_JWT_OK);
    assert_int_equal(sb_jwt_cache_hits(), 0);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &second), SB_JWT_OK);
    assert_int_equal(sb_jwt_cache_hits(), 1);
    assert_string_equal(second.sub, "u1");
    assert_string_equal(second.role, "authenticated");
    assert_string_equal(second.json, first.json);
    assert_int_equal(second.exp, first.exp);
    sb_arena_free(a);
}

static void a_cached_token_is_refused_once_its_exp_has_passed(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    fake_now = 1000000;
    sb_jwt_use_clock(fake_clock);
    char *token = token_for(a, "u1", fake_now + 60);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_OK);
    fake_now += 60;
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_EXPIRED);
    assert_int_equal(sb_jwt_cache_hits(), 0);
    sb_arena_free(a);
}

static void another_token_gets_its_own_claims(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    long long exp = (long long)time(NULL) + 60;
    assert_int_equal(sb_jwt_verify_cached(a, secret, token_for(a, "u1", exp), "authenticated", &c), SB_JWT_OK);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token_for(a, "u2", exp), "authenticated", &c), SB_JWT_OK);
    assert_string_equal(c.sub, "u2");
    assert_int_equal(sb_jwt_cache_hits(), 0);
    sb_arena_free(a);
}

static void a_token_differing_from_a_cached_one_in_its_signature_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_for(a, "u1", (long long)time(NULL) + 60);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_OK);
    char *forged = sb_arena_strdup(a, token);
    char *last = forged + strlen(forged) - 1;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(sb_jwt_verify_cached(a, secret, forged, "authenticated", &c), SB_JWT_BAD_SIGNATURE);
    sb_arena_free(a);
}

static void a_cached_token_is_checked_again_under_another_secret_or_audience(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_for(a, "u1", (long long)time(NULL) + 60);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_OK);
    assert_int_equal(sb_jwt_verify_cached(a, "another-secret-of-at-least-32-characters", token, "authenticated", &c),
                     SB_JWT_BAD_SIGNATURE);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "someone-else", &c), SB_JWT_BAD_AUDIENCE);
    assert_int_equal(sb_jwt_cache_hits(), 0);
    sb_arena_free(a);
}

static void a_refused_token_is_not_remembered(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = sb_jwt_sign(a, "another-secret-of-at-least-32-characters", "{\"sub\":\"u1\"}");
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, NULL, &c), SB_JWT_BAD_SIGNATURE);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, NULL, &c), SB_JWT_BAD_SIGNATURE);
    assert_int_equal(sb_jwt_cache_hits(), 0);
    sb_arena_free(a);
}

static void more_tokens_than_entries_evict_the_least_recently_used(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    long long exp = (long long)time(NULL) + 60;
    char *kept = token_for(a, "kept", exp);
    assert_int_equal(sb_jwt_verify_cached(a, secret, kept, "authenticated", &c), SB_JWT_OK);
    char *first = token_for(a, "first", exp);
    assert_int_equal(sb_jwt_verify_cached(a, secret, first, "authenticated", &c), SB_JWT_OK);
    for (int i = 0; i < SB_JWT_CACHE_ENTRIES - 1; i++) {
        assert_int_equal(sb_jwt_verify_cached(a, secret, kept, "authenticated", &c), SB_JWT_OK);  /* stays recent */
        char *other = token_for(a, sb_arena_printf(a, "u%d", i), exp);
        assert_int_equal(sb_jwt_verify_cached(a, secret, other, "authenticated", &c), SB_JWT_OK);
    }
    unsigned long hits = sb_jwt_cache_hits();
    assert_int_equal(sb_jwt_verify_cached(a, secret, kept, "authenticated", &c), SB_JWT_OK);
    assert_int_equal(sb_jwt_cache_hits(), hits + 1);
    assert_int_equal(sb_jwt_verify_cached(a, secret, first, "authenticated", &c), SB_JWT_OK);  /* evicted: full check */
    assert_int_equal(sb_jwt_cache_hits(), hits + 1);
    assert_string_equal(c.sub, "first");
    sb_arena_free(a);
}

static void claims_from_the_cache_belong_to_the_arena(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_for(a, "u1", (long long)time(NULL) + 60);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_OK);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_OK);
    sb_jwt_cache_clear();
    assert_string_equal(c.sub, "u1");      /* still readable: a copy, not the cache's */
    sb_arena_free(a);
}

static void a_token_naming_a_purpose_is_refused_every_time(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = sb_jwt_sign(a, secret, "{\"purpose\":\"" SB_JWT_PURPOSE_DOWNLOAD "\",\"url\":\"b/k\"}");
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_WRONG_PURPOSE);
    assert_int_equal(sb_jwt_verify_cached(a, secret, token, "authenticated", &c), SB_JWT_WRONG_PURPOSE);
    assert_int_equal(sb_jwt_cache_hits(), 0);
    sb_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_repeated_token_is_answered_from_the_cache_with_the_same_claims, reset, reset),
        cmocka_unit_test_setup_teardown(a_cached_token_is_refused_once_its_exp_has_passed, reset, reset),
        cmocka_unit_test_setup_teardown(another_token_gets_its_own_claims, reset, reset),
        cmocka_unit_test_setup_teardown(a_token_differing_from_a_cached_one_in_its_signature_is_refused, reset, reset),
        cmocka_unit_test_setup_teardown(a_cached_token_is_checked_again_under_another_secret_or_audience, reset, reset),
        cmocka_unit_test_setup_teardown(a_refused_token_is_not_remembered, reset, reset),
        cmocka_unit_test_setup_teardown(more_tokens_than_entries_evict_the_least_recently_used, reset, reset),
        cmocka_unit_test_setup_teardown(claims_from_the_cache_belong_to_the_arena, reset, reset),
        cmocka_unit_test_setup_teardown(a_token_naming_a_purpose_is_refused_every_time, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
