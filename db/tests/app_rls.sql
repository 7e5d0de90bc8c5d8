-- Row Level Security on the five app tables (db/migrations/003_create_rls_policies.sql): the
-- matrix of who may do what. User A acts on A's rows and cannot see or touch B's, for SELECT,
-- INSERT, UPDATE and DELETE on every table, including putting a material or a chat into B's
-- course; anon sees nothing; service_role sees everything; the seed's own test snippet
-- (SET request.jwt.claim.sub = ...) selects the user.
--
-- Users and rows: A = aaaaaaaa-..., B = bbbbbbbb-...; each has an academic and personalized row,
-- a course (...c001), a material in it (...f001) and a chat in it (...e001).
BEGIN;
\ir lib/helpers.sql
SELECT plan(58);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO academic (id, grade, semester_type, semester) VALUES
    ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3),
    ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', '{Masters}', 'tri', 1);
INSERT INTO personalized (id, prefs) VALUES
    ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{"learning_pace": "slow"}'),
    ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', '{"learning_pace": "fast"}');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A''s course'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B''s course');
INSERT INTO materials (id, course_id, name, file_path, file_type, file_size) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000f001', 'aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.pdf', 'application/pdf', 10),
    ('bbbbbbbb-0000-4000-8000-00000000f001', 'bbbbbbbb-0000-4000-8000-00000000c001', 'b.pdf', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/b.pdf', 'application/pdf', 10);
INSERT INTO chat_history (id, course_id, history) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000e001', 'aaaaaaaa-0000-4000-8000-00000000c001', ARRAY['{"role": "user", "content": "A asks"}']::jsonb[]),
    ('bbbbbbbb-0000-4000-8000-00000000e001', 'bbbbbbbb-0000-4000-8000-00000000c001', ARRAY['{"role": "user", "content": "B asks"}']::jsonb[]);

-- service_role ------------------------------------------------------------------------

SELECT test.act_as('service_role');
SELECT results_eq('SELECT id FROM academic ORDER BY id',
    $$VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid), ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')$$,
    'service_role sees every academic row');
SELECT results_eq('SELECT id FROM personalized ORDER BY id',
    $$VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid), ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb')$$,
    'service_role sees every personalized row');
SELECT results_eq('SELECT id FROM courses ORDER BY id',
    $$VALUES ('aaaaaaaa-0000-4000-8000-00000000c001'::uuid), ('bbbbbbbb-0000-4000-8000-00000000c001')$$,
    'service_role sees every course');
SELECT results_eq('SELECT id FROM materials ORDER BY id',
    $$VALUES ('aaaaaaaa-0000-4000-8000-00000000f001'::uuid), ('bbbbbbbb-0000-4000-8000-00000000f001')$$,
    'service_role sees every material');
SELECT results_eq('SELECT id FROM chat_history ORDER BY id',
    $$VALUES ('aaaaaaaa-0000-4000-8000-00000000e001'::uuid), ('bbbbbbbb-0000-4000-8000-00000000e001')$$,
    'service_role sees every chat');
SELECT is(test.rows_affected($$UPDATE courses SET name = name$$), 2::bigint,
    'service_role may update every user''s course');
RESET ROLE;

-- anon --------------------------------------------------------------------------------

SELECT test.act_as('anon');
SELECT is_empty('SELECT * FROM academic', 'anon sees no academic row');
SELECT is_empty('SELECT * FROM personalized', 'anon sees no personalized row');
SELECT is_empty('SELECT * FROM courses', 'anon sees no course');
SELECT is_empty('SELECT * FROM materials', 'anon sees no material');
SELECT is_empty('SELECT * FROM chat_history', 'anon sees no chat');
SELECT throws_ok($$INSERT INTO courses (user_id, name) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'x')$$,
    '42501', 'new row violates row-level security policy for table "courses"',
    'anon cannot create a course for a user');
SELECT is(test.rows_affected($$UPDATE courses SET name = 'x'$$), 0::bigint, 'anon updates no course');
SELECT is(test.rows_affected('DELETE FROM courses'), 0::bigint, 'anon deletes no course');
RESET ROLE;

SELECT test.act_as('authenticated');
SELECT is_empty('SELECT * FROM courses', 'authenticated without a user id (no sub claim) sees no course');
RESET ROLE;

-- user A on academic ------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq('SELECT id FROM academic', $$VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid)$$,
    'A selects A''s academic row and not B''s');
