/*
 * conn: sessions (a libpq connection and its prepared statements), the per-loop pools that
 * lend them to requests, the thread-own sessions of background threads, and the pipelined
 * request transaction.
 *
 * All I/O goes through wait_for_socket: in a fiber it yields to the loop (a pooled session's
 * socket is watched by its loop for as long as it is open); on a thread's own stack it polls.
 * So one set of functions serves both kinds of session.
 */
#include "db/conn.h"

#include "core/fiber.h"
#include "core/loop.h"
#include "util/log.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define PREPARED_MAX 256          /* statements kept prepared per session */
#define PREPARED_SQL_MAX 16384    /* a longer statement is sent unnamed, never kept */
#define CONNECT_TIMEOUT_MS 5000
#define WAITERS_PER_SESSION 64    /* past this many waiting per pooled session: busy at once */

struct prepared {
    char *sql;                    /* owned; NULL: free */
    unsigned long hash;
    uint64_t last_used;
    char name[24];                /* "sb_<number>", never reused on a session */
};

struct session {
    PGconn *pg;
    struct sb_watch watch;        /* pooled: the socket, watched by the pool's loop */
    bool watched;
    struct pool *pool;            /* NULL: a thread's own session */
    struct sb_fiber *waiter;      /* the fiber waiting for the socket */
    bool in_use;
    struct prepared prepared[PREPARED_MAX];
    uint64_t clock;
    unsigned long names;
    const char *evicted;          /* DEALLOCATE to send after the request ("sb_<n>", owned) */
};

struct pool_waiter {
    struct sb_fiber *fiber;
    struct session *handed;       /* set by release: the session is this waiter's now */
    struct pool_waiter *next;
};

struct pool {
    struct sb_loop *loop;
    struct session *sessions;
    int size;
    struct pool_waiter *waiting_head, *waiting_tail;
    int waiting;
};

static const char *configured_conninfo;
static char statement_timeout[32] = "0";
static int sessions_per_loop = 4;
static int acquire_timeout_ms = 10000;
static atomic_int closing;

static __thread struct pool *thread_pool;
static __thread struct session *own_session;   /* threads without a loop */
static __thread struct session *thread_held;   /* their explicit transaction */

static const char setup_sql[] =
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
    " set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),"
    " set_config('statement_timeout', $4, true)";
static const char reset_sql[] = "RESET ALL";

void sb_db_configure(const char *conninfo, int statement_timeout_ms)
{
    configured_conninfo = conninfo;
    snprintf(statement_timeout, sizeof statement_timeout, "%d", statement_timeout_ms);
}

void sb_db_configure_pool(int per_loop, int timeout_ms)
{
    sessions_per_loop = per_loop > 0 ? per_loop : 1;
    acquire_timeout_ms = timeout_ms;
}

const char *sb_db_conninfo(void)
{
    return configured_conninfo;
}

void sb_db_closing(void)
{
    atomic_store(&closing, 1);
}

int sb_db_is_closing(void)
{
    return atomic_load(&closing);
}

/* ---- opening and closing ------------------------------------------------------------------ */

/* Server messages outside a result (RAISE NOTICE, or the FATAL a backend sends when the
 * cluster stops) go to the log as JSON lines instead of libpq's raw stderr text. */
static void log_notice(void *arg, const char *message)
{
    if (atomic_load(&closing))
        return;
    size_t len = strlen(message);
    char text[1024];
    snprintf(text, sizeof text, "%.*s", (int)(len > 0 && message[len - 1] == '\n' ? len - 1 : len), message);
    sb_log(SB_LOG_INFO, "database notice", "message", text, NULL);
}

/* Connects without blocking the loop (in a fiber) and gives up after CONNECT_TIMEOUT_MS; NULL
 * when it cannot, with a warning if report is set and the server is not closing. */
