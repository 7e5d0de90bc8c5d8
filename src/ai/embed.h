/*
 * embed: text to 384-dimension embeddings, through whichever embedder the configuration names:
 * an OpenAI-compatible /v1/embeddings provider when SB_EMBED_URL is set, else the built-in
 * lexical embedder (embed_lexical.h: no network, no model files; lexical, not semantic).
 *
 * Callable from a request's fiber (a provider call waits on the worker's loop, never blocking
 * it) and from a background thread (the same call blocks that thread).
 */
#ifndef SB_AI_EMBED_H
#define SB_AI_EMBED_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "util/arena.h"
#include "util/config.h"

#define SB_EMBED_DIM 384

/* Embeds texts[0..n) into out (n * SB_EMBED_DIM floats, each vector L2-normalised). Returns
 * false with err filled (a provider that cannot be reached, refuses, times out after its
 * retries, or answers with another dimension: status 502 or 504, code embed_provider_*). */
bool sb_embed_texts(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                    float *out, struct sb_error *err);

#endif
