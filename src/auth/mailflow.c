/*
 * mailflow: asking for a mail that carries a link and a code: confirming a sign-up,
 * recovering a password, confirming a new address; POST /recover and POST /resend, and the
 * mail itself for sign-up (signin.c) and PUT /user (account.c). GET and POST /verify, which
 * take the link or the code, are in verify.c.
 *
 * A mail carries a link to GET /verify?token=<link token>&type=<type>&redirect_to=<url> and
 * the six-digit code. The database keeps only the stored form of the link token (tokens.h).
 * The mail is not sent here: it is queued in auth.mail_outbox by the statement that sets the
 * token, and the outbox's thread sends it (outbox.h), so the request answers at once.
 */
#include "auth/service.h"
#include "auth/tokens.h"
#include "util/buf.h"
#include "util/log.h"

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

const char *sb_auth_allowed_redirect(struct sb_request *req, const char *redirect_to)
{
    const char *site = req->config->site_url;
    if (!redirect_to || !*redirect_to)
        return site;
    size_t n = origin_length(site);
    if (n > 0 && origin_length(redirect_to) == n && strncasecmp(redirect_to, site, n) == 0)
        return redirect_to;
    return site;
}

static char *verify_link(struct sb_request *req, const char *link_token, const char *type, const char *redirect_to)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_printf(&b, "%s/auth/v1/verify?token=%s&type=%s&redirect_to=", req->config->api_external_url, link_token,
                  type);
    append_percent_encoded(&b, sb_auth_allowed_redirect(req, redirect_to));
    return b.data;
}

/* ---- what is mailed ---- */

struct mail_kind {
    const char *type;       /* the link's type: signup, recovery, email_change */
    const char *token_kind; /* the token it carries: confirmation, recovery, email_change */
    const char *subject;
    const char *action;     /* "Follow this link to <action>" */
    const char *failure;    /* the 500's message when it cannot be sent */
};

static const struct mail_kind mail_kinds[] = {
    { "signup", "confirmation", "Confirm Your Signup", "confirm your account", "Error sending confirmation email" },
    { "recovery", "recovery", "Reset Your Password", "reset the password of your account",
      "Error sending recovery email" },
    { "email_change", "email_change", "Confirm Email Change", "confirm this new address",
      "Error sending confirmation email" },
};

static const struct mail_kind *mail_kind_of(const char *type)
{
    for (size_t i = 0; i < sizeof mail_kinds / sizeof mail_kinds[0]; i++)
        if (strcmp(mail_kinds[i].type, type) == 0)
            return &mail_kinds[i];
    return &mail_kinds[0];
}

/* A queued mail: its subject, its text sealed (tokens.h: the outbox must not hold a live link
 * in clear), and the stored form of the token it carries. */
struct mail {
    const char *subject;
    const char *sealed_body;
    const char *stored_token;
};

/* Makes a code for the user and the mail that carries it; false after answering 500. */
static bool compose(struct sb_request *req, const struct mail_kind *kind, const char *user_id,
                    const char *redirect_to, struct mail *out)
{
    char *code = sb_tokens_new_otp(req->arena);
    char *link_token = code ? sb_tokens_mail_link_token(req->arena, req->config->jwt_secret, kind->token_kind,
                                                        user_id, code)
                            : NULL;
    if (!link_token) {
        sb_log(SB_LOG_ERROR, "auth: no code could be made for a mail", "id", req->id, NULL);
        sb_auth_fail(req, 500, "unexpected_failure", kind->failure);
        return false;
    }
    char *text = sb_arena_printf(req->arena, "Follow this link to %s:\n\n%s\n\nOr enter this code: %s\n", kind->action,
                                 verify_link(req, link_token, kind->type, redirect_to), code);
    out->subject = kind->subject;
    out->sealed_body = sb_tokens_seal_mail(req->arena, req->config->jwt_secret, text);
    out->stored_token = sb_tokens_stored_hash(req->arena, link_token);
    if (!out->sealed_body) {
        sb_log(SB_LOG_ERROR, "auth: a mail could not be sealed", "id", req->id, NULL);
        sb_auth_fail(req, 500, "unexpected_failure", kind->failure);
        return false;
    }
    return true;
}

/* Without an SMTP server nothing can be mailed: the request fails as it always did, and no
 * token is set that no mail will carry. */
