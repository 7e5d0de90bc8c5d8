/*
 * session: builds refresh tokens and access tokens around the two SQL functions.
 */
#include "auth/session.h"

#include "auth/service.h"
#include "auth/tokens.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

/* Fills db as a failure that is not the database's (the caller answers 500 unexpected_failure
 * and logs the message). */
static enum sb_session_status failed(struct sb_db_result *db, const char *message)
{
    memset(db, 0, sizeof *db);
    db->status = SB_DB_ERROR;
    db->message = message;
    return SB_SESSION_DB_FAILED;
}

/* Turns a row (user_json, claims) into a session with a signed access token. */
static enum sb_session_status finish(struct sb_request *req, const char *user_json, const char *claims,
                                     const char *refresh_token, struct sb_session *out)
{
    const struct sb_config *config = req->config;
    out->refresh_token = refresh_token;
    out->user_json = user_json;
    out->expires_in = config->jwt_exp;
    const char *issuer = sb_arena_printf(req->arena, "%s/auth/v1", req->config->api_external_url);
    out->access_token = sb_tokens_access_token(req->arena, config->jwt_secret, issuer, claims, config->jwt_exp,
                                               &out->expires_at);
    return out->access_token ? SB_SESSION_OK : SB_SESSION_DB_FAILED;
}

enum sb_session_status sb_session_start(struct sb_request *req, const char *user_id, const char *method,
                                        struct sb_session *out, struct sb_db_result *db)
{
    char *token = sb_tokens_new_refresh_token(req->arena);
    if (!token)
        return failed(db, "no randomness for a refresh token");
    const char *agent = sb_request_header(req, "User-Agent");
    const char *params[] = { user_id, sb_tokens_stored_hash(req->arena, token), method, req->client_ip, agent };
    if (sb_auth_sql(req, "SELECT user_json, claims FROM auth.sb_start_session($1, $2, $3, $4, $5)", 5, params,
                    db) != SB_DB_OK || PQntuples(db->rows) != 1)
        return SB_SESSION_DB_FAILED;
    return finish(req, sb_auth_value(db, 0), sb_auth_value(db, 1), token, out);
}

enum sb_session_status sb_session_refresh(struct sb_request *req, const char *refresh_token,
                                          struct sb_session *out, struct sb_db_result *db)
{
    char *next = sb_tokens_new_refresh_token(req->arena);
    if (!next)
        return failed(db, "no randomness for a refresh token");
    char *sealed = sb_tokens_seal_child(req->arena, refresh_token, next);
    if (!sealed)
        return failed(db, "could not seal the new refresh token");
    char interval[16];
    snprintf(interval, sizeof interval, "%d", req->config->refresh_reuse_interval_s);
    const char *params[] = { sb_tokens_stored_hash(req->arena, refresh_token),
                             sb_tokens_stored_hash(req->arena, next), interval, sealed };
    if (sb_auth_sql(req, "SELECT outcome, user_json, claims, child_sealed FROM auth.sb_refresh($1, $2, $3, $4)", 4,
                    params, db) != SB_DB_OK || PQntuples(db->rows) != 1)
        return SB_SESSION_DB_FAILED;
    const char *outcome = sb_auth_value(db, 0);
    if (strcmp(outcome, "not_found") == 0)
        return SB_SESSION_NOT_FOUND;
    if (strcmp(outcome, "already_used") == 0)
        return SB_SESSION_ALREADY_USED;
    if (strcmp(outcome, "user_banned") == 0)
        return SB_SESSION_USER_BANNED;
    if (strcmp(outcome, "current") == 0) {
        /* presented again within the reuse interval: the same child as the first time */
        next = sb_tokens_unseal_child(req->arena, refresh_token, sb_auth_value(db, 3));
        if (!next)
            return SB_SESSION_NOT_FOUND;
    }
    return finish(req, sb_auth_value(db, 1), sb_auth_value(db, 2), next, out);
}

char *sb_session_json(struct sb_arena *arena, const struct sb_session *s)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "{\"access_token\":");
    sb_buf_append_json_string(&b, s->access_token);
    sb_buf_printf(&b, ",\"token_type\":\"bearer\",\"expires_in\":%d,\"expires_at\":%lld,\"refresh_token\":",
                  s->expires_in, s->expires_at);
    sb_buf_append_json_string(&b, s->refresh_token);
    sb_buf_append(&b, ",\"user\":");
    sb_buf_append(&b, s->user_json);
    sb_buf_append(&b, "}");
    return b.data;
}

char *sb_session_fragment(struct sb_arena *arena, const struct sb_session *s, const char *type)
{
    /* JWTs and refresh tokens use only URL-safe characters; type is one of ours. */
    return sb_arena_printf(arena,
                           "access_token=%s&expires_at=%lld&expires_in=%d&refresh_token=%s&token_type=bearer&type=%s",
                           s->access_token, s->expires_at, s->expires_in, s->refresh_token, type);
}
