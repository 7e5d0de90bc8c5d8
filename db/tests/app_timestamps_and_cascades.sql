-- The updated_at triggers and the ON DELETE CASCADE chains of db/migrations/002_create_tables.sql.
-- now() is the transaction's start time, so rows are inserted with an old updated_at and the
-- test checks that an UPDATE moves it to now().
BEGIN;
\ir lib/helpers.sql
SELECT plan(15);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO academic (id, grade, semester_type, semester, created_at, updated_at) VALUES
    ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3, '2000-01-01', '2000-01-01'),
    ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', '{Bachelor}', 'double', 3, '2000-01-01', '2000-01-01');
INSERT INTO personalized (id, created_at, updated_at) VALUES
    ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '2000-01-01', '2000-01-01'),
    ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', '2000-01-01', '2000-01-01');
INSERT INTO courses (id, user_id, name, created_at, updated_at) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'One', '2000-01-01', '2000-01-01'),
    ('aaaaaaaa-0000-4000-8000-00000000c002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Two', '2000-01-01', '2000-01-01'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B', '2000-01-01', '2000-01-01');
INSERT INTO materials (course_id, name, file_path, file_type, file_size, created_at, updated_at)
SELECT id, 'm.pdf', user_id || '/' || id || '/m.pdf', 'application/pdf', 1, '2000-01-01', '2000-01-01' FROM courses;
INSERT INTO chat_history (course_id, created_at, updated_at)
SELECT id, '2000-01-01', '2000-01-01' FROM courses;

-- updated_at ----------------------------------------------------------------------------

UPDATE academic SET semester = 4 WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(updated_at, now(), 'updating an academic row sets its updated_at to now()')
FROM academic WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
UPDATE personalized SET prefs = '{"learning_pace": "fast"}' WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(updated_at, now(), 'updating preferences sets their updated_at to now()')
FROM personalized WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
UPDATE courses SET name = 'Renamed' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c001';
SELECT is(updated_at, now(), 'updating a course sets its updated_at to now()')
FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c001';
UPDATE materials SET name = 'r.pdf' WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001';
SELECT is(updated_at, now(), 'updating a material sets its updated_at to now()')
FROM materials WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001';
UPDATE chat_history SET history = ARRAY['{"role": "user", "content": "hi"}']::jsonb[]
WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001';
SELECT is(updated_at, now(), 'updating a chat sets its updated_at to now()')
FROM chat_history WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c001';

UPDATE courses SET name = 'Again', updated_at = '1999-01-01' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002';
SELECT is(updated_at, now(), 'an UPDATE that sets updated_at itself still gets now()')
FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002';
SELECT is(created_at, '2000-01-01'::timestamptz, 'an UPDATE leaves created_at alone')
FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c001';

-- deleting a course takes its materials and chats -------------------------------------

DELETE FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002';
SELECT is_empty($$SELECT 1 FROM materials WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c002'$$,
    'deleting a course deletes its materials');
SELECT is_empty($$SELECT 1 FROM chat_history WHERE course_id = 'aaaaaaaa-0000-4000-8000-00000000c002'$$,
    'deleting a course deletes its chats');
SELECT results_eq($$SELECT count(*) FROM materials$$, ARRAY[2::bigint],
    'deleting a course leaves the materials of other courses');

-- deleting a user takes everything of theirs ------------------------------------------

DELETE FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT results_eq($$SELECT id FROM academic$$, $$VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'::uuid)$$,
    'deleting a user deletes their academic row only');
SELECT results_eq($$SELECT id FROM personalized$$, $$VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'::uuid)$$,
    'deleting a user deletes their preferences only');
SELECT results_eq($$SELECT user_id FROM courses$$, $$VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'::uuid)$$,
    'deleting a user deletes their courses only');
SELECT results_eq($$SELECT course_id FROM materials$$, $$VALUES ('bbbbbbbb-0000-4000-8000-00000000c001'::uuid)$$,
    'deleting a user deletes the materials of their courses only');
SELECT results_eq($$SELECT course_id FROM chat_history$$, $$VALUES ('bbbbbbbb-0000-4000-8000-00000000c001'::uuid)$$,
    'deleting a user deletes the chats of their courses only');

SELECT * FROM finish();
ROLLBACK;
