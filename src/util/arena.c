/*
 * arena: blocks chained in a list; small requests are carved from the current block, large
 * ones get a block of their own.
 */
#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE 8192
#define ARENA_ALIGN 16

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*run)(void *);
    void *data;
};

struct sb_arena {
    struct block *blocks;
    struct cleanup *cleanups;
    size_t handed_out;
};

static void *must_allocate(size_t size)
{
    void *p = malloc(size);
    if (!p) {
        fputs("studybase: out of memory\n", stderr);
        abort();
    }
    return p;
}

static struct block *new_block(size_t size)
{
    struct block *b = must_allocate(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct sb_arena *sb_arena_new(void)
{
    struct sb_arena *arena = must_allocate(sizeof *arena);
    arena->blocks = new_block(ARENA_BLOCK_SIZE);
    arena->cleanups = NULL;
    arena->handed_out = 0;
    return arena;
}

void sb_arena_free(struct sb_arena *arena)
{
    if (!arena)
        return;
    for (struct cleanup *c = arena->cleanups; c; c = c->next)
        c->run(c->data);
    for (struct block *b = arena->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(arena);
}

void *sb_arena_alloc(struct sb_arena *arena, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    struct block *b = arena->blocks;
    if (rounded > b->size - b->used) {
        if (rounded > ARENA_BLOCK_SIZE / 4) {
            /* A large piece gets its own block, behind the current one. */
            struct block *own = new_block(rounded);
            own->used = rounded;
            own->next = b->next;
            b->next = own;
            arena->handed_out += rounded;
            memset(own->data, 0, rounded);
            return own->data;
        }
        b = new_block(ARENA_BLOCK_SIZE);
        b->next = arena->blocks;
        arena->blocks = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    arena->handed_out += rounded;
    memset(p, 0, rounded);
    return p;
}

char *sb_arena_strndup(struct sb_arena *arena, const char *s, size_t n)
{
    char *copy = sb_arena_alloc(arena, n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *sb_arena_strdup(struct sb_arena *arena, const char *s)
{
    return s ? sb_arena_strndup(arena, s, strlen(s)) : NULL;
}

char *sb_arena_vprintf(struct sb_arena *arena, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0)
        n = 0;
    char *out = sb_arena_alloc(arena, (size_t)n + 1);
    if ((size_t)n < sizeof small)
        memcpy(out, small, (size_t)n + 1);
    else
        vsnprintf(out, (size_t)n + 1, fmt, again);
    va_end(again);
    return out;
}

char *sb_arena_printf(struct sb_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = sb_arena_vprintf(arena, fmt, ap);
    va_end(ap);
    return out;
}

void sb_arena_defer(struct sb_arena *arena, void (*cleanup)(void *), void *data)
{
    struct cleanup *c = sb_arena_alloc(arena, sizeof *c);
    c->run = cleanup;
    c->data = data;
    c->next = arena->cleanups;
    arena->cleanups = c;
}

size_t sb_arena_used(const struct sb_arena *arena)
{
    return arena->handed_out;
}
