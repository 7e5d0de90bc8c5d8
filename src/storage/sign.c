/*
 * sign: tokens are made and checked with src/auth/jwt.c (HS256 only).
 */
#include "storage/sign.h"

#include "storage/objects.h"
#include "storage/path.h"
#include "storage/service.h"
#include "storage/upload.h"
#include "util/buf.h"

#include <stdio.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#define MAX_PATHS_PER_CALL 1000
#define MAX_EXPIRES_IN (10L * 365 * 24 * 3600)
#define UPLOAD_URL_SECONDS 7200

static const char *token_for(struct sb_request *req, const char *bucket, const char *key, long expires_in)
{
    long long now = (long long)time(NULL);
    struct sb_buf claims;
    sb_buf_init(&claims, req->arena);
    sb_buf_append(&claims, "{\"purpose\":\"" SB_JWT_PURPOSE_DOWNLOAD "\",\"url\":");
    sb_buf_append_json_string(&claims, sb_arena_printf(req->arena, "%s/%s", bucket, key));
    sb_buf_printf(&claims, ",\"iat\":%lld,\"exp\":%lld}", now, now + expires_in);
    return sb_jwt_sign(req->arena, req->config->jwt_secret, claims.data);
}

/* The URL the client appends to its storage base URL: unencoded, as supabase-js expects. */
static const char *signed_path(struct sb_request *req, const char *bucket, const char *key, long expires_in)
{
    return sb_arena_printf(req->arena, "/object/sign/%s/%s?token=%s", bucket, key,
                           token_for(req, bucket, key, expires_in));
}

/* expiresIn: a whole number of seconds, at least 1; answers 400 otherwise. */
static bool read_expiry(struct sb_request *req, json_t *body, long *out)
{
    json_t *v = json_object_get(body, "expiresIn");
    double seconds = json_is_number(v) ? json_number_value(v) : -1;
    if (json_is_string(v))
        seconds = atof(json_string_value(v));
    if (seconds < 1 || seconds > MAX_EXPIRES_IN) {
        sb_storage_fail(req, "400", "InvalidRequest", "expiresIn must be a number of seconds, at least 1");
        return false;
    }
    *out = (long)seconds;
    return true;
}

static void sign_one(struct sb_request *req, struct sb_db_call *who, const char *bucket, const char *key, long expires_in)
{
    struct sb_db_result r;
    if (!sb_storage_run(req, who, "SELECT 1 FROM storage.objects WHERE bucket_id = $1 AND name = $2", 2,
                        (const char *const[]){ bucket, key }, &r))
        return;
    if (PQntuples(r.rows) == 0)
        return sb_storage_fail_not_found(req);
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"signedURL\":");
    sb_buf_append_json_string(&b, signed_path(req, bucket, key, expires_in));
    sb_buf_append(&b, "}");
    sb_respond_json(req, 200, b.data);
}

/* Which of the normalised names the caller can read, one query for all. */
static PGresult *visible_names(struct sb_request *req, struct sb_db_call *who, const char *bucket, const char *names)
{
    static const char sql[] = "SELECT name FROM storage.objects WHERE bucket_id = $1"
                              " AND name IN (SELECT jsonb_array_elements_text($2::jsonb))";
    struct sb_db_result r;
    return sb_storage_run(req, who, sql, 2, (const char *const[]){ bucket, names }, &r) ? r.rows : NULL;
}

static bool is_visible(PGresult *rows, const char *key)
{
    for (int i = 0; key && i < PQntuples(rows); i++)
        if (strcmp(PQgetvalue(rows, i, 0), key) == 0)
            return true;
    return false;
}

