/*
 * errors: the texts of the errors the data API raises itself, grouped by PostgREST's code
 * groups (docs/errors.html, v12), PostgREST's status table for SQLSTATEs, and the JSON body.
 */
#include "rest/errors.h"

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* ---- PGRST0xx: the database ------------------------------------------------------------------ */

bool sb_rest_fail_result_shape(struct sb_error *err)
{
    return sb_error_set(err, 500, "PGRST000", "unexpected result shape", NULL, NULL);
}

bool sb_rest_fail_no_schema_cache(struct sb_error *err)
{
    return sb_error_set(err, 503, "PGRST002", "Could not query the database for the schema cache. Retrying.", NULL,
                        NULL);
}

/* ---- PGRST1xx: the request ---------------------------------------------------------------------- */

bool sb_rest_fail_parse(struct sb_error *err, const char *message, const char *details)
{
    return sb_error_set(err, 400, "PGRST100", message, details, NULL);
}

bool sb_rest_fail_count_with(struct sb_error *err, const char *what, const char *hint)
{
    return sb_error_set(err, 400, "PGRST100", "failed to parse select parameter", what, hint);
}

bool sb_rest_fail_no_conflict_target(struct sb_error *err, struct sb_arena *arena, const char *table)
{
    return sb_error_set(err, 400, "PGRST100", "failed to parse on_conflict parameter",
                        sb_arena_printf(arena, "'%s' has no primary key: name the columns with on_conflict", table),
                        NULL);
}

bool sb_rest_fail_method(struct sb_error *err, const char *method)
{
    return sb_error_set(err, 405, "PGRST101", "Unsupported HTTP method", method, NULL);
}

bool sb_rest_fail_function_method(struct sb_error *err)
{
    return sb_error_set(err, 405, "PGRST101", "Only GET, HEAD and POST are allowed for functions", NULL, NULL);
}

bool sb_rest_fail_body(struct sb_error *err, const char *expected)
{
    return sb_error_set(err, 400, "PGRST102", "Empty or invalid json", expected, NULL);
}

bool sb_rest_fail_put_filters(struct sb_error *err)
{
    return sb_error_set(err, 405, "PGRST105", "Filters must include all and only primary key columns with 'eq' "
                        "operators", NULL, NULL);
}

bool sb_rest_fail_schema(struct sb_error *err)
{
    return sb_error_set(err, 406, "PGRST106", "The schema must be one of the following: public", NULL, NULL);
}

bool sb_rest_fail_accept(struct sb_error *err, const char *accept)
{
    return sb_error_set(err, 406, "PGRST107", "None of these media types are available: the Accept header", accept,
                        NULL);
}

bool sb_rest_fail_put_paging(struct sb_error *err)
{
    return sb_error_set(err, 400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT", NULL,
                        NULL);
}

bool sb_rest_fail_put_payload(struct sb_error *err)
{
    return sb_error_set(err, 400, "PGRST115", "Payload values do not match URL in primary key column(s)", NULL, NULL);
}

bool sb_rest_fail_preferences(struct sb_error *err, struct sb_arena *arena, const char *unknown)
{
    return sb_error_set(err, 400, "PGRST122", "Invalid preferences given with handling=strict",
                        sb_arena_printf(arena, "Invalid preferences: %s", unknown), NULL);
}

bool sb_rest_fail_not_embedded(struct sb_error *err, struct sb_arena *arena, const char *path)
{
    return sb_error_set(err, 400, "PGRST108",
                        sb_arena_printf(arena, "'%s' is not an embedded resource in this request", path), NULL,
                        sb_arena_printf(arena, "Verify that '%s' is included in the 'select' query parameter.", path));
}

bool sb_rest_fail_order_not_embedded(struct sb_error *err, struct sb_arena *arena, const char *relation)
{
    return sb_error_set(err, 400, "PGRST108",
                        sb_arena_printf(arena, "'%s' is not an embedded resource in this request", relation), NULL,
                        "Embed the relation in 'select' to order by its columns.");
}

bool sb_rest_fail_related_order(struct sb_error *err, struct sb_arena *arena, const char *relation,
                                const char *parent, const char *target)
{
    return sb_error_set(err, 400, "PGRST118",
                        sb_arena_printf(arena, "A related order on '%s' is not possible", relation),
                        sb_arena_printf(arena, "'%s' and '%s' do not form a many-to-one or one-to-one relationship",
                                        parent, target),
                        NULL);
}

