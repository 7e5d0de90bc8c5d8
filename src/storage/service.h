/*
 * service: the /storage/v1 service — its routes, and what every storage handler shares:
 * Supabase Storage's error shape, who the caller is, the object target of a URL, JSON bodies
 * and the storage backend.
 *
 * Errors are {"statusCode":"404","error":"not_found","message":"Object not found"} with HTTP
 * status 400 for client errors (the real code is the string statusCode, as Supabase does),
 * except 413 (an upload cut short is answered while the client may still be sending), 500 and
 * 503. Everything returned lives in the request's arena unless said otherwise.
 */
#ifndef SB_STORAGE_SERVICE_H
#define SB_STORAGE_SERVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/call.h"
#include "db/conn.h"
#include "http/request.h"
#include "storage/backend.h"

#define SB_STORAGE_PREFIX "/storage/v1"

/* Registers every /storage/v1 route (called from src/http/services.c). */
void sb_storage_register(void);

/* The process's backend, opened on first use from req->config (and the deletion drainer
 * started with it). NULL after answering 500 when the storage folder cannot be used. */
struct sb_storage_backend *sb_storage_backend_for(struct sb_request *req);

/* The same backend for background work that reads stored files (the AI tutor's extraction
 * worker), opened from dir if no request opened it yet; NULL while the folder cannot be used. */
struct sb_storage_backend *sb_storage_backend_shared(const char *dir);

/* The request's call value (base/call.h) with storage's error shape and SQLSTATE table. */
struct sb_call *sb_storage_call(struct sb_request *req);

/* Answers with the error (status_code is the statusCode string: "404"). */
void sb_storage_fail(struct sb_request *req, const char *status_code, const char *error, const char *message);
/* "404" not_found "Object not found": the object is not there, or not the caller's to see. */
void sb_storage_fail_not_found(struct sb_request *req);
/* Maps a failed statement: unique violation 409, RLS 403, missing bucket 404, ... */
void sb_storage_fail_db(struct sb_request *req, const struct sb_db_result *r);

/* Fills who's role, claims and sub from the caller's token; answers (400 without one, 403
 * for a refused one) and returns false otherwise. */
bool sb_storage_identify(struct sb_request *req, struct sb_db_call *who);
/* The identity of service_role: for reads the server does on its own behalf. */
void sb_storage_as_service(struct sb_db_call *who);

/* Splits "bucket/key..." and checks both (the key normalised to NFC); answers 400 and returns
 * false when either is invalid. A NULL key pointer means only a bucket is expected. */
bool sb_storage_target(struct sb_request *req, const char *rest, const char **bucket, const char **key);

/* Hands json to the arena (decref'd when the request ends); returns it, NULL stays NULL. */
json_t *sb_storage_json_in_arena(struct sb_arena *arena, json_t *json);

/* The request body as a JSON object (decref'd with the arena); answers 400 and returns NULL
 * when it is not one. */
json_t *sb_storage_json_body(struct sb_request *req);

/* A string member of a JSON object, or NULL. */
const char *sb_storage_json_string(json_t *obj, const char *name);

/* Runs one statement as who; answers with sb_storage_fail_db and returns false if it fails. */
bool sb_storage_run(struct sb_request *req, const struct sb_db_call *who, const char *sql, int nparams,
                    const char *const *params, struct sb_db_result *r);

/* Answers 200 {"Id": id, "Key": "bucket/key"} (upload and copy). */
void sb_storage_respond_key(struct sb_request *req, const char *id, const char *bucket, const char *key);

/* The first column of the first row of a result as text, or NULL. */
const char *sb_storage_first_value(const struct sb_db_result *r);

#endif
