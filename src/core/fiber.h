/*
 * fiber: stackful coroutines, so that a request's code can wait (for PostgreSQL, for a job on
 * the pool, for another server) without blocking the thread that runs it.
 *
 * A fiber runs a function on a stack of its own. sb_fiber_resume switches into it; inside,
 * sb_fiber_yield switches back to whoever resumed it, and the next sb_fiber_resume continues
 * after that yield. A fiber belongs to the thread that created it and is only ever resumed on
 * that thread. When its function returns the fiber is finished: sb_fiber_resume returns true
 * and the fiber is gone (its stack goes back to the thread's free list for the next fiber).
 *
 * Who decides when a yielded fiber runs again is not this module's business: src/core/loop.c
 * resumes fibers when what they wait for is ready. Code that may run either in a fiber or on
 * a thread's own stack asks sb_fiber_current() (NULL on a thread's own stack) and blocks in
 * the ordinary way when it is not in a fiber.
 *
 * Stacks are 256 KiB of mapped memory with a guard page below (only touched pages become
 * resident); an overflow faults instead of corrupting memory.
 */
#ifndef SB_CORE_FIBER_H
#define SB_CORE_FIBER_H

#include <stdbool.h>

struct sb_fiber;

/* A new fiber that will run fn(arg) when first resumed; NULL if no stack could be mapped. */
struct sb_fiber *sb_fiber_new(void (*fn)(void *arg), void *arg);

/* Runs fiber until it yields (returns false) or finishes (returns true: the fiber is freed and
 * must not be used again). Must not be called from inside the fiber itself. */
bool sb_fiber_resume(struct sb_fiber *fiber);

/* From inside a fiber: back to the code that resumed it. */
void sb_fiber_yield(void);

/* The fiber running on this thread, or NULL on the thread's own stack. */
struct sb_fiber *sb_fiber_current(void);

/* Pointers of the fiber's own, one per module that keeps state for the code running in it.
 * Each starts NULL in a new fiber. */
enum sb_fiber_slot {
    SB_FIBER_SLOT_LOOP,   /* src/core/loop.c: what the fiber waits for */
    SB_FIBER_SLOT_DB,     /* src/db/conn.c: the connection an explicit transaction holds */
    SB_FIBER_SLOTS
};
void **sb_fiber_slot(struct sb_fiber *fiber, enum sb_fiber_slot which);

/* Frees the calling thread's cached stacks (a thread that ends calls it). */
void sb_fiber_release_cache(void);

#endif
