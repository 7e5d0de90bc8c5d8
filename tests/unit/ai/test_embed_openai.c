/* ai/embed_openai: what studybase sends an OpenAI-compatible embeddings endpoint and how it
 * reads the answer — vectors placed by index and scaled to unit length, the dimension checked,
 * connection errors / 429 / 5xx tried again and 4xx not — against a scripted server on
 * 127.0.0.1 that answers each connection with the next scripted reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ai/embed.h"
#include "ai/embed_openai.h"
#include "util/buf.h"

#define REPLIES_MAX 8

struct reply {
    int status;
    const char *body;
};

struct mock {
    int listen_fd, port;
    struct reply replies[REPLIES_MAX];
    int reply_count;
    int served;
    char requests[REPLIES_MAX][16384];
    pthread_t thread;
};

/* Reads one request (headers, then Content-Length bytes of body) into buf. */
static void read_request(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    buf[0] = '\0';
    for (;;) {
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(buf, "Content-Length:");
            size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
            if (got >= want)
                return;
        }
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n <= 0)
            return;
        got += (size_t)n;
        buf[got] = '\0';
    }
}

static void *serve(void *arg)
{
    struct mock *m = arg;
    for (int i = 0; i < m->reply_count; i++) {
        int fd = accept(m->listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        read_request(fd, m->requests[i], sizeof m->requests[i]);
        char head[256];
        const char *body = m->replies[i].body;
        snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n", m->replies[i].status, strlen(body));
        ssize_t w = write(fd, head, strlen(head));
        w = write(fd, body, strlen(body));
        (void)w;
        close(fd);
        m->served = i + 1;
    }
    return NULL;
}

static void start_mock(struct mock *m)
{
    m->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    assert_int_equal(bind(m->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(m->listen_fd, 8), 0);
    getsockname(m->listen_fd, (struct sockaddr *)&addr, &len);
    m->port = ntohs(addr.sin_port);
    pthread_create(&m->thread, NULL, serve, m);
}

static void stop_mock(struct mock *m)
{
    shutdown(m->listen_fd, SHUT_RDWR);   /* an accept still waiting returns */
    pthread_join(m->thread, NULL);
    close(m->listen_fd);
}

static void add_reply(struct mock *m, int status, const char *body)
{
    m->replies[m->reply_count++] = (struct reply){ status, body };
}

/* {"data":[{"index":i,"embedding":[...]}...]} with dims numbers each; item i's vector is
 * (i+1) * (3, 4, 0, 0, ...) so its unit vector is (0.6, 0.8, 0, ...); items in reverse order. */
static const char *embeddings_answer(struct sb_arena *arena, int count, int dims)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "{\"object\":\"list\",\"data\":[");
    for (int i = count - 1; i >= 0; i--) {
        sb_buf_append(&b, sb_arena_printf(arena, "{\"object\":\"embedding\",\"index\":%d,\"embedding\":[", i));
        for (int d = 0; d < dims; d++)
            sb_buf_append(&b, sb_arena_printf(arena, "%s%d", d ? "," : "", d == 0 ? 3 * (i + 1) : d == 1 ? 4 * (i + 1) : 0));
        sb_buf_append(&b, i ? "]}," : "]}");
    }
    sb_buf_append(&b, "],\"model\":\"m\"}");
    return b.data;
}

static struct sb_config config_for(struct sb_arena *arena, int port)
{
    struct sb_config c;
    memset(&c, 0, sizeof c);
    c.embed_url = sb_arena_printf(arena, "http://127.0.0.1:%d/v1", port);
    c.embed_model = "all-minilm";
    c.embed_api_key = "test-key";
    c.embed_batch = 64;
    c.embed_timeout_ms = 5000;
    c.embed_retries = 2;
    c.embed_send_dimensions = true;
    return c;
}

static const char *body_of(const char *request)
{
    const char *b = strstr(request, "\r\n\r\n");
    return b ? b + 4 : "";
}

