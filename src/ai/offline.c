/*
 * offline: the answer made of quoted passages (offline.h).
 */
#include "ai/offline.h"

#include "util/buf.h"
#include "util/utf8.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char offline_notice[] =
    "(Offline mode: no language model is configured on this server, so I can only quote your course "
    "materials, not explain them. To get full answers, the server's operator sets SB_LLM_URL and "
    "SB_LLM_MODEL to an OpenAI-compatible provider.)\n\n";

static bool contains_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strcasestr(p, word)) != NULL; p++) {
        bool starts = p == text || !isalnum((unsigned char)p[-1]);
        bool ends = !isalnum((unsigned char)p[n]) || word[n - 1] == '.';
        if (starts && ends)
            return true;
    }
    return false;
}

bool sb_offline_has_example(const char *text)
{
    static const char *const markers[] = { "example", "examples", "e.g.", "for instance", "such as" };
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (contains_word(text, markers[i]))
            return true;
    return false;
}

/* How many passages and how many bytes of each, for the detail level. */
static void amount_for(enum sb_pref_level detail, size_t *passages, size_t *bytes)
{
    *passages = detail == SB_PREF_LOW ? 1 : detail == SB_PREF_HIGH ? 4 : 2;
    *bytes = detail == SB_PREF_LOW ? 300 : detail == SB_PREF_HIGH ? 1200 : 600;
}

/* Picks the material passages to quote: in retrieval order, or with examples first. */
static void choose(const struct sb_passage *passages, size_t count, bool examples_first, size_t wanted,
                   struct sb_offline_answer *out)
{
    out->quoted_count = 0;
    for (int round = examples_first ? 0 : 1; round < 2; round++)
        for (size_t i = 0; i < count && out->quoted_count < wanted; i++) {
            if (passages[i].is_chat)
                continue;
            bool example = sb_offline_has_example(passages[i].content ? passages[i].content : "");
            if (examples_first && (round == 0) != example)
                continue;
            out->quoted[out->quoted_count++] = i;
        }
}

/* Appends up to max bytes of text, cut after a sentence when one ends in the second half, else
 * after a word, with an ellipsis when something was left out. */
static void append_excerpt(struct sb_buf *b, const char *text, size_t max)
{
    size_t len = strlen(text), keep = sb_utf8_prefix(text, max);
    if (keep < len) {
        size_t cut = keep;
        while (cut > max / 2 && !(text[cut - 1] == '.' && isspace((unsigned char)text[cut])))
            cut--;
        if (cut <= max / 2) {
            cut = keep;
            while (cut > 0 && !isspace((unsigned char)text[cut]))
                cut--;
        }
        keep = cut > 0 ? cut : keep;
    }
    while (keep > 0 && isspace((unsigned char)text[keep - 1]))
        keep--;
    for (size_t i = 0; i < keep; i++)         /* one line, quoted */
        sb_buf_append_char(b, text[i] == '\n' || text[i] == '\r' ? ' ' : text[i]);
    if (keep < len)
        sb_buf_append(b, " ...");
}

static void append_source(struct sb_buf *b, size_t number, const struct sb_passage *p)
{
    const char *name = p->material_name ? p->material_name : "a material";
    if (p->page > 0)
        sb_buf_printf(b, "[%zu] \"%s\", page %d", number, name, p->page);
    else
        sb_buf_printf(b, "[%zu] \"%s\"", number, name);
}

void sb_offline_answer(struct sb_arena *arena, const json_t *prefs, const struct sb_passage *passages, size_t count,
                       struct sb_offline_answer *out)
{
    size_t wanted, bytes;
    amount_for(sb_pref_level(prefs, "detail_level"), &wanted, &bytes);
    bool examples_wanted = sb_pref_level(prefs, "example_preference") == SB_PREF_HIGH;
    bool listed = sb_pref_level(prefs, "structure_preference") == SB_PREF_HIGH;
    choose(passages, count, examples_wanted, wanted, out);

    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, offline_notice);
    if (out->quoted_count == 0) {
        sb_buf_append(&b, "I found nothing in this course's materials that matches your question. Upload the "
                          "material that covers it, or ask again in other words.");
        out->text = b.data;
        return;
    }
    sb_buf_append(&b, out->quoted_count == 1 ? "The passage of your materials that matches your question best:\n\n"
                                             : "The passages of your materials that match your question best:\n\n");
    bool any_example = false;
    for (size_t k = 0; k < out->quoted_count; k++) {
        const struct sb_passage *p = &passages[out->quoted[k]];
        any_example |= sb_offline_has_example(p->content ? p->content : "");
        sb_buf_append(&b, listed ? "- " : "");
        append_source(&b, k + 1, p);
        sb_buf_append(&b, listed ? ": \"" : "\n\"");
        append_excerpt(&b, p->content ? p->content : "", bytes);
        sb_buf_append(&b, "\"\n\n");
    }
    if (examples_wanted && !any_example)
        sb_buf_append(&b, "None of these passages contains a worked example.\n\n");
    if (json_is_string(json_object_get(prefs, "learning_pace")) &&
        strcmp(json_string_value(json_object_get(prefs, "learning_pace")), "slow") == 0)
        sb_buf_append(&b, "Take them one at a time, and ask me about any part you want to see again.\n\n");
    b.len -= 2;                  /* no blank line at the end */
    b.data[b.len] = '\0';
    out->text = b.data;
}
