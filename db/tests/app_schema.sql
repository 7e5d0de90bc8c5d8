-- The seed's schema as built by db/migrations/001-003: extensions, every table's columns (name,
-- type, NOT NULL, default), keys, indexes with their access method, the updated_at triggers,
-- RLS with the seed's policy names, and the API roles' table privileges.
BEGIN;
\ir lib/helpers.sql
SELECT plan(55);

-- Columns of a table in order: name, type, NOT NULL, default.
CREATE FUNCTION test.columns(t regclass) RETURNS TABLE (name name, type text, not_null boolean, "default" text)
LANGUAGE sql AS $$
    SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum
$$;

-- Primary and foreign keys of a table, as their definitions.
CREATE FUNCTION test.keys(t regclass) RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = t AND contype IN ('p', 'f') ORDER BY contype DESC, conname
$$;

-- extensions ----------------------------------------------------------------------------

SELECT has_extension('uuid-ossp', 'the uuid-ossp extension is installed');
SELECT has_extension('pgcrypto', 'the pgcrypto extension is installed');
SELECT has_extension('vector', 'the vector extension is installed');
SELECT has_extension('pg_trgm', 'the pg_trgm extension is installed');

-- columns -------------------------------------------------------------------------------

SELECT results_eq($$SELECT * FROM test.columns('academic')$$, $$VALUES
    ('id'::name,      'uuid',                     true,  NULL::text),
    ('grade',         'text[]',                   true,  NULL),
    ('semester_type', 'text',                     true,  NULL),
    ('semester',      'integer',                  true,  NULL),
    ('subject',       'text[]',                   true,  '''{}''::text[]'),
    ('created_at',    'timestamp with time zone', false, 'now()'),
    ('updated_at',    'timestamp with time zone', false, 'now()')$$,
    'academic has the seed''s columns, types, NOT NULLs and defaults');
SELECT results_eq($$SELECT * FROM test.columns('personalized')$$, $$VALUES
    ('id'::name,   'uuid',                     true,  NULL::text),
    ('prefs',      'jsonb',                    true,  '''{}''::jsonb'),
    ('created_at', 'timestamp with time zone', false, 'now()'),
    ('updated_at', 'timestamp with time zone', false, 'now()')$$,
    'personalized has the seed''s columns, types, NOT NULLs and defaults');
SELECT results_eq($$SELECT * FROM test.columns('courses')$$, $$VALUES
    ('id'::name,   'uuid',                     true,  'uuid_generate_v4()'::text),
    ('user_id',    'uuid',                     true,  NULL),
    ('name',       'text',                     true,  NULL),
    ('created_at', 'timestamp with time zone', false, 'now()'),
    ('updated_at', 'timestamp with time zone', false, 'now()')$$,
    'courses has the seed''s columns, types, NOT NULLs and defaults');
SELECT results_eq($$SELECT * FROM test.columns('materials')$$, $$VALUES
    ('id'::name,   'uuid',                     true,  'uuid_generate_v4()'::text),
    ('course_id',  'uuid',                     true,  NULL),
    ('name',       'text',                     true,  NULL),
    ('file_path',  'text',                     true,  NULL),
    ('file_type',  'text',                     true,  NULL),
    ('file_size',  'bigint',                   true,  NULL),
    ('created_at', 'timestamp with time zone', false, 'now()'),
    ('updated_at', 'timestamp with time zone', false, 'now()')$$,
    'materials has the seed''s columns, types, NOT NULLs and defaults');
SELECT results_eq($$SELECT * FROM test.columns('chat_history')$$, $$VALUES
    ('id'::name,   'uuid',                     true,  'uuid_generate_v4()'::text),
    ('course_id',  'uuid',                     true,  NULL),
    ('history',    'jsonb[]',                  true,  '''{}''::jsonb[]'),
    ('embedding',  'vector(384)',              false, NULL),
    ('created_at', 'timestamp with time zone', false, 'now()'),
    ('updated_at', 'timestamp with time zone', false, 'now()')$$,
    'chat_history has the seed''s columns, types, NOT NULLs and defaults');

-- keys ----------------------------------------------------------------------------------

SELECT results_eq($$SELECT * FROM test.keys('academic')$$,
    ARRAY['PRIMARY KEY (id)', 'FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE'],
    'academic is keyed by its user''s id and goes with the user');
SELECT results_eq($$SELECT * FROM test.keys('personalized')$$,
    ARRAY['PRIMARY KEY (id)', 'FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE'],
    'personalized is keyed by its user''s id and goes with the user');
SELECT results_eq($$SELECT * FROM test.keys('courses')$$,
    ARRAY['PRIMARY KEY (id)', 'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE'],
    'courses belong to a user and go with the user');
SELECT results_eq($$SELECT * FROM test.keys('materials')$$,
    ARRAY['PRIMARY KEY (id)', 'FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE'],
    'materials belong to a course and go with the course');
SELECT results_eq($$SELECT * FROM test.keys('chat_history')$$,
    ARRAY['PRIMARY KEY (id)', 'FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE'],
    'chat_history belongs to a course and goes with the course');

-- validation constraints (their behaviour is in app_validation.sql) ---------------------

SELECT is_empty($$SELECT conrelid::regclass || '.' || conname FROM pg_constraint
                  WHERE contype = 'c' AND obj_description(oid, 'pg_constraint') IS NULL
                    AND conrelid IN ('academic'::regclass, 'personalized'::regclass, 'courses'::regclass,
                                     'materials'::regclass, 'chat_history'::regclass)$$,
    'every CHECK constraint on the app tables carries its message as a comment');

-- indexes -------------------------------------------------------------------------------

SELECT is(pg_get_indexdef('idx_academic_grade'::regclass),
    'CREATE INDEX idx_academic_grade ON public.academic USING gin (grade)',
    'idx_academic_grade is a GIN index on academic.grade');
SELECT is(pg_get_indexdef('idx_academic_subject'::regclass),
    'CREATE INDEX idx_academic_subject ON public.academic USING gin (subject)',
    'idx_academic_subject is a GIN index on academic.subject');
SELECT is(pg_get_indexdef('idx_personalized_prefs'::regclass),
    'CREATE INDEX idx_personalized_prefs ON public.personalized USING gin (prefs)',
    'idx_personalized_prefs is a GIN index on personalized.prefs');
SELECT is(pg_get_indexdef('idx_courses_user_id'::regclass),
    'CREATE INDEX idx_courses_user_id ON public.courses USING btree (user_id)',
    'idx_courses_user_id is a B-tree index on courses.user_id');
SELECT is(pg_get_indexdef('idx_materials_course_id'::regclass),
    'CREATE INDEX idx_materials_course_id ON public.materials USING btree (course_id)',
    'idx_materials_course_id is a B-tree index on materials.course_id');
SELECT is(pg_get_indexdef('idx_materials_file_path'::regclass),
    'CREATE INDEX idx_materials_file_path ON public.materials USING btree (file_path)',
    'idx_materials_file_path is a B-tree index on materials.file_path');
SELECT is(pg_get_indexdef('idx_chat_history_course_id'::regclass),
    'CREATE INDEX idx_chat_history_course_id ON public.chat_history USING btree (course_id)',
    'idx_chat_history_course_id is a B-tree index on chat_history.course_id');
SELECT is(pg_get_indexdef('chat_history_embedding_idx'::regclass),
    'CREATE INDEX chat_history_embedding_idx ON public.chat_history USING hnsw (embedding vector_cosine_ops)',
    'chat_history_embedding_idx is an HNSW index on chat_history.embedding with cosine distance');

-- triggers ------------------------------------------------------------------------------

SELECT function_returns('public', 'update_updated_at', ARRAY[]::text[], 'trigger',
    'update_updated_at() is a trigger function');
SELECT is(pg_get_triggerdef(oid),
    'CREATE TRIGGER academic_update_trigger BEFORE UPDATE ON public.academic FOR EACH ROW EXECUTE FUNCTION update_updated_at()',
    'academic_update_trigger runs update_updated_at() before each row update')
FROM pg_trigger WHERE tgname = 'academic_update_trigger';
SELECT is(pg_get_triggerdef(oid),
    'CREATE TRIGGER personalized_update_trigger BEFORE UPDATE ON public.personalized FOR EACH ROW EXECUTE FUNCTION update_updated_at()',
    'personalized_update_trigger runs update_updated_at() before each row update')
FROM pg_trigger WHERE tgname = 'personalized_update_trigger';
SELECT is(pg_get_triggerdef(oid),
    'CREATE TRIGGER courses_update_trigger BEFORE UPDATE ON public.courses FOR EACH ROW EXECUTE FUNCTION update_updated_at()',
    'courses_update_trigger runs update_updated_at() before each row update')
FROM pg_trigger WHERE tgname = 'courses_update_trigger';
SELECT is(pg_get_triggerdef(oid),
    'CREATE TRIGGER materials_update_trigger BEFORE UPDATE ON public.materials FOR EACH ROW EXECUTE FUNCTION update_updated_at()',
    'materials_update_trigger runs update_updated_at() before each row update')
FROM pg_trigger WHERE tgname = 'materials_update_trigger';
SELECT is(pg_get_triggerdef(oid),
    'CREATE TRIGGER chat_history_update_trigger BEFORE UPDATE ON public.chat_history FOR EACH ROW EXECUTE FUNCTION update_updated_at()',
    'chat_history_update_trigger runs update_updated_at() before each row update')
FROM pg_trigger WHERE tgname = 'chat_history_update_trigger';

-- row level security --------------------------------------------------------------------

SELECT ok(relrowsecurity, 'RLS is enabled on academic') FROM pg_class WHERE oid = 'academic'::regclass;
SELECT ok(relrowsecurity, 'RLS is enabled on personalized') FROM pg_class WHERE oid = 'personalized'::regclass;
SELECT ok(relrowsecurity, 'RLS is enabled on courses') FROM pg_class WHERE oid = 'courses'::regclass;
SELECT ok(relrowsecurity, 'RLS is enabled on materials') FROM pg_class WHERE oid = 'materials'::regclass;
SELECT ok(relrowsecurity, 'RLS is enabled on chat_history') FROM pg_class WHERE oid = 'chat_history'::regclass;

SELECT policies_are('public', 'academic', ARRAY['Users edit own academic data'],
    'academic has the one seed policy "Users edit own academic data"');
SELECT policies_are('public', 'personalized', ARRAY['Users edit own prefs'],
    'personalized has the one seed policy "Users edit own prefs"');
SELECT policies_are('public', 'courses', ARRAY['Users own courses'],
    'courses has the one seed policy "Users own courses"');
SELECT policies_are('public', 'materials', ARRAY['Users own materials'],
    'materials has the one seed policy "Users own materials"');
SELECT policies_are('public', 'chat_history', ARRAY['Users own chat history'],
    'chat_history has the one seed policy "Users own chat history"');

SELECT results_eq($$SELECT DISTINCT cmd::text FROM pg_policies WHERE schemaname = 'public'
    AND tablename IN ('academic', 'personalized', 'courses', 'materials', 'chat_history')$$,
    ARRAY['ALL'], 'every seed policy covers SELECT, INSERT, UPDATE and DELETE (FOR ALL)');

-- privileges: statements come from grants, rows from the policies; TRUNCATE (which RLS does not
-- filter) is granted to no API role.

SELECT table_privs_are('public', 'academic', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'authenticated may select, insert, update and delete academic rows, nothing more');
SELECT table_privs_are('public', 'personalized', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'authenticated may select, insert, update and delete personalized rows, nothing more');
SELECT table_privs_are('public', 'courses', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'authenticated may select, insert, update and delete courses, nothing more');
SELECT table_privs_are('public', 'materials', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'authenticated may select, insert, update and delete materials, nothing more');
SELECT table_privs_are('public', 'chat_history', 'authenticated', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'authenticated may select, insert, update and delete chat_history rows, nothing more');
SELECT table_privs_are('public', 'academic', 'anon', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'anon has the same statements on academic (RLS leaves it no rows)');
SELECT table_privs_are('public', 'personalized', 'anon', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'anon has the same statements on personalized (RLS leaves it no rows)');
SELECT table_privs_are('public', 'courses', 'anon', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'anon has the same statements on courses (RLS leaves it no rows)');
SELECT table_privs_are('public', 'materials', 'anon', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'anon has the same statements on materials (RLS leaves it no rows)');
SELECT table_privs_are('public', 'chat_history', 'anon', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'anon has the same statements on chat_history (RLS leaves it no rows)');
SELECT table_privs_are('public', 'academic', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'service_role may select, insert, update and delete academic rows, but not truncate');
SELECT table_privs_are('public', 'personalized', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'service_role may select, insert, update and delete personalized rows, but not truncate');
SELECT table_privs_are('public', 'courses', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'service_role may select, insert, update and delete courses, but not truncate');
SELECT table_privs_are('public', 'materials', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'service_role may select, insert, update and delete materials, but not truncate');
SELECT table_privs_are('public', 'chat_history', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    'service_role may select, insert, update and delete chat_history rows, but not truncate');

SELECT * FROM finish();
ROLLBACK;
