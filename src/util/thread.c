/*
 * thread: see thread.h. A new thread inherits its creator's signal mask, so the mask is
 * filled just around pthread_create.
 */
#include "util/thread.h"

#include <signal.h>
#include <stdint.h>
#include <unistd.h>

int sb_thread_start(pthread_t *thread, void *(*run)(void *), void *arg)
{
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int started = pthread_create(thread, NULL, run, arg);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return started;
}

void sb_thread_wake_and_join(pthread_t thread, int *wake_fd)
{
    uint64_t one = 1;
    ssize_t written = write(*wake_fd, &one, sizeof one);
    (void)written; /* a full counter wakes the thread as well */
    pthread_join(thread, NULL);
    close(*wake_fd);
    *wake_fd = -1;
}
