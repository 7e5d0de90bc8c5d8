/*
 * prompt: the tutor's system prompt and message list (prompt.h).
 */
#include "ai/prompt.h"

#include "util/buf.h"
#include "util/utf8.h"

#include <string.h>

/* ---- preferences ------------------------------------------------------------------------------ */

enum sb_pref_level sb_pref_level(const json_t *prefs, const char *key)
{
    const json_t *v = prefs ? json_object_get(prefs, key) : NULL;
    if (!v || !json_is_number(v))
        return SB_PREF_UNSET;
    double x = json_number_value(v);
    if (x < 0 || x > 1)
        return SB_PREF_UNSET;
    return x < 0.34 ? SB_PREF_LOW : x >= 0.67 ? SB_PREF_HIGH : SB_PREF_MEDIUM;
}

static const char *pref_word(const json_t *prefs, const char *key)
{
    const json_t *v = prefs ? json_object_get(prefs, key) : NULL;
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

/* One guideline per 0-1 preference: what to say for low, medium and high. */
struct guideline {
    const char *key;
    const char *low, *medium, *high;
};

static const struct guideline guidelines[] = {
    { "detail_level",
      "Keep answers short: the essential point in a few sentences",
      "Give a moderately detailed answer: the main idea and the reasoning behind it",
      "Explain thoroughly, step by step, covering the reasoning and the edge cases" },
    { "example_preference",
      "Use examples only when they are essential",
      "Include an example where it helps",
      "Illustrate every key idea with a concrete, worked example" },
    { "analogy_preference",
      "Avoid analogies; explain directly",
      "Use an analogy when a concept is abstract",
      "Use analogies to everyday things to explain new concepts" },
    { "technical_language",
      "Use plain language and define every technical term you need",
      "Use technical terms where they are standard, with a short definition the first time",
      "Use precise technical terminology; the student is comfortable with it" },
    { "structure_preference",
      "Write in flowing prose rather than lists",
      "Use some structure (short paragraphs, a list where it helps)",
      "Structure the answer clearly: headings, numbered steps or bullet points" },
    { "visual_preference",
      "Do not rely on visual aids",
      "Describe a diagram or table when it makes things clearer",
      "Use visual aids where possible: describe diagrams, draw small text tables or sketches" },
};

static void append_guidelines(struct sb_buf *b, const json_t *prefs)
{
    for (size_t i = 0; i < sizeof guidelines / sizeof guidelines[0]; i++) {
        const struct guideline *g = &guidelines[i];
        enum sb_pref_level level = sb_pref_level(prefs, g->key);
        if (level == SB_PREF_UNSET)
            continue;
        const char *text = level == SB_PREF_LOW ? g->low : level == SB_PREF_HIGH ? g->high : g->medium;
        sb_buf_printf(b, "- %s (%s %.2f).\n", text, g->key, json_number_value(json_object_get(prefs, g->key)));
    }
    const char *pace = pref_word(prefs, "learning_pace");
    if (pace && strcmp(pace, "slow") == 0)
        sb_buf_append(b, "- Go slowly: one idea at a time, check understanding before moving on (learning_pace slow).\n");
    else if (pace && strcmp(pace, "moderate") == 0)
        sb_buf_append(b, "- Keep a moderate pace: build on the basics without dwelling on them (learning_pace moderate).\n");
    else if (pace && strcmp(pace, "fast") == 0)
        sb_buf_append(b, "- Move fast: skip the basics and get to the point (learning_pace fast).\n");
    const char *prior = pref_word(prefs, "prior_experience");
    static const char *const levels[] = { "beginner", "intermediate", "advanced", "expert" };
    for (size_t i = 0; prior && i < 4; i++)
        if (strcmp(prior, levels[i]) == 0)
            sb_buf_printf(b, "- Pitch the answer at the level of %s %s learner (prior_experience %s).\n",
                          i == 0 ? "a" : "an", levels[i], levels[i]);
}

/* ---- academic profile ------------------------------------------------------------------------- */

static void append_string_list(struct sb_buf *b, const json_t *array, const char *(*word)(const char *))
{
    size_t n = json_is_array(array) ? json_array_size(array) : 0, shown = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(array, i);
        if (!json_is_string(v))
            continue;
        if (shown > 0)
            sb_buf_append(b, i + 1 == n ? " and " : ", ");
        sb_buf_append(b, word ? word(json_string_value(v)) : json_string_value(v));
        shown++;
    }
}

static const char *degree_word(const char *grade)
{
    if (strcmp(grade, "Bachelor") == 0)
        return "Bachelor's";
    if (strcmp(grade, "Masters") == 0)
        return "Master's";
    return grade;
}

static bool has_strings(const json_t *array)
{
    size_t n = json_is_array(array) ? json_array_size(array) : 0;
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(array, i)))
            return true;
    return false;
}

