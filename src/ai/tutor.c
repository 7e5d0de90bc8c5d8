/*
 * tutor: the /functions/v1/tutor route: the request's checks, then retrieval, the answer (by
 * the model or offline), saving it, and the reply (tutor.h).
 */
#include "ai/tutor.h"

#include "ai/llm.h"
#include "ai/offline.h"
#include "ai/prompt.h"
#include "ai/service.h"
#include "ai/tutor_data.h"
#include "ai/tutor_reply.h"
#include "ai/tutor_slots.h"
#include "http/router.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- the request ------------------------------------------------------------------------------- */

bool sb_tutor_is_uuid(const char *text)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
            return false;
    }
    return text[36] == '\0';
}

bool sb_tutor_wants_json(const char *accept, bool stream_given, bool stream)
{
    if (stream_given)
        return !stream;
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/event-stream");
}

static size_t utf8_characters(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static bool read_uuid(struct sb_call *call, const json_t *body, const char *key, bool required, const char **out)
{
    const json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return true;
        return sb_call_fail(call, 400, "invalid_input", sb_arena_printf(call->req->arena, "%s is required", key));
    }
    if (!json_is_string(v) || !sb_tutor_is_uuid(json_string_value(v)))
        return sb_call_fail(call, 400, "invalid_input", sb_arena_printf(call->req->arena, "%s must be a UUID", key));
    *out = json_string_value(v);
    return true;
}

static bool read_message(struct sb_call *call, const json_t *body, const char **out)
{
    const json_t *v = json_object_get(body, "message");
    if (!json_is_string(v) || is_blank(json_string_value(v)))
        return sb_call_fail(call, 400, "invalid_input", "message must be a non-empty string: the student's question");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return sb_call_fail(call, 400, "invalid_input", "message must not contain NUL characters");
    if (utf8_characters(json_string_value(v)) > SB_TUTOR_MESSAGE_MAX_CHARS)
        return sb_call_fail(call, 400, "invalid_input",
                            sb_arena_printf(call->req->arena, "message must be at most %d characters",
                                            SB_TUTOR_MESSAGE_MAX_CHARS));
    *out = json_string_value(v);
    return true;
}

static bool read_ask(struct sb_call *call, struct sb_tutor_ask *ask)
{
    json_t *body = sb_call_body(call);
    if (!body)
        return false;
    const json_t *stream = json_object_get(body, "stream");
    if (stream && !json_is_boolean(stream))
        return sb_call_fail(call, 400, "invalid_input", "stream must be true or false");
    ask->want_json = sb_tutor_wants_json(sb_request_header(call->req, "Accept"), stream != NULL, json_is_true(stream));
    return read_uuid(call, body, "course_id", true, &ask->course_id) &&
           read_uuid(call, body, "chat_id", false, &ask->chat_id) && read_message(call, body, &ask->message);
}

/* ---- the answer -------------------------------------------------------------------------------- */

struct answer {
    const char *mode;            /* "llm" or "offline" */
    const char *citations;       /* JSON array text */
    long tokens;                 /* model tokens used, reported or estimated */
};

static void append_citation(struct sb_buf *b, size_t number, const struct sb_passage *p)
{
    sb_buf_printf(b, "%s{\"n\":%zu,\"material_id\":", b->len > 1 ? "," : "", number);
    sb_buf_append_json_string(b, p->material_id);
    sb_buf_append(b, ",\"material_name\":");
    sb_buf_append_json_string(b, p->material_name);
    if (p->page > 0)
        sb_buf_printf(b, ",\"page\":%d", p->page);
    else
        sb_buf_append(b, ",\"page\":null");
    sb_buf_append(b, ",\"chunk_id\":");
    sb_buf_append_json_string(b, p->id);
    sb_buf_append(b, "}");
}

/* The model's answer: every material passage in the prompt is cited, numbered as there. */
static bool answer_with_model(struct sb_call *call, struct sb_tutor_reply *reply, const struct sb_tutor_ask *ask,
                              const struct sb_tutor_context *ctx, const struct sb_passage *passages, size_t count,
                              struct answer *out)
{
    struct sb_arena *arena = call->req->arena;
    struct sb_learner learner = { ctx->prefs, ctx->academic, ctx->course_name };
    const char *system = sb_prompt_system(arena, &learner, passages, count);
    json_t *messages = sb_prompt_messages(system, ctx->history, ask->message);
    sb_arena_defer(arena, sb_json_release, messages);
    struct sb_llm_request request = { messages, sb_tutor_reply_cancel_flag(reply), sb_tutor_reply_text, reply };
    struct sb_llm_usage usage;
    bool ok = sb_llm_complete(arena, call->req->config, &request, &usage, &call->error);
    out->tokens = usage.reported ? usage.total_tokens : 0;
    if (!usage.reported && reply->text.len > 0) {   /* an answer, or part of one, without usage: estimated */
        char *sent = json_dumps(messages, JSON_COMPACT);
        out->tokens = sb_tokens_estimate(sent) + sb_tokens_estimate(reply->text.data);
        free(sent);
    }
    out->mode = "llm";
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "[");
    for (size_t i = 0; i < count; i++)
        if (!passages[i].is_chat)
            append_citation(&b, i + 1, &passages[i]);
    sb_buf_append(&b, "]");
    out->citations = b.data;
    if (ok && is_blank(reply->text.data))
        return sb_call_fail(call, 502, "llm_provider_bad_stream", "The model provider's answer was empty");
    return ok;
}

