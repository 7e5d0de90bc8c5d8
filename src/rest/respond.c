/*
 * respond: the shapes of successful answers (PostgREST v12), and the checks that need the
 * outcome (a range past the end, a singular Accept that did not get one row).
 */
#include "rest/respond.h"

#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char object_type[] = "application/vnd.pgrst.object+json; charset=utf-8";
static const char json_media_type[] = "application/json; charset=utf-8";

const char *sb_rest_unwrap_single(struct sb_arena *arena, const char *array)
{
    size_t n = strlen(array);
    if (n < 2 || array[0] != '[' || array[n - 1] != ']')
        return array;
    return sb_arena_strndup(arena, array + 1, n - 2);
}

static void csv_field(struct sb_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        sb_buf_append(b, s);
        return;
    }
    sb_buf_append_char(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            sb_buf_append_char(b, '"');
        sb_buf_append_char(b, *s);
    }
    sb_buf_append_char(b, '"');
}

static void csv_value(struct sb_buf *b, json_t *v)
{
    if (!v || json_is_null(v))
        return;
    if (json_is_string(v)) {
        csv_field(b, json_string_value(v));
        return;
    }
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text) {
        csv_field(b, text);
        free(text);
    }
}

const char *sb_rest_json_to_csv(struct sb_arena *arena, const char *json)
{
    json_t *rows = json_loads(json, JSON_DECODE_ANY, NULL);
    if (!json_is_array(rows)) {
        json_decref(rows);
        return NULL;
    }
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append(&b, "");
    json_t *first = json_array_get(rows, 0);
    const char *key;
    json_t *v;
    int i = 0;
    json_object_foreach(first, key, v) {
        if (i++)
            sb_buf_append_char(&b, ',');
        csv_field(&b, key);
    }
    size_t r;
    json_t *row;
    json_array_foreach(rows, r, row) {
        sb_buf_append_char(&b, '\n');
        i = 0;
        json_object_foreach(first, key, v) {
            if (i++)
                sb_buf_append_char(&b, ',');
            csv_value(&b, json_object_get(row, key));
        }
    }
    json_decref(rows);
    return b.data;
}

static void content_range(struct sb_request *req, long offset, const struct sb_rest_outcome *o)
{
    const char *total = o->total >= 0 ? sb_arena_printf(req->arena, "%lld", o->total) : "*";
    const char *range = o->count > 0 ? sb_arena_printf(req->arena, "%ld-%lld/%s", offset, offset + o->count - 1, total)
                                     : sb_arena_printf(req->arena, "*/%s", total);
    sb_response_header(req, "Content-Range", range);
}

static void send_body(struct sb_request *req, int status, enum sb_rest_accept accept, const char *body)
{
    if (accept == SB_ACCEPT_OBJECT) {
        sb_respond(req, status, object_type, body, strlen(body));
        return;
    }
    if (accept == SB_ACCEPT_CSV) {
        const char *csv = sb_rest_json_to_csv(req->arena, body);
        if (csv) {
            sb_respond(req, status, "text/csv; charset=utf-8", csv, strlen(csv));
            return;
        }
    }
    sb_respond(req, status, json_media_type, body, strlen(body));
}

/* A read (or a call's rows): 200/206, Content-Range, the body as accepted. */
static void respond_rows(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
                         long offset, const struct sb_rest_outcome *o)
{
    content_range(req, offset, o);
    if (prefs->applied)
        sb_response_header(req, "Preference-Applied", prefs->applied);
    int status = o->total >= 0 && o->count < o->total ? 206 : 200;
    const char *body = o->body ? o->body : "[]";
    if (accept == SB_ACCEPT_OBJECT)
        body = sb_rest_unwrap_single(req->arena, body);
    send_body(req, status, accept, body);
}

