/*
 * respond: the data API's last stage: the HTTP answer for a planned request (plan.h) and what
 * its statement returned (execute.h): status, Content-Range, Preference-Applied, Location,
 * singular objects and CSV; and the errors only the outcome can show (416 PGRST103 for an
 * offset past a counted end, 406 PGRST116 for a singular Accept without exactly one row).
 *
 * Bodies are the JSON text Postgres built; they are passed through (CSV is converted here).
 * Everything allocated belongs to the request's arena.
 */
#ifndef SB_REST_RESPOND_H
#define SB_REST_RESPOND_H

#include "http/request.h"
#include "rest/execute.h"
#include "rest/plan.h"

/* Sends the response for plan's outcome o; false, nothing sent and err filled, when the outcome
 * is itself an error (416 past the end, PGRST116 for a singular Accept): the caller answers it
 * as every other error of the request. */
bool sb_rest_respond(struct sb_request *req, const struct sb_rest_plan *plan, const struct sb_rest_outcome *o,
                     struct sb_error *err);

/* The one element of a JSON array of exactly one element, as text. */
const char *sb_rest_unwrap_single(struct sb_arena *arena, const char *array);

/* A JSON array of objects as CSV (header line from the first object's keys); NULL if the
 * text is not such an array. */
const char *sb_rest_json_to_csv(struct sb_arena *arena, const char *json);

#endif
