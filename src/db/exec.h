/*
 * exec: one statement on a background thread's own blocking connection (the mail outbox's
 * sender, the embedding worker), with its failure logged under the thread's name.
 */
#ifndef SB_DB_EXEC_H
#define SB_DB_EXEC_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Runs sql with text params; its result when it succeeded (the caller clears it), else NULL,
 * the failure logged as "<who>: statement failed" unless the server is stopping. */
PGresult *sb_db_exec(PGconn *pg, const char *who, const char *sql, int nparams, const char *const *params);

/* The same, for a statement whose result is not needed: true when it succeeded. */
bool sb_db_exec_ok(PGconn *pg, const char *who, const char *sql, int nparams, const char *const *params);

#endif