static void sign_many(struct sb_request *req, struct sb_db_call *who, const char *bucket, json_t *paths, long expires_in)
{
    size_t n = json_array_size(paths);
    const char **keys = sb_arena_alloc(req->arena, sizeof *keys * (n + 1));
    struct sb_buf names;
    sb_buf_init(&names, req->arena);
    sb_buf_append_char(&names, '[');
    for (size_t i = 0; i < n; i++) {
        const char *raw = json_string_value(json_array_get(paths, i));
        if (raw && sb_storage_key_check(req->arena, raw, &keys[i]) == SB_KEY_OK) {
            if (names.len > 1)
                sb_buf_append_char(&names, ',');
            sb_buf_append_json_string(&names, keys[i]);
        }
    }
    sb_buf_append_char(&names, ']');
    PGresult *rows = visible_names(req, who, bucket, names.data);
    if (!rows)
        return;
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append_char(&b, '[');
    for (size_t i = 0; i < n; i++) {
        bool ok = is_visible(rows, keys[i]);
        sb_buf_append(&b, i ? ",{\"error\":" : "{\"error\":");
        sb_buf_append_json_string(&b, ok ? NULL : "Either the object does not exist or you do not have access to it");
        sb_buf_append(&b, ",\"path\":");
        sb_buf_append_json_string(&b, json_string_value(json_array_get(paths, i)));
        sb_buf_append(&b, ",\"signedURL\":");
        sb_buf_append_json_string(&b, ok ? signed_path(req, bucket, keys[i], expires_in) : NULL);
        sb_buf_append_char(&b, '}');
    }
    sb_buf_append_char(&b, ']');
    sb_respond_json(req, 200, b.data);
}

void sb_storage_handle_sign(struct sb_request *req)
{
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/object/sign/");
    const char *bucket, *key;
    struct sb_db_call who;
    json_t *body;
    long expires_in;
    if (!sb_storage_identify(req, &who) || !(body = sb_storage_json_body(req)) || !read_expiry(req, body, &expires_in))
        return;
    if (strchr(rest, '/')) {
        if (sb_storage_target(req, rest, &bucket, &key))
            sign_one(req, &who, bucket, key, expires_in);
        return;
    }
    if (!sb_storage_target(req, rest, &bucket, NULL))
        return;
    json_t *paths = json_object_get(body, "paths");
    if (!json_is_array(paths) || json_array_size(paths) == 0 || json_array_size(paths) > MAX_PATHS_PER_CALL)
        return sb_storage_fail(req, "400", "InvalidRequest", "paths must be an array of 1 to 1000 names");
    sign_many(req, &who, bucket, paths, expires_in);
}

/* The ?token= claims when the token verifies, was made for purpose and names bucket/key; NULL
 * after answering 400 (wrong_purpose_message for a token made for another use). The caller
 * owns the returned JSON (json_decref). */
static json_t *verified_claims(struct sb_request *req, const char *bucket, const char *key, const char *purpose,
                               const char *wrong_purpose_message)
{
    const char *token = sb_request_query(req, "token");
    if (!token || !*token) {
        sb_storage_fail(req, "400", "InvalidJWT", "Missing token");
        return NULL;
    }
    struct sb_jwt_claims claims;
    enum sb_jwt_status st = sb_jwt_verify_for(req->arena, req->config->jwt_secret, token, purpose, &claims);
    if (st == SB_JWT_EXPIRED) {
        sb_storage_fail(req, "400", "InvalidJWT", "The provided token has expired.");
        return NULL;
    }
    if (st == SB_JWT_WRONG_PURPOSE) {
        sb_storage_fail(req, "400", "InvalidJWT", wrong_purpose_message);
        return NULL;
    }
    json_t *payload = st == SB_JWT_OK ? json_loads(claims.json, 0, NULL) : NULL;
    const char *url = sb_storage_json_string(payload, "url");
    if (!url || strcmp(url, sb_arena_printf(req->arena, "%s/%s", bucket, key)) != 0) {
        json_decref(payload);
        sb_storage_fail(req, "400", "InvalidSignature", "The signature is invalid for this object");
        return NULL;
    }
    return payload;
}

