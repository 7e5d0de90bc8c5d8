/*
 * service: route table and shared helpers of /storage/v1.
 */
#include "storage/service.h"

#include "base/call.h"
#include "http/router.h"
#include "storage/buckets.h"
#include "storage/drain.h"
#include "storage/objects.h"
#include "storage/path.h"
#include "storage/sign.h"
#include "storage/transfer.h"
#include "storage/upload.h"
#include "util/buf.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors: Supabase Storage's wire shape and SQLSTATE table ------------------------------ */

/* HTTP 400 for client errors, the real code in statusCode, as Supabase does (416, a range
 * past the end, keeps its status: range clients act on it). */
static int http_status(int status)
{
    return status == 413 || status == 416 || status == 500 || status == 503 ? status : 400;
}

static void write_error(struct sb_request *req, const struct sb_error *err)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"statusCode\":");
    sb_buf_append_json_string(&b, sb_arena_printf(req->arena, "%d", err->status));
    sb_buf_append(&b, ",\"error\":");
    sb_buf_append_json_string(&b, err->code);
    sb_buf_append(&b, ",\"message\":");
    sb_buf_append_json_string(&b, err->message);
    if (strcmp(err->code, "not_found") == 0 && strcmp(err->message, "Object not found") == 0)
        sb_buf_append(&b, ",\"code\":\"NoSuchKey\"");
    sb_buf_append(&b, "}");
    sb_respond_json(req, http_status(err->status), b.data);
}

static const struct sb_sqlstate_rule sqlstates[] = {
    { "23505", 409, 0, "Duplicate", "The resource already exists" },
    { "42501", 403, 0, "Unauthorized", "new row violates row-level security policy" },
    { "23503", 409, 0, "Conflict", "The resource is still referenced" },
    { "55006", 409, 0, "Conflict", NULL },      /* a file a material names */
    { "23", 400, 0, "InvalidRequest", NULL },
    { NULL, 0, 0, NULL, NULL },
};

/* An object whose bucket does not exist breaks the foreign key to storage.buckets. */
static void explain(struct sb_call *call, const struct sb_db_result *r)
{
    if (r->sqlstate && strcmp(r->sqlstate, "23503") == 0 && r->table && strcmp(r->table, "objects") == 0 &&
        r->message && strstr(r->message, "buckets"))
        sb_call_fail(call, 404, "Bucket not found", "Bucket not found");
}

static const struct sb_service storage_service = {
    .name = "storage",
    .write_error = write_error,
    .sqlstates = sqlstates,
    .unavailable = { 503, "DatabaseUnavailable", "The database is not available", NULL, NULL, NULL },
    .internal = { 500, "internal", "Internal Server Error", NULL, NULL, NULL },
    .bad_body = { 400, "InvalidRequest", "The request body must be a JSON object", NULL, NULL, NULL },
    .explain = explain,
};

struct sb_call *sb_storage_call(struct sb_request *req)
{
    return sb_call_of(req, &storage_service);
}

void sb_storage_fail(struct sb_request *req, const char *status_code, const char *error, const char *message)
{
    struct sb_call *call = sb_storage_call(req);
    sb_call_fail(call, atoi(status_code), error, message);
    sb_call_respond_error(call);
}

void sb_storage_fail_not_found(struct sb_request *req)
{
    sb_storage_fail(req, "404", "not_found", "Object not found");
}

void sb_storage_fail_db(struct sb_request *req, const struct sb_db_result *r)
{
    struct sb_call *call = sb_storage_call(req);
    sb_call_fail_db(call, r);
    sb_call_respond_error(call);
}

/* ---- identity ------------------------------------------------------------------------------- */

bool sb_storage_identify(struct sb_request *req, struct sb_db_call *who)
{
    struct sb_call *call = sb_storage_call(req);
    memset(who, 0, sizeof *who);
    if (call->token == SB_AUTH_NONE) {
        sb_storage_fail(req, "400", "Error", "headers must have required property 'authorization'");
        return false;
    }
    if (call->token == SB_AUTH_INVALID) {
        sb_storage_fail(req, "403", "Unauthorized", call->token_refused);
        return false;
    }
    *who = call->identity;
    return true;
}

void sb_storage_as_service(struct sb_db_call *who)
{
    *who = *sb_call_service_role();
}

/* ---- targets and bodies ---------------------------------------------------------------------- */

bool sb_storage_target(struct sb_request *req, const char *rest, const char **bucket, const char **key)
{
    const char *slash = strchr(rest, '/');
    const char *name = slash ? sb_arena_strndup(req->arena, rest, (size_t)(slash - rest)) : rest;
    if (!sb_storage_bucket_name_ok(name)) {
        sb_storage_fail(req, "400", "InvalidBucketName", "The bucket name is invalid");
        return false;
    }
    *bucket = name;
    if (!key)
        return true;
    enum sb_key_status st = sb_storage_key_check(req->arena, slash ? slash + 1 : "", key);
    if (st != SB_KEY_OK) {
        sb_storage_fail(req, "400", "InvalidKey", sb_storage_key_message(st));
        return false;
    }
    return true;
}

static void decref_json(void *json)
{
    json_decref(json);
}

json_t *sb_storage_json_in_arena(struct sb_arena *arena, json_t *json)
{
    if (json)
        sb_arena_defer(arena, decref_json, json);
    return json;
}

json_t *sb_storage_json_body(struct sb_request *req)
{
    struct sb_call *call = sb_storage_call(req);
    json_t *body = sb_call_body(call);
    if (!body)
        sb_call_respond_error(call);
    return body;
}

