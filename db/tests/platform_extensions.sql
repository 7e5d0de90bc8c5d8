-- The `extensions` schema of db/platform/005_extensions.sql: the seed's four extensions live
-- there (none of their functions is in public), the API roles may use it, the database's search
-- path ends with it, and the seed's tables and the app's functions use its objects.
BEGIN;
\ir lib/helpers.sql
SELECT plan(19);

-- Where an object lives, spelled schema.name whatever the search path.
CREATE FUNCTION test.qualified(schema_oid oid, name name) RETURNS text
LANGUAGE sql AS $$ SELECT format('%I.%I', (SELECT nspname FROM pg_namespace WHERE oid = schema_oid), name) $$;

-- the schema and the extensions in it -----------------------------------------------------

SELECT has_schema('extensions', 'the extensions schema exists');
SELECT has_extension('extensions', 'uuid-ossp', 'uuid-ossp is installed in schema extensions');
SELECT has_extension('extensions', 'pgcrypto', 'pgcrypto is installed in schema extensions');
SELECT has_extension('extensions', 'vector', 'vector is installed in schema extensions');
SELECT has_extension('extensions', 'pg_trgm', 'pg_trgm is installed in schema extensions');

SELECT is((SELECT count(*) FROM pg_proc p
           JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
           JOIN pg_extension e ON e.oid = d.refobjid
           WHERE p.pronamespace = 'public'::regnamespace
             AND e.extname IN ('uuid-ossp', 'pgcrypto', 'vector', 'pg_trgm')),
          0::bigint,
          'no function of the four extensions (crypt, set_limit, uuid_generate_v4, ...) is in public');

SELECT schema_privs_are('extensions', 'anon', ARRAY['USAGE'],
    'anon may use the extensions schema but not create in it');
SELECT schema_privs_are('extensions', 'authenticated', ARRAY['USAGE'],
    'authenticated may use the extensions schema but not create in it');
SELECT schema_privs_are('extensions', 'service_role', ARRAY['USAGE'],
    'service_role may use the extensions schema but not create in it');

-- the search path ---------------------------------------------------------------------------

SELECT is((SELECT setconfig FROM pg_db_role_setting
           WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND setrole = 0),
          ARRAY['search_path="$user", public, extensions'],
          'the database''s search path is Supabase''s: "$user", public, extensions');
SELECT is(current_setting('search_path'), '"$user", public, extensions',
    'a new session (this one) starts with that search path');

-- the seed's tables and the app's functions use them --------------------------------------

SELECT is((SELECT test.qualified(t.typnamespace, t.typname)
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
           WHERE a.attrelid = 'chat_history'::regclass AND a.attname = 'embedding'),
          'extensions.vector', 'chat_history.embedding is of the type extensions.vector');
SELECT is(format_type(atttypid, atttypmod), 'vector(384)',
    'which the search path shows unqualified, as vector(384)')
FROM pg_attribute WHERE attrelid = 'chat_history'::regclass AND attname = 'embedding';

SELECT set_eq(
    $$SELECT c.relname::text
      FROM pg_attrdef ad
      JOIN pg_class c ON c.oid = ad.adrelid
      JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
                      AND d.refclassid = 'pg_proc'::regclass
      JOIN pg_proc p ON p.oid = d.refobjid
      WHERE c.relnamespace = 'public'::regnamespace
        AND test.qualified(p.pronamespace, p.proname) = 'extensions.uuid_generate_v4'$$,
    ARRAY['courses', 'materials', 'chat_history', 'material_chunks'],
    'the id defaults of courses, materials, chat_history (and 008''s material_chunks) call extensions.uuid_generate_v4()');

SELECT is((SELECT test.qualified(o.opcnamespace, o.opcname)
           FROM pg_index i JOIN pg_opclass o ON o.oid = i.indclass[0]
           WHERE i.indexrelid = 'chat_history_embedding_idx'::regclass),
          'extensions.vector_cosine_ops',
          'the seed''s HNSW index uses the operator class extensions.vector_cosine_ops');

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT lives_ok(
    $$INSERT INTO courses (user_id, name) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'c')$$,
    'as authenticated, a course takes its id from the uuid_generate_v4() default');
SELECT lives_ok(
    $$INSERT INTO chat_history (course_id, embedding) SELECT id, test.emb(0) FROM courses$$,
    'as authenticated, a chat takes a vector(384) embedding');
SELECT is((SELECT count(*) FROM match_chat_history(test.emb(0), 0.5, 10)), 1::bigint,
    'as authenticated, match_chat_history (an SQL function: <=> resolved at each call) finds it');
SELECT is((SELECT similarity('studybase', 'studybase')), 1::real,
    'as authenticated, pg_trgm''s similarity() is found unqualified');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
