/*
 * conn: thread-local connections, a per-connection cache of prepared statements, and the
 * pipelined request transaction.
 */
#include "db/conn.h"

#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREPARED_SLOTS 512   /* statements remembered per connection (open addressing) */

struct prepared {
    char *sql;               /* owned; NULL = empty slot */
    unsigned long hash;
    char name[16];           /* "sb_<number>" */
};

struct connection {
    PGconn *pg;
    struct prepared slots[PREPARED_SLOTS];
    int prepared_count;
};

static const char *configured_conninfo;
static char statement_timeout[32] = "0";
static pthread_key_t connection_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static atomic_int closing;

static const char setup_sql[] =
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
    " set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),"
    " set_config('statement_timeout', $4, true)";

static void forget_prepared(struct connection *c)
{
    for (int i = 0; i < PREPARED_SLOTS; i++) {
        free(c->slots[i].sql);
        c->slots[i].sql = NULL;
    }
    c->prepared_count = 0;
}

static void close_connection(void *data)
{
    struct connection *c = data;
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    forget_prepared(c);
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&connection_key, close_connection);
}

void sb_db_configure(const char *conninfo, int statement_timeout_ms)
{
    configured_conninfo = conninfo;
    snprintf(statement_timeout, sizeof statement_timeout, "%d", statement_timeout_ms);
    pthread_once(&key_once, make_key);
}

const char *sb_db_conninfo(void)
{
    return configured_conninfo;
}

static struct connection *thread_connection(void)
{
    pthread_once(&key_once, make_key);
    struct connection *c = pthread_getspecific(connection_key);
    if (!c) {
        c = calloc(1, sizeof *c);
        pthread_setspecific(connection_key, c);
    }
    return c;
}

static void drop_broken(struct connection *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    forget_prepared(c);
}

/* Server messages outside a result (RAISE NOTICE, or the FATAL a backend sends when the
 * cluster stops) go to the log as JSON lines instead of libpq's raw stderr text. */
static void log_notice(void *arg, const char *message)
{
    (void)arg;
    if (atomic_load(&closing))
        return;
    size_t len = strlen(message);
    char text[1024];
    snprintf(text, sizeof text, "%.*s", (int)(len > 0 && message[len - 1] == '\n' ? len - 1 : len), message);
    sb_log(SB_LOG_INFO, "database notice", "message", text, NULL);
}

/* Connects (giving up after 5 s) with notices routed to the log; NULL when it cannot, with a
 * warning if report is set and the server is not closing. */
static PGconn *open_connection(const char *conninfo, const char *application_name, bool report)
{
    const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
    const char *values[] = { conninfo, "5", application_name, NULL };
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(pg) != CONNECTION_OK) {
        if (report && !atomic_load(&closing))
            sb_log(SB_LOG_WARN, "database unavailable", "error", PQerrorMessage(pg), NULL);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, log_notice, NULL);
    return pg;
}

static bool connected(struct connection *c)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return true;
    drop_broken(c);
    if (configured_conninfo)
        c->pg = open_connection(configured_conninfo, "studybase", true);
    return c->pg != NULL;
}

PGconn *sb_db_connection(void)
{
    struct connection *c = thread_connection();
    return connected(c) ? c->pg : NULL;
}

static bool role_is_allowed(const char *role)
{
    return role && (strcmp(role, "anon") == 0 || strcmp(role, "authenticated") == 0 ||
                    strcmp(role, "service_role") == 0);
}

static unsigned long hash_text(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

/* The slot holding sql, or the empty slot where it would go, or NULL when full. */
static struct prepared *find_slot(struct connection *c, const char *sql, unsigned long hash)
{
    for (int probe = 0; probe < PREPARED_SLOTS; probe++) {
        struct prepared *p = &c->slots[(hash + (unsigned long)probe) % PREPARED_SLOTS];
        if (!p->sql || (p->hash == hash && strcmp(p->sql, sql) == 0))
            return p;
    }
    return NULL;
}

static void fill_error(struct sb_arena *arena, const PGresult *res, PGconn *pg, struct sb_db_result *out)
{
    out->status = SB_DB_ERROR;
    if (!res) {
        out->message = sb_arena_strdup(arena, pg ? PQerrorMessage(pg) : "no connection");
        return;
    }
    out->sqlstate = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_SQLSTATE));
    out->message = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    out->detail = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
    out->hint = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
    out->constraint = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
    out->schema = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_SCHEMA_NAME));
    out->table = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_TABLE_NAME));
    out->column = sb_arena_strdup(arena, PQresultErrorField(res, PG_DIAG_COLUMN_NAME));
    if (!out->message)
        out->message = sb_arena_strdup(arena, PQresultErrorMessage(res));
}

static void free_result(void *res)
{
    PQclear(res);
}

static enum sb_db_status unavailable(struct connection *c, struct sb_db_result *out)
{
    drop_broken(c);
    out->status = SB_DB_UNAVAILABLE;
    out->message = "the database is not available";
    return SB_DB_UNAVAILABLE;
}

/* Queues the caller's statement: prepared when the cache has room, else unnamed. */
static bool send_statement(struct connection *c, const char *sql, int nparams, const char *const *params,
                           struct prepared **newly_prepared)
{
    *newly_prepared = NULL;
    unsigned long hash = hash_text(sql);
    struct prepared *slot = c->prepared_count < PREPARED_SLOTS * 3 / 4 ? find_slot(c, sql, hash) : NULL;
    if (!slot)
        return PQsendQueryParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0) == 1;
    if (!slot->sql) {
        snprintf(slot->name, sizeof slot->name, "sb_%d", c->prepared_count++);
        if (PQsendPrepare(c->pg, slot->name, sql, nparams, NULL) != 1)
            return false;
        slot->sql = strdup(sql);
        slot->hash = hash;
        *newly_prepared = slot;
    }
    return PQsendQueryPrepared(c->pg, slot->name, nparams, params, NULL, NULL, 0) == 1;
}

