/*
 * service: the data API's routes under /rest/v1 (PostgREST-compatible): tables and views
 * (GET, HEAD, POST, PATCH, DELETE) and functions (/rest/v1/rpc/<fn>, GET, HEAD, POST).
 *
 * Each request runs as its JWT's role (anon without a token) with its claims, in one round
 * trip (sb_call_run, base/call.h) or, where it needs one, one explicit transaction
 * (execute.h), so Row Level Security in the database decides what it sees.
 */
#ifndef SB_REST_SERVICE_H
#define SB_REST_SERVICE_H

/* Registers the routes and starts the schema cache (DATABASE_URL must be configured). */
void sb_rest_register(void);

#endif
