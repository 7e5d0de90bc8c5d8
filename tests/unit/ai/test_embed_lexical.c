/* ai/embed_lexical: the built-in embedder gives unit-length, repeatable vectors in which texts
 * that share (stemmed) words are nearer than texts that share none. It is lexical: a
 * synonym counts for nothing, and this file says so too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "ai/embed_lexical.h"

static float v1[SB_EMBED_DIMENSIONS], v2[SB_EMBED_DIMENSIONS];

static int embed(const char *text, float *out)
{
    return sb_embed_lexical(text, strlen(text), out);
}

static double cosine(const float *a, const float *b)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < SB_EMBED_DIMENSIONS; i++) {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    return na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
}

static double similarity(const char *a, const char *b)
{
    embed(a, v1);
    embed(b, v2);
    return cosine(v1, v2);
}

static void a_vector_has_unit_length(void **state)
{
    assert_int_equal(embed("The derivative of a product follows the product rule.", v1), 5);
    double norm = 0;
    for (int i = 0; i < SB_EMBED_DIMENSIONS; i++)
        norm += (double)v1[i] * v1[i];
    assert_true(fabs(norm - 1.0) < 1e-5);
}

static void the_same_text_gives_the_same_vector(void **state)
{
    embed("Photosynthesis turns light into chemical energy", v1);
    embed("Photosynthesis turns light into chemical energy", v2);
    assert_memory_equal(v1, v2, sizeof v1);
}

static void case_and_punctuation_do_not_matter(void **state)
{
    embed("Newton's second law: F = m a!", v1);
    embed("newton s SECOND law f m a", v2);
    assert_memory_equal(v1, v2, sizeof v1);
}

static void plural_and_ing_forms_meet_their_stem(void **state)
{
    assert_true(similarity("derivatives of polynomials", "derivative of a polynomial") > 0.99);
    assert_true(similarity("studies of learning", "study of learn") > 0.99);
}

static void shared_words_are_nearer_than_no_shared_words(void **state)
{
    const char *query = "how does the chain rule work for derivatives";
    double related = similarity(query, "The chain rule gives the derivative of a composition of functions.");
    double unrelated = similarity(query, "Mitochondria produce most of the cell's energy.");
    assert_true(related > 0.3);
    assert_true(unrelated < 0.15);
    assert_true(related > unrelated + 0.2);
}

static void common_words_alone_still_count(void **state)
{
    assert_int_equal(embed("to be or not to be", v1), 6);
    assert_true(similarity("to be or not to be", "not to be") > 0.5);
}

static void a_text_without_words_is_the_zero_vector(void **state)
{
    assert_int_equal(embed("  ... ?!", v1), 0);
    for (int i = 0; i < SB_EMBED_DIMENSIONS; i++)
        assert_true(v1[i] == 0.0f);
    assert_int_equal(sb_embed_lexical("", 0, v1), 0);
}

static void non_latin_words_stay_whole(void **state)
{
    assert_true(similarity("Ableitung der Funktion über", "über die Funktion") > 0.4);
    assert_true(similarity("производная функции", "производная") > 0.4);
}

static void it_is_lexical_a_synonym_counts_for_nothing(void **state)
{
    assert_true(similarity("automobile", "car") < 0.2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_vector_has_unit_length),
        cmocka_unit_test(the_same_text_gives_the_same_vector),
        cmocka_unit_test(case_and_punctuation_do_not_matter),
        cmocka_unit_test(plural_and_ing_forms_meet_their_stem),
        cmocka_unit_test(shared_words_are_nearer_than_no_shared_words),
        cmocka_unit_test(common_words_alone_still_count),
        cmocka_unit_test(a_text_without_words_is_the_zero_vector),
        cmocka_unit_test(non_latin_words_stay_whole),
        cmocka_unit_test(it_is_lexical_a_synonym_counts_for_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
