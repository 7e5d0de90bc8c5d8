-- The storage schema of db/platform/003_storage.sql: buckets and objects with Supabase's
-- columns, path_tokens derived from the name, one object per name and bucket, and RLS on with
-- no policy yet (so only service_role sees anything).
BEGIN;
\ir lib/helpers.sql
SELECT plan(12);

SELECT columns_are('storage', 'buckets', ARRAY[
    'id', 'name', 'owner', 'public', 'file_size_limit', 'allowed_mime_types', 'created_at', 'updated_at'],
    'storage.buckets has Supabase''s columns');
SELECT columns_are('storage', 'objects', ARRAY[
    'id', 'bucket_id', 'name', 'owner', 'metadata', 'created_at', 'updated_at', 'last_accessed_at', 'path_tokens',
    'version', 'owner_id', 'user_metadata'],
    'storage.objects has Supabase''s columns (the last three added by migration 006)');
SELECT col_type_is('storage', 'buckets', 'allowed_mime_types', 'text[]', 'storage.buckets.allowed_mime_types is text[]');
SELECT fk_ok('storage', 'objects', 'bucket_id', 'storage', 'buckets', 'id', 'every object is in a bucket');

INSERT INTO storage.buckets (id, name) VALUES ('b', 'b');
SELECT is(public, false, 'a new bucket is private') FROM storage.buckets WHERE id = 'b';
INSERT INTO storage.objects (bucket_id, name) VALUES ('b', 'user/course/notes.pdf');
SELECT is(path_tokens, '{user,course,notes.pdf}'::text[], 'path_tokens is the name split on /')
FROM storage.objects WHERE name = 'user/course/notes.pdf';
SELECT matches(test.outcome($$INSERT INTO storage.objects (bucket_id, name) VALUES ('b', 'user/course/notes.pdf')$$),
    '^23505 ', 'a bucket holds one object per name');
SELECT matches(test.outcome($$INSERT INTO storage.objects (bucket_id, name) VALUES ('missing', 'x')$$),
    '^23503 ', 'an object cannot be put in a bucket that does not exist');

SELECT ok(relrowsecurity, 'RLS is enabled on storage.objects') FROM pg_class WHERE oid = 'storage.objects'::regclass;

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT is_empty('SELECT * FROM storage.objects', 'authenticated sees no object while no policy allows it');
SELECT is_empty('SELECT * FROM storage.buckets', 'authenticated sees no bucket while no policy allows it');
RESET ROLE;
SELECT test.act_as('service_role');
SELECT results_eq('SELECT name FROM storage.objects', ARRAY['user/course/notes.pdf'], 'service_role sees every object');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
