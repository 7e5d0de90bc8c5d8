/*
 * embed_openai: the client of an OpenAI-compatible embeddings endpoint (OpenAI, Ollama,
 * llama.cpp's server, vLLM, Hugging Face TEI), called through sb_fetch.
 *
 * One call sends one request: POST {"model", "input": [texts], "encoding_format": "float"} and,
 * unless SB_EMBED_SEND_DIMENSIONS is false, "dimensions": 384; with SB_EMBED_API_KEY as
 * Authorization: Bearer. The answer's data[i].embedding is placed by data[i].index (the
 * order of the input), must have 384 numbers, and is scaled to unit length.
 *
 * A connection error, 429 or 5xx is tried again, up to SB_EMBED_RETRIES times, after 250 ms,
 * 500 ms, 1 s, ... (at most 8 s); a 4xx other than 429, a timeout (SB_EMBED_TIMEOUT_MS, the
 * whole request) and an answer that cannot be used are not. Errors (status, code):
 *   502 embed_provider_unreachable  no answer (connection refused, DNS, reset)
 *   504 embed_provider_timeout      no whole answer within the timeout
 *   502 embed_provider_refused      4xx (the provider refused this input, key or model)
 *   502 embed_provider_error        429 or 5xx, still after the retries
 *   502 embed_provider_bad_answer   not the embeddings JSON, or not one vector per text
 *   502 embed_provider_dimensions   a vector of another size than 384
 * The message never holds the provider's own words (they may name the key or the input);
 * details does, for the log and the job's last_error.
 */
#ifndef SB_AI_EMBED_OPENAI_H
#define SB_AI_EMBED_OPENAI_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "util/arena.h"
#include "util/config.h"

/* Embeds texts[0..n) (one request, n at most config->embed_batch) into out (n * 384 floats).
 * stop, if not NULL, turning true ends the waits between retries (the call then fails). */
bool sb_embed_openai(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                     float *out, const volatile bool *stop, struct sb_error *err);

/* The URL requests go to: SB_EMBED_URL itself when it ends with "/embeddings", else that
 * with "/embeddings" appended (http://127.0.0.1:11434/v1 -> http://127.0.0.1:11434/v1/embeddings). */
const char *sb_embed_openai_url(struct sb_arena *arena, const char *configured);

#endif
