/*
 * conn: how every service runs SQL — as the request's role, with its JWT claims, in one round
 * trip — over PostgreSQL sessions that never block a worker's event loop.
 *
 * Where the sessions come from:
 *   - In a fiber on a worker's loop (every request), from that loop's pool: at most
 *     SB_DB_POOL_SIZE / SB_THREADS sessions per worker, opened on demand, non-blocking, their
 *     sockets watched by the loop. A request that needs one while all are busy waits (other
 *     requests go on) up to SB_DB_POOL_TIMEOUT_MS, then gets SB_DB_UNAVAILABLE with busy set
 *     (answer 503); so does one that finds too many requests already waiting.
 *   - Anywhere else (a background thread, the command line), the thread's own session, used
 *     blocking.
 * While the database is unreachable calls return SB_DB_UNAVAILABLE (answer 503); connecting
 * gives up after 5 seconds.
 *
 * sb_db_run sends, pipelined, in one implicit transaction and one write: RESET ALL, so that
 * nothing an earlier request set for the session (set_config(..., false) in a function) is
 * seen by this one; a statement that sets the role (one of anon, authenticated, service_role —
 * anything else is refused), request.jwt.claims, request.jwt.claim.sub/.role and the
 * statement timeout; then the caller's statement, prepared once per session and reused (a
 * bounded cache, least recently used evicted, its DEALLOCATE sent with the next request);
 * then Sync. Results and error texts are owned by the arena.
 *
 * For work that needs several statements and a decision between them (storage renames a file
 * before committing), sb_db_begin / sb_db_query / sb_db_commit / sb_db_rollback run an explicit
 * transaction with the same RESET ALL and role set-up, on a session the fiber (or thread) holds from begin
 * to commit or rollback. The server calls sb_db_rollback when a handler returns, so a
 * transaction a request left open ends with it.
 */
#ifndef SB_DB_CONN_H
#define SB_DB_CONN_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "util/arena.h"

enum sb_db_status {
    SB_DB_OK,
    SB_DB_ERROR,        /* PostgreSQL refused the statement: see the error fields */
    SB_DB_UNAVAILABLE,  /* no connection to the database: answer 503 */
};

struct sb_db_result {
    enum sb_db_status status;
    PGresult *rows;                 /* the statement's result when SB_DB_OK; freed with the arena */
    const char *sqlstate, *message, *detail, *hint;
    const char *constraint, *schema, *table, *column;
    bool busy;                      /* SB_DB_UNAVAILABLE because the pool is exhausted, not down */
};

struct sb_db_call {
    const char *role;               /* "anon", "authenticated" or "service_role" */
    const char *claims;             /* JSON object text for request.jwt.claims, or NULL */
    const char *sub;                /* for request.jwt.claim.sub, or NULL */
    const char *sql;                /* one statement with $1..$n */
    int nparams;
    const char *const *params;      /* text values; NULL means SQL NULL */
};

enum sb_db_status sb_db_run(struct sb_arena *arena, const struct sb_db_call *call, struct sb_db_result *out);

enum sb_db_status sb_db_begin(struct sb_arena *arena, const struct sb_db_call *identity, struct sb_db_result *out);
enum sb_db_status sb_db_query(struct sb_arena *arena, const char *sql, int nparams, const char *const *params,
                              struct sb_db_result *out);
enum sb_db_status sb_db_commit(struct sb_arena *arena, struct sb_db_result *out);
/* Rolls back and releases the session an explicit transaction of this fiber (or thread) still
 * holds; nothing when it holds none. */
void sb_db_rollback(void);
/* Closes the calling worker's pooled sessions (a worker calls it as its loop ends; no request
 * may still use them). */
void sb_db_close_loop_sessions(void);

/* Sets the connection string and statement timeout used by every worker (call once at start). */
void sb_db_configure(const char *conninfo, int statement_timeout_ms);
/* Sessions per worker loop, and how long a request waits for one (call once at start). */
void sb_db_configure_pool(int sessions_per_loop, int acquire_timeout_ms);

/* The connection string given to sb_db_configure (for services that open a connection of
 * their own, such as a LISTEN loop), or NULL. */
const char *sb_db_conninfo(void);

/* The calling thread's own session (never a pooled one: call it from a background thread),
 * opened if needed; NULL when the database is unreachable. For services that need libpq
 * directly (e.g. LISTEN); do not leave a transaction open. */
PGconn *sb_db_connection(void);

/* Closes the calling thread's own session (sb_db_connection) and frees it: a background thread
 * calls it as it ends. */
void sb_db_close_connection(void);

/* Opens a connection of a service's own (a LISTEN loop) the way worker connections are
 * opened: connecting gives up after 5 seconds, and server notices (RAISE NOTICE, the FATAL of
 * a backend the cluster stops) go to the log as JSON lines, not libpq's raw stderr text.
 * NULL, without a warning (the caller retries), when the database is unreachable. The
 * caller owns the connection (PQfinish). */
PGconn *sb_db_open(const char *conninfo, const char *application_name);

/* For a LISTENing connection of a background thread: returns at once if notifications were
 * already read, else waits up to timeout_ms (0: not at all) for one; drops what arrived (the
 * caller only needs to know there is work). False when the connection broke. */
bool sb_db_wait_for_notification(PGconn *pg, int timeout_ms);

/* Says the server is stopping and the database may go away on purpose (studybase dev stops
 * its cluster next): from now on losing it is not reported as a warning. */
void sb_db_closing(void);
int sb_db_is_closing(void);

#endif
