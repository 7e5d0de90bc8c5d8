/*
 * objects: each handler is one or two statements; JSON is built by PostgreSQL (json_agg,
 * json_build_object) and passed through.
 */
#include "storage/objects.h"

#include "storage/path.h"
#include "storage/range.h"
#include "storage/service.h"
#include "storage/sign.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_PATHS_PER_CALL 1000

static const char object_row_sql[] =
    "SELECT version, coalesce(metadata->>'mimetype', 'application/octet-stream'),"
    " coalesce(metadata->>'cacheControl', 'no-cache'), coalesce(metadata->>'eTag', ''),"
    " to_char(updated_at AT TIME ZONE 'GMT', 'Dy, DD Mon YYYY HH24:MI:SS \"GMT\"')"
    " FROM storage.objects WHERE bucket_id = $1 AND name = $2";

static const char info_sql[] =
    "SELECT json_build_object('id', id, 'name', name, 'version', version, 'bucket_id', bucket_id,"
    " 'size', (metadata->>'size')::bigint, 'content_type', metadata->>'mimetype',"
    " 'cache_control', metadata->>'cacheControl', 'etag', metadata->>'eTag', 'metadata', user_metadata,"
    " 'last_modified', updated_at, 'created_at', created_at)"
    " FROM storage.objects WHERE bucket_id = $1 AND name = $2";

/* ?download or ?download=name asks for an attachment. */
static void add_disposition(struct sb_request *req, const char *key)
{
    const char *download = sb_request_query(req, "download");
    if (!download)
        return;
    const char *name = *download ? download : strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "attachment; filename=");
    sb_buf_append_json_string(&b, name);
    sb_response_header(req, "Content-Disposition", b.data);
}

/* The Range the client asks for, unless If-Range names another version than etag (then the
 * whole file: the client's part would not fit what it has). */
static struct sb_byte_range range_asked(struct sb_request *req, const char *etag, uint64_t size)
{
    const char *if_range = sb_request_header(req, "If-Range");
    if (if_range && (!*etag || strcmp(if_range, etag) != 0))
        return sb_range_parse(NULL, size);
    return sb_range_parse(sb_request_header(req, "Range"), size);
}

/* The file, or the byte range asked of it: 206 with Content-Range, or 416 past its end. */
static void send_bytes(struct sb_request *req, const char *content_type, const char *etag, int fd, uint64_t size)
{
    sb_response_header(req, "Accept-Ranges", "bytes");
    struct sb_byte_range range = range_asked(req, etag, size);
    if (range.kind == SB_RANGE_UNSATISFIABLE) {
        close(fd);
        sb_response_header(req, "Content-Range", sb_arena_printf(req->arena, "bytes */%llu", (unsigned long long)size));
        return sb_storage_fail(req, "416", "InvalidRange", "The requested range is not satisfiable");
    }
    if (range.kind == SB_RANGE_WHOLE)
        return sb_respond_file(req, 200, content_type, fd, size);
    sb_response_header(req, "Content-Range",
                       sb_arena_printf(req->arena, "bytes %llu-%llu/%llu", (unsigned long long)range.first,
                                       (unsigned long long)range.last, (unsigned long long)size));
    sb_respond_file_part(req, 206, content_type, fd, range.first, range.last - range.first + 1);
}

void sb_storage_send_object(struct sb_request *req, const struct sb_db_call *who, const char *bucket, const char *key)
{
    struct sb_storage_backend *backend = sb_storage_backend_for(req);
    if (!backend)
        return;
    struct sb_db_call call = *who;
    struct sb_db_result r;
    if (!sb_storage_run(req, &call, object_row_sql, 2, (const char *const[]){ bucket, key }, &r))
        return;
    if (PQntuples(r.rows) == 0 || PQgetisnull(r.rows, 0, 0))
        return sb_storage_fail_not_found(req);
    const char *etag = PQgetvalue(r.rows, 0, 3);
    const char *if_none_match = sb_request_header(req, "If-None-Match");
    if (*etag && if_none_match && strcmp(if_none_match, etag) == 0) {
        sb_response_header(req, "ETag", etag); /* the client's copy is current */
        sb_respond(req, 304, NULL, "", 0);
        return;
    }
    uint64_t size = 0;
    int fd = backend->open_read(backend, PQgetvalue(r.rows, 0, 0), &size);
    if (fd < 0)
        return sb_storage_fail_not_found(req); /* removed since the row was read */
    sb_response_header(req, "Cache-Control", PQgetvalue(r.rows, 0, 2));
    if (*PQgetvalue(r.rows, 0, 3))
        sb_response_header(req, "ETag", PQgetvalue(r.rows, 0, 3));
    sb_response_header(req, "Last-Modified", PQgetvalue(r.rows, 0, 4));
    add_disposition(req, key);
    send_bytes(req, sb_arena_strdup(req->arena, PQgetvalue(r.rows, 0, 1)), etag, fd, size);
}

