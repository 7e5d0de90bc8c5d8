/*
 * respond: the HTTP side of a data API answer: the Prefer and Accept headers going in, and
 * status, Content-Range, Preference-Applied, singular objects and CSV going out.
 *
 * Bodies are the JSON text Postgres built; they are passed through (CSV is converted here).
 * Everything allocated belongs to the request's arena.
 */
#ifndef SB_REST_RESPOND_H
#define SB_REST_RESPOND_H

#include <stdbool.h>

#include "http/request.h"
#include "rest/errors.h"

enum sb_rest_return { SB_RETURN_MINIMAL, SB_RETURN_HEADERS_ONLY, SB_RETURN_REPRESENTATION };
enum sb_rest_count { SB_COUNT_NONE, SB_COUNT_EXACT, SB_COUNT_PLANNED, SB_COUNT_ESTIMATED };
enum sb_rest_resolution { SB_RESOLUTION_NONE, SB_RESOLUTION_MERGE, SB_RESOLUTION_IGNORE };
enum sb_rest_accept { SB_ACCEPT_JSON, SB_ACCEPT_OBJECT, SB_ACCEPT_CSV, SB_ACCEPT_UNSUPPORTED };

struct sb_rest_prefs {
    enum sb_rest_return ret;
    enum sb_rest_count count;
    enum sb_rest_resolution resolution;
    bool missing_default;
    bool strict;                /* handling=strict: unknown preferences are an error */
    const char *unknown;        /* the first preference not understood, or NULL */
    const char *applied;        /* for Preference-Applied, or NULL */
};

/* What the statement returned: total (-1 when not counted), rows in the page, JSON body. */
struct sb_rest_outcome {
    long long total;
    long long count;
    const char *body;
};

void sb_rest_read_prefer(struct sb_request *req, struct sb_rest_prefs *out);
enum sb_rest_accept sb_rest_read_accept(const struct sb_request *req);

/* Answers a read (GET/HEAD, or RPC rows): 200/206, Content-Range, the body as accepted. */
void sb_rest_respond_rows(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
                          long offset, const struct sb_rest_outcome *o);

/* Answers a write with success_status (201 for inserts, else 200) when a body is wanted,
 * else with 201/204 and no body. */
void sb_rest_respond_written(struct sb_request *req, enum sb_rest_accept accept, const struct sb_rest_prefs *prefs,
                             bool created, const struct sb_rest_outcome *o);

/* The 406 for a singular Accept that did not get exactly one row. */
void sb_rest_fail_singular(struct sb_rest_error *err, struct sb_arena *arena, long long rows);

/* The one element of a JSON array of exactly one element, as text. */
const char *sb_rest_unwrap_single(struct sb_arena *arena, const char *array);

/* A JSON array of objects as CSV (header line from the first object's keys); NULL if the
 * text is not such an array. */
const char *sb_rest_json_to_csv(struct sb_arena *arena, const char *json);

#endif