static void the_url_gets_embeddings_appended_unless_it_ends_with_it(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    assert_string_equal(sb_embed_openai_url(arena, "http://h:11434/v1"), "http://h:11434/v1/embeddings");
    assert_string_equal(sb_embed_openai_url(arena, "http://h:11434/v1/"), "http://h:11434/v1/embeddings");
    assert_string_equal(sb_embed_openai_url(arena, "https://api.openai.com/v1/embeddings"),
                        "https://api.openai.com/v1/embeddings");
    sb_arena_free(arena);
}

static void the_request_carries_model_inputs_dimensions_and_the_key(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 2, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "first \"quoted\" text", "second" };
    float out[2 * SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 2, out, &err));
    stop_mock(&m);
    assert_non_null(strstr(m.requests[0], "POST /v1/embeddings HTTP/1.1\r\n"));
    assert_non_null(strstr(m.requests[0], "Authorization: Bearer test-key\r\n"));
    assert_non_null(strstr(m.requests[0], "Content-Type: application/json\r\n"));
    json_t *sent = json_loads(body_of(m.requests[0]), 0, NULL);
    assert_non_null(sent);
    assert_string_equal(json_string_value(json_object_get(sent, "model")), "all-minilm");
    assert_int_equal(json_integer_value(json_object_get(sent, "dimensions")), 384);
    assert_string_equal(json_string_value(json_object_get(sent, "encoding_format")), "float");
    json_t *input = json_object_get(sent, "input");
    assert_int_equal(json_array_size(input), 2);
    assert_string_equal(json_string_value(json_array_get(input, 0)), "first \"quoted\" text");
    json_decref(sent);
    sb_arena_free(arena);
}

static void vectors_are_placed_by_index_and_scaled_to_unit_length(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 3, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "a", "b", "c" };
    float out[3 * SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 3, out, &err));
    stop_mock(&m);
    for (int i = 0; i < 3; i++) {
        /* the answer listed them 2, 1, 0; each is (3k, 4k, 0...) before scaling */
        assert_float_equal(out[i * SB_EMBED_DIMENSIONS + 0], 0.6, 1e-6);
        assert_float_equal(out[i * SB_EMBED_DIMENSIONS + 1], 0.8, 1e-6);
        assert_float_equal(out[i * SB_EMBED_DIMENSIONS + 2], 0.0, 1e-6);
    }
    sb_arena_free(arena);
}

static void a_batch_larger_than_embed_batch_is_sent_in_several_requests(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 2, SB_EMBED_DIMENSIONS));
    add_reply(&m, 200, embeddings_answer(arena, 1, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    c.embed_batch = 2;
    const char *texts[] = { "a", "b", "c" };
    float out[3 * SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 3, out, &err));
    stop_mock(&m);
    assert_int_equal(m.served, 2);
    assert_non_null(strstr(body_of(m.requests[0]), "\"input\":[\"a\",\"b\"]"));
    assert_non_null(strstr(body_of(m.requests[1]), "\"input\":[\"c\"]"));
    sb_arena_free(arena);
}

static void another_dimension_is_a_clear_error(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 1, 768));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_false(sb_embed_texts(arena, &c, texts, 1, out, &err));
    stop_mock(&m);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "embed_provider_dimensions");
    assert_string_equal(err.message, "the embedding provider returned 768 dimensions; studybase stores 384: set the "
                                     "model's dimensions to 384 or use a 384-dimension model");
    sb_arena_free(arena);
}

static void without_sending_dimensions_the_field_is_left_out(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 1, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    c.embed_send_dimensions = false;
    c.embed_api_key = NULL;
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 1, out, &err));
    stop_mock(&m);
    assert_null(strstr(body_of(m.requests[0]), "dimensions"));
    assert_null(strstr(m.requests[0], "Authorization:"));
    sb_arena_free(arena);
}

static void a_5xx_and_a_429_are_tried_again_until_an_answer_comes(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 503, "{\"error\":{\"message\":\"loading model\"}}");
    add_reply(&m, 429, "{\"error\":{\"message\":\"slow down\"}}");
    add_reply(&m, 200, embeddings_answer(arena, 1, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 1, out, &err));
    stop_mock(&m);
    assert_int_equal(m.served, 3);
    sb_arena_free(arena);
}

