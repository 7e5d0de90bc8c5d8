/*
 * sse: reads a stream of server-sent events (text/event-stream) as it arrives in pieces of any
 * size — the model provider's streamed answer — and hands over each complete event.
 *
 * Lines end in LF, CRLF or CR (a CRLF split between two pieces counts once). A blank line ends
 * an event; "data:" lines are joined with LF, "event:" names it, a line starting with ':' is a
 * comment, other fields are ignored; one space after the colon is dropped. An event without
 * data is not handed over. At the end of the stream (sb_sse_finish) an event whose blank line
 * never came is handed over too (some servers end on "data: [DONE]\n").
 */
#ifndef SB_AI_SSE_H
#define SB_AI_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"

#define SB_SSE_EVENT_MAX (1024 * 1024)   /* a longer line or event is a broken stream */

/* Called with each event: its name ("message" when none was given) and its data (NUL-
 * terminated, len bytes). A non-zero return stops the parser and is returned by the feed. */
typedef int (*sb_sse_event_fn)(void *cls, const char *event, const char *data, size_t len);

struct sb_sse_parser {
    struct sb_buf line, data, event;
    bool has_data;
    bool after_cr;              /* the last byte seen was CR: an LF right after it ends nothing */
    int stopped;                /* the value that stopped the parser, 0 while it runs */
    sb_sse_event_fn on_event;
    void *cls;
};

#define SB_SSE_TOO_LONG (-2)

void sb_sse_init(struct sb_sse_parser *p, struct sb_arena *arena, sb_sse_event_fn on_event, void *cls);

/* Reads len more bytes. 0, or what stopped the parser (the callback's value, or
 * SB_SSE_TOO_LONG); once stopped, every later call returns the same. */
int sb_sse_feed(struct sb_sse_parser *p, const char *data, size_t len);

/* The stream ended: a last unterminated line and event are handed over. Returns as feed. */
int sb_sse_finish(struct sb_sse_parser *p);

#endif