const char *sb_storage_json_string(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

bool sb_storage_run(struct sb_request *req, const struct sb_db_call *who, const char *sql, int nparams,
                    const char *const *params, struct sb_db_result *r)
{
    struct sb_call *call = sb_storage_call(req);
    if (sb_call_run(call, who, sql, nparams, params, r))
        return true;
    sb_call_respond_error(call);
    return false;
}

void sb_storage_respond_key(struct sb_request *req, const char *id, const char *bucket, const char *key)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"Id\":");
    sb_buf_append_json_string(&b, id);
    sb_buf_append(&b, ",\"Key\":");
    sb_buf_append_json_string(&b, sb_arena_printf(req->arena, "%s/%s", bucket, key));
    sb_buf_append(&b, "}");
    sb_respond_json(req, 200, b.data);
}

const char *sb_storage_first_value(const struct sb_db_result *r)
{
    if (!r->rows || PQntuples(r->rows) == 0 || PQgetisnull(r->rows, 0, 0))
        return NULL;
    return PQgetvalue(r->rows, 0, 0);
}

/* ---- the backend -------------------------------------------------------------------------------- */

static pthread_mutex_t backend_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sb_storage_backend *backend;

/* Opens the backend and starts the drainer, once; NULL while the folder cannot be used. */
static struct sb_storage_backend *start_storage(const char *dir)
{
    pthread_mutex_lock(&backend_lock);
    if (!backend) {
        backend = sb_fs_backend_open(dir);
        if (backend)
            sb_storage_drain_start(backend);
    }
    struct sb_storage_backend *b = backend;
    pthread_mutex_unlock(&backend_lock);
    return b;
}

struct sb_storage_backend *sb_storage_backend_shared(const char *dir)
{
    return start_storage(dir);
}

struct sb_storage_backend *sb_storage_backend_for(struct sb_request *req)
{
    struct sb_storage_backend *b = start_storage(req->config->storage_dir);
    if (!b)
        sb_storage_fail(req, "500", "internal", "The storage folder cannot be used");
    return b;
}

/* ---- routes -------------------------------------------------------------------------------------- */

/* Objects are prefix routes (a key may hold '/'), buckets whole paths. */
static const struct sb_route routes[] = {
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/",
      .begin_body = sb_storage_upload_begin, .body_chunk = sb_storage_upload_chunk,
      .handle = sb_storage_upload_finish, .finished = sb_storage_upload_cleanup },
    { .method = "PUT", .prefix = SB_STORAGE_PREFIX "/object/",
      .begin_body = sb_storage_upload_begin, .body_chunk = sb_storage_upload_chunk,
      .handle = sb_storage_upload_finish, .finished = sb_storage_upload_cleanup },
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/object/", .handle = sb_storage_handle_get },
    { .method = "HEAD", .prefix = SB_STORAGE_PREFIX "/object/", .handle = sb_storage_handle_get },
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/object/authenticated/",
      .handle = sb_storage_handle_get_authenticated },
    { .method = "HEAD", .prefix = SB_STORAGE_PREFIX "/object/authenticated/",
      .handle = sb_storage_handle_get_authenticated },
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/object/info/", .handle = sb_storage_handle_info },
    { .method = "HEAD", .prefix = SB_STORAGE_PREFIX "/object/info/", .handle = sb_storage_handle_info },
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/object/public/", .handle = sb_storage_handle_get_public },
    { .method = "HEAD", .prefix = SB_STORAGE_PREFIX "/object/public/", .handle = sb_storage_handle_get_public },
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/object/sign/", .handle = sb_storage_handle_get_signed },
    { .method = "HEAD", .prefix = SB_STORAGE_PREFIX "/object/sign/", .handle = sb_storage_handle_get_signed },
    { .method = "DELETE", .prefix = SB_STORAGE_PREFIX "/object/", .handle = sb_storage_handle_remove },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/list/", .handle = sb_storage_handle_list },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/move", .handle = sb_storage_handle_move },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/copy", .handle = sb_storage_handle_copy },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/sign/", .handle = sb_storage_handle_sign },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/object/upload/sign/", .handle = sb_storage_handle_upload_sign },
    { .method = "GET", .path = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_list },
    { .method = "POST", .path = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_create },
    { .method = "GET", .path = SB_STORAGE_PREFIX "/bucket/{id}", .handle = sb_storage_handle_bucket_get },
    { .method = "PUT", .path = SB_STORAGE_PREFIX "/bucket/{id}", .handle = sb_storage_handle_bucket_update },
    { .method = "DELETE", .path = SB_STORAGE_PREFIX "/bucket/{id}", .handle = sb_storage_handle_bucket_delete },
    { .method = "POST", .path = SB_STORAGE_PREFIX "/bucket/{id}/empty", .handle = sb_storage_handle_bucket_empty },
    /* what no path above takes, as before: 404 after the token */
    { .method = "GET", .prefix = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_unknown },
    { .method = "POST", .prefix = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_unknown },
    { .method = "PUT", .prefix = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_unknown },
    { .method = "DELETE", .prefix = SB_STORAGE_PREFIX "/bucket", .handle = sb_storage_handle_bucket_unknown },
};

void sb_storage_register(void)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        sb_router_add(&routes[i]);
    /* Registration gets no configuration; the environment gives the same one main() loaded.
     * Starting now lets deletions made elsewhere (/rest/v1, psql) be drained before the first
     * storage request; if the folder cannot be used yet, the first request tries again. */
    static struct sb_config config;
    if (sb_config_load(&config) == 0)
        start_storage(config.storage_dir);
}
