/*
 * jwt_cache: sb_jwt_verify with a small per-thread memory of tokens that verified.
 *
 * supabase-js sends the same access token on every request, and checking it (base64url,
 * HMAC-SHA256, two JSON parses) was the largest single CPU cost of a short /rest/v1 request.
 * Whether a token verifies depends only on its bytes, the secret, the expected audience and
 * the clock (through exp), so a token seen before with the same secret and audience gets the
 * stored claims after one check: exp against the clock now. Only tokens that verified are
 * kept; anything else (bad signature, expired, malformed) is checked in full every time.
 * Tokens are compared in constant time. Each thread keeps SB_JWT_CACHE_ENTRIES tokens of at
 * most SB_JWT_CACHE_MAX_TOKEN bytes, least recently used evicted; nothing is shared between
 * threads, so there is no lock. Claims returned are copies owned by the arena, as with
 * sb_jwt_verify.
 */
#ifndef SB_AUTH_JWT_CACHE_H
#define SB_AUTH_JWT_CACHE_H

#include "auth/jwt.h"

#define SB_JWT_CACHE_ENTRIES 16
#define SB_JWT_CACHE_MAX_TOKEN 4096

/* Same contract as sb_jwt_verify. */
enum sb_jwt_status sb_jwt_verify_cached(struct sb_arena *arena, const char *secret, const char *token,
                                        const char *audience, struct sb_jwt_claims *out);

/* How many verifications the calling thread answered from its cache (for tests). */
unsigned long sb_jwt_cache_hits(void);

/* Forgets the calling thread's cache (threads' caches are also freed when they exit). */
void sb_jwt_cache_clear(void);

#endif
