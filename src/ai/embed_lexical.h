/*
 * embed_lexical: the built-in embedder, which needs no network and no model files. It is
 * LEXICAL, not semantic: texts that share words (after a light stemming), word pairs and
 * character trigrams come out close; synonyms and paraphrases with other words do not.
 *
 * A text becomes 384 floats (the seed's embedding size): each feature — a stemmed word, a pair
 * of neighbouring words, a character trigram of a word — is hashed (64-bit FNV-1a, with its
 * kind as a prefix) to a dimension and a sign; its weight is its kind's weight times
 * 1 + ln(count) (sublinear); the vector is scaled to length 1, so cosine distance is what to
 * search with. The same text always gives the same vector, on any machine.
 */
#ifndef SB_AI_EMBED_LEXICAL_H
#define SB_AI_EMBED_LEXICAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ai/embed.h"   /* SB_EMBED_DIMENSIONS */

/* Fills out with text's embedding (len bytes of UTF-8). Returns the number of words used;
 * 0 means the text has no word (out is all zeros then, which cosine search cannot rank). */
int sb_embed_lexical(const char *text, size_t len, float out[SB_EMBED_DIMENSIONS]);

/* Whether c is part of a word: an ASCII letter or digit, or any byte of a UTF-8 character
 * beyond ASCII (so non-Latin words stay whole). */
bool sb_embed_is_word_byte(unsigned char c);

#endif
