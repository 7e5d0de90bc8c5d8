-- The roles the API switches between, as Supabase pre-installs them.
--
--   anon           requests without a user (the anon key); sees what RLS lets nobody see
--   authenticated  requests with a user's access token; sees what RLS lets auth.uid() see
--   service_role   the backend's key; bypasses RLS by design
--   authenticator  the login role the server connects as; NOINHERIT, so it holds no rights
--                  of its own and must SET ROLE to one of the three inside each transaction
--
-- Roles belong to the cluster, not to a database: a second database in the same cluster runs
-- this file too, so every role is created only when missing (and a concurrent runner that
-- creates it first is not an error); an existing role gets its attributes set again, since
-- the security model depends on them. authenticator gets no password here; `studybase` sets
-- one where it needs it.

DO $$
DECLARE
    wanted CONSTANT text[][] := ARRAY[
        ['anon',          'NOLOGIN NOINHERIT NOBYPASSRLS'],
        ['authenticated', 'NOLOGIN NOINHERIT NOBYPASSRLS'],
        ['service_role',  'NOLOGIN NOINHERIT BYPASSRLS'],
        ['authenticator', 'LOGIN NOINHERIT NOBYPASSRLS']
    ];
BEGIN
    FOR i IN 1 .. array_length(wanted, 1) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted[i][1]) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I %s', wanted[i][1], wanted[i][2]);
            EXCEPTION WHEN duplicate_object THEN
                NULL; -- created meanwhile by a runner on another database
            END;
        END IF;
        EXECUTE format('ALTER ROLE %I %s', wanted[i][1], wanted[i][2]);
    END LOOP;
END
$$;

-- GRANT of a role already granted is a no-op (with a notice), so this is safe to repeat.
GRANT anon, authenticated, service_role TO authenticator;

-- The app's schema. Table privileges are granted per table next to its RLS policies
-- (db/migrations/003_create_rls_policies.sql), never by default privileges, so a table
-- without RLS is never exposed by accident.
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
