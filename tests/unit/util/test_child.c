/* util/child: a program run as a child process with pipes, an empty environment, no other
 * descriptors, limits, a deadline and an output cap; always reaped. The children are /bin/sh
 * scripts and coreutils, so each behaviour is deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/child.h"

static struct sb_child_spec sh(const char *script)
{
    static char *argv[4];
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    argv[3] = NULL;
    return (struct sb_child_spec){ .path = "/bin/sh", .argv = argv, .output_cap = 1 << 20, .timeout_ms = 10000,
                                   .cancel_fd = -1 };
}

static void no_child_is_left(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void the_exit_status_is_reported(void **state)
{
    struct sb_child_spec spec = sh("echo out; exit 7");
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_EXITED);
    assert_int_equal(r.status, 7);
    assert_string_equal(r.output, "out\n");
    sb_child_result_free(&r);
    no_child_is_left();
}

static void a_child_killed_by_a_signal_is_reported_with_it(void **state)
{
    struct sb_child_spec spec = sh("kill -SEGV $$");
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_SIGNALED);
    assert_int_equal(r.status, SIGSEGV);
    sb_child_result_free(&r);
    no_child_is_left();
}

static void the_input_reaches_stdin_while_stdout_is_read(void **state)
{
    /* 4 MiB through cat: far more than a pipe holds, so writing and reading must interleave */
    size_t n = 4u << 20;
    char *input = malloc(n);
    for (size_t i = 0; i < n; i++)
        input[i] = (char)('a' + i % 26);
    char *argv[] = { "cat", NULL };
    struct sb_child_spec spec = { .path = "/bin/cat", .argv = argv, .input = input, .input_len = n,
                                  .output_cap = n, .timeout_ms = 20000, .cancel_fd = -1 };
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), 0);
    assert_int_equal(r.output_len, n);
    assert_memory_equal(r.output, input, n);
    sb_child_result_free(&r);
    free(input);
}

static void a_child_past_its_deadline_is_killed_and_reaped(void **state)
{
    struct sb_child_spec spec = sh("sleep 30");
    spec.timeout_ms = 300;
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_TIMED_OUT);
    assert_true(r.elapsed_ms >= 300 && r.elapsed_ms < 5000);
    sb_child_result_free(&r);
    no_child_is_left();
}

static void output_past_the_cap_kills_the_child(void **state)
{
    char *argv[] = { "yes", NULL };
    struct sb_child_spec spec = { .path = "/usr/bin/yes", .argv = argv, .output_cap = 100000, .timeout_ms = 10000,
                                  .cancel_fd = -1 };
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_OUTPUT_TOO_LARGE);
    assert_true(r.output_len <= 100001);
    sb_child_result_free(&r);
    no_child_is_left();
}

static void the_environment_is_empty(void **state)
{
    setenv("SB_JWT_SECRET", "do-not-pass-me", 1);
    setenv("DATABASE_URL", "postgresql://secret@db/x", 1);
    char *argv[] = { "env", NULL };
    struct sb_child_spec spec = { .path = "/usr/bin/env", .argv = argv, .output_cap = 4096, .timeout_ms = 10000,
                                  .cancel_fd = -1 };
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), 0);
    assert_int_equal(r.output_len, 0);
    sb_child_result_free(&r);
}

static void only_stdin_stdout_and_a_null_stderr_are_open_in_the_child(void **state)
{
    /* descriptors the parent holds without O_CLOEXEC: neither may reach the child */
    int leaky = open("/dev/null", O_RDONLY);
    assert_true(dup2(leaky, 57) == 57);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct sb_child_spec spec = sh("for f in 3 4 5 6 7 8 9 57; do [ -e /proc/$$/fd/$f ] && echo \"open $f\"; done;"
                                   " readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2");
    struct sb_child_result r;
    assert_true(leaky < 10 && p[0] < 10 && p[1] < 10);
    assert_int_equal(sb_child_run(&spec, &r), 0);
    /* nothing open above 2; 0 and 1 are pipes to us, 2 is /dev/null */
    assert_null(strstr(r.output, "open"));
    assert_true(strncmp(r.output, "pipe:", 5) == 0);
    assert_non_null(strstr(r.output, "\npipe:"));
    assert_non_null(strstr(r.output, "\n/dev/null\n"));
    sb_child_result_free(&r);
    close(leaky);
    close(57);
    close(p[0]);
    close(p[1]);
}

static void limits_hold_before_the_child_reads_its_input(void **state)
{
    struct sb_child_spec spec = sh("read line; ulimit -c; ulimit -v; ulimit -t; echo \"$line\"");
    spec.input = "go\n";
    spec.input_len = 3;
    spec.address_space = 1024ull * 1024 * 1024;
    spec.cpu_seconds = 5;
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), 0);
    assert_string_equal(r.output, "0\n1048576\n5\ngo\n");
    sb_child_result_free(&r);
}

static void a_child_that_stops_reading_does_not_kill_the_parent_with_sigpipe(void **state)
{
    size_t n = 4u << 20;
    char *input = calloc(1, n);
    struct sb_child_spec spec = sh("exit 0");
    spec.input = input;
    spec.input_len = n;
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), 0); /* we are still here */
    sigset_t pending;
    sigpending(&pending);
    assert_false(sigismember(&pending, SIGPIPE));
    sb_child_result_free(&r);
    free(input);
}

static void a_readable_cancel_descriptor_kills_the_child_at_once(void **state)
{
    int cancel = eventfd(1, EFD_CLOEXEC);
    struct sb_child_spec spec = sh("sleep 30");
    spec.cancel_fd = cancel;
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_CANCELLED);
    assert_true(r.elapsed_ms < 5000);
    sb_child_result_free(&r);
    close(cancel);
    no_child_is_left();
}

static void a_program_that_does_not_exist_is_not_started(void **state)
{
    char *argv[] = { "nothing", NULL };
    struct sb_child_spec spec = { .path = "/nonexistent/nothing", .argv = argv, .output_cap = 10, .timeout_ms = 1000,
                                  .cancel_fd = -1 };
    struct sb_child_result r;
    assert_int_equal(sb_child_run(&spec, &r), -1);
    assert_int_equal(r.end, SB_CHILD_NOT_STARTED);
    assert_int_equal(r.error, ENOENT);
    sb_child_result_free(&r);
    no_child_is_left();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_exit_status_is_reported),
        cmocka_unit_test(a_child_killed_by_a_signal_is_reported_with_it),
        cmocka_unit_test(the_input_reaches_stdin_while_stdout_is_read),
        cmocka_unit_test(a_child_past_its_deadline_is_killed_and_reaped),
        cmocka_unit_test(output_past_the_cap_kills_the_child),
        cmocka_unit_test(the_environment_is_empty),
        cmocka_unit_test(only_stdin_stdout_and_a_null_stderr_are_open_in_the_child),
        cmocka_unit_test(limits_hold_before_the_child_reads_its_input),
        cmocka_unit_test(a_child_that_stops_reading_does_not_kill_the_parent_with_sigpipe),
        cmocka_unit_test(a_readable_cancel_descriptor_kills_the_child_at_once),
        cmocka_unit_test(a_program_that_does_not_exist_is_not_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
