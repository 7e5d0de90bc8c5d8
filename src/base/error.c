/*
 * error: the error value and the SQLSTATE table look-up (error.h).
 */
#include "base/error.h"

#include <stdlib.h>
#include <string.h>

bool sb_error_set(struct sb_error *err, int status, const char *code, const char *message, const char *details,
                  const char *hint)
{
    *err = (struct sb_error){ status, code, message, details, hint, NULL };
    return false;
}

static bool rule_matches(const struct sb_sqlstate_rule *rule, const char *sqlstate)
{
    return strncmp(sqlstate, rule->sqlstate, strlen(rule->sqlstate)) == 0;
}

const struct sb_sqlstate_rule *sb_sqlstate_rule_for(const struct sb_sqlstate_rule *table, const char *sqlstate)
{
    if (!sqlstate)
        return NULL;
    for (const struct sb_sqlstate_rule *rule = table; rule->sqlstate; rule++)
        if (rule_matches(rule, sqlstate))
            return rule;
    return NULL;
}

static int status_in_sqlstate(const char *sqlstate)
{
    int n = atoi(sqlstate + 2);
    return n >= 100 && n <= 599 ? n : 500;
}

int sb_sqlstate_rule_status(const struct sb_sqlstate_rule *rule, const char *sqlstate, const char *role)
{
    if (rule->anon_status && role && strcmp(role, "anon") == 0)
        return rule->anon_status;
    if (rule->status == SB_STATUS_IN_SQLSTATE)
        return status_in_sqlstate(sqlstate);
    return rule->status;
}

bool sb_error_from_sqlstate(const struct sb_sqlstate_rule *table, const struct sb_db_result *db, const char *role,
                            struct sb_error *err)
{
    const struct sb_sqlstate_rule *rule = sb_sqlstate_rule_for(table, db->sqlstate);
    sb_error_set(err, 500, db->sqlstate, db->message, db->detail, db->hint);
    err->sqlstate = db->sqlstate;
    if (!rule)
        return false;
    err->status = sb_sqlstate_rule_status(rule, db->sqlstate, role);
    if (rule->code)
        err->code = rule->code;
    if (rule->message)
        err->message = rule->message;
    return false;
}
