/*
 * transfer: a read of the source's version as the caller, the checks against the destination
 * bucket's rules on the stored file, then one statement (move) or a write with a new file
 * (copy, through upload.c's sb_storage_write_with_file).
 */
#include "storage/transfer.h"

#include "storage/rules.h"
#include "storage/service.h"
#include "storage/upload.h"

#include <unistd.h>

struct transfer {
    const char *from_bucket, *from_key, *to_bucket, *to_key;
    const char *version;     /* the source's, as checked */
    const char *mimetype;    /* the type the destination records, or NULL: the source's stays */
};

/* Reads {bucketId, sourceKey, destinationKey[, destinationBucket]}; answers 400 if invalid. */
static bool read_transfer(struct sb_request *req, struct transfer *t)
{
    json_t *body = sb_storage_json_body(req);
    if (!body)
        return false;
    const char *bucket = sb_storage_json_string(body, "bucketId");
    const char *dest_bucket = sb_storage_json_string(body, "destinationBucket");
    const char *source = sb_storage_json_string(body, "sourceKey");
    const char *dest = sb_storage_json_string(body, "destinationKey");
    if (!bucket || !source || !dest) {
        sb_storage_fail(req, "400", "InvalidRequest", "bucketId, sourceKey and destinationKey are required");
        return false;
    }
    if (!dest_bucket)
        dest_bucket = bucket;
    const char *from = sb_arena_printf(req->arena, "%s/%s", bucket, source);
    const char *to = sb_arena_printf(req->arena, "%s/%s", dest_bucket, dest);
    return sb_storage_target(req, from, &t->from_bucket, &t->from_key) &&
           sb_storage_target(req, to, &t->to_bucket, &t->to_key);
}

/* The source's version as the caller sees it; answers 404 when it sees none. */
static bool read_source_version(struct sb_request *req, struct sb_db_call *who, struct transfer *t)
{
    struct sb_db_result r;
    if (!sb_storage_run(req, who, "SELECT version FROM storage.objects WHERE bucket_id = $1 AND name = $2", 2,
                        (const char *const[]){ t->from_bucket, t->from_key }, &r))
        return false;
    const char *version = sb_storage_first_value(&r);
    if (!version) {
        sb_storage_fail_not_found(req);
        return false;
    }
    t->version = sb_arena_strdup(req->arena, version);
    return true;
}

/* The stored file against the destination bucket's size limit and types; answers 413, 415
 * (or 404 when the file is gone) and returns false when it does not meet them. */
static bool meets_destination_rules(struct sb_request *req, struct sb_storage_backend *backend, struct transfer *t)
{
    struct sb_bucket_rules rules;
    if (!sb_storage_bucket_rules(req, t->to_bucket, &rules))
        return false;
    uint64_t size = 0;
    int fd = backend->open_read(backend, t->version, &size);
    if (fd < 0) {
        sb_storage_fail_not_found(req);
        return false;
    }
    bool ok = size <= (uint64_t)(rules.max_bytes < 0 ? 0 : rules.max_bytes);
    if (!ok)
        sb_storage_fail_too_large(req);
    t->mimetype = NULL;
    if (ok && sb_storage_rules_restrict_types(&rules))
        ok = (t->mimetype = sb_storage_allowed_type(req, &rules, fd)) != NULL;
    close(fd);
    return ok;
}

/* Who the caller is, what to transfer, and that the destination accepts it; false after answering. */
static bool prepare(struct sb_request *req, struct sb_db_call *who, struct sb_storage_backend **backend,
                    struct transfer *t)
{
    return sb_storage_identify(req, who) && (*backend = sb_storage_backend_for(req)) && read_transfer(req, t) &&
           read_source_version(req, who, t) && meets_destination_rules(req, *backend, t);
}

void sb_storage_handle_move(struct sb_request *req)
{
    static const char sql[] =
        "UPDATE storage.objects SET bucket_id = $3, name = $4, updated_at = now(),"
        " metadata = CASE WHEN $6::text IS NULL THEN metadata"
        "  ELSE metadata || jsonb_build_object('mimetype', $6::text) END"
        " WHERE bucket_id = $1 AND name = $2 AND version = $5 RETURNING id";
    struct sb_db_call who;
    struct sb_storage_backend *backend;
    struct transfer t;
    struct sb_db_result r;
    if (!prepare(req, &who, &backend, &t))
        return;
    const char *params[] = { t.from_bucket, t.from_key, t.to_bucket, t.to_key, t.version, t.mimetype };
    if (!sb_storage_run(req, &who, sql, 6, params, &r))
        return;
    if (PQntuples(r.rows) == 0)
        return sb_storage_fail_not_found(req);
    sb_respond_json(req, 200, "{\"message\":\"Successfully moved\"}");
}

/* Copies the source row's file (the row's second column) to the new version. */
static int copy_source(void *ctx, PGresult *row, const char *version)
{
    struct sb_storage_backend *backend = ctx;
    if (PQgetisnull(row, 0, 1))
        return -1;
    return backend->copy(backend, PQgetvalue(row, 0, 1), version);
}

void sb_storage_handle_copy(struct sb_request *req)
{
    static const char sql[] =
        "WITH src AS (SELECT version, metadata, user_metadata FROM storage.objects"
        "  WHERE bucket_id = $1 AND name = $2 AND version = $7)"
        " INSERT INTO storage.objects (bucket_id, name, owner, owner_id, version, metadata, user_metadata)"
        " SELECT $3, $4, CASE WHEN $5::text ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN $5::text::uuid END,"
        "  $5::text, $6, metadata || jsonb_build_object('eTag', '\"' || $6 || '\"',"
        "  'lastModified', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))"
        "  || CASE WHEN $8::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('mimetype', $8::text) END,"
        "  user_metadata"
        " FROM src RETURNING id, (SELECT version FROM src)";
    struct sb_db_call who;
    struct sb_storage_backend *backend;
    struct transfer t;
    if (!prepare(req, &who, &backend, &t))
        return;
    const char *version = sb_storage_new_uuid(req->arena);
    const char *params[] = { t.from_bucket, t.from_key, t.to_bucket, t.to_key, who.sub, version, t.version, t.mimetype };
    PGresult *rows = sb_storage_write_with_file(req, &who, sql, 8, params, version, copy_source, backend);
    if (!rows)
        return;
    sb_storage_respond_key(req, PQgetvalue(rows, 0, 0), t.to_bucket, t.to_key);
}
