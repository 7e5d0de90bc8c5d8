/*
 * verify: GET /verify (a mailed link opened in a browser) and POST /verify (the link's token
 * as token_hash, or the mailed code with the address it was sent to), which consume a mailed
 * token and start a session.
 *
 * A code is checked for one user only: the user is found by the exact (normalised) address
 * first, then the code's stored form for that user (tokens.h: an HMAC over kind, user id and
 * code) is compared with theirs in constant time. A link token is looked up by its stored
 * form. Either way the per-address rate limit is charged: the address given with a code, or
 * the address of the user a link token found. The statement that consumes the token checks it
 * again, so a token works once even when two requests race.
 */
#include "auth/service.h"
#include "auth/session.h"
#include "auth/tokens.h"

#include <stdio.h>
#include <string.h>

/* What each verify type consumes. Column names are fixed text, never input. */
struct token_kind {
    const char *type;           /* verify's type */
    const char *kind;           /* the token's kind in its HMAC and in the outbox */
    const char *column;         /* where the stored token is */
    const char *sent_column;    /* when it was mailed */
    const char *address_column; /* the address it was mailed to */
    const char *method;         /* the amr method of the session it starts */
    const char *consumed;       /* what consuming it sets */
};

static const char confirms_signup[] =
    "email_confirmed_at = coalesce(email_confirmed_at, now()), confirmation_token = NULL, updated_at = now(),"
    " raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{\"email_verified\":true}'";

static const struct token_kind token_kinds[] = {
    { "signup", "confirmation", "confirmation_token", "confirmation_sent_at", "email", "otp", confirms_signup },
    { "email", "confirmation", "confirmation_token", "confirmation_sent_at", "email", "otp", confirms_signup },
    { "recovery", "recovery", "recovery_token", "recovery_sent_at", "email", "recovery",
      "email_confirmed_at = coalesce(email_confirmed_at, now()), recovery_token = NULL, updated_at = now()" },
    { "email_change", "email_change", "email_change_token_new", "email_change_sent_at", "email_change", "otp",
      "email = email_change, email_change = NULL, email_change_token_new = NULL, email_confirmed_at = now(),"
      " updated_at = now()" },
};

static const struct token_kind *token_kind_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof token_kinds / sizeof token_kinds[0]; i++)
        if (strcmp(token_kinds[i].type, type) == 0)
            return &token_kinds[i];
    return NULL;
}

enum verify_outcome { VERIFIED, INVALID, FAILED };

static const char *validity(struct sb_request *req)
{
    return sb_arena_printf(req->arena, "%d", req->config->mailer_otp_exp);
}

/* Consumes the user's token if it is still stored (and young enough), and starts a session;
 * FAILED means an answer was already given. */
static enum verify_outcome consume(struct sb_request *req, const struct token_kind *k, const char *user_id,
                                   const char *stored, struct sb_session *session)
{
    const char *sql = sb_arena_printf(req->arena,
                                      "UPDATE auth.users SET %s WHERE id = $1::uuid AND %s = $2"
                                      " AND %s > now() - make_interval(secs => $3::int) RETURNING id",
                                      k->consumed, k->column, k->sent_column);
    const char *params[] = { user_id, stored, validity(req) };
    struct sb_db_result db;
    if (sb_auth_sql(req, sql, 3, params, &db) != SB_DB_OK) {
        if (db.sqlstate && strcmp(db.sqlstate, "23505") == 0)
            sb_auth_fail(req, 422, "email_exists", "A user with this email address has already been registered");
        else
            sb_auth_fail_db(req, &db);
        return FAILED;
    }
    if (!sb_auth_value(&db, 0))
        return INVALID;
    if (sb_session_start(req, user_id, k->method, session, &db) != SB_SESSION_OK) {
        sb_auth_fail_db(req, &db);
        return FAILED;
    }
    return VERIFIED;
}

/* The code mailed to email: only the users with that exact address (the pending address of
 * an email change is not unique, so there may be several) are tried. */
