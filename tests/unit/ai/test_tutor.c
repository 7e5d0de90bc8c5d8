/* ai/tutor: the request's small decisions — a UUID's form, JSON or events, the question as a
 * full-text query of or'ed words — and the per-user slots, given back with the request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ai/tutor.h"
#include "ai/tutor_data.h"
#include "ai/tutor_slots.h"

static void uuids_have_their_text_form(void **state)
{
    assert_true(sb_tutor_is_uuid("123e4567-e89b-12d3-a456-426614174000"));
    assert_true(sb_tutor_is_uuid("123E4567-E89B-12D3-A456-426614174000"));
    assert_false(sb_tutor_is_uuid("123e4567e89b12d3a456426614174000"));
    assert_false(sb_tutor_is_uuid("123e4567-e89b-12d3-a456-42661417400"));
    assert_false(sb_tutor_is_uuid("123e4567-e89b-12d3-a456-4266141740000"));
    assert_false(sb_tutor_is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
    assert_false(sb_tutor_is_uuid(""));
}

static void events_unless_json_is_asked_for(void **state)
{
    assert_false(sb_tutor_wants_json(NULL, false, false));            /* supabase-js sends no Accept */
    assert_false(sb_tutor_wants_json("*/*", false, false));
    assert_false(sb_tutor_wants_json("text/event-stream", false, false));
    assert_true(sb_tutor_wants_json("application/json", false, false));
    assert_false(sb_tutor_wants_json("application/json, text/event-stream", false, false));
    assert_true(sb_tutor_wants_json("text/event-stream", true, false));  /* "stream": false wins */
    assert_false(sb_tutor_wants_json("application/json", true, true));
}

static void the_question_becomes_or_ed_words(void **state)
{
    struct sb_arena *arena = sb_arena_new();
    assert_string_equal(sb_tutor_search_text(arena, "What is photosynthesis?"), "What or is or photosynthesis");
    assert_string_equal(sb_tutor_search_text(arena, "\"quoted\" -minus or OR"), "quoted or minus");
    assert_string_equal(sb_tutor_search_text(arena, "Größe   der Zelle"), "Größe or der or Zelle");
    assert_string_equal(sb_tutor_search_text(arena, "?!"), "");
    char many[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "word ");
    const char *q = sb_tutor_search_text(arena, many);
    int words = 1;
    for (const char *p = q; (p = strstr(p, " or ")) != NULL; p++)
        words++;
    assert_int_equal(words, SB_TUTOR_SEARCH_WORDS);
    sb_arena_free(arena);
}

static void slots_are_per_user_and_come_back_with_the_arena(void **state)
{
    struct sb_arena *a = sb_arena_new(), *b = sb_arena_new(), *c = sb_arena_new();
    assert_true(sb_tutor_slot_take(a, "u1", 2));
    assert_true(sb_tutor_slot_take(b, "u1", 2));
    assert_false(sb_tutor_slot_take(c, "u1", 2));
    assert_true(sb_tutor_slot_take(c, "u2", 2));
    assert_int_equal(sb_tutor_slots_held("u1"), 2);
    sb_arena_free(a);
    assert_int_equal(sb_tutor_slots_held("u1"), 1);
    sb_arena_free(b);
    assert_int_equal(sb_tutor_slots_held("u1"), 0);
    assert_int_equal(sb_tutor_slots_held("u2"), 1);
    sb_arena_free(c);
    assert_int_equal(sb_tutor_slots_held("u2"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uuids_have_their_text_form),
        cmocka_unit_test(events_unless_json_is_asked_for),
        cmocka_unit_test(the_question_becomes_or_ed_words),
        cmocka_unit_test(slots_are_per_user_and_come_back_with_the_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
