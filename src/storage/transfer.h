/*
 * transfer: POST /object/move and POST /object/copy {bucketId, sourceKey, destinationKey
 * [, destinationBucket]}. Both run as the caller, so its policies decide which source it sees
 * and where it may write, and both must meet the destination bucket's rules (rules.h) as an
 * upload must: the source file's size against the size limit ("413"), and in a bucket that
 * restricts types the type of its bytes ("415"), which the object then records as its
 * mimetype. The write names the version that was checked, so an object replaced meanwhile
 * answers "Object not found" instead of being moved or copied unchecked.
 */
#ifndef SB_STORAGE_TRANSFER_H
#define SB_STORAGE_TRANSFER_H

#include "http/request.h"

void sb_storage_handle_move(struct sb_request *req);
void sb_storage_handle_copy(struct sb_request *req);

#endif
