/*
 * loop: epoll, a queue of fibers ready to run, the fibers waiting with a deadline, and a
 * mailbox (mutex + eventfd) for work posted from other threads.
 *
 * A waiting fiber keeps its wait state (struct waiter) on its own stack and a pointer to it in
 * its loop slot; the ready queue and the deadline list link those states, so waiting
 * allocates nothing. Deadlines are few (a fiber waiting for a pooled connection, a connect in
 * progress), so they are a plain list searched at each turn.
 */
#include "core/loop.h"

#include "core/fiber.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_PER_TURN 64

struct waiter {
    struct sb_fiber *fiber;
    struct sb_loop *loop;
    int64_t deadline_ms;          /* -1: none */
    bool queued;                  /* on the ready queue already */
    bool timed_out;
    struct waiter *next_ready;
    struct waiter *prev_timed, *next_timed;
};

struct post {
    void (*fn)(void *arg);
    void *arg;
    struct post *next;
};

struct sb_loop {
    int epoll_fd;
    struct sb_watch mailbox_watch;   /* the eventfd */
    pthread_mutex_t mailbox_lock;
    struct post *posts_head, *posts_tail;
    struct waiter *ready_head, *ready_tail;
    struct waiter *timed;            /* fibers waiting with a deadline */
    int resumed;                     /* fibers resumed in the current turn */
};

static __thread struct sb_loop *thread_loop;

int64_t sb_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

struct sb_loop *sb_loop_current(void)
{
    return thread_loop;
}

/* ---- descriptors --------------------------------------------------------------------------- */

int sb_loop_watch(struct sb_loop *loop, struct sb_watch *watch, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = watch };
    watch->events = events;
    return epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, watch->fd, &ev);
}

int sb_loop_rewatch(struct sb_loop *loop, struct sb_watch *watch, uint32_t events)
{
    if (watch->events == events)
        return 0;
    struct epoll_event ev = { .events = events, .data.ptr = watch };
    watch->events = events;
    return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, watch->fd, &ev);
}

void sb_loop_unwatch(struct sb_loop *loop, struct sb_watch *watch)
{
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, watch->fd, NULL);
}

/* ---- the mailbox ---------------------------------------------------------------------------- */

void sb_loop_wake_up(struct sb_loop *loop)
{
    uint64_t one = 1;
    ssize_t written = write(loop->mailbox_watch.fd, &one, sizeof one);
    (void)written; /* a full counter already wakes the loop */
}

void sb_loop_post(struct sb_loop *loop, void (*fn)(void *arg), void *arg)
{
    struct post *p = malloc(sizeof *p);
    if (!p)
        abort(); /* as the arena does: no sane way on without memory */
    *p = (struct post){ fn, arg, NULL };
    pthread_mutex_lock(&loop->mailbox_lock);
    bool was_empty = loop->posts_head == NULL;
    if (loop->posts_tail)
        loop->posts_tail->next = p;
    else
        loop->posts_head = p;
    loop->posts_tail = p;
    pthread_mutex_unlock(&loop->mailbox_lock);
    if (was_empty)
        sb_loop_wake_up(loop);
}

static void run_posts(struct sb_watch *watch, uint32_t events)
{
    struct sb_loop *loop = (struct sb_loop *)((char *)watch - offsetof(struct sb_loop, mailbox_watch));
    uint64_t count;
    ssize_t got = read(watch->fd, &count, sizeof count);
    (void)got;
    pthread_mutex_lock(&loop->mailbox_lock);
    struct post *p = loop->posts_head;
    loop->posts_head = loop->posts_tail = NULL;
    pthread_mutex_unlock(&loop->mailbox_lock);
    while (p) {
        struct post *next = p->next;
        p->fn(p->arg);
        free(p);
        p = next;
    }
}

struct sb_loop *sb_loop_new(void)
{
    struct sb_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    loop->mailbox_watch.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    loop->mailbox_watch.on_ready = run_posts;
    pthread_mutex_init(&loop->mailbox_lock, NULL);
    if (loop->epoll_fd < 0 || loop->mailbox_watch.fd < 0 || sb_loop_watch(loop, &loop->mailbox_watch, EPOLLIN) != 0) {
        sb_loop_free(loop);
        return NULL;
    }
    return loop;
}

