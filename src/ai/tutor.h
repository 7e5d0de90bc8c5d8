/*
 * tutor: POST /functions/v1/tutor {"course_id", "chat_id"?, "message", "stream"?} — the AI
 * tutor. For a signed-in student: checks the question, finds the best passages of the
 * course's materials and earlier chats (hybrid_search, as the student), asks the configured
 * language model with a prompt shaped by the student's preferences and academic profile (or,
 * with none configured, answers offline from the passages), sends the answer as server-sent
 * events or one JSON object (tutor_reply.h), and appends the question and the answer to the
 * chat in one statement. Per-user limits: calls per hour, model tokens per day, answers in
 * progress at once (429 with Retry-After).
 */
#ifndef SB_AI_TUTOR_H
#define SB_AI_TUTOR_H

#include <stdbool.h>

#include "http/request.h"

#define SB_TUTOR_MESSAGE_MAX_CHARS 8000

/* Adds the route (called from sb_functions_register). */
void sb_ai_tutor_routes(void);

/* True when the client asked for one JSON answer rather than an event stream: "stream": false
 * in the body, or an Accept header that names application/json and not text/event-stream. */
bool sb_tutor_wants_json(const char *accept, bool stream_given, bool stream);

/* True for a UUID in its text form (8-4-4-4-12 hex digits). */
bool sb_tutor_is_uuid(const char *text);

#endif
