/*
 * llm: the OpenAI-compatible streamed chat completion (llm.h): the request, and the reader of
 * the provider's event stream.
 */
#include "ai/llm.h"

#include "ai/prompt.h"
#include "core/fetch.h"
#include "core/loop.h"
#include "util/buf.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

#define RAW_KEPT_BYTES (1024 * 1024) /* of a body that is not a stream: a whole answer, or an error */
#define MESSAGE_SHOWN_BYTES 300  /* of a provider's error message, in ours */

/* ---- the reader -------------------------------------------------------------------------------- */

static void take_usage(struct sb_llm_reader *r, const json_t *usage)
{
    if (!json_is_object(usage))
        return;
    r->usage.reported = true;
    r->usage.prompt_tokens = (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
    r->usage.completion_tokens = (long)json_integer_value(json_object_get(usage, "completion_tokens"));
    r->usage.total_tokens = (long)json_integer_value(json_object_get(usage, "total_tokens"));
    if (r->usage.total_tokens == 0)
        r->usage.total_tokens = r->usage.prompt_tokens + r->usage.completion_tokens;
}

/* The message of an OpenAI-style error value ({"message":...} or a string), in the arena. */
static const char *error_message(struct sb_arena *arena, const json_t *error)
{
    const json_t *m = json_is_object(error) ? json_object_get(error, "message") : error;
    if (!json_is_string(m))
        return "no message";
    const char *text = json_string_value(m);
    return sb_arena_strndup(arena, text, sb_utf8_prefix(text, MESSAGE_SHOWN_BYTES));
}

/* Hands the text of the first choice's delta (or, in a whole answer, message) over. */
static int take_choice(struct sb_llm_reader *r, const json_t *choice, const char *part)
{
    const json_t *content = json_object_get(json_object_get(choice, part), "content");
    if (json_is_string(content) && json_string_length(content) > 0 &&
        r->on_text(r->cls, json_string_value(content), json_string_length(content)) != 0) {
        r->receiver_stopped = true;
        return 1;
    }
    if (json_is_string(json_object_get(choice, "finish_reason")))
        r->done = true;
    return 0;
}

static int take_chunk(struct sb_llm_reader *r, const json_t *chunk, const char *part)
{
    if (!json_is_object(chunk)) {
        r->malformed = "The model provider sent an event that is not a JSON object";
        return 1;
    }
    const json_t *error = json_object_get(chunk, "error");
    if (error) {
        r->provider_error = error_message(r->arena, error);
        return 1;
    }
    take_usage(r, json_object_get(chunk, "usage"));
    const json_t *choices = json_object_get(chunk, "choices");
    if (choices && !json_is_array(choices)) {
        r->malformed = "The model provider sent choices that are not a list";
        return 1;
    }
    if (json_array_size(choices) > 0)
        return take_choice(r, json_array_get(choices, 0), part);
    return 0;
}

static int take_event(void *cls, const char *event, const char *data, size_t len)
{
    struct sb_llm_reader *r = cls;
    r->saw_event = true;
    if (strcmp(data, "[DONE]") == 0) {
        r->done = true;
        return 0;
    }
    if (strcmp(event, "error") == 0 && data[0] != '{') {
        r->provider_error = sb_arena_strndup(r->arena, data, sb_utf8_prefix(data, MESSAGE_SHOWN_BYTES));
        return 1;
    }
    json_t *chunk = json_loadb(data, len, 0, NULL);
    if (!chunk) {
        r->malformed = "The model provider sent an event whose data is not JSON";
        return 1;
    }
    int result = take_chunk(r, chunk, "delta");
    json_decref(chunk);
    return result;
}

void sb_llm_reader_init(struct sb_llm_reader *r, struct sb_arena *arena, sb_llm_text_fn on_text, void *cls)
{
    memset(r, 0, sizeof *r);
    r->arena = arena;
    r->on_text = on_text;
    r->cls = cls;
    sb_buf_init(&r->raw, arena);
    sb_sse_init(&r->sse, arena, take_event, r);
}

int sb_llm_reader_feed(struct sb_llm_reader *r, const char *data, size_t len)
{
    if (!r->saw_event && r->raw.len < RAW_KEPT_BYTES)   /* a stream needs none of it */
        sb_buf_append_n(&r->raw, data, len < RAW_KEPT_BYTES - r->raw.len ? len : RAW_KEPT_BYTES - r->raw.len);
    int stopped = sb_sse_feed(&r->sse, data, len);
    if (stopped == SB_SSE_TOO_LONG)
        r->malformed = "The model provider sent an event larger than 1 MiB";
    return stopped;
}

/* A 2xx body that was no event stream: a provider that ignored "stream" and sent the whole
 * answer as one JSON object is read as such. */
static bool take_whole_answer(struct sb_llm_reader *r)
{
    json_t *whole = r->raw.len ? json_loadb(r->raw.data, r->raw.len, 0, NULL) : NULL;
    bool ok = whole && json_array_size(json_object_get(whole, "choices")) > 0;
    if (ok && take_chunk(r, whole, "message") == 0)
        r->done = true;
    json_decref(whole);
    return ok;
}

/* The provider's own words in a non-2xx body: {"error":{"message":..}}, {"message":..}, text. */
static const char *refusal_message(struct sb_llm_reader *r)
{
    json_t *body = r->raw.len ? json_loadb(r->raw.data, r->raw.len, 0, NULL) : NULL;
    const char *message = NULL;
    if (json_is_object(body)) {
        const json_t *error = json_object_get(body, "error");
        message = error_message(r->arena, error ? error : json_object_get(body, "message"));
    }
    json_decref(body);
    if (message)
        return message;
    if (r->raw.len == 0)
        return "no message";
    return sb_arena_strndup(r->arena, r->raw.data, sb_utf8_prefix(r->raw.data, MESSAGE_SHOWN_BYTES));
}

bool sb_llm_reader_finish(struct sb_llm_reader *r, long status, struct sb_error *err)
{
    /* The provider's own words may quote the API key ("Incorrect API key provided: sk-...")
     * or an internal proxy's page: they go to details (the server's log), never to students. */
    if (status < 200 || status > 299) {
        const char *m = sb_arena_printf(r->arena, "The model provider refused the request (HTTP %ld)", status);
        return sb_error_set(err, 502, "llm_provider_error", m, refusal_message(r), NULL);
    }
    if (!r->receiver_stopped && !r->provider_error && !r->malformed)
        sb_sse_finish(&r->sse);
    if (r->provider_error)
        return sb_error_set(err, 502, "llm_provider_error", "The model provider reported an error in its answer",
                            r->provider_error, NULL);
    if (r->malformed)
        return sb_error_set(err, 502, "llm_provider_bad_stream", r->malformed, NULL, NULL);
    if (!r->saw_event && !take_whole_answer(r))
        return sb_error_set(err, 502, "llm_provider_bad_stream",
                            "The model provider's answer is neither an event stream nor a chat completion", NULL,
                            NULL);
    if (r->receiver_stopped)
        return sb_error_set(err, 499, "cancelled", "The answer was stopped: the client went away", NULL, NULL);
    if (!r->done)
        return sb_error_set(err, 502, "llm_provider_bad_stream",
                            "The model provider's stream ended before the answer did (no [DONE])", NULL, NULL);
    return true;
}

/* ---- the request ------------------------------------------------------------------------------- */

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

char *sb_llm_endpoint(struct sb_arena *arena, const char *url)
{
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    if (ends_with(url, len, "/chat/completions"))
        return sb_arena_strndup(arena, url, len);
    if (ends_with(url, len, "/v1"))
        return sb_arena_printf(arena, "%.*s/chat/completions", (int)len, url);
    return sb_arena_printf(arena, "%.*s/v1/chat/completions", (int)len, url);
}

static char *request_body(const struct sb_config *config, const json_t *messages)
{
    json_t *body = json_pack("{s:s, s:O, s:b, s:{s:b}, s:i}", "model", config->llm_model, "messages", messages,
                             "stream", 1, "stream_options", "include_usage", 1, "max_tokens", config->llm_max_tokens);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

static int feed_reader(void *cls, const char *data, size_t len)
{
    return sb_llm_reader_feed(cls, data, len);
}

/* Why a transfer that did not end normally ended. */
static bool transfer_failed(struct sb_llm_reader *r, const struct sb_llm_request *request,
                            const struct sb_fetch_response *res, int64_t elapsed_ms, long timeout_ms,
                            struct sb_error *err)
{
    if (r->receiver_stopped || (request->cancel && *request->cancel))
        return sb_error_set(err, 499, "cancelled", "The answer was stopped: the client went away", NULL, NULL);
    if (r->provider_error || r->malformed)
        return sb_llm_reader_finish(r, res->status ? res->status : 200, err);
    if (elapsed_ms >= timeout_ms - 5 || strstr(res->error, "imeout")) {
        const char *m = sb_arena_printf(r->arena, "The model provider did not finish its answer within %ld ms "
                                        "(SB_LLM_TIMEOUT_MS)", timeout_ms);
        return sb_error_set(err, 504, "llm_provider_timeout", m, NULL, NULL);
    }
    if (res->status == 0) {
        const char *m = sb_arena_printf(r->arena, "Cannot reach the model provider (SB_LLM_URL): %s", res->error);
        return sb_error_set(err, 502, "llm_provider_unreachable", m, NULL, NULL);
    }
    if (res->status < 200 || res->status > 299)
        return sb_llm_reader_finish(r, res->status, err);
    const char *m = sb_arena_printf(r->arena, "The model provider's stream broke off: %s", res->error);
    return sb_error_set(err, 502, "llm_provider_bad_stream", m, NULL, NULL);
}

bool sb_llm_complete(struct sb_arena *arena, const struct sb_config *config, const struct sb_llm_request *request,
                     struct sb_llm_usage *usage, struct sb_error *err)
{
    memset(usage, 0, sizeof *usage);
    char *body = request_body(config, request->messages);
    if (!body)
        return sb_error_set(err, 500, "internal", "Could not build the model request", NULL, NULL);
    sb_arena_defer(arena, free, body);
    const char *auth = config->llm_api_key ? sb_arena_printf(arena, "Authorization: Bearer %s", config->llm_api_key)
                                           : NULL;
    const char *headers[] = { "Content-Type: application/json", "Accept: text/event-stream", auth, NULL };
    struct sb_llm_reader r;
    sb_llm_reader_init(&r, arena, request->on_text, request->cls);
    struct sb_fetch_request fetch = {
        .method = "POST",
        .url = sb_llm_endpoint(arena, config->llm_url),
        .headers = headers,
        .body = body,
        .body_len = strlen(body),
        .timeout_ms = config->llm_timeout_ms,
        .on_data = feed_reader,
        .cls = &r,
        .cancel = request->cancel,
    };
    struct sb_fetch_response res;
    int64_t started = sb_now_ms();
    int rc = sb_fetch(arena, &fetch, &res);
    bool ok = rc == 0 ? sb_llm_reader_finish(&r, res.status, err)
                      : transfer_failed(&r, request, &res, sb_now_ms() - started, config->llm_timeout_ms, err);
    *usage = r.usage;
    return ok;
}
