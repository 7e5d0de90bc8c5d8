-- The AI functions' private schema: work queues the server drains, never exposed through
-- /rest/v1 (only service_role may use it).
CREATE SCHEMA IF NOT EXISTS ai;
REVOKE ALL ON SCHEMA ai FROM PUBLIC;
GRANT USAGE ON SCHEMA ai TO service_role;

-- Rows whose embedding must be (re)computed: a trigger on each embedded table enqueues the
-- row after its text changes; the embedding worker takes jobs whose run_after has come, writes
-- the embedding and deletes the job, or counts the failure and retries later (backoff).
CREATE TABLE ai.embedding_jobs (
    target      text NOT NULL CHECK (target IN ('chat_history', 'material_chunks')),
    row_id      uuid NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    run_after   timestamptz NOT NULL DEFAULT now(),
    last_error  text,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, row_id)
);
CREATE INDEX embedding_jobs_due ON ai.embedding_jobs (run_after);
GRANT SELECT, INSERT, UPDATE, DELETE ON ai.embedding_jobs TO service_role;

-- Enqueues (or re-arms) the job for one row; SECURITY DEFINER so a trigger running as the
-- caller's role can enqueue without the caller being able to read the queue.
CREATE FUNCTION ai.enqueue_embedding(p_target text, p_row_id uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, ai AS $$
    INSERT INTO ai.embedding_jobs (target, row_id) VALUES (p_target, p_row_id)
    ON CONFLICT (target, row_id) DO UPDATE SET attempts = 0, run_after = now(), last_error = NULL,
        enqueued_at = now();
    SELECT pg_notify('ai_embedding_jobs', p_target);
$$;
REVOKE ALL ON FUNCTION ai.enqueue_embedding(text, uuid) FROM PUBLIC;