static void send_info(struct sb_request *req, const struct sb_db_call *who, const char *bucket, const char *key)
{
    struct sb_db_result r;
    if (!sb_storage_run(req, who, info_sql, 2, (const char *const[]){ bucket, key }, &r))
        return;
    const char *json = sb_storage_first_value(&r);
    if (!json)
        return sb_storage_fail_not_found(req);
    sb_respond_json(req, 200, sb_arena_strdup(req->arena, json));
}

/* Runs op on the object a GET or HEAD under /object/<kind>/ names, as the caller, once both
 * are checked. */
static void on_object(struct sb_request *req, const char *kind,
                      void (*op)(struct sb_request *req, const struct sb_db_call *who, const char *bucket,
                                 const char *key))
{
    struct sb_db_call who;
    const char *bucket, *key;
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/object/") + strlen(kind);
    if (sb_storage_identify(req, &who) && sb_storage_target(req, rest, &bucket, &key))
        op(req, &who, bucket, key);
}

void sb_storage_handle_get(struct sb_request *req)
{
    on_object(req, "", sb_storage_send_object);
}

void sb_storage_handle_get_authenticated(struct sb_request *req)
{
    on_object(req, "authenticated/", sb_storage_send_object);
}

void sb_storage_handle_info(struct sb_request *req)
{
    on_object(req, "info/", send_info);
}

void sb_storage_handle_get_public(struct sb_request *req)
{
    const char *bucket, *key;
    if (sb_storage_target(req, req->path + strlen(SB_STORAGE_PREFIX "/object/public/"), &bucket, &key))
        sb_storage_serve_public(req, bucket, key);
}

void sb_storage_handle_get_signed(struct sb_request *req)
{
    sb_storage_serve_signed(req, req->path + strlen(SB_STORAGE_PREFIX "/object/sign/"));
}

/* ---- list -------------------------------------------------------------------------------------- */

/* The ORDER BY of a list: only these columns and directions, so no client text reaches SQL. */
static const char *list_order(struct sb_arena *arena, json_t *body)
{
    static const char *const columns[] = { "name", "created_at", "updated_at", "last_accessed_at" };
    json_t *sort = json_object_get(body, "sortBy");
    const char *column = sb_storage_json_string(sort, "column");
    const char *order = sb_storage_json_string(sort, "order");
    const char *col = columns[0];
    for (size_t i = 0; column && i < sizeof columns / sizeof *columns; i++)
        if (strcmp(column, columns[i]) == 0)
            col = columns[i];
    const char *dir = order && strcasecmp(order, "desc") == 0 ? "DESC" : "ASC";
    return sb_arena_printf(arena, "%s %s NULLS FIRST, name", col, dir);
}

static long json_int_or(json_t *body, const char *name, long fallback, long min, long max)
{
    json_t *v = json_object_get(body, name);
    if (!json_is_integer(v))
        return fallback;
    long n = (long)json_integer_value(v);
    return n < min ? min : n > max ? max : n;
}

