/*
 * chunk: a material's text, page by page, cut into chunks of about SB_CHUNK_TOKENS tokens for
 * retrieval (material_chunks rows). Pure: no I/O, no database.
 *
 * A chunk never spans two pages (each chunk names its page). Within a page, whole paragraphs
 * (text between blank lines) are packed together while they fit; a chunk ends at a paragraph
 * break when that leaves it at least half full, otherwise inside a paragraph, and then the
 * next chunk starts with the last ~SB_CHUNK_OVERLAP_TOKENS tokens of this one, so a sentence
 * cut in two is whole in one of them.
 *
 * Tokens are estimated, not counted with a model's tokenizer: a word (a run of characters
 * between white space) counts 1.3 tokens, or a quarter token per character when that is more
 * (long words, numbers, URLs, text without spaces); a word of more than SB_CHUNK_MAX_WORD_CHARS
 * characters is cut into pieces of that size. 500 tokens is then about 385 ordinary words.
 *
 * A chunk's content is its part of the page with white space tidied: a run holding a blank line
 * becomes one blank line, a run holding a line break one line break, any other run one space;
 * control characters count as spaces. The page text must be valid UTF-8 (extract.c makes it so).
 * Everything returned lives in the arena.
 */
#ifndef SB_AI_CHUNK_H
#define SB_AI_CHUNK_H

#include <stddef.h>

#include "util/arena.h"

#define SB_CHUNK_TOKENS 500
#define SB_CHUNK_OVERLAP_TOKENS 50
#define SB_CHUNK_MAX_WORD_CHARS 1000

/* One page of extracted text. number is 1-based; 0 for a file without pages (text, Markdown). */
struct sb_text_page {
    int number;
    const char *text;
    size_t len;
};

/* One chunk: page as in sb_text_page (0: none, stored as NULL), position = order within the
 * material (0, 1, 2, ...), content NUL-terminated. */
struct sb_chunk {
    int page;
    int position;
    const char *content;
    size_t len;
};

/* Cuts pages[0..npages) into chunks; sets *out (NULL when there are none) and returns how many.
 * Pages without words give no chunk. */
size_t sb_chunk_pages(struct sb_arena *arena, const struct sb_text_page *pages, size_t npages, struct sb_chunk **out);

/* The estimate above for text[0..len), in tokens (rounded up). */
size_t sb_chunk_estimate_tokens(const char *text, size_t len);

#endif
