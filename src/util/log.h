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

/* The same line for something that happens many times a second (the server's line per
 * request): it may wait in a process-wide buffer and go out with others in one write. Lines
 * are written, in the order they were logged, when the buffer holds SB_LOG_BATCH_BYTES, when
 * sb_log_flush is called (the server calls it whenever no request is left in flight, and when
 * it stops), before any sb_log line, at exit, and otherwise at the latest about
 * SB_LOG_MAX_DELAY_MS..2x that after being logged (a background thread). Only a crash can lose
 * what waits. */
#define SB_LOG_BATCH_BYTES 16384
#define SB_LOG_MAX_DELAY_MS 100
void sb_log_batched(enum sb_log_level level, const char *msg, ...);

/* Writes the lines waiting in the batch now. */
void sb_log_flush(void);

/* Appends s to buf as a JSON string body (no quotes), escaping as needed. Returns the length
 * written, or the length that would be needed if cap is too small (like snprintf). */
size_t sb_json_escape(char *buf, size_t cap, const char *s);

#endif