SELECT is(test.rows_affected($$UPDATE academic SET semester = 4 WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$),
    1::bigint, 'A updates A''s academic row');
SELECT is(test.rows_affected($$UPDATE academic SET semester = 4 WHERE id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'$$),
    0::bigint, 'A cannot update B''s academic row');
SELECT throws_ok($$UPDATE academic SET id = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$,
    '42501', 'new row violates row-level security policy for table "academic"',
    'A cannot hand A''s academic row over to another user');
SELECT is(test.rows_affected($$DELETE FROM academic WHERE id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'$$),
    0::bigint, 'A cannot delete B''s academic row');
SELECT is(test.rows_affected($$DELETE FROM academic WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$),
    1::bigint, 'A deletes A''s academic row');
SELECT lives_ok($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '{Bachelor}', 'double', 3)$$,
    'A inserts A''s academic row');
SELECT throws_ok($$INSERT INTO academic (id, grade, semester_type, semester)
    VALUES ('cccccccc-cccc-4ccc-8ccc-cccccccccccc', '{Bachelor}', 'double', 3)$$,
    '42501', 'new row violates row-level security policy for table "academic"',
    'A cannot insert an academic row for another user');

-- user A on personalized --------------------------------------------------------------

SELECT results_eq('SELECT id FROM personalized', $$VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid)$$,
    'A selects A''s preferences and not B''s');
SELECT is(test.rows_affected($$UPDATE personalized SET prefs = '{}' WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$),
    1::bigint, 'A updates A''s preferences');
