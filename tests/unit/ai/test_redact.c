/* ai/redact: a provider's words lose what looks like a key (sk-..., a Bearer credential, a long
 * run of key characters) and keep the rest, so they can be logged and stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ai/redact.h"

static struct sb_arena *arena;

static int setup(void **state)
{
    (void)state;
    arena = sb_arena_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sb_arena_free(arena);
    return 0;
}

static void an_openai_key_in_a_refusal_is_hidden(void **state)
{
    (void)state;
    assert_string_equal(sb_ai_redact(arena, "Incorrect API key provided: sk-proj-AbCd****************wxyz. You can find"),
                        "Incorrect API key provided: [redacted]. You can find");
    assert_string_equal(sb_ai_redact(arena, "key sk-te**-key is wrong"), "key [redacted] is wrong");
}

static void a_bearer_credential_is_hidden(void **state)
{
    (void)state;
    assert_string_equal(sb_ai_redact(arena, "sent Authorization: Bearer abc.def.ghi then"),
                        "sent Authorization: Bearer [redacted] then");
    assert_string_equal(sb_ai_redact(arena, "bearer  xyz"), "Bearer [redacted]");
}

static void a_long_run_of_key_characters_is_hidden(void **state)
{
    (void)state;
    assert_string_equal(sb_ai_redact(arena, "token=AbCdEfGhIjKlMnOpQrSt_-9 rest"), "token=[redacted] rest");
    assert_string_equal(sb_ai_redact(arena, "nineteen characters AbCdEfGhIjKlMnOpQrS"),
                        "nineteen characters AbCdEfGhIjKlMnOpQrS");
}

static void ordinary_words_stay(void **state)
{
    (void)state;
    const char *said = "The model `x` does not exist or you do not have access to it (HTTP 404); asks: é sk-";
    assert_string_equal(sb_ai_redact(arena, said), said);
    assert_string_equal(sb_ai_redact(arena, "task-list"), "task-list");   /* "sk-" inside a word */
    assert_string_equal(sb_ai_redact(arena, ""), "");
    assert_null(sb_ai_redact(arena, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_openai_key_in_a_refusal_is_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(a_bearer_credential_is_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_run_of_key_characters_is_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(ordinary_words_stay, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