static void append_student(struct sb_buf *b, const json_t *academic)
{
    if (!json_is_object(academic))
        return;
    const json_t *grade = json_object_get(academic, "grade");
    const json_t *subject = json_object_get(academic, "subject");
    const json_t *semester = json_object_get(academic, "semester");
    const char *type = pref_word(academic, "semester_type");
    sb_buf_append(b, "About the student: ");
    if (has_strings(grade)) {
        sb_buf_append(b, "a ");
        append_string_list(b, grade, degree_word);
        sb_buf_append(b, " student");
    } else {
        sb_buf_append(b, "a university student");
    }
    if (json_is_integer(semester)) {
        sb_buf_printf(b, " in semester %lld", (long long)json_integer_value(semester));
        if (type && strcmp(type, "double") == 0)
            sb_buf_append(b, " (two semesters a year)");
        else if (type && strcmp(type, "tri") == 0)
            sb_buf_append(b, " (trimesters: three a year)");
    }
    if (has_strings(subject)) {
        sb_buf_append(b, ", studying ");
        append_string_list(b, subject, NULL);
    }
    sb_buf_append(b, ".\n");
}

/* ---- passages --------------------------------------------------------------------------------- */

static void append_passage(struct sb_buf *b, size_t number, const struct sb_passage *p)
{
    if (p->is_chat)
        sb_buf_printf(b, "[%zu] An earlier conversation in this course:\n", number);
    else if (p->page > 0)
        sb_buf_printf(b, "[%zu] \"%s\", page %d:\n", number, p->material_name ? p->material_name : "material", p->page);
    else
        sb_buf_printf(b, "[%zu] \"%s\":\n", number, p->material_name ? p->material_name : "material");
    const char *text = p->content ? p->content : "";
    size_t keep = sb_utf8_prefix(text, SB_PROMPT_PASSAGE_MAX_BYTES);
    sb_buf_append_n(b, text, keep);
    sb_buf_append(b, keep < strlen(text) ? " [...]\n\n" : "\n\n");
}

static void append_passages(struct sb_buf *b, const struct sb_passage *passages, size_t count)
{
    if (count == 0) {
        sb_buf_append(b, "\nNo passage of the student's course materials or earlier conversations matched this "
                         "question. Say so when the answer would depend on them, and answer from general "
                         "knowledge, marked as such.\n");
        return;
    }
    sb_buf_append(b, "\nPassages from the student's own course materials and earlier conversations follow. "
                     "Base the answer on them where they are relevant and cite them by number, like [1]. "
                     "If they do not cover the question, say so, and mark what you add from general knowledge.\n\n");
    for (size_t i = 0; i < count; i++)
        append_passage(b, i + 1, &passages[i]);
}

char *sb_prompt_system(struct sb_arena *arena, const struct sb_learner *learner, const struct sb_passage *passages,
                       size_t count)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "You are studybase's tutor, helping a university student learn");
    if (learner->course_name) {
        sb_buf_append(&b, " in the course ");
        sb_buf_append_json_string(&b, learner->course_name);
    }
    sb_buf_append(&b, ". Be accurate and encouraging; never invent facts or citations.\n");
    append_student(&b, learner->academic);
    size_t before = b.len;
    sb_buf_append(&b, "How to answer, following the student's learning preferences:\n");
    size_t header = b.len;
    append_guidelines(&b, learner->prefs);
    if (b.len == header) {          /* no preference set: no heading either */
        b.len = before;
        b.data[before] = '\0';
    }
    append_passages(&b, passages, count);
    return b.data;
}

/* ---- messages --------------------------------------------------------------------------------- */

static const char *provider_role(const json_t *message)
{
    const char *role = pref_word(message, "role");
    if (!role || !json_is_string(json_object_get(message, "content")))
        return NULL;
    if (strcmp(role, "user") == 0)
        return "user";
    if (strcmp(role, "model") == 0 || strcmp(role, "assistant") == 0)
        return "assistant";
    return NULL;
}

static json_t *message(const char *role, const char *content)
{
    return json_pack("{s:s, s:s}", "role", role, "content", content);
}

/* A message of the chat's history, its content cut (on a character) to what the prompt takes. */
static json_t *history_message(const char *role, const char *content)
{
    size_t keep = sb_utf8_prefix(content, SB_PROMPT_HISTORY_MESSAGE_MAX_BYTES);
    return json_pack("{s:s, s:s#}", "role", role, "content", content, (int)keep);
}

json_t *sb_prompt_messages(const char *system, const json_t *history, const char *question)
{
    json_t *out = json_array();
    json_array_append_new(out, message("system", system));
    size_t n = json_is_array(history) ? json_array_size(history) : 0, usable = 0, start = n;
    while (start > 0 && usable < SB_PROMPT_HISTORY_MESSAGES)
        if (provider_role(json_array_get(history, --start)))
            usable++;
    for (size_t i = start; i < n; i++) {
        const json_t *m = json_array_get(history, i);
        const char *role = provider_role(m);
        if (role)
            json_array_append_new(out, history_message(role, json_string_value(json_object_get(m, "content"))));
    }
    json_array_append_new(out, message("user", question));
    return out;
}

long sb_tokens_estimate(const char *text)
{
    return text ? (long)((strlen(text) + 3) / 4) : 0;
}
