/*
 * extractor: the thread, one claim, one file read, one settling transaction (extractor.h).
 */
#include "ai/extractor.h"

#include "ai/chunk.h"
#include "ai/extract.h"
#include "ai/pdf_child.h"
#include "base/call.h"
#include "db/conn.h"
#include "storage/service.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/thread.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_INTERVAL_MS 30000
#define RETRY_PAUSE_MS 2000
#define MAX_ATTEMPTS "3"
#define MAX_FILE_BYTES (64LL * 1024 * 1024)   /* above the bucket's 50 MB: a guard, not a rule */

/* The oldest pending material nobody holds (or whose holder's lease ran out), claimed. */
static const char claim_sql[] =
    "UPDATE public.material_extractions AS e SET claimed_at = clock_timestamp(),"
    "   attempts = e.attempts + 1"
    " FROM public.materials AS m"
    " WHERE e.material_id = (SELECT x.material_id FROM public.material_extractions AS x"
    "                        WHERE x.status = 'pending' AND x.attempts < " MAX_ATTEMPTS
    "                          AND (x.claimed_at IS NULL OR x.claimed_at < now() - interval '10 minutes')"
    "                        ORDER BY x.updated_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
    "   AND m.id = e.material_id"
    " RETURNING e.material_id, e.claimed_at, m.file_type,"
    "   (SELECT o.version FROM storage.objects AS o WHERE o.bucket_id = 'materials' AND o.name = m.file_path)";

/* Pending rows claimed MAX_ATTEMPTS times whose last lease ran out without a result (the server
 * died reading the file, the database refused the result, the reader could not start): failed,
 * their old chunks gone (migration 009). */
static const char give_up_sql[] =
    "WITH given_up AS ("
    "  UPDATE public.material_extractions SET status = 'failed',"
    "    reason = 'The file could not be read after " MAX_ATTEMPTS " attempts; upload it again to try once more',"
    "    pages = NULL, chunks = NULL, claimed_at = NULL, updated_at = now()"
    "  WHERE status = 'pending' AND attempts >= " MAX_ATTEMPTS
    "    AND (claimed_at IS NULL OR claimed_at < now() - interval '10 minutes')"
    "  RETURNING material_id)"
    " DELETE FROM public.material_chunks WHERE material_id IN (SELECT material_id FROM given_up)";

/* The server is stopping mid-file: the claim is given back and its attempt not counted. */
static const char release_sql[] =
    "UPDATE public.material_extractions SET claimed_at = NULL, attempts = greatest(attempts - 1, 0)"
    " WHERE material_id = $1 AND status = 'pending' AND claimed_at = $2::timestamptz";

/* Locks the material against deletion first (a delete cascading to the extraction row then
 * waits for us instead of deadlocking with our chunk inserts), then takes the row if it is
 * still ours. */
static const char keep_material_sql[] = "SELECT 1 FROM public.materials WHERE id = $1 FOR KEY SHARE";
static const char settle_sql[] =
    "UPDATE public.material_extractions SET status = $3, reason = $4, pages = $5::int, chunks = $6::int,"
    " updated_at = now(), claimed_at = NULL"
    " WHERE material_id = $1 AND status = 'pending' AND claimed_at = $2::timestamptz";
static const char drop_chunks_sql[] = "DELETE FROM public.material_chunks WHERE material_id = $1";
static const char insert_chunks_sql[] =
    "INSERT INTO public.material_chunks (material_id, course_id, page, \"position\", content)"
    " SELECT m.id, m.course_id, nullif(x.page, 0), x.\"position\", x.content"
    " FROM public.materials AS m, jsonb_to_recordset($2::jsonb) AS x (page int, \"position\" int, content text)"
    " WHERE m.id = $1";

struct claim {
    const char *material_id, *claimed_at, *file_type, *version;
};

