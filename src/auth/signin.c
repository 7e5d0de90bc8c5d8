/*
 * signin: POST /signup and POST /token (grant_type password and refresh_token).
 */
#include "auth/password.h"
#include "auth/service.h"
#include "auth/session.h"

#include <string.h>

static const char provider_email[] = "{\"provider\":\"email\",\"providers\":[\"email\"]}";

static void reply_session(struct sb_request *req, const struct sb_session *session)
{
    sb_auth_reply(req, 200, sb_session_json(req->arena, session));
}

static void start_session_and_reply(struct sb_request *req, const char *user_id, const char *method)
{
    struct sb_session session;
    struct sb_db_result db;
    if (sb_session_start(req, user_id, method, &session, &db) != SB_SESSION_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    reply_session(req, &session);
}

/* Sign-up of an address that already has a user. */
static void answer_existing_signup(struct sb_request *req, const char *email, const char *redirect_to)
{
    const char *params[] = { email };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "SELECT email_confirmed_at IS NOT NULL,"
                    "       auth.sb_user_json(u) || jsonb_build_object('id', gen_random_uuid(), 'identities', '[]'::jsonb)"
                    "  FROM auth.users u WHERE email = $1",
                    1, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    bool confirmed = sb_auth_value(&db, 0) && strcmp(sb_auth_value(&db, 0), "t") == 0;
    if (req->config->mailer_autoconfirm || !sb_auth_value(&db, 0)) {
        sb_auth_fail(req, 422, "user_already_exists", "User already registered");
        return;
    }
    if (confirmed) {
        /* as GoTrue: an obfuscated user, so sign-up does not reveal who has an account */
        sb_auth_reply(req, 200, sb_auth_value(&db, 1));
        return;
    }
    const char *user_json = NULL;
    if (sb_auth_send_link(req, email, "signup", redirect_to, &user_json))
        sb_auth_reply(req, 200, user_json);
}

void sb_auth_handle_signup(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    if (req->config->disable_signup) {
        sb_auth_fail(req, 422, "signup_disabled", "Signups not allowed for this instance");
        return;
    }
    const char *given_email = sb_auth_string(body, "email");
    if (!given_email && !sb_auth_string(body, "phone") && !sb_auth_string(body, "password")) {
        sb_auth_fail(req, 422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled");
        return;
    }
    if ((!given_email || !*given_email) && sb_auth_string(body, "phone")) {
        sb_auth_fail(req, 422, "phone_provider_disabled", "Phone signups are disabled");
        return;
    }
    if (!given_email || !*given_email) {
        sb_auth_fail(req, 400, "validation_failed", "To sign up, please provide your email");
        return;
    }
    char *email = sb_auth_normalize_email(req->arena, given_email);
    if (!email) {
        sb_auth_fail(req, 400, "email_address_invalid", "Unable to validate email address: invalid format");
        return;
    }
    if (!sb_auth_within_rate_limits(req, "verify", email))
        return;
    const char *password = sb_auth_string(body, "password");
    if (!password || !*password) {
        sb_auth_fail(req, 400, "validation_failed", "Signup requires a valid password");
        return;
    }
    if (!sb_auth_password_acceptable(req, password))
        return;
    bool bad_data;
    const char *data = sb_auth_object_text(req, body, "data", &bad_data);
    if (bad_data) {
        sb_auth_fail(req, 400, "validation_failed", "data must be a JSON object");
        return;
    }
    char *hash = sb_password_hash(req->arena, password);
    if (!hash) {
        sb_auth_fail(req, 500, "unexpected_failure", "Could not hash the password");
        return;
    }
    const char *autoconfirm = req->config->mailer_autoconfirm ? "t" : "f";
    const char *params[] = { req->config->jwt_aud, email, hash, autoconfirm, provider_email, data };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "INSERT INTO auth.users (aud, role, email, encrypted_password, email_confirmed_at,"
                    "                        raw_app_meta_data, raw_user_meta_data)"
                    " VALUES ($1, 'authenticated', $2, $3, CASE WHEN $4::boolean THEN now() END, $5::jsonb,"
                    "         coalesce($6::jsonb, '{}'))"
                    " ON CONFLICT (email) DO NOTHING RETURNING id",
                    6, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    const char *redirect_to = sb_request_query(req, "redirect_to");
    const char *user_id = sb_auth_value(&db, 0);
    if (!user_id) {
        answer_existing_signup(req, email, redirect_to);
        return;
    }
    if (req->config->mailer_autoconfirm) {
        start_session_and_reply(req, user_id, "password");
        return;
    }
    const char *user_json = NULL;
    if (sb_auth_send_link(req, email, "signup", redirect_to, &user_json))
        sb_auth_reply(req, 200, user_json);
}

static void grant_password(struct sb_request *req, json_t *body)
{
    const char *given_email = sb_auth_string(body, "email");
    const char *password = sb_auth_string(body, "password");
    if ((!given_email || !*given_email) && sb_auth_string(body, "phone")) {
        sb_auth_fail(req, 400, "phone_provider_disabled", "Phone logins are disabled");
        return;
    }
    if (!given_email || !*given_email) {
        sb_auth_fail(req, 400, "validation_failed", "missing email or phone");
        return;
    }
    char *email = sb_auth_normalize_email(req->arena, given_email);
    if (!sb_auth_within_rate_limits(req, "token", email))
        return;
    if (!email || !password) {
        sb_auth_fail(req, 400, "invalid_credentials", "Invalid login credentials");
        return;
    }
    const char *params[] = { email };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "SELECT id, encrypted_password, email_confirmed_at IS NOT NULL,"
                    "       coalesce(banned_until > now(), false)"
                    "  FROM auth.users WHERE email = $1 AND deleted_at IS NULL",
                    1, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    const char *user_id = sb_auth_value(&db, 0);
    if (!user_id) {
        sb_password_waste_time(password);
        sb_auth_fail(req, 400, "invalid_credentials", "Invalid login credentials");
        return;
    }
    if (!sb_password_matches(password, sb_auth_value(&db, 1))) {
        sb_auth_fail(req, 400, "invalid_credentials", "Invalid login credentials");
        return;
    }
    if (strcmp(sb_auth_value(&db, 2), "t") != 0) {
        sb_auth_fail(req, 400, "email_not_confirmed", "Email not confirmed");
        return;
    }
    if (strcmp(sb_auth_value(&db, 3), "t") == 0) {
        sb_auth_fail(req, 400, "user_banned", "User is banned");
        return;
    }
    start_session_and_reply(req, user_id, "password");
}

static void grant_refresh_token(struct sb_request *req, json_t *body)
{
    const char *token = sb_auth_string(body, "refresh_token");
    if (!token || !*token) {
        sb_auth_fail(req, 400, "validation_failed", "refresh_token required");
        return;
    }
    if (!sb_auth_within_rate_limits(req, "token", NULL))
        return;
    struct sb_session session;
    struct sb_db_result db;
    switch (sb_session_refresh(req, token, &session, &db)) {
    case SB_SESSION_OK:
        reply_session(req, &session);
        return;
    case SB_SESSION_NOT_FOUND:
        sb_auth_fail(req, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        return;
    case SB_SESSION_ALREADY_USED:
        sb_auth_fail(req, 400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
        return;
    case SB_SESSION_USER_BANNED:
        sb_auth_fail(req, 400, "user_banned", "User is banned");
        return;
    case SB_SESSION_DB_FAILED:
        sb_auth_fail_db(req, &db);
        return;
    }
}

void sb_auth_handle_token(struct sb_request *req)
{
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    const char *grant = sb_request_query(req, "grant_type");
    if (grant && strcmp(grant, "password") == 0)
        grant_password(req, body);
    else if (grant && strcmp(grant, "refresh_token") == 0)
        grant_refresh_token(req, body);
    else
        sb_auth_fail(req, 400, "invalid_credentials", "unsupported_grant_type");
}