/* Reads one command's results up to its terminating NULL; keeps the first error or the rows. */
static void collect(struct sb_arena *arena, struct connection *c, bool keep_rows, struct sb_db_result *out)
{
    PGresult *res;
    while ((res = PQgetResult(c->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if ((st == PGRES_FATAL_ERROR) && out->status == SB_DB_OK) {
            fill_error(arena, res, c->pg, out);
        } else if (keep_rows && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && !out->rows) {
            out->rows = res;
            sb_arena_defer(arena, free_result, res);
            continue;
        }
        PQclear(res);
    }
}

/* Starts a result; refuses a role outside the three API roles before anything is sent. */
static bool accept_identity(const struct sb_db_call *identity, struct sb_db_result *out)
{
    memset(out, 0, sizeof *out);
    if (role_is_allowed(identity->role))
        return true;
    out->status = SB_DB_ERROR;
    out->sqlstate = "42501";
    out->message = "the request's role is not one the API may use";
    return false;
}

/* The parameters of setup_sql for this identity. */
static void fill_setup(const struct sb_db_call *identity, const char *setup[4])
{
    setup[0] = identity->role;
    setup[1] = identity->claims ? identity->claims : "";
    setup[2] = identity->sub ? identity->sub : "";
    setup[3] = statement_timeout;
}

enum sb_db_status sb_db_run(struct sb_arena *arena, const struct sb_db_call *call, struct sb_db_result *out)
{
    if (!accept_identity(call, out))
        return SB_DB_ERROR;
    struct connection *c = thread_connection();
    if (!connected(c))
        return unavailable(c, out);

    const char *setup[4];
    fill_setup(call, setup);
    struct prepared *newly_prepared = NULL, *setup_prepared = NULL;
    bool sent = PQenterPipelineMode(c->pg) == 1 &&
                send_statement(c, setup_sql, 4, setup, &setup_prepared) &&
                send_statement(c, call->sql, call->nparams, call->params, &newly_prepared) &&
                PQpipelineSync(c->pg) == 1;
    if (!sent)
        return unavailable(c, out);

    if (setup_prepared)
        collect(arena, c, false, out);             /* prepare of the setup (once per connection) */
    collect(arena, c, false, out);                 /* setup */
    if (newly_prepared) {
        collect(arena, c, false, out);             /* prepare */
        if (out->status != SB_DB_OK) {             /* a statement that does not parse is not kept */
            free(newly_prepared->sql);
            newly_prepared->sql = NULL;
        }
    }
    collect(arena, c, true, out);                  /* the statement */
    PGresult *sync;
    while ((sync = PQgetResult(c->pg)) != NULL) {  /* commit errors (deferred constraints) land here */
        if (PQresultStatus(sync) == PGRES_FATAL_ERROR && out->status == SB_DB_OK)
            fill_error(arena, sync, c->pg, out);
        bool done = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
        if (done)
            break;
    }
    PQexitPipelineMode(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return unavailable(c, out);
    if (out->status != SB_DB_OK)
        out->rows = NULL;
    return out->status;
}

static enum sb_db_status exec_plain(struct sb_arena *arena, struct connection *c, const char *sql, int nparams,
                                    const char *const *params, struct sb_db_result *out)
{
    memset(out, 0, sizeof *out);
    PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        out->status = SB_DB_OK;
        out->rows = res;
        sb_arena_defer(arena, free_result, res);
        return SB_DB_OK;
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        PQclear(res);
        return unavailable(c, out);
    }
    fill_error(arena, res, c->pg, out);
    PQclear(res);
    return SB_DB_ERROR;
}

enum sb_db_status sb_db_begin(struct sb_arena *arena, const struct sb_db_call *identity, struct sb_db_result *out)
{
    if (!accept_identity(identity, out))
        return SB_DB_ERROR;
    struct connection *c = thread_connection();
    if (!connected(c))
        return unavailable(c, out);
    if (exec_plain(arena, c, "BEGIN", 0, NULL, out) != SB_DB_OK)
        return out->status;
    const char *setup[4];
    fill_setup(identity, setup);
    if (exec_plain(arena, c, setup_sql, 4, setup, out) != SB_DB_OK)
        sb_db_rollback();
    return out->status;
}

enum sb_db_status sb_db_query(struct sb_arena *arena, const char *sql, int nparams, const char *const *params,
                              struct sb_db_result *out)
{
    struct connection *c = thread_connection();
    if (!c->pg)
        return unavailable(c, out);
    return exec_plain(arena, c, sql, nparams, params, out);
}

enum sb_db_status sb_db_commit(struct sb_arena *arena, struct sb_db_result *out)
{
    return sb_db_query(arena, "COMMIT", 0, NULL, out);
}

void sb_db_rollback(void)
{
    struct connection *c = thread_connection();
    if (c->pg)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

PGconn *sb_db_open(const char *conninfo, const char *application_name)
{
    return open_connection(conninfo, application_name, false);
}

void sb_db_closing(void)
{
    atomic_store(&closing, 1);
}

int sb_db_is_closing(void)
{
    return atomic_load(&closing);
}
