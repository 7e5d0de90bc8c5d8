/*
 * jobs: a small pool of threads for work that would hold a loop too long (bcrypt: ~50 ms of
 * CPU per password at cost 10), so a request's fiber waits for its job instead of the whole
 * worker waiting for it.
 *
 * sb_jobs_run(fn, arg) runs fn(arg) on a pool thread and returns when it is done. In a fiber
 * on a loop thread the fiber waits (the loop serves other requests meanwhile); anywhere else
 * fn simply runs on the calling thread. fn must not touch the caller's loop or fibers; what it
 * reads and writes through arg stays the caller's (the caller waits, so arg may live on its
 * stack). The pool's threads start on first use (as many as the machine has cores, at least
 * 2) and live until the process ends.
 */
#ifndef SB_CORE_JOBS_H
#define SB_CORE_JOBS_H

void sb_jobs_run(void (*fn)(void *arg), void *arg);

#endif
