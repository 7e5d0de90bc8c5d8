/* core/jobs: a job runs on a pool thread while its fiber waits and the loop goes on with
 * other fibers; outside a fiber it runs on the caller's thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/fiber.h"
#include "core/jobs.h"
#include "core/loop.h"

struct gate {
    atomic_bool open;
    pthread_t ran_on;
};

/* Waits until the test opens the gate: proves the loop's thread was free meanwhile. */
static void wait_at_gate(void *arg)
{
    struct gate *g = arg;
    g->ran_on = pthread_self();
    while (!atomic_load(&g->open))
        ;
}

struct fiber_job {
    struct gate gate;
    bool done;
};

static void run_gated_job(void *arg)
{
    struct fiber_job *j = arg;
    sb_jobs_run(wait_at_gate, &j->gate);
    j->done = true;
}

static void open_gate(void *arg)
{
    atomic_store(&((struct gate *)arg)->open, true);
}

static void a_job_runs_elsewhere_while_the_loop_serves_other_fibers(void **state)
{
    struct sb_loop *loop = sb_loop_new();
    struct fiber_job j = { 0 };
    assert_false(sb_loop_start(loop, sb_fiber_new(run_gated_job, &j)));
    /* the loop's thread is free: another fiber runs and opens the gate the job waits at */
    assert_true(sb_loop_start(loop, sb_fiber_new(open_gate, &j.gate)));
    while (!j.done)
        sb_loop_turn(loop, -1);
    assert_false(pthread_equal(j.gate.ran_on, pthread_self()));
    sb_loop_free(loop);
}

static void outside_a_fiber_a_job_runs_on_the_calling_thread(void **state)
{
    struct gate g = { .open = true };
    sb_jobs_run(wait_at_gate, &g);
    assert_true(pthread_equal(g.ran_on, pthread_self()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_job_runs_elsewhere_while_the_loop_serves_other_fibers),
        cmocka_unit_test(outside_a_fiber_a_job_runs_on_the_calling_thread),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sb_fiber_release_cache();
    return failed;
}
