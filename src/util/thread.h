/*
 * thread: starting a background thread that never takes a process signal. The main thread
 * waits for SIGINT/SIGTERM with sigwait and the schema cache reads SIGHUP from a signalfd; a
 * helper thread with those signals unblocked could be handed one and lose it.
 */
#ifndef SB_UTIL_THREAD_H
#define SB_UTIL_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread (the caller's mask is unchanged
 * afterwards). Returns 0 or pthread_create's error number. */
int sb_thread_start(pthread_t *thread, void *(*run)(void *), void *arg);

/* Stops a thread that waits on the eventfd *wake_fd among its other waits (having been told
 * by the caller, through a flag it reads, that it is to return): wakes it, joins it, closes
 * the eventfd and sets *wake_fd to -1. */
void sb_thread_wake_and_join(pthread_t thread, int *wake_fd);

#endif
