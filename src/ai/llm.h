/*
 * llm: a streamed chat completion from an OpenAI-compatible provider (POST .../v1/chat/completions
 * with "stream": true: OpenAI, Ollama, llama.cpp's server, vLLM), as the configuration names it
 * (SB_LLM_URL, SB_LLM_MODEL, SB_LLM_API_KEY, SB_LLM_TIMEOUT_MS).
 *
 * The answer's text is handed over piece by piece as the provider's server-sent events arrive
 * (data: {"choices":[{"delta":{"content":"..."}}]} ... data: [DONE]), through core/fetch.h, so
 * a request's fiber waits on its worker's loop and never blocks it. Everything that is not a
 * complete answer is an error: the provider cannot be reached (502 llm_provider_unreachable),
 * answers non-2xx or sends an error event (502 llm_provider_error, with the provider's own
 * message), does not finish in time (504 llm_provider_timeout), sends something that is not
 * such a stream or stops before its end (502 llm_provider_bad_stream); a caller that stops the
 * call (the client went away) gets 499 cancelled.
 */
#ifndef SB_AI_LLM_H
#define SB_AI_LLM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ai/sse.h"
#include "base/error.h"
#include "util/arena.h"
#include "util/config.h"

struct sb_llm_usage {
    bool reported;              /* the provider sent a usage object */
    long prompt_tokens, completion_tokens, total_tokens;
};

/* Receives each piece of the answer's text; non-zero stops the call. */
typedef int (*sb_llm_text_fn)(void *cls, const char *text, size_t len);

struct sb_llm_request {
    const json_t *messages;     /* [{role, content}...], roles system/user/assistant */
    const volatile bool *cancel;  /* may be NULL; true stops the call (fetch.h) */
    sb_llm_text_fn on_text;
    void *cls;
};

/* Runs the completion; false with err filled (see above). usage is filled when the provider
 * reported it (stream_options.include_usage is asked for). */
bool sb_llm_complete(struct sb_arena *arena, const struct sb_config *config, const struct sb_llm_request *request,
                     struct sb_llm_usage *usage, struct sb_error *err);

/* The chat-completions endpoint of a configured URL: used as is when it ends in
 * /chat/completions, else /chat/completions is added to a URL ending in /v1 and
 * /v1/chat/completions to any other. */
char *sb_llm_endpoint(struct sb_arena *arena, const char *url);

/* ---- the provider's stream, read piece by piece (what sb_llm_complete feeds; for tests) ---- */

struct sb_llm_reader {
    struct sb_sse_parser sse;
    struct sb_arena *arena;
    sb_llm_text_fn on_text;
    void *cls;
    bool done;                  /* [DONE], or a choice's finish_reason */
    bool receiver_stopped;      /* on_text asked to stop */
    bool saw_event;
    struct sb_llm_usage usage;
    const char *provider_error; /* an error event's message */
    const char *malformed;      /* why the stream is not a chat-completions stream */
    struct sb_buf raw;          /* the first bytes, for a body that is not a stream */
};

void sb_llm_reader_init(struct sb_llm_reader *r, struct sb_arena *arena, sb_llm_text_fn on_text, void *cls);
/* Reads len more bytes; non-zero once the reader stopped (error, or the receiver stopped). */
int sb_llm_reader_feed(struct sb_llm_reader *r, const char *data, size_t len);
/* After the transfer ended with HTTP status: true for a complete answer, else err filled. */
bool sb_llm_reader_finish(struct sb_llm_reader *r, long status, struct sb_error *err);

#endif
