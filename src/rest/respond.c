/*
 * respond: Prefer/Accept parsing and the shapes of successful answers (PostgREST v12).
 */
#include "rest/respond.h"

#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char object_type[] = "application/vnd.pgrst.object+json; charset=utf-8";
static const char json_media_type[] = "application/json; charset=utf-8";

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

static bool apply_pref(struct sb_rest_prefs *p, const char *pref)
{
    static const struct { const char *text; int kind, value; } known[] = {
        { "return=minimal", 0, SB_RETURN_MINIMAL },
        { "return=headers-only", 0, SB_RETURN_HEADERS_ONLY },
        { "return=representation", 0, SB_RETURN_REPRESENTATION },
        { "count=exact", 1, SB_COUNT_EXACT },
        { "count=planned", 1, SB_COUNT_PLANNED },
        { "count=estimated", 1, SB_COUNT_ESTIMATED },
        { "resolution=merge-duplicates", 2, SB_RESOLUTION_MERGE },
        { "resolution=ignore-duplicates", 2, SB_RESOLUTION_IGNORE },
        { "missing=default", 3, 1 },
        { "missing=null", 3, 0 },
        { "handling=strict", 4, 1 },
        { "handling=lenient", 4, 0 },
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(pref, known[i].text) != 0)
            continue;
        switch (known[i].kind) {
        case 0: p->ret = (enum sb_rest_return)known[i].value; break;
        case 1: p->count = (enum sb_rest_count)known[i].value; break;
        case 2: p->resolution = (enum sb_rest_resolution)known[i].value; break;
        case 3: p->missing_default = known[i].value; break;
        default: p->strict = known[i].value; break;
        }
        return true;
    }
    return false;
}

void sb_rest_read_prefer(struct sb_request *req, struct sb_rest_prefs *out)
{
    memset(out, 0, sizeof *out);
    const char *header = sb_request_header(req, "Prefer");
    if (!header)
        return;
    char *copy = sb_arena_strdup(req->arena, header);
    struct sb_buf applied;
    sb_buf_init(&applied, req->arena);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *pref = trim(tok);
        if (!*pref)
            continue;
        if (apply_pref(out, pref)) {
            if (strncmp(pref, "handling=", 9) != 0)
                sb_buf_printf(&applied, "%s%s", applied.len ? ", " : "", pref);
        } else if (!out->unknown && strncmp(pref, "tx=", 3) != 0 && strncmp(pref, "timezone=", 9) != 0) {
            out->unknown = pref;
        }
    }
    out->applied = applied.len ? applied.data : NULL;
}

enum sb_rest_accept sb_rest_read_accept(const struct sb_request *req)
{
    const char *accept = sb_request_header(req, "Accept");
    if (!accept || !*accept)
        return SB_ACCEPT_JSON;
    if (strstr(accept, "application/vnd.pgrst.object"))
        return SB_ACCEPT_OBJECT;
    if (strstr(accept, "application/json") || strstr(accept, "*/*") || strstr(accept, "application/*"))
        return SB_ACCEPT_JSON;
    if (strstr(accept, "text/csv"))
        return SB_ACCEPT_CSV;
    return SB_ACCEPT_UNSUPPORTED;
}

void sb_rest_fail_singular(struct sb_rest_error *err, struct sb_arena *arena, long long rows)
{
    sb_rest_fail(err, 406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                 sb_arena_printf(arena, "The result contains %lld rows", rows), NULL);
}

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

void sb_rest_respond_rows(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
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

void sb_rest_respond_written(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
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
