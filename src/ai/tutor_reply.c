/*
 * tutor_reply: the JSON answer and the event stream (tutor_reply.h).
 */
#include "ai/tutor_reply.h"

#include <string.h>

void sb_tutor_reply_init(struct sb_tutor_reply *reply, struct sb_request *req, bool json)
{
    memset(reply, 0, sizeof *reply);
    reply->req = req;
    reply->json = json;
    sb_buf_init(&reply->text, req->arena);
    sb_buf_append(&reply->text, "");
}

int sb_tutor_reply_text(void *cls, const char *text, size_t len)
{
    struct sb_tutor_reply *reply = cls;
    if (reply->gone)
        return 1;
    sb_buf_append_n(&reply->text, text, len);
    return 0;
}

bool sb_tutor_reply_pieces(struct sb_tutor_reply *reply, const char *text)
{
    while (*text) {
        size_t n = strcspn(text, " \n");
        n += strspn(text + n, " \n");      /* a word and the spaces after it */
        if (sb_tutor_reply_text(reply, text, n) != 0)
            return false;
        text += n;
    }
    return true;
}

const volatile bool *sb_tutor_reply_cancel_flag(struct sb_tutor_reply *reply)
{
    return NULL;
}

void sb_tutor_reply_done(struct sb_tutor_reply *reply, const char *chat_id, const char *citations, const char *mode)
{
    struct sb_buf b;
    sb_buf_init(&b, reply->req->arena);
    sb_buf_append(&b, "{\"chat_id\":");
    sb_buf_append_json_string(&b, chat_id);
    sb_buf_append(&b, ",\"answer\":");
    sb_buf_append_json_string(&b, reply->text.data);
    sb_buf_printf(&b, ",\"citations\":%s,\"mode\":", citations);
    sb_buf_append_json_string(&b, mode);
    sb_buf_append(&b, "}");
    sb_respond_json(reply->req, 200, b.data);
}

void sb_tutor_reply_fail(struct sb_tutor_reply *reply, struct sb_call *call)
{
    sb_call_respond_error(call);
}
