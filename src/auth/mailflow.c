/*
 * mailflow: the flows that go through a mailed link or code: confirming a sign-up, recovering
 * a password, confirming a new address; POST /recover, GET and POST /verify, POST /resend.
 *
 * A mail carries a link to GET /verify?token=<hash>&type=<type>&redirect_to=<url> and the
 * six-digit code; the database keeps only the hash (hex SHA-224 of address + code), so the
 * link and the code (POST /verify {email, token}) find the same user.
 */
#include "auth/mail.h"
#include "auth/service.h"
#include "auth/session.h"
#include "auth/tokens.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- links ---- */

static void append_percent_encoded(struct sb_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            sb_buf_append_char(b, (char)*p);
        } else {
            sb_buf_append_char(b, '%');
            sb_buf_append_char(b, hex[*p >> 4]);
            sb_buf_append_char(b, hex[*p & 15]);
        }
    }
}

/* Length of scheme://host[:port] at the start of url, or 0 when it has none. */
static size_t origin_length(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return 0;
    const char *end = sep + 3 + strcspn(sep + 3, "/?#");
    return (size_t)(end - url);
}

/* redirect_to when it leads to the site's own origin, else the site URL (as GoTrue). */
static const char *allowed_redirect(struct sb_request *req, const char *redirect_to)
{
    const char *site = req->config->site_url;
    if (!redirect_to || !*redirect_to)
        return site;
    size_t n = origin_length(site);
    if (n > 0 && origin_length(redirect_to) == n && strncasecmp(redirect_to, site, n) == 0)
        return redirect_to;
    return site;
}

static char *verify_link(struct sb_request *req, const char *token_hash, const char *type, const char *redirect_to)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_printf(&b, "%s/auth/v1/verify?token=%s&type=%s&redirect_to=", sb_auth_external_url(req), token_hash, type);
    append_percent_encoded(&b, allowed_redirect(req, redirect_to));
    return b.data;
}

static bool mail_link(struct sb_request *req, const char *to, const char *type, const char *link, const char *otp)
{
    const char *subject = strcmp(type, "recovery") == 0 ? "Reset Your Password"
                          : strcmp(type, "email_change") == 0 ? "Confirm Email Change"
                                                              : "Confirm Your Signup";
    const char *action = strcmp(type, "recovery") == 0 ? "reset the password of your account"
                         : strcmp(type, "email_change") == 0 ? "confirm this new address"
                                                             : "confirm your account";
    char *text = sb_arena_printf(req->arena, "Follow this link to %s:\n\n%s\n\nOr enter this code: %s\n", action,
                                 link, otp);
    if (sb_mail_send(req->config, req->arena, to, subject, text))
        return true;
    sb_auth_fail(req, 500, "unexpected_failure",
                 strcmp(type, "recovery") == 0 ? "Error sending recovery email" : "Error sending confirmation email");
    return false;
}

/* Sets a new code on the user with $1 unless the last mail of this kind went out less than $3
 * seconds ago. Row: the updated user (NULL when held back or no user), seconds left to wait.
 * The columns are recovery_token/_sent_at or confirmation_token/_sent_at (fixed names). */
static const char *send_link_sql(struct sb_request *req, const char *type)
{
    const char *kind = strcmp(type, "recovery") == 0 ? "recovery" : "confirmation";
    return sb_arena_printf(
        req->arena,
        "WITH target AS (SELECT id, %s_sent_at AS sent FROM auth.users WHERE email = $1),"
        " updated AS (UPDATE auth.users u SET %s_token = $2, %s_sent_at = now() FROM target"
        "   WHERE u.id = target.id AND (target.sent IS NULL OR target.sent <= now() - make_interval(secs => $3::int))"
        "   RETURNING auth.sb_user_json(u) AS user_json)"
        " SELECT (SELECT user_json FROM updated),"
        "        (SELECT ceil($3::int - extract(epoch FROM now() - sent))::int FROM target)",
        kind, kind, kind);
}

