/* util/fdio: everything handed to sb_writev_all / sb_write_all reaches the descriptor, in
 * order, or the call says it did not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fdio.h"

struct drain {
    int fd;
    char *data;
    size_t len, cap;
};

/* Reads fd to its end into a growing buffer (run on a thread, so large writes can complete). */
static void *read_to_end(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        if (d->len == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 65536;
            d->data = realloc(d->data, d->cap);
        }
        ssize_t n = read(d->fd, d->data + d->len, d->cap - d->len);
        if (n <= 0)
            return NULL;
        d->len += (size_t)n;
    }
}

static void writes_every_piece_in_order_skipping_empty_ones(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct iovec iov[] = { { "", 0 }, { "ab", 2 }, { "", 0 }, { "cde", 3 } };
    assert_int_equal(sb_writev_all(p[1], iov, 4), 0);
    close(p[1]);
    char got[16] = { 0 };
    assert_int_equal(read(p[0], got, sizeof got), 5);
    assert_string_equal(got, "abcde");
    close(p[0]);
}

static void writes_more_than_the_pipe_holds_whole(void **state)
{
    size_t len = 4u << 20; /* 64 pipe buffers' worth */
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(i * 7 + i / 4096);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct drain d = { .fd = p[0] };
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, NULL, read_to_end, &d), 0);
    assert_int_equal(sb_write_all(p[1], data, len), 0);
    close(p[1]);
    pthread_join(reader, NULL);
    assert_int_equal(d.len, len);
    assert_memory_equal(d.data, data, len);
    close(p[0]);
    free(d.data);
    free(data);
}

static void reports_a_reader_that_went_away(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    errno = 0;
    assert_int_equal(sb_write_all(p[1], "lost", 4), -1);
    assert_int_equal(errno, EPIPE);
    close(p[1]);
}

static void writes_nothing_for_nothing(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    close(p[0]); /* any write would fail with EPIPE */
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(sb_write_all(p[1], "", 0), 0);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_every_piece_in_order_skipping_empty_ones),
        cmocka_unit_test(writes_more_than_the_pipe_holds_whole),
        cmocka_unit_test(reports_a_reader_that_went_away),
        cmocka_unit_test(writes_nothing_for_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
