/*
 * upload: one struct upload per request in route_state; the file's bytes go to the temporary
 * file as they arrive: pieces of at least 64 KiB straight from libmicrohttpd's buffer, smaller
 * ones (multipart pieces, short reads) gathered first in one 64 KiB buffer, so memory stays
 * flat whatever the size and every write() but the last is at least 64 KiB.
 */
#include "storage/upload.h"

#include "storage/drain.h"
#include "storage/mime.h"
#include "storage/rules.h"
#include "storage/service.h"
#include "storage/sign.h"
#include "util/buf.h"
#include "util/fdio.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#define POST_BUFFER_BYTES (64 * 1024)
#define WRITE_MIN_BYTES (64 * 1024)         /* file bytes per write() at least (but the last) */
#define MULTIPART_SLACK_BYTES (64 * 1024)   /* form fields and boundaries around the file */
#define FIELD_MAX_BYTES (1024 * 1024)       /* user metadata may be up to 1 MB */
#define OVERRUN_READ_BYTES (1024 * 1024)    /* read past the limit before cutting the client off */
#define DECLARED_READ_BYTES (64LL * 1024 * 1024) /* a body declared at most this much too large is
                                                    read and dropped rather than cut at once */

/* A form field's value; only its first occurrence counts (supabase-js appends cacheControl
 * after any the caller's own FormData holds). */
struct form_field {
    struct sb_buf text;
    int parts;
};

struct upload {
    struct sb_request *req;
    struct sb_storage_backend *backend;
    struct sb_storage_temp temp;
    struct sb_db_call who;
    const char *bucket, *key;
    bool upsert;
    struct sb_bucket_rules rules;    /* the bucket's size limit and allowed types */
    uint64_t size;
    char *pending;                   /* WRITE_MIN_BYTES, allocated on the first small piece */
    size_t pending_len;
    bool refused;                    /* answered already: the rest is read (up to read_cap) and dropped */
    uint64_t read_cap;
    struct MHD_PostProcessor *form;  /* NULL for a raw body */
    bool file_seen, file_done;
    const char *part_type;
    struct form_field cache_field, type_field, metadata_field;
};

static const char insert_sql[] =
    "INSERT INTO storage.objects AS o (bucket_id, name, owner, owner_id, version, metadata, user_metadata)"
    " VALUES ($1, $2,"
    "  CASE WHEN $3::text ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN $3::text::uuid END, $3::text, $4,"
    "  jsonb_build_object('eTag', '\"' || $4 || '\"', 'size', $5::bigint, 'mimetype', $6::text,"
    "   'cacheControl', $7::text, 'lastModified', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
    "   'contentLength', $5::bigint, 'httpStatusCode', 200),"
    "  $8::jsonb)";
static const char upsert_clause[] =
    " ON CONFLICT (bucket_id, name) DO UPDATE SET owner = EXCLUDED.owner, owner_id = EXCLUDED.owner_id,"
    " version = EXCLUDED.version, metadata = EXCLUDED.metadata, user_metadata = EXCLUDED.user_metadata,"
    " updated_at = now(), last_accessed_at = now()";

char *sb_storage_new_uuid(struct sb_arena *arena)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return NULL;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    return sb_arena_printf(arena, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                           b[13], b[14], b[15]);
}

/* Writes out the gathered file bytes; false when the disk refuses. */
static bool flush_file_bytes(struct upload *up)
{
    bool ok = up->pending_len == 0 || sb_write_all(up->temp.fd, up->pending, up->pending_len) == 0;
    up->pending_len = 0;
    return ok;
}

/* Stores a piece of the file: with the gathered bytes before it in one writev once together
 * they reach WRITE_MIN_BYTES (so a large piece is never copied), else gathered. */
static bool store_file_bytes(struct upload *up, const char *data, size_t len)
{
    if (up->pending_len + len >= WRITE_MIN_BYTES) {
        struct iovec gathered_then_piece[2] = { { up->pending, up->pending_len }, { (void *)data, len } };
        bool ok = sb_writev_all(up->temp.fd, gathered_then_piece, 2) == 0;
        up->pending_len = 0;
        return ok;
    }
    if (!up->pending)
        up->pending = sb_arena_alloc(up->req->arena, WRITE_MIN_BYTES);
    memcpy(up->pending + up->pending_len, data, len);
    up->pending_len += len;
    return true;
}

