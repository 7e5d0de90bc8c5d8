/*
 * embed_worker: the thread, one batch of jobs (take, read texts, embed, store or count the
 * failure), and its stop.
 */
#include "ai/embed_worker.h"

#include "ai/embed.h"
#include "ai/redact.h"
#include "db/conn.h"
#include "db/exec.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/thread.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SWEEP_INTERVAL_MS 30000
#define RECONNECT_PAUSE_MS 2000
#define LEASE_MARGIN_S 60

/* A taken job and what became of it. */
struct job {
    const char *target, *row_id, *ticket;
    const char *text;            /* NULL: the row is gone */
    float *vector;               /* NULL until embedded (or for a text with no words) */
};

/* What each target's text is. $1 is a uuid[] of row ids. */
struct target {
    const char *name;
    const char *texts_sql;
    const char *lock_sql;        /* $1 id: locks the row as the UPDATE below would */
    const char *store_sql;       /* $1 id, $2 the vector's text or NULL; no write when it is the same */
};

/* How its failed statements are named in the log. */
static const char log_name[] = "embedding worker";

static const struct target targets[] = {
    { "chat_history",
      "SELECT c.id, coalesce((SELECT string_agg(coalesce(m ->> 'role', '') || ': ' || coalesce(m ->> 'content', ''),"
      " E'\\n' ORDER BY n) FROM unnest(c.history) WITH ORDINALITY AS u(m, n)), '')"
      " FROM public.chat_history c WHERE c.id = ANY($1::uuid[])",
      "SELECT 1 FROM public.chat_history WHERE id = $1 FOR NO KEY UPDATE",
      "UPDATE public.chat_history SET embedding = $2::vector WHERE id = $1 AND embedding IS DISTINCT FROM $2::vector" },
    { "material_chunks",
      "SELECT id, content FROM public.material_chunks WHERE id = ANY($1::uuid[])",
      "SELECT 1 FROM public.material_chunks WHERE id = $1 FOR NO KEY UPDATE",
      "UPDATE public.material_chunks SET embedding = $2::vector WHERE id = $1 AND embedding IS DISTINCT FROM $2::vector" },
};

static const char take_sql[] =
    "WITH due AS (SELECT target, row_id FROM ai.embedding_jobs WHERE run_after <= now()"
    "             ORDER BY run_after LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " UPDATE ai.embedding_jobs j SET run_after = now() + make_interval(secs => $2::int)"
    " FROM due WHERE j.target = due.target AND j.row_id = due.row_id"
    " RETURNING j.target, j.row_id::text, j.ticket::text";

static const char done_sql[] =
    "DELETE FROM ai.embedding_jobs WHERE target = $1 AND row_id = $2 AND ticket = $3";

static const char failed_sql[] =
    "UPDATE ai.embedding_jobs SET attempts = attempts + 1, last_error = $4,"
    " run_after = now() + make_interval(secs => least(3600, 2 * power(2, least(attempts, 11))))"
    " WHERE target = $1 AND row_id = $2 AND ticket = $3";

static pthread_t worker;
static bool started;
static volatile bool stopping;
static int wake_fd = -1;

/* ---- statements --------------------------------------------------------------------------------- */

static const struct target *target_named(const char *name)
{
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(targets[i].name, name) == 0)
            return &targets[i];
    return NULL;
}

/* ---- one batch ---------------------------------------------------------------------------------- */

/* Takes up to the batch size of due jobs under a lease; their number, or -1. */
static int take_jobs(PGconn *pg, const struct sb_config *config, struct sb_arena *arena, struct job **jobs)
{
    char limit[16], lease[16];
    snprintf(limit, sizeof limit, "%d", config->embed_batch);
    snprintf(lease, sizeof lease, "%ld",
             (long)config->embed_timeout_ms * (config->embed_retries + 1) / 1000 + 8L * config->embed_retries +
                 LEASE_MARGIN_S);
    PGresult *res = sb_db_exec(pg, log_name, take_sql, 2, (const char *const[]){ limit, lease });
    if (!res)
        return -1;
    int n = PQntuples(res);
    *jobs = sb_arena_alloc(arena, (n ? n : 1) * sizeof **jobs);
    for (int i = 0; i < n; i++)
        (*jobs)[i] = (struct job){ sb_arena_strdup(arena, PQgetvalue(res, i, 0)),
                                   sb_arena_strdup(arena, PQgetvalue(res, i, 1)),
                                   sb_arena_strdup(arena, PQgetvalue(res, i, 2)), NULL, NULL };
    PQclear(res);
    return n;
}

