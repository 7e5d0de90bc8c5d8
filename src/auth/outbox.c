/*
 * outbox: the sender thread and one pass over the due mail.
 */
#include "auth/outbox.h"

#include "auth/mail.h"
#include "auth/tokens.h"
#include "db/conn.h"
#include "db/exec.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/thread.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_ATTEMPTS 5
#define FIRST_RETRY_S 5            /* doubled after each failure: 5, 10, 20, 40 s */
#define LEASE_S 120                /* longer than a send can take (mail.h: 30 s) */
#define SWEEP_INTERVAL_MS 30000
#define RECONNECT_PAUSE_S 2

/* How its failed statements are named in the log. */
static const char log_name[] = "mail outbox";

static const char claim_sql[] =
    "UPDATE auth.mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1::int)"
    " WHERE id = (SELECT id FROM auth.mail_outbox WHERE failed_at IS NULL AND next_attempt_at <= now()"
    "             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING id, recipient, subject, body, attempts";

/* A connection of the sender's own, as service_role, listening; NULL when the database is
 * unreachable. */
static PGconn *sender_connection(void)
{
    const char *conninfo = sb_db_conninfo();
    PGconn *pg = conninfo ? sb_db_open(conninfo, "studybase mail") : NULL;
    if (!pg)
        return NULL;
    if (!sb_db_exec_ok(pg, log_name, "SET ROLE service_role", 0, NULL) ||
        !sb_db_exec_ok(pg, log_name, "LISTEN auth_mail_outbox", 0, NULL)) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* Records what became of a claimed mail; false when the database did not take it. */
static bool settle(PGconn *pg, const char *id, int attempts, enum sb_mail_outcome outcome, const char *error)
{
    if (outcome == SB_MAIL_SENT)
        return sb_db_exec_ok(pg, log_name, "DELETE FROM auth.mail_outbox WHERE id = $1", 1, (const char *const[]){ id });
    char attempt[16];
    snprintf(attempt, sizeof attempt, "%d", attempts);
    if (outcome == SB_MAIL_RETRY && attempts < MAX_ATTEMPTS) {
        char delay[16];
        snprintf(delay, sizeof delay, "%d", FIRST_RETRY_S << (attempts - 1));
        sb_log(SB_LOG_WARN, "mail not sent, will try again", "outbox_id", id, "attempt", attempt, "error", error, NULL);
        return sb_db_exec_ok(pg, log_name,
                             "UPDATE auth.mail_outbox SET next_attempt_at = now() + make_interval(secs => $2::int),"
                             " last_error = $3 WHERE id = $1",
                             3, (const char *const[]){ id, delay, error });
    }
    sb_log(SB_LOG_ERROR, "mail not sent: given up, the token it carried is void", "outbox_id", id, "attempt", attempt,
           "error", error, NULL);
    return sb_db_exec_ok(pg, log_name, "SELECT auth.sb_mail_failed($1, $2)", 2, (const char *const[]){ id, error });
}

/* Claims one due mail and sends it. 1: one was handled, 0: none is due, -1: database error. */
static int send_one(PGconn *pg, const struct sb_config *config)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", LEASE_S);
    PGresult *claimed = sb_db_exec(pg, log_name, claim_sql, 1, (const char *const[]){ lease });
    if (!claimed)
        return -1;
    if (PQntuples(claimed) == 0) {
        PQclear(claimed);
        return 0;
    }
    struct sb_arena *arena = sb_arena_new();
    const char *error = "the mail cannot be opened (sealed under another JWT secret?)";
    enum sb_mail_outcome outcome = SB_MAIL_REFUSED;
    const char *body = sb_tokens_unseal_mail(arena, config->jwt_secret, PQgetvalue(claimed, 0, 3));
    if (body)
        outcome = sb_mail_send(config, arena, PQgetvalue(claimed, 0, 1), PQgetvalue(claimed, 0, 2), body, &error);
    bool settled = settle(pg, PQgetvalue(claimed, 0, 0), atoi(PQgetvalue(claimed, 0, 4)), outcome, error);
    sb_arena_free(arena);
    PQclear(claimed);
    return settled ? 1 : -1;
}

/* Milliseconds until the next mail to be tried falls due (0 when one is due now), at most
 * the sweep interval. */
static int ms_until_next_due(PGconn *pg)
{
    PGresult *res = sb_db_exec(pg, log_name,
                        "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM auth.mail_outbox"
                        " WHERE failed_at IS NULL",
                        0, NULL);
    int ms = SWEEP_INTERVAL_MS;
    if (res && !PQgetisnull(res, 0, 0)) {
        double s = atof(PQgetvalue(res, 0, 0));
        ms = s <= 0 ? 0 : s * 1000 < SWEEP_INTERVAL_MS ? (int)(s * 1000) + 1 : SWEEP_INTERVAL_MS;
    }
    PQclear(res);
    return ms;
}

static void *sender_main(void *arg)
{
    const struct sb_config *config = arg;
    PGconn *pg = NULL;
    for (;;) {
        if (!pg && !(pg = sender_connection())) {
            struct timespec pause = { RECONNECT_PAUSE_S, 0 };
            nanosleep(&pause, NULL);
            continue;
        }
        int handled;
        while ((handled = send_one(pg, config)) == 1)
            ;
        if (handled < 0 || !sb_db_wait_for_notification(pg, ms_until_next_due(pg))) {
            PQfinish(pg);
            pg = NULL;
        }
    }
    return NULL;
}

static atomic_bool started;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

void sb_auth_outbox_start(const struct sb_config *config)
{
    if (!config->smtp_host || atomic_load(&started))
        return;
    pthread_mutex_lock(&start_lock);
    if (!atomic_load(&started)) {
        pthread_t thread;
        if (sb_thread_start(&thread, sender_main, (void *)config) == 0) {
            pthread_detach(thread);
            atomic_store(&started, true);
        } else {
            sb_log(SB_LOG_ERROR, "mail outbox: the sender thread cannot start", NULL);
        }
    }
    pthread_mutex_unlock(&start_lock);
}
