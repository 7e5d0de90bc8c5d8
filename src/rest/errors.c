/*
 * errors: PostgREST's status table for SQLSTATEs (docs/errors.html, v12) and the JSON body.
 */
#include "rest/errors.h"

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

bool sb_rest_fail(struct sb_rest_error *err, int status, const char *code, const char *message,
                  const char *details, const char *hint)
{
    err->status = status;
    err->code = code;
    err->message = message;
    err->details = details;
    err->hint = hint;
    return false;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Classes of SQLSTATE that PostgREST answers with 500. */
static bool is_server_side_class(const char *s)
{
    static const char *const classes[] = { "25", "2D", "38", "39", "3B", "40", "54", "55", "57",
                                           "58", "F0", "HV", "XX", NULL };
    for (int i = 0; classes[i]; i++)
        if (starts(s, classes[i]))
            return true;
    return strcmp(s, "42P17") == 0;
}

int sb_rest_status_for_sqlstate(const char *s, const char *role)
{
    if (!s || strlen(s) != 5)
        return 500;
    if (strcmp(s, "23505") == 0 || strcmp(s, "23503") == 0)
        return 409;
    if (strcmp(s, "42501") == 0)
        return role && strcmp(role, "anon") == 0 ? 401 : 403;
    if (strcmp(s, "42P01") == 0 || strcmp(s, "42883") == 0)
        return 404;
    if (strcmp(s, "25006") == 0)
        return 405;
    if (strcmp(s, "P0001") == 0 || strcmp(s, "21000") == 0)
        return 400;
    if (starts(s, "P0"))
        return 500;
    if (strcmp(s, "53400") == 0)     /* configuration limit exceeded */
        return 500;
    if (starts(s, "08") || starts(s, "53"))
        return 503;
    if (starts(s, "28") || starts(s, "0L") || starts(s, "0P"))
        return 403;
    if (starts(s, "PT")) {
        int n = atoi(s + 2);
        return n >= 100 && n <= 599 ? n : 500;
    }
    if (is_server_side_class(s))
        return 500;
    return 400;
}

void sb_rest_error_from_db(struct sb_arena *arena, const struct sb_db_result *db, const char *role,
                           const struct sb_schema_cache *cache, struct sb_rest_error *err)
{
    err->status = sb_rest_status_for_sqlstate(db->sqlstate, role);
    err->code = db->sqlstate;
    err->message = db->message;
    err->details = db->detail;
    err->hint = db->hint;
    if (db->sqlstate && strcmp(db->sqlstate, "23514") == 0 && cache && db->schema &&
        strcmp(db->schema, "public") == 0) {
        const char *seed = sb_cache_check_message(cache, db->table, db->constraint);
        if (seed) {
            err->message = seed;
            err->details = db->message;   /* which constraint of which relation */
        }
    }
    if (!err->message)
        err->message = "database error";
    (void)arena;
}

void sb_rest_respond_error(struct sb_request *req, const struct sb_rest_error *err)
{
    struct sb_buf b;
    sb_buf_init(&b, req->arena);
    sb_buf_append(&b, "{\"code\":");
    sb_buf_append_json_string(&b, err->code);
    sb_buf_append(&b, ",\"details\":");
    sb_buf_append_json_string(&b, err->details);
    sb_buf_append(&b, ",\"hint\":");
    sb_buf_append_json_string(&b, err->hint);
    sb_buf_append(&b, ",\"message\":");
    sb_buf_append_json_string(&b, err->message);
    sb_buf_append(&b, "}");
    if (err->status == 401) {
        struct sb_buf h;
        sb_buf_init(&h, req->arena);
        sb_buf_append(&h, "Bearer error=\"invalid_token\", error_description=");
        sb_buf_append_json_string(&h, err->message);
        sb_response_header(req, "WWW-Authenticate", h.data);
    }
    sb_respond_json(req, err->status, b.data);
}