/* Fills the text of each job of one target (left NULL for a row that is gone). False when the
 * texts cannot be read; *why says why. */
static bool read_texts(PGconn *pg, struct sb_arena *arena, const struct target *t, struct job *jobs, int n,
                       const char **why)
{
    struct sb_buf ids;
    sb_buf_init(&ids, arena);
    sb_buf_append_char(&ids, '{');
    for (int i = 0; i < n; i++)
        if (strcmp(jobs[i].target, t->name) == 0)
            sb_buf_append(&ids, sb_arena_printf(arena, "%s%s", ids.len > 1 ? "," : "", jobs[i].row_id));
    if (ids.len == 1)
        return true;
    sb_buf_append_char(&ids, '}');
    PGresult *res = PQexecParams(pg, t->texts_sql, 1, NULL, (const char *const[]){ ids.data }, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        *why = sb_arena_strdup(arena, PQresultErrorMessage(res));
        PQclear(res);
        return false;
    }
    for (int r = 0; r < PQntuples(res); r++)
        for (int i = 0; i < n; i++)
            if (strcmp(jobs[i].target, t->name) == 0 && strcmp(jobs[i].row_id, PQgetvalue(res, r, 0)) == 0)
                jobs[i].text = sb_arena_strdup(arena, sb_embed_text_tail(PQgetvalue(res, r, 1)));
    PQclear(res);
    return true;
}

static bool has_words(const float *v)
{
    for (int d = 0; d < SB_EMBED_DIMENSIONS; d++)
        if (v[d] != 0)
            return true;
    return false;
}

/* Counts a failed attempt on the job. When even that fails (logged), the job comes due again
 * when its lease ends; the other jobs of the batch go on. */
static void count_failure(PGconn *pg, const struct job *job, const char *why)
{
    const char *const params[] = { job->target, job->row_id, job->ticket, why };
    sb_db_exec_ok(pg, log_name, failed_sql, 4, params);
}

/* Whether the connection can go on with the batch after a statement failed: it is open, and
 * no transaction is left behind (one is rolled back). */
static bool connection_usable(PGconn *pg)
{
    if (PQstatus(pg) != CONNECTION_OK)
        return false;
    if (PQtransactionStatus(pg) != PQTRANS_IDLE)
        sb_db_exec_ok(pg, log_name, "ROLLBACK", 0, NULL);
    return PQtransactionStatus(pg) == PQTRANS_IDLE;
}

/* Deletes the job and writes its embedding (NULL for no text or no words), in one transaction,
 * unless the job's ticket changed meanwhile (the text changed: the re-armed job runs again).
 * Locks come in the order every writer of the row takes them, row first, then its job (a
 * client's UPDATE locks the row, then its trigger queues or drops the job), so the worker never
 * deadlocks with them. The job is deleted before the write, so that the write does not count as
 * a client's own embedding, which drops the row's pending job (db/migrations/007). A write
 * the database refuses is counted as the job's failure. False on a database error. */
