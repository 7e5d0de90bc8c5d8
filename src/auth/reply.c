/*
 * reply: the auth service's answers and input checks, shared by its handler files (declared
 * in service.h): GoTrue's error shape, JSON bodies, email and password rules, rate limits.
 */
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/service.h"
#include "util/buf.h"
#include "util/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EMAIL_LENGTH 255

void sb_auth_reply(struct sb_request *req, int status, const char *json)
{
    sb_respond_json(req, status, json);
}

static void append_error(struct sb_buf *b, const char *code, const char *msg)
{
    sb_buf_append(b, "{\"code\":");
    sb_buf_append_json_string(b, code);
    sb_buf_append(b, ",\"error_code\":");
    sb_buf_append_json_string(b, code);
    sb_buf_append(b, ",\"msg\":");
    sb_buf_append_json_string(b, msg);
    sb_buf_append(b, ",\"message\":");
    sb_buf_append_json_string(b, msg);
}

void sb_auth_fail(struct sb_request *req, int status, const char *code, const char *msg)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    append_error(&b, code, msg);
    sb_buf_append(&b, "}");
    sb_respond_json(req, status, b.data);
}

void sb_auth_fail_weak_password(struct sb_request *req, const char *reason, const char *msg)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    append_error(&b, "weak_password", msg);
    sb_buf_append(&b, ",\"weak_password\":{\"reasons\":[");
    sb_buf_append_json_string(&b, reason);
    sb_buf_append(&b, "]}}");
    sb_respond_json(req, 422, b.data);
}

void sb_auth_fail_db(struct sb_request *req, const struct sb_db_result *db)
{
    if (db->status == SB_DB_UNAVAILABLE) {
        sb_auth_fail(req, 503, "unexpected_failure", "The database is not available, try again shortly");
        return;
    }
    sb_log(SB_LOG_ERROR, db->sqlstate ? "auth: database error" : "auth: unexpected failure", "id", req->id,
           "sqlstate", db->sqlstate ? db->sqlstate : "", "error", db->message ? db->message : "", NULL);
    sb_auth_fail(req, 500, "unexpected_failure", db->sqlstate ? "Database error" : "Unexpected failure");
}

static void release_json(void *value)
{
    json_decref(value);
}

static bool content_type_is_json(const char *type)
{
    if (!type)
        return false;
    while (*type == ' ')
        type++;
    return strncasecmp(type, "application/json", 16) == 0 && (type[16] == '\0' || type[16] == ';' || type[16] == ' ');
}

json_t *sb_auth_body(struct sb_request *req)
{
    if (req->body_len == 0) {
        json_t *empty = json_object();
        sb_arena_defer(req->arena, release_json, empty);
        return empty;
    }
    if (!content_type_is_json(sb_request_header(req, "Content-Type"))) {
        sb_auth_fail(req, 400, "bad_json", "Could not parse request body as JSON: Content-Type must be application/json");
        return NULL;
    }
    json_error_t error;
    json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
    if (!body) {
        sb_auth_fail(req, 400, "bad_json", sb_arena_printf(req->arena, "Could not parse request body as JSON: %s",
                                                           error.text));
        return NULL;
    }
    sb_arena_defer(req->arena, release_json, body);
    if (!json_is_object(body)) {
        sb_auth_fail(req, 400, "bad_json", "Could not parse request body as JSON: expected an object");
        return NULL;
    }
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
