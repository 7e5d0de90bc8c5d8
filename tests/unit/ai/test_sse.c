/* ai/sse: events come out whole however the stream is cut into pieces, whatever the line
 * endings; comments and unknown fields are skipped; data lines join with LF; an overlong event
 * stops the reader; a last event without its blank line is handed over at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/sse.h"

struct seen {
    char log[4096];              /* "name=data|" per event */
    int count;
    int stop_after;              /* 0: never */
};

static int record(void *cls, const char *event, const char *data, size_t len)
{
    struct seen *s = cls;
    assert_int_equal(strlen(data), len);
    snprintf(s->log + strlen(s->log), sizeof s->log - strlen(s->log), "%s=%s|", event, data);
    s->count++;
    return s->stop_after && s->count >= s->stop_after ? 7 : 0;
}

/* Feeds text in pieces of size step (0: all at once), then finishes. */
static int feed_in_steps(struct seen *seen, const char *text, size_t step)
{
    struct sb_arena *arena = sb_arena_new();
    struct sb_sse_parser p;
    sb_sse_init(&p, arena, record, seen);
    size_t len = strlen(text);
    int result = 0;
    for (size_t i = 0; i < len && !result; i += step ? step : len)
        result = sb_sse_feed(&p, text + i, step && len - i > step ? step : len - i);
    if (!result)
        result = sb_sse_finish(&p);
    sb_arena_free(arena);
    return result;
}

static const char provider_stream[] =
    ": keep-alive comment\n"
    "data: {\"a\":1}\n"
    "\n"
    "event: update\n"
    "id: 4\n"
    "data:first\n"
    "data: second\n"
    "\n"
    "data: [DONE]\n"
    "\n";

static const char expected[] = "message={\"a\":1}|update=first\nsecond|message=[DONE]|";

static void events_are_whole_at_every_split(void **state)
{
    for (size_t step = 0; step <= 9; step++) {
        struct seen seen = { 0 };
        assert_int_equal(feed_in_steps(&seen, provider_stream, step), 0);
        assert_string_equal(seen.log, expected);
    }
}

static char *with_endings(const char *text, const char *ending)
{
    char *out = calloc(1, strlen(text) * 2 + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            memcpy(out + n, ending, strlen(ending));
            n += strlen(ending);
        } else {
            out[n++] = *p;
        }
    }
    return out;
}

static void crlf_and_cr_line_endings_work_even_when_split_between_pieces(void **state)
{
    const char *endings[] = { "\r\n", "\r" };
    for (int e = 0; e < 2; e++) {
        char *text = with_endings(provider_stream, endings[e]);
        for (size_t step = 0; step <= 3; step++) {
            struct seen seen = { 0 };
            assert_int_equal(feed_in_steps(&seen, text, step), 0);
            assert_string_equal(seen.log, expected);
        }
        free(text);
    }
}

static void an_event_without_data_is_not_handed_over(void **state)
{
    struct seen seen = { 0 };
    feed_in_steps(&seen, "event: ping\n\nretry: 10\n\n\n\n", 0);
    assert_int_equal(seen.count, 0);
}

static void the_last_event_is_handed_over_without_its_blank_line(void **state)
{
    struct seen seen = { 0 };
    feed_in_steps(&seen, "data: a\n\ndata: [DONE]", 2);
    assert_string_equal(seen.log, "message=a|message=[DONE]|");
}

static void a_callback_stops_the_reader(void **state)
{
    struct seen seen = { .stop_after = 1 };
    assert_int_equal(feed_in_steps(&seen, "data: 1\n\ndata: 2\n\n", 0), 7);
    assert_int_equal(seen.count, 1);
}

static void an_overlong_line_stops_the_reader(void **state)
{
    size_t n = SB_SSE_EVENT_MAX + 10;
    char *text = malloc(n + 1);
    memcpy(text, "data: ", 6);
    memset(text + 6, 'x', n - 6);
    text[n] = '\0';
    struct seen seen = { 0 };
    assert_int_equal(feed_in_steps(&seen, text, 4096), SB_SSE_TOO_LONG);
    assert_int_equal(seen.count, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_are_whole_at_every_split),
        cmocka_unit_test(crlf_and_cr_line_endings_work_even_when_split_between_pieces),
        cmocka_unit_test(an_event_without_data_is_not_handed_over),
        cmocka_unit_test(the_last_event_is_handed_over_without_its_blank_line),
        cmocka_unit_test(a_callback_stops_the_reader),
        cmocka_unit_test(an_overlong_line_stops_the_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
