/*
 * service: the /functions/v1 service — the platform's built-in functions (embed, tutor), called
 * as Supabase Edge Functions are (supabase.functions.invoke: POST, JSON body, the caller's
 * token as Authorization: Bearer, the anon key as apikey).
 *
 * Errors are {"code":"...","message":"..."} with the HTTP status (supabase-js turns a non-2xx
 * answer into a FunctionsHttpError whose context is the response). Each function registers its
 * route here (sb_functions_register calls them). Everything returned lives in the request's
 * arena.
 */
#ifndef SB_AI_SERVICE_H
#define SB_AI_SERVICE_H

#include <stdbool.h>

#include "base/call.h"
#include "http/request.h"

#define SB_FUNCTIONS_PREFIX "/functions/v1"

/* Registers every /functions/v1 route (called from src/http/services.c). */
void sb_functions_register(void);

/* The request's call value (base/call.h) with the functions' error shape and SQLSTATE table. */
struct sb_call *sb_functions_call(struct sb_request *req);

/* Answers with the error in the functions' shape. */
void sb_functions_fail(struct sb_request *req, int status, const char *code, const char *message);

/* The caller's identity for SQL. A refused token is answered 401 (invalid_token); with
 * need_user, so is a call without a signed-in user's token (anon key alone). Returns false
 * after answering. */
bool sb_functions_identify(struct sb_request *req, bool need_user, const struct sb_db_call **who);

#endif