static enum verify_outcome verify_code(struct sb_request *req, const struct token_kind *k, const char *email,
                                       const char *code, struct sb_session *session)
{
    const char *sql = sb_arena_printf(req->arena,
                                      "SELECT id, %s FROM auth.users WHERE %s = $1"
                                      " AND %s IS NOT NULL AND %s > now() - make_interval(secs => $2::int)",
                                      k->column, k->address_column, k->column, k->sent_column);
    const char *params[] = { email, validity(req) };
    struct sb_db_result db;
    if (sb_auth_sql(req, sql, 2, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return FAILED;
    }
    for (int i = 0; i < PQntuples(db.rows); i++) {
        const char *user_id = PQgetvalue(db.rows, i, 0);
        char *link_token = sb_tokens_mail_link_token(req->arena, req->config->jwt_secret, k->kind, user_id, code);
        if (!link_token) {
            sb_auth_fail(req, 500, "unexpected_failure", "Could not check the code");
            return FAILED;
        }
        char *stored = sb_tokens_stored_hash(req->arena, link_token);
        if (sb_tokens_equal(stored, PQgetvalue(db.rows, i, 1)))
            return consume(req, k, user_id, stored, session);
    }
    return INVALID;
}

/* A link's token: the user holding its stored form, whose address is charged the per-address
 * limit before the token is consumed. */
static enum verify_outcome verify_link_token(struct sb_request *req, const struct token_kind *k,
                                             const char *link_token, struct sb_session *session)
{
    if (!link_token || !*link_token)
        return INVALID;
    char *stored = sb_tokens_stored_hash(req->arena, link_token);
    const char *sql = sb_arena_printf(req->arena,
                                      "SELECT id, %s FROM auth.users WHERE %s = $1"
                                      " AND %s > now() - make_interval(secs => $2::int)",
                                      k->address_column, k->column, k->sent_column);
    const char *params[] = { stored, validity(req) };
    struct sb_db_result db;
    if (sb_auth_sql(req, sql, 2, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return FAILED;
    }
    const char *user_id = sb_auth_value(&db, 0);
    const char *address = sb_auth_value(&db, 1);
    if (!user_id)
        return INVALID;
    if (address && !sb_auth_within_email_rate_limit(req, address))
        return FAILED;
    return consume(req, k, user_id, stored, session);
}

static void redirect(struct sb_request *req, const char *location)
{
    sb_response_header(req, "Location", location);
    sb_respond(req, 303, NULL, "", 0);
}

void sb_auth_handle_verify_get(struct sb_request *req)
{
    const char *type = sb_request_query(req, "type");
    const char *target = sb_auth_allowed_redirect(req, sb_request_query(req, "redirect_to"));
    if (!sb_auth_within_rate_limits(req, "verify", NULL))
        return;
    const struct token_kind *k = token_kind_of(type);
    struct sb_session session;
    enum verify_outcome outcome = k ? verify_link_token(req, k, sb_request_query(req, "token"), &session) : INVALID;
    switch (outcome) {
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
    const struct token_kind *k = token_kind_of(sb_auth_string(body, "type"));
    const char *token_hash = sb_auth_string(body, "token_hash");
    const char *token = sb_auth_string(body, "token");
    char *email = sb_auth_normalize_email(req->arena, sb_auth_string(body, "email"));
    if (!k) {
        sb_auth_fail(req, 400, "validation_failed", "Verify requires a valid type");
        return;
    }
    if (!token_hash && (!token || !email)) {
        sb_auth_fail(req, 400, "validation_failed", "Verify requires either a token_hash, or a token and an email");
        return;
    }
    if (!sb_auth_within_rate_limits(req, "verify", token_hash ? NULL : email))
        return;
    struct sb_session session;
    enum verify_outcome outcome = token_hash ? verify_link_token(req, k, token_hash, &session)
                                             : verify_code(req, k, email, token, &session);
    switch (outcome) {
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
