/*
 * service: the auth service (/auth/v1), GoTrue's API as @supabase/auth-js calls it.
 *
 * sb_auth_register adds one route per endpoint (method + path, the API key gate as the route's
 * admit) and the scope /auth/v1, whose 404 and 405 are GoTrue's. The rest of this header is what the handler files (signin.c, account.c,
 * admin.c, mailflow.c) share: GoTrue's error shape, body parsing, who is calling, and SQL run
 * as service_role. Everything returned lives in the request's arena.
 */
#ifndef SB_AUTH_SERVICE_H
#define SB_AUTH_SERVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/call.h"
#include "db/conn.h"
#include "http/request.h"

void sb_auth_register(void);

/* The request's call value (base/call.h) with the auth service's error shape. */
struct sb_call *sb_auth_call(struct sb_request *req);

/* ---- answers ---- */

/* {"code":"<code>","error_code":"<code>","msg":"...","message":"..."} with status; the body is
 * readable both by auth-js (X-Supabase-Api-Version 2024-01-01, string code) and older clients. */
void sb_auth_fail(struct sb_request *req, int status, const char *code, const char *msg);
/* 422 weak_password with {"weak_password":{"reasons":[reason]}}. */
void sb_auth_fail_weak_password(struct sb_request *req, const char *reason, const char *msg);
/* 503 when the database is unavailable, else 500 unexpected_failure (details logged, not sent);
 * also for failures that are not the database's (db->sqlstate NULL, db->message says what). */
void sb_auth_fail_db(struct sb_request *req, const struct sb_db_result *db);
/* 200 with a JSON body. */
void sb_auth_reply(struct sb_request *req, int status, const char *json);

/* ---- input ---- */

/* The body as a JSON object (an empty body is {}), or NULL after answering 400 bad_json.
 * The value is released with the arena. */
json_t *sb_auth_body(struct sb_request *req);
/* A string member, or NULL when absent, null or not a string. */
const char *sb_auth_string(json_t *object, const char *key);
/* An object member as JSON text, or NULL when absent or null; *bad is set when present but not
 * an object. */
const char *sb_auth_object_text(struct sb_request *req, json_t *object, const char *key, bool *bad);
/* A lower-cased, trimmed copy of email if it looks like an address, else NULL. */
char *sb_auth_normalize_email(struct sb_arena *arena, const char *email);
/* Checks a new password; answers (400 or 422 weak_password) and returns false when it is not
 * acceptable. */
bool sb_auth_password_acceptable(struct sb_request *req, const char *password);
/* Answers 429 over_request_rate_limit and returns false when the caller is over a limit:
 * kind is "token" or "verify" (per IP), email (may be NULL) is counted per address. */
bool sb_auth_within_rate_limits(struct sb_request *req, const char *kind, const char *email);
/* The per-address limit alone (for an address learnt after the per-IP check). */
bool sb_auth_within_email_rate_limit(struct sb_request *req, const char *email);

/* ---- callers ---- */

struct sb_auth_user {
    const char *id;          /* sub */
    const char *session_id;  /* NULL when the token names no session */
    const char *user_json;   /* auth.sb_user_json of the row */
};

/* The signed-in user of a Bearer access token whose user and session still exist; answers
 * (401 no_authorization, 403 bad_jwt / session_not_found / user_not_found) and returns false
 * otherwise. */
bool sb_auth_require_user(struct sb_request *req, struct sb_auth_user *user);
/* True for a Bearer token with role service_role; answers 401/403 not_admin otherwise. */
bool sb_auth_require_admin(struct sb_request *req);

/* ---- database ---- */

/* One statement as service_role (the auth service's only role). */
enum sb_db_status sb_auth_sql(struct sb_request *req, const char *sql, int nparams, const char *const *params,
                              struct sb_db_result *out);
/* Text of row 0, column col of a result, or NULL (SQL NULL or no row). */
const char *sb_auth_value(const struct sb_db_result *r, int col);

/* ---- mail (mailflow.c) ---- */

/* Gives the user with this email a new one-time code of type "signup" or "recovery", queues
 * the mail with its link and code (outbox.h), and sets *user_json to the updated user. Answers
 * and returns false when it cannot (429 when the last such mail is too recent, 500 when no SMTP
 * server is configured); returns true without mailing when no user has the address. */
bool sb_auth_send_link(struct sb_request *req, const char *email, const char *type, const char *redirect_to,
                       const char **user_json);
/* Records new_email as the user's pending address and queues a mail to that address with a
 * link that confirms it; *user_json receives the updated user. Answers and returns false on
 * failure. */
bool sb_auth_send_email_change(struct sb_request *req, const char *user_id, const char *new_email,
                               const char *redirect_to, const char **user_json);
/* redirect_to when it leads to the site's own origin, else the site URL (as GoTrue). */
const char *sb_auth_allowed_redirect(struct sb_request *req, const char *redirect_to);

/* Handlers, one per endpoint (path relative to /auth/v1). */
void sb_auth_handle_signup(struct sb_request *req);
void sb_auth_handle_token(struct sb_request *req);
void sb_auth_handle_get_user(struct sb_request *req);
void sb_auth_handle_put_user(struct sb_request *req);
void sb_auth_handle_logout(struct sb_request *req);
void sb_auth_handle_settings(struct sb_request *req);
void sb_auth_handle_health(struct sb_request *req);
void sb_auth_handle_recover(struct sb_request *req);
void sb_auth_handle_verify_get(struct sb_request *req);
void sb_auth_handle_verify_post(struct sb_request *req);
void sb_auth_handle_resend(struct sb_request *req);
void sb_auth_handle_admin_users(struct sb_request *req);      /* GET list, POST create */
void sb_auth_handle_admin_user(struct sb_request *req);       /* GET, PUT, DELETE /admin/users/{id} */

#endif
