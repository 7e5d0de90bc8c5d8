/*
 * log: one JSON object per line on stderr, for requests and for life-cycle events.
 *
 * Callers pass plain values; this module escapes them. Never pass a password, a token or
 * a file body: nothing here can tell them apart from other strings.
 */
#ifndef SB_UTIL_LOG_H
#define SB_UTIL_LOG_H

#include <stddef.h>

enum sb_log_level { SB_LOG_DEBUG, SB_LOG_INFO, SB_LOG_WARN, SB_LOG_ERROR };

/* Writes {"ts":...,"level":...,"msg":...} and the extra key/value pairs (NULL-terminated,
 * alternating key then value; values are strings). */
void sb_log(enum sb_log_level level, const char *msg, ...);

/* Appends s to buf as a JSON string body (no quotes), escaping as needed. Returns the length
 * written, or the length that would be needed if cap is too small (like snprintf). */
size_t sb_json_escape(char *buf, size_t cap, const char *s);

#endif