static PGconn *open_connection(const char *conninfo, const char *application_name, bool report)
{
    const char *keys[] = { "dbname", "application_name", NULL };
    const char *values[] = { conninfo, application_name, NULL };
    PGconn *pg = PQconnectStartParams(keys, values, 1);
    int64_t deadline = sb_now_ms() + CONNECT_TIMEOUT_MS;
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (pg && PQstatus(pg) != CONNECTION_BAD && state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
        uint32_t events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (sb_wait_fd(PQsocket(pg), events, deadline) != SB_WAIT_READY)
            break;
        state = PQconnectPoll(pg);
    }
    if (!pg || state != PGRES_POLLING_OK) {
        const char *why = !pg ? "out of memory" : PQstatus(pg) == CONNECTION_BAD ? PQerrorMessage(pg) : "timeout expired";
        if (report && !atomic_load(&closing))
            sb_log(SB_LOG_WARN, "database unavailable", "error", why, NULL);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, log_notice, NULL);
    return pg;
}

PGconn *sb_db_open(const char *conninfo, const char *application_name)
{
    return open_connection(conninfo, application_name, false);
}

static void forget_prepared(struct session *s)
{
    for (int i = 0; i < PREPARED_MAX; i++) {
        free(s->prepared[i].sql);
        s->prepared[i].sql = NULL;
    }
    free((char *)s->evicted);
    s->evicted = NULL;
}

static void stop_watching(struct session *s)
{
    if (s->watched)
        sb_loop_unwatch(s->pool->loop, &s->watch);
    s->watched = false;
}

static void close_session(struct session *s)
{
    stop_watching(s);
    if (s->pg)
        PQfinish(s->pg);
    s->pg = NULL;
    forget_prepared(s);
}

/* The loop saw the socket of a pooled session ready: wake the fiber waiting for it, or else
 * read what came (a notice, or the end of a backend the server stopped: then close it). */
static void session_socket_ready(struct sb_watch *watch, uint32_t events)
{
    struct session *s = (struct session *)((char *)watch - offsetof(struct session, watch));
    if (s->waiter) {
        sb_loop_wake(s->waiter);
        return;
    }
    if (PQconsumeInput(s->pg) && PQstatus(s->pg) == CONNECTION_OK)
        return;
    if (s->in_use)
        stop_watching(s);   /* its user finds it broken; level-triggered EOF must not spin */
    else
        close_session(s);
}

static bool open_session(struct session *s)
{
    if (s->pg && PQstatus(s->pg) == CONNECTION_OK)
        return true;
    close_session(s);
    if (!configured_conninfo || !(s->pg = open_connection(configured_conninfo, "studybase", true)))
        return false;
    if (!s->pool)
        return true;
    PQsetnonblocking(s->pg, 1);
    s->watch = (struct sb_watch){ .fd = PQsocket(s->pg), .on_ready = session_socket_ready };
    s->watched = sb_loop_watch(s->pool->loop, &s->watch, EPOLLIN) == 0;
    if (!s->watched)
        close_session(s);
    return s->watched;
}

/* ---- waiting for the socket ----------------------------------------------------------------- */

static bool wait_for_socket(struct session *s, bool to_write)
{
    uint32_t events = to_write ? EPOLLIN | EPOLLOUT : EPOLLIN;
    if (!s->pool)
        return sb_wait_fd(PQsocket(s->pg), events, -1) == SB_WAIT_READY;
    if (!s->watched)
        return false;
    if (to_write)
        sb_loop_rewatch(s->pool->loop, &s->watch, events);
    s->waiter = sb_fiber_current();
    enum sb_wait_result r = sb_wait_suspend(-1);
    s->waiter = NULL;
    if (to_write && s->watched)
        sb_loop_rewatch(s->pool->loop, &s->watch, EPOLLIN);
    return r == SB_WAIT_READY;
}

/* Sends everything queued; as libpq asks, reads while it waits so neither side stalls. */
static bool flush_all(struct session *s)
{
    int r;
    while ((r = PQflush(s->pg)) == 1)
        if (!wait_for_socket(s, true) || !PQconsumeInput(s->pg))
            return false;
    return r == 0;
}

/* The next result, waiting for it; NULL at the end of a command's results or when the
 * connection broke (PQstatus says which). */
