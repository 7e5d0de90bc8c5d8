/* core/loop: a fiber that waits gives the thread back; it resumes when its descriptor is
 * ready, when it is woken, or when its deadline passes; work posted from another thread runs
 * on the loop's thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/fiber.h"
#include "core/loop.h"

struct fd_waiter {
    int fd;
    enum sb_wait_result result;
    bool done;
};

static void wait_for_fd(void *arg)
{
    struct fd_waiter *w = arg;
    w->result = sb_wait_fd(w->fd, EPOLLIN, -1);
    w->done = true;
}

static void a_waiting_fiber_resumes_when_its_descriptor_is_ready(void **state)
{
    struct sb_loop *loop = sb_loop_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fd_waiter w = { .fd = p[0] };
    assert_false(sb_loop_start(loop, sb_fiber_new(wait_for_fd, &w)));
    assert_int_equal(sb_loop_turn(loop, 0), 0);       /* nothing to read yet */
    assert_false(w.done);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(sb_loop_turn(loop, -1), 1);
    assert_true(w.done);
    assert_int_equal(w.result, SB_WAIT_READY);
    close(p[0]);
    close(p[1]);
    sb_loop_free(loop);
}

static void runs_while_another_waits(void *arg)
{
    *(bool *)arg = true;
}

static void another_fiber_runs_while_one_waits(void **state)
{
    struct sb_loop *loop = sb_loop_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fd_waiter w = { .fd = p[0] };
    bool ran = false;
    assert_false(sb_loop_start(loop, sb_fiber_new(wait_for_fd, &w)));
    assert_true(sb_loop_start(loop, sb_fiber_new(runs_while_another_waits, &ran)));
    assert_true(ran);
    assert_false(w.done);
    close(p[1]);                                          /* end of file is ready too */
    assert_int_equal(sb_loop_turn(loop, -1), 1);
    assert_true(w.done);
    close(p[0]);
    sb_loop_free(loop);
}

struct sleeper {
    int64_t deadline;
    enum sb_wait_result result;
    bool done;
};

static void sleep_until_deadline(void *arg)
{
    struct sleeper *s = arg;
    s->result = sb_wait_suspend(s->deadline);
    s->done = true;
}

static void a_deadline_resumes_a_fiber_nobody_wakes(void **state)
{
    struct sb_loop *loop = sb_loop_new();
    struct sleeper s = { .deadline = sb_now_ms() + 20 };
    assert_false(sb_loop_start(loop, sb_fiber_new(sleep_until_deadline, &s)));
    while (!s.done)
        sb_loop_turn(loop, -1);                             /* the turn itself waits for the deadline */
    assert_int_equal(s.result, SB_WAIT_TIMEOUT);
    assert_true(sb_now_ms() >= s.deadline);
    sb_loop_free(loop);
}

struct counter {
    int resumed;
};

static void count_wakes(void *arg)
{
    struct counter *c = arg;
    while (sb_wait_suspend(-1) == SB_WAIT_READY && ++c->resumed < 2)
        ;
}

static void waking_twice_before_a_turn_resumes_once(void **state)
{
    struct sb_loop *loop = sb_loop_new();
    struct counter c = { 0 };
    struct sb_fiber *f = sb_fiber_new(count_wakes, &c);
    assert_false(sb_loop_start(loop, f));
    sb_loop_wake(f);
    sb_loop_wake(f);
    assert_int_equal(sb_loop_turn(loop, 0), 1);
    assert_int_equal(c.resumed, 1);
    sb_loop_wake(f);                                       /* the second wake ends it */
    assert_int_equal(sb_loop_turn(loop, 0), 1);
    assert_int_equal(c.resumed, 2);
    sb_loop_free(loop);
}

struct posted {
    struct sb_loop *loop;
    pthread_t ran_on;
    bool ran;
};

static void record_thread(void *arg)
{
    struct posted *p = arg;
    p->ran_on = pthread_self();
    p->ran = true;
}

static void *post_from_thread(void *arg)
{
    struct posted *p = arg;
    sb_loop_post(p->loop, record_thread, p);
    return NULL;
}

static void work_posted_from_another_thread_runs_on_the_loops_thread(void **state)
{
    struct posted p = { .loop = sb_loop_new() };
    pthread_t poster;
    pthread_create(&poster, NULL, post_from_thread, &p);
    while (!p.ran)
        sb_loop_turn(p.loop, -1);                          /* woken by the post itself */
    pthread_join(poster, NULL);
    assert_true(pthread_equal(p.ran_on, pthread_self()));
    sb_loop_free(p.loop);
}

static void outside_a_fiber_waiting_blocks_in_poll(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(sb_wait_fd(p[0], EPOLLIN, sb_now_ms() + 10), SB_WAIT_TIMEOUT);
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(sb_wait_fd(p[0], EPOLLIN, -1), SB_WAIT_READY);
    assert_int_equal(sb_wait_suspend(-1), SB_WAIT_FAILED);  /* nothing could ever wake it */
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_waiting_fiber_resumes_when_its_descriptor_is_ready),
        cmocka_unit_test(another_fiber_runs_while_one_waits),
        cmocka_unit_test(a_deadline_resumes_a_fiber_nobody_wakes),
        cmocka_unit_test(waking_twice_before_a_turn_resumes_once),
        cmocka_unit_test(work_posted_from_another_thread_runs_on_the_loops_thread),
        cmocka_unit_test(outside_a_fiber_waiting_blocks_in_poll),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sb_fiber_release_cache();
    return failed;
}
