-- db/migrations/007_chat_embeddings.sql with db/platform/007_ai.sql: which writes of a chat
-- queue it for the embedding worker, that a client's own embedding is kept, that the worker's
-- write (embedding only) queues nothing, that a re-queued job gets a new ticket, and that the
-- queue is service_role's alone while any writer may enqueue through the trigger.
BEGIN;
\ir lib/helpers.sql
SELECT plan(15);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A''s course');
DELETE FROM ai.embedding_jobs;

CREATE FUNCTION pg_temp.job(id uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT ticket FROM ai.embedding_jobs WHERE target = 'chat_history' AND row_id = id $$;

-- as the student, through RLS, as the data API would
SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
INSERT INTO chat_history (id, course_id, history, updated_at) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000e001', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "What is osmosis?"}']::jsonb[], '2000-01-01');
INSERT INTO chat_history (id, course_id, history, embedding) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000e002', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "mine"}']::jsonb[], test.emb(0));
SELECT throws_ok($$SELECT * FROM ai.embedding_jobs$$, '42501', NULL, 'a student cannot read the queue');
SELECT throws_ok($$SELECT ai.enqueue_embedding('chat_history', gen_random_uuid())$$, '42501', NULL,
    'a student cannot call the enqueue function directly');
RESET ROLE;

SELECT isnt(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001'), NULL,
    'a chat inserted without an embedding is queued (by a student''s insert)');
SELECT is(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e002'), NULL,
    'a chat inserted with its own embedding is not queued');
SELECT ok((SELECT run_after <= now() AND attempts = 0 FROM ai.embedding_jobs), 'a queued job is due at once');

-- the worker's write: embedding only
DELETE FROM ai.embedding_jobs;
UPDATE chat_history SET embedding = test.emb(2) WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001';
SELECT is(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001'), NULL, 'writing only the embedding queues nothing');

-- a change of the messages
UPDATE chat_history SET history = history || '{"role": "model", "content": "Water crossing a membrane."}'::jsonb
 WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001';
SELECT isnt(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001'), NULL, 'changing the history queues the chat again');
SELECT is((SELECT updated_at FROM chat_history WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001'), now(),
    'changing the history sets updated_at');
SELECT is((SELECT embedding FROM chat_history WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001'), test.emb(2),
    'the old embedding stays until the new one is written');

-- a client writes its own embedding while the chat's job is pending: the job is dropped
CREATE TEMP TABLE pending_before AS SELECT pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001') AS t;
UPDATE chat_history SET embedding = test.emb(3) WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001';
SELECT isnt((SELECT t FROM pending_before), NULL, 'a job was pending');
SELECT is(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001'), NULL,
    'an embedding the client writes itself drops the pending job (the worker would replace it)');
UPDATE chat_history SET history = history || '{"role": "user", "content": "And osmosis?"}'::jsonb
 WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001';

UPDATE ai.embedding_jobs SET attempts = 3, last_error = 'x', run_after = now() + interval '1 hour';
CREATE TEMP TABLE first_ticket AS SELECT pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001') AS t;
UPDATE chat_history SET history = history || '{"role": "user", "content": "And diffusion?"}'::jsonb
 WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001';
SELECT ok(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e001') > (SELECT t FROM first_ticket),
    'a job queued again gets a new ticket (the worker''s write of the old text is then refused)');
SELECT ok((SELECT run_after <= now() AND attempts = 0 AND last_error IS NULL FROM ai.embedding_jobs),
    'a job queued again is due at once, its failures forgotten');

UPDATE chat_history SET history = ARRAY['{"role": "user", "content": "own"}']::jsonb[], embedding = test.emb(3)
 WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e002';
SELECT is(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e002'), NULL,
    'changing the history together with a new embedding keeps the client''s embedding (not queued)');
UPDATE chat_history SET history = history WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e002';
SELECT is(pg_temp.job('aaaaaaaa-0000-4000-8000-00000000e002'), NULL,
    'an update that leaves the history as it was queues nothing');

SELECT * FROM finish();
ROLLBACK;
