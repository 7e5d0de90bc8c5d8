/*
 * ratelimit: in-memory token buckets keyed by text ("token ip 127.0.0.1", "email a@b.c"),
 * shared by all worker threads of the process.
 *
 * A bucket holds up to `limit` requests and refills at limit per window, so a client may burst
 * `limit` requests and then make `limit` per window. The table has a fixed number of slots:
 * when two keys land on one slot, they share it (stricter, never looser). Limits are per
 * process and start afresh when the server restarts.
 */
#ifndef SB_AUTH_RATELIMIT_H
#define SB_AUTH_RATELIMIT_H

#include <stdbool.h>

#define SB_RATELIMIT_WINDOW_S 300

/* Takes one request from key's bucket; false when it is empty (the caller answers 429). */
bool sb_ratelimit_take(const char *key, int limit, int window_s);

#endif
