/*
 * buf: a growable string in an arena, for building SQL, JSON and headers.
 *
 * The text is always NUL-terminated. Memory belongs to the arena; old copies left behind by
 * growth are freed with it.
 */
#ifndef SB_UTIL_BUF_H
#define SB_UTIL_BUF_H

#include <stddef.h>

#include "util/arena.h"

struct sb_buf {
    struct sb_arena *arena;
    char *data;
    size_t len, cap;
};

void sb_buf_init(struct sb_buf *buf, struct sb_arena *arena);
void sb_buf_append(struct sb_buf *buf, const char *s);
void sb_buf_append_n(struct sb_buf *buf, const char *s, size_t n);
void sb_buf_append_char(struct sb_buf *buf, char c);
void sb_buf_printf(struct sb_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string, quotes included; NULL appends null. */
void sb_buf_append_json_string(struct sb_buf *buf, const char *s);

#endif
