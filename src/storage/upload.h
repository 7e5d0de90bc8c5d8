/*
 * upload: POST and PUT /storage/v1/object/{bucket}/{key}, streamed.
 *
 * begin: checks the caller, the key and the bucket, refuses a declared length over the limit
 * (413), an object the caller may not create (403) or that exists without upsert (409) — a
 * rolled-back insert, so nothing is stored for a refused upload — and opens a temporary file. chunk: appends raw bytes, or the first file part of a
 * multipart form (libmicrohttpd's post processor), and refuses with 413 the moment the file
 * passes the limit. finish: sniffs the type (libmagic), writes the object row as the caller
 * (RLS decides), links the file into place under the row's new version, commits; if the
 * commit fails the file is removed. cleanup: always drops what is left (temporary file,
 * post processor), whether the request completed, was refused or the client went away.
 * PUT /object/upload/sign/{bucket}/{key}?token= uploads with a signed upload token instead of
 * the caller's JWT (as the token's owner, see sign.h).
 */
#ifndef SB_STORAGE_UPLOAD_H
#define SB_STORAGE_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "db/conn.h"
#include "http/request.h"

int sb_storage_upload_begin(struct sb_request *req);
int sb_storage_upload_chunk(struct sb_request *req, const char *data, size_t len);
void sb_storage_upload_finish(struct sb_request *req);
void sb_storage_upload_cleanup(struct sb_request *req, bool completed);

/* Puts the file of a new object version in place: returns 0, or -1 (the caller answers 500). */
typedef int (*sb_storage_place_file)(void *ctx, PGresult *row, const char *version);

/* The one way a row and a new file are written together (upload, copy): queues the file as
 * pending (see drain.h), runs sql as who in a transaction, places the file with place() if
 * sql returned a row, commits, withdraws the pending entry. If the commit fails the file is
 * removed; if the server dies before it, the drainer removes it later. Returns the row's
 * result, or NULL after answering (404 "Object not found" when sql returned no row). */
PGresult *sb_storage_write_with_file(struct sb_request *req, struct sb_db_call *who, const char *sql, int nparams,
                                     const char *const *params, const char *version,
                                     sb_storage_place_file place, void *ctx);

/* Whether who may create bucket/key now (and, without upsert, whether it is free): a
 * rolled-back insert, so the policies decide. On false, r holds the refusal and the call's
 * error (sb_storage_call) says it in storage's words, ready to send. */
bool sb_storage_may_create(struct sb_request *req, const struct sb_db_call *who, const char *bucket,
                           const char *key, bool upsert, struct sb_db_result *r);

/* A new random (version 4) UUID as text, in the arena. */
char *sb_storage_new_uuid(struct sb_arena *arena);

#endif
