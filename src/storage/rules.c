/*
 * rules: one statement for a bucket's limits; the type check sniffs with mime.c.
 */
#include "storage/rules.h"

#include "storage/mime.h"
#include "storage/service.h"

#include <stdlib.h>

bool sb_storage_bucket_rules(struct sb_request *req, const char *bucket, struct sb_bucket_rules *out)
{
    struct sb_db_call server;
    sb_storage_as_service(&server);
    struct sb_db_result r;
    if (!sb_storage_run(req, &server,
                        "SELECT file_size_limit, to_json(allowed_mime_types) FROM storage.buckets WHERE id = $1", 1,
                        (const char *const[]){ bucket }, &r))
        return false;
    if (PQntuples(r.rows) == 0) {
        sb_storage_fail(req, "404", "Bucket not found", "Bucket not found");
        return false;
    }
    out->max_bytes = req->config->storage_max_file_bytes;
    if (!PQgetisnull(r.rows, 0, 0)) {
        long long bucket_limit = atoll(PQgetvalue(r.rows, 0, 0));
        if (bucket_limit < out->max_bytes)
            out->max_bytes = bucket_limit;
    }
    out->allowed = NULL;
    if (!PQgetisnull(r.rows, 0, 1))
        out->allowed = sb_storage_json_in_arena(req->arena, json_loads(PQgetvalue(r.rows, 0, 1), 0, NULL));
    return true;
}

void sb_storage_fail_too_large(struct sb_request *req)
{
    sb_storage_fail(req, "413", "Payload too large", "The object exceeded the maximum allowed size");
}

bool sb_storage_rules_restrict_types(const struct sb_bucket_rules *rules)
{
    return json_is_array(rules->allowed);
}

const char *sb_storage_allowed_type(struct sb_request *req, const struct sb_bucket_rules *rules, int fd)
{
    const char *sniffed = sb_mime_sniff(req->arena, fd);
    size_t n = json_array_size(rules->allowed);
    const char **patterns = sb_arena_alloc(req->arena, sizeof *patterns * (n + 1));
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *pattern = json_string_value(json_array_get(rules->allowed, i));
        if (pattern)
            patterns[count++] = pattern;
    }
    if (sb_mime_allowed(sniffed, patterns, count))
        return sniffed;
    sb_storage_fail(req, "415", "invalid_mime_type", sb_arena_printf(req->arena, "mime type %s is not supported", sniffed));
    return NULL;
}
