/*
 * jwt: HS256 JSON Web Tokens, the only algorithm accepted.
 *
 * We verify with OpenSSL's HMAC directly rather than libjwt because pinning the algorithm
 * means reading the header ourselves anyway: a token whose header names anything but HS256
 * ("none" included) is refused before its signature is looked at. Everything returned is
 * owned by the arena passed in.
 */
#ifndef SB_AUTH_JWT_H
#define SB_AUTH_JWT_H

#include "util/arena.h"

enum sb_jwt_status {
    SB_JWT_OK,
    SB_JWT_MALFORMED,      /* not three base64url parts with JSON objects */
    SB_JWT_BAD_ALGORITHM,  /* header alg is not HS256 */
    SB_JWT_BAD_SIGNATURE,
    SB_JWT_EXPIRED,
    SB_JWT_BAD_AUDIENCE,   /* aud present and not the expected one */
    SB_JWT_BAD_ROLE,       /* role is not anon, authenticated or service_role */
};

struct sb_jwt_claims {
    const char *json;        /* the payload as sent: what request.jwt.claims is set to */
    const char *role;        /* "anon" when the token names none */
    const char *sub;         /* NULL when absent */
    const char *email;
    const char *session_id;
    long long exp, iat;      /* 0 when absent */
};

/* Signs a JSON object (claims_json) as the payload; returns the compact token. */
char *sb_jwt_sign(struct sb_arena *arena, const char *secret, const char *claims_json);

/* Checks the token against the secret, the clock and the expected audience. */
enum sb_jwt_status sb_jwt_verify(struct sb_arena *arena, const char *secret, const char *token,
                                 const char *audience, struct sb_jwt_claims *out);

/* The clock exp is checked against (seconds since the epoch). sb_jwt_use_clock replaces it,
 * for tests; NULL restores the system clock. */
long long sb_jwt_now(void);
void sb_jwt_use_clock(long long (*now)(void));

/* A sentence for the status ("JWT expired", "invalid JWT signature", ...). */
const char *sb_jwt_status_message(enum sb_jwt_status status);

#endif
