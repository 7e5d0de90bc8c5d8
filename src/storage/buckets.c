/*
 * buckets: one handler dispatching on method and path; JSON built by PostgreSQL.
 */
#include "storage/buckets.h"

#include "storage/path.h"
#include "storage/service.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char bucket_json[] =
    "json_build_object('id', id, 'name', name, 'owner', owner, 'public', public,"
    " 'file_size_limit', file_size_limit, 'allowed_mime_types', allowed_mime_types,"
    " 'created_at', created_at, 'updated_at', updated_at, 'type', 'STANDARD')";

long long sb_storage_parse_size(const char *text)
{
    char *end;
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    double n = strtod(text, &end);
    static const struct { const char *unit; double factor; } units[] = {
        { "", 1 }, { "B", 1 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcasecmp(end, units[i].unit) == 0)
            return (long long)(n * units[i].factor);
    return -1;
}

static void bucket_missing(struct sb_request *req)
{
    sb_storage_fail(req, "404", "Bucket not found", "Bucket not found");
}

static void list_buckets(struct sb_request *req, struct sb_db_call *who)
{
    const char *sql = sb_arena_printf(req->arena,
        "SELECT coalesce(json_agg(%s ORDER BY name), '[]') FROM storage.buckets", bucket_json);
    struct sb_db_result r;
    if (sb_storage_run(req, who, sql, 0, NULL, &r))
        sb_respond_json(req, 200, sb_arena_strdup(req->arena, sb_storage_first_value(&r)));
}

static void get_bucket(struct sb_request *req, struct sb_db_call *who, const char *id)
{
    const char *sql = sb_arena_printf(req->arena, "SELECT %s FROM storage.buckets WHERE id = $1", bucket_json);
    struct sb_db_result r;
    if (!sb_storage_run(req, who, sql, 1, (const char *const[]){ id }, &r))
        return;
    const char *json = sb_storage_first_value(&r);
    if (!json)
        return bucket_missing(req);
    sb_respond_json(req, 200, sb_arena_strdup(req->arena, json));
}

/* The settable fields of a bucket body as text parameters; NULL means "not given". */
struct bucket_fields {
    const char *is_public, *size_limit, *mime_types;
};

static bool read_fields(struct sb_request *req, json_t *body, struct bucket_fields *f)
{
    memset(f, 0, sizeof *f);
    json_t *pub = json_object_get(body, "public");
    if (json_is_boolean(pub))
        f->is_public = json_is_true(pub) ? "true" : "false";
    json_t *limit = json_object_get(body, "file_size_limit");
    if (limit && !json_is_null(limit)) {
        long long bytes = json_is_integer(limit) ? (long long)json_integer_value(limit)
                          : sb_storage_parse_size(json_string_value(limit));
        if (bytes < 0 || bytes > req->config->storage_max_file_bytes) {
            sb_storage_fail(req, "400", "InvalidRequest",
                            "file_size_limit must be a size no larger than the server's upload limit");
            return false;
        }
        f->size_limit = sb_arena_printf(req->arena, "%lld", bytes);
    }
    json_t *types = json_object_get(body, "allowed_mime_types");
    if (types && !json_is_null(types)) {
        if (!json_is_array(types)) {
            sb_storage_fail(req, "400", "InvalidRequest", "allowed_mime_types must be an array of MIME types");
            return false;
        }
        char *text = json_dumps(types, JSON_COMPACT);
        f->mime_types = sb_arena_strdup(req->arena, text);
        free(text);
    }
    return true;
}

static void create_bucket(struct sb_request *req, struct sb_db_call *who)
{
    static const char sql[] =
        "INSERT INTO storage.buckets (id, name, owner, public, file_size_limit, allowed_mime_types)"
        " VALUES ($1, $2, CASE WHEN $3::text ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN $3::text::uuid END,"
        "  coalesce($4::boolean, false), $5::bigint,"
        "  CASE WHEN $6::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text($6::jsonb)) END)"
        " RETURNING json_build_object('name', name)";
    json_t *body = sb_storage_json_body(req);
    struct bucket_fields f;
    if (!body || !read_fields(req, body, &f))
        return;
    const char *name = sb_storage_json_string(body, "name");
    const char *id = sb_storage_json_string(body, "id");
    if (!id)
        id = name;
    if (!name)
        name = id;
    if (!sb_storage_bucket_name_ok(id) || !sb_storage_bucket_name_ok(name))
        return sb_storage_fail(req, "400", "InvalidBucketName", "The bucket name is invalid");
    struct sb_db_result r;
    if (sb_storage_run(req, who, sql, 6, (const char *const[]){ id, name, who->sub, f.is_public, f.size_limit, f.mime_types }, &r))
        sb_respond_json(req, 200, sb_arena_strdup(req->arena, sb_storage_first_value(&r)));
}

static void update_bucket(struct sb_request *req, struct sb_db_call *who, const char *id)
{
    static const char sql[] =
        "UPDATE storage.buckets SET public = coalesce($2::boolean, public),"
        " file_size_limit = CASE WHEN $5 THEN $3::bigint ELSE file_size_limit END,"
        " allowed_mime_types = CASE WHEN $6 THEN"
        "  (CASE WHEN $4::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END)"
        "  ELSE allowed_mime_types END, updated_at = now()"
        " WHERE id = $1 RETURNING id";
    json_t *body = sb_storage_json_body(req);
    struct bucket_fields f;
    if (!body || !read_fields(req, body, &f))
        return;
    const char *has_limit = json_object_get(body, "file_size_limit") ? "true" : "false";
    const char *has_types = json_object_get(body, "allowed_mime_types") ? "true" : "false";
    struct sb_db_result r;
    if (!sb_storage_run(req, who, sql, 6, (const char *const[]){ id, f.is_public, f.size_limit, f.mime_types, has_limit, has_types }, &r))
        return;
    if (PQntuples(r.rows) == 0)
        return bucket_missing(req);
    sb_respond_json(req, 200, "{\"message\":\"Successfully updated\"}");
}

static void empty_bucket(struct sb_request *req, struct sb_db_call *who, const char *id)
{
    if (strcmp(who->role, "service_role") != 0)
        return sb_storage_fail(req, "403", "Unauthorized", "Only service_role may empty a bucket");
    struct sb_db_result r;
    if (!sb_storage_run(req, who, "SELECT 1 FROM storage.buckets WHERE id = $1", 1, (const char *const[]){ id }, &r))
        return;
    if (PQntuples(r.rows) == 0)
        return bucket_missing(req);
    if (sb_storage_run(req, who, "DELETE FROM storage.objects WHERE bucket_id = $1", 1, (const char *const[]){ id }, &r))
        sb_respond_json(req, 200, "{\"message\":\"Successfully emptied\"}");
}

static void delete_bucket(struct sb_request *req, struct sb_db_call *who, const char *id)
{
    struct sb_call *call = sb_storage_call(req);
    struct sb_db_result r;
    if (!sb_call_run(call, who, "DELETE FROM storage.buckets WHERE id = $1 RETURNING id", 1,
                     (const char *const[]){ id }, &r)) {
        if (r.sqlstate && strcmp(r.sqlstate, "23503") == 0)
            return sb_storage_fail(req, "409", "InvalidRequest", "The bucket you tried to delete is not empty");
        return sb_call_respond_error(call);
    }
    if (PQntuples(r.rows) == 0)
        return bucket_missing(req);
    sb_respond_json(req, 200, "{\"message\":\"Successfully deleted\"}");
}

/* The {id} of /bucket/{id}[/empty], checked; NULL after answering 400. */
static const char *bucket_id(struct sb_request *req)
{
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/bucket/");
    const char *id = sb_arena_strndup(req->arena, rest, strcspn(rest, "/"));
    if (!sb_storage_bucket_name_ok(id)) {
        sb_storage_fail(req, "400", "InvalidBucketName", "The bucket name is invalid");
        return NULL;
    }
    return id;
}

/* Runs op on the bucket the path names, as the caller, once both are checked. */
static void on_bucket(struct sb_request *req,
                      void (*op)(struct sb_request *req, struct sb_db_call *who, const char *id))
{
    struct sb_db_call who;
    const char *id;
    if (sb_storage_identify(req, &who) && (id = bucket_id(req)) != NULL)
        op(req, &who, id);
}

void sb_storage_handle_bucket_list(struct sb_request *req)
{
    struct sb_db_call who;
    if (sb_storage_identify(req, &who))
        list_buckets(req, &who);
}

void sb_storage_handle_bucket_create(struct sb_request *req)
{
    struct sb_db_call who;
    if (sb_storage_identify(req, &who))
        create_bucket(req, &who);
}

void sb_storage_handle_bucket_get(struct sb_request *req)
{
    on_bucket(req, get_bucket);
}

void sb_storage_handle_bucket_update(struct sb_request *req)
{
    on_bucket(req, update_bucket);
}

void sb_storage_handle_bucket_delete(struct sb_request *req)
{
    on_bucket(req, delete_bucket);
}

void sb_storage_handle_bucket_empty(struct sb_request *req)
{
    on_bucket(req, empty_bucket);
}

void sb_storage_handle_bucket_unknown(struct sb_request *req)
{
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/bucket");
    struct sb_db_call who;
    if (*rest && *rest != '/')
        return sb_storage_fail(req, "404", "not_found", "No such route");
    if (!sb_storage_identify(req, &who))
        return;
    if (rest[0] == '/' && rest[1] && !strchr(rest + 1, '/') && !bucket_id(req))
        return;   /* a bucket name this method takes nowhere, but not a valid one either: 400 */
    sb_storage_fail(req, "404", "not_found", "No such route");
}