/* A write: 201 for inserts, else 200, when a body is wanted; else 201/204 and no body. */
static void respond_written(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
                            bool created, const struct sb_rest_outcome *o)
{
    if (prefs->applied)
        sb_response_header(req, "Preference-Applied", prefs->applied);
    sb_response_header(req, "Content-Range", o->count > 0 ? sb_arena_printf(req->arena, "0-%lld/*", o->count - 1)
                                                          : "*/*");
    if (prefs->ret != SB_RETURN_REPRESENTATION || !o->body) {
        sb_respond(req, created ? 201 : 204, NULL, "", 0);
        return;
    }
    const char *body = accept == SB_ACCEPT_OBJECT ? sb_rest_unwrap_single(req->arena, o->body) : o->body;
    send_body(req, created ? 201 : 200, accept, body);
}

/* A singular Accept needs exactly one row: false with PGRST116 otherwise. */
static bool one_row_if_singular(struct sb_arena *arena, enum sb_rest_accept accept, long long count,
                                struct sb_error *err)
{
    return accept != SB_ACCEPT_OBJECT || count == 1 || sb_rest_fail_singular(err, arena, count);
}

/* A read past the end of a counted result is 416; a singular Accept needs exactly one row. */
static bool respond_read(struct sb_request *req, const struct sb_rest_plan *plan, const struct sb_rest_outcome *o,
                         struct sb_error *err)
{
    long offset = plan->offset;
    if (o->total >= 0 && offset > 0 && offset >= o->total && o->count == 0) {
        sb_response_header(req, "Content-Range", sb_arena_printf(req->arena, "*/%lld", o->total));
        return sb_rest_fail_range(err, req->arena, offset, o->total);
    }
    if (!one_row_if_singular(req->arena, plan->accept, o->count, err))
        return false;
    respond_rows(req, plan->accept, &plan->prefs, offset, o);
    return true;
}

/* Location: /table?pk=eq.value for the first row written (body holds its primary key). */
static void add_location(struct sb_request *req, const struct sb_rest_plan *plan, const char *body)
{
    json_t *rows = body ? json_loads(body, 0, NULL) : NULL;
    json_t *first = json_array_get(rows, 0);
    if (json_is_object(first)) {
        struct sb_buf b;
        sb_buf_init(&b, req->arena);
        sb_buf_printf(&b, "/%s", plan->location_table);
        for (int i = 0; i < plan->location_key_count; i++) {
            const char *key = plan->location_key[i];
            json_t *v = json_object_get(first, key);
            char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            sb_buf_printf(&b, "%c%s=eq.%s", i ? '&' : '?', key, text ? text : json_string_value(v));
            free(text);
        }
        sb_response_header(req, "Location", b.data);
    }
    json_decref(rows);
}

/* A call: 204 for void, the value for a scalar, an object (or null) for one row, else rows. */
static bool respond_call(struct sb_request *req, const struct sb_rest_plan *plan, const struct sb_rest_outcome *o,
                         struct sb_error *err)
{
    const struct sb_plan_call *f = &plan->call;
    if (f->returns == SB_RETURNS_VOID) {
        sb_respond(req, 204, NULL, "", 0);
        return true;
    }
    bool rows = f->returns_set || f->returns == SB_RETURNS_ROWS;
    if (!rows) {
        const char *body = o->body ? o->body : "null";
        sb_respond(req, 200, json_media_type, body, strlen(body));
        return true;
    }
    if (!f->returns_set) {      /* one composite value: an object (or null) */
        const char *body = o->count == 1 ? sb_rest_unwrap_single(req->arena, o->body) : "null";
        sb_respond(req, 200, json_media_type, body, strlen(body));
        return true;
    }
    if (!one_row_if_singular(req->arena, plan->accept, o->count, err))
        return false;
    respond_rows(req, plan->accept, &plan->prefs, plan->offset, o);
    return true;
}

bool sb_rest_respond(struct sb_request *req, const struct sb_rest_plan *plan, const struct sb_rest_outcome *o,
                     struct sb_error *err)
{
    switch (plan->action) {
    case SB_PLAN_READ:
        return respond_read(req, plan, o, err);
    case SB_PLAN_CALL:
        return respond_call(req, plan, o, err);
    default:
        if (plan->location_table)
            add_location(req, plan, o->body);
        respond_written(req, plan->accept, &plan->prefs, plan->created, o);
        return true;
    }
}
