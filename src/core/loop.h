/*
 * loop: one event loop per worker thread (epoll), which runs the fibers of that thread's
 * requests and resumes each when what it waits for is ready.
 *
 * What a loop watches:
 *   - file descriptors (struct sb_watch): the loop calls on_ready on its own stack when the
 *     descriptor is ready; a watch lives as long as its owner keeps it registered;
 *   - fibers that wait (sb_wait_suspend, sb_wait_fd): resumed when woken (sb_loop_wake), when
 *     their descriptor is ready, or when their deadline passes;
 *   - work posted from other threads (sb_loop_post: a job pool's finished job, a connection
 *     handed over by the listener), run on the loop's thread at its next turn.
 *
 * The waiting functions work outside fibers too: on a thread's own stack (a background
 * thread, the command line) sb_wait_fd is poll(2), so code that waits is written once.
 * Neither a loop nor its watches are shared: everything but sb_loop_post and sb_loop_wake_up
 * is called on the loop's own thread.
 */
#ifndef SB_CORE_LOOP_H
#define SB_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sb_loop;
struct sb_fiber;

struct sb_watch {
    int fd;
    uint32_t events;                                           /* EPOLLIN, EPOLLOUT: as registered */
    void (*on_ready)(struct sb_watch *watch, uint32_t events);  /* runs on the loop's stack */
};

/* A new loop; NULL if epoll or eventfd failed. The thread that runs it (sb_loop_start,
 * sb_loop_turn) becomes its thread. */
struct sb_loop *sb_loop_new(void);
/* Frees it; every watch must have been removed and no fiber may wait on it. */
void sb_loop_free(struct sb_loop *loop);
/* The loop the calling thread runs, or NULL. */
struct sb_loop *sb_loop_current(void);

int sb_loop_watch(struct sb_loop *loop, struct sb_watch *watch, uint32_t events);
int sb_loop_rewatch(struct sb_loop *loop, struct sb_watch *watch, uint32_t events);
void sb_loop_unwatch(struct sb_loop *loop, struct sb_watch *watch);

/* Runs fiber (just made with sb_fiber_new, on this loop's thread) until it first waits or
 * ends. True when it ended. */
bool sb_loop_start(struct sb_loop *loop, struct sb_fiber *fiber);

/* One turn: waits at most timeout_ms (-1: no limit) for descriptors, deadlines or posts, and
 * runs what became ready. Returns how many fibers were resumed. */
int sb_loop_turn(struct sb_loop *loop, int timeout_ms);

/* From any thread: run fn(arg) on loop's thread at its next turn (wakes the loop). */
void sb_loop_post(struct sb_loop *loop, void (*fn)(void *arg), void *arg);
/* From any thread: makes a loop waiting in sb_loop_turn return. */
void sb_loop_wake_up(struct sb_loop *loop);

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t sb_now_ms(void);

enum sb_wait_result {
    SB_WAIT_READY,      /* woken, or the descriptor is ready */
    SB_WAIT_TIMEOUT,    /* the deadline passed first */
    SB_WAIT_FAILED,     /* the descriptor could not be watched (poll or epoll refused it) */
};

/* Waits until fd is ready for events (EPOLLIN/EPOLLOUT; POLLIN/POLLOUT have the same values)
 * or deadline_ms (sb_now_ms() time; -1: none) passes. In a fiber on a loop thread it yields;
 * elsewhere it blocks in poll(2). */
enum sb_wait_result sb_wait_fd(int fd, uint32_t events, int64_t deadline_ms);

/* In a fiber on a loop thread: yields until sb_loop_wake(this fiber) or the deadline. */
enum sb_wait_result sb_wait_suspend(int64_t deadline_ms);

/* On the loop's thread: resumes fiber (waiting in sb_wait_suspend) at the loop's next turn.
 * Waking a fiber that is not waiting, or already woken, does nothing. */
void sb_loop_wake(struct sb_fiber *fiber);

#endif