static bool store(PGconn *pg, struct sb_arena *arena, const struct job *job)
{
    const struct target *t = target_named(job->target);
    const char *vector = job->vector && has_words(job->vector) ? sb_embed_vector_text(arena, job->vector) : NULL;
    const char *const key[] = { job->target, job->row_id, job->ticket };
    if (!sb_db_exec_ok(pg, log_name, "BEGIN", 0, NULL))
        return false;
    if (!sb_db_exec_ok(pg, log_name, t->lock_sql, 1, (const char *const[]){ job->row_id })) {
        sb_db_exec_ok(pg, log_name, "ROLLBACK", 0, NULL);
        return false;
    }
    PGresult *done = sb_db_exec(pg, log_name, done_sql, 3, key);
    bool ran = done != NULL, current = ran && strcmp(PQcmdTuples(done), "1") == 0;
    PQclear(done);
    if (!current)
        return sb_db_exec_ok(pg, log_name, "ROLLBACK", 0, NULL) && ran;
    if (job->text) {
        PGresult *res = PQexecParams(pg, t->store_sql, 2, NULL, (const char *const[]){ job->row_id, vector }, NULL,
                                     NULL, 0);
        const char *refused = PQresultStatus(res) == PGRES_COMMAND_OK ? NULL
                                                                       : sb_arena_strdup(arena, PQresultErrorMessage(res));
        PQclear(res);
        if (refused) {
            if (!sb_db_exec_ok(pg, log_name, "ROLLBACK", 0, NULL))
                return false;
            count_failure(pg, job, refused);
            return true;
        }
    }
    return sb_db_exec_ok(pg, log_name, "COMMIT", 0, NULL);
}

/* What last_error keeps of a failure: the provider's words with anything key-like hidden. */
static const char *error_words(struct sb_arena *arena, const struct sb_error *err)
{
    return err->details ? sb_arena_printf(arena, "%s: %s (%s)", err->code, err->message,
                                          sb_ai_redact(arena, err->details))
                        : sb_arena_printf(arena, "%s: %s", err->code, err->message);
}

/* Embeds the texts of jobs[0..n) (those with a text); false with err filled when it failed. */
static bool embed_jobs(const struct sb_config *config, struct sb_arena *arena, struct job **todo, int n,
                       struct sb_error *err)
{
    const char **texts = sb_arena_alloc(arena, (n ? n : 1) * sizeof *texts);
    float *out = sb_arena_alloc(arena, (size_t)(n ? n : 1) * SB_EMBED_DIMENSIONS * sizeof *out);
    for (int i = 0; i < n; i++)
        texts[i] = todo[i]->text;
    if (!sb_embed_texts_until(arena, config, texts, (size_t)n, out, &stopping, err))
        return false;
    for (int i = 0; i < n; i++)
        todo[i]->vector = out + (size_t)i * SB_EMBED_DIMENSIONS;
    return true;
}

/* Embeds the jobs that have a text; those that fail are counted as failed. */
static void embed_or_count_failures(PGconn *pg, const struct sb_config *config, struct sb_arena *arena,
                                    struct job **todo, int n)
{
    struct sb_error err = { 0 };
    if (n == 0 || embed_jobs(config, arena, todo, n, &err))
        return;
    bool one_by_one = n > 1 && strcmp(err.code, "embed_provider_refused") == 0;
    for (int i = 0; i < n; i++) {
        if (one_by_one && !stopping && embed_jobs(config, arena, todo + i, 1, &err))
            continue;
        sb_log(SB_LOG_WARN, "embedding worker: not embedded, will try again", "target", todo[i]->target, "row_id",
               todo[i]->row_id, "code", err.code, "error", err.message, NULL);
        count_failure(pg, todo[i], error_words(arena, &err));
        todo[i]->text = NULL;   /* nothing to store */
        todo[i]->ticket = NULL;
    }
}

/* Handles one batch: 1 when jobs were taken, 0 when none is due, -1 when the connection
 * cannot go on. A job whose statements fail is left to its lease (it comes due again); the
 * others of the batch are still stored. */
static int handle_batch(PGconn *pg, const struct sb_config *config, struct sb_arena *arena)
{
    struct job *jobs;
    int n = take_jobs(pg, config, arena, &jobs);
    if (n <= 0)
        return n;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        const char *why = NULL;
        if (read_texts(pg, arena, &targets[t], jobs, n, &why))
            continue;
        for (int i = 0; i < n; i++)
            if (strcmp(jobs[i].target, targets[t].name) == 0) {
                count_failure(pg, &jobs[i], why);
                jobs[i].ticket = NULL;
            }
    }
    struct job **todo = sb_arena_alloc(arena, (size_t)n * sizeof *todo);
    int count = 0;
    for (int i = 0; i < n; i++)
        if (jobs[i].ticket && jobs[i].text && jobs[i].text[0])
            todo[count++] = &jobs[i];
    embed_or_count_failures(pg, config, arena, todo, count);
    for (int i = 0; i < n; i++)
        if (jobs[i].ticket && !store(pg, arena, &jobs[i]) && !connection_usable(pg))
            return -1;
    return 1;
}

