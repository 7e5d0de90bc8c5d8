/*
 * embed: the configured embedder (embed.h): the provider in batches of SB_EMBED_BATCH texts,
 * or the built-in lexical embedder.
 */
#include "ai/embed.h"

#include "ai/embed_lexical.h"
#include "ai/embed_openai.h"
#include "core/jobs.h"
#include "util/buf.h"

#include <string.h>

bool sb_embed_uses_provider(const struct sb_config *config)
{
    return config->embed_url != NULL;
}

/* Above this many bytes in one call, the lexical embedder runs on the job pool: a request's
 * fiber waits for it while its loop serves other requests (256 texts of 32 KiB take a while). */
#define LEXICAL_INLINE_MAX_BYTES (64 * 1024)

struct lexical_work {
    const char *const *texts;
    size_t n;
    float *out;
};

static void embed_lexically(void *arg)
{
    struct lexical_work *work = arg;
    for (size_t i = 0; i < work->n; i++)
        sb_embed_lexical(work->texts[i], strlen(work->texts[i]), work->out + i * SB_EMBED_DIMENSIONS);
}

static void embed_lexically_off_the_loop_if_large(const char *const *texts, size_t n, float *out)
{
    struct lexical_work work = { texts, n, out };
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += strlen(texts[i]);
    if (bytes > LEXICAL_INLINE_MAX_BYTES)
        sb_jobs_run(embed_lexically, &work);
    else
        embed_lexically(&work);
}

bool sb_embed_texts_until(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                          float *out, const volatile bool *stop, struct sb_error *err)
{
    if (!sb_embed_uses_provider(config)) {
        embed_lexically_off_the_loop_if_large(texts, n, out);
        return true;
    }
    size_t batch = config->embed_batch > 0 ? (size_t)config->embed_batch : 1;
    for (size_t at = 0; at < n; at += batch) {
        size_t count = n - at < batch ? n - at : batch;
        if (!sb_embed_openai(arena, config, texts + at, count, out + at * SB_EMBED_DIMENSIONS, stop, err))
            return false;
    }
    return true;
}

bool sb_embed_texts(struct sb_arena *arena, const struct sb_config *config, const char *const *texts, size_t n,
                    float *out, struct sb_error *err)
{
    return sb_embed_texts_until(arena, config, texts, n, out, NULL, err);
}

const char *sb_embed_text_tail(const char *text)
{
    size_t len = strlen(text);
    if (len <= SB_EMBED_MAX_TEXT_BYTES)
        return text;
    const char *start = text + len - SB_EMBED_MAX_TEXT_BYTES;
    while (*start && ((unsigned char)*start & 0xC0) == 0x80)   /* a continuation byte: skip to the next character */
        start++;
    return start;
}

const char *sb_embed_vector_text(struct sb_arena *arena, const float *v)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append_char(&b, '[');
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        sb_buf_append(&b, sb_arena_printf(arena, d ? ",%.9g" : "%.9g", v[d]));
    sb_buf_append_char(&b, ']');
    return b.data;
}