bool sb_auth_send_link(struct sb_request *req, const char *email, const char *type, const char *redirect_to,
                       const char **user_json)
{
    char *otp = sb_tokens_new_otp(req->arena);
    char *token_hash = sb_tokens_otp_hash(req->arena, email, otp);
    char frequency[16];
    snprintf(frequency, sizeof frequency, "%d", req->config->mailer_max_frequency_s);
    const char *params[] = { email, token_hash, frequency };
    struct sb_db_result db;
    if (sb_auth_sql(req, send_link_sql(req, type), 3, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return false;
    }
    *user_json = sb_auth_value(&db, 0);
    const char *wait = sb_auth_value(&db, 1);
    if (!*user_json && wait) {
        sb_auth_fail(req, 429, "over_email_send_rate_limit",
                     sb_arena_printf(req->arena, "For security purposes, you can only request this after %s seconds.",
                                     wait));
        return false;
    }
    if (!*user_json)
        return true;
    return mail_link(req, email, type, verify_link(req, token_hash, type, redirect_to), otp);
}

bool sb_auth_send_email_change(struct sb_request *req, const char *user_id, const char *new_email,
                               const char *redirect_to, const char **user_json)
{
    char *otp = sb_tokens_new_otp(req->arena);
    char *token_hash = sb_tokens_otp_hash(req->arena, new_email, otp);
    const char *params[] = { user_id, new_email, token_hash };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "UPDATE auth.users SET email_change = $2, email_change_token_new = $3, email_change_sent_at = now()"
                    " WHERE id = $1::uuid RETURNING auth.sb_user_json(users)",
                    3, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return false;
    }
    *user_json = sb_auth_value(&db, 0);
    return mail_link(req, new_email, "email_change", verify_link(req, token_hash, "email_change", redirect_to), otp);
}

/* ---- verifying ---- */

/* The statement that consumes a token of this type, and the amr method of the session it
 * starts; NULL for a type we do not mail. $1 = token hash, $2 = validity in seconds. */
static const char *consume_sql(const char *type, const char **method)
{
    if (strcmp(type, "signup") == 0 || strcmp(type, "email") == 0) {
        *method = "otp";
        return "UPDATE auth.users SET email_confirmed_at = coalesce(email_confirmed_at, now()),"
               "  confirmation_token = NULL, updated_at = now(),"
               "  raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{\"email_verified\":true}'"
               " WHERE confirmation_token = $1 AND confirmation_sent_at > now() - make_interval(secs => $2::int)"
               " RETURNING id";
    }
    if (strcmp(type, "recovery") == 0) {
        *method = "recovery";
        return "UPDATE auth.users SET email_confirmed_at = coalesce(email_confirmed_at, now()),"
               "  recovery_token = NULL, updated_at = now()"
               " WHERE recovery_token = $1 AND recovery_sent_at > now() - make_interval(secs => $2::int)"
               " RETURNING id";
    }
    if (strcmp(type, "email_change") == 0) {
        *method = "otp";
        return "UPDATE auth.users SET email = email_change, email_change = NULL, email_change_token_new = NULL,"
               "  email_confirmed_at = now(), updated_at = now()"
               " WHERE email_change_token_new = $1 AND email_change_sent_at > now() - make_interval(secs => $2::int)"
               " RETURNING id";
    }
    return NULL;
}

enum verify_outcome { VERIFIED, INVALID, FAILED };

/* Consumes the token and starts a session; FAILED means an answer was already given. */
static enum verify_outcome verify_token(struct sb_request *req, const char *type, const char *token_hash,
                                        struct sb_session *session)
{
    const char *method;
    const char *sql = consume_sql(type, &method);
    if (!sql || !token_hash || !*token_hash)
        return INVALID;
    char validity[16];
    snprintf(validity, sizeof validity, "%d", req->config->mailer_otp_exp);
    const char *params[] = { token_hash, validity };
    struct sb_db_result db;
    if (sb_auth_sql(req, sql, 2, params, &db) != SB_DB_OK) {
        if (db.sqlstate && strcmp(db.sqlstate, "23505") == 0) {
            sb_auth_fail(req, 422, "email_exists", "A user with this email address has already been registered");
            return FAILED;
        }
        sb_auth_fail_db(req, &db);
        return FAILED;
    }
    const char *user_id = sb_auth_value(&db, 0);
    if (!user_id)
        return INVALID;
    if (sb_session_start(req, user_id, method, session, &db) != SB_SESSION_OK) {
        sb_auth_fail_db(req, &db);
        return FAILED;
    }
    return VERIFIED;
}