static PGresult *next_result(struct session *s)
{
    while (PQisBusy(s->pg))
        if (!wait_for_socket(s, false) || !PQconsumeInput(s->pg))
            return NULL;
    return PQgetResult(s->pg);
}

static bool broken(const struct session *s)
{
    return !s->pg || PQstatus(s->pg) != CONNECTION_OK;
}

/* ---- lending sessions ------------------------------------------------------------------------- */

static struct pool *loop_pool(struct sb_loop *loop)
{
    if (!thread_pool) {
        thread_pool = calloc(1, sizeof *thread_pool);
        thread_pool->loop = loop;
        thread_pool->size = sessions_per_loop;
        thread_pool->sessions = calloc((size_t)sessions_per_loop, sizeof *thread_pool->sessions);
        for (int i = 0; i < sessions_per_loop; i++)
            thread_pool->sessions[i].pool = thread_pool;
    }
    return thread_pool;
}

/* A free session, open ones first; NULL when all are lent. */
static struct session *free_session(struct pool *pool)
{
    struct session *unopened = NULL;
    for (int i = 0; i < pool->size; i++) {
        struct session *s = &pool->sessions[i];
        if (s->in_use)
            continue;
        if (!broken(s))
            return s;
        if (!unopened)
            unopened = s;
    }
    return unopened;
}

static void forget_waiter(struct pool *pool, struct pool_waiter *w)
{
    for (struct pool_waiter **p = &pool->waiting_head; *p; p = &(*p)->next) {
        if (*p != w)
            continue;
        *p = w->next;
        if (pool->waiting_tail == w) {
            pool->waiting_tail = NULL;
            for (struct pool_waiter *t = pool->waiting_head; t; t = t->next)
                pool->waiting_tail = t;
        }
        pool->waiting--;
        return;
    }
}

/* Waits, in line, for release to hand this fiber a session; NULL after acquire_timeout_ms. */
static struct session *wait_in_line(struct pool *pool)
{
    struct pool_waiter w = { .fiber = sb_fiber_current() };
    if (pool->waiting_tail)
        pool->waiting_tail->next = &w;
    else
        pool->waiting_head = &w;
    pool->waiting_tail = &w;
    pool->waiting++;
    sb_wait_suspend(sb_now_ms() + acquire_timeout_ms);
    if (!w.handed)
        forget_waiter(pool, &w);
    return w.handed;
}

static struct session *own_thread_session(void)
{
    if (!own_session)
        own_session = calloc(1, sizeof *own_session);
    return own_session;
}

static enum sb_db_status unavailable(struct sb_db_result *out, bool busy)
{
    out->status = SB_DB_UNAVAILABLE;
    out->busy = busy;
    out->message = busy ? "too many requests are waiting for the database" : "the database is not available";
    return SB_DB_UNAVAILABLE;
}

static void release(struct session *s);

/* A session for one request or transaction, open; NULL (out filled) when none can be had. */
static struct session *acquire(struct sb_db_result *out)
{
    struct sb_loop *loop = sb_loop_current();
    struct session *s;
    if (!loop || !sb_fiber_current()) {
        s = own_thread_session();
    } else {
        struct pool *pool = loop_pool(loop);
        s = free_session(pool);
        if (!s) {
            if (pool->waiting >= WAITERS_PER_SESSION * pool->size || !(s = wait_in_line(pool))) {
                unavailable(out, true);
                return NULL;
            }
        }
        s->in_use = true;
    }
    if (open_session(s))
        return s;
    release(s);
    unavailable(out, false);
    return NULL;
}

/* Gives the session back: to the first fiber waiting for one, else to the pool. */
static void release(struct session *s)
{
    if (!s->pool)
        return;
    if (broken(s))
        close_session(s);
    struct pool *pool = s->pool;
    struct pool_waiter *w = pool->waiting_head;
    if (!w) {
        s->in_use = false;
        return;
    }
    pool->waiting_head = w->next;
    if (!pool->waiting_head)
        pool->waiting_tail = NULL;
    pool->waiting--;
    w->handed = s;
    sb_loop_wake(w->fiber);
}

