/*
 * buf: doubling growth inside the arena.
 */
#include "util/buf.h"

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sb_buf_init(struct sb_buf *buf, struct sb_arena *arena)
{
    buf->arena = arena;
    buf->cap = 64;
    buf->len = 0;
    buf->data = sb_arena_alloc(arena, buf->cap);
}

static void reserve(struct sb_buf *buf, size_t extra)
{
    if (buf->len + extra + 1 <= buf->cap)
        return;
    size_t cap = buf->cap * 2;
    while (cap < buf->len + extra + 1)
        cap *= 2;
    char *data = sb_arena_alloc(buf->arena, cap);
    memcpy(data, buf->data, buf->len + 1);
    buf->data = data;
    buf->cap = cap;
}

void sb_buf_append_n(struct sb_buf *buf, const char *s, size_t n)
{
    reserve(buf, n);
    memcpy(buf->data + buf->len, s, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
}

void sb_buf_append(struct sb_buf *buf, const char *s)
{
    sb_buf_append_n(buf, s, strlen(s));
}

void sb_buf_append_char(struct sb_buf *buf, char c)
{
    sb_buf_append_n(buf, &c, 1);
}

void sb_buf_printf(struct sb_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_buf_append(buf, sb_arena_vprintf(buf->arena, fmt, ap));
    va_end(ap);
}

void sb_buf_append_json_string(struct sb_buf *buf, const char *s)
{
    if (!s) {
        sb_buf_append(buf, "null");
        return;
    }
    size_t n = sb_json_escape(NULL, 0, s);
    reserve(buf, n + 2);
    buf->data[buf->len++] = '"';
    sb_json_escape(buf->data + buf->len, n + 1, s);
    buf->len += n;
    buf->data[buf->len++] = '"';
    buf->data[buf->len] = '\0';
}
