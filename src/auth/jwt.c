/*
 * jwt: compact serialisation, HMAC-SHA256, and claim checks with jansson. Both checks share
 * the form, algorithm, signature and expiry steps; they differ in the claims that follow.
 */
#include "auth/jwt.h"

#include "util/base64url.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <time.h>

static long long system_clock(void)
{
    return (long long)time(NULL);
}

static long long (*clock_now)(void) = system_clock;

long long sb_jwt_now(void)
{
    return clock_now();
}

void sb_jwt_use_clock(long long (*now)(void))
{
    clock_now = now ? now : system_clock;
}

static const char header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static char *signature_of(struct sb_arena *arena, const char *secret, const char *signed_part, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)signed_part, len, mac, &mac_len);
    return sb_base64url_encode(arena, mac, mac_len);
}

char *sb_jwt_sign(struct sb_arena *arena, const char *secret, const char *claims_json)
{
    char *header = sb_base64url_encode(arena, header_json, strlen(header_json));
    char *payload = sb_base64url_encode(arena, claims_json, strlen(claims_json));
    char *signed_part = sb_arena_printf(arena, "%s.%s", header, payload);
    return sb_arena_printf(arena, "%s.%s", signed_part,
                           signature_of(arena, secret, signed_part, strlen(signed_part)));
}

/* Decodes one base64url part holding a JSON object; NULL if it is not one. */
static json_t *decode_object(struct sb_arena *arena, const char *part, size_t len, const char **text)
{
    size_t n;
    unsigned char *raw = sb_base64url_decode(arena, part, len, &n);
    if (!raw)
        return NULL;
    json_t *value = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    if (value && !json_is_object(value)) {
        json_decref(value);
        return NULL;
    }
    if (text)
        *text = (const char *)raw;
    return value;
}

static const char *string_claim(struct sb_arena *arena, json_t *payload, const char *name)
{
    const char *s = json_string_value(json_object_get(payload, name));
    return s ? sb_arena_strdup(arena, s) : NULL;
}

static int audience_matches(json_t *aud, const char *expected)
{
    if (!aud)
        return 1;
    if (json_is_string(aud))
        return expected && strcmp(json_string_value(aud), expected) == 0;
    if (json_is_array(aud)) {
        size_t i;
        json_t *item;
        json_array_foreach(aud, i, item)
            if (json_is_string(item) && expected && strcmp(json_string_value(item), expected) == 0)
                return 1;
    }
    return 0;
}

static int role_is_known(const char *role)
{
    return strcmp(role, "anon") == 0 || strcmp(role, "authenticated") == 0 ||
           strcmp(role, "service_role") == 0;
}

/* exp (a number, or absent for no expiry) against the clock; iat read along. */
static enum sb_jwt_status check_expiry(json_t *payload, struct sb_jwt_claims *out)
{
    json_t *exp = json_object_get(payload, "exp");
    if (exp && !json_is_number(exp))
        return SB_JWT_MALFORMED;
    out->exp = exp ? (long long)json_number_value(exp) : 0;
    json_t *iat = json_object_get(payload, "iat");
    out->iat = json_is_number(iat) ? (long long)json_number_value(iat) : 0;
    if (exp && out->exp <= sb_jwt_now())
        return SB_JWT_EXPIRED;
    return SB_JWT_OK;
}

static enum sb_jwt_status check_api_claims(struct sb_arena *arena, json_t *payload, const char *audience,
                                           struct sb_jwt_claims *out)
{
    enum sb_jwt_status status = check_expiry(payload, out);
    if (status != SB_JWT_OK)
        return status;
    if (json_object_get(payload, "purpose"))
        return SB_JWT_WRONG_PURPOSE; /* a signed URL's token, say: no API token */
    if (!audience_matches(json_object_get(payload, "aud"), audience))
        return SB_JWT_BAD_AUDIENCE;
    json_t *role = json_object_get(payload, "role");
    if (role && !json_is_string(role))
        return SB_JWT_BAD_ROLE;
    out->role = role ? string_claim(arena, payload, "role") : "anon";
    if (!role_is_known(out->role))
        return SB_JWT_BAD_ROLE;
    out->sub = string_claim(arena, payload, "sub");
    out->email = string_claim(arena, payload, "email");
    out->session_id = string_claim(arena, payload, "session_id");
    return SB_JWT_OK;
}

