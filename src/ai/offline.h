/*
 * offline: the tutor's answer when no language model is configured (SB_LLM_URL unset). It
 * quotes the retrieved passages of the student's materials and cites them (material, page),
 * shaped by the preferences: detail_level decides how many passages and how much of each
 * (low: one short excerpt, medium: two, high: four longer ones); a high example_preference
 * puts passages that contain an example first (and says when none does); a high
 * structure_preference lists them, otherwise they follow as paragraphs; a slow learning_pace
 * adds a suggestion to go through them one at a time. It says plainly that it is the offline
 * mode and how to configure a model. Pure: no I/O.
 */
#ifndef SB_AI_OFFLINE_H
#define SB_AI_OFFLINE_H

#include <jansson.h>
#include <stddef.h>

#include "ai/prompt.h"
#include "util/arena.h"

#define SB_OFFLINE_PASSAGES_MAX 4

struct sb_offline_answer {
    const char *text;
    /* The quoted passages, as indexes into the passages given, in the order quoted ([1] first). */
    size_t quoted[SB_OFFLINE_PASSAGES_MAX];
    size_t quoted_count;
};

void sb_offline_answer(struct sb_arena *arena, const json_t *prefs, const struct sb_passage *passages, size_t count,
                       struct sb_offline_answer *out);

/* True when text reads like it holds an example ("for example", "e.g.", "example", "for instance"). */
bool sb_offline_has_example(const char *text);

#endif
