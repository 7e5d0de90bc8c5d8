/*
 * mime: what a stored file really is (libmagic reads its first bytes) and whether a bucket's
 * allowed_mime_types admit a type. Returned strings belong to the arena.
 */
#ifndef SB_STORAGE_MIME_H
#define SB_STORAGE_MIME_H

#include <stdbool.h>

#include "util/arena.h"

/* The MIME type of the file open at fd ("application/pdf", "image/png", ...), read from its
 * first 64 KiB without moving the file offset; "application/octet-stream" when unknown. */
const char *sb_mime_sniff(struct sb_arena *arena, int fd);

/* "Image/PNG; charset=x" -> "image/png"; NULL or empty gives NULL. */
char *sb_mime_essence(struct sb_arena *arena, const char *content_type);

/* Whether mime (an essence) matches one of the patterns: "type/sub" or "type/" followed by a star. */
bool sb_mime_allowed(const char *mime, const char *const *patterns, int count);

#endif