bool sb_rest_fail_embed_filter(struct sb_error *err)
{
    return sb_error_set(err, 400, "PGRST120", "Only is null or not is null filters are allowed on embedded resources",
                        NULL, NULL);
}

bool sb_rest_fail_range(struct sb_error *err, struct sb_arena *arena, long offset, long long total)
{
    return sb_error_set(err, 416, "PGRST103", "Requested range not satisfiable",
                        sb_arena_printf(arena, "An offset of %ld was requested, but there are only %lld rows.", offset,
                                        total),
                        NULL);
}

bool sb_rest_fail_singular(struct sb_error *err, struct sb_arena *arena, long long rows)
{
    return sb_error_set(err, 406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                        sb_arena_printf(arena, "The result contains %lld rows", rows), NULL);
}

bool sb_rest_fail_path(struct sb_error *err)
{
    return sb_error_set(err, 404, "PGRST125", "Invalid path specified in request URL", NULL, NULL);
}

/* ---- PGRST2xx: the schema cache ------------------------------------------------------------------ */

bool sb_rest_fail_no_relationship(struct sb_error *err, struct sb_arena *arena, const char *parent,
                                  const char *child, const char *hint)
{
    return sb_error_set(err, 400, "PGRST200",
                        sb_arena_printf(arena, "Could not find a relationship between '%s' and '%s' in the schema "
                                               "cache", parent, child),
                        hint ? sb_arena_printf(arena, "Searched for a foreign key relationship between '%s' and '%s' "
                                                      "using the hint '%s'", parent, child, hint)
                             : NULL,
                        "Perhaps you meant a table that references this one, or check the spelling");
}

bool sb_rest_fail_ambiguous_embed(struct sb_error *err, struct sb_arena *arena, const char *parent,
                                  const char *child, const char *choices)
{
    return sb_error_set(err, 300, "PGRST201",
                        sb_arena_printf(arena, "Could not embed because more than one relationship was found for "
                                               "'%s' and '%s'", parent, child),
                        NULL,
                        sb_arena_printf(arena, "Try changing '%s' to one of the following: %s. Find the desired "
                                               "relationship in the 'details' key.", child, choices));
}

bool sb_rest_fail_no_function(struct sb_error *err, struct sb_arena *arena, const char *name,
                              const char *names, int count)
{
    return sb_error_set(err, 404, "PGRST202",
                        sb_arena_printf(arena, "Could not find the function public.%s(%s) in the schema cache", name,
                                        names),
                        count ? sb_arena_printf(arena, "Searched for the function public.%s with parameters %s", name,
                                                names)
                              : sb_arena_printf(arena, "Searched for the function public.%s without parameters",
                                                name),
                        NULL);
}

bool sb_rest_fail_ambiguous_function(struct sb_error *err, struct sb_arena *arena, const char *name)
{
    return sb_error_set(err, 300, "PGRST203",
                        sb_arena_printf(arena, "Could not choose the best candidate function between several "
                                               "overloads of public.%s", name),
                        NULL, "Try renaming the parameters or the function itself in the database");
}

bool sb_rest_fail_no_write_column(struct sb_error *err, struct sb_arena *arena, const char *column,
                                  const char *table)
{
    return sb_error_set(err, 400, "PGRST204",
                        sb_arena_printf(arena, "Could not find the '%s' column of '%s' in the schema cache", column,
                                        table),
                        NULL, NULL);
}

/* ---- PGRST3xx: the token ------------------------------------------------------------------------ */

bool sb_rest_fail_token(struct sb_error *err, const char *why)
{
    return sb_error_set(err, 401, "PGRST301", why, NULL, NULL);
}

/* ---- PostgreSQL's codes ------------------------------------------------------------------------- */

bool sb_rest_fail_no_relation(struct sb_error *err, struct sb_arena *arena, const char *name)
{
    return sb_error_set(err, 404, "42P01", sb_arena_printf(arena, "relation \"public.%s\" does not exist", name), NULL,
                        NULL);
}

bool sb_rest_fail_no_column(struct sb_error *err, struct sb_arena *arena, const char *table,
                            const char *column)
{
    return sb_error_set(err, 400, "42703", sb_arena_printf(arena, "column %s.%s does not exist", table, column), NULL,
                        NULL);
}

