/* ai/chunk: pages become chunks of at most ~500 estimated tokens that never span two pages,
 * end at a paragraph break when that leaves them at least half full, else inside a paragraph
 * with ~50 tokens of overlap; white space is tidied; long words are cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

#include "ai/chunk.h"
#include "util/buf.h"

static struct sb_arena *arena;

static int setup(void **state)
{
    arena = sb_arena_new();
    return 0;
}

static int teardown(void **state)
{
    sb_arena_free(arena);
    return 0;
}

static struct sb_text_page page(int number, const char *text)
{
    return (struct sb_text_page){ number, text, strlen(text) };
}

/* "w0000 w0001 ..." words from..to (exclusive), separated by single spaces. */
static const char *words(int from, int to)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    for (int i = from; i < to; i++)
        sb_buf_printf(&b, "%sw%04d", i > from ? " " : "", i);
    return b.data;
}

/* Paragraphs of n words each, numbered on from 0, separated by blank lines. */
static const char *paragraphs(const int *sizes, int count)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    int next = 0;
    for (int p = 0; p < count; p++) {
        sb_buf_printf(&b, "%s%s", p ? "\n\n" : "", words(next, next + sizes[p]));
        next += sizes[p];
    }
    return b.data;
}

static void a_short_page_is_one_chunk_that_names_its_page(void **state)
{
    struct sb_text_page p = page(3, "Photosynthesis makes sugar.");
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 1);
    assert_int_equal(c[0].page, 3);
    assert_int_equal(c[0].position, 0);
    assert_string_equal(c[0].content, "Photosynthesis makes sugar.");
    assert_int_equal(c[0].len, strlen("Photosynthesis makes sugar."));
}

static void white_space_is_tidied_keeping_line_and_paragraph_breaks(void **state)
{
    struct sb_text_page p = page(1, "  One\t\t two  \r\n three\n\n\n\n four\x01 five \f six  \n");
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 1);
    assert_string_equal(c[0].content, "One two\nthree\n\nfour five\n\nsix");
}

static void chunks_never_span_pages_and_positions_run_on_across_pages(void **state)
{
    struct sb_text_page p[] = { page(1, "first page"), page(2, "   \n\n  "), page(3, "third page") };
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, p, 3, &c), 2);
    assert_int_equal(c[0].page, 1);
    assert_int_equal(c[0].position, 0);
    assert_string_equal(c[0].content, "first page");
    assert_int_equal(c[1].page, 3);
    assert_int_equal(c[1].position, 1);
    assert_string_equal(c[1].content, "third page");
}

static void nothing_gives_no_chunk(void **state)
{
    struct sb_text_page p = page(0, "");
    struct sb_chunk *c = (struct sb_chunk *)&c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 0);
    assert_null(c);
}

/* 1000 five-letter words, no paragraph break: a word costs 1.3 tokens, so a chunk holds 384
 * words (499.2 tokens) and the overlap is 38 words (49.4 tokens): [0,384), [346,730), [692,1000). */
static void a_long_paragraph_is_cut_into_budget_sized_chunks_that_overlap(void **state)
{
    struct sb_text_page p = page(1, words(0, 1000));
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 3);
    assert_string_equal(c[0].content, words(0, 384));
    assert_string_equal(c[1].content, words(346, 730));
    assert_string_equal(c[2].content, words(692, 1000));
    for (int i = 0; i < 3; i++)
        assert_true(sb_chunk_estimate_tokens(c[i].content, c[i].len) <= SB_CHUNK_TOKENS);
}

/* Six paragraphs of 100 words: three fit (390 tokens), the fourth would not; the break after the
 * third leaves the chunk more than half full, so the chunk ends there, with no overlap. */
static void a_chunk_ends_at_a_paragraph_break_when_at_least_half_full(void **state)
{
    int sizes[] = { 100, 100, 100, 100, 100, 100 };
    struct sb_text_page p = page(1, paragraphs(sizes, 6));
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 2);
    int first[] = { 100, 100, 100 };
    assert_string_equal(c[0].content, paragraphs(first, 3));
    assert_true(strncmp(c[1].content, "w0300 ", 6) == 0);
    assert_true(strstr(c[1].content, "w0299") == NULL);
    assert_string_equal(c[1].content + strlen(c[1].content) - 5, "w0599");
}

/* A 50-word paragraph then 1000 words: ending after the first paragraph would leave the chunk
 * 65 tokens full, less than half, so it is filled and cut inside the second one, with overlap. */
static void a_paragraph_break_too_early_is_not_where_a_chunk_ends(void **state)
{
    int sizes[] = { 50, 1000 };
    struct sb_text_page p = page(1, paragraphs(sizes, 2));
    struct sb_chunk *c;
    assert_true(sb_chunk_pages(arena, &p, 1, &c) >= 3);
    assert_true(strncmp(c[0].content, "w0000 ", 6) == 0);
    assert_string_equal(c[0].content + strlen(c[0].content) - 5, "w0383");
    assert_true(strncmp(c[1].content, "w0346 ", 6) == 0);
}

/* 2500 characters without a space: pieces of 1000 characters (250 tokens each); two fill a chunk. */
static void a_word_longer_than_the_limit_is_cut_into_pieces(void **state)
{
    char *text = sb_arena_alloc(arena, 2501);
    memset(text, 'x', 2500);
    struct sb_text_page p = page(1, text);
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 2);
    assert_int_equal(c[0].len, 2000);
    assert_int_equal(c[1].len, 500);
}

static void long_words_are_cut_between_characters_not_inside_one(void **state)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    for (int i = 0; i < 2500; i++)
        sb_buf_append(&b, "\xC3\xA9"); /* é */
    struct sb_text_page p = page(1, b.data);
    struct sb_chunk *c;
    assert_int_equal(sb_chunk_pages(arena, &p, 1, &c), 2);
    assert_int_equal(c[0].len, 4000);
    assert_int_equal(c[1].len, 1000);
    assert_null(u8_check((const uint8_t *)c[0].content, c[0].len));
    assert_null(u8_check((const uint8_t *)c[1].content, c[1].len));
}

static void tokens_are_estimated_from_words_and_long_words_from_characters(void **state)
{
    assert_int_equal(sb_chunk_estimate_tokens("one two three", 13), 4);     /* 3 x 1.3 = 3.9 */
    assert_int_equal(sb_chunk_estimate_tokens("", 0), 0);
    char word[41];
    memset(word, 'a', 40);
    word[40] = '\0';
    assert_int_equal(sb_chunk_estimate_tokens(word, 40), 10);              /* 40 / 4 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_short_page_is_one_chunk_that_names_its_page, setup, teardown),
        cmocka_unit_test_setup_teardown(white_space_is_tidied_keeping_line_and_paragraph_breaks, setup, teardown),
        cmocka_unit_test_setup_teardown(chunks_never_span_pages_and_positions_run_on_across_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_gives_no_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_paragraph_is_cut_into_budget_sized_chunks_that_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(a_chunk_ends_at_a_paragraph_break_when_at_least_half_full, setup, teardown),
        cmocka_unit_test_setup_teardown(a_paragraph_break_too_early_is_not_where_a_chunk_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(a_word_longer_than_the_limit_is_cut_into_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(long_words_are_cut_between_characters_not_inside_one, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_are_estimated_from_words_and_long_words_from_characters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