static void the_retries_end_with_the_providers_failure(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 500, "{\"error\":\"boom\"}");
    add_reply(&m, 502, "{\"error\":\"boom\"}");
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    c.embed_retries = 1;
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_false(sb_embed_texts(arena, &c, texts, 1, out, &err));
    stop_mock(&m);
    assert_int_equal(m.served, 2);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "embed_provider_error");
    assert_string_equal(err.details, "boom");
    sb_arena_free(arena);
}

static void a_4xx_is_not_tried_again_and_its_words_stay_out_of_the_message(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 401, "{\"error\":{\"message\":\"Incorrect API key provided: sk-***\"}}");
    add_reply(&m, 200, embeddings_answer(arena, 1, SB_EMBED_DIMENSIONS));
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_false(sb_embed_texts(arena, &c, texts, 1, out, &err));
    assert_int_equal(m.served, 1);
    stop_mock(&m);
    assert_string_equal(err.code, "embed_provider_refused");
    assert_string_equal(err.message, "The embedding provider refused the request (HTTP 401)");
    assert_string_equal(err.details, "Incorrect API key provided: sk-***");
    sb_arena_free(arena);
}

static void an_answer_without_one_vector_per_text_is_refused(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct mock m = { 0 };
    add_reply(&m, 200, embeddings_answer(arena, 1, SB_EMBED_DIMENSIONS));
    add_reply(&m, 200, "not json");
    start_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    const char *texts[] = { "a", "b" };
    float out[2 * SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_false(sb_embed_texts(arena, &c, texts, 2, out, &err));
    assert_string_equal(err.code, "embed_provider_bad_answer");
    assert_false(sb_embed_texts(arena, &c, texts, 1, out, &err));
    assert_string_equal(err.code, "embed_provider_bad_answer");
    stop_mock(&m);
    sb_arena_free(arena);
}

static void a_provider_that_cannot_be_reached_is_tried_again_then_reported(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    /* a port nothing listens on: bind one, note it, close it */
    struct mock m = { 0 };
    start_mock(&m);
    stop_mock(&m);
    struct sb_config c = config_for(arena, m.port);
    c.embed_retries = 1;
    const char *texts[] = { "a" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_false(sb_embed_texts(arena, &c, texts, 1, out, &err));
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "embed_provider_unreachable");
    sb_arena_free(arena);
}

static void without_a_url_the_lexical_embedder_answers(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    struct sb_config c;
    memset(&c, 0, sizeof c);
    const char *texts[] = { "photosynthesis in plants" };
    float out[SB_EMBED_DIMENSIONS];
    struct sb_error err = { 0 };
    assert_true(sb_embed_texts(arena, &c, texts, 1, out, &err));
    double sum = 0;
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        sum += out[d] * out[d];
    assert_float_equal(sum, 1.0, 1e-5);
    sb_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_url_gets_embeddings_appended_unless_it_ends_with_it),
        cmocka_unit_test(the_request_carries_model_inputs_dimensions_and_the_key),
        cmocka_unit_test(vectors_are_placed_by_index_and_scaled_to_unit_length),
        cmocka_unit_test(a_batch_larger_than_embed_batch_is_sent_in_several_requests),
        cmocka_unit_test(another_dimension_is_a_clear_error),
        cmocka_unit_test(without_sending_dimensions_the_field_is_left_out),
        cmocka_unit_test(a_5xx_and_a_429_are_tried_again_until_an_answer_comes),
        cmocka_unit_test(the_retries_end_with_the_providers_failure),
        cmocka_unit_test(a_4xx_is_not_tried_again_and_its_words_stay_out_of_the_message),
        cmocka_unit_test(an_answer_without_one_vector_per_text_is_refused),
        cmocka_unit_test(a_provider_that_cannot_be_reached_is_tried_again_then_reported),
        cmocka_unit_test(without_a_url_the_lexical_embedder_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