bool sb_rest_fail_no_filter(struct sb_error *err, struct sb_arena *arena, const char *verb)
{
    return sb_error_set(err, 400, "21000", sb_arena_printf(arena, "%s requires a WHERE clause", verb), NULL,
                        "Add a filter (for every row, e.g. ?id=not.is.null)");
}

/* ---- errors from the database ------------------------------------------------------------------ */

/* PostgREST's status table; classes it answers with 500 are listed after the codes it names. */
static const struct sb_sqlstate_rule sqlstates[] = {
    { "23505", 409, 0, NULL, NULL },
    { "23503", 409, 0, NULL, NULL },
    { "42501", 403, 401, NULL, NULL },
    { "42P01", 404, 0, NULL, NULL },
    { "42883", 404, 0, NULL, NULL },
    { "25006", 405, 0, NULL, NULL },
    { "P0001", 400, 0, NULL, NULL },
    { "21000", 400, 0, NULL, NULL },
    { "P0", 500, 0, NULL, NULL },
    { "53400", 500, 0, NULL, NULL },   /* configuration limit exceeded */
    { "08", 503, 0, NULL, NULL },
    { "53", 503, 0, NULL, NULL },
    { "28", 403, 0, NULL, NULL },
    { "0L", 403, 0, NULL, NULL },
    { "0P", 403, 0, NULL, NULL },
    { "PT", SB_STATUS_IN_SQLSTATE, 0, NULL, NULL },
    { "25", 500, 0, NULL, NULL },
    { "2D", 500, 0, NULL, NULL },
    { "38", 500, 0, NULL, NULL },
    { "39", 500, 0, NULL, NULL },
    { "3B", 500, 0, NULL, NULL },
    { "40", 500, 0, NULL, NULL },
    { "54", 500, 0, NULL, NULL },
    { "55", 500, 0, NULL, NULL },
    { "57", 500, 0, NULL, NULL },
    { "58", 500, 0, NULL, NULL },
    { "F0", 500, 0, NULL, NULL },
    { "HV", 500, 0, NULL, NULL },
    { "XX", 500, 0, NULL, NULL },
    { "42P17", 500, 0, NULL, NULL },
    { "", 400, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL },
};

static bool is_sqlstate(const char *s)
{
    return s && strlen(s) == 5;
}

int sb_rest_status_for_sqlstate(const char *s, const char *role)
{
    if (!is_sqlstate(s))
        return 500;
    return sb_sqlstate_rule_status(sb_sqlstate_rule_for(sqlstates, s), s, role);
}

/* A violated CHECK of the exposed schema speaks with its COMMENT (the seed's message). */
static void explain_check(const struct sb_schema_cache *cache, const struct sb_db_result *db, struct sb_error *err)
{
    if (!db->sqlstate || strcmp(db->sqlstate, "23514") != 0 || !cache || !db->schema ||
        strcmp(db->schema, "public") != 0)
        return;
    const char *seed = sb_cache_check_message(cache, db->table, db->constraint);
    if (seed) {
        err->message = seed;
        err->details = db->message;   /* which constraint of which relation */
    }
}

/* What only the data API knows about a database error: a message that is no SQLSTATE is 500,
 * a violated CHECK speaks with its COMMENT. */
static void refine(const struct sb_schema_cache *cache, const struct sb_db_result *db, struct sb_error *err)
{
    if (!is_sqlstate(db->sqlstate))
        err->status = 500;
    explain_check(cache, db, err);
}

void sb_rest_error_from_db(const struct sb_db_result *db, const char *role, const struct sb_schema_cache *cache,
                           struct sb_error *err)
{
    sb_error_from_sqlstate(sqlstates, db, role, err);
    refine(cache, db, err);
    if (!err->message)
        err->message = "database error";
}

static void explain(struct sb_call *call, const struct sb_db_result *db)
{
    refine(call->state, db, &call->error);
}

static void write_error(struct sb_request *req, const struct sb_error *err)
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

const struct sb_service sb_rest_service = {
    .name = "rest",
    .write_error = write_error,
    .sqlstates = sqlstates,
    .unavailable = { 503, "PGRST001", "Database client error. Retrying the connection.", NULL, NULL, NULL },
    .busy = { 503, "PGRST003", "Timed out acquiring connection from connection pool.", NULL, NULL, NULL },
    .internal = { 500, NULL, NULL, NULL, NULL, NULL },
    .explain = explain,
};
