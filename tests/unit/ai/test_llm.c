/* ai/llm: the provider's stream read piece by piece: the deltas' text in order, usage, [DONE]
 * or a finish_reason; each way it can go wrong is its own error; a provider that ignored
 * "stream" is read as a whole answer; the endpoint is found from the configured URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ai/llm.h"
#include "util/buf.h"

static struct sb_arena *arena;
static struct sb_buf text;
static int stop_at;              /* stop on the nth piece (0: never) */
static int pieces;

static int take_text(void *cls, const char *data, size_t len)
{
    sb_buf_append_n(&text, data, len);
    return stop_at && ++pieces >= stop_at;
}

static int setup(void **state)
{
    arena = sb_arena_new();
    sb_buf_init(&text, arena);
    sb_buf_append(&text, "");
    stop_at = pieces = 0;
    return 0;
}

static int teardown(void **state)
{
    sb_arena_free(arena);
    return 0;
}

/* A fresh arena and text in the middle of a test (cmocka's teardown frees the last). */
static void again(void)
{
    teardown(NULL);
    setup(NULL);
}

/* Reads body (in pieces of step bytes) as answered with status; the outcome. */
static bool read_stream(const char *body, size_t step, long status, struct sb_llm_reader *r, struct sb_error *err)
{
    sb_llm_reader_init(r, arena, take_text, NULL);
    size_t len = strlen(body);
    for (size_t i = 0; i < len; i += step)
        if (sb_llm_reader_feed(r, body + i, len - i < step ? len - i : step))
            break;
    memset(err, 0, sizeof *err);
    return sb_llm_reader_finish(r, status, err);
}

#define CHUNK(content) "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" content "\"},\"finish_reason\":null}]}\n\n"

static const char good[] = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n"
                           CHUNK("Hel") CHUNK("lo \\u00e9") CHUNK("!")
                           "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                           "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n"
                           "data: [DONE]\n\n";

static void the_deltas_text_comes_in_order_with_the_usage(void **state)
{
    for (size_t step = 1; step < 40; step += 7) {
        setup(NULL);
        struct sb_llm_reader r;
        struct sb_error err;
        assert_true(read_stream(good, step, 200, &r, &err));
        assert_string_equal(text.data, "Hello \xc3\xa9!");
        assert_true(r.usage.reported);
        assert_int_equal(r.usage.prompt_tokens, 7);
        assert_int_equal(r.usage.completion_tokens, 3);
        assert_int_equal(r.usage.total_tokens, 10);
        teardown(NULL);
    }
}

static void a_finish_reason_without_done_is_a_complete_answer(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_true(read_stream(CHUNK("ok") "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n", 5, 200,
                            &r, &err));
    assert_string_equal(text.data, "ok");
    assert_false(r.usage.reported);
}

static void a_stream_that_stops_early_is_a_bad_stream(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_false(read_stream(CHUNK("half"), 3, 200, &r, &err));
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "llm_provider_bad_stream");
    assert_non_null(strstr(err.message, "[DONE]"));
    assert_string_equal(text.data, "half");
}

static void data_that_is_not_json_is_a_bad_stream(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_false(read_stream(CHUNK("a") "data: {nope\n\n" CHUNK("b") "data: [DONE]\n\n", 4, 200, &r, &err));
    assert_string_equal(err.code, "llm_provider_bad_stream");
    assert_string_equal(text.data, "a");
    again();
    assert_false(read_stream("data: {\"choices\":7}\n\ndata: [DONE]\n\n", 4, 200, &r, &err));
    assert_string_equal(err.code, "llm_provider_bad_stream");
}

static void an_error_event_keeps_the_providers_words_for_the_log_only(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_false(read_stream(CHUNK("a") "data: {\"error\":{\"message\":\"context too long\",\"type\":\"x\"}}\n\n", 6, 200,
                             &r, &err));
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "llm_provider_error");
    assert_string_equal(err.message, "The model provider reported an error in its answer");
    assert_string_equal(err.details, "context too long");
}

