/*
 * path: which object keys and bucket names storage accepts, and the one spelling a key is
 * stored under.
 *
 * Supabase accepts only a small ASCII set in keys; studybase accepts any valid UTF-8 and
 * refuses only what is unsafe or ambiguous: a leading '/', a '\', NUL and other control
 * characters (C0, DEL, C1), empty, '.' and '..' segments, keys over 1024 bytes and segments
 * over 255 bytes. Accepted keys are normalised to Unicode NFC (libunistring's u8_normalize),
 * so "Übung.pdf" typed with a combining diaeresis and with a precomposed Ü is one object.
 * Returned strings belong to the arena.
 */
#ifndef SB_STORAGE_PATH_H
#define SB_STORAGE_PATH_H

#include "util/arena.h"

#define SB_KEY_MAX_BYTES 1024
#define SB_KEY_SEGMENT_MAX_BYTES 255
#define SB_BUCKET_MAX_CHARS 100

enum sb_key_status {
    SB_KEY_OK,
    SB_KEY_EMPTY,
    SB_KEY_BAD_UTF8,
    SB_KEY_CONTROL_CHARACTER,
    SB_KEY_BACKSLASH,
    SB_KEY_ABSOLUTE,
    SB_KEY_EMPTY_SEGMENT,
    SB_KEY_DOT_SEGMENT,
    SB_KEY_TOO_LONG,
    SB_KEY_SEGMENT_TOO_LONG,
};

/* Checks raw (NUL-terminated) and sets *normalized to its NFC form when it is acceptable. */
enum sb_key_status sb_storage_key_check(struct sb_arena *arena, const char *raw, const char **normalized);

/* A sentence for the client ("Invalid key: ..."). */
const char *sb_storage_key_message(enum sb_key_status status);

/* Bucket names: 1-100 characters of ASCII letters, digits and _ ! . * ' ( ) & $ = @ ; : + , ? -
 * (Supabase's set without '/' and ' '), not "." or "..". */
int sb_storage_bucket_name_ok(const char *name);

#endif
