/*
 * objects: the object routes other than upload, move and copy (transfer.h) — download (as the
 * caller, or by signed URL via sign.c), info, list, remove. Every statement runs as the caller, so the
 * storage.objects policies decide what each one sees and may change; an object hidden by
 * them reads as "Object not found".
 */
#ifndef SB_STORAGE_OBJECTS_H
#define SB_STORAGE_OBJECTS_H

#include "db/conn.h"
#include "http/request.h"

/* GET and HEAD: /object/{bucket}/{key} and /object/authenticated/... as the caller,
 * /object/info/... (the row as JSON), /object/public/... (a public bucket, no token),
 * /object/sign/...?token= (a signed URL). */
void sb_storage_handle_get(struct sb_request *req);
void sb_storage_handle_get_authenticated(struct sb_request *req);
void sb_storage_handle_info(struct sb_request *req);
void sb_storage_handle_get_public(struct sb_request *req);
void sb_storage_handle_get_signed(struct sb_request *req);
void sb_storage_handle_list(struct sb_request *req);   /* POST /object/list/{bucket} */
void sb_storage_handle_remove(struct sb_request *req); /* DELETE /object/{bucket} {prefixes} or /object/{bucket}/{key} */

/* Sends bucket/key's bytes with its headers, reading the row as who (service_role for signed
 * URLs). Answers 404 when the row is missing or hidden. */
void sb_storage_send_object(struct sb_request *req, const struct sb_db_call *who, const char *bucket,
                            const char *key);

#endif
