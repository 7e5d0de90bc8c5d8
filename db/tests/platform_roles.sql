-- The API roles of db/platform/001_roles.sql.
BEGIN;
\ir lib/helpers.sql
SELECT plan(10);

CREATE FUNCTION test.role_attributes(r name) RETURNS text
LANGUAGE sql AS $$
    SELECT concat_ws(' ', CASE WHEN rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END,
                          CASE WHEN rolinherit THEN 'INHERIT' ELSE 'NOINHERIT' END,
                          CASE WHEN rolbypassrls THEN 'BYPASSRLS' END,
                          CASE WHEN rolsuper THEN 'SUPERUSER' END,
                          CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
                          CASE WHEN rolcreatedb THEN 'CREATEDB' END)
    FROM pg_roles WHERE rolname = r
$$;

SELECT is(test.role_attributes('anon'), 'NOLOGIN NOINHERIT', 'anon cannot log in and bypasses nothing');
SELECT is(test.role_attributes('authenticated'), 'NOLOGIN NOINHERIT', 'authenticated cannot log in and bypasses nothing');
SELECT is(test.role_attributes('service_role'), 'NOLOGIN NOINHERIT BYPASSRLS', 'service_role cannot log in and bypasses RLS');
SELECT is(test.role_attributes('authenticator'), 'LOGIN NOINHERIT', 'authenticator logs in and inherits nothing');
SELECT is_member_of('anon', 'authenticator', 'authenticator may switch to anon');
SELECT is_member_of('authenticated', 'authenticator', 'authenticator may switch to authenticated');
SELECT is_member_of('service_role', 'authenticator', 'authenticator may switch to service_role');

SET LOCAL ROLE authenticator;
SELECT throws_ok('SELECT * FROM courses', '42501', 'permission denied for table courses',
    'authenticator itself cannot read an app table (it must switch role)');
RESET ROLE;

-- The file is applied by every database of a cluster: running it again must succeed, and it
-- puts back an attribute the security model depends on.
ALTER ROLE anon BYPASSRLS;
SET LOCAL client_min_messages = warning;
\ir ../platform/001_roles.sql
RESET client_min_messages;
SELECT is(test.role_attributes('anon'), 'NOLOGIN NOINHERIT',
    'applying the roles file again succeeds and restores the roles'' attributes');

SELECT schema_privs_are('public', 'authenticated', ARRAY['USAGE'],
    'authenticated may use the public schema but not create in it');

SELECT * FROM finish();
ROLLBACK;