/* The thread, and how it is stopped: wake_fd is written once; it wakes the thread's waits and,
 * as the PDF reader's cancel descriptor, kills a reader at work. */
static pthread_t thread;
static bool started;
static volatile bool stopping;
static int wake_fd = -1;
static struct sb_pdf_reader reader;

/* What to write for one material. */
struct outcome {
    const char *status;       /* 'done' or 'failed'; NULL: nothing (the reader could not run) */
    const char *reason;
    const char *pages;        /* text or NULL */
    struct sb_chunk *chunks;
    size_t nchunks;
};

/* ---- reading the file ------------------------------------------------------------------------- */

/* The stored file's bytes, or NULL with *why set. */
static char *read_stored_file(struct sb_arena *arena, struct sb_storage_backend *backend, const char *version,
                              size_t *len, const char **why)
{
    if (!version) {
        *why = "The material's file was not found in storage; upload it again";
        return NULL;
    }
    uint64_t size = 0;
    int fd = backend->open_read(backend, version, &size);
    if (fd < 0) {
        *why = "The material's stored file could not be opened";
        return NULL;
    }
    if (size > (uint64_t)MAX_FILE_BYTES) {
        close(fd);
        *why = "The file is larger than 64 MB";
        return NULL;
    }
    char *data = sb_arena_alloc(arena, (size_t)size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, data + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        *why = "The material's stored file could not be read";
        return NULL;
    }
    *len = got;
    return data;
}

/* ---- deciding ---------------------------------------------------------------------------------- */

static void decide(struct sb_arena *arena, struct sb_storage_backend *backend, const struct claim *c,
                   struct outcome *out)
{
    memset(out, 0, sizeof *out);
    out->status = "failed";
    size_t len = 0;
    const char *why = NULL;
    const char *data = read_stored_file(arena, backend, c->version, &len, &why);
    if (!data) {
        out->reason = why;
        return;
    }
    struct sb_extracted text;
    sb_extract_text(arena, c->file_type, data, len, &reader, &text);
    if (text.status == SB_EXTRACT_UNAVAILABLE) {
        out->status = NULL;
        out->reason = text.reason;
        return;
    }
    if (text.status != SB_EXTRACT_DONE) {
        /* not extractable is decided by the migration's trigger; here it can only mean the type
         * changed after the claim, which re-requested the row: settling will find it gone */
        out->reason = text.reason;
        return;
    }
    out->status = "done";
    out->reason = text.reason;
    out->pages = text.document_pages > 0 ? sb_arena_printf(arena, "%d", text.document_pages) : NULL;
    out->nchunks = sb_chunk_pages(arena, text.pages, text.npages, &out->chunks);
}

/* ---- writing ------------------------------------------------------------------------------------ */

static const char *chunks_as_json(struct sb_arena *arena, const struct sb_chunk *chunks, size_t n)
{
    struct sb_buf b;
    sb_buf_init(&b, arena);
    sb_buf_append_char(&b, '[');
    for (size_t i = 0; i < n; i++) {
        sb_buf_printf(&b, "%s{\"page\":%d,\"position\":%d,\"content\":", i ? "," : "", chunks[i].page, chunks[i].position);
        sb_buf_append_json_string(&b, chunks[i].content);
        sb_buf_append_char(&b, '}');
    }
    sb_buf_append_char(&b, ']');
    return b.data;
}

static bool query(struct sb_arena *arena, const char *sql, int n, const char *const *params, struct sb_db_result *r)
{
    if (sb_db_query(arena, sql, n, params, r) == SB_DB_OK)
        return true;
    sb_log(SB_LOG_WARN, "material extraction not saved", "error", r->message ? r->message : "database unavailable",
           NULL);
    return false;
}

/* Writes the outcome if the row is still the claimed one. Returns 1 written, 0 the row was
 * re-requested or deleted meanwhile (nothing written), -1 database error. */
