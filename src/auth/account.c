/*
 * account: what a signed-in user does with their own account: GET and PUT /user, POST
 * /logout; GET /settings, which tells clients how this instance is configured, and GET /health.
 */
#include "auth/password.h"
#include "auth/service.h"

#include <string.h>

void sb_auth_handle_get_user(struct sb_request *req)
{
    struct sb_auth_user user;
    if (sb_auth_require_user(req, &user))
        sb_auth_reply(req, 200, user.user_json);
}

/* The password change of PUT /user: the new hash, or NULL after answering. */
static const char *new_password_hash(struct sb_request *req, const struct sb_auth_user *user, const char *password)
{
    if (!sb_auth_password_acceptable(req, password))
        return NULL;
    const char *params[] = { user->id };
    struct sb_db_result db;
    if (sb_auth_sql(req, "SELECT encrypted_password FROM auth.users WHERE id = $1", 1, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return NULL;
    }
    if (sb_password_matches(password, sb_auth_value(&db, 0))) {
        sb_auth_fail(req, 422, "same_password", "New password should be different from the old password.");
        return NULL;
    }
    const char *hash = sb_password_hash(req->arena, password);
    if (!hash)
        sb_auth_fail(req, 500, "unexpected_failure", "Could not hash the password");
    return hash;
}

/* The address a PUT /user changes to, or NULL (no change, or answered: see *failed). */
static const char *new_email_of(struct sb_request *req, json_t *body, bool *failed)
{
    *failed = false;
    const char *given = sb_auth_string(body, "email");
    if (!given || !*given)
        return NULL;
    char *email = sb_auth_normalize_email(req->arena, given);
    if (!email) {
        sb_auth_fail(req, 400, "email_address_invalid", "Unable to validate email address: invalid format");
        *failed = true;
    }
    return email;
}

void sb_auth_handle_put_user(struct sb_request *req)
{
    struct sb_auth_user user;
    if (!sb_auth_require_user(req, &user))
        return;
    json_t *body = sb_auth_body(req);
    if (!body)
        return;
    if (!sb_auth_within_rate_limits(req, "verify", NULL))
        return;
    bool bad_data, bad_email;
    const char *data = sb_auth_object_text(req, body, "data", &bad_data);
    if (bad_data) {
        sb_auth_fail(req, 400, "validation_failed", "data must be a JSON object");
        return;
    }
    const char *email = new_email_of(req, body, &bad_email);
    if (bad_email)
        return;
    const char *password = sb_auth_string(body, "password");
    const char *hash = NULL;
    if (password && !(hash = new_password_hash(req, &user, password)))
        return;
    /* in confirm-by-email mode a new address waits for the link mailed to it */
    const char *direct_email = req->config->mailer_autoconfirm ? email : NULL;
    const char *params[] = { user.id, hash, data, direct_email, user.session_id };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "WITH ended AS (DELETE FROM auth.sessions WHERE $2::text IS NOT NULL AND user_id = $1::uuid"
                    "                 AND id::text IS DISTINCT FROM $5 RETURNING 1)"
                    " UPDATE auth.users SET"
                    "   encrypted_password = coalesce($2, encrypted_password),"
                    "   raw_user_meta_data = auth.sb_merge_metadata(raw_user_meta_data, $3::jsonb),"
                    "   email = coalesce($4, email), updated_at = now()"
                    " WHERE id = $1::uuid RETURNING auth.sb_user_json(users)",
                    5, params, &db) != SB_DB_OK) {
        if (db.sqlstate && strcmp(db.sqlstate, "23505") == 0)
            sb_auth_fail(req, 422, "email_exists", "A user with this email address has already been registered");
        else
            sb_auth_fail_db(req, &db);
        return;
    }
    const char *user_json = sb_auth_value(&db, 0);
    if (email && !direct_email &&
        !sb_auth_send_email_change(req, user.id, email, sb_request_query(req, "redirect_to"), &user_json))
        return;
    sb_auth_reply(req, 200, user_json);
}

void sb_auth_handle_logout(struct sb_request *req)
{
    struct sb_auth_user user;
    if (!sb_auth_require_user(req, &user))
        return;
    const char *scope = sb_request_query(req, "scope");
    const char *sql;
    int nparams = 2;
    if (!scope || strcmp(scope, "global") == 0) {
        sql = "DELETE FROM auth.sessions WHERE user_id = $1::uuid";
        nparams = 1;
    }
    else if (strcmp(scope, "local") == 0)
        sql = "DELETE FROM auth.sessions WHERE user_id = $1::uuid AND id::text = $2";
    else if (strcmp(scope, "others") == 0)
        sql = "DELETE FROM auth.sessions WHERE user_id = $1::uuid AND id::text IS DISTINCT FROM $2";
    else {
        sb_auth_fail(req, 400, "validation_failed", "Unsupported logout scope: use global, local or others");
        return;
    }
    const char *params[] = { user.id, user.session_id };
    struct sb_db_result db;
    if (sb_auth_sql(req, sql, nparams, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return;
    }
    sb_respond(req, 204, NULL, "", 0);
}

void sb_auth_handle_settings(struct sb_request *req)
{
    const struct sb_config *c = req->config;
    sb_auth_reply(req, 200,
                  sb_arena_printf(req->arena,
                                  "{\"external\":{\"anonymous_users\":false,\"email\":true,\"phone\":false},"
                                  "\"disable_signup\":%s,\"mailer_autoconfirm\":%s,\"phone_autoconfirm\":false,"
                                  "\"sms_provider\":\"\",\"saml_enabled\":false}",
                                  c->disable_signup ? "true" : "false", c->mailer_autoconfirm ? "true" : "false"));
}

void sb_auth_handle_health(struct sb_request *req)
{
    sb_auth_reply(req, 200, "{\"version\":\"studybase\",\"name\":\"GoTrue\","
                            "\"description\":\"studybase's auth service, GoTrue's API\"}");
}
