/*
 * redact: hides what looks like a secret in a provider's words before they are logged or
 * stored (an OpenAI 401 says "Incorrect API key provided: sk-...abcd"). Used for the embedding
 * and model providers' error details.
 */
#ifndef SB_AI_REDACT_H
#define SB_AI_REDACT_H

#include "util/arena.h"

/* text (NULL gives NULL) with each key-like part replaced by "[redacted]": a word starting
 * "sk-" (with any '*' masking in it), what follows "Bearer " up to white space, and any run
 * of 20 or more of [A-Za-z0-9_-]. The rest is kept as it was. Lives in arena. */
const char *sb_ai_redact(struct sb_arena *arena, const char *text);

#endif