static int settle(struct sb_arena *arena, const struct claim *c, const struct outcome *o)
{
    struct sb_db_result r;
    if (sb_db_begin(arena, sb_call_service_role(), &r) != SB_DB_OK)
        return -1;
    const char *id[] = { c->material_id };
    if (!query(arena, keep_material_sql, 1, id, &r))
        goto failed;
    const char *count = strcmp(o->status, "done") == 0 ? sb_arena_printf(arena, "%zu", o->nchunks) : NULL;
    const char *settle_params[] = { c->material_id, c->claimed_at, o->status, o->reason, o->pages, count };
    if (!query(arena, settle_sql, 6, settle_params, &r))
        goto failed;
    if (strcmp(PQcmdTuples(r.rows), "1") != 0) {
        sb_db_rollback();
        return 0;
    }
    if (!query(arena, drop_chunks_sql, 1, id, &r))
        goto failed;
    if (o->nchunks > 0) {
        const char *insert_params[] = { c->material_id, chunks_as_json(arena, o->chunks, o->nchunks) };
        if (!query(arena, insert_chunks_sql, 2, insert_params, &r))
            goto failed;
    }
    return sb_db_commit(arena, &r) == SB_DB_OK ? 1 : -1;
failed:
    sb_db_rollback();
    return -1;
}

/* Settles, and if the database refused the text itself, settles as failed so that the row
 * does not come back every lease. */
static int settle_or_give_up(struct sb_arena *arena, const struct claim *c, struct outcome *o)
{
    int written = settle(arena, c, o);
    if (written >= 0 || strcmp(o->status, "done") != 0 || sb_db_is_closing())
        return written;
    struct outcome failed = { "failed", "The extracted text could not be stored", NULL, NULL, 0 };
    written = settle(arena, c, &failed);
    if (written == 1)
        *o = failed;
    return written;
}

/* ---- one material, every material --------------------------------------------------------------- */

static const char *value(PGresult *rows, int col)
{
    return PQgetisnull(rows, 0, col) ? NULL : PQgetvalue(rows, 0, col);
}

/* Claims one pending material: 1 claimed, 0 none pending, -1 database error. */
static int claim_one(struct sb_arena *arena, struct claim *c)
{
    struct sb_db_call who = *sb_call_service_role();
    who.sql = claim_sql;
    struct sb_db_result r;
    if (sb_db_run(arena, &who, &r) != SB_DB_OK)
        return -1;
    if (PQntuples(r.rows) == 0)
        return 0;
    *c = (struct claim){ value(r.rows, 0), value(r.rows, 1), value(r.rows, 2), value(r.rows, 3) };
    return 1;
}

/* Fails the rows whose attempts are used up; false on a database error. */
static bool give_up_exhausted(struct sb_arena *arena)
{
    struct sb_db_call who = *sb_call_service_role();
    who.sql = give_up_sql;
    struct sb_db_result r;
    if (sb_db_run(arena, &who, &r) != SB_DB_OK)
        return false;
    return true;
}

/* The reader could not run: when the server is stopping, the claim is given back (the next
 * start takes the row at once); otherwise the row stays under its lease, tried again after it. */
static void leave_unsettled(struct sb_arena *arena, const struct claim *c, const char *why)
{
    sb_log(SB_LOG_WARN, "material text not extracted now; will try again", "material_id", c->material_id, "reason",
           why, NULL);
    if (!stopping)
        return;
    struct sb_db_call who = *sb_call_service_role();
    who.sql = release_sql;
    const char *params[] = { c->material_id, c->claimed_at };
    who.params = params;
    who.nparams = 2;
    struct sb_db_result r;
    sb_db_run(arena, &who, &r);
}

/* Extracts one material: 1 settled (or found re-requested), 0 none pending, -1 error or
 * stopping. */
