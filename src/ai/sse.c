/*
 * sse: the incremental server-sent events reader (sse.h).
 */
#include "ai/sse.h"

#include <string.h>

void sb_sse_init(struct sb_sse_parser *p, struct sb_arena *arena, sb_sse_event_fn on_event, void *cls)
{
    memset(p, 0, sizeof *p);
    sb_buf_init(&p->line, arena);
    sb_buf_init(&p->data, arena);
    sb_buf_init(&p->event, arena);
    p->on_event = on_event;
    p->cls = cls;
}

static void clear(struct sb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int dispatch_event(struct sb_sse_parser *p)
{
    int result = 0;
    if (p->has_data)
        result = p->on_event(p->cls, p->event.len ? p->event.data : "message", p->data.data ? p->data.data : "",
                             p->data.len);
    clear(&p->data);
    clear(&p->event);
    p->has_data = false;
    return result;
}

/* One complete line (without its ending). */
static int take_line(struct sb_sse_parser *p, const char *line, size_t len)
{
    if (len == 0)
        return dispatch_event(p);
    if (line[0] == ':')
        return 0;
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : len;
    const char *value = colon ? colon + 1 : line + len;
    size_t value_len = len - (size_t)(value - line);
    if (value_len > 0 && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        if (p->has_data)
            sb_buf_append_char(&p->data, '\n');
        sb_buf_append_n(&p->data, value, value_len);
        p->has_data = true;
        return p->data.len > SB_SSE_EVENT_MAX ? SB_SSE_TOO_LONG : 0;
    }
    if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        clear(&p->event);
        sb_buf_append_n(&p->event, value, value_len);
    }
    return 0;
}

static int end_line(struct sb_sse_parser *p)
{
    int result = take_line(p, p->line.data ? p->line.data : "", p->line.len);
    clear(&p->line);
    return result;
}

int sb_sse_feed(struct sb_sse_parser *p, const char *data, size_t len)
{
    for (size_t i = 0; i < len && !p->stopped; i++) {
        char c = data[i];
        if (c == '\n' && p->after_cr) {
            p->after_cr = false;
            continue;
        }
        p->after_cr = c == '\r';
        if (c == '\n' || c == '\r') {
            p->stopped = end_line(p);
            continue;
        }
        size_t run = 1;          /* the rest of the line in this piece, appended at once */
        while (i + run < len && data[i + run] != '\n' && data[i + run] != '\r')
            run++;
        sb_buf_append_n(&p->line, data + i, run);
        i += run - 1;
        if (p->line.len > SB_SSE_EVENT_MAX)
            p->stopped = SB_SSE_TOO_LONG;
    }
    return p->stopped;
}

int sb_sse_finish(struct sb_sse_parser *p)
{
    if (p->stopped)
        return p->stopped;
    if (p->line.len > 0)
        p->stopped = end_line(p);
    if (!p->stopped)
        p->stopped = dispatch_event(p);
    return p->stopped;
}
