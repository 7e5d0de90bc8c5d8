/* core/fiber: a fiber runs until it yields, continues where it yielded, keeps its own stack
 * and registers, and is gone once its function returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/fiber.h"

struct trace {
    char steps[32];
    int len;
};

static void note(struct trace *t, char c)
{
    t->steps[t->len++] = c;
    t->steps[t->len] = '\0';
}

static void yield_twice(void *arg)
{
    struct trace *t = arg;
    note(t, 'a');
    sb_fiber_yield();
    note(t, 'b');
    sb_fiber_yield();
    note(t, 'c');
}

static void runs_until_each_yield_and_finishes_when_its_function_returns(void **state)
{
    struct trace t = { 0 };
    struct sb_fiber *f = sb_fiber_new(yield_twice, &t);
    assert_non_null(f);
    assert_false(sb_fiber_resume(f));
    note(&t, '1');
    assert_false(sb_fiber_resume(f));
    note(&t, '2');
    assert_true(sb_fiber_resume(f));
    assert_string_equal(t.steps, "a1b2c");
}

static void record_current(void *arg)
{
    *(struct sb_fiber **)arg = sb_fiber_current();
}

static void knows_which_fiber_is_running(void **state)
{
    assert_null(sb_fiber_current());
    struct sb_fiber *seen = NULL;
    struct sb_fiber *f = sb_fiber_new(record_current, &seen);
    assert_true(sb_fiber_resume(f));
    assert_ptr_equal(seen, f);
    assert_null(sb_fiber_current());
}

/* Locals and a deep call chain survive yields: each fiber has its own stack. */
static long sum_with_yields(int depth)
{
    volatile char frame[512];
    memset((char *)frame, depth, sizeof frame);
    if (depth == 0)
        return 0;
    sb_fiber_yield();
    return frame[0] + frame[511] + sum_with_yields(depth - 1);
}

static void sum_deep(void *arg)
{
    *(long *)arg = sum_with_yields(40);
}

static void interleaved_fibers_keep_their_own_stacks(void **state)
{
    long a = -1, b = -1;
    struct sb_fiber *fa = sb_fiber_new(sum_deep, &a), *fb = sb_fiber_new(sum_deep, &b);
    bool a_done = false, b_done = false;
    while (!a_done || !b_done) {
        if (!a_done)
            a_done = sb_fiber_resume(fa);
        if (!b_done)
            b_done = sb_fiber_resume(fb);
    }
    assert_int_equal(a, 2 * (40 * 41 / 2));
    assert_int_equal(b, a);
}

static void count_slot(void *arg)
{
    void **slot = sb_fiber_slot(sb_fiber_current(), SB_FIBER_SLOT_DB);
    *(bool *)arg = *slot == NULL;
    *slot = arg;
}

static void a_new_fiber_starts_with_empty_slots_even_on_a_reused_stack(void **state)
{
    for (int i = 0; i < 3; i++) {
        bool was_empty = false;
        assert_true(sb_fiber_resume(sb_fiber_new(count_slot, &was_empty)));
        assert_true(was_empty);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_until_each_yield_and_finishes_when_its_function_returns),
        cmocka_unit_test(knows_which_fiber_is_running),
        cmocka_unit_test(interleaved_fibers_keep_their_own_stacks),
        cmocka_unit_test(a_new_fiber_starts_with_empty_slots_even_on_a_reused_stack),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    sb_fiber_release_cache();
    return failed;
}