void sb_storage_handle_list(struct sb_request *req)
{
    const char *bucket;
    struct sb_db_call who;
    json_t *body;
    if (!sb_storage_identify(req, &who) ||
        !sb_storage_target(req, req->path + strlen(SB_STORAGE_PREFIX "/object/list/"), &bucket, NULL) ||
        !(body = sb_storage_json_body(req)))
        return;
    const char *prefix = sb_storage_json_string(body, "prefix");
    const char *search = sb_storage_json_string(body, "search");
    size_t plen = prefix ? strlen(prefix) : 0;
    while (plen > 0 && prefix[plen - 1] == '/')
        plen--;
    const char *folder = plen ? sb_arena_printf(req->arena, "%.*s/", (int)plen, prefix) : "";
    const char *sql = sb_arena_printf(req->arena,
        "WITH matching AS ("
        "  SELECT substr(name, char_length($2) + 1) AS rest, id, created_at, updated_at, last_accessed_at, metadata"
        "  FROM storage.objects WHERE bucket_id = $1 AND starts_with(name, $2)),"
        " entries AS ("
        "  SELECT split_part(rest, '/', 1) AS name, NULL::uuid AS id, NULL::timestamptz AS updated_at,"
        "   NULL::timestamptz AS created_at, NULL::timestamptz AS last_accessed_at, NULL::jsonb AS metadata"
        "  FROM matching WHERE strpos(rest, '/') > 0 GROUP BY 1"
        "  UNION ALL"
        "  SELECT rest, id, updated_at, created_at, last_accessed_at, metadata FROM matching WHERE strpos(rest, '/') = 0),"
        " page AS (SELECT * FROM entries WHERE starts_with(lower(name), lower($3)) ORDER BY %s LIMIT $4 OFFSET $5)"
        " SELECT coalesce(json_agg(page ORDER BY %s), '[]') FROM page",
        list_order(req->arena, body), list_order(req->arena, body));
    const char *limit = sb_arena_printf(req->arena, "%ld", json_int_or(body, "limit", 100, 0, 1000));
    const char *offset = sb_arena_printf(req->arena, "%ld", json_int_or(body, "offset", 0, 0, 1L << 40));
    struct sb_db_result r;
    if (!sb_storage_run(req, &who, sql, 5, (const char *const[]){ bucket, folder, search ? search : "", limit, offset }, &r))
        return;
    sb_respond_json(req, 200, sb_arena_strdup(req->arena, sb_storage_first_value(&r)));
}

/* ---- remove ----------------------------------------------------------------------------------- */

/* A JSON array of the valid, normalised names among paths (the others cannot exist). */
static const char *names_json(struct sb_request *req, json_t *paths)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append_char(&b, '[');
    size_t i;
    json_t *p;
    bool first = true;
    json_array_foreach(paths, i, p) {
        const char *key;
        if (!json_is_string(p) || sb_storage_key_check(req->arena, json_string_value(p), &key) != SB_KEY_OK)
            continue;
        if (!first)
            sb_buf_append_char(&b, ',');
        sb_buf_append_json_string(&b, key);
        first = false;
    }
    sb_buf_append_char(&b, ']');
    return b.data;
}

static void remove_many(struct sb_request *req, struct sb_db_call *who, const char *bucket, const char *names)
{
    static const char sql[] =
        "WITH gone AS (DELETE FROM storage.objects WHERE bucket_id = $1"
        "  AND name IN (SELECT jsonb_array_elements_text($2::jsonb)) RETURNING *)"
        " SELECT coalesce(json_agg(json_build_object('bucket_id', bucket_id, 'name', name, 'id', id,"
        "  'owner', owner, 'owner_id', owner_id, 'version', version, 'metadata', metadata,"
        "  'user_metadata', user_metadata, 'created_at', created_at, 'updated_at', updated_at,"
        "  'last_accessed_at', last_accessed_at)), '[]') FROM gone";
    struct sb_db_result r;
    if (sb_storage_run(req, who, sql, 2, (const char *const[]){ bucket, names }, &r))
        sb_respond_json(req, 200, sb_arena_strdup(req->arena, sb_storage_first_value(&r)));
}

void sb_storage_handle_remove(struct sb_request *req)
{
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/object/");
    const char *bucket, *key;
    struct sb_db_call who;
    if (!sb_storage_identify(req, &who))
        return;
    if (strchr(rest, '/')) { /* DELETE /object/{bucket}/{key}: one object */
        if (!sb_storage_target(req, rest, &bucket, &key))
            return;
        struct sb_buf b;
        sb_buf_init(&b, req->arena);
        sb_buf_append_char(&b, '[');
        sb_buf_append_json_string(&b, key);
        sb_buf_append_char(&b, ']');
        return remove_many(req, &who, bucket, b.data);
    }
    json_t *body;
    if (!sb_storage_target(req, rest, &bucket, NULL) || !(body = sb_storage_json_body(req)))
        return;
    json_t *prefixes = json_object_get(body, "prefixes");
    if (!json_is_array(prefixes) || json_array_size(prefixes) == 0 || json_array_size(prefixes) > MAX_PATHS_PER_CALL) {
        sb_storage_fail(req, "400", "InvalidRequest", "prefixes must be an array of 1 to 1000 names");
        return;
    }
    remove_many(req, &who, bucket, names_json(req, prefixes));
}
