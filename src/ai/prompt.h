/*
 * prompt: what the tutor tells the model — a system prompt shaped by the student's learning
 * preferences (personalized.prefs) and academic profile (academic), the retrieved passages
 * numbered for citing, and the chat's recent messages with the seed's roles mapped to the
 * provider's (user -> user, model -> assistant).
 *
 * Pure functions over JSON values and arena strings; no I/O. The offline tutor (offline.h)
 * reads the same preferences through the level helpers here.
 */
#ifndef SB_AI_PROMPT_H
#define SB_AI_PROMPT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

#define SB_PROMPT_PASSAGE_MAX_BYTES 1500   /* each passage's text in the prompt, at most */
#define SB_PROMPT_HISTORY_MESSAGES 12      /* the chat's last messages sent along */
#define SB_PROMPT_HISTORY_MESSAGE_MAX_BYTES 4000  /* each of them, at most (its start) */

/* One retrieved passage (a row of hybrid_search). */
struct sb_passage {
    bool is_chat;               /* an earlier conversation ('chat'), else a material's chunk */
    const char *id;             /* the chunk's or the chat's id */
    const char *material_id;    /* chunks only */
    const char *material_name;  /* chunks only */
    int page;                   /* 1-based; 0 when there is none (a text file, a chat) */
    const char *content;
};

/* Who is asking. Each may be NULL (a student who filled in nothing). */
struct sb_learner {
    const json_t *prefs;        /* personalized.prefs */
    const json_t *academic;     /* {"grade":[...],"semester_type":..,"semester":..,"subject":[...]} */
    const char *course_name;
};

enum sb_pref_level { SB_PREF_UNSET, SB_PREF_LOW, SB_PREF_MEDIUM, SB_PREF_HIGH };

/* A 0-1 preference (detail_level, example_preference, ...) as a level: below 0.34 low, from
 * 0.67 high, medium between; unset when missing or not a number in 0-1. */
enum sb_pref_level sb_pref_level(const json_t *prefs, const char *key);

/* The system prompt. */
char *sb_prompt_system(struct sb_arena *arena, const struct sb_learner *learner, const struct sb_passage *passages,
                       size_t count);

/* The provider's messages array (a new reference): the system prompt, then the last
 * SB_PROMPT_HISTORY_MESSAGES well-formed messages of history (a JSON array of {role, content};
 * may be NULL), roles mapped, then the question as the user's. */
json_t *sb_prompt_messages(const char *system, const json_t *history, const char *question);

/* A rough token count of text (a quarter of its bytes, rounded up), for the daily limit when
 * the provider reports no usage. */
long sb_tokens_estimate(const char *text);


#endif