static bool answer_offline(struct sb_call *call, struct sb_tutor_reply *reply, const struct sb_tutor_context *ctx,
                           const struct sb_passage *passages, size_t count, struct answer *out)
{
    struct sb_offline_answer offline;
    sb_offline_answer(call->req->arena, ctx->prefs, passages, count, &offline);
    out->mode = "offline";
    out->tokens = 0;
    struct sb_buf b;
    sb_buf_init(&b, call->req->arena);
    sb_buf_append(&b, "[");
    for (size_t k = 0; k < offline.quoted_count; k++)
        append_citation(&b, k + 1, &passages[offline.quoted[k]]);
    sb_buf_append(&b, "]");
    out->citations = b.data;
    if (!sb_tutor_reply_pieces(reply, offline.text))
        return sb_call_fail(call, 499, "cancelled", "The answer was stopped: the client went away");
    return true;
}

/* ---- the route --------------------------------------------------------------------------------- */

static void refuse_for_a_while(struct sb_request *req, int retry_after_s)
{
    sb_response_header(req, "Retry-After", sb_arena_printf(req->arena, "%d", retry_after_s));
    sb_call_respond_error(sb_functions_call(req));
}

/* Everything before the answer: who, what, may they, and the passages. */
static bool prepare(struct sb_request *req, const struct sb_db_call *who, struct sb_tutor_ask *ask,
                    struct sb_tutor_context *ctx, struct sb_passage **passages, size_t *count)
{
    struct sb_call *call = sb_functions_call(req);
    int retry_after_s = 1;
    if (!read_ask(call, ask) || !sb_tutor_load_context(call, ask, ctx)) {
        sb_call_respond_error(call);
        return false;
    }
    if (!sb_tutor_slot_take(req->arena, who->sub, req->config->tutor_max_streams_per_user)) {
        sb_call_fail(call, 429, "too_many_streams",
                     sb_arena_printf(req->arena, "You already have %d tutor answers in progress "
                                     "(SB_TUTOR_MAX_STREAMS_PER_USER); wait for one to finish",
                                     req->config->tutor_max_streams_per_user));
        refuse_for_a_while(req, retry_after_s);
        return false;
    }
    if (!sb_tutor_admit(call, who->sub, &retry_after_s)) {
        if (call->error.status == 429)
            refuse_for_a_while(req, retry_after_s);
        else
            sb_call_respond_error(call);
        return false;
    }
    if (!sb_tutor_retrieve(call, ask, passages, count)) {
        sb_call_respond_error(call);
        return false;
    }
    return true;
}

static void handle_tutor(struct sb_request *req)
{
    const struct sb_db_call *who;
    struct sb_tutor_ask ask = { 0 };
    struct sb_tutor_context ctx;
    struct sb_passage *passages;
    size_t count;
    if (!sb_functions_identify(req, true, &who) || !prepare(req, who, &ask, &ctx, &passages, &count))
        return;
    struct sb_call *call = sb_functions_call(req);
    struct sb_tutor_reply reply;
    sb_tutor_reply_init(&reply, req, ask.want_json);
    struct answer answer;
    bool ok = req->config->llm_url ? answer_with_model(call, &reply, &ask, &ctx, passages, count, &answer)
                                   : answer_offline(call, &reply, &ctx, passages, count, &answer);
    sb_tutor_add_tokens(call, who->sub, answer.tokens);
    const char *chat_id = NULL;
    if (ok && !sb_tutor_save_exchange(call, &ask, reply.text.data, &chat_id))
        ok = false;
    if (ok)
        sb_tutor_reply_done(&reply, chat_id, answer.citations, answer.mode);
    else
        sb_tutor_reply_fail(&reply, call);
}

void sb_ai_tutor_routes(void)
{
    static const struct sb_route route = { .method = "POST", .path = SB_FUNCTIONS_PREFIX "/tutor",
                                           .handle = handle_tutor };
    sb_router_add(&route);
}
