/* ai/embed: the text the worker embeds is bounded (its last SB_EMBED_MAX_TEXT_BYTES bytes,
 * cut at a character's start), and a vector's text reads back as the same floats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ai/embed.h"

static void a_short_text_is_embedded_whole(void **state)
{
    (void)state;
    const char *text = "user: What is osmosis?";
    assert_ptr_equal(sb_embed_text_tail(text), text);
    char *exact = malloc(SB_EMBED_MAX_TEXT_BYTES + 1);
    memset(exact, 'a', SB_EMBED_MAX_TEXT_BYTES);
    exact[SB_EMBED_MAX_TEXT_BYTES] = '\0';
    assert_ptr_equal(sb_embed_text_tail(exact), exact);
    free(exact);
}

static void a_long_text_keeps_its_last_bytes(void **state)
{
    (void)state;
    size_t len = 3 * SB_EMBED_MAX_TEXT_BYTES;
    char *text = malloc(len + 1);
    memset(text, 'a', len);
    memcpy(text + len - 4, "last", 4);
    text[len] = '\0';
    const char *tail = sb_embed_text_tail(text);
    assert_int_equal(strlen(tail), SB_EMBED_MAX_TEXT_BYTES);
    assert_string_equal(tail + SB_EMBED_MAX_TEXT_BYTES - 4, "last");
    free(text);
}

static void the_cut_falls_on_a_character_start(void **state)
{
    (void)state;
    /* "é" is two bytes; with an odd number of bytes before the limit, a plain cut would fall
     * inside one */
    size_t pairs = SB_EMBED_MAX_TEXT_BYTES;   /* 2 * limit bytes of "é", then "y" */
    char *text = malloc(2 * pairs + 2);
    for (size_t i = 0; i < pairs; i++)
        memcpy(text + 2 * i, "\xc3\xa9", 2);
    memcpy(text + 2 * pairs, "y", 2);
    const char *tail = sb_embed_text_tail(text);
    assert_int_equal((unsigned char)tail[0], 0xc3);
    assert_int_equal(strlen(tail), SB_EMBED_MAX_TEXT_BYTES - 1);
    free(text);
}

static void a_vector_text_reads_back_as_the_same_floats(void **state)
{
    (void)state;
    struct sb_arena *arena = sb_arena_new();
    float v[SB_EMBED_DIMENSIONS];
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        v[d] = (float)(d - 191) / 3.0f + 1e-7f * (float)d;
    const char *text = sb_embed_vector_text(arena, v);
    assert_int_equal(text[0], '[');
    char *p = (char *)text + 1;
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++) {
        float back = strtof(p, &p);
        assert_true(back == v[d]);
        assert_int_equal(*p, d + 1 < SB_EMBED_DIMENSIONS ? ',' : ']');
        p++;
    }
    assert_int_equal(*p, '\0');
    sb_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_short_text_is_embedded_whole),
        cmocka_unit_test(a_long_text_keeps_its_last_bytes),
        cmocka_unit_test(the_cut_falls_on_a_character_start),
        cmocka_unit_test(a_vector_text_reads_back_as_the_same_floats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
