/*
 * tokens: the secrets the auth service hands out.
 *   - access tokens: HS256 JWTs whose claims come from the database (auth.sb_claims) plus
 *     iat and exp from this server's clock;
 *   - refresh tokens: random strings, stored only as their SHA-256 hex;
 *   - mailed one-time codes: six digits. The mailed link carries the link token, an HMAC-SHA256
 *     of (kind, user id, code) under a key derived from the JWT secret; the database keeps only
 *     the SHA-256 of the link token. A code is checked for one user found by their address:
 *     its link token is computed and its stored form compared in constant time. So neither a
 *     database dump nor a guess over the million codes gives a usable link without the
 *     secret, and a code made for one user is worth nothing for another.
 * Everything returned is owned by the arena; functions that need randomness return NULL when
 * the system has none.
 */
#ifndef SB_AUTH_TOKENS_H
#define SB_AUTH_TOKENS_H

#include <stdbool.h>

#include "util/arena.h"

#define SB_REFRESH_TOKEN_LEN 32

/* Signs claims_json (a JSON object without iat/exp/iss) valid for lifetime_s seconds from now,
 * with iss = issuer unless it is NULL; *expires_at receives exp. NULL if claims_json is not an
 * object. */
char *sb_tokens_access_token(struct sb_arena *arena, const char *secret, const char *issuer, const char *claims_json,
                             int lifetime_s, long long *expires_at);

/* A new refresh token: SB_REFRESH_TOKEN_LEN characters of [a-z0-9]; NULL without randomness. */
char *sb_tokens_new_refresh_token(struct sb_arena *arena);

/* What the database keeps of a refresh token or a mail link token: its hex SHA-256. */
char *sb_tokens_stored_hash(struct sb_arena *arena, const char *token);

/* child sealed for its parent refresh token (AES-256-GCM under SHA-256 of a label and the
 * parent), as hex: what the database keeps so that the parent's holder, and only they, can be
 * handed the same child again within the reuse interval. NULL on failure. */
char *sb_tokens_seal_child(struct sb_arena *arena, const char *parent, const char *child);

/* The child back from sealed, or NULL when sealed was not made for parent or is damaged. */
char *sb_tokens_unseal_child(struct sb_arena *arena, const char *parent, const char *sealed);

/* A new six-digit one-time code; NULL without randomness. */
char *sb_tokens_new_otp(struct sb_arena *arena);

/* The link token of a mailed code: hex HMAC-SHA256, under a key derived from secret and a
 * label, of kind ("confirmation", "recovery", "email_change"), user_id and code; NULL if
 * OpenSSL fails. */
char *sb_tokens_mail_link_token(struct sb_arena *arena, const char *secret, const char *kind, const char *user_id,
                                const char *code);

/* A queued mail's body sealed (AES-256-GCM, hex) under a key derived from secret and a label:
 * the outbox holds a live link and code until the mail is sent, and a database dump must not
 * give them. NULL on failure. */
char *sb_tokens_seal_mail(struct sb_arena *arena, const char *secret, const char *body);

/* The body back, or NULL when it was sealed under another secret or is damaged. */
char *sb_tokens_unseal_mail(struct sb_arena *arena, const char *secret, const char *sealed);

/* a equals b, compared in time that depends only on their lengths. */
bool sb_tokens_equal(const char *a, const char *b);

#endif
