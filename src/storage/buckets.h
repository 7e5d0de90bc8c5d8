/*
 * buckets: /storage/v1/bucket — list, get, create, update, empty, delete. Statements run as
 * the caller and storage.buckets has no policy for anon or authenticated, so in practice only
 * service_role manages buckets (others see none and may create none).
 */
#ifndef SB_STORAGE_BUCKETS_H
#define SB_STORAGE_BUCKETS_H

#include "http/request.h"

void sb_storage_handle_bucket(struct sb_request *req);

/* "52428800", "20MB", "30KB", "3B", "1GB" (decimal units) -> bytes; -1 when unreadable. */
long long sb_storage_parse_size(const char *text);

#endif