/* ---- results ------------------------------------------------------------------------------------ */

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

/* Reads one command's results up to its terminating NULL; keeps the first error, and the rows
 * when keep_rows. */
static void collect(struct sb_arena *arena, struct session *s, bool keep_rows, struct sb_db_result *out)
{
    PGresult *res;
    while ((res = next_result(s)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_FATAL_ERROR && out->status == SB_DB_OK) {
            fill_error(arena, res, s->pg, out);
        } else if (keep_rows && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && !out->rows) {
            out->rows = res;
            sb_arena_defer(arena, free_result, res);
            continue;
        }
        PQclear(res);
    }
}

/* Reads up to the pipeline's next Sync; an error there (a deferred constraint at commit) is
 * kept if none came before. False when the connection broke first. */
static bool collect_sync(struct sb_arena *arena, struct session *s, struct sb_db_result *out)
{
    for (;;) {
        PGresult *res = next_result(s);
        if (!res) {
            if (broken(s))
                return false;
            continue;   /* the end of an aborted command's results */
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_FATAL_ERROR && out && out->status == SB_DB_OK)
            fill_error(arena, res, s->pg, out);
        PQclear(res);
        if (st == PGRES_PIPELINE_SYNC)
            return true;
    }
}

/* ---- the prepared-statement cache ---------------------------------------------------------------- */

