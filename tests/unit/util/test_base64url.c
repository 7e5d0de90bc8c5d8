/* util/base64url: RFC 4648 test vectors in the URL-safe alphabet, without padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/base64url.h"

static void encodes_the_rfc_vectors_without_padding(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char *out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    for (int i = 0; i < 7; i++)
        assert_string_equal(sb_base64url_encode(a, in[i], strlen(in[i])), out[i]);
    sb_arena_free(a);
}

static void uses_dash_and_underscore_for_62_and_63(void **state)
{
    struct sb_arena *a = sb_arena_new();
    const unsigned char bytes[] = { 0xfb, 0xff };
    assert_string_equal(sb_base64url_encode(a, bytes, 2), "-_8");
    sb_arena_free(a);
}

static void decodes_what_it_encodes_with_or_without_padding(void **state)
{
    struct sb_arena *a = sb_arena_new();
    size_t n;
    assert_string_equal((char *)sb_base64url_decode(a, "Zm9vYmE", 7, &n), "fooba");
    assert_int_equal(n, 5);
    assert_string_equal((char *)sb_base64url_decode(a, "Zm9vYmE=", 8, &n), "fooba");
    sb_arena_free(a);
}

static void refuses_characters_outside_the_alphabet_and_impossible_lengths(void **state)
{
    struct sb_arena *a = sb_arena_new();
    size_t n;
    assert_null(sb_base64url_decode(a, "Zm9v+g", 6, &n));
    assert_null(sb_base64url_decode(a, "Zm9vY", 5, &n));
    sb_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_the_rfc_vectors_without_padding),
        cmocka_unit_test(uses_dash_and_underscore_for_62_and_63),
        cmocka_unit_test(decodes_what_it_encodes_with_or_without_padding),
        cmocka_unit_test(refuses_characters_outside_the_alphabet_and_impossible_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