void sb_storage_serve_signed(struct sb_request *req, const char *rest)
{
    const char *bucket, *key;
    if (!sb_storage_target(req, rest, &bucket, &key))
        return;
    json_t *claims = verified_claims(req, bucket, key, SB_JWT_PURPOSE_DOWNLOAD,
                                     "The token is not a signed download URL's token");
    if (!claims)
        return;
    json_decref(claims);
    struct sb_db_call server;
    sb_storage_as_service(&server);
    sb_storage_send_object(req, &server, bucket, key);
}

void sb_storage_serve_public(struct sb_request *req, const char *bucket, const char *key)
{
    struct sb_db_call server;
    sb_storage_as_service(&server);
    struct sb_db_result r;
    if (!sb_storage_run(req, &server, "SELECT 1 FROM storage.buckets WHERE id = $1 AND public", 1,
                        (const char *const[]){ bucket }, &r))
        return;
    if (PQntuples(r.rows) == 0)
        return sb_storage_fail(req, "400", "InvalidRequest", "The bucket is not public");
    sb_storage_as_service(&server);
    sb_storage_send_object(req, &server, bucket, key);
}

/* ---- signed uploads ---------------------------------------------------------------------- */

void sb_storage_handle_upload_sign(struct sb_request *req)
{
    const char *bucket, *key;
    struct sb_db_call who;
    if (!sb_storage_identify(req, &who) ||
        !sb_storage_target(req, req->path + strlen(SB_STORAGE_PREFIX "/object/upload/sign/"), &bucket, &key))
        return;
    const char *x_upsert = sb_request_header(req, "x-upsert");
    bool upsert = x_upsert && strcasecmp(x_upsert, "true") == 0;
    struct sb_db_result r;
    if (!sb_storage_may_create(req, &who, bucket, key, upsert, &r))
        return sb_call_respond_error(sb_storage_call(req));
    long long now = (long long)time(NULL);
    struct sb_buf claims;
    sb_buf_init(&claims, req->arena);
    sb_buf_append(&claims, "{\"purpose\":\"" SB_JWT_PURPOSE_UPLOAD "\",\"url\":");
    sb_buf_append_json_string(&claims, sb_arena_printf(req->arena, "%s/%s", bucket, key));
    sb_buf_append(&claims, ",\"owner\":");
    sb_buf_append_json_string(&claims, who.sub);
    sb_buf_append(&claims, ",\"owner_role\":");
    sb_buf_append_json_string(&claims, who.role);
    sb_buf_printf(&claims, ",\"upsert\":%s,\"iat\":%lld,\"exp\":%lld}", upsert ? "true" : "false", now,
                  now + UPLOAD_URL_SECONDS);
    const char *token = sb_jwt_sign(req->arena, req->config->jwt_secret, claims.data);
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"url\":");
    sb_buf_append_json_string(&b, sb_arena_printf(req->arena, "/object/upload/sign/%s/%s?token=%s", bucket, key, token));
    sb_buf_append(&b, ",\"token\":");
    sb_buf_append_json_string(&b, token);
    sb_buf_append(&b, "}");
    sb_respond_json(req, 200, b.data);
}

bool sb_storage_signed_upload_identity(struct sb_request *req, const char *bucket, const char *key,
                                       struct sb_db_call *who, bool *upsert)
{
    json_t *claims = verified_claims(req, bucket, key, SB_JWT_PURPOSE_UPLOAD,
                                     "The token is not a signed upload URL's token");
    if (!claims)
        return false;
    const char *role = sb_storage_json_string(claims, "owner_role");
    const char *owner = sb_storage_json_string(claims, "owner");
    memset(who, 0, sizeof *who);
    who->role = role ? sb_arena_strdup(req->arena, role) : "anon";
    who->sub = owner ? sb_arena_strdup(req->arena, owner) : NULL;
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"role\":");
    sb_buf_append_json_string(&b, who->role);
    if (owner) {
        sb_buf_append(&b, ",\"sub\":");
        sb_buf_append_json_string(&b, owner);
    }
    sb_buf_append(&b, "}");
    who->claims = b.data;
    *upsert = json_is_true(json_object_get(claims, "upsert"));
    json_decref(claims);
    return true;
}
