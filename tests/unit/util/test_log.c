/* util/log: JSON string escaping, the line's shape, and batched request lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static void plain_text_is_copied_unchanged(void **state)
{
    char buf[32];
    assert_int_equal(sb_json_escape(buf, sizeof buf, "GET /health"), 11);
    assert_string_equal(buf, "GET /health");
}

static void quotes_backslashes_and_controls_are_escaped(void **state)
{
    char buf[64];
    sb_json_escape(buf, sizeof buf, "a\"b\\c\nd\x01");
    assert_string_equal(buf, "a\\\"b\\\\c\\nd\\u0001");
}

static void plain_runs_between_escapes_are_kept_in_order(void **state)
{
    char buf[64];
    assert_int_equal(sb_json_escape(buf, sizeof buf, "ab\"cd\\ef\tg"), 13);
    assert_string_equal(buf, "ab\\\"cd\\\\ef\\tg");
}

static void a_short_buffer_is_truncated_and_the_needed_length_returned(void **state)
{
    char buf[4];
    assert_int_equal(sb_json_escape(buf, sizeof buf, "abcdef"), 6);
    assert_string_equal(buf, "abc");
}

/* ---- lines on stderr (captured into a temporary file) ------------------------------------ */

static char capture_path[64];
static int capture_fd = -1, saved_stderr = -1;

static int capture_stderr(void **state)
{
    strcpy(capture_path, "/tmp/test_log_XXXXXX");
    capture_fd = mkstemp(capture_path);
    saved_stderr = dup(STDERR_FILENO);
    dup2(capture_fd, STDERR_FILENO);
    return 0;
}

static int restore_stderr(void **state)
{
    sb_log_flush();
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(capture_fd);
    unlink(capture_path);
    return 0;
}

static char *captured(void)
{
    static char text[65536];
    FILE *f = fopen(capture_path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    return text;
}

static void a_line_is_one_json_object_with_a_utc_timestamp(void **state)
{
    sb_log(SB_LOG_WARN, "database unavailable", "error", "refused", NULL);
    int y, mo, d, h, mi, sec, ms;
    char rest[128];
    assert_int_equal(sscanf(captured(), "{\"ts\":\"%4d-%2d-%2dT%2d:%2d:%2d.%3dZ\",%127[^\n]", &y, &mo, &d, &h, &mi, &sec,
                            &ms, rest), 8);
    assert_string_equal(rest, "\"level\":\"warn\",\"msg\":\"database unavailable\",\"error\":\"refused\"}");
}

static void a_batched_line_is_written_by_a_flush(void **state)
{
    sb_log_batched(SB_LOG_INFO, "request", "id", "r1", NULL);
    sb_log_flush();
    assert_non_null(strstr(captured(), "\"msg\":\"request\",\"id\":\"r1\"}\n"));
}

static void batched_lines_go_out_before_a_plain_line_in_order(void **state)
{
    sb_log_batched(SB_LOG_INFO, "request", "id", "r1", NULL);
    sb_log_batched(SB_LOG_INFO, "request", "id", "r2", NULL);
    sb_log(SB_LOG_INFO, "listening", NULL);
    char *text = captured();
    char *r1 = strstr(text, "\"r1\""), *r2 = strstr(text, "\"r2\""), *listening = strstr(text, "listening");
    assert_non_null(r1);
    assert_non_null(r2);
    assert_non_null(listening);
    assert_true(r1 < r2 && r2 < listening);
}

static void a_full_batch_is_written_without_a_flush(void **state)
{
    size_t logged = 0;
    for (int i = 0; logged <= SB_LOG_BATCH_BYTES; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%d", i);
        sb_log_batched(SB_LOG_INFO, "request", "id", id, NULL);
        logged += 70;    /* a line here is longer than this */
    }
    char *text = captured();
    assert_true(strlen(text) >= SB_LOG_BATCH_BYTES);
    assert_int_equal(text[strlen(text) - 1], '\n');
}

/* The background writer is asynchronous by nature: wait for its effect (up to 10 s). */
static void a_waiting_line_is_written_without_a_flush_soon_after(void **state)
{
    sb_log_batched(SB_LOG_INFO, "request", "id", "late", NULL);
    for (int i = 0; i < 1000 && !strstr(captured(), "\"late\""); i++) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    assert_non_null(strstr(captured(), "\"id\":\"late\"}\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_copied_unchanged),
        cmocka_unit_test(quotes_backslashes_and_controls_are_escaped),
        cmocka_unit_test(plain_runs_between_escapes_are_kept_in_order),
        cmocka_unit_test(a_short_buffer_is_truncated_and_the_needed_length_returned),
        cmocka_unit_test_setup_teardown(a_line_is_one_json_object_with_a_utc_timestamp, capture_stderr, restore_stderr),
        cmocka_unit_test_setup_teardown(a_batched_line_is_written_by_a_flush, capture_stderr, restore_stderr),
        cmocka_unit_test_setup_teardown(batched_lines_go_out_before_a_plain_line_in_order, capture_stderr,
                                        restore_stderr),
        cmocka_unit_test_setup_teardown(a_full_batch_is_written_without_a_flush, capture_stderr, restore_stderr),
        cmocka_unit_test_setup_teardown(a_waiting_line_is_written_without_a_flush_soon_after, capture_stderr,
                                        restore_stderr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
