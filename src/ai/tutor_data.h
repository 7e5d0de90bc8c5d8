/*
 * tutor_data: the tutor's SQL — what it reads as the caller (the course, the chat, the
 * student's preferences and academic profile, the retrieved passages through hybrid_search),
 * what it writes as the caller (the two messages of a finished answer, atomically), and the
 * usage counters it keeps as service_role (ai.tutor_admit, ai.tutor_add_tokens: db/platform/
 * 008_tutor.sql). Row-level security decides what the caller may see: another student's course
 * or chat is simply not found.
 *
 * Each function returns false with the call's error filled. JSON values live in the arena.
 */
#ifndef SB_AI_TUTOR_DATA_H
#define SB_AI_TUTOR_DATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ai/prompt.h"
#include "base/call.h"

#define SB_TUTOR_PASSAGES 6            /* hybrid_search's match_count */

/* What the student asked (the request body, checked). */
struct sb_tutor_ask {
    const char *course_id;
    const char *chat_id;               /* NULL: a new chat is created with the answer */
    const char *message;
    bool want_json;                    /* one JSON answer rather than server-sent events */
};

/* What the tutor knows about the student and the conversation. */
struct sb_tutor_context {
    const char *course_name;
    json_t *history;                   /* the chat's last messages (array), or NULL for a new chat */
    json_t *prefs;                     /* personalized.prefs, or NULL */
    json_t *academic;                  /* the academic row as an object, or NULL */
};

/* The course (404 when the caller cannot see it), the chat (404 when it is not the caller's
 * chat of that course), and the student's profile. */
bool sb_tutor_load_context(struct sb_call *call, const struct sb_tutor_ask *ask, struct sb_tutor_context *out);

/* The passages hybrid_search finds for the message in the course, as the caller; the chat
 * being continued is left out (its messages are sent as history). */
bool sb_tutor_retrieve(struct sb_call *call, const struct sb_tutor_ask *ask, struct sb_passage **out, size_t *count);

/* The question as hybrid_search's full-text query: its words joined by "or" (web-search
 * syntax), so a passage matches on any of them and ranks by how many it holds; a question's
 * words all together rarely appear in one passage. At most SB_TUTOR_SEARCH_WORDS words;
 * quotes and minus signs of the question are not operators. */
#define SB_TUTOR_SEARCH_WORDS 32
char *sb_tutor_search_text(struct sb_arena *arena, const char *question);

/* Appends the question and the answer (roles user and model) to the chat in one statement
 * (append_chat_messages), or creates the course's chat holding both; *chat_id is the chat's. */
bool sb_tutor_save_exchange(struct sb_call *call, const struct sb_tutor_ask *ask, const char *answer,
                            const char **chat_id);

/* Counts one call of user against the hourly and daily limits; refused: 429 with the call's
 * error filled and *retry_after_s set. */
bool sb_tutor_admit(struct sb_call *call, const char *user, int *retry_after_s);

/* Adds an answer's model tokens to user's day (a failure is only logged). */
void sb_tutor_add_tokens(struct sb_call *call, const char *user, long tokens);

#endif
