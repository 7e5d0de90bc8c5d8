/*
 * embed_lexical: words, a light English stemmer, feature hashing, sublinear weights.
 *
 * Words are runs of ASCII letters and digits and of bytes of multi-byte UTF-8 characters
 * (so accented and non-Latin words stay whole), ASCII lower-cased, at most WORD_MAX bytes.
 * Common English words are left out unless the text has nothing else. Each feature's count is
 * kept in a small open-addressing table keyed by its 64-bit hash, then each adds
 * sign * kind weight * (1 + ln count) to its dimension.
 */
#include "ai/embed_lexical.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 48
#define WORD_WEIGHT 1.0f
#define PAIR_WEIGHT 0.5f
#define TRIGRAM_WEIGHT 0.25f

struct word {
    char text[WORD_MAX + 1];
    size_t len;
    bool common;
};

struct feature {
    uint64_t hash;     /* 0: free */
    float weight;
    int count;
};

struct counts {
    struct feature *slots;
    size_t capacity, used;
};

static const char *const common_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "do", "does", "for", "from", "had", "has",
    "have", "he", "her", "his", "i", "if", "in", "into", "is", "it", "its", "me", "my", "not", "of", "on", "or",
    "our", "she", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to",
    "was", "we", "were", "what", "when", "which", "who", "will", "with", "you", "your",
};

static bool is_common(const char *w)
{
    for (size_t i = 0; i < sizeof common_words / sizeof common_words[0]; i++)
        if (strcmp(common_words[i], w) == 0)
            return true;
    return false;
}

static bool ends_with(const struct word *w, const char *suffix)
{
    size_t n = strlen(suffix);
    return w->len >= n && memcmp(w->text + w->len - n, suffix, n) == 0;
}

static void cut(struct word *w, size_t n, const char *replacement)
{
    w->len -= n;
    size_t r = strlen(replacement);
    memcpy(w->text + w->len, replacement, r);
    w->len += r;
    w->text[w->len] = '\0';
}

/* studies -> study, classes -> class, notes -> note, learning -> learn, derived -> deriv,
 * quickly -> quick: only plural, -ing, -ed and -ly, and never below three letters. */
static void stem(struct word *w)
{
    if (w->len > 4 && ends_with(w, "ies"))
        cut(w, 3, "y");
    else if (ends_with(w, "sses"))
        cut(w, 2, "");
    else if (w->len > 3 && ends_with(w, "s") && !ends_with(w, "ss") && !ends_with(w, "us"))
        cut(w, 1, "");
    if (w->len > 5 && ends_with(w, "ing"))
        cut(w, 3, "");
    else if (w->len > 4 && ends_with(w, "ed"))
        cut(w, 2, "");
    else if (w->len > 5 && ends_with(w, "ly"))
        cut(w, 2, "");
}

bool sb_embed_is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* The text's words, stemmed; *count of them (the caller frees the array). */
static struct word *split_words(const char *text, size_t len, size_t *count)
{
    struct word *words = malloc(sizeof *words * (len / 2 + 1));
    *count = 0;
    if (!words)
        return NULL;
    for (size_t i = 0; i < len;) {
        if (!sb_embed_is_word_byte((unsigned char)text[i])) {
            i++;
            continue;
        }
        struct word *w = &words[(*count)++];
        w->len = 0;
        for (; i < len && sb_embed_is_word_byte((unsigned char)text[i]); i++)
            if (w->len < WORD_MAX) {
                char c = text[i];
                w->text[w->len++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
            }
        w->text[w->len] = '\0';
        w->common = is_common(w->text);
        stem(w);
    }
    return words;
}

/* ---- counting features -------------------------------------------------------------------- */

static uint64_t hash_feature(char kind, const char *text, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    h = (h ^ (unsigned char)kind) * 1099511628211ULL;
    h = (h ^ ':') * 1099511628211ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static bool grow(struct counts *c)
{
    size_t capacity = c->capacity ? c->capacity * 2 : 256;
    struct feature *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < c->capacity; i++) {
        if (!c->slots[i].hash)
            continue;
        size_t j = c->slots[i].hash & (capacity - 1);
        while (slots[j].hash)
            j = (j + 1) & (capacity - 1);
        slots[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = slots;
    c->capacity = capacity;
    return true;
}

static void count_feature(struct counts *c, uint64_t hash, float weight)
{
    if ((c->used + 1) * 10 > c->capacity * 7 && !grow(c))
        return;
    size_t j = hash & (c->capacity - 1);
    while (c->slots[j].hash && c->slots[j].hash != hash)
        j = (j + 1) & (c->capacity - 1);
    if (!c->slots[j].hash) {
        c->slots[j] = (struct feature){ hash, weight, 0 };
        c->used++;
    }
    c->slots[j].count++;
}

/* The word, its pair with the previous kept word, and the trigrams of "<word>". */
static void count_word(struct counts *c, const struct word *w, const struct word *previous)
{
    count_feature(c, hash_feature('w', w->text, w->len), WORD_WEIGHT);
    if (previous) {
        char pair[2 * WORD_MAX + 2];
        size_t n = previous->len;
        memcpy(pair, previous->text, n);
        pair[n++] = ' ';
        memcpy(pair + n, w->text, w->len);
        n += w->len;
        count_feature(c, hash_feature('p', pair, n), PAIR_WEIGHT);
    }
    char padded[WORD_MAX + 3];
    padded[0] = '<';
    memcpy(padded + 1, w->text, w->len);
    padded[w->len + 1] = '>';
    for (size_t i = 0; i + 3 <= w->len + 2; i++)
        count_feature(c, hash_feature('t', padded + i, 3), TRIGRAM_WEIGHT);
}

static void place_features(const struct counts *c, float out[SB_EMBED_DIMENSIONS])
{
    double sum = 0;
    for (size_t i = 0; i < c->capacity; i++) {
        const struct feature *f = &c->slots[i];
        if (!f->hash)
            continue;
        float value = f->weight * (1.0f + logf((float)f->count));
        out[f->hash % SB_EMBED_DIMENSIONS] += (f->hash >> 40) & 1 ? -value : value;
    }
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        sum += (double)out[d] * out[d];
    if (sum <= 0)
        return;
    float scale = (float)(1.0 / sqrt(sum));
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        out[d] *= scale;
}

int sb_embed_lexical(const char *text, size_t len, float out[SB_EMBED_DIMENSIONS])
{
    memset(out, 0, sizeof(float) * SB_EMBED_DIMENSIONS);
    size_t count;
    struct word *words = split_words(text, len, &count);
    if (!words)
        return 0;
    bool any_uncommon = false;
    for (size_t i = 0; i < count; i++)
        any_uncommon |= !words[i].common;
    struct counts c = { 0 };
    int used = 0;
    const struct word *previous = NULL;
    for (size_t i = 0; i < count; i++) {
        if (any_uncommon && words[i].common)
            continue;   /* common words count only in a text made of nothing else */
        count_word(&c, &words[i], previous);
        previous = &words[i];
        used++;
    }
    place_features(&c, out);
    free(c.slots);
    free(words);
    return used;
}
