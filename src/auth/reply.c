/*
 * reply: the auth service's answers and input checks, shared by its handler files (declared
 * in service.h): GoTrue's error shape, JSON bodies, email and password rules, rate limits.
 */
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/service.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EMAIL_LENGTH 255

void sb_auth_reply(struct sb_request *req, int status, const char *json)
{
    sb_respond_json(req, status, json);
}

/* GoTrue's two error shapes in one: {code, error_code, msg, message}; a weak password also
 * says why ({"weak_password":{"reasons":[details]}}). */
static void write_error(struct sb_request *req, const struct sb_error *err)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"code\":");
    sb_buf_append_json_string(&b, err->code);
    sb_buf_append(&b, ",\"error_code\":");
    sb_buf_append_json_string(&b, err->code);
    sb_buf_append(&b, ",\"msg\":");
    sb_buf_append_json_string(&b, err->message);
    sb_buf_append(&b, ",\"message\":");
    sb_buf_append_json_string(&b, err->message);
    if (strcmp(err->code, "weak_password") == 0 && err->details) {
        sb_buf_append(&b, ",\"weak_password\":{\"reasons\":[");
        sb_buf_append_json_string(&b, err->details);
        sb_buf_append(&b, "]}");
    }
    sb_buf_append(&b, "}");
    sb_respond_json(req, err->status, b.data);
}

/* Every statement runs as service_role: anything the database refuses is the server's fault. */
static const struct sb_sqlstate_rule sqlstates[] = {
    { "", 500, 0, "unexpected_failure", "Database error" },
    { NULL, 0, 0, NULL, NULL },
};

static const struct sb_service auth_service = {
    .name = "auth",
    .write_error = write_error,
    .sqlstates = sqlstates,
    .unavailable = { 503, "unexpected_failure", "The database is not available, try again shortly", NULL, NULL, NULL },
    .internal = { 500, "unexpected_failure", "Unexpected failure", NULL, NULL, NULL },
    .bad_body = { 400, "bad_json", NULL, NULL, NULL, NULL },
    .json_flags = JSON_REJECT_DUPLICATES,
    .body_needs_json_type = true,
};

struct sb_call *sb_auth_call(struct sb_request *req)
{
    return sb_call_of(req, &auth_service);
}

void sb_auth_fail(struct sb_request *req, int status, const char *code, const char *msg)
{
    struct sb_call *call = sb_auth_call(req);
    sb_call_fail(call, status, code, msg);
    sb_call_respond_error(call);
}

void sb_auth_fail_weak_password(struct sb_request *req, const char *reason, const char *msg)
{
    struct sb_call *call = sb_auth_call(req);
    sb_error_set(&call->error, 422, "weak_password", msg, reason, NULL);
    sb_call_respond_error(call);
}

void sb_auth_fail_db(struct sb_request *req, const struct sb_db_result *db)
{
    struct sb_call *call = sb_auth_call(req);
    sb_call_fail_db(call, db);
    sb_call_respond_error(call);
}

json_t *sb_auth_body(struct sb_request *req)
{
    struct sb_call *call = sb_auth_call(req);
    json_t *body = sb_call_body(call);
    if (!body)
        sb_call_respond_error(call);
    return body;
}

const char *sb_auth_string(json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

const char *sb_auth_object_text(struct sb_request *req, json_t *object, const char *key, bool *bad)
{
    json_t *value = json_object_get(object, key);
    *bad = false;
    if (!value || json_is_null(value))
        return NULL;
    if (!json_is_object(value)) {
        *bad = true;
        return NULL;
    }
    char *text = json_dumps(value, JSON_COMPACT);
    if (!text)
        return NULL;
    char *copy = sb_arena_strdup(req->arena, text);
    free(text);
    return copy;
}

/* local@domain.tld: printable, no spaces, one @, a dot in the domain, no empty labels. */
static bool looks_like_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return false;
    const char *domain = at + 1;
    size_t dlen = len - (size_t)(domain - s);
    if (dlen < 3 || domain[0] == '.' || domain[dlen - 1] == '.' || !memchr(domain, '.', dlen))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' ||
            c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
            return false;
        if (c == '.' && i + 1 < len && s[i + 1] == '.')
            return false;
    }
    return true;
}

char *sb_auth_normalize_email(struct sb_arena *arena, const char *email)
{
    if (!email)
        return NULL;
    while (*email == ' ' || *email == '\t')
        email++;
    size_t len = strlen(email);
    while (len > 0 && (email[len - 1] == ' ' || email[len - 1] == '\t'))
        len--;
    if (len == 0 || len > MAX_EMAIL_LENGTH || !looks_like_email(email, len))
        return NULL;
    char *out = sb_arena_strndup(arena, email, len);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

bool sb_auth_password_acceptable(struct sb_request *req, const char *password)
{
    size_t len = password ? strlen(password) : 0;
    if (len > SB_PASSWORD_MAX_BYTES) {
        sb_auth_fail(req, 400, "validation_failed", "Password cannot be longer than 72 characters");
        return false;
    }
    /* GoTrue counts characters; bcrypt sees bytes. Counting UTF-8 characters keeps both honest. */
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)password[i] & 0xc0) != 0x80)
            chars++;
    if (chars < (size_t)req->config->password_min_length) {
        sb_auth_fail_weak_password(req, "length",
                                   sb_arena_printf(req->arena, "Password should be at least %d characters.",
                                                   req->config->password_min_length));
        return false;
    }
    return true;
}

bool sb_auth_within_rate_limits(struct sb_request *req, const char *kind, const char *email)
{
    const struct sb_config *c = req->config;
    int per_ip = strcmp(kind, "token") == 0 ? c->rate_limit_token : c->rate_limit_verify;
    if (!sb_ratelimit_take(sb_arena_printf(req->arena, "%s ip %s", kind, req->client_ip), per_ip,
                           SB_RATELIMIT_WINDOW_S)) {
        sb_auth_fail(req, 429, "over_request_rate_limit", "Request rate limit reached");
        return false;
    }
    return !email || sb_auth_within_email_rate_limit(req, email);
}

bool sb_auth_within_email_rate_limit(struct sb_request *req, const char *email)
{
    bool ok = sb_ratelimit_take(sb_arena_printf(req->arena, "email %s", email), req->config->rate_limit_email,
                                SB_RATELIMIT_WINDOW_S);
    if (!ok)
        sb_auth_fail(req, 429, "over_request_rate_limit", "Request rate limit reached");
    return ok;
}
