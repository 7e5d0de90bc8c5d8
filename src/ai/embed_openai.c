/*
 * embed_openai: one batch to an OpenAI-compatible /embeddings endpoint: the request body, the
 * retries with backoff, and the answer read into unit vectors in the input's order.
 */
#include "ai/embed_openai.h"

#include "ai/embed.h"
#include "base/call.h"
#include "core/fetch.h"
#include "core/fiber.h"
#include "core/loop.h"
#include "util/buf.h"
#include "util/utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FIRST_BACKOFF_MS 250
#define MAX_BACKOFF_MS 8000
#define DETAIL_MAX 300           /* bytes of the provider's own words kept in err->details */
#define TIMEOUT_WORDS "Timeout was reached"   /* curl's text for CURLE_OPERATION_TIMEDOUT */

const char *sb_embed_openai_url(struct sb_arena *arena, const char *configured)
{
    size_t len = strlen(configured);
    while (len > 0 && configured[len - 1] == '/')
        len--;
    const char *suffix = "/embeddings";
    size_t slen = strlen(suffix);
    if (len >= slen && memcmp(configured + len - slen, suffix, slen) == 0)
        return sb_arena_strndup(arena, configured, len);
    return sb_arena_printf(arena, "%.*s%s", (int)len, configured, suffix);
}

static char *request_body(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "{\"model\":");
    sb_buf_append_json_string(&b, config->embed_model ? config->embed_model : "");
    sb_buf_append(&b, ",\"encoding_format\":\"float\"");
    if (config->embed_send_dimensions)
        sb_buf_append(&b, ",\"dimensions\":384");
    sb_buf_append(&b, ",\"input\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_buf_append_char(&b, ',');
        sb_buf_append_json_string(&b, texts[i]);
    }
    sb_buf_append(&b, "]}");
    return b.data;
}

static const char *const *request_headers(struct sb_arena *arena, const struct sb_config *config)
{
    const char **h = sb_arena_alloc(arena, 4 * sizeof *h);
    int i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = "Accept: application/json";
    if (config->embed_api_key)
        h[i++] = sb_arena_printf(arena, "Authorization: Bearer %s", config->embed_api_key);
    h[i] = NULL;
    return h;
}

/* At most DETAIL_MAX bytes of s (the provider's words), cut at a character's start. */
static char *first_words(struct sb_arena *arena, const char *s)
{
    return sb_arena_strndup(arena, s, sb_utf8_prefix(s, DETAIL_MAX));
}

/* The provider's own explanation of a refusal: error.message, error (a string), or the start
 * of the body; at most DETAIL_MAX bytes. */
static const char *provider_words(struct sb_arena *arena, const struct sb_fetch_response *res)
{
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    json_t *e = doc ? json_object_get(doc, "error") : NULL;
    const char *said = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    if (!said)
        said = json_string_value(json_object_get(doc, "message"));
    char *words = first_words(arena, said ? said : res->body);
    json_decref(doc);
    return words;
}

/* Fills err and returns false. */
static bool fail(struct sb_error *err, int status, const char *code, const char *message, const char *details)
{
    return sb_error_set(err, status, code, message, details, NULL);
}

static bool fail_http(struct sb_arena *arena, const struct sb_fetch_response *res, struct sb_error *err)
{
    bool refused = res->status >= 400 && res->status < 500 && res->status != 429;
    const char *message = sb_arena_printf(arena, refused ? "The embedding provider refused the request (HTTP %ld)"
                                                         : "The embedding provider failed (HTTP %ld)",
                                          res->status);
    return fail(err, 502, refused ? "embed_provider_refused" : "embed_provider_error", message,
                provider_words(arena, res));
}

static bool fail_fetch(struct sb_arena *arena, const struct sb_fetch_response *res, struct sb_error *err)
{
    if (strcmp(res->error, TIMEOUT_WORDS) == 0)
        return fail(err, 504, "embed_provider_timeout", "The embedding provider did not answer in time", res->error);
    return fail(err, 502, "embed_provider_unreachable", "The embedding provider cannot be reached",
                sb_arena_strdup(arena, res->error));
}

