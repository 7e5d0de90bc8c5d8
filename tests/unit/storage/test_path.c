/* storage/path: which object keys and bucket names are accepted, and the NFC spelling kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "storage/path.h"

static enum sb_key_status check(const char *raw)
{
    struct sb_arena *a = sb_arena_new();
    const char *key;
    enum sb_key_status st = sb_storage_key_check(a, raw, &key);
    if (st == SB_KEY_OK)
        assert_non_null(key);
    else
        assert_null(key);
    sb_arena_free(a);
    return st;
}

static char *repeat(char c, size_t n)
{
    static char buf[8192];
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void accepts_the_seed_path_shape(void **state)
{
    assert_int_equal(check("7c1e2a5e-0000-4000-8000-000000000001/9a0e2a5e-0000-4000-8000-000000000002/notes.pdf"),
                     SB_KEY_OK);
}

static void accepts_spaces_and_any_script(void **state)
{
    assert_int_equal(check("u/c/\xc3\x9c" "bung 1.pdf"), SB_KEY_OK);                 /* Übung 1.pdf */
    assert_int_equal(check("u/c/\xe8\xac\x9b\xe7\xbe\xa9.pdf"), SB_KEY_OK);          /* 講義.pdf */
    assert_int_equal(check("u/c/ma#th & (notes) 100%.pdf"), SB_KEY_OK);
}

static void normalises_to_nfc(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const char *key;
    assert_int_equal(sb_storage_key_check(a, "u/c/U\xcc\x88" "bung.pdf", &key), SB_KEY_OK); /* U + U+0308 */
    assert_string_equal(key, "u/c/\xc3\x9c" "bung.pdf");                                     /* U+00DC */
    sb_arena_free(a);
}

static void refuses_dot_and_dot_dot_segments(void **state)
{
    assert_int_equal(check("u/c/../../etc/passwd"), SB_KEY_DOT_SEGMENT);
    assert_int_equal(check(".."), SB_KEY_DOT_SEGMENT);
    assert_int_equal(check("u/./x.pdf"), SB_KEY_DOT_SEGMENT);
    assert_int_equal(check("u/c/..hidden.pdf"), SB_KEY_OK);
    assert_int_equal(check("u/c/x..pdf"), SB_KEY_OK);
}

static void refuses_absolute_names(void **state)
{
    assert_int_equal(check("/etc/passwd"), SB_KEY_ABSOLUTE);
}

static void refuses_backslashes(void **state)
{
    assert_int_equal(check("u\\..\\x.pdf"), SB_KEY_BACKSLASH);
}

static void refuses_control_characters(void **state)
{
    assert_int_equal(check("u/c/a\x01" "b.pdf"), SB_KEY_CONTROL_CHARACTER);
    assert_int_equal(check("u/c/a\nb.pdf"), SB_KEY_CONTROL_CHARACTER);
    assert_int_equal(check("u/c/a\x7f" "b.pdf"), SB_KEY_CONTROL_CHARACTER);
    assert_int_equal(check("u/c/a\xc2\x85" "b.pdf"), SB_KEY_CONTROL_CHARACTER); /* U+0085, a C1 control */
}

static void refuses_invalid_utf8(void **state)
{
    assert_int_equal(check("u/c/\xc3\x28.pdf"), SB_KEY_BAD_UTF8);
    assert_int_equal(check("u/c/\xc0\xaf.pdf"), SB_KEY_BAD_UTF8); /* an overlong '/' */
    assert_int_equal(check("u/c/\xed\xa0\x80.pdf"), SB_KEY_BAD_UTF8); /* a UTF-16 surrogate */
}

static void refuses_empty_names_and_segments(void **state)
{
    assert_int_equal(check(""), SB_KEY_EMPTY);
    assert_int_equal(check("u//x.pdf"), SB_KEY_EMPTY_SEGMENT);
    assert_int_equal(check("u/c/"), SB_KEY_EMPTY_SEGMENT);
}

static void refuses_overlong_segments_and_names(void **state)
{
    char name[1200];
    snprintf(name, sizeof name, "u/%s", repeat('a', 255));
    assert_int_equal(check(name), SB_KEY_OK);
    snprintf(name, sizeof name, "u/%s", repeat('a', 256));
    assert_int_equal(check(name), SB_KEY_SEGMENT_TOO_LONG);
    char path[1100] = "";
    for (int i = 0; i < 10; i++) {
        strcat(path, repeat('b', 100));
        strcat(path, "/");
    }
    strcat(path, "x.pdf"); /* 1015 bytes */
    assert_int_equal(check(path), SB_KEY_OK);
    strcat(path, repeat('c', 10)); /* 1025 bytes */
    assert_int_equal(check(path), SB_KEY_TOO_LONG);
}

static void bucket_names_are_a_small_ascii_set(void **state)
{
    assert_true(sb_storage_bucket_name_ok("materials"));
    assert_true(sb_storage_bucket_name_ok("My_Bucket-2.0"));
    assert_false(sb_storage_bucket_name_ok(""));
    assert_false(sb_storage_bucket_name_ok("a/b"));
    assert_false(sb_storage_bucket_name_ok("a b"));
    assert_false(sb_storage_bucket_name_ok(".."));
    assert_false(sb_storage_bucket_name_ok("\xc3\x9c"));
    assert_true(sb_storage_bucket_name_ok(repeat('x', 100)));
    assert_false(sb_storage_bucket_name_ok(repeat('x', 101)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_the_seed_path_shape),
        cmocka_unit_test(accepts_spaces_and_any_script),
        cmocka_unit_test(normalises_to_nfc),
        cmocka_unit_test(refuses_dot_and_dot_dot_segments),
        cmocka_unit_test(refuses_absolute_names),
        cmocka_unit_test(refuses_backslashes),
        cmocka_unit_test(refuses_control_characters),
        cmocka_unit_test(refuses_invalid_utf8),
        cmocka_unit_test(refuses_empty_names_and_segments),
        cmocka_unit_test(refuses_overlong_segments_and_names),
        cmocka_unit_test(bucket_names_are_a_small_ascii_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
