/*
 * base64url: the URL-safe base64 alphabet without padding (RFC 4648 §5), as JWTs use it.
 */
#ifndef SB_UTIL_BASE64URL_H
#define SB_UTIL_BASE64URL_H

#include <stddef.h>

#include "util/arena.h"

/* Encodes len bytes; the result is NUL-terminated and owned by the arena. */
char *sb_base64url_encode(struct sb_arena *arena, const void *data, size_t len);

/* Decodes text (padding optional); returns NULL on a character outside the alphabet or an
 * impossible length. *out_len gets the byte count; the result is also NUL-terminated. */
unsigned char *sb_base64url_decode(struct sb_arena *arena, const char *text, size_t text_len,
                                   size_t *out_len);

#endif
