/*
 * embed_route: POST /functions/v1/embed — embeddings for clients, from the configured embedder
 * (embed.h), callable as supabase.functions.invoke('embed', { body: { input } }).
 *
 *   {"input": "text"}           -> {"embedding": [384 numbers]}
 *   {"input": ["a", "b", ...]}  -> {"embeddings": [[384 numbers], [...]]}, in the input's order
 *
 * The caller needs a signed-in user's token (401 sign_in_required for the anon key alone) or
 * the service_role key; a user embeds at most SB_EMBED_MAX_TEXTS_PER_HOUR texts an hour (429
 * over_text_limit with Retry-After; db/platform/009_embed_usage.sql). Refusals are 400 invalid_input:
 * no input, an input that is not a string or an array of strings, an empty (or blank) text,
 * more than SB_EMBED_ROUTE_MAX_INPUTS texts, a text longer than SB_EMBED_ROUTE_MAX_BYTES bytes.
 * A provider that fails answers 502 (504 for a timeout) with its code (embed_openai.h).
 */
#ifndef SB_AI_EMBED_ROUTE_H
#define SB_AI_EMBED_ROUTE_H

#include "ai/embed.h"   /* SB_EMBED_MAX_TEXT_BYTES */

#define SB_EMBED_ROUTE_MAX_INPUTS 256
#define SB_EMBED_ROUTE_MAX_BYTES SB_EMBED_MAX_TEXT_BYTES

/* Adds the route (called by sb_functions_register). */
void sb_ai_embed_routes(void);

#endif