void sb_loop_free(struct sb_loop *loop)
{
    if (!loop)
        return;
    if (loop->mailbox_watch.fd >= 0)
        close(loop->mailbox_watch.fd);
    if (loop->epoll_fd >= 0)
        close(loop->epoll_fd);
    for (struct post *p = loop->posts_head, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    pthread_mutex_destroy(&loop->mailbox_lock);
    if (thread_loop == loop)
        thread_loop = NULL;
    free(loop);
}

/* ---- waiting fibers ---------------------------------------------------------------------------- */

static void make_ready(struct waiter *w)
{
    if (w->queued)
        return;
    w->queued = true;
    w->next_ready = NULL;
    struct sb_loop *loop = w->loop;
    if (loop->ready_tail)
        loop->ready_tail->next_ready = w;
    else
        loop->ready_head = w;
    loop->ready_tail = w;
}

void sb_loop_wake(struct sb_fiber *fiber)
{
    struct waiter *w = *sb_fiber_slot(fiber, SB_FIBER_SLOT_LOOP);
    if (w)
        make_ready(w);
}

static void add_timed(struct waiter *w)
{
    struct sb_loop *loop = w->loop;
    w->prev_timed = NULL;
    w->next_timed = loop->timed;
    if (loop->timed)
        loop->timed->prev_timed = w;
    loop->timed = w;
}

static void remove_timed(struct waiter *w)
{
    if (w->prev_timed)
        w->prev_timed->next_timed = w->next_timed;
    else
        w->loop->timed = w->next_timed;
    if (w->next_timed)
        w->next_timed->prev_timed = w->prev_timed;
}

enum sb_wait_result sb_wait_suspend(int64_t deadline_ms)
{
    struct sb_fiber *fiber = sb_fiber_current();
    struct sb_loop *loop = thread_loop;
    if (!fiber || !loop)
        return SB_WAIT_FAILED;
    struct waiter w = { .fiber = fiber, .loop = loop, .deadline_ms = deadline_ms };
    void **slot = sb_fiber_slot(fiber, SB_FIBER_SLOT_LOOP);
    *slot = &w;
    if (deadline_ms >= 0)
        add_timed(&w);
    sb_fiber_yield();
    if (deadline_ms >= 0)
        remove_timed(&w);
    *slot = NULL;
    return w.timed_out ? SB_WAIT_TIMEOUT : SB_WAIT_READY;
}

/* A one-off watch whose readiness wakes the fiber that set it. */
struct fd_wait {
    struct sb_watch watch;
    struct sb_fiber *fiber;
};

static void wake_fd_waiter(struct sb_watch *watch, uint32_t events)
{
    sb_loop_wake(((struct fd_wait *)watch)->fiber);
}

static enum sb_wait_result poll_fd(int fd, uint32_t events, int64_t deadline_ms)
{
    struct pollfd p = { .fd = fd, .events = (short)events };
    for (;;) {
        int timeout = -1;
        if (deadline_ms >= 0) {
            int64_t left = deadline_ms - sb_now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        int n = poll(&p, 1, timeout);
        if (n > 0)
            return SB_WAIT_READY;
        if (n == 0)
            return SB_WAIT_TIMEOUT;
        if (errno != EINTR)
            return SB_WAIT_FAILED;
    }
}

enum sb_wait_result sb_wait_fd(int fd, uint32_t events, int64_t deadline_ms)
{
    struct sb_fiber *fiber = sb_fiber_current();
    struct sb_loop *loop = thread_loop;
    if (!fiber || !loop)
        return poll_fd(fd, events, deadline_ms);
    struct fd_wait wait = { .watch = { .fd = fd, .on_ready = wake_fd_waiter }, .fiber = fiber };
    if (sb_loop_watch(loop, &wait.watch, events) != 0)
        return SB_WAIT_FAILED;
    enum sb_wait_result r = sb_wait_suspend(deadline_ms);
    sb_loop_unwatch(loop, &wait.watch);
    return r;
}

/* ---- turns --------------------------------------------------------------------------------- */

static void resume(struct sb_loop *loop, struct sb_fiber *fiber)
{
    loop->resumed++;
    sb_fiber_resume(fiber);
}

bool sb_loop_start(struct sb_loop *loop, struct sb_fiber *fiber)
{
    thread_loop = loop;
    return sb_fiber_resume(fiber);
}

/* Milliseconds until the nearest deadline (capped by limit; -1 limit: none), 0 if one passed. */
static int time_to_next_deadline(const struct sb_loop *loop, int limit)
{
    if (!loop->timed)
        return limit;
    int64_t now = sb_now_ms(), nearest = INT64_MAX;
    for (const struct waiter *w = loop->timed; w; w = w->next_timed)
        if (w->deadline_ms < nearest)
            nearest = w->deadline_ms;
    int64_t left = nearest > now ? nearest - now : 0;
    if (limit >= 0 && left > limit)
        return limit;
    return left > 1000000 ? 1000000 : (int)left;
}

static void expire_deadlines(struct sb_loop *loop)
{
    if (!loop->timed)
        return;
    int64_t now = sb_now_ms();
    for (struct waiter *w = loop->timed; w; w = w->next_timed)
        if (w->deadline_ms <= now && !w->queued) {
            w->timed_out = true;
            make_ready(w);
        }
}

static void run_ready(struct sb_loop *loop)
{
    while (loop->ready_head) {
        struct waiter *w = loop->ready_head;
        loop->ready_head = w->next_ready;
        if (!loop->ready_head)
            loop->ready_tail = NULL;
        resume(loop, w->fiber);   /* w lives on the fiber's stack: not used after this */
    }
}

int sb_loop_turn(struct sb_loop *loop, int timeout_ms)
{
    thread_loop = loop;
    loop->resumed = 0;
    run_ready(loop);   /* fibers woken outside a turn (by a fiber that just ran) */
    /* Those may have made work for the caller (a fiber resumed a connection of the server's):
     * then this turn only looks, without waiting, and the caller gets to act. */
    int timeout = loop->ready_head || loop->resumed ? 0 : time_to_next_deadline(loop, timeout_ms);
    struct epoll_event events[EVENTS_PER_TURN];
    int n = epoll_wait(loop->epoll_fd, events, EVENTS_PER_TURN, timeout);
    for (int i = 0; i < n; i++) {
        struct sb_watch *watch = events[i].data.ptr;
        watch->on_ready(watch, events[i].events);
    }
    expire_deadlines(loop);
    run_ready(loop);
    return loop->resumed;
}