/* Copies one data[] item's embedding into out (384 floats, unit length). */
static bool take_vector(struct sb_arena *arena, json_t *embedding, float *out, struct sb_error *err)
{
    if (!json_is_array(embedding))
        return fail(err, 502, "embed_provider_bad_answer", "The embedding provider's answer has no embedding array",
                    NULL);
    size_t dims = json_array_size(embedding);
    if (dims != SB_EMBED_DIMENSIONS)
        return fail(err, 502, "embed_provider_dimensions",
                    sb_arena_printf(arena,
                                    "the embedding provider returned %zu dimensions; studybase stores %d: set the "
                                    "model's dimensions to %d or use a %d-dimension model",
                                    dims, SB_EMBED_DIMENSIONS, SB_EMBED_DIMENSIONS, SB_EMBED_DIMENSIONS),
                    NULL);
    double sum = 0;
    for (size_t d = 0; d < dims; d++) {
        json_t *x = json_array_get(embedding, d);
        double v = json_number_value(x);
        if (!json_is_number(x) || !isfinite(v))
            return fail(err, 502, "embed_provider_bad_answer", "The embedding provider's vector holds a non-number",
                        NULL);
        out[d] = (float)v;
        sum += v * v;
    }
    if (sum > 0) {
        float scale = (float)(1.0 / sqrt(sum));
        for (size_t d = 0; d < dims; d++)
            out[d] *= scale;
    }
    return true;
}

/* Reads {"data": [{"index": i, "embedding": [...]}, ...]} into out, by index. */
static bool read_answer(struct sb_arena *arena, const struct sb_fetch_response *res, size_t n, float *out,
                        struct sb_error *err)
{
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    sb_arena_defer(arena, sb_json_release, doc);
    json_t *data = json_object_get(doc, "data");
    if (!json_is_array(data) || json_array_size(data) != n)
        return fail(err, 502, "embed_provider_bad_answer",
                    sb_arena_printf(arena, "The embedding provider's answer does not hold %zu embeddings", n),
                    first_words(arena, res->body));
    bool *seen = sb_arena_alloc(arena, n ? n : 1);
    memset(seen, 0, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(data, i);
        json_t *index = json_object_get(item, "index");
        json_int_t at = index ? (json_is_integer(index) ? json_integer_value(index) : -1) : (json_int_t)i;
        if (at < 0 || (size_t)at >= n || seen[at])
            return fail(err, 502, "embed_provider_bad_answer",
                        "The embedding provider's answer does not give each input one index", NULL);
        seen[at] = true;
        if (!take_vector(arena, json_object_get(item, "embedding"), out + (size_t)at * SB_EMBED_DIMENSIONS, err))
            return false;
    }
    return true;
}

/* Waits ms before a retry without blocking a worker's loop; false when stop turned true. */
static bool pause_before_retry(long ms, const volatile bool *stop)
{
    int64_t deadline = sb_now_ms() + ms;
    if (sb_fiber_current() && sb_loop_current()) {
        sb_wait_suspend(deadline);
        return true;
    }
    while (sb_now_ms() < deadline) {
        if (stop && *stop)
            return false;
        struct timespec step = { 0, 20 * 1000000L };
        nanosleep(&step, NULL);
    }
    return !(stop && *stop);
}

static bool worth_retrying(int fetched, const struct sb_fetch_response *res)
{
    if (fetched != 0)
        return strcmp(res->error, TIMEOUT_WORDS) != 0;
    return res->status == 429 || res->status >= 500;
}

bool sb_embed_openai(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                     float *out, const volatile bool *stop, struct sb_error *err)
{
    char *body = request_body(arena, config, texts, n);
    struct sb_fetch_request req = {
        .method = "POST", .url = sb_embed_openai_url(arena, config->embed_url),
        .headers = request_headers(arena, config), .body = body, .body_len = strlen(body),
        .timeout_ms = config->embed_timeout_ms, .cancel = stop,
    };
    struct sb_fetch_response res;
    long backoff = FIRST_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        int fetched = sb_fetch(arena, &req, &res);
        if (fetched == 0 && res.status >= 200 && res.status < 300)
            return read_answer(arena, &res, n, out, err);
        if (attempt >= config->embed_retries || !worth_retrying(fetched, &res) || !pause_before_retry(backoff, stop))
            return fetched == 0 ? fail_http(arena, &res, err) : fail_fetch(arena, &res, err);
        backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
    }
}
