/* auth/jwt: HS256 signing and the checks every presented token goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "util/base64url.h"

static const char secret[] = "a-test-secret-of-at-least-32-characters!!";

static char *token_with(struct sb_arena *a, const char *claims)
{
    return sb_jwt_sign(a, secret, claims);
}

static char *claims_expiring_in(struct sb_arena *a, long seconds, const char *extra)
{
    return sb_arena_printf(a, "{\"sub\":\"u1\",\"role\":\"authenticated\",\"aud\":\"authenticated\",\"exp\":%lld%s}",
                           (long long)time(NULL) + seconds, extra);
}

static void a_signed_token_verifies_and_exposes_its_claims(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *claims = claims_expiring_in(a, 60, ",\"email\":\"s@example.com\",\"session_id\":\"s1\"");
    assert_int_equal(sb_jwt_verify(a, secret, token_with(a, claims), "authenticated", &c), SB_JWT_OK);
    assert_string_equal(c.role, "authenticated");
    assert_string_equal(c.sub, "u1");
    assert_string_equal(c.email, "s@example.com");
    assert_string_equal(c.session_id, "s1");
    assert_string_equal(c.json, claims);
    sb_arena_free(a);
}

static void a_token_signed_with_another_secret_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = sb_jwt_sign(a, "another-secret-of-at-least-32-characters", claims_expiring_in(a, 60, ""));
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_BAD_SIGNATURE);
    sb_arena_free(a);
}

static void a_token_with_a_changed_payload_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_with(a, claims_expiring_in(a, 60, ""));
    char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
    const char *forged = "{\"sub\":\"u1\",\"role\":\"service_role\"}";
    char *tampered = sb_arena_printf(a, "%.*s.%s%s", (int)(dot1 - token), token,
                                     sb_base64url_encode(a, forged, strlen(forged)), dot2);
    assert_int_equal(sb_jwt_verify(a, secret, tampered, "authenticated", &c), SB_JWT_BAD_SIGNATURE);
    sb_arena_free(a);
}

static void an_unsigned_token_with_alg_none_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    const char *header = "{\"alg\":\"none\",\"typ\":\"JWT\"}", *payload = "{\"role\":\"service_role\"}";
    char *token = sb_arena_printf(a, "%s.%s.", sb_base64url_encode(a, header, strlen(header)),
                                  sb_base64url_encode(a, payload, strlen(payload)));
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_BAD_ALGORITHM);
    sb_arena_free(a);
}

static void another_algorithm_is_refused_before_the_signature_is_checked(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_with(a, claims_expiring_in(a, 60, ""));
    const char *header = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
    char *swapped = sb_arena_printf(a, "%s%s", sb_base64url_encode(a, header, strlen(header)), strchr(token, '.'));
    assert_int_equal(sb_jwt_verify(a, secret, swapped, "authenticated", &c), SB_JWT_BAD_ALGORITHM);
    sb_arena_free(a);
}

static void an_expired_token_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token_with(a, claims_expiring_in(a, -1, "")), "authenticated", &c),
                     SB_JWT_EXPIRED);
    sb_arena_free(a);
}

static void a_token_for_another_audience_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *token = token_with(a, "{\"role\":\"authenticated\",\"aud\":\"someone-else\"}");
    assert_int_equal(sb_jwt_verify(a, secret, token, "authenticated", &c), SB_JWT_BAD_AUDIENCE);
    sb_arena_free(a);
}

static void a_role_outside_the_three_api_roles_is_refused(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token_with(a, "{\"role\":\"postgres\"}"), "authenticated", &c),
                     SB_JWT_BAD_ROLE);
    sb_arena_free(a);
}

static void a_token_without_a_role_is_anon(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, token_with(a, "{\"iss\":\"x\"}"), "authenticated", &c), SB_JWT_OK);
    assert_string_equal(c.role, "anon");
    assert_null(c.sub);
    sb_arena_free(a);
}

static void garbage_is_malformed(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    assert_int_equal(sb_jwt_verify(a, secret, "not-a-token", "authenticated", &c), SB_JWT_MALFORMED);
    assert_int_equal(sb_jwt_verify(a, secret, "a.b.c.d", "authenticated", &c), SB_JWT_MALFORMED);
    assert_int_equal(sb_jwt_verify(a, secret, "!!!.e30.x", "authenticated", &c), SB_JWT_MALFORMED);
    sb_arena_free(a);
}

static void a_token_naming_a_purpose_is_no_api_token(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *download = token_with(a, claims_expiring_in(a, 60, ",\"purpose\":\"" SB_JWT_PURPOSE_DOWNLOAD "\""));
    char *upload = token_with(a, "{\"purpose\":\"" SB_JWT_PURPOSE_UPLOAD "\",\"url\":\"b/k\"}");
    assert_int_equal(sb_jwt_verify(a, secret, download, "authenticated", &c), SB_JWT_WRONG_PURPOSE);
    assert_int_equal(sb_jwt_verify(a, secret, upload, NULL, &c), SB_JWT_WRONG_PURPOSE);
    sb_arena_free(a);
}

static void a_token_for_a_purpose_verifies_for_that_purpose_only(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    const char *claims = sb_arena_printf(a, "{\"purpose\":\"%s\",\"url\":\"b/k\",\"exp\":%lld}",
                                         SB_JWT_PURPOSE_DOWNLOAD, (long long)time(NULL) + 60);
    char *token = token_with(a, claims);
    assert_int_equal(sb_jwt_verify_for(a, secret, token, SB_JWT_PURPOSE_DOWNLOAD, &c), SB_JWT_OK);
    assert_string_equal(c.json, claims);
    assert_null(c.role);
    assert_int_equal(sb_jwt_verify_for(a, secret, token, SB_JWT_PURPOSE_UPLOAD, &c), SB_JWT_WRONG_PURPOSE);
    sb_arena_free(a);
}

static void an_api_token_or_one_without_a_purpose_is_refused_for_a_purpose(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    char *access = token_with(a, claims_expiring_in(a, 60, ""));
    char *old_signed_url = token_with(a, "{\"url\":\"b/k\",\"iat\":1}");
    char *not_a_string = token_with(a, "{\"purpose\":[\"" SB_JWT_PURPOSE_DOWNLOAD "\"]}");
    assert_int_equal(sb_jwt_verify_for(a, secret, access, SB_JWT_PURPOSE_DOWNLOAD, &c), SB_JWT_WRONG_PURPOSE);
    assert_int_equal(sb_jwt_verify_for(a, secret, old_signed_url, SB_JWT_PURPOSE_DOWNLOAD, &c), SB_JWT_WRONG_PURPOSE);
    assert_int_equal(sb_jwt_verify_for(a, secret, not_a_string, SB_JWT_PURPOSE_DOWNLOAD, &c), SB_JWT_WRONG_PURPOSE);
    sb_arena_free(a);
}

static void a_token_for_a_purpose_is_checked_for_signature_and_expiry_first(void **state)
{
    struct sb_arena *a = sb_arena_new();
    struct sb_jwt_claims c;
    const char *expired = sb_arena_printf(a, "{\"purpose\":\"%s\",\"exp\":%lld}", SB_JWT_PURPOSE_UPLOAD,
                                          (long long)time(NULL) - 1);
    char *forged = sb_jwt_sign(a, "another-secret-of-at-least-32-characters", "{\"purpose\":\"" SB_JWT_PURPOSE_UPLOAD "\"}");
    assert_int_equal(sb_jwt_verify_for(a, secret, token_with(a, expired), SB_JWT_PURPOSE_UPLOAD, &c), SB_JWT_EXPIRED);
    assert_int_equal(sb_jwt_verify_for(a, secret, forged, SB_JWT_PURPOSE_UPLOAD, &c), SB_JWT_BAD_SIGNATURE);
    sb_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signed_token_verifies_and_exposes_its_claims),
        cmocka_unit_test(a_token_signed_with_another_secret_is_refused),
        cmocka_unit_test(a_token_with_a_changed_payload_is_refused),
        cmocka_unit_test(an_unsigned_token_with_alg_none_is_refused),
        cmocka_unit_test(another_algorithm_is_refused_before_the_signature_is_checked),
        cmocka_unit_test(an_expired_token_is_refused),
        cmocka_unit_test(a_token_for_another_audience_is_refused),
        cmocka_unit_test(a_role_outside_the_three_api_roles_is_refused),
        cmocka_unit_test(a_token_without_a_role_is_anon),
        cmocka_unit_test(garbage_is_malformed),
        cmocka_unit_test(a_token_naming_a_purpose_is_no_api_token),
        cmocka_unit_test(a_token_for_a_purpose_verifies_for_that_purpose_only),
        cmocka_unit_test(an_api_token_or_one_without_a_purpose_is_refused_for_a_purpose),
        cmocka_unit_test(a_token_for_a_purpose_is_checked_for_signature_and_expiry_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
