-- db/migrations/005_rpc.sql: match_chat_history (similarity = 1 - cosine distance, threshold,
-- count, optional course, most similar first, RLS applies) and append_chat_messages (appends,
-- validates, not found for chats the caller cannot see).
--
-- A = aaaaaaaa-..., B = bbbbbbbb-...; A has courses c001 and c002, B has c001.
-- Embeddings point along axis 1 with a small component on axis 2 (e1 + w*e2), so their cosine
-- similarity to e1 is 1/sqrt(1 + w^2): w=0 -> 1, w=0.1 -> 0.995, w=0.5 -> 0.894, w=3 -> 0.316.
BEGIN;
\ir lib/helpers.sql
SELECT plan(17);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A1'),
    ('aaaaaaaa-0000-4000-8000-00000000c002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A2'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B1');
INSERT INTO chat_history (id, course_id, history, embedding) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000e001', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "close"}']::jsonb[], test.emb(0.1)),
    ('aaaaaaaa-0000-4000-8000-00000000e002', 'aaaaaaaa-0000-4000-8000-00000000c002',
     ARRAY['{"role": "user", "content": "exact"}']::jsonb[], test.emb(0)),
    ('aaaaaaaa-0000-4000-8000-00000000e003', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "loose"}']::jsonb[], test.emb(0.5)),
    ('aaaaaaaa-0000-4000-8000-00000000e004', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "far"}']::jsonb[], test.emb(3)),
    ('aaaaaaaa-0000-4000-8000-00000000e005', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "no embedding"}']::jsonb[], NULL),
    ('bbbbbbbb-0000-4000-8000-00000000e001', 'bbbbbbbb-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "B exact"}']::jsonb[], test.emb(0));

-- match_chat_history ---------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq(
    $$SELECT history[1] ->> 'content' FROM match_chat_history(test.emb(0), 0.5, 10)$$,
    $$VALUES ('exact'), ('close'), ('loose')$$,
    'most similar first; below the threshold and without an embedding left out; B''s chat not seen');
SELECT results_eq(
    $$SELECT round(similarity::numeric, 3) FROM match_chat_history(test.emb(0), 0.5, 10)$$,
    $$VALUES (1.000), (0.995), (0.894)$$,
    'similarity is 1 - cosine distance');
SELECT results_eq(
    $$SELECT history[1] ->> 'content' FROM match_chat_history(test.emb(0), 0.0, 2)$$,
    $$VALUES ('exact'), ('close')$$,
    'match_count limits the rows');
SELECT is_empty($$SELECT * FROM match_chat_history(test.emb(0), 0.0, 0)$$, 'match_count 0 returns nothing');
SELECT results_eq(
    $$SELECT history[1] ->> 'content'
      FROM match_chat_history(test.emb(0), 0.0, 10, 'aaaaaaaa-0000-4000-8000-00000000c002')$$,
    $$VALUES ('exact')$$,
    'filter_course_id keeps one course');
SELECT is_empty(
    $$SELECT * FROM match_chat_history(test.emb(0), 0.0, 10, 'bbbbbbbb-0000-4000-8000-00000000c001')$$,
    'A asking for B''s course gets nothing');
SELECT throws_ok($$SELECT * FROM match_chat_history('[1,2,3]'::vector, 0.5, 10)$$, '22000', NULL,
    'a query embedding of another dimension is an error');
RESET ROLE;

SELECT test.act_as('anon');
SELECT is_empty($$SELECT * FROM match_chat_history(test.emb(0), 0.0, 10)$$, 'anon matches nothing');
RESET ROLE;

SELECT is((SELECT prosecdef FROM pg_proc WHERE proname = 'match_chat_history'), false,
    'match_chat_history is SECURITY INVOKER');

-- append_chat_messages -------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq(
    $$SELECT cardinality(history), history[2] ->> 'content', history[3] ->> 'role'
      FROM append_chat_messages('aaaaaaaa-0000-4000-8000-00000000e001',
          '[{"role": "user", "content": "more?"}, {"role": "model", "content": "yes"}]')$$,
    $$VALUES (3, 'more?', 'model')$$,
    'appends the messages after the existing ones and returns the chat');
SELECT is((SELECT cardinality(history) FROM chat_history WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e001'), 3,
    'the appended history is stored');
SELECT is(test.outcome($$SELECT * FROM append_chat_messages('aaaaaaaa-0000-4000-8000-00000000e001', '[]')$$),
    'accepted', 'appending no message is allowed');
SELECT is(test.outcome($$SELECT * FROM append_chat_messages('aaaaaaaa-0000-4000-8000-00000000e001',
        '[{"role": "robot", "content": "x"}]')$$),
    '23514 Invalid message role', 'an invalid role is refused with the seed''s message');
SELECT is(test.outcome($$SELECT * FROM append_chat_messages('aaaaaaaa-0000-4000-8000-00000000e001',
        '{"role": "user", "content": "x"}')$$),
    '22023 messages must be a JSON array of message objects', 'messages must be an array');
SELECT is(test.outcome($$SELECT * FROM append_chat_messages('bbbbbbbb-0000-4000-8000-00000000e001',
        '[{"role": "user", "content": "x"}]')$$),
    'PT404 Chat not found', 'A appending to B''s chat: not found');
RESET ROLE;
SELECT is((SELECT cardinality(history) FROM chat_history WHERE id = 'bbbbbbbb-0000-4000-8000-00000000e001'), 1,
    'B''s chat is unchanged');
SELECT is((SELECT prosecdef FROM pg_proc WHERE proname = 'append_chat_messages'), false,
    'append_chat_messages is SECURITY INVOKER');

SELECT * FROM finish();
ROLLBACK;
