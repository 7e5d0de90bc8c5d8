/*
 * sign: signed URLs. A token is a JWT signed with the server's secret carrying
 * {"purpose": "storage.download", "url": "bucket/key", "iat", "exp"}; its purpose makes it no
 * API key, no upload token (see auth/jwt.h). Creating one needs the caller to be able to read
 * the object (RLS); fetching one needs only the token, and reads the object as the server.
 * Tokens without that purpose (API tokens, upload tokens, signed URLs made before purposes
 * existed) are refused with 400 InvalidJWT. Also serves public buckets, which need no token.
 */
#ifndef SB_STORAGE_SIGN_H
#define SB_STORAGE_SIGN_H

#include <stdbool.h>

#include "db/conn.h"
#include "http/request.h"

/* POST /object/upload/sign/{bucket}/{key}: a signed upload URL, valid for 2 hours, for the
 * caller (who must be allowed to create the object now: checked by a rolled-back insert). Its
 * token carries {purpose: "storage.upload", url, owner, owner_role, upsert}, not `sub`/`role`;
 * only the signed upload route accepts it. */
void sb_storage_handle_upload_sign(struct sb_request *req);
/* For PUT /object/upload/sign/...: checks ?token= against bucket/key and fills who (the
 * token's owner) and upsert; answers 400 and returns false when the token is refused. */
bool sb_storage_signed_upload_identity(struct sb_request *req, const char *bucket, const char *key,
                                       struct sb_db_call *who, bool *upsert);

/* POST /object/sign/{bucket}/{key} {expiresIn} and POST /object/sign/{bucket} {expiresIn, paths}. */
void sb_storage_handle_sign(struct sb_request *req);
/* GET /object/sign/{bucket}/{key}?token=...; rest is what follows "/object/sign/". */
void sb_storage_serve_signed(struct sb_request *req, const char *rest);
/* GET /object/public/{bucket}/{key}: only when the bucket is public. */
void sb_storage_serve_public(struct sb_request *req, const char *bucket, const char *key);

#endif
