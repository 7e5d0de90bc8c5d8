/*
 * session: sessions and their refresh tokens. A session starts when a user signs in (or
 * confirms a mailed link); each refresh revokes the token presented and issues its child
 * (rotation); a token presented again after SB_REFRESH_TOKEN_REUSE_INTERVAL seconds ends the
 * session (reuse detection). Refresh tokens reach the database only as SHA-256 hashes.
 *
 * The SQL is auth.sb_start_session and auth.sb_refresh (db/platform/004_auth_api.sql), so each
 * step is one atomic round trip. Everything returned is owned by the request's arena.
 */
#ifndef SB_AUTH_SESSION_H
#define SB_AUTH_SESSION_H

#include "db/conn.h"
#include "http/request.h"

struct sb_session {
    const char *access_token;
    const char *refresh_token;
    const char *user_json;
    long long expires_at;
    int expires_in;
};

enum sb_session_status {
    SB_SESSION_OK,
    SB_SESSION_NOT_FOUND,     /* refresh token unknown (or its session ended) */
    SB_SESSION_ALREADY_USED,  /* reuse after the interval: the session was ended */
    SB_SESSION_USER_BANNED,
    SB_SESSION_DB_FAILED,     /* see the db result */
};

/* Starts a session for user_id authenticated by method ("password", "otp", "recovery"). */
enum sb_session_status sb_session_start(struct sb_request *req, const char *user_id, const char *method,
                                        struct sb_session *out, struct sb_db_result *db);

/* Rotates refresh_token. */
enum sb_session_status sb_session_refresh(struct sb_request *req, const char *refresh_token,
                                          struct sb_session *out, struct sb_db_result *db);

/* The session as GoTrue answers it: {access_token, token_type, expires_in, expires_at,
 * refresh_token, user}. */
char *sb_session_json(struct sb_arena *arena, const struct sb_session *session);

/* The fragment a browser is redirected with after a mailed link:
 * access_token=...&expires_at=...&expires_in=...&refresh_token=...&token_type=bearer&type=<type>. */
char *sb_session_fragment(struct sb_arena *arena, const struct sb_session *session, const char *type);

#endif
