/*
 * tutor_data: the tutor's statements (tutor_data.h).
 */
#include "ai/tutor_data.h"

#include "ai/embed.h"
#include "ai/embed_lexical.h"
#include "util/buf.h"
#include "util/log.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A JSON column of row 0 (NULL when SQL NULL), owned by the arena. */
static json_t *json_column(struct sb_arena *arena, PGresult *rows, int column)
{
    if (PQgetisnull(rows, 0, column))
        return NULL;
    json_t *v = json_loads(PQgetvalue(rows, 0, column), 0, NULL);
    if (v)
        sb_arena_defer(arena, sb_json_release, v);
    return v;
}

/* ---- the context ------------------------------------------------------------------------------- */

/* One round trip: the course (no row: the caller cannot see it), whether the chat is the
 * caller's chat of that course, its last messages, and the student's profile. */
static const char context_sql[] =
    "SELECT c.name, h.found, h.recent, "
    "  (SELECT p.prefs FROM personalized AS p WHERE p.id = auth.uid()), "
    "  (SELECT jsonb_build_object('grade', a.grade, 'semester_type', a.semester_type, "
    "          'semester', a.semester, 'subject', a.subject) "
    "     FROM academic AS a WHERE a.id = auth.uid()) "
    "FROM courses AS c "
    "LEFT JOIN LATERAL ("
    "  SELECT true AS found, to_jsonb(ch.history[greatest(1, cardinality(ch.history) - $3::int + 1):]) AS recent "
    "  FROM chat_history AS ch WHERE ch.id = $2::uuid AND ch.course_id = c.id) AS h ON true "
    "WHERE c.id = $1::uuid";

bool sb_tutor_load_context(struct sb_call *call, const struct sb_tutor_ask *ask, struct sb_tutor_context *out)
{
    memset(out, 0, sizeof *out);
    struct sb_arena *arena = call->req->arena;
    const char *keep = sb_arena_printf(arena, "%d", SB_PROMPT_HISTORY_MESSAGES);
    struct sb_db_result r;
    if (!sb_call_run(call, NULL, context_sql, 3, (const char *const[]){ ask->course_id, ask->chat_id, keep }, &r))
        return false;
    if (PQntuples(r.rows) == 0)
        return sb_call_fail(call, 404, "not_found", "No course with this course_id (or it is not yours)");
    if (ask->chat_id && PQgetisnull(r.rows, 0, 1))
        return sb_call_fail(call, 404, "not_found", "No chat with this chat_id in this course (or it is not yours)");
    out->course_name = PQgetvalue(r.rows, 0, 0);
    out->history = json_column(arena, r.rows, 2);
    out->prefs = json_column(arena, r.rows, 3);
    out->academic = json_column(arena, r.rows, 4);
    return true;
}

/* ---- retrieval --------------------------------------------------------------------------------- */

static const char *column_or_null(PGresult *rows, int row, int column)
{
    return PQgetisnull(rows, row, column) ? NULL : PQgetvalue(rows, row, column);
}

char *sb_tutor_search_text(struct sb_arena *arena, const char *question)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "");
    const unsigned char *p = (const unsigned char *)question;
    for (int words = 0; *p && words < SB_TUTOR_SEARCH_WORDS;) {
        while (*p && !sb_embed_is_word_byte(*p))
            p++;
        const unsigned char *start = p;
        while (*p && sb_embed_is_word_byte(*p))
            p++;
        if (p == start)
            break;
        size_t len = (size_t)(p - start);
        if (len == 2 && strncasecmp((const char *)start, "or", 2) == 0)
            continue;                    /* the operator's own word */
        sb_buf_append(&b, words++ ? " or " : "");
        sb_buf_append_n(&b, (const char *)start, len);
    }
    return b.data;
}

static const char retrieve_sql[] =
    "SELECT kind, id, material_id, material_name, page, content "
    "FROM hybrid_search($1, $2::vector, $3::int, $4::uuid) "
    "WHERE kind = 'chunk' OR $5::uuid IS NULL OR id <> $5::uuid";

