-- Migration 008: material_extractions and material_chunks (RLS through course ownership,
-- cascades, the triggers that request an extraction and enqueue embeddings), and retrieval:
-- match_material_chunks and hybrid_search (reciprocal rank fusion), never another student's rows.
--
-- Users: A = aaaaaaaa-..., B = bbbbbbbb-...; A owns courses c001 and c002, B owns B's c001.
BEGIN;
\ir lib/helpers.sql
SELECT plan(43);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Biology'),
    ('aaaaaaaa-0000-4000-8000-00000000c002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Chemistry'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B''s Biology');

-- extraction requests -------------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
INSERT INTO materials (id, course_id, name, file_path, file_type, file_size) VALUES
    ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000c001', 'cells.pdf',
     'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/cells.pdf', 'application/pdf', 100),
    ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-00000000c001', 'leaf.png',
     'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/leaf.png', 'image/png', 100),
    ('aaaaaaaa-0000-4000-8000-0000000000a3', 'aaaaaaaa-0000-4000-8000-00000000c001', 'notes.md',
     'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/notes.md', 'text/markdown', 100),
    ('aaaaaaaa-0000-4000-8000-0000000000a4', 'aaaaaaaa-0000-4000-8000-00000000c002', 'atoms.txt',
     'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c002/atoms.txt', 'text/plain', 100);
SELECT results_eq($$SELECT material_id::text, status, coalesce(reason, '-') FROM material_extractions ORDER BY material_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-0000000000a1', 'pending', '-'),
             ('aaaaaaaa-0000-4000-8000-0000000000a2', 'not_extractable',
              'Images are not read for text: only PDF, plain text and Markdown files are'),
             ('aaaaaaaa-0000-4000-8000-0000000000a3', 'pending', '-'),
             ('aaaaaaaa-0000-4000-8000-0000000000a4', 'pending', '-')$$,
    'a new material is pending (PDF, Markdown, text) or not extractable (an image), and its owner sees that');
RESET ROLE;

SELECT test.act_as('authenticated', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
INSERT INTO materials (id, course_id, name, file_path, file_type, file_size) VALUES
    ('bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-00000000c001', 'b.pdf',
     'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/b.pdf', 'application/pdf', 100);
SELECT results_eq($$SELECT material_id::text FROM material_extractions$$,
    ARRAY['bbbbbbbb-0000-4000-8000-0000000000b1'], 'B sees only B''s extraction row');
RESET ROLE;

-- The worker's result, as service_role writes it.
SELECT test.act_as('service_role');
UPDATE material_extractions SET status = 'done', pages = 2, chunks = 3, claimed_at = now()
WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
INSERT INTO material_chunks (id, material_id, course_id, page, "position", content, embedding) VALUES
    ('00000000-0000-4000-8000-00000000000a', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000c001',
     1, 0, 'Photosynthesis converts light energy into chemical energy.', test.emb(0)),
    ('00000000-0000-4000-8000-00000000000b', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000c001',
     1, 1, 'Photosynthesis happens in leaves; chlorophyll drives photosynthesis, and photosynthesis makes sugar.', test.emb(2)),
    ('00000000-0000-4000-8000-00000000000c', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000c001',
     2, 2, 'Mitochondria release energy from sugar.', test.emb(0.5)),
    ('00000000-0000-4000-8000-00000000000d', 'aaaaaaaa-0000-4000-8000-0000000000a4', 'aaaaaaaa-0000-4000-8000-00000000c002',
     NULL, 0, 'Photosynthesis is not chemistry''s topic, atoms are.', test.emb(0)),
    ('00000000-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-00000000c001',
     1, 0, 'Photosynthesis, as B wrote it down.', test.emb(0));
RESET ROLE;
INSERT INTO chat_history (id, course_id, history, embedding) VALUES
    ('00000000-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "What is photosynthesis?"}', '{"role": "model", "content": "Plants making sugar."}']::jsonb[],
     test.emb(1)),
    ('00000000-0000-4000-8000-0000000000c2', 'bbbbbbbb-0000-4000-8000-00000000c001',
     ARRAY['{"role": "user", "content": "B asks about photosynthesis"}']::jsonb[], test.emb(0));