static int extract_one(struct sb_storage_backend *backend)
{
    struct sb_arena *arena = sb_arena_new();
    struct claim c;
    int claimed = give_up_exhausted(arena) ? claim_one(arena, &c) : -1;
    int result = claimed;
    if (claimed == 1) {
        struct outcome o;
        decide(arena, backend, &c, &o);
        if (!o.status) {
            leave_unsettled(arena, &c, o.reason);
            sb_arena_free(arena);
            return -1;
        }
        int written = settle_or_give_up(arena, &c, &o);
        if (written == 1 && strcmp(o.status, "failed") == 0)
            sb_log(SB_LOG_INFO, "material text not extracted", "material_id", c.material_id, "reason", o.reason, NULL);
        else if (written == 1)
            sb_log(SB_LOG_INFO, "material text extracted", "material_id", c.material_id, "chunks",
                   sb_arena_printf(arena, "%zu", o.nchunks), NULL);
        result = written < 0 ? -1 : 1;
    }
    sb_arena_free(arena);
    return result;
}

int sb_ai_extract_pending(struct sb_storage_backend *backend)
{
    int settled = 0;
    while (!stopping) {
        int r = extract_one(backend);
        if (r < 0)
            return -1;
        if (r == 0)
            return settled;
        settled++;
    }
    return -1;
}

/* ---- the thread ------------------------------------------------------------------------------------ */

/* LISTENs on the calling thread's session; NULL when the database is unreachable. */
static PGconn *listening_connection(PGconn *previous)
{
    PGconn *pg = sb_db_connection();
    if (!pg || pg == previous)
        return pg;
    PGresult *res = PQexec(pg, "LISTEN ai_material_extractions");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? pg : NULL;
}

/* Waits up to timeout_ms for a notification on pg (NULL: none) or for the stop; drops the
 * notifications (a broken session is reopened by the next round). */
static void wait_for_work(PGconn *pg, int timeout_ms)
{
    bool pending = false;
    PGnotify *note;
    while (pg && (note = PQnotifies(pg)) != NULL) {
        PQfreemem(note);
        pending = true;
    }
    if (pending || stopping)
        return;
    struct pollfd fds[2] = { { wake_fd, POLLIN, 0 }, { pg ? PQsocket(pg) : -1, POLLIN, 0 } };
    if (poll(fds, 2, timeout_ms) > 0 && pg && fds[1].revents)
        PQconsumeInput(pg);
    while (pg && (note = PQnotifies(pg)) != NULL)
        PQfreemem(note);
}

static void *extractor_loop(void *arg)
{
    char *storage_dir = arg;
    PGconn *pg = NULL;
    while (!stopping) {
        pg = listening_connection(pg);
        struct sb_storage_backend *backend = pg ? sb_storage_backend_shared(storage_dir) : NULL;
        if (!backend) {
            wait_for_work(NULL, RETRY_PAUSE_MS);
            continue;
        }
        if (sb_ai_extract_pending(backend) < 0 && !sb_db_is_closing() && !stopping)
            sb_log(SB_LOG_WARN, "material extraction stopped on a database error; will try again", NULL);
        wait_for_work(pg, SWEEP_INTERVAL_MS);
    }
    sb_db_close_connection();
    free(storage_dir);
    return NULL;
}

void sb_ai_extractor_start(const struct sb_config *config)
{
    if (started)
        return;
    char *dir = strdup(config->storage_dir);
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sb_pdf_reader_init(&reader, config->pdf_timeout_s, wake_fd);
    if (!dir || wake_fd < 0 || sb_thread_start(&thread, extractor_loop, dir) != 0) {
        sb_log(SB_LOG_ERROR, "material extraction thread cannot start", NULL);
        free(dir);
        if (wake_fd >= 0)
            close(wake_fd);
        wake_fd = -1;
        return;
    }
    started = true;
}

void sb_ai_extractor_stop(void)
{
    if (!started)
        return;
    stopping = true;
    sb_thread_wake_and_join(thread, &wake_fd);
    started = false;
}
