-- Migration 006: the `materials` bucket, the storage.objects policies for it, the rule on
-- materials.file_path, and deletion consistency (files queued when their rows go, never while
-- a material names them).
--
-- Users: A = aaaaaaaa-..., B = bbbbbbbb-...; A owns courses c001 and c002, B owns c001 of B's.
BEGIN;
\ir lib/helpers.sql
SELECT plan(32);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');
INSERT INTO courses (id, user_id, name) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000c001', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A1'),
    ('aaaaaaaa-0000-4000-8000-00000000c002', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'A2'),
    ('bbbbbbbb-0000-4000-8000-00000000c001', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'B1');

-- the bucket --------------------------------------------------------------------------------

SELECT is(public, false, 'the materials bucket is private') FROM storage.buckets WHERE id = 'materials';
SELECT is(file_size_limit, 52428800::bigint, 'the materials bucket holds files of at most 50 MB')
FROM storage.buckets WHERE id = 'materials';
SELECT is(allowed_mime_types, ARRAY['application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp',
                                   'text/plain', 'text/markdown'],
    'the materials bucket takes the seed''s PDF and image types, and text (migration 008, for the tutor)')
FROM storage.buckets WHERE id = 'materials';
SELECT is(storage.foldername('u/c/x.pdf'), ARRAY['u', 'c'], 'foldername gives the folders of a name');
SELECT is(storage.filename('u/c/x.pdf'), 'x.pdf', 'filename gives the last part of a name');

-- policies ------------------------------------------------------------------------------------

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT is(test.outcome($$INSERT INTO storage.objects (bucket_id, name, version)
    VALUES ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/n.pdf', 'v-a1')$$),
    'accepted', 'A uploads under A''s id and a course of A''s');
SELECT is(test.outcome($$INSERT INTO storage.objects (bucket_id, name)
    VALUES ('materials', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/n.pdf')$$),
    '42501 new row violates row-level security policy for table "objects"', 'A cannot upload under B''s id');
SELECT is(test.outcome($$INSERT INTO storage.objects (bucket_id, name)
    VALUES ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/bbbbbbbb-0000-4000-8000-00000000c001/n.pdf')$$),
    '42501 new row violates row-level security policy for table "objects"',
    'A cannot upload under A''s id into B''s course');
SELECT is(test.outcome($$INSERT INTO storage.objects (bucket_id, name)
    VALUES ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/n.pdf')$$),
    '42501 new row violates row-level security policy for table "objects"',
    'A cannot upload outside a course folder');
SELECT is(test.outcome($$INSERT INTO storage.objects (bucket_id, name)
    VALUES ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c009/n.pdf')$$),
    '42501 new row violates row-level security policy for table "objects"',
    'A cannot upload into a course that does not exist');
RESET ROLE;

INSERT INTO storage.objects (bucket_id, name, version) VALUES
    ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.pdf', 'v-a'),
    ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c002/a2.pdf', 'v-a2'),
    ('materials', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/keep.pdf', 'v-keep'),
    ('materials', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/b.pdf', 'v-b');

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT results_eq($$SELECT version FROM storage.objects ORDER BY version$$, ARRAY['v-a', 'v-a2', 'v-keep'],
    'A reads A''s objects and not B''s');
SELECT is(test.rows_affected($$UPDATE storage.objects SET metadata = '{}' WHERE version = 'v-b'$$), 0::bigint,
    'A cannot update B''s object');
SELECT is(test.outcome($$UPDATE storage.objects
    SET name = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/bbbbbbbb-0000-4000-8000-00000000c001/moved.pdf' WHERE version = 'v-a'$$),
    '42501 new row violates row-level security policy for table "objects"', 'A cannot move an object into B''s folder');
SELECT is(test.rows_affected($$DELETE FROM storage.objects WHERE version = 'v-b'$$), 0::bigint,
    'A cannot delete B''s object');
RESET ROLE;
SELECT test.act_as('anon');
SELECT is_empty($$SELECT 1 FROM storage.objects$$, 'anon reads no object');
RESET ROLE;

-- materials.file_path -----------------------------------------------------------------------

SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
            'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.pdf', 'application/pdf', 10)$$),
    'accepted', 'a material at {owner}/{course}/{file} is accepted');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
            'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb/aaaaaaaa-0000-4000-8000-00000000c001/a.pdf', 'application/pdf', 10)$$),
    '23514 File path must be {user_id}/{course_id}/{filename}', 'a material under another user''s id is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
            'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c002/a.pdf', 'application/pdf', 10)$$),
    '23514 File path must be {user_id}/{course_id}/{filename}', 'a material in another course''s folder is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf', 'a.pdf', 'application/pdf', 10)$$),
    '23514 File path must be {user_id}/{course_id}/{filename}', 'a bare file name is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
            'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/x/a.pdf', 'application/pdf', 10)$$),
    '23514 File path must be {user_id}/{course_id}/{filename}', 'a path with a subfolder is refused');
SELECT is(test.outcome($$INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES ('aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
            'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/', 'application/pdf', 10)$$),
    '23514 File path must be {user_id}/{course_id}/{filename}', 'a path without a file name is refused');

-- deletion consistency -------------------------------------------------------------------------

INSERT INTO materials (id, course_id, name, file_path, file_type, file_size) VALUES
    ('aaaaaaaa-0000-4000-8000-00000000f001', 'aaaaaaaa-0000-4000-8000-00000000c001', 'a.pdf',
     'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/aaaaaaaa-0000-4000-8000-00000000c001/a.pdf', 'application/pdf', 10);

SELECT is(test.outcome($$DELETE FROM storage.objects WHERE version = 'v-a'$$),
    '55006 File is used by a material; delete the material first', 'an object a material names cannot be deleted');
SELECT is(test.outcome($$UPDATE storage.objects SET name = name || '.old' WHERE version = 'v-a'$$),
    '55006 File is used by a material; delete the material first', 'an object a material names cannot be moved');

UPDATE storage.objects SET version = 'v-a-2' WHERE version = 'v-a';
SELECT results_eq($$SELECT version FROM storage.file_deletions$$, ARRAY['v-a'],
    'replacing an object''s bytes queues the old file');
DELETE FROM storage.file_deletions;

DELETE FROM materials WHERE id = 'aaaaaaaa-0000-4000-8000-00000000f001';
SELECT is_empty($$SELECT 1 FROM storage.objects WHERE version = 'v-a-2'$$, 'deleting a material deletes its object');
SELECT results_eq($$SELECT version FROM storage.file_deletions$$, ARRAY['v-a-2'],
    'deleting a material queues its file');
DELETE FROM storage.file_deletions;

DELETE FROM courses WHERE id = 'aaaaaaaa-0000-4000-8000-00000000c002';
SELECT is_empty($$SELECT 1 FROM storage.objects WHERE version = 'v-a2'$$, 'deleting a course deletes the objects in its folder');
SELECT results_eq($$SELECT version FROM storage.file_deletions$$, ARRAY['v-a2'], 'deleting a course queues its files');
DELETE FROM storage.file_deletions;

DELETE FROM auth.users WHERE id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
SELECT is_empty($$SELECT 1 FROM storage.objects WHERE version = 'v-b'$$, 'deleting a user deletes the objects in their folder');
SELECT results_eq($$SELECT version FROM storage.file_deletions$$, ARRAY['v-b'], 'deleting a user queues their files');
SELECT results_eq($$SELECT version FROM storage.objects$$, ARRAY['v-keep'], 'other users'' objects stay');

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT throws_ok($$SELECT * FROM storage.file_deletions$$, '42501', NULL, 'students cannot read the deletion queue');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
