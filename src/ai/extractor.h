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
 *      materials.file_path), extracts its text (extract.h) and cuts it into chunks (chunk.h);
 *   3. in one transaction as service_role: if the row is still the one it claimed (not
 *      re-requested or deleted meanwhile), replaces the material's chunks (inserted without an
 *      embedding: their insert trigger queues them for the embedding worker) and sets the row
 *      'done' with pages and chunks, or 'failed' with the reason (old chunks removed).
 * A database error leaves the row pending under its lease, to be tried again.
 */
#ifndef SB_AI_EXTRACTOR_H
#define SB_AI_EXTRACTOR_H

#include <stdbool.h>

#include "storage/backend.h"
#include "util/config.h"

/* Starts the thread (once per process); it runs until the process exits. */
void sb_ai_extractor_start(const struct sb_config *config);

/* Extracts every pending material on the calling thread's session; returns how many it
 * settled, or -1 when the database failed. */
int sb_ai_extract_pending(struct sb_storage_backend *backend);

#endif
