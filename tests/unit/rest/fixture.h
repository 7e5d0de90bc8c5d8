/* A small schema cache and request builder shared by the plan and query tests:
 *   courses(id pk DEFAULT uuid_generate_v4(), user_id, name, prefs jsonb, search tsvector)
 *   materials(id pk, course_id, backup_course_id, name)  two foreign keys to courses
 *   chats(id pk, course_id)                                one foreign key to courses
 *   notes(body)                                            no primary key
 * and functions add(a,b) / add(a,b,c), pick(x integer) / pick(x text), search(q, lim DEFAULT)
 * returning SETOF courses (stable), touch() void (volatile), ingest(json) taking a body
 * whole, tag(tags text[]) returning text. */
#ifndef SB_TEST_REST_FIXTURE_H
#define SB_TEST_REST_FIXTURE_H

#include "rest/plan.h"

extern struct sb_schema_cache fixture_cache;

/* A fresh arena for each test: cmocka's setup and teardown. */
extern struct sb_arena *fixture_arena;
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* A request with method, a query string "k=v&k=v" (not percent-decoded) and a body (or NULL);
 * no headers (set them on the result). */
struct sb_rest_request fixture_request(struct sb_arena *arena, const char *method, const char *query,
                                       const char *body);

#endif
