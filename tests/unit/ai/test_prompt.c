/* ai/prompt: the system prompt says what the student's preferences and profile ask for (and
 * nothing for what they left out), numbers the passages with material and page, and the
 * messages map the seed's roles to the provider's, keeping the last messages only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ai/prompt.h"

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

static char *system_for(const char *prefs, const char *academic, const struct sb_passage *p, size_t n)
{
    json_t *jp = prefs ? json_loads(prefs, 0, NULL) : NULL;
    json_t *ja = academic ? json_loads(academic, 0, NULL) : NULL;
    struct sb_learner learner = { jp, ja, "Algebra I" };
    char *text = sb_prompt_system(arena, &learner, p, n);
    json_decref(jp);
    json_decref(ja);
    return text;
}

static void levels_split_the_unit_interval_in_three(void **state)
{
    json_t *p = json_loads("{\"a\":0,\"b\":0.33,\"c\":0.34,\"d\":0.66,\"e\":0.67,\"f\":1,\"g\":1.5,\"h\":\"high\"}", 0, NULL);
    assert_int_equal(sb_pref_level(p, "a"), SB_PREF_LOW);
    assert_int_equal(sb_pref_level(p, "b"), SB_PREF_LOW);
    assert_int_equal(sb_pref_level(p, "c"), SB_PREF_MEDIUM);
    assert_int_equal(sb_pref_level(p, "d"), SB_PREF_MEDIUM);
    assert_int_equal(sb_pref_level(p, "e"), SB_PREF_HIGH);
    assert_int_equal(sb_pref_level(p, "f"), SB_PREF_HIGH);
    assert_int_equal(sb_pref_level(p, "g"), SB_PREF_UNSET);
    assert_int_equal(sb_pref_level(p, "h"), SB_PREF_UNSET);
    assert_int_equal(sb_pref_level(p, "missing"), SB_PREF_UNSET);
    assert_int_equal(sb_pref_level(NULL, "a"), SB_PREF_UNSET);
    json_decref(p);
}

static void each_preference_shapes_the_instructions(void **state)
{
    char *s = system_for("{\"detail_level\":0.1,\"example_preference\":0.9,\"analogy_preference\":0.9,"
                         "\"technical_language\":0.9,\"structure_preference\":0.1,\"visual_preference\":0.5,"
                         "\"learning_pace\":\"fast\",\"prior_experience\":\"expert\"}",
                         NULL, NULL, 0);
    assert_non_null(strstr(s, "- Keep answers short: the essential point in a few sentences (detail_level 0.10).\n"));
    assert_non_null(strstr(s, "worked example (example_preference 0.90)"));
    assert_non_null(strstr(s, "analogies to everyday things to explain new concepts (analogy_preference 0.90)"));
    assert_non_null(strstr(s, "precise technical terminology; the student is comfortable with it (technical_language 0.90)"));
    assert_non_null(strstr(s, "flowing prose rather than lists (structure_preference 0.10)"));
    assert_non_null(strstr(s, "Describe a diagram or table when it makes things clearer (visual_preference 0.50)"));
    assert_non_null(strstr(s, "skip the basics and get to the point (learning_pace fast)"));
    assert_non_null(strstr(s, "level of an expert learner"));
}

static void preferences_out_of_range_or_absent_say_nothing(void **state)
{
    char *s = system_for("{\"detail_level\":7,\"learning_pace\":\"warp\",\"prior_experience\":3}", NULL, NULL, 0);
    assert_null(strstr(s, "How to answer"));
    assert_null(strstr(s, "detail_level"));
    assert_null(strstr(s, "learning_pace"));
    s = system_for(NULL, NULL, NULL, 0);
    assert_null(strstr(s, "How to answer"));
    assert_null(strstr(s, "About the student"));
    assert_non_null(strstr(s, "the course \"Algebra I\""));
}

static void the_academic_profile_reads_as_a_sentence(void **state)
{
    char *s = system_for(NULL, "{\"grade\":[\"Bachelor\",\"Masters\"],\"semester_type\":\"tri\",\"semester\":5,"
                               "\"subject\":[\"economics\",\"english\",\"business administration\"]}",
                         NULL, 0);
    assert_non_null(strstr(s, "About the student: a Bachelor's and Master's student in semester 5 (trimesters: three "
                              "a year), studying economics, english and business administration.\n"));
    s = system_for(NULL, "{\"grade\":[],\"semester_type\":\"double\",\"semester\":1,\"subject\":[]}", NULL, 0);
    assert_non_null(strstr(s, "About the student: a university student in semester 1 (two semesters a year).\n"));
}

static void passages_are_numbered_with_material_and_page(void **state)
{
    struct sb_passage p[] = {
        { .material_name = "Week 1.pdf", .page = 3, .content = "Vectors add tip to tail." },
        { .is_chat = true, .content = "user: what is a basis?" },
        { .material_name = "notes.md", .page = 0, .content = "A basis spans the space." },
    };
    char *s = system_for(NULL, NULL, p, 3);
    assert_non_null(strstr(s, "[1] \"Week 1.pdf\", page 3:\nVectors add tip to tail.\n\n"));
    assert_non_null(strstr(s, "[2] An earlier conversation in this course:\nuser: what is a basis?\n\n"));
    assert_non_null(strstr(s, "[3] \"notes.md\":\nA basis spans the space.\n\n"));
    assert_non_null(strstr(s, "cite them by number, like [1]"));
    assert_null(strstr(s, "No passage"));
}

static void a_long_passage_is_cut_on_a_character_boundary(void **state)
{
    char text[4000];
    memset(text, 0, sizeof text);
    for (size_t i = 0; i + 2 < 3000; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);         /* é, two bytes each */
    struct sb_passage p = { .material_name = "m", .page = 1, .content = text };
    char *s = system_for(NULL, NULL, &p, 1);
    char *start = strstr(s, "page 1:\n") + 8;
    char *end = strstr(start, " [...]\n");
    assert_non_null(end);
    assert_true(end - start <= SB_PROMPT_PASSAGE_MAX_BYTES);
    assert_int_equal((end - start) % 2, 0);
}

