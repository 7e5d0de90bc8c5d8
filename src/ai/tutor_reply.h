/*
 * tutor_reply: how the tutor's answer reaches the client — one JSON object at the end
 * ({"chat_id","answer","citations","mode"}), or server-sent events as it is made:
 *
 *   event: token        data: {"text":"..."}                       (one per piece of the answer)
 *   event: done         data: {"chat_id":..,"citations":[..],"mode":..}   (the answer is saved)
 *   event: error        data: {"code":..,"message":..}             (instead of done)
 *
 * The event stream begins (200, text/event-stream) when the reply is set up, after the tutor's
 * checks (whose refusals are ordinary HTTP errors in the functions' shape), so the client's
 * leaving is seen from then on (sb_tutor_reply_cancel_flag) and whatever fails later — the
 * provider cannot be reached, refuses, times out — is the stream's last event. The answer so
 * far is kept in text either way.
 */
#ifndef SB_AI_TUTOR_REPLY_H
#define SB_AI_TUTOR_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/call.h"
#include "http/request.h"
#include "util/buf.h"

struct sb_tutor_reply {
    struct sb_request *req;
    bool json;                  /* one JSON answer at the end */
    bool streaming;             /* the event stream has begun */
    bool gone;                  /* the client went away: nothing more is sent */
    struct sb_buf text;         /* the answer so far */
};

/* Sets the reply up; for events, the stream begins. */
void sb_tutor_reply_init(struct sb_tutor_reply *reply, struct sb_request *req, bool json);

/* One more piece of the answer (sb_llm_text_fn's shape: cls is the reply); non-zero once the
 * client has gone. */
int sb_tutor_reply_text(void *cls, const char *text, size_t len);

/* A whole text given piece by piece, a word at a time (the offline answer); false when the
 * client went away. */
bool sb_tutor_reply_pieces(struct sb_tutor_reply *reply, const char *text);

/* A flag that turns true when the client goes away, streamed or not (for sb_fetch's cancel). */
const volatile bool *sb_tutor_reply_cancel_flag(struct sb_tutor_reply *reply);

/* The answer is complete and saved: the JSON answer, or the done event. citations is a JSON
 * array's text. */
void sb_tutor_reply_done(struct sb_tutor_reply *reply, const char *chat_id, const char *citations, const char *mode);

/* The answer failed with the call's error: an HTTP error, or the error event. */
void sb_tutor_reply_fail(struct sb_tutor_reply *reply, struct sb_call *call);

#endif