/* ---- the thread --------------------------------------------------------------------------------- */

/* A connection of the worker's own, as service_role, listening; NULL when the database is
 * unreachable. */
static PGconn *worker_connection(void)
{
    const char *conninfo = sb_db_conninfo();
    PGconn *pg = conninfo ? sb_db_open(conninfo, "studybase embeddings") : NULL;
    if (!pg)
        return NULL;
    if (!sb_db_exec_ok(pg, log_name, "SET ROLE service_role", 0, NULL) || !sb_db_exec_ok(pg, log_name, "LISTEN ai_embedding_jobs", 0, NULL)) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

/* Milliseconds until the next job falls due (0 when one is due now), at most the sweep
 * interval; -1 on a database error. */
static int ms_until_next_due(PGconn *pg)
{
    PGresult *res = sb_db_exec(pg, log_name, "SELECT extract(epoch FROM min(run_after) - now()) FROM ai.embedding_jobs", 0, NULL);
    if (!res)
        return -1;
    int ms = SWEEP_INTERVAL_MS;
    if (!PQgetisnull(res, 0, 0)) {
        double s = atof(PQgetvalue(res, 0, 0));
        ms = s <= 0 ? 0 : s * 1000 < SWEEP_INTERVAL_MS ? (int)(s * 1000) + 1 : SWEEP_INTERVAL_MS;
    }
    PQclear(res);
    return ms;
}

/* Waits up to timeout_ms for a notification on pg (or none, pg NULL) or for the stop; drops
 * the notifications. False when the connection broke. */
static bool wait_for_work(PGconn *pg, int timeout_ms)
{
    bool pending = false;
    PGnotify *note;
    while (pg && (note = PQnotifies(pg)) != NULL) {
        PQfreemem(note);
        pending = true;
    }
    if (pending || timeout_ms == 0)
        return true;
    struct pollfd fds[2] = { { wake_fd, POLLIN, 0 }, { pg ? PQsocket(pg) : -1, POLLIN, 0 } };
    if (poll(fds, 2, timeout_ms) > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && PQconsumeInput(pg) != 1)
        return false;
    while (pg && (note = PQnotifies(pg)) != NULL)
        PQfreemem(note);
    return !pg || PQstatus(pg) == CONNECTION_OK;
}

static void *worker_main(void *arg)
{
    const struct sb_config *config = arg;
    PGconn *pg = NULL;
    while (!stopping) {
        if (!pg && !(pg = worker_connection())) {
            wait_for_work(NULL, RECONNECT_PAUSE_MS);
            continue;
        }
        int handled;
        do {
            struct sb_arena *arena = sb_arena_new();
            handled = handle_batch(pg, config, arena);
            sb_arena_free(arena);
        } while (handled > 0 && !stopping);
        int wait_ms = handled < 0 ? -1 : ms_until_next_due(pg);
        if (wait_ms < 0) {           /* the queue cannot be used (not migrated yet?): pause */
            PQfinish(pg);
            pg = NULL;
            wait_for_work(NULL, RECONNECT_PAUSE_MS);
        } else if (!wait_for_work(pg, wait_ms)) {
            PQfinish(pg);
            pg = NULL;
        }
    }
    if (pg)
        PQfinish(pg);
    return NULL;
}

void sb_ai_embed_worker_start(const struct sb_config *config)
{
    if (started)
        return;
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0 || sb_thread_start(&worker, worker_main, (void *)config) != 0) {
        sb_log(SB_LOG_ERROR, "embedding worker: the thread cannot start", NULL);
        return;
    }
    started = true;
}

void sb_ai_embed_worker_stop(void)
{
    if (!started)
        return;
    stopping = true;
    sb_thread_wake_and_join(worker, &wake_fd);
    started = false;
}