static void messages_map_roles_and_keep_the_last_ones(void **state)
{
    json_t *history = json_array();
    for (int i = 0; i < 20; i++)
        json_array_append_new(history, json_pack("{s:s, s:s}", "role", i % 2 ? "model" : "user", "content",
                                                 i % 2 ? "answer" : "question"));
    json_array_append_new(history, json_pack("{s:s, s:i}", "role", "user", "content", 5));   /* skipped */
    json_array_append_new(history, json_pack("{s:s, s:s}", "role", "system", "content", "x")); /* skipped */
    json_t *m = sb_prompt_messages("SYSTEM", history, "why?");
    assert_int_equal(json_array_size(m), 1 + SB_PROMPT_HISTORY_MESSAGES + 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")), "system");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "content")), "SYSTEM");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "role")), "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 2), "role")), "assistant");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 2), "content")), "answer");
    json_t *last = json_array_get(m, json_array_size(m) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "role")), "user");
    assert_string_equal(json_string_value(json_object_get(last, "content")), "why?");
    json_decref(m);
    m = sb_prompt_messages("S", NULL, "q");
    assert_int_equal(json_array_size(m), 2);
    json_decref(m);
    json_decref(history);
}

static void tokens_are_estimated_at_a_quarter_of_the_bytes(void **state)
{
    assert_int_equal(sb_tokens_estimate(""), 0);
    assert_int_equal(sb_tokens_estimate("abcd"), 1);
    assert_int_equal(sb_tokens_estimate("abcde"), 2);
    assert_int_equal(sb_tokens_estimate(NULL), 0);
}

static void a_long_history_message_is_cut_on_a_character(void **state)
{
    char long_text[10000];
    memset(long_text, 'a', sizeof long_text);
    memcpy(long_text + SB_PROMPT_HISTORY_MESSAGE_MAX_BYTES - 1, "\xc3\xa9", 2);   /* é across the limit */
    long_text[sizeof long_text - 1] = '\0';
    json_t *history = json_pack("[{s:s, s:s}]", "role", "user", "content", long_text);
    json_t *m = sb_prompt_messages("S", history, "q");
    const char *kept = json_string_value(json_object_get(json_array_get(m, 1), "content"));
    assert_int_equal(strlen(kept), SB_PROMPT_HISTORY_MESSAGE_MAX_BYTES - 1);   /* the é does not fit whole */
    assert_int_equal(kept[strlen(kept) - 1], 'a');
    json_decref(m);
    json_decref(history);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(levels_split_the_unit_interval_in_three),
        cmocka_unit_test_setup_teardown(each_preference_shapes_the_instructions, setup, teardown),
        cmocka_unit_test_setup_teardown(preferences_out_of_range_or_absent_say_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(the_academic_profile_reads_as_a_sentence, setup, teardown),
        cmocka_unit_test_setup_teardown(passages_are_numbered_with_material_and_page, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_passage_is_cut_on_a_character_boundary, setup, teardown),
        cmocka_unit_test(messages_map_roles_and_keep_the_last_ones),
        cmocka_unit_test(tokens_are_estimated_at_a_quarter_of_the_bytes),
        cmocka_unit_test(a_long_history_message_is_cut_on_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
