-- The AI functions' private schema: work queues the server drains, never exposed through
-- /rest/v1 (only service_role may use it).
CREATE SCHEMA IF NOT EXISTS ai;
REVOKE ALL ON SCHEMA ai FROM PUBLIC;
GRANT USAGE ON SCHEMA ai TO service_role;

-- Rows whose embedding must be (re)computed: a trigger on each embedded table enqueues the
-- row after its text changes; the embedding worker (src/ai/embed_worker.c) takes jobs whose
-- run_after has come, writes the embedding and deletes the job, or counts the failure in
-- attempts, keeps last_error and tries again later (run_after: backoff).
--
-- ticket is new at every enqueue: the worker notes it when it takes a job and writes the
-- embedding only if the job still has it (deleting the job in the same transaction), so an
-- embedding of a text that changed meanwhile is never stored; the job, re-armed by the change,
-- runs again with the new text.
CREATE SEQUENCE ai.embedding_job_tickets;
CREATE TABLE ai.embedding_jobs (
    target      text NOT NULL CHECK (target IN ('chat_history', 'material_chunks')),
    row_id      uuid NOT NULL,
    ticket      bigint NOT NULL DEFAULT nextval('ai.embedding_job_tickets'),
    attempts    integer NOT NULL DEFAULT 0,
    run_after   timestamptz NOT NULL DEFAULT now(),
    last_error  text,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, row_id)
);
CREATE INDEX embedding_jobs_due ON ai.embedding_jobs (run_after);
GRANT SELECT, INSERT, UPDATE, DELETE ON ai.embedding_jobs TO service_role;
GRANT USAGE ON SEQUENCE ai.embedding_job_tickets TO service_role;

-- Enqueues (or re-arms, with a new ticket) the job for one row; SECURITY DEFINER so a trigger
-- running as the caller's role can enqueue without the caller being able to read the queue.
-- The notification is sent when the writing transaction commits (and not at all if it rolls
-- back), one per transaction and channel payload.
CREATE FUNCTION ai.enqueue_embedding(p_target text, p_row_id uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, ai AS $$
    INSERT INTO ai.embedding_jobs (target, row_id) VALUES (p_target, p_row_id)
    ON CONFLICT (target, row_id) DO UPDATE SET ticket = nextval('ai.embedding_job_tickets'), attempts = 0,
        run_after = now(), last_error = NULL, enqueued_at = now();
    SELECT pg_notify('ai_embedding_jobs', p_target);
$$;
REVOKE ALL ON FUNCTION ai.enqueue_embedding(text, uuid) FROM PUBLIC;

-- Drops the pending job of one row: its embedding was just written by someone else than the
-- worker (a client that computes its own), which must not be replaced by the worker's.
CREATE FUNCTION ai.cancel_embedding(p_target text, p_row_id uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, ai AS $$
    DELETE FROM ai.embedding_jobs WHERE target = p_target AND row_id = p_row_id;
$$;
REVOKE ALL ON FUNCTION ai.cancel_embedding(text, uuid) FROM PUBLIC;
