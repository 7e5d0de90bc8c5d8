/*
 * migrate: the migration runner behind `studybase migrate up | down | status`.
 *
 * Order: every platform/ file by name, then every migrations/ file by name except the
 * rollback. A session-level advisory lock keeps two runners from interleaving.
 */
#include "db/migrate.h"

#include "db/embedded.h"
#include "util/sha256.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7201913"   /* arbitrary, stable advisory lock id */

struct migration {
    const char *name;
    const char *text;
    char checksum[SB_SHA256_HEX_LEN + 1];
    const char *applied_checksum; /* NULL while pending; points into `applied` result */
    const char *applied_at;
};

struct plan {
    struct migration *up;     /* in apply order */
    int count;
    const char *rollback_name; /* NULL if the binary carries none */
    const char *rollback_text;
    PGresult *applied;
};

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_rollback(const char *name)
{
    return has_prefix(name, "migrations/") && has_suffix(name, "_rollback.sql");
}

static int folder_rank(const char *name)
{
    return has_prefix(name, "platform/") ? 0 : 1;
}

static int compare_in_apply_order(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    int rx = folder_rank(x->name), ry = folder_rank(y->name);
    return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static void plan_from_embedded_files(struct plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->up = calloc((size_t)sb_embedded_count + 1, sizeof *plan->up);
    for (int i = 0; i < sb_embedded_count; i++) {
        const struct sb_embedded_file *f = &sb_embedded_files[i];
        if (is_rollback(f->name)) {
            plan->rollback_name = f->name;
            plan->rollback_text = f->text;
            continue;
        }
        struct migration *m = &plan->up[plan->count++];
        m->name = f->name;
        m->text = f->text;
        sb_sha256_hex(f->text, strlen(f->text), m->checksum);
    }
    qsort(plan->up, (size_t)plan->count, sizeof *plan->up, compare_in_apply_order);
}

static void print_db_error(const char *what, PGconn *conn, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    fprintf(stderr, "studybase migrate: %s: %s%s%s%s%s%s\n", what,
            msg ? msg : PQerrorMessage(conn),
            state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "",
            detail ? "\n  detail: " : "", detail ? detail : "");
}

/* Runs a command that returns no rows; prints the error and returns false on failure. */
static bool run(PGconn *conn, const char *what, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        print_db_error(what, conn, res);
    PQclear(res);
    return ok;
}

static bool prepare_bookkeeping(PGconn *conn)
{
    return run(conn, "setting up", "SET client_min_messages = warning") &&
           run(conn, "taking the migration lock", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") &&
           run(conn, "creating the migrations table",
               "CREATE SCHEMA IF NOT EXISTS studybase;"
               "CREATE TABLE IF NOT EXISTS studybase.schema_migrations ("
               "  name text PRIMARY KEY,"
               "  checksum text NOT NULL,"
               "  applied_at timestamptz NOT NULL DEFAULT now())");
}

static bool load_applied(PGconn *conn, struct plan *plan)
{
    plan->applied = PQexec(conn, "SELECT name, checksum, applied_at::text "
                                 "FROM studybase.schema_migrations ORDER BY name");
    if (PQresultStatus(plan->applied) != PGRES_TUPLES_OK) {
        print_db_error("reading applied migrations", conn, plan->applied);
        return false;
    }
    for (int row = 0; row < PQntuples(plan->applied); row++) {
        const char *name = PQgetvalue(plan->applied, row, 0);
        for (int i = 0; i < plan->count; i++) {
            if (strcmp(plan->up[i].name, name) == 0) {
                plan->up[i].applied_checksum = PQgetvalue(plan->applied, row, 1);
                plan->up[i].applied_at = PQgetvalue(plan->applied, row, 2);
            }
        }
    }
    return true;
}

static bool is_changed(const struct migration *m)
{
    return m->applied_checksum && strcmp(m->applied_checksum, m->checksum) != 0;
}

static bool refuse_if_any_applied_file_changed(const struct plan *plan)
{
    bool changed = false;
    for (int i = 0; i < plan->count; i++) {
        const struct migration *m = &plan->up[i];
        if (is_changed(m)) {
            fprintf(stderr, "studybase migrate: %s changed after it was applied "
                            "(recorded sha256 %.12s…, now %.12s…); refusing to run. "
                            "Write a new migration instead of editing an applied one.\n",
                    m->name, m->applied_checksum, m->checksum);
            changed = true;
        }
    }
    return !changed;
}

static bool apply_one(PGconn *conn, const struct migration *m)
{
    if (!run(conn, "BEGIN", "BEGIN"))
        return false;
    PGresult *res = PQexec(conn, m->text);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        char what[256];
        snprintf(what, sizeof what, "%s failed", m->name);
        print_db_error(what, conn, res);
        PQclear(res);
        run(conn, "ROLLBACK", "ROLLBACK");
        return false;
    }
    PQclear(res);
    const char *params[2] = { m->name, m->checksum };
    res = PQexecParams(conn, "INSERT INTO studybase.schema_migrations (name, checksum) VALUES ($1, $2)",
                       2, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        print_db_error("recording the migration", conn, res);
    PQclear(res);
    return ok ? run(conn, "COMMIT", "COMMIT") : (run(conn, "ROLLBACK", "ROLLBACK"), false);
}

static int migrate_up(PGconn *conn, struct plan *plan, FILE *out)
{
    if (!refuse_if_any_applied_file_changed(plan))
        return 1;
    int applied = 0;
    for (int i = 0; i < plan->count; i++) {
        if (plan->up[i].applied_checksum)
            continue;
        if (!apply_one(conn, &plan->up[i]))
            return 1;
        fprintf(out, "applied %s\n", plan->up[i].name);
        applied++;
    }
    fprintf(out, applied ? "database is up to date (%d applied)\n" : "database is up to date (nothing to apply)\n", applied);
    return 0;
}

static int migrate_down(PGconn *conn, struct plan *plan, FILE *out)
{
    if (!plan->rollback_text) {
        fprintf(stderr, "studybase migrate: this build carries no rollback migration\n");
        return 1;
    }
    if (!run(conn, "BEGIN", "BEGIN"))
        return 1;
    PGresult *res = PQexec(conn, plan->rollback_text);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        print_db_error(plan->rollback_name, conn, res);
        PQclear(res);
        run(conn, "ROLLBACK", "ROLLBACK");
        return 1;
    }
    PQclear(res);
    if (!run(conn, "forgetting app migrations",
             "DELETE FROM studybase.schema_migrations WHERE name LIKE 'migrations/%'") ||
        !run(conn, "COMMIT", "COMMIT"))
        return 1;
    fprintf(out, "rolled back the app migrations with %s (the platform schema stays)\n",
            plan->rollback_name);
    return 0;
}

static int migrate_status(struct plan *plan, FILE *out)
{
    int pending = 0, changed = 0;
    for (int i = 0; i < plan->count; i++) {
        const struct migration *m = &plan->up[i];
        if (is_changed(m)) {
            fprintf(out, "CHANGED  %-45s applied %s, file differs since\n", m->name, m->applied_at);
            changed++;
        } else if (m->applied_checksum) {
            fprintf(out, "applied  %-45s %s\n", m->name, m->applied_at);
        } else {
            fprintf(out, "pending  %s\n", m->name);
            pending++;
        }
    }
    fprintf(out, "%d applied, %d pending, %d changed\n", plan->count - pending - changed, pending, changed);
    return changed ? 1 : 0;
}

int sb_migrate(const char *conninfo, enum sb_migrate_action action, FILE *out)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "studybase migrate: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    struct plan plan;
    plan_from_embedded_files(&plan);
    int rc = 1;
    if (prepare_bookkeeping(conn) && load_applied(conn, &plan)) {
        switch (action) {
        case SB_MIGRATE_UP: rc = migrate_up(conn, &plan, out); break;
        case SB_MIGRATE_DOWN: rc = migrate_down(conn, &plan, out); break;
        case SB_MIGRATE_STATUS: rc = migrate_status(&plan, out); break;
        }
    }
    PQclear(plan.applied);
    free(plan.up);
    PQfinish(conn);
    return rc;
}
