/*
 * exec: statements on a background thread's own connection (exec.h).
 */
#include "db/exec.h"

#include "db/conn.h"
#include "util/log.h"

#include <stdio.h>

PGresult *sb_db_exec(PGconn *pg, const char *who, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return res;
    if (!sb_db_is_closing()) {
        char what[128];
        snprintf(what, sizeof what, "%s: statement failed", who);
        sb_log(SB_LOG_WARN, what, "error", res ? PQresultErrorMessage(res) : PQerrorMessage(pg), NULL);
    }
    PQclear(res);
    return NULL;
}

bool sb_db_exec_ok(PGconn *pg, const char *who, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = sb_db_exec(pg, who, sql, nparams, params);
    PQclear(res);
    return res != NULL;
}
