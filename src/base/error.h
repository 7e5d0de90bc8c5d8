/*
 * error: the one error value every service answers with, and how a database refusal becomes
 * one through a service's SQLSTATE table.
 *
 * A service never writes an error body by hand: it fills a struct sb_error (here, or through
 * its call, base/call.h) and its wire shape writes it (auth {code,error_code,msg,message},
 * rest PostgREST's {code,message,details,hint}, storage {statusCode,error,message}). Strings
 * in an sb_error are static or owned by the request's arena.
 */
#ifndef SB_BASE_ERROR_H
#define SB_BASE_ERROR_H

#include <stdbool.h>

#include "db/conn.h"

struct sb_error {
    int status;             /* the HTTP status the service means (its wire shape may send another) */
    const char *code;       /* the service's code (PGRST116, bad_json, Duplicate) or the SQLSTATE */
    const char *message;
    const char *details;    /* NULL when absent */
    const char *hint;       /* NULL when absent */
    const char *sqlstate;   /* set when the database raised the error */
};

/* A status taken from the SQLSTATE itself: PostgREST's PTnnn answers nnn (500 if out of range). */
#define SB_STATUS_IN_SQLSTATE (-1)

/* One line of a service's SQLSTATE table; the first line that matches decides. */
struct sb_sqlstate_rule {
    const char *sqlstate;   /* a SQLSTATE, or its first characters (a class); "" matches any;
                               NULL ends the table */
    int status;             /* HTTP status, or SB_STATUS_IN_SQLSTATE */
    int anon_status;        /* the status when the caller is anon, if not 0 (PostgREST's 401) */
    const char *code;       /* the service's code; NULL: the SQLSTATE */
    const char *message;    /* NULL: the database's message */
};

/* Fills err; returns false, so a step can `return sb_error_set(...)`. */
bool sb_error_set(struct sb_error *err, int status, const char *code, const char *message, const char *details,
                  const char *hint);

/* The first rule of table that matches sqlstate, or NULL (also for a NULL sqlstate). */
const struct sb_sqlstate_rule *sb_sqlstate_rule_for(const struct sb_sqlstate_rule *table, const char *sqlstate);

/* The status the rule gives sqlstate for a caller in role (NULL: not anon). */
int sb_sqlstate_rule_status(const struct sb_sqlstate_rule *rule, const char *sqlstate, const char *role);

/* A refusal of the database (db->status SB_DB_ERROR) as the error table maps it: status, code
 * and message from the matching rule, details and hint from the database, sqlstate set. With
 * no matching rule (or no SQLSTATE: a failure that is not the database's) the error is 500
 * with the database's words. Returns false. */
bool sb_error_from_sqlstate(const struct sb_sqlstate_rule *table, const struct sb_db_result *db, const char *role,
                            struct sb_error *err);

#endif
