/*
 * embed_route: the embed function's input checks, the call to the embedder and the answer.
 */
#include "ai/embed_route.h"

#include "ai/embed.h"
#include "ai/redact.h"
#include "ai/service.h"
#include "http/router.h"
#include "util/buf.h"
#include "util/log.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether s has a character other than white space. */
static bool has_content(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n\f\v", *s))
            return true;
    return false;
}

/* Checks one text; NULL when it is fine, else what is wrong (at is its place, -1 for a single
 * input). */
static const char *text_problem(struct sb_request *req, json_t *value, int at)
{
    const char *where = at < 0 ? "input" : sb_arena_printf(req->arena, "input[%d]", at);
    if (!json_is_string(value))
        return sb_arena_printf(req->arena, "%s must be a string", where);
    if (!has_content(json_string_value(value)))
        return sb_arena_printf(req->arena, "%s is empty", where);
    if (json_string_length(value) > SB_EMBED_ROUTE_MAX_BYTES)
        return sb_arena_printf(req->arena, "%s is longer than %d bytes", where, SB_EMBED_ROUTE_MAX_BYTES);
    return NULL;
}

/* The texts of the body's input into *texts; their number, or -1 after answering 400. */
static int read_inputs(struct sb_request *req, json_t *body, const char ***texts)
{
    json_t *input = json_object_get(body, "input");
    if (!input) {
        sb_functions_fail(req, 400, "invalid_input", "Send {\"input\": \"text\"} or {\"input\": [\"text\", ...]}");
        return -1;
    }
    bool many = json_is_array(input);
    size_t n = many ? json_array_size(input) : 1;
    if (many && n == 0) {
        sb_functions_fail(req, 400, "invalid_input", "input is an empty list");
        return -1;
    }
    if (n > SB_EMBED_ROUTE_MAX_INPUTS) {
        sb_functions_fail(req, 400, "invalid_input",
                          sb_arena_printf(req->arena, "input holds more than %d texts", SB_EMBED_ROUTE_MAX_INPUTS));
        return -1;
    }
    *texts = sb_arena_alloc(req->arena, n * sizeof **texts);
    for (size_t i = 0; i < n; i++) {
        json_t *value = many ? json_array_get(input, i) : input;
        const char *problem = text_problem(req, value, many ? (int)i : -1);
        if (problem) {
            sb_functions_fail(req, 400, "invalid_input", problem);
            return -1;
        }
        (*texts)[i] = json_string_value(value);
    }
    return many ? (int)n : 0;   /* 0: one text, answered as "embedding" */
}

static void answer(struct sb_request *req, const float *out, int many)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    if (!many) {
        sb_buf_append(&b, "{\"embedding\":");
        sb_buf_append(&b, sb_embed_vector_text(req->arena, out));
    } else {
        sb_buf_append(&b, "{\"embeddings\":[");
        for (int i = 0; i < many; i++) {
            if (i)
                sb_buf_append_char(&b, ',');
            sb_buf_append(&b, sb_embed_vector_text(req->arena, out + (size_t)i * SB_EMBED_DIMENSIONS));
        }
        sb_buf_append_char(&b, ']');
    }
    sb_buf_append_char(&b, '}');
    sb_respond_json(req, 200, b.data);
}

/* Who may embed: a signed-in user (counted, admit_texts) or service_role. The anon key alone
 * is refused: with a provider each text costs the operator, and the anon key is public. */
static bool identify_caller(struct sb_request *req, const struct sb_db_call **who)
{
    if (!sb_functions_identify(req, false, who))
        return false;
    if ((*who)->sub || strcmp((*who)->role, "service_role") == 0)
        return true;
    sb_functions_fail(req, 401, "sign_in_required",
                      "This function needs a signed-in user's access token (or the service_role key)");
    return false;
}

/* Counts n texts against the user's hour (SB_EMBED_MAX_TEXTS_PER_HOUR, ai.embed_admit); false
 * after answering 429 with Retry-After, or the database's error. */
static bool admit_texts(struct sb_request *req, const struct sb_db_call *who, size_t n)
{
    int max = req->config->embed_max_texts_per_hour;
    if (!who->sub || max <= 0)
        return true;
    struct sb_call *call = sb_functions_call(req);
    const char *params[] = { who->sub, sb_arena_printf(req->arena, "%zu", n), sb_arena_printf(req->arena, "%d", max) };
    struct sb_db_result r;
    if (!sb_call_run(call, sb_call_service_role(), "SELECT ai.embed_admit($1, $2, $3)", 3, params, &r)) {
        sb_call_respond_error(call);
        return false;
    }
    if (PQgetisnull(r.rows, 0, 0))
        return true;
    int retry_after_s = atoi(PQgetvalue(r.rows, 0, 0));
    sb_response_header(req, "Retry-After", sb_arena_printf(req->arena, "%d", retry_after_s));
    sb_functions_fail(req, 429, "over_text_limit",
                      sb_arena_printf(req->arena, "You reached the limit of %d embedded texts an hour "
                                      "(SB_EMBED_MAX_TEXTS_PER_HOUR); try again in %d seconds", max, retry_after_s));
    return false;
}

static void handle_embed(struct sb_request *req)
{
    const struct sb_db_call *who;
    if (!identify_caller(req, &who))
        return;
    struct sb_call *call = sb_functions_call(req);
    json_t *body = sb_call_body(call);
    if (!body) {
        sb_call_respond_error(call);
        return;
    }
    const char **texts;
    int many = read_inputs(req, body, &texts);
    if (many < 0)
        return;
    size_t n = many ? (size_t)many : 1;
    if (!admit_texts(req, who, n))
        return;
    float *out = sb_arena_alloc(req->arena, n * SB_EMBED_DIMENSIONS * sizeof *out);
    struct sb_error err = { 0 };
    if (!sb_embed_texts(req->arena, req->config, texts, n, out, &err)) {
        sb_log(SB_LOG_WARN, "embed: the embedder failed", "code", err.code, "error", err.message, "provider",
               err.details ? sb_ai_redact(req->arena, err.details) : "", NULL);
        sb_functions_fail(req, err.status, err.code, err.message);
        return;
    }
    answer(req, out, many);
}

void sb_ai_embed_routes(void)
{
    static const struct sb_route route = { .method = "POST", .path = SB_FUNCTIONS_PREFIX "/embed",
                                           .handle = handle_embed };
    sb_router_add(&route);
}
