/*
 * arena: a per-request memory pool. Everything a handler allocates comes from the request's
 * arena and is freed at once when the request ends, so handlers never free piece by piece.
 *
 * Cleanups registered with sb_arena_defer run (last registered first) when the arena is
 * freed: use them for things that are not memory, such as a PGresult or a temporary file.
 * An arena is used by one thread at a time.
 */
#ifndef SB_UTIL_ARENA_H
#define SB_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct sb_arena;

struct sb_arena *sb_arena_new(void);
void sb_arena_free(struct sb_arena *arena);

/* Never returns NULL: running out of memory aborts the process (as malloc failure would
 * leave no sane way to answer anyway). Memory is zeroed and aligned for any type. */
void *sb_arena_alloc(struct sb_arena *arena, size_t size);
char *sb_arena_strdup(struct sb_arena *arena, const char *s);
char *sb_arena_strndup(struct sb_arena *arena, const char *s, size_t n);
char *sb_arena_printf(struct sb_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *sb_arena_vprintf(struct sb_arena *arena, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void sb_arena_defer(struct sb_arena *arena, void (*cleanup)(void *), void *data);

/* Bytes handed out so far (for tests and limits). */
size_t sb_arena_used(const struct sb_arena *arena);

#endif
