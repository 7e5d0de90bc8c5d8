/*
 * extractor: the background worker that reads the materials' text (issue #13).
 *
 * Migration 008 marks a material's material_extractions row 'pending' when the material is
 * inserted, when its file path or type changes, and when its stored file is replaced, and
 * notifies `ai_material_extractions`. One thread with its own database session (never a
 * request's) LISTENs on that channel and, when notified and every 30 seconds:
 *   1. claims the oldest pending row (FOR UPDATE SKIP LOCKED; claimed_at is a lease of 10
 *      minutes, after which another server may take a row whose worker died) and commits;
 *   2. reads the file from the storage backend (bucket `materials`, the object named by
 *      materials.file_path), extracts its text (extract.h: a PDF in a child process,
 *      pdf_child.h) and cuts it into chunks (chunk.h);
 *   3. in one transaction as service_role: if the row is still the one it claimed (not
 *      re-requested or deleted meanwhile), replaces the material's chunks (inserted without an
 *      embedding: their insert trigger queues them for the embedding worker) and sets the row
 *      'done' with pages and chunks, or 'failed' with the reason (old chunks removed).
 * A database error, or a PDF reader that could not be started, leaves the row pending under
 * its lease, to be tried again. Each claim counts an attempt (migration 009): a row claimed 3
 * times without a result is set 'failed' instead of being claimed again. A PDF that crashes,
 * hangs or floods its reader is 'failed' at once (pdf_child.h): the same bytes would do the
 * same again.
 */
#ifndef SB_AI_EXTRACTOR_H
#define SB_AI_EXTRACTOR_H

#include <stdbool.h>

#include "storage/backend.h"
#include "util/config.h"

/* Starts the thread (once per process). */
void sb_ai_extractor_start(const struct sb_config *config);

/* Stops the thread and joins it: its waits end at once, a PDF reader at work is killed and its
 * claim given back (the row is read again on the next start, the attempt not counted). */
void sb_ai_extractor_stop(void);

/* Extracts every pending material on the calling thread's session (with the thread's PDF
 * reader); returns how many it settled, or -1 when the database failed, a reader could not run
 * or the thread is stopping. */
int sb_ai_extract_pending(struct sb_storage_backend *backend);

#endif