SELECT results_eq($$SELECT row_id::text FROM ai.embedding_jobs WHERE target = 'material_chunks' ORDER BY row_id$$,
    ARRAY['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c',
          '00000000-0000-4000-8000-00000000000d', '00000000-0000-4000-8000-0000000000b1'],
    'every inserted chunk is queued for its embedding');
SELECT is((SELECT fts FROM material_chunks WHERE id = '00000000-0000-4000-8000-00000000000c'),
    to_tsvector('english', 'Mitochondria release energy from sugar.'), 'a chunk''s fts is its content''s English tsvector');

-- RLS ---------------------------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq($$SELECT id::text FROM material_chunks ORDER BY id$$,
    ARRAY['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000c',
          '00000000-0000-4000-8000-00000000000d'],
    'A reads A''s chunks of both courses and none of B''s');
SELECT is(test.outcome($$INSERT INTO material_chunks (material_id, course_id, "position", content)
    VALUES ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-00000000c001', 9, 'forged')$$),
    '42501 permission denied for table material_chunks', 'A cannot add a chunk, even to A''s own material');
SELECT is(test.outcome($$UPDATE material_chunks SET content = 'changed'$$),
    '42501 permission denied for table material_chunks', 'A cannot change a chunk');
SELECT is(test.outcome($$DELETE FROM material_chunks$$),
    '42501 permission denied for table material_chunks', 'A cannot delete a chunk');
SELECT is(test.outcome($$UPDATE material_extractions SET status = 'done'$$),
    '42501 permission denied for table material_extractions', 'A cannot change an extraction''s state');
SELECT is(test.outcome($$INSERT INTO material_extractions (material_id, course_id, status)
    VALUES ('bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-00000000c001', 'failed')$$),
    '42501 permission denied for table material_extractions', 'A cannot write an extraction row');
RESET ROLE;

SELECT test.act_as('authenticated', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT results_eq($$SELECT id::text FROM material_chunks$$, ARRAY['00000000-0000-4000-8000-0000000000b1'],
    'B reads only B''s chunk');
RESET ROLE;

SELECT test.act_as('anon');
SELECT is((SELECT count(*) FROM material_chunks), 0::bigint, 'anon reads no chunk');
SELECT is((SELECT count(*) FROM material_extractions), 0::bigint, 'anon reads no extraction row');
RESET ROLE;

SELECT matches(test.outcome($$UPDATE material_extractions SET status = 'maybe'$$), '^23514 ',
    'an unknown extraction status is refused');

-- match_material_chunks -------------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq($$SELECT id::text, page, "position", round(similarity::numeric, 3)
                   FROM match_material_chunks(test.emb(0), 10)$$,
    $$VALUES ('00000000-0000-4000-8000-00000000000a', 1, 0, 1.000),
             ('00000000-0000-4000-8000-00000000000d', NULL, 0, 1.000),
             ('00000000-0000-4000-8000-00000000000c', 2, 2, 0.894),
             ('00000000-0000-4000-8000-00000000000b', 1, 1, 0.447)$$,
    'match_material_chunks: A''s chunks nearest first (ties by id), none of B''s');
SELECT results_eq($$SELECT id::text FROM match_material_chunks(test.emb(0), 2, 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    ARRAY['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000c'],
    'match_material_chunks: filtered by course, match_count rows at most');
SELECT results_eq($$SELECT id::text FROM match_material_chunks(test.emb(0), 10, NULL, 0.8)$$,
    ARRAY['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000d', '00000000-0000-4000-8000-00000000000c'],
    'match_material_chunks: only chunks above match_threshold');
SELECT is((SELECT count(*) FROM match_material_chunks(test.emb(0), 10, 'bbbbbbbb-0000-4000-8000-00000000c001')), 0::bigint,
    'match_material_chunks: naming B''s course gives A nothing');
RESET ROLE;

SELECT test.act_as('authenticated', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT results_eq($$SELECT id::text FROM match_material_chunks(test.emb(0), 10)$$,
    ARRAY['00000000-0000-4000-8000-0000000000b1'], 'match_material_chunks: B gets only B''s chunk');
RESET ROLE;

-- hybrid_search -------------------------------------------------------------------------------
--
-- A asks 'photosynthesis' with embedding e1, in Biology (c001), rrf_k 60. The three lists:
--   text:    chunk b (the word three times) ranks 1, chunk a (once) 2; c does not match;
--   vectors: a (similarity 1) 1, c (0.894) 2, b (0.447) 3;
--   chats:   A's Biology chat (0.707) 1.
-- Scores: a = 1/62 + 1/61 = 0.032522, b = 1/61 + 1/63 = 0.032266, the chat = 1/61 = 0.016393,
-- c = 1/62 = 0.016129. So: a, b, chat, c.

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq($$SELECT kind, id::text, material_name, page, round(score::numeric, 6)
                   FROM hybrid_search('photosynthesis', test.emb(0), 8, 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    $$VALUES ('chunk', '00000000-0000-4000-8000-00000000000a', 'cells.pdf', 1, 0.032522),
             ('chunk', '00000000-0000-4000-8000-00000000000b', 'cells.pdf', 1, 0.032266),
             ('chat', '00000000-0000-4000-8000-0000000000c1', NULL, NULL, 0.016393),
             ('chunk', '00000000-0000-4000-8000-00000000000c', 'cells.pdf', 2, 0.016129)$$,
    'hybrid_search: reciprocal rank fusion of full text, chunk vectors and chat vectors, in the order reasoned out above');
SELECT is((SELECT content FROM hybrid_search('photosynthesis', test.emb(0), 8, 'aaaaaaaa-0000-4000-8000-00000000c001')
           WHERE kind = 'chat'),
    E'user: What is photosynthesis?\nmodel: Plants making sugar.', 'hybrid_search: a chat''s content is its messages as lines');
SELECT results_eq($$SELECT id::text FROM hybrid_search('photosynthesis', test.emb(0), 2, 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    ARRAY['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'],
    'hybrid_search: match_count rows at most');
SELECT results_eq($$SELECT id::text, round(score::numeric, 6) FROM hybrid_search('photosynthesis', NULL, 8, 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    $$VALUES ('00000000-0000-4000-8000-00000000000b', 0.016393), ('00000000-0000-4000-8000-00000000000a', 0.016129)$$,
    'hybrid_search: without an embedding, full text alone');
SELECT results_eq($$SELECT kind, id::text FROM hybrid_search('', test.emb(0), 8, 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    $$VALUES ('chat', '00000000-0000-4000-8000-0000000000c1'), ('chunk', '00000000-0000-4000-8000-00000000000a'),
             ('chunk', '00000000-0000-4000-8000-00000000000c'), ('chunk', '00000000-0000-4000-8000-00000000000b')$$,
    'hybrid_search: with a blank query text, vectors alone (chunk a and the chat both score 1/61: the tie goes by kind)');
SELECT results_eq($$SELECT id::text FROM hybrid_search('chemistry atoms', NULL)$$,
    ARRAY['00000000-0000-4000-8000-00000000000d'], 'hybrid_search: without a course filter, every course of the caller''s');
SELECT is((SELECT count(*) FROM hybrid_search('photosynthesis', test.emb(0), 8, 'bbbbbbbb-0000-4000-8000-00000000c001')),
    0::bigint, 'hybrid_search: naming B''s course gives A nothing');
SELECT is((SELECT count(*) FROM hybrid_search('photosynthesis', test.emb(0), 50)
           WHERE id IN ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c2')),
    0::bigint, 'hybrid_search: none of B''s chunks or chats reach A');
SELECT results_eq($$SELECT round(score::numeric, 4) FROM hybrid_search('photosynthesis', test.emb(0), 1, 'aaaaaaaa-0000-4000-8000-00000000c001', 0)$$,
    ARRAY[1.5000], 'hybrid_search: rrf_k is the constant of 1 / (k + rank): with 0, chunk a scores 1/2 + 1/1');
SELECT is((SELECT count(*) FROM hybrid_search('photosynthesis OR "light energy" -mitochondria', NULL, 8)), 3::bigint,
    'hybrid_search: the query text is read as a web search (OR, phrases, -word)');
RESET ROLE;

SELECT test.act_as('authenticated', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
SELECT results_eq($$SELECT kind, id::text FROM hybrid_search('photosynthesis', test.emb(0))$$,
    $$VALUES ('chunk', '00000000-0000-4000-8000-0000000000b1'), ('chat', '00000000-0000-4000-8000-0000000000c2')$$,
    'hybrid_search: B gets only B''s chunk and chat');
RESET ROLE;

SELECT test.act_as('anon');
SELECT is((SELECT count(*) FROM hybrid_search('photosynthesis', test.emb(0))), 0::bigint, 'hybrid_search: anon gets nothing');
RESET ROLE;

-- changes that request a new extraction ---------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
UPDATE materials SET name = 'cells (renamed).pdf' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
SELECT is((SELECT status FROM material_extractions WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 'done',
    'renaming a material does not extract it again');
UPDATE materials SET file_path = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/cells-v2.pdf'
WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
SELECT results_eq($$SELECT status, pages, chunks, claimed_at FROM material_extractions
                   WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'$$,
    $$VALUES ('pending', NULL::int, NULL::int, NULL::timestamptz)$$,
    'a new file path makes the material pending again, and voids the worker''s claim');
SELECT is((SELECT count(*) FROM material_chunks WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 3::bigint,
    'a pending material keeps its chunks until the worker replaces them');
RESET ROLE;

UPDATE material_extractions SET status = 'done' WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
INSERT INTO storage.objects (bucket_id, name, version)
VALUES ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/cells-v2.pdf', 'v-cells-1');
SELECT is((SELECT status FROM material_extractions WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 'pending',
    'the material''s file arriving in storage makes it pending');
UPDATE material_extractions SET status = 'done' WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
UPDATE storage.objects SET version = 'v-cells-2' WHERE version = 'v-cells-1';
SELECT is((SELECT status FROM material_extractions WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 'pending',
    'the material''s file replaced in storage (an upsert) makes it pending');

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
UPDATE materials SET file_type = 'image/png' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
SELECT is((SELECT status FROM material_extractions WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'),
    'not_extractable', 'a material whose type becomes an image is not extractable');
SELECT is((SELECT count(*) FROM material_chunks WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 0::bigint,
    '... and its old chunks are gone');
RESET ROLE;

-- cascades ------------------------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
DELETE FROM materials WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a4';
RESET ROLE;
SELECT is((SELECT count(*) FROM material_chunks WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a4'), 0::bigint,
    'deleting a material deletes its chunks');
SELECT is((SELECT count(*) FROM material_extractions WHERE material_id = 'aaaaaaaa-0000-4000-8000-0000000000a4'), 0::bigint,
    'deleting a material deletes its extraction row');

SELECT test.act_as('service_role');
INSERT INTO material_chunks (material_id, course_id, page, "position", content) VALUES
    ('aaaaaaaa-0000-4000-8000-0000000000a3', 'aaaaaaaa-0000-4000-8000-00000000c001', NULL, 0, '# Notes');
RESET ROLE;
SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
DELETE FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c001';
RESET ROLE;
SELECT is((SELECT count(*) FROM material_chunks WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001'), 0::bigint,
    'deleting a course deletes its materials'' chunks');
SELECT is((SELECT count(*) FROM material_extractions WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001'), 0::bigint,
    'deleting a course deletes its extraction rows');
SELECT is((SELECT count(*) FROM material_chunks), 1::bigint, 'B''s chunk stays');

SELECT * FROM finish();
ROLLBACK;