static void redirect(struct sb_request *req, const char *location)
{
    sb_response_header(req, "Location", location);
    sb_respond(req, 303, NULL, "", 0);
}

void sb_auth_handle_verify_get(struct sb_request *req)
{
    const char *type = sb_request_query(req, "type");
    const char *target = allowed_redirect(req, sb_request_query(req, "redirect_to"));
    if (!sb_auth_within_rate_limits(req, "verify", NULL))
        return;
    struct sb_session session;
    switch (verify_token(req, type ? type : "", sb_request_query(req, "token"), &session)) {
    case VERIFIED:
        redirect(req, sb_arena_printf(req->arena, "%s#%s", target, sb_session_fragment(req->arena, &session, type)));
        return;
    case INVALID:
        redirect(req, sb_arena_printf(req->arena, "%s#error=access_denied&error_code=otp_expired"
                                                  "&error_description=Email+link+is+invalid+or+has+expired&sb=",
                                      target));
        return;
    case FAILED:
        return;
    }
}

void sb_auth_handle_verify_post(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    const char *type = sb_auth_string(body, "type");
    const char *token_hash = sb_auth_string(body, "token_hash");
    const char *token = sb_auth_string(body, "token");
    char *email = sb_auth_normalize_email(req->arena, sb_auth_string(body, "email"));
    if (!type || !consume_sql(type, &(const char *){ NULL })) {
        sb_auth_fail(req, 400, "validation_failed", "Verify requires a valid type");
        return;
    }
    if (!token_hash) {
        if (!token || !email) {
            sb_auth_fail(req, 400, "validation_failed", "Verify requires either a token_hash, or a token and an email");
            return;
        }
        token_hash = sb_tokens_otp_hash(req->arena, email, token);
    }
    if (!sb_auth_within_rate_limits(req, "verify", email))
        return;
    struct sb_session session;
    switch (verify_token(req, type, token_hash, &session)) {
    case VERIFIED:
        sb_auth_reply(req, 200, sb_session_json(req->arena, &session));
        return;
    case INVALID:
        sb_auth_fail(req, 403, "otp_expired", "Token has expired or is invalid");
        return;
    case FAILED:
        return;
    }
}

/* ---- asking for a mail ---- */

/* The body's email, checked; NULL after answering. */
static char *email_of(struct sb_request *req, json_t *body, const char *missing)
{
    const char *given = sb_auth_string(body, "email");
    if (!given || !*given) {
        sb_auth_fail(req, 400, "validation_failed", missing);
        return NULL;
    }
    char *email = sb_auth_normalize_email(req->arena, given);
    if (!email)
        sb_auth_fail(req, 400, "email_address_invalid", "Unable to validate email address: invalid format");
    return email;
}

void sb_auth_handle_recover(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    char *email = email_of(req, body, "Password recovery requires an email");
    if (!email || !sb_auth_within_rate_limits(req, "verify", email))
        return;
    const char *user_json;
    if (sb_auth_send_link(req, email, "recovery", sb_request_query(req, "redirect_to"), &user_json))
        sb_auth_reply(req, 200, "{}");
}

void sb_auth_handle_resend(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    const char *type = sb_auth_string(body, "type");
    if (!type || strcmp(type, "signup") != 0) {
        sb_auth_fail(req, 400, "validation_failed", "Missing one of these types: signup");
        return;
    }
    char *email = email_of(req, body, "Resend requires an email");
    if (!email || !sb_auth_within_rate_limits(req, "verify", email))
        return;
    const char *params[] = { email };
    struct sb_db_result db;
    if (sb_auth_sql(req, "SELECT 1 FROM auth.users WHERE email = $1 AND email_confirmed_at IS NULL", 1, params, &db) !=
        SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    const char *user_json;
    if (!sb_auth_value(&db, 0) || sb_auth_send_link(req, email, "signup", sb_request_query(req, "redirect_to"),
                                                      &user_json))
        sb_auth_reply(req, 200, "{}");
}
