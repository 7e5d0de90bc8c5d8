/*
 * tutor_reply: the JSON answer and the event stream (tutor_reply.h).
 */
#include "ai/tutor_reply.h"

#include "ai/redact.h"

#include "http/stream.h"
#include "util/buf.h"
#include "util/log.h"

#include <string.h>

/* Writes one event; false (and gone set) when the client has left. */
static bool send_event(struct sb_tutor_reply *reply, const char *event, const char *data)
{
    if (reply->gone)
        return false;
    const char *text = sb_arena_printf(reply->req->arena, "event: %s\ndata: %s\n\n", event, data);
    if (!sb_stream_write(reply->req, text, strlen(text)))
        reply->gone = true;
    return !reply->gone;
}

void sb_tutor_reply_init(struct sb_tutor_reply *reply, struct sb_request *req, bool json)
{
    memset(reply, 0, sizeof *reply);
    reply->req = req;
    reply->json = json;
    sb_buf_init(&reply->text, req->arena);
    sb_buf_append(&reply->text, "");
    if (json)
        return;
    sb_response_header(req, "Cache-Control", "no-cache");
    sb_response_header(req, "X-Accel-Buffering", "no");   /* a proxy in front must not hold events back */
    sb_stream_begin(req, 200, "text/event-stream");
    reply->streaming = true;
}

int sb_tutor_reply_text(void *cls, const char *text, size_t len)
{
    struct sb_tutor_reply *reply = cls;
    if (reply->gone)
        return 1;
    sb_buf_append_n(&reply->text, text, len);
    if (!reply->streaming)
        return 0;
    struct sb_buf data;
    sb_buf_init(&data, reply->req->arena);
    sb_buf_append(&data, "{\"text\":");
    sb_buf_append_json_string(&data, sb_arena_strndup(reply->req->arena, text, len));
    sb_buf_append(&data, "}");
    return send_event(reply, "token", data.data) ? 0 : 1;
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
    return reply->streaming ? sb_stream_cancelled(reply->req) : sb_request_client_gone(reply->req);
}

void sb_tutor_reply_done(struct sb_tutor_reply *reply, const char *chat_id, const char *citations, const char *mode)
{
    struct sb_buf b;
    sb_buf_init(&b, reply->req->arena);
    sb_buf_append(&b, "{\"chat_id\":");
    sb_buf_append_json_string(&b, chat_id);
    if (!reply->streaming) {
        sb_buf_append(&b, ",\"answer\":");
        sb_buf_append_json_string(&b, reply->text.data);
    }
    sb_buf_printf(&b, ",\"citations\":%s,\"mode\":", citations);
    sb_buf_append_json_string(&b, mode);
    sb_buf_append(&b, "}");
    if (reply->streaming)
        send_event(reply, "done", b.data);
    else
        sb_respond_json(reply->req, 200, b.data);
}

void sb_tutor_reply_fail(struct sb_tutor_reply *reply, struct sb_call *call)
{
    if (call->error.status >= 500) {   /* the provider's or the server's fault: say why in the log */
        const char *details = sb_ai_redact(reply->req->arena, call->error.details);   /* no key in logs */
        sb_log(SB_LOG_WARN, "tutor answer failed", "request", reply->req->id, "code", call->error.code, "details",
               details ? details : "", NULL);
    }
    if (!reply->streaming) {
        sb_call_respond_error(call);
        return;
    }
    struct sb_buf b;
    sb_buf_init(&b, reply->req->arena);
    sb_buf_append(&b, "{\"code\":");
    sb_buf_append_json_string(&b, call->error.code);
    sb_buf_append(&b, ",\"message\":");
    sb_buf_append_json_string(&b, call->error.message);
    sb_buf_append(&b, "}");
    send_event(reply, "error", b.data);
}