/* Takes file bytes; false when the disk refuses or the client goes on sending long after the
 * limit. Passing the limit answers 413 and drops the temporary file at once; the bytes still
 * in flight (up to 1 MiB: a form's closing boundary, a body already on its way) are read and
 * ignored so that the client is listening when the answer is sent at the end of the body. */
static bool take_file_bytes(struct upload *up, const char *data, size_t len)
{
    up->size += len;
    if (up->refused)
        return up->size <= up->read_cap;
    if ((long long)up->size > up->rules.max_bytes) {
        sb_storage_fail_too_large(up->req);
        up->refused = true;
        up->read_cap = (uint64_t)up->rules.max_bytes + OVERRUN_READ_BYTES;
        up->backend->discard(up->backend, &up->temp);
        return true;
    }
    return store_file_bytes(up, data, len);
}

static void append_field(struct form_field *field, const char *data, uint64_t off, size_t len)
{
    if (off == 0)
        field->parts++;
    if (field->parts == 1 && field->text.len + len <= FIELD_MAX_BYTES)
        sb_buf_append_n(&field->text, data, len);
}

static enum MHD_Result take_form_piece(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                       const char *content_type, const char *transfer_encoding,
                                       const char *data, uint64_t off, size_t size)
{
    struct upload *up = cls;
    if (filename) {
        if (off == 0) {
            if (up->file_seen)
                up->file_done = true; /* only the first file part is the object */
            else {
                up->file_seen = true;
                up->part_type = content_type ? sb_arena_strdup(up->cache_field.text.arena, content_type) : NULL;
            }
        }
        if (up->file_done)
            return MHD_YES;
        return take_file_bytes(up, data, size) ? MHD_YES : MHD_NO;
    }
    if (!key)
        return MHD_YES;
    if (strcmp(key, "cacheControl") == 0)
        append_field(&up->cache_field, data, off, size);
    else if (strcmp(key, "contentType") == 0)
        append_field(&up->type_field, data, off, size);
    else if (strcmp(key, "metadata") == 0)
        append_field(&up->metadata_field, data, off, size);
    return MHD_YES;
}

/* ---- begin ---------------------------------------------------------------------------------- */

static long long declared_length(const struct sb_request *req)
{
    const char *length = sb_request_header(req, "Content-Length");
    return length ? atoll(length) : 0;
}

/* After answering in begin_body: a body at most DECLARED_READ_BYTES past the limit is read
 * and dropped, so the client is listening when the answer comes (cutting a client off while
 * it sends can reset the connection before it reads the response); a larger one is cut at
 * once. Returns begin_body's result. */
static int refuse(struct sb_request *req, struct upload *up)
{
    long long declared = declared_length(req);
    if (declared > up->rules.max_bytes + DECLARED_READ_BYTES)
        return 400;
    up->refused = true;
    up->read_cap = declared > 0 ? (uint64_t)declared : (uint64_t)OVERRUN_READ_BYTES;
    return 0;
}

bool sb_storage_may_create(struct sb_request *req, const struct sb_db_call *who, const char *bucket,
                           const char *key, bool upsert, struct sb_db_result *r)
{
    const char *sql = upsert ? "INSERT INTO storage.objects (bucket_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                             : "INSERT INTO storage.objects (bucket_id, name) VALUES ($1, $2)";
    struct sb_call *call = sb_storage_call(req);
    if (!sb_call_begin(call, who, r) || !sb_call_query(call, sql, 2, (const char *const[]){ bucket, key }, r))
        return false;
    sb_call_rollback(call);
    return true;
}

static bool is_form(const char *content_type)
{
    return content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0;
}