static enum sb_jwt_status check_purpose_claims(json_t *payload, const char *purpose, struct sb_jwt_claims *out)
{
    enum sb_jwt_status status = check_expiry(payload, out);
    if (status != SB_JWT_OK)
        return status;
    const char *given = json_string_value(json_object_get(payload, "purpose"));
    return given && strcmp(given, purpose) == 0 ? SB_JWT_OK : SB_JWT_WRONG_PURPOSE;
}

/* The payload of a token whose form, algorithm and signature are right (the caller decrefs
 * it; out->json is its text), or NULL with *status saying what is wrong. */
static json_t *signed_payload(struct sb_arena *arena, const char *secret, const char *token,
                              struct sb_jwt_claims *out, enum sb_jwt_status *status)
{
    memset(out, 0, sizeof *out);
    *status = SB_JWT_MALFORMED;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
        return NULL;

    json_t *header = decode_object(arena, token, (size_t)(dot1 - token), NULL);
    if (!header)
        return NULL;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    int is_hs256 = alg && strcmp(alg, "HS256") == 0;
    json_decref(header);
    if (!is_hs256) {
        *status = SB_JWT_BAD_ALGORITHM;
        return NULL;
    }

    char *expected = signature_of(arena, secret, token, (size_t)(dot2 - token));
    size_t given_len = strlen(dot2 + 1);
    if (given_len != strlen(expected) || CRYPTO_memcmp(expected, dot2 + 1, given_len) != 0) {
        *status = SB_JWT_BAD_SIGNATURE;
        return NULL;
    }

    json_t *payload = decode_object(arena, dot1 + 1, (size_t)(dot2 - dot1 - 1), &out->json);
    if (payload)
        *status = SB_JWT_OK;
    return payload;
}

enum sb_jwt_status sb_jwt_verify(struct sb_arena *arena, const char *secret, const char *token,
                                 const char *audience, struct sb_jwt_claims *out)
{
    enum sb_jwt_status status;
    json_t *payload = signed_payload(arena, secret, token, out, &status);
    if (!payload)
        return status;
    status = check_api_claims(arena, payload, audience, out);
    json_decref(payload);
    return status;
}

enum sb_jwt_status sb_jwt_verify_for(struct sb_arena *arena, const char *secret, const char *token,
                                     const char *purpose, struct sb_jwt_claims *out)
{
    enum sb_jwt_status status;
    json_t *payload = signed_payload(arena, secret, token, out, &status);
    if (!payload)
        return status;
    status = check_purpose_claims(payload, purpose, out);
    json_decref(payload);
    return status;
}

const char *sb_jwt_status_message(enum sb_jwt_status status)
{
    switch (status) {
    case SB_JWT_OK: return "valid JWT";
    case SB_JWT_MALFORMED: return "invalid JWT: unable to parse or verify signature, token is malformed";
    case SB_JWT_BAD_ALGORITHM: return "invalid JWT: signing method is not HS256";
    case SB_JWT_BAD_SIGNATURE: return "invalid JWT: unable to parse or verify signature, signature is invalid";
    case SB_JWT_EXPIRED: return "JWT expired";
    case SB_JWT_BAD_AUDIENCE: return "invalid JWT: the audience is not accepted";
    case SB_JWT_BAD_ROLE: return "invalid JWT: the role is not anon, authenticated or service_role";
    case SB_JWT_WRONG_PURPOSE: return "invalid JWT: the token was made for another use";
    }
    return "invalid JWT";
}
