/*
 * jwt: HS256 JSON Web Tokens, the only algorithm accepted.
 *
 * We verify with OpenSSL's HMAC directly rather than libjwt because pinning the algorithm
 * means reading the header ourselves anyway: a token whose header names anything but HS256
 * ("none" included) is refused before its signature is looked at. Everything returned is
 * owned by the arena passed in.
 *
 * Every token has one use. API tokens (access tokens, the anon and service_role keys) carry
 * no "purpose" claim, as Supabase's do, and are checked with sb_jwt_verify, which refuses any
 * token that names a purpose. Every other token the server signs names its one use in
 * "purpose" (SB_JWT_PURPOSE_*) and is checked with sb_jwt_verify_for, which accepts only that
 * purpose. So a signed URL is no API key, an upload URL opens no download, and an access
 * token or API key opens no signed URL.
 */
#ifndef SB_AUTH_JWT_H
#define SB_AUTH_JWT_H

#include "util/arena.h"

#define SB_JWT_PURPOSE_DOWNLOAD "storage.download" /* a signed download URL's token */
#define SB_JWT_PURPOSE_UPLOAD "storage.upload"     /* a signed upload URL's token */

enum sb_jwt_status {
    SB_JWT_OK,
    SB_JWT_MALFORMED,      /* not three base64url parts with JSON objects */
    SB_JWT_BAD_ALGORITHM,  /* header alg is not HS256 */
    SB_JWT_BAD_SIGNATURE,
    SB_JWT_EXPIRED,
    SB_JWT_BAD_AUDIENCE,   /* aud present and not the expected one */
    SB_JWT_BAD_ROLE,       /* role is not anon, authenticated or service_role */
    SB_JWT_WRONG_PURPOSE,  /* made for another use (see above) */
};

struct sb_jwt_claims {
    const char *json;        /* the payload as sent: what request.jwt.claims is set to */
    const char *role;        /* "anon" when the token names none; NULL from sb_jwt_verify_for */
    const char *sub;         /* NULL when absent */
    const char *email;
    const char *session_id;
    long long exp, iat;      /* 0 when absent */
};

/* Signs a JSON object (claims_json) as the payload; returns the compact token. */
char *sb_jwt_sign(struct sb_arena *arena, const char *secret, const char *claims_json);

/* Checks an API token against the secret, the clock and the expected audience; a token with
 * a "purpose" claim is SB_JWT_WRONG_PURPOSE. */
enum sb_jwt_status sb_jwt_verify(struct sb_arena *arena, const char *secret, const char *token,
                                 const char *audience, struct sb_jwt_claims *out);

/* Checks a token made for one use against the secret and the clock: its "purpose" claim must
 * be purpose (absent or another: SB_JWT_WRONG_PURPOSE). Fills out's json, exp and iat only
 * (such tokens have no role, subject or audience). */
enum sb_jwt_status sb_jwt_verify_for(struct sb_arena *arena, const char *secret, const char *token,
                                     const char *purpose, struct sb_jwt_claims *out);

/* The clock exp is checked against (seconds since the epoch). sb_jwt_use_clock replaces it,
 * for tests; NULL restores the system clock. */
long long sb_jwt_now(void);
void sb_jwt_use_clock(long long (*now)(void));

/* A sentence for the status ("JWT expired", "invalid JWT signature", ...). */
const char *sb_jwt_status_message(enum sb_jwt_status status);

#endif
