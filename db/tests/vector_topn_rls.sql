-- The vector extension's exact top-N scan under RLS: a student searching chat_history by
-- embedding with the index scan disabled gets the top-N scan, sees only their own chats, and
-- still gets k of them when another student's chats are nearer.
--
-- A = aaaaaaaa-..., B = bbbbbbbb-...; chat i (1..40) belongs to A when i is odd, to B when
-- even, and its embedding is e1 + (i / 100) e2, so its cosine distance to e1 grows with i.
BEGIN;
\ir lib/helpers.sql
\ir ../../ext/vector/test/lib/helpers.sql
SELECT plan(5);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A1'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B1');
INSERT INTO chat_history (course_id, history, embedding)
SELECT CASE WHEN i % 2 = 1 THEN 'aaaaaaaa-0000-4000-8000-00000000c001'::uuid
            ELSE 'bbbbbbbb-0000-4000-8000-00000000c001'::uuid END,
       ARRAY[jsonb_build_object('role', 'user', 'content', 'chat ' || i)],
       test.emb(i / 100.0)
FROM generate_series(1, 40) AS i;
ANALYZE chat_history;

SET LOCAL enable_indexscan = off;
SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT matches(pg_temp.plan_of($$SELECT id FROM chat_history ORDER BY embedding <=> test.emb(0) LIMIT 10$$),
    'Custom Scan \(Vector Exact Top-N\) on chat_history\n\s*Filter: ',
    'the student''s search runs as the top-N scan with the RLS policy as its filter');
SELECT results_eq(
    $$SELECT history[1] ->> 'content' FROM chat_history ORDER BY embedding <=> test.emb(0) LIMIT 10$$,
    $$VALUES ('chat 1'), ('chat 3'), ('chat 5'), ('chat 7'), ('chat 9'),
             ('chat 11'), ('chat 13'), ('chat 15'), ('chat 17'), ('chat 19')$$,
    'the 10 nearest of the student''s own chats, nearest first, though B''s are in between');
SELECT results_eq(
    $$SELECT history[1] ->> 'content' FROM chat_history WHERE history[1] ->> 'content' LIKE 'chat 3%'
      ORDER BY embedding <=> test.emb(0) LIMIT 10$$,
    $$VALUES ('chat 3'), ('chat 31'), ('chat 33'), ('chat 35'), ('chat 37'), ('chat 39')$$,
    'a WHERE clause and RLS together: only the matching own chats, fewer than k when fewer match');
SET LOCAL vector.enable_topn_scan = off;
SELECT results_eq(
    $$SELECT history[1] ->> 'content' FROM chat_history ORDER BY embedding <=> test.emb(0) LIMIT 10$$,
    $$VALUES ('chat 1'), ('chat 3'), ('chat 5'), ('chat 7'), ('chat 9'),
             ('chat 11'), ('chat 13'), ('chat 15'), ('chat 17'), ('chat 19')$$,
    'the sequential scan and Sort (the scan switched off) return the same rows');
SET LOCAL vector.enable_topn_scan = on;
RESET ROLE;

SELECT test.act_as('anon');
SELECT is_empty($$SELECT id FROM chat_history ORDER BY embedding <=> test.emb(0) LIMIT 10$$,
    'anon sees no chat through the top-N scan');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
