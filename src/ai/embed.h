/*
 * embed: text to 384-dimension embeddings, through whichever embedder the configuration names:
 * an OpenAI-compatible /v1/embeddings provider when SB_EMBED_URL is set (embed_openai.h), else
 * the built-in lexical embedder (embed_lexical.h: no network, no model files; lexical, not
 * semantic).
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

/* The one embedding size of studybase: the seed's vector(384) columns. */
#define SB_EMBED_DIMENSIONS 384

/* Embeds texts[0..n) into out (n * SB_EMBED_DIMENSIONS floats, each vector L2-normalised).
 * A provider is called with at most config->embed_batch texts per request. Returns false with
 * err filled when the provider cannot be reached, refuses, times out after its retries, or
 * answers with another dimension (status 502 or 504, code embed_provider_*, see
 * embed_openai.h). */
bool sb_embed_texts(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                    float *out, struct sb_error *err);

/* The same with a stop flag (may be NULL): a background thread's shutdown, which ends the
 * waits between retries. */
bool sb_embed_texts_until(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                          float *out, const volatile bool *stop, struct sb_error *err);

/* True when a provider is configured (SB_EMBED_URL), false for the built-in embedder. */
bool sb_embed_uses_provider(const struct sb_config *config);

/* The most bytes of one text the worker embeds (a chat's "role: content" lines, a chunk's
 * content): providers refuse longer inputs, and the lexical embedder's memory grows with the
 * text. /functions/v1/embed refuses longer texts (SB_EMBED_ROUTE_MAX_BYTES is the same). */
#define SB_EMBED_MAX_TEXT_BYTES 32768

/* The last SB_EMBED_MAX_TEXT_BYTES bytes of text at most, starting at a UTF-8 character's
 * first byte (a pointer into text; text itself when it is short enough). The end of a chat is
 * what it is about now. */
const char *sb_embed_text_tail(const char *text);

/* A vector of SB_EMBED_DIMENSIONS floats as "[x,y,...]", the text form of both pgvector and
 * JSON; %.9g, so each float reads back as the same float. */
const char *sb_embed_vector_text(struct sb_arena *arena, const float *v);

#endif
