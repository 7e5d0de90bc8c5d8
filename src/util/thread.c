/*
 * thread: see thread.h. A new thread inherits its creator's signal mask, so the mask is
 * filled just around pthread_create.
 */
#include "util/thread.h"

#include <signal.h>

int sb_thread_start(pthread_t *thread, void *(*run)(void *), void *arg)
{
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int started = pthread_create(thread, NULL, run, arg);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return started;
}
