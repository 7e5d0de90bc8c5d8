/*
 * rules: what a bucket accepts — a size limit (the smaller of SB_STORAGE_MAX_FILE_BYTES and the
 * bucket's file_size_limit) and, when the bucket has allowed_mime_types, the types its files'
 * bytes may be. Uploads, copies and moves read the destination bucket's rules with
 * sb_storage_bucket_rules and check them with the functions below, so all three refuse the same
 * files with the same answers: "413" Payload too large, "415" invalid_mime_type.
 */
#ifndef SB_STORAGE_RULES_H
#define SB_STORAGE_RULES_H

#include <jansson.h>
#include <stdbool.h>

#include "http/request.h"

struct sb_bucket_rules {
    long long max_bytes;
    json_t *allowed;        /* allowed_mime_types (a JSON array, the arena's), or NULL: any type */
};

/* Reads bucket's rules as the server; answers 404 "Bucket not found" (or the database's
 * error) and returns false when they cannot be had. */
bool sb_storage_bucket_rules(struct sb_request *req, const char *bucket, struct sb_bucket_rules *out);

/* Answers 413 "Payload too large". */
void sb_storage_fail_too_large(struct sb_request *req);

/* Whether the bucket admits only some types. */
bool sb_storage_rules_restrict_types(const struct sb_bucket_rules *rules);

/* In a bucket that restricts types: what the file open at fd is (libmagic, its first bytes),
 * when that type is allowed; NULL after answering 415 "mime type x/y is not supported". */
const char *sb_storage_allowed_type(struct sb_request *req, const struct sb_bucket_rules *rules, int fd);

#endif
