-- The `extensions` schema, as Supabase has it: the extensions live there instead of in public,
-- so that their functions (pgcrypto's crypt, pg_trgm's set_limit, uuid-ossp's, vector's) are
-- not part of the app's schema, and the search path finds them where the app's SQL names them
-- unqualified (uuid_generate_v4() defaults, vector(384), the <=> operator, vector_cosine_ops).
--
-- The platform files run before the app migrations, so the seed's four extensions are created
-- here, in `extensions`, and the seed's own `CREATE EXTENSION IF NOT EXISTS` (migrations/001)
-- finds them and does nothing. A database migrated by an older studybase has them in public:
-- they are moved. ALTER EXTENSION ... SET SCHEMA moves every member object (types, functions,
-- operators, operator classes); tables, column defaults, indexes and compiled function bodies
-- refer to those by OID, so they follow. (SQL-language function bodies are parsed again at each
-- call, with the caller's search path: the database's path below covers them.)

CREATE SCHEMA IF NOT EXISTS extensions;

-- The API roles may use what is in it (types, operators, functions called from the app's own
-- SQL); the data API exposes no function of an extension wherever it lives (the schema cache
-- leaves them out).
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;

-- An older studybase's extensions in public. All four control files say relocatable = true
-- (uuid-ossp, pgcrypto and pg_trgm from contrib, ext/vector/vector.control, pgvector's too);
-- one that is not is left where it is, with a warning: the schema cache hides its functions.
DO $move$
DECLARE
    ext record;
BEGIN
    FOR ext IN
        SELECT e.extname, e.extrelocatable FROM pg_extension e
        WHERE e.extname IN ('uuid-ossp', 'pgcrypto', 'vector', 'pg_trgm')
          AND e.extnamespace = 'public'::regnamespace
        ORDER BY e.extname
    LOOP
        IF ext.extrelocatable THEN
            EXECUTE format('ALTER EXTENSION %I SET SCHEMA extensions', ext.extname);
        ELSE
            RAISE WARNING 'extension % is not relocatable; it stays in schema public', ext.extname;
        END IF;
    END LOOP;
END
$move$;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;

-- Supabase's search path. Set on the database, so every new session of every role (the
-- server's connections, psql, pg_prove) starts with it; and in this session too, which began
-- before the setting existed and goes on to run the app migrations.
DO $path$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET search_path = "$user", public, extensions',
                   current_database());
END
$path$;
SELECT set_config('search_path', '"$user", public, extensions', false);