SELECT is(test.rows_affected($$UPDATE personalized SET prefs = '{}' WHERE id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'$$),
    0::bigint, 'A cannot update B''s preferences');
SELECT throws_ok($$UPDATE personalized SET id = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$,
    '42501', 'new row violates row-level security policy for table "personalized"',
    'A cannot hand A''s preferences over to another user');
SELECT is(test.rows_affected($$DELETE FROM personalized WHERE id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'$$),
    0::bigint, 'A cannot delete B''s preferences');
SELECT is(test.rows_affected($$DELETE FROM personalized WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$),
    1::bigint, 'A deletes A''s preferences');
SELECT lives_ok($$INSERT INTO personalized (id) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$,
    'A inserts A''s preferences');
SELECT throws_ok($$INSERT INTO personalized (id) VALUES ('cccccccc-cccc-4ccc-8ccc-cccccccccccc')$$,
    '42501', 'new row violates row-level security policy for table "personalized"',
    'A cannot insert preferences for another user');

-- user A on courses -------------------------------------------------------------------

SELECT results_eq('SELECT id FROM courses', $$VALUES ('aaaaaaaa-0000-4000-8000-00000000c001'::uuid)$$,
    'A selects A''s courses and not B''s');
SELECT lives_ok($$INSERT INTO courses (id, user_id, name)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Second')$$,
    'A inserts a course of A''s');
SELECT throws_ok($$INSERT INTO courses (user_id, name) VALUES ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'Planted')$$,
    '42501', 'new row violates row-level security policy for table "courses"',
    'A cannot insert a course owned by B');
SELECT is(test.rows_affected($$UPDATE courses SET name = 'Renamed' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002'$$),
    1::bigint, 'A updates A''s course');
SELECT is(test.rows_affected($$UPDATE courses SET name = 'Renamed' WHERE id = 'bbbbbbbb-0000-4000-8000-00000000c001'$$),
    0::bigint, 'A cannot update B''s course');
SELECT throws_ok($$UPDATE courses SET user_id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002'$$,
    '42501', 'new row violates row-level security policy for table "courses"',
    'A cannot hand a course over to B');
SELECT is(test.rows_affected($$DELETE FROM courses WHERE id = 'bbbbbbbb-0000-4000-8000-00000000c001'$$),
    0::bigint, 'A cannot delete B''s course');
SELECT is(test.rows_affected($$DELETE FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002'$$),
    1::bigint, 'A deletes A''s course');

-- user A on materials -----------------------------------------------------------------

SELECT results_eq('SELECT id FROM materials', $$VALUES ('aaaaaaaa-0000-4000-8000-00000000f001'::uuid)$$,
    'A selects the materials of A''s courses and not B''s');
SELECT lives_ok($$INSERT INTO materials (id, course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000f002', 'aaaaaaaa-0000-4000-8000-00000000c001', 'n.pdf', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/n.pdf', 'application/pdf', 5)$$,
    'A inserts a material into A''s course');
SELECT throws_ok($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('bbbbbbbb-0000-4000-8000-00000000c001', 'x.pdf', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/x.pdf', 'application/pdf', 5)$$,
    '42501', 'new row violates row-level security policy for table "materials"',
    'A cannot insert a material into B''s course');
SELECT is(test.rows_affected($$UPDATE materials SET name = 'r.pdf' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000f002'$$),
    1::bigint, 'A updates a material of A''s');
SELECT is(test.rows_affected($$UPDATE materials SET name = 'r.pdf' WHERE id = 'bbbbbbbb-0000-4000-8000-00000000f001'$$),
    0::bigint, 'A cannot update B''s material');
SELECT throws_ok($$UPDATE materials SET course_id = 'bbbbbbbb-0000-4000-8000-00000000c001' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000f002'$$,
    '42501', 'new row violates row-level security policy for table "materials"',
    'A cannot move a material into B''s course');
SELECT is(test.rows_affected($$DELETE FROM materials WHERE id = 'bbbbbbbb-0000-4000-8000-00000000f001'$$),
    0::bigint, 'A cannot delete B''s material');
SELECT is(test.rows_affected($$DELETE FROM materials WHERE id = 'aaaaaaaa-0000-4000-8000-00000000f002'$$),
    1::bigint, 'A deletes a material of A''s');

-- user A on chat_history --------------------------------------------------------------

SELECT results_eq('SELECT id FROM chat_history', $$VALUES ('aaaaaaaa-0000-4000-8000-00000000e001'::uuid)$$,
    'A selects the chats of A''s courses and not B''s');
SELECT lives_ok($$INSERT INTO chat_history (id, course_id)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000e002', 'aaaaaaaa-0000-4000-8000-00000000c001')$$,
    'A inserts a chat into A''s course');
SELECT throws_ok($$INSERT INTO chat_history (course_id) VALUES ('bbbbbbbb-0000-4000-8000-00000000c001')$$,
    '42501', 'new row violates row-level security policy for table "chat_history"',
    'A cannot insert a chat into B''s course');
SELECT is(test.rows_affected($$UPDATE chat_history SET history = '{}' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e002'$$),
    1::bigint, 'A updates a chat of A''s');
SELECT is(test.rows_affected($$UPDATE chat_history SET history = '{}' WHERE id = 'bbbbbbbb-0000-4000-8000-00000000e001'$$),
    0::bigint, 'A cannot update B''s chat');
SELECT throws_ok($$UPDATE chat_history SET course_id = 'bbbbbbbb-0000-4000-8000-00000000c001' WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e002'$$,
    '42501', 'new row violates row-level security policy for table "chat_history"',
    'A cannot move a chat into B''s course');
SELECT is(test.rows_affected($$DELETE FROM chat_history WHERE id = 'bbbbbbbb-0000-4000-8000-00000000e001'$$),
    0::bigint, 'A cannot delete B''s chat');
SELECT is(test.rows_affected($$DELETE FROM chat_history WHERE id = 'aaaaaaaa-0000-4000-8000-00000000e002'$$),
    1::bigint, 'A deletes a chat of A''s');
RESET ROLE;

-- B's rows came through A's attempts unchanged ----------------------------------------

SELECT results_eq($$SELECT c.name, m.name, h.history, a.semester, p.prefs
                    FROM courses c JOIN materials m ON m.course_id = c.id JOIN chat_history h ON h.course_id = c.id
                    JOIN academic a ON a.id = c.user_id JOIN personalized p ON p.id = c.user_id
                    WHERE c.user_id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'$$,
    $$VALUES ('B''s course', 'b.pdf', ARRAY['{"role": "user", "content": "B asks"}']::jsonb[], 1, '{"learning_pace": "fast"}'::jsonb)$$,
    'B''s course, material, chat, academic row and preferences are unchanged');

-- the seed's snippet ------------------------------------------------------------------

SET LOCAL ROLE authenticated;
SET LOCAL request.jwt.claims = '';
SET request.jwt.claim.sub = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
SELECT results_eq('SELECT id FROM courses', $$VALUES ('bbbbbbbb-0000-4000-8000-00000000c001'::uuid)$$,
    'SET request.jwt.claim.sub selects the user whose rows RLS shows');
RESET request.jwt.claim.sub;
SELECT is_empty('SELECT * FROM courses', 'after RESET request.jwt.claim.sub the authenticated role sees no course');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
