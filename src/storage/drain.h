/*
 * drain: removes the files queued in storage.file_deletions (by migration 006's triggers)
 * once the transactions that queued them have committed.
 *
 * One background thread with its own database connection LISTENs on
 * `storage_file_deletions` and drains the queue when notified, and every 30 seconds in case
 * a notification was missed (or the queue filled while no server ran). A file is removed only
 * if no storage.objects row names its version, and its queue entry is deleted in the same
 * transaction, after the file is gone: a crash in between leaves the entry to be retried.
 */
#ifndef SB_STORAGE_DRAIN_H
#define SB_STORAGE_DRAIN_H

#include <stdbool.h>

#include "storage/backend.h"
#include "util/arena.h"

/* Before a new file is linked in: queues it, due in 10 minutes, so that a server dying before
 * the row that names it commits leaves no orphan. False when the database refuses. */
bool sb_storage_file_pending(struct sb_arena *arena, const char *version);
/* After the row committed: withdraws that entry (if this fails, the drainer finds the row
 * naming the file and drops the entry then). */
void sb_storage_file_settled(struct sb_arena *arena, const char *version);

/* Starts the thread (once per process); it runs until the process exits. */
void sb_storage_drain_start(struct sb_storage_backend *backend);

/* Drains once on the calling thread's connection; returns files removed, or -1 on error. */
int sb_storage_drain_once(struct sb_storage_backend *backend);

#endif
