/*
 * drain: the thread and one pass over the queue.
 */
#include "storage/drain.h"

#include "db/conn.h"
#include "storage/service.h"
#include "util/arena.h"
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define BATCH 200
#define SWEEP_INTERVAL_MS 30000
#define RETRY_PAUSE_S 2

static const char claim_sql[] =
    "SELECT d.id, d.version, EXISTS (SELECT 1 FROM storage.objects o WHERE o.version = d.version)"
    " FROM storage.file_deletions d WHERE d.not_before <= now() ORDER BY d.id LIMIT 200 FOR UPDATE SKIP LOCKED";

/* Removes one entry's file unless a row names it again; false if the file stays on error. */
static bool remove_unnamed(struct sb_storage_backend *backend, PGresult *rows, int i, int *removed)
{
    if (PQgetvalue(rows, i, 2)[0] == 't')
        return true; /* a row names this file: keep the file, forget the entry */
    if (backend->remove(backend, PQgetvalue(rows, i, 1)) != 0) {
        sb_log(SB_LOG_WARN, "stored file cannot be removed", "version", PQgetvalue(rows, i, 1), NULL);
        return false;
    }
    (*removed)++;
    return true;
}

/* Handles one batch; returns how many entries it claimed, or -1. */
static int drain_batch(struct sb_storage_backend *backend, struct sb_arena *arena, int *removed)
{
    struct sb_db_call who;
    sb_storage_as_service(&who);
    struct sb_db_result r;
    if (sb_db_begin(arena, &who, &r) != SB_DB_OK || sb_db_query(arena, claim_sql, 0, NULL, &r) != SB_DB_OK) {
        sb_db_rollback();
        return -1;
    }
    PGresult *rows = r.rows;
    int n = PQntuples(rows);
    for (int i = 0; i < n; i++) {
        if (!remove_unnamed(backend, rows, i, removed))
            continue; /* the entry stays for the next pass */
        const char *id = PQgetvalue(rows, i, 0);
        if (sb_db_query(arena, "DELETE FROM storage.file_deletions WHERE id = $1", 1, (const char *const[]){ id },
                        &r) != SB_DB_OK) {
            sb_db_rollback();
            return -1;
        }
    }
    if (sb_db_commit(arena, &r) != SB_DB_OK)
        return -1;
    return n;
}

int sb_storage_drain_once(struct sb_storage_backend *backend)
{
    int removed = 0;
    for (;;) {
        struct sb_arena *arena = sb_arena_new();
        int n = drain_batch(backend, arena, &removed);
        sb_arena_free(arena);
        if (n < 0)
            return -1;
        if (n < BATCH)
            return removed;
    }
}

/* LISTENs on the calling thread's connection; NULL when the database is unreachable. */
static PGconn *listening_connection(PGconn *previous)
{
    PGconn *pg = sb_db_connection();
    if (!pg || pg == previous)
        return pg;
    PGresult *res = PQexec(pg, "LISTEN storage_file_deletions");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? pg : NULL;
}

static void *drain_loop(void *arg)
{
    struct sb_storage_backend *backend = arg;
    PGconn *pg = NULL;
    for (;;) {
        pg = listening_connection(pg);
        if (!pg) {
            struct timespec pause = { RETRY_PAUSE_S, 0 };
            nanosleep(&pause, NULL);
            continue;
        }
        if (sb_storage_drain_once(backend) < 0 && !sb_db_is_closing())
            sb_log(SB_LOG_WARN, "file deletion queue could not be drained", NULL);
        sb_db_wait_for_notification(pg, SWEEP_INTERVAL_MS);   /* a broken one is reopened above */
    }
    return NULL;
}

static bool run_as_service(struct sb_arena *arena, const char *sql, const char *version)
{
    struct sb_db_call who;
    sb_storage_as_service(&who);
    who.sql = sql;
    who.nparams = 1;
    who.params = (const char *const[]){ version };
    struct sb_db_result r;
    return sb_db_run(arena, &who, &r) == SB_DB_OK;
}

bool sb_storage_file_pending(struct sb_arena *arena, const char *version)
{
    return run_as_service(arena,
        "INSERT INTO storage.file_deletions (version, not_before) VALUES ($1, now() + interval '10 minutes')", version);
}

void sb_storage_file_settled(struct sb_arena *arena, const char *version)
{
    if (!run_as_service(arena, "DELETE FROM storage.file_deletions WHERE version = $1 AND not_before > now()", version))
        sb_log(SB_LOG_WARN, "pending file entry left for the drainer", "version", version, NULL);
}

void sb_storage_drain_start(struct sb_storage_backend *backend)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, drain_loop, backend) == 0)
        pthread_detach(thread);
    else
        sb_log(SB_LOG_ERROR, "file deletion thread cannot start", NULL);
}
