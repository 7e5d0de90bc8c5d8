/*
 * embed_worker: the background thread that drains ai.embedding_jobs (db/platform/007_ai.sql),
 * so that a chat (or a material's chunk) gets its embedding after it is written, without the
 * write waiting for an embedder.
 *
 * The thread has a connection of its own (sb_db_open, as service_role) that LISTENs on
 * `ai_embedding_jobs`. When notified, when a job's retry falls due, and every 30 seconds in any
 * case, it takes up to SB_EMBED_BATCH due jobs under a lease (FOR UPDATE SKIP LOCKED, run_after
 * moved past the longest an embedding call can take, committed at once: several servers on
 * one database share the queue, and no lock is held while the embedder works), reads their
 * texts (chat_history: its messages as "role: content" lines, in order; material_chunks: its
 * content), embeds them in one call (sb_embed_texts) and, per row, in one transaction: writes
 * `embedding`, then deletes the job if it still has the ticket it was taken with. A job whose
 * ticket changed (the text was written again meanwhile, which re-armed the job) is rolled
 * back: that embedding is of an old text; the job runs again. A row that is gone drops its job;
 * a text with no words gets a NULL embedding.
 *
 * A failed call counts an attempt on each job, keeps last_error (the error's message and the
 * provider's words) and makes the job due again after 2, 4, 8 ... seconds, at most an hour;
 * jobs are never given up (a fixed provider, or a new write of the row, which re-arms its job,
 * lets them finish). When the provider refused a batch of several texts (a 4xx, say one text
 * is too long for the model) the texts are sent one by one, so one bad row does not hold back
 * the others.
 */
#ifndef SB_AI_EMBED_WORKER_H
#define SB_AI_EMBED_WORKER_H

#include "util/config.h"

/* Starts the thread, once per process (`studybase serve` calls it once the server listens).
 * config must live until sb_ai_embed_worker_stop returns. */
void sb_ai_embed_worker_start(const struct sb_config *config);

/* Stops the thread and waits for it: its waits end at once; a batch in hand is finished or, if
 * the embedder is being retried, given up (its jobs come due again after their lease). */
void sb_ai_embed_worker_stop(void);

#endif
