/*
 * jobs: a FIFO of jobs under one mutex and condition variable; each job lives on its waiting
 * fiber's stack, and its end is posted back to that fiber's loop, which wakes the fiber.
 */
#include "core/jobs.h"

#include "core/fiber.h"
#include "core/loop.h"
#include "util/thread.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

struct job {
    void (*fn)(void *arg);
    void *arg;
    struct sb_loop *loop;
    struct sb_fiber *fiber;
    struct job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_waiting = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static pthread_once_t started = PTHREAD_ONCE_INIT;

static void wake_waiting_fiber(void *fiber)
{
    sb_loop_wake(fiber);
}

static struct job *take_job(void)
{
    pthread_mutex_lock(&lock);
    while (!head)
        pthread_cond_wait(&work_waiting, &lock);
    struct job *job = head;
    head = job->next;
    if (!head)
        tail = NULL;
    pthread_mutex_unlock(&lock);
    return job;
}

static void *work(void *unused)
{
    for (;;) {
        struct job *job = take_job();
        struct sb_loop *loop = job->loop;
        struct sb_fiber *fiber = job->fiber;
        job->fn(job->arg);   /* after this the job may be gone with its fiber's stack: */
        sb_loop_post(loop, wake_waiting_fiber, fiber);   /* only the copies are used */
    }
    return NULL;
}

static void start_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int count = cores > 2 ? (int)cores : 2;
    for (int i = 0; i < count; i++) {
        pthread_t thread;
        if (sb_thread_start(&thread, work, NULL) == 0)
            pthread_detach(thread);
    }
}

static void queue_job(struct job *job)
{
    pthread_mutex_lock(&lock);
    if (tail)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&work_waiting);
    pthread_mutex_unlock(&lock);
}

void sb_jobs_run(void (*fn)(void *arg), void *arg)
{
    struct sb_fiber *fiber = sb_fiber_current();
    struct sb_loop *loop = sb_loop_current();
    if (!fiber || !loop) {
        fn(arg);
        return;
    }
    pthread_once(&started, start_threads);
    struct job job = { fn, arg, loop, fiber, NULL };
    queue_job(&job);
    sb_wait_suspend(-1);
}