static void a_refusal_says_the_status_and_keeps_the_providers_words_for_the_log_only(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_false(read_stream("{\"error\":{\"message\":\"Incorrect API key provided\",\"code\":\"invalid_api_key\"}}", 8,
                             401, &r, &err));
    assert_string_equal(err.code, "llm_provider_error");
    assert_string_equal(err.message, "The model provider refused the request (HTTP 401)");
    assert_string_equal(err.details, "Incorrect API key provided");
    again();
    assert_false(read_stream("Bad Gateway", 100, 502, &r, &err));
    assert_string_equal(err.message, "The model provider refused the request (HTTP 502)");
    assert_string_equal(err.details, "Bad Gateway");
    again();
    assert_false(read_stream("{\"message\":\"model 'x' not found\"}", 100, 404, &r, &err));
    assert_string_equal(err.message, "The model provider refused the request (HTTP 404)");
    assert_string_equal(err.details, "model 'x' not found");
}

static void a_whole_answer_instead_of_a_stream_is_read(void **state)
{
    struct sb_llm_reader r;
    struct sb_error err;
    assert_true(read_stream("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"all at once\"},"
                            "\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":5}}",
                            9, 200, &r, &err));
    assert_string_equal(text.data, "all at once");
    assert_int_equal(r.usage.total_tokens, 5);
    again();
    assert_false(read_stream("<html>hello</html>", 9, 200, &r, &err));
    assert_string_equal(err.code, "llm_provider_bad_stream");
}

/* A whole answer of 20 KB (the reader once kept only its first 4 KB, and failed it). */
static void a_long_whole_answer_is_read_whole(void **state)
{
    static char body[24 * 1024], answer[20 * 1024 + 1];
    memset(answer, 'a', sizeof answer - 1);
    snprintf(body, sizeof body, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"%s\"}}]}", answer);
    struct sb_llm_reader r;
    struct sb_error err;
    assert_true(read_stream(body, 1000, 200, &r, &err));
    assert_int_equal(text.len, sizeof answer - 1);
}

static void a_receiver_that_stops_is_cancelled(void **state)
{
    stop_at = 2;
    struct sb_llm_reader r;
    struct sb_error err;
    assert_false(read_stream(good, 1000, 200, &r, &err));
    assert_int_equal(err.status, 499);
    assert_string_equal(err.code, "cancelled");
    assert_string_equal(text.data, "Hello \xc3\xa9");
}

static void the_endpoint_follows_the_configured_url(void **state)
{
    assert_string_equal(sb_llm_endpoint(arena, "https://api.openai.com/v1"), "https://api.openai.com/v1/chat/completions");
    assert_string_equal(sb_llm_endpoint(arena, "http://localhost:11434/v1/"), "http://localhost:11434/v1/chat/completions");
    assert_string_equal(sb_llm_endpoint(arena, "http://localhost:8080"), "http://localhost:8080/v1/chat/completions");
    assert_string_equal(sb_llm_endpoint(arena, "http://h/openai/deployments/x/chat/completions"),
                        "http://h/openai/deployments/x/chat/completions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_deltas_text_comes_in_order_with_the_usage),
        cmocka_unit_test_setup_teardown(a_finish_reason_without_done_is_a_complete_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(a_stream_that_stops_early_is_a_bad_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(data_that_is_not_json_is_a_bad_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(an_error_event_keeps_the_providers_words_for_the_log_only, setup, teardown),
        cmocka_unit_test_setup_teardown(a_refusal_says_the_status_and_keeps_the_providers_words_for_the_log_only, setup, teardown),
        cmocka_unit_test_setup_teardown(a_whole_answer_instead_of_a_stream_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_whole_answer_is_read_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(a_receiver_that_stops_is_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(the_endpoint_follows_the_configured_url, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
