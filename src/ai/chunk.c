/*
 * chunk: pages of text to chunks of ~500 estimated tokens (chunk.h says how).
 *
 * A page is first read into words (byte ranges, each with its estimated cost in tenths of a
 * token and whether a blank line precedes it); chunks are then ranges of words, and a chunk's
 * content is the page's bytes from its first word's start to its last word's end, tidied.
 */
#include "ai/chunk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TENTHS_PER_WORD 13                       /* 1.3 tokens */
#define BUDGET (SB_CHUNK_TOKENS * 10)            /* in tenths of a token */
#define OVERLAP (SB_CHUNK_OVERLAP_TOKENS * 10)

struct word {
    size_t start, end;      /* bytes of the page */
    int cost;               /* tenths of a token */
    bool starts_paragraph;  /* a blank line (or a form feed) comes before it */
};

struct words {
    struct word *items;
    size_t n, cap;
};

struct chunks {
    struct sb_chunk *items;
    size_t n, cap;
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c < 0x20 || c == 0x7f;
}

static bool is_continuation_byte(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static int cost_of(size_t chars)
{
    size_t by_chars = (chars * 10 + 3) / 4;
    return by_chars > TENTHS_PER_WORD ? (int)by_chars : TENTHS_PER_WORD;
}

static void push_word(struct words *w, size_t start, size_t end, size_t chars, bool starts_paragraph)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 1024;
        w->items = realloc(w->items, w->cap * sizeof *w->items);
        if (!w->items)
            abort(); /* as the arena does when memory runs out */
    }
    w->items[w->n++] = (struct word){ start, end, cost_of(chars), starts_paragraph };
}

/* Adds the word text[start..end), cut into pieces of at most SB_CHUNK_MAX_WORD_CHARS
 * characters (at character boundaries). */
static void add_word(struct words *w, const char *text, size_t start, size_t end, bool starts_paragraph)
{
    size_t piece = start, chars = 0;
    for (size_t i = start; i < end; i++) {
        if (is_continuation_byte((unsigned char)text[i]))
            continue;
        if (chars == SB_CHUNK_MAX_WORD_CHARS) {
            push_word(w, piece, i, chars, starts_paragraph);
            starts_paragraph = false;
            piece = i;
            chars = 0;
        }
        chars++;
    }
    push_word(w, piece, end, chars, starts_paragraph);
}

/* Reads a page into words; a run of white space with two line breaks or a form feed in it
 * starts a paragraph. */
static void read_words(struct words *w, const char *text, size_t len)
{
    w->n = 0;
    size_t i = 0;
    bool paragraph = true;
    while (i < len) {
        int newlines = 0;
        while (i < len && is_space((unsigned char)text[i])) {
            if (text[i] == '\n')
                newlines++;
            else if (text[i] == '\f')
                newlines += 2;
            i++;
        }
        if (newlines >= 2)
            paragraph = true;
        size_t start = i;
        while (i < len && !is_space((unsigned char)text[i]))
            i++;
        if (i > start) {
            add_word(w, text, start, i, paragraph);
            paragraph = false;
        }
    }
}

/* The page's bytes from..to with each run of white space made one blank line, one line break
 * or one space (see chunk.h). */
static char *tidy(struct sb_arena *arena, const char *text, size_t from, size_t to, size_t *out_len)
{
    char *out = sb_arena_alloc(arena, to - from + 1);
    size_t n = 0, i = from;
    while (i < to) {
        if (!is_space((unsigned char)text[i])) {
            out[n++] = text[i++];
            continue;
        }
        int newlines = 0;
        while (i < to && is_space((unsigned char)text[i])) {
            newlines += text[i] == '\n' ? 1 : text[i] == '\f' ? 2 : 0;
            i++;
        }
        if (newlines >= 2) {
            out[n++] = '\n';
            out[n++] = '\n';
        } else {
            out[n++] = newlines == 1 ? '\n' : ' ';
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

static void emit(struct sb_arena *arena, struct chunks *c, const char *text, const struct words *w, size_t first,
                 size_t end, int page)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = realloc(c->items, c->cap * sizeof *c->items);
        if (!c->items)
            abort();
    }
    struct sb_chunk *chunk = &c->items[c->n];
    chunk->page = page;
    chunk->position = (int)c->n;
    chunk->content = tidy(arena, text, w->items[first].start, w->items[end - 1].end, &chunk->len);
    c->n++;
}

/* Where the chunk after words[start..end) starts: back from end by about OVERLAP tenths of a
 * token, always after start (so every chunk moves on). */
static size_t overlap_start(const struct words *w, size_t start, size_t end)
{
    size_t i = end;
    int cost = 0;
    while (i > start + 1 && cost + w->items[i - 1].cost <= OVERLAP) {
        cost += w->items[i - 1].cost;
        i--;
    }
    return i;
}

/* Cuts one page's words into chunks. */
static void chunk_page(struct sb_arena *arena, struct chunks *c, const char *text, const struct words *w, int page)
{
    size_t start = 0;
    while (start < w->n) {
        size_t end = start, brk = 0;
        int cost = 0, cost_before_brk = 0;
        while (end < w->n && (end == start || cost + w->items[end].cost <= BUDGET)) {
            if (end > start && w->items[end].starts_paragraph) {
                brk = end;
                cost_before_brk = cost;
            }
            cost += w->items[end].cost;
            end++;
        }
        size_t next;
        if (end == w->n) {
            next = end;
        } else if (brk > start && cost_before_brk * 2 >= BUDGET) {
            end = brk;      /* end at the paragraph break: the next chunk starts with a paragraph */
            next = brk;
        } else {
            next = overlap_start(w, start, end);
        }
        emit(arena, c, text, w, start, end, page);
        start = next;
    }
}

size_t sb_chunk_pages(struct sb_arena *arena, const struct sb_text_page *pages, size_t npages, struct sb_chunk **out)
{
    struct words w = { 0 };
    struct chunks c = { 0 };
    for (size_t p = 0; p < npages; p++) {
        read_words(&w, pages[p].text, pages[p].len);
        chunk_page(arena, &c, pages[p].text, &w, pages[p].number);
    }
    free(w.items);
    *out = NULL;
    if (c.n > 0) {
        *out = sb_arena_alloc(arena, c.n * sizeof **out);
        memcpy(*out, c.items, c.n * sizeof **out);
    }
    free(c.items);
    return c.n;
}

size_t sb_chunk_estimate_tokens(const char *text, size_t len)
{
    struct words w = { 0 };
    read_words(&w, text, len);
    size_t tenths = 0;
    for (size_t i = 0; i < w.n; i++)
        tenths += (size_t)w.items[i].cost;
    free(w.items);
    return (tenths + 9) / 10;
}