int sb_storage_upload_begin(struct sb_request *req)
{
    struct upload *up = sb_arena_alloc(req->arena, sizeof *up);
    up->req = req;
    up->temp.fd = -1;
    sb_buf_init(&up->cache_field.text, req->arena);
    sb_buf_init(&up->type_field.text, req->arena);
    sb_buf_init(&up->metadata_field.text, req->arena);
    req->route_state = up;
    const char *rest = req->path + strlen(SB_STORAGE_PREFIX "/object/");
    bool by_token = strncmp(rest, "upload/sign/", 12) == 0;
    if (by_token)
        rest += 12;
    bool known = by_token ? sb_storage_target(req, rest, &up->bucket, &up->key) &&
                                sb_storage_signed_upload_identity(req, up->bucket, up->key, &up->who, &up->upsert)
                          : sb_storage_identify(req, &up->who) && sb_storage_target(req, rest, &up->bucket, &up->key);
    if (!known || !(up->backend = sb_storage_backend_for(req)) || !sb_storage_bucket_rules(req, up->bucket, &up->rules))
        return 400;
    const char *x_upsert = sb_request_header(req, "x-upsert");
    if (!by_token)
        up->upsert = strcmp(req->method, "PUT") == 0 || (x_upsert && strcasecmp(x_upsert, "true") == 0);
    const char *content_type = sb_request_header(req, "Content-Type");
    if (is_form(content_type)) {
        up->form = MHD_create_post_processor(req->connection, POST_BUFFER_BYTES, take_form_piece, up);
        if (!up->form) {
            sb_storage_fail(req, "400", "InvalidRequest", "The multipart form has no boundary");
            return 400;
        }
    }
    struct sb_db_result r;
    if (declared_length(req) > up->rules.max_bytes + (up->form ? MULTIPART_SLACK_BYTES : 0)) {
        sb_storage_fail_too_large(req);
        return refuse(req, up);
    }
    if (!sb_storage_may_create(req, &up->who, up->bucket, up->key, up->upsert, &r)) {
        sb_call_respond_error(sb_storage_call(req)); /* before any byte is stored: not allowed, or taken */
        return refuse(req, up);
    }
    if (up->backend->open_temp(up->backend, &up->temp) != 0) {
        sb_storage_fail(req, "500", "internal", "The upload cannot be stored");
        return 500;
    }
    return 0;
}

int sb_storage_upload_chunk(struct sb_request *req, const char *data, size_t len)
{
    struct upload *up = req->route_state;
    bool ok = up->form ? MHD_post_process(up->form, data, len) == MHD_YES : take_file_bytes(up, data, len);
    if (ok)
        return 0;
    if (up->refused)
        return 400; /* the answer is set; the client sent far more than announced */
    if (up->form) {
        sb_storage_fail(req, "400", "InvalidRequest", "The multipart form is malformed");
        return 400;
    }
    sb_storage_fail(req, "500", "internal", "The upload cannot be stored");
    return 500;
}

/* ---- finish ---------------------------------------------------------------------------------- */

/* Text that may go back out as a header value: printable ASCII only (form fields are any
 * bytes; a CR or LF there would split the download's headers). */