bool sb_tutor_retrieve(struct sb_call *call, const struct sb_tutor_ask *ask, struct sb_passage **out, size_t *count)
{
    struct sb_arena *arena = call->req->arena;
    float *embedding = sb_arena_alloc(arena, SB_EMBED_DIMENSIONS * sizeof *embedding);
    struct sb_error embed_error;
    const char *query_vector = NULL;   /* without it, hybrid_search ranks by full text alone */
    if (sb_embed_texts(arena, call->req->config, &ask->message, 1, embedding, &embed_error))
        query_vector = sb_embed_vector_text(arena, embedding);
    else
        sb_log(SB_LOG_WARN, "tutor retrieval by full text only: the embedder failed", "request", call->req->id,
               "code", embed_error.code, NULL);
    const char *params[] = { sb_tutor_search_text(arena, ask->message), query_vector,
                             sb_arena_printf(arena, "%d", SB_TUTOR_PASSAGES), ask->course_id, ask->chat_id };
    struct sb_db_result r;
    if (!sb_call_run(call, NULL, retrieve_sql, 5, params, &r))
        return false;
    int n = PQntuples(r.rows);
    struct sb_passage *passages = sb_arena_alloc(arena, (size_t)(n ? n : 1) * sizeof *passages);
    for (int i = 0; i < n; i++) {
        const char *page = column_or_null(r.rows, i, 4);
        passages[i] = (struct sb_passage){
            .is_chat = strcmp(PQgetvalue(r.rows, i, 0), "chat") == 0,
            .id = PQgetvalue(r.rows, i, 1),
            .material_id = column_or_null(r.rows, i, 2),
            .material_name = column_or_null(r.rows, i, 3),
            .page = page ? atoi(page) : 0,
            .content = PQgetvalue(r.rows, i, 5),
        };
    }
    *out = passages;
    *count = (size_t)n;
    return true;
}

/* ---- the exchange ------------------------------------------------------------------------------ */

static const char *message_json(struct sb_arena *arena, const char *role, const char *content)
{
    json_t *m = json_pack("{s:s, s:s}", "role", role, "content", content);
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    char *copy = sb_arena_strdup(arena, text);
    free(text);
    return copy;
}

bool sb_tutor_save_exchange(struct sb_call *call, const struct sb_tutor_ask *ask, const char *answer,
                            const char **chat_id)
{
    struct sb_arena *arena = call->req->arena;
    const char *question = message_json(arena, "user", ask->message);
    const char *reply = message_json(arena, "model", answer);
    struct sb_db_result r;
    bool ok;
    if (ask->chat_id) {
        const char *both = sb_arena_printf(arena, "[%s,%s]", question, reply);
        ok = sb_call_run(call, NULL, "SELECT id FROM append_chat_messages($1::uuid, $2::jsonb)", 2,
                         (const char *const[]){ ask->chat_id, both }, &r);
        if (!ok && r.sqlstate && strcmp(r.sqlstate, "PT404") == 0)
            return sb_call_fail(call, 404, "not_found", "The chat was deleted while the tutor answered");
    } else {
        ok = sb_call_run(call, NULL,
                         "INSERT INTO chat_history (course_id, history) VALUES ($1::uuid, ARRAY[$2::jsonb, $3::jsonb]) "
                         "RETURNING id",
                         3, (const char *const[]){ ask->course_id, question, reply }, &r);
    }
    if (!ok)
        return false;
    *chat_id = PQgetvalue(r.rows, 0, 0);
    return true;
}

/* ---- limits ------------------------------------------------------------------------------------ */

bool sb_tutor_admit(struct sb_call *call, const char *user, int *retry_after_s)
{
    const struct sb_config *config = call->req->config;
    struct sb_arena *arena = call->req->arena;
    const char *params[] = { user, sb_arena_printf(arena, "%d", config->tutor_max_requests_per_hour),
                             sb_arena_printf(arena, "%ld", config->tutor_max_tokens_per_day) };
    struct sb_db_result r;
    if (!sb_call_run(call, sb_call_service_role(), "SELECT refused, retry_after_s FROM ai.tutor_admit($1, $2, $3)", 3,
                     params, &r))
        return false;
    if (PQgetisnull(r.rows, 0, 0))
        return true;
    *retry_after_s = atoi(PQgetvalue(r.rows, 0, 1));
    if (strcmp(PQgetvalue(r.rows, 0, 0), "tokens_per_day") == 0)
        return sb_call_fail(call, 429, "over_token_limit",
                            sb_arena_printf(arena, "You used today's %ld tutor tokens (SB_TUTOR_MAX_TOKENS_PER_DAY); "
                                            "try again in %d seconds", config->tutor_max_tokens_per_day, *retry_after_s));
    return sb_call_fail(call, 429, "over_request_limit",
                        sb_arena_printf(arena, "You reached the limit of %d tutor calls an hour "
                                        "(SB_TUTOR_MAX_REQUESTS_PER_HOUR); try again in %d seconds",
                                        config->tutor_max_requests_per_hour, *retry_after_s));
}

void sb_tutor_add_tokens(struct sb_call *call, const char *user, long tokens)
{
    if (tokens <= 0)
        return;
    const char *params[] = { user, sb_arena_printf(call->req->arena, "%ld", tokens) };
    struct sb_db_call add = *sb_call_service_role();
    add.sql = "SELECT ai.tutor_add_tokens($1, $2)";
    add.nparams = 2;
    add.params = params;
    struct sb_db_result r;
    if (sb_db_run(call->req->arena, &add, &r) != SB_DB_OK)   /* not the call's error: the answer stands */
        sb_log(SB_LOG_WARN, "tutor tokens not counted", "user", user, "error", r.message ? r.message : "unavailable",
               NULL);
}
