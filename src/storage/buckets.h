/*
 * buckets: /storage/v1/bucket — list, get, create, update, empty, delete. Statements run as
 * the caller and storage.buckets has no policy for anon or authenticated, so in practice only
 * service_role manages buckets (others see none and may create none).
 */
#ifndef SB_STORAGE_BUCKETS_H
#define SB_STORAGE_BUCKETS_H

#include "http/request.h"

/* The caller's token is checked first, then the bucket name ({id}: 400 InvalidBucketName). */
void sb_storage_handle_bucket_list(struct sb_request *req);    /* GET /bucket */
void sb_storage_handle_bucket_create(struct sb_request *req);  /* POST /bucket */
void sb_storage_handle_bucket_get(struct sb_request *req);     /* GET /bucket/{id} */
void sb_storage_handle_bucket_update(struct sb_request *req);  /* PUT /bucket/{id} */
void sb_storage_handle_bucket_delete(struct sb_request *req);  /* DELETE /bucket/{id} */
void sb_storage_handle_bucket_empty(struct sb_request *req);   /* POST /bucket/{id}/empty */
/* Any other path under /bucket with GET, POST, PUT or DELETE: 404 "No such route". */
void sb_storage_handle_bucket_unknown(struct sb_request *req);

/* "52428800", "20MB", "30KB", "3B", "1GB" (decimal units) -> bytes; -1 when unreadable. */
long long sb_storage_parse_size(const char *text);

#endif