static bool fits_in_header(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Cache-Control for downloads: the form's cacheControl (seconds) as max-age, else the raw
 * body's header, else no-cache. NULL after answering 400. */
static const char *cache_control(struct sb_request *req, const struct upload *up)
{
    if (up->form && up->cache_field.text.len) {
        if (all_digits(up->cache_field.text.data))
            return sb_arena_printf(req->arena, "max-age=%s", up->cache_field.text.data);
        sb_storage_fail(req, "400", "InvalidRequest", "cacheControl must be a number of seconds");
        return NULL;
    }
    const char *header = up->form ? NULL : sb_request_header(req, "Cache-Control");
    return header && *header ? header : "no-cache";
}

/* The declared type: the form's contentType field, else the file part's, else the header. */
static const char *declared_type(struct sb_request *req, const struct upload *up)
{
    if (up->form)
        return up->type_field.text.len ? up->type_field.text.data : up->part_type;
    return sb_request_header(req, "Content-Type");
}

/* The type stored: in a bucket that restricts types, what the bytes are (which must be
 * allowed); elsewhere what the client declared. NULL after answering 415. */
static const char *settle_type(struct sb_request *req, const struct upload *up)
{
    const char *declared = declared_type(req, up);
    if (declared && !fits_in_header(declared)) {
        sb_storage_fail(req, "400", "InvalidRequest", "The content type is not a valid header value");
        return NULL;
    }
    if (!sb_storage_rules_restrict_types(&up->rules))
        return declared && *declared ? declared : sb_mime_sniff(req->arena, up->temp.fd);
    return sb_storage_allowed_type(req, &up->rules, up->temp.fd);
}

/* User metadata as JSON text ("null" when none); NULL after answering 400. */
static const char *user_metadata(struct sb_request *req, const struct upload *up)
{
    const char *text = up->form && up->metadata_field.text.len ? up->metadata_field.text.data : NULL;
    const char *header = up->form ? NULL : sb_request_header(req, "x-metadata");
    if (header && *header) {
        size_t n = strlen(header);
        unsigned char *decoded = sb_arena_alloc(req->arena, n + 4);
        int len = EVP_DecodeBlock(decoded, (const unsigned char *)header, (int)n);
        while (len > 0 && n > 0 && header[--n] == '=')
            len--;
        text = len >= 0 ? sb_arena_strndup(req->arena, (const char *)decoded, (size_t)len) : "";
    }
    if (!text)
        return "null";
    json_t *parsed = json_loads(text, 0, NULL);
    bool object = json_is_object(parsed);
    json_decref(parsed);
    if (!object) {
        sb_storage_fail(req, "400", "InvalidRequest", "metadata must be a JSON object");
        return NULL;
    }
    return text;
}

PGresult *sb_storage_write_with_file(struct sb_request *req, struct sb_db_call *who, const char *sql, int nparams,
                                     const char *const *params, const char *version,
                                     sb_storage_place_file place, void *ctx)
{
    struct sb_storage_backend *backend = sb_storage_backend_for(req);
    if (!backend)
        return NULL;
    if (!sb_storage_file_pending(req->arena, version)) {
        sb_storage_fail(req, "503", "DatabaseUnavailable", "The database is not available");
        return NULL;
    }
    struct sb_call *call = sb_storage_call(req);
    struct sb_db_result r;
    if (!sb_call_begin(call, who, &r) || !sb_call_query(call, sql, nparams, params, &r)) {
        sb_storage_file_settled(req->arena, version); /* no file was placed */
        sb_call_respond_error(call);
        return NULL;
    }
    PGresult *rows = r.rows;
    if (PQntuples(rows) == 0 || place(ctx, rows, version) != 0) {
        sb_call_rollback(call);
        sb_storage_file_settled(req->arena, version); /* no file was placed */
        if (PQntuples(rows) == 0)
            sb_storage_fail_not_found(req);
        else
            sb_storage_fail(req, "500", "internal", "The file cannot be stored");
        return NULL;
    }
    if (!sb_call_commit(call, &r)) {
        backend->remove(backend, version);
        sb_storage_file_settled(req->arena, version);
        sb_call_respond_error(call);
        return NULL;
    }
    sb_storage_file_settled(req->arena, version);
    return rows;
}

static int put_temp(void *ctx, PGresult *row, const char *version)
{
    struct upload *up = ctx;
    return up->backend->put(up->backend, &up->temp, version);
}

/* Writes the row as the caller and links the temporary file in under a new version. */
static void store(struct sb_request *req, struct upload *up, const char *mime, const char *cache,
                  const char *meta)
{
    const char *version = sb_storage_new_uuid(req->arena);
    const char *size = sb_arena_printf(req->arena, "%llu", (unsigned long long)up->size);
    const char *sql = up->upsert ? sb_arena_printf(req->arena, "%s%s RETURNING id", insert_sql, upsert_clause)
                                 : sb_arena_printf(req->arena, "%s RETURNING id", insert_sql);
    const char *params[] = { up->bucket, up->key, up->who.sub, version, size, mime, cache, meta };
    PGresult *rows = sb_storage_write_with_file(req, &up->who, sql, 8, params, version, put_temp, up);
    if (rows)
        sb_storage_respond_key(req, PQgetvalue(rows, 0, 0), up->bucket, up->key);
}

void sb_storage_upload_finish(struct sb_request *req)
{
    struct upload *up = req->route_state;
    if (up->refused)
        return; /* answered in begin_body or while streaming */
    if (up->form && !up->file_seen) {
        sb_storage_fail(req, "400", "InvalidRequest", "The form has no file");
        return;
    }
    if (!flush_file_bytes(up)) {
        sb_storage_fail(req, "500", "internal", "The upload cannot be stored");
        return;
    }
    const char *mime = settle_type(req, up);
    const char *cache = mime ? cache_control(req, up) : NULL;
    const char *meta = cache ? user_metadata(req, up) : NULL;
    if (meta)
        store(req, up, mime, cache, meta);
}

void sb_storage_upload_cleanup(struct sb_request *req, bool completed)
{
    struct upload *up = req->route_state;
    if (!up)
        return;
    if (up->form)
        MHD_destroy_post_processor(up->form);
    up->form = NULL;
    if (up->backend && (up->temp.fd >= 0 || up->temp.path))
        up->backend->discard(up->backend, &up->temp);
}
