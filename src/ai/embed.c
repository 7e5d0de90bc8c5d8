/*
 * embed: the configured embedder (embed.h). For now only the built-in lexical embedder; the
 * OpenAI-compatible provider comes next (issue #13).
 */
#include "ai/embed.h"

#include "ai/embed_lexical.h"

#include <string.h>

bool sb_embed_texts(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                    float *out, struct sb_error *err)
{
    (void)arena;
    (void)config;
    (void)err;
    for (size_t i = 0; i < n; i++)
        sb_embed_lexical(texts[i], strlen(texts[i]), out + i * SB_EMBED_DIM);
    return true;
}
