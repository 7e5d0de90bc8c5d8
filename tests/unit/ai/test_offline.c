/* ai/offline: the offline answer says it is offline and how to configure a model, quotes as
 * many passages as the detail level asks (material passages only), puts passages with examples
 * first for a student who wants examples, cuts excerpts at a sentence, and cites the quoted
 * passages in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ai/offline.h"

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

static const struct sb_passage passages[] = {
    { .id = "c1", .material_name = "Ch1.pdf", .page = 1, .content = "Limits describe behaviour near a point." },
    { .is_chat = true, .id = "chat", .content = "user: what is a limit?" },
    { .id = "c2", .material_name = "Ch1.pdf", .page = 2, .content = "The derivative is a limit of difference quotients." },
    { .id = "c3", .material_name = "Drill.md", .page = 0, .content = "For example, the derivative of x^2 is 2x." },
    { .id = "c4", .material_name = "Ch2.pdf", .page = 9, .content = "Integrals accumulate change." },
    { .id = "c5", .material_name = "Ch2.pdf", .page = 10, .content = "Riemann sums approximate integrals." },
};

static struct sb_offline_answer answer_for(const char *prefs)
{
    json_t *p = prefs ? json_loads(prefs, 0, NULL) : NULL;
    struct sb_offline_answer a;
    sb_offline_answer(arena, p, passages, 6, &a);
    json_decref(p);
    return a;
}

static void it_says_it_is_offline_and_how_to_configure_a_model(void **state)
{
    struct sb_offline_answer a = answer_for(NULL);
    assert_true(strncmp(a.text, "(Offline mode: no language model is configured", 46) == 0);
    assert_non_null(strstr(a.text, "SB_LLM_URL and SB_LLM_MODEL"));
}

static void the_detail_level_decides_how_many_passages(void **state)
{
    assert_int_equal(answer_for("{\"detail_level\":0.2}").quoted_count, 1);
    assert_int_equal(answer_for(NULL).quoted_count, 2);
    assert_int_equal(answer_for("{\"detail_level\":0.5}").quoted_count, 2);
    struct sb_offline_answer a = answer_for("{\"detail_level\":0.9}");
    assert_int_equal(a.quoted_count, 4);
    size_t order[] = { 0, 2, 3, 4 };            /* retrieval order, the chat left out */
    assert_memory_equal(a.quoted, order, sizeof order);
    assert_non_null(strstr(a.text, "[1] \"Ch1.pdf\", page 1\n\"Limits describe behaviour near a point.\""));
    assert_non_null(strstr(a.text, "[3] \"Drill.md\"\n\"For example"));
    assert_null(strstr(a.text, "what is a limit"));
}

static void a_high_example_preference_puts_examples_first(void **state)
{
    struct sb_offline_answer a = answer_for("{\"example_preference\":0.8}");
    assert_int_equal(a.quoted_count, 2);
    assert_int_equal(a.quoted[0], 3);
    assert_int_equal(a.quoted[1], 0);
    assert_non_null(strstr(a.text, "[1] \"Drill.md\"\n\"For example, the derivative of x^2 is 2x.\""));
}

static void it_says_when_no_passage_holds_the_wanted_example(void **state)
{
    json_t *p = json_loads("{\"example_preference\":0.9}", 0, NULL);
    struct sb_offline_answer a;
    sb_offline_answer(arena, p, passages + 4, 2, &a);
    assert_non_null(strstr(a.text, "None of these passages contains a worked example."));
    json_decref(p);
}

static void structure_and_pace_shape_the_layout(void **state)
{
    struct sb_offline_answer a = answer_for("{\"structure_preference\":0.9,\"learning_pace\":\"slow\"}");
    assert_non_null(strstr(a.text, "- [1] \"Ch1.pdf\", page 1: \"Limits"));
    assert_non_null(strstr(a.text, "Take them one at a time"));
}

static void nothing_retrieved_says_so(void **state)
{
    struct sb_offline_answer a;
    sb_offline_answer(arena, NULL, passages + 1, 1, &a);       /* only a chat */
    assert_int_equal(a.quoted_count, 0);
    assert_non_null(strstr(a.text, "I found nothing in this course's materials"));
}

static void a_long_passage_is_cut_after_a_sentence(void **state)
{
    char text[2000] = "";
    for (int i = 0; i < 40; i++)
        strcat(text, "This sentence has exactly forty-two chars. ");
    struct sb_passage p = { .material_name = "long.pdf", .page = 1, .content = text };
    json_t *prefs = json_loads("{\"detail_level\":0.1}", 0, NULL);
    struct sb_offline_answer a;
    sb_offline_answer(arena, prefs, &p, 1, &a);
    assert_non_null(strstr(a.text, "forty-two chars. ...\""));
    assert_true(strlen(a.text) < 300 + 600);
    json_decref(prefs);
}

static void examples_are_recognised(void **state)
{
    assert_true(sb_offline_has_example("For example: x"));
    assert_true(sb_offline_has_example("as in e.g. the map"));
    assert_true(sb_offline_has_example("Examples follow"));
    assert_true(sb_offline_has_example("for instance, a cat"));
    assert_false(sb_offline_has_example("a counterexampled word"));
    assert_false(sb_offline_has_example("no such thing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(it_says_it_is_offline_and_how_to_configure_a_model, setup, teardown),
        cmocka_unit_test_setup_teardown(the_detail_level_decides_how_many_passages, setup, teardown),
        cmocka_unit_test_setup_teardown(a_high_example_preference_puts_examples_first, setup, teardown),
        cmocka_unit_test_setup_teardown(it_says_when_no_passage_holds_the_wanted_example, setup, teardown),
        cmocka_unit_test_setup_teardown(structure_and_pace_shape_the_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_retrieved_says_so, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_passage_is_cut_after_a_sentence, setup, teardown),
        cmocka_unit_test(examples_are_recognised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