static unsigned long hash_text(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

/* The entry for sql, else a free one, else the least recently used (evicted: its name is
 * remembered for a DEALLOCATE after the request). NULL for a statement too long to keep. */
static struct prepared *prepared_entry(struct session *s, const char *sql, bool *is_new)
{
    *is_new = false;
    if (strlen(sql) > PREPARED_SQL_MAX)
        return NULL;
    unsigned long hash = hash_text(sql);
    struct prepared *free_entry = NULL, *oldest = NULL;
    for (int i = 0; i < PREPARED_MAX; i++) {
        struct prepared *p = &s->prepared[i];
        if (!p->sql) {
            if (!free_entry)
                free_entry = p;
        } else if (p->hash == hash && strcmp(p->sql, sql) == 0) {
            p->last_used = ++s->clock;
            return p;
        } else if (!oldest || p->last_used < oldest->last_used) {
            oldest = p;
        }
    }
    struct prepared *p = free_entry;
    if (!p) {
        if (s->evicted)
            return NULL;   /* one eviction per request */
        p = oldest;
        s->evicted = strdup(p->name);
        free(p->sql);
    }
    p->sql = strdup(sql);
    p->hash = hash;
    p->last_used = ++s->clock;
    snprintf(p->name, sizeof p->name, "sb_%lu", s->names++);
    *is_new = true;
    return p;
}

/* Queues the statement: prepared (once per session) when it can be kept, else unnamed.
 * *prepare is the new entry whose Parse is queued (its result comes first), or NULL. */
static bool send_statement(struct session *s, const char *sql, int nparams, const char *const *params,
                           struct prepared **prepare)
{
    bool is_new;
    struct prepared *p = prepared_entry(s, sql, &is_new);
    *prepare = is_new ? p : NULL;
    if (!p)
        return PQsendQueryParams(s->pg, sql, nparams, NULL, params, NULL, NULL, 0) == 1;
    if (is_new && PQsendPrepare(s->pg, p->name, sql, nparams, NULL) != 1)
        return false;
    return PQsendQueryPrepared(s->pg, p->name, nparams, params, NULL, NULL, 0) == 1;
}

/* Reads a queued Parse's result; a statement that does not parse is not kept. */
static void collect_prepare(struct sb_arena *arena, struct session *s, struct prepared *p, struct sb_db_result *out)
{
    if (!p)
        return;
    collect(arena, s, false, out);
    if (out->status != SB_DB_OK) {
        free(p->sql);
        p->sql = NULL;
    }
}

/* ---- the request transaction --------------------------------------------------------------------- */

static bool role_is_allowed(const char *role)
{
    return role && (strcmp(role, "anon") == 0 || strcmp(role, "authenticated") == 0 ||
                    strcmp(role, "service_role") == 0);
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

/* Queues the DEALLOCATE of a statement the previous request evicted from the cache, if any. */
static bool send_pending_deallocate(struct session *s, bool *sent)
{
    *sent = s->evicted != NULL;
    if (!*sent)
        return true;
    char sql[48];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", s->evicted);
    free((char *)s->evicted);
    s->evicted = NULL;
    return PQsendQueryParams(s->pg, sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
}

/* The request's pipeline, one implicit transaction sent in one write: a pending DEALLOCATE,
 * RESET ALL (whatever an earlier request set for the session is gone before this one's
 * statement runs), the set-up, the statement, Sync. prepares[] are the new cache entries
 * whose Parse was queued (reset, set-up, statement). */
static bool send_request(struct session *s, const struct sb_db_call *call, struct prepared *prepares[3],
                         bool *deallocating)
{
    const char *setup[4];
    fill_setup(call, setup);
    return PQenterPipelineMode(s->pg) == 1 && send_pending_deallocate(s, deallocating) &&
           send_statement(s, reset_sql, 0, NULL, &prepares[0]) &&
           send_statement(s, setup_sql, 4, setup, &prepares[1]) &&
           send_statement(s, call->sql, call->nparams, call->params, &prepares[2]) &&
           PQpipelineSync(s->pg) == 1 && flush_all(s);
}

/* Reads the request's results in the order they were queued. False when the connection broke. */
static bool read_request(struct sb_arena *arena, struct session *s, struct prepared *prepares[3], bool deallocating,
                         struct sb_db_result *out)
{
    if (deallocating)
        collect(arena, s, false, out);
    collect_prepare(arena, s, prepares[0], out);
    collect(arena, s, false, out);                 /* RESET ALL */
    collect_prepare(arena, s, prepares[1], out);
    collect(arena, s, false, out);                 /* set-up */
    collect_prepare(arena, s, prepares[2], out);
    collect(arena, s, true, out);                  /* the statement */
    return collect_sync(arena, s, out) && PQexitPipelineMode(s->pg) == 1;
}

enum sb_db_status sb_db_run(struct sb_arena *arena, const struct sb_db_call *call, struct sb_db_result *out)
{
    if (!accept_identity(call, out))
        return SB_DB_ERROR;
    struct session *s = acquire(out);
    if (!s)
        return out->status;
    struct prepared *prepares[3] = { NULL };
    bool deallocating;
    bool ok = send_request(s, call, prepares, &deallocating) && read_request(arena, s, prepares, deallocating, out);
    if (!ok || broken(s)) {
        close_session(s);
        release(s);
        return unavailable(out, false);
    }
    release(s);
    if (out->status != SB_DB_OK)
        out->rows = NULL;
    return out->status;
}

/* ---- explicit transactions ---------------------------------------------------------------------- */

static struct session **held_session(void)
{
    struct sb_fiber *fiber = sb_fiber_current();
    if (fiber && sb_loop_current())
        return (struct session **)sb_fiber_slot(fiber, SB_FIBER_SLOT_DB);
    return &thread_held;
}

/* One statement, not pipelined, on a held session; waits without blocking the loop. */
/* After a statement was queued on a held session (sent false: it could not be): sends it and
 * reads its results, keeping the rows when keep_rows; the first error fills out. */
static enum sb_db_status finish_exec(struct sb_arena *arena, struct session *s, bool sent, bool keep_rows,
                                     struct sb_db_result *out)
{
    if (!sent || !flush_all(s))
        return unavailable(out, false);
    collect(arena, s, keep_rows, out);
    if (broken(s))
        return unavailable(out, false);
    if (out->status != SB_DB_OK)
        out->rows = NULL;
    return out->status;
}

/* One statement, not pipelined, on a held session; waits without blocking the loop. */
static enum sb_db_status exec_plain(struct sb_arena *arena, struct session *s, const char *sql, int nparams,
                                    const char *const *params, struct sb_db_result *out)
{
    memset(out, 0, sizeof *out);
    bool sent = PQsendQueryParams(s->pg, sql, nparams, NULL, params, NULL, NULL, 0) == 1;
    return finish_exec(arena, s, sent, true, out);
}

/* Plain SQL text (several statements allowed) on a held session; its results are dropped. */
static enum sb_db_status exec_text(struct sb_arena *arena, struct session *s, const char *sql, struct sb_db_result *out)
{
    memset(out, 0, sizeof *out);
    return finish_exec(arena, s, PQsendQuery(s->pg, sql) == 1, false, out);
}

/* Ends the held session's transaction (its last statement ran, or rollback is wanted) and
 * gives the session back. */
static void finish_held(struct session *s, bool roll_back)
{
    *held_session() = NULL;
    if (roll_back && !broken(s)) {
        PGresult *res;
        if (PQsendQuery(s->pg, "ROLLBACK") == 1 && flush_all(s))
            while ((res = next_result(s)) != NULL)
                PQclear(res);
    }
    release(s);
}

enum sb_db_status sb_db_begin(struct sb_arena *arena, const struct sb_db_call *identity, struct sb_db_result *out)
{
    if (!accept_identity(identity, out))
        return SB_DB_ERROR;
    if (*held_session())
        sb_db_rollback();   /* a transaction left open by the same caller ends here */
    struct session *s = acquire(out);
    if (!s)
        return out->status;
    *held_session() = s;
    const char *setup[4];
    fill_setup(identity, setup);
    if (exec_text(arena, s, "BEGIN; RESET ALL", out) != SB_DB_OK ||   /* as sb_db_run: a clean session */
        exec_plain(arena, s, setup_sql, 4, setup, out) != SB_DB_OK) {
        enum sb_db_status status = out->status;
        finish_held(s, true);
        return status;
    }
    return SB_DB_OK;
}

enum sb_db_status sb_db_query(struct sb_arena *arena, const char *sql, int nparams, const char *const *params,
                              struct sb_db_result *out)
{
    struct session *s = *held_session();
    if (!s) {
        memset(out, 0, sizeof *out);
        out->status = SB_DB_ERROR;
        out->sqlstate = "25P01";
        out->message = "no transaction is open (sb_db_begin first)";
        return SB_DB_ERROR;
    }
    return exec_plain(arena, s, sql, nparams, params, out);
}

enum sb_db_status sb_db_commit(struct sb_arena *arena, struct sb_db_result *out)
{
    struct session *s = *held_session();
    enum sb_db_status status = sb_db_query(arena, "COMMIT", 0, NULL, out);
    if (s)
        finish_held(s, false);
    return status;
}

void sb_db_rollback(void)
{
    struct session *s = *held_session();
    if (s)
        finish_held(s, true);
}

void sb_db_close_loop_sessions(void)
{
    struct pool *pool = thread_pool;
    if (!pool)
        return;
    for (int i = 0; i < pool->size; i++)
        close_session(&pool->sessions[i]);
    free(pool->sessions);
    free(pool);
    thread_pool = NULL;
}

/* Drops the notifications libpq has read; true if there were any. */
static bool drop_notifications(PGconn *pg)
{
    bool any = false;
    PGnotify *note;
    while ((note = PQnotifies(pg)) != NULL) {
        PQfreemem(note);
        any = true;
    }
    return any;
}

bool sb_db_wait_for_notification(PGconn *pg, int timeout_ms)
{
    if (drop_notifications(pg) || timeout_ms == 0)
        return PQstatus(pg) == CONNECTION_OK;
    if (sb_wait_fd(PQsocket(pg), POLLIN, sb_now_ms() + timeout_ms) == SB_WAIT_READY && PQconsumeInput(pg) != 1)
        return false;
    drop_notifications(pg);
    return PQstatus(pg) == CONNECTION_OK;
}

void sb_db_close_connection(void)
{
    if (!own_session)
        return;
    close_session(own_session);
    free(own_session);
    own_session = NULL;
}

PGconn *sb_db_connection(void)
{
    struct session *s = own_thread_session();
    return open_session(s) ? s->pg : NULL;
}