static bool smtp_configured(struct sb_request *req, const struct mail_kind *kind)
{
    if (req->config->smtp_host)
        return true;
    sb_log(SB_LOG_ERROR, "mail: SB_SMTP_HOST is not set, cannot send", "id", req->id, NULL);
    sb_auth_fail(req, 500, "unexpected_failure", kind->failure);
    return false;
}

/* Sets the mail's token on the user $1 unless the last mail of this kind went out less than
 * $3 seconds ago, and queues the mail ($4..$7) in the same statement. Row: the updated user
 * (NULL when held back or gone), seconds left to wait. The columns are recovery_token/_sent_at
 * or confirmation_token/_sent_at (fixed names). */
static const char *set_token_and_queue_sql(struct sb_request *req, const char *token_kind)
{
    return sb_arena_printf(
        req->arena,
        "WITH target AS (SELECT id, %s_sent_at AS sent FROM auth.users WHERE id = $1::uuid),"
        " updated AS (UPDATE auth.users u SET %s_token = $2, %s_sent_at = now() FROM target"
        "   WHERE u.id = target.id AND (target.sent IS NULL OR target.sent <= now() - make_interval(secs => $3::int))"
        "   RETURNING u.id, u.email, auth.sb_user_json(u) AS user_json),"
        " queued AS (INSERT INTO auth.mail_outbox (kind, recipient, subject, body, user_id, token_kind, token_hash)"
        "   SELECT $4, email, $5, $6, id, $7, $2 FROM updated RETURNING id)"
        " SELECT (SELECT user_json FROM updated),"
        "        (SELECT ceil($3::int - extract(epoch FROM now() - sent))::int FROM target),"
        "        (SELECT count(*) FROM queued)",
        token_kind, token_kind, token_kind);
}

/* The id of the user with this address, or NULL (no user, or answered: see *failed). */
static const char *user_with_email(struct sb_request *req, const char *email, bool *failed)
{
    struct sb_db_result db;
    *failed = false;
    if (sb_auth_sql(req, "SELECT id FROM auth.users WHERE email = $1", 1, (const char *const[]){ email }, &db) !=
        SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        *failed = true;
        return NULL;
    }
    return sb_auth_value(&db, 0);
}

bool sb_auth_send_link(struct sb_request *req, const char *email, const char *type, const char *redirect_to,
                       const char **user_json)
{
    const struct mail_kind *kind = mail_kind_of(type);
    bool failed;
    const char *user_id = user_with_email(req, email, &failed);
    *user_json = NULL;
    if (!user_id)
        return !failed;
    struct mail mail;
    if (!smtp_configured(req, kind) || !compose(req, kind, user_id, redirect_to, &mail))
        return false;
    char frequency[16];
    snprintf(frequency, sizeof frequency, "%d", req->config->mailer_max_frequency_s);
    const char *params[] = { user_id, mail.stored_token, frequency, kind->type, mail.subject, mail.sealed_body,
                             kind->token_kind };
    struct sb_db_result db;
    if (sb_auth_sql(req, set_token_and_queue_sql(req, kind->token_kind), 7, params, &db) != SB_DB_OK) {
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
    return true;
}

bool sb_auth_send_email_change(struct sb_request *req, const char *user_id, const char *new_email,
                               const char *redirect_to, const char **user_json)
{
    const struct mail_kind *kind = mail_kind_of("email_change");
    struct mail mail;
    if (!smtp_configured(req, kind) || !compose(req, kind, user_id, redirect_to, &mail))
        return false;
    const char *params[] = { user_id, new_email, mail.stored_token, mail.subject, mail.sealed_body };
    struct sb_db_result db;
    if (sb_auth_sql(req,
                    "WITH updated AS (UPDATE auth.users SET email_change = $2, email_change_token_new = $3,"
                    "                   email_change_sent_at = now()"
                    "                 WHERE id = $1::uuid RETURNING id, auth.sb_user_json(users) AS user_json),"
                    " queued AS (INSERT INTO auth.mail_outbox"
                    "              (kind, recipient, subject, body, user_id, token_kind, token_hash)"
                    "            SELECT 'email_change', $2, $4, $5, id, 'email_change', $3 FROM updated RETURNING id)"
                    " SELECT (SELECT user_json FROM updated), (SELECT count(*) FROM queued)",
                    5, params, &db) != SB_DB_OK) {
        sb_auth_fail_db(req, &db);
        return false;
    }
    *user_json = sb_auth_value(&db, 0);
    return true;
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
