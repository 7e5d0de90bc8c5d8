-- Schema auth: users, sessions and refresh tokens with GoTrue-compatible columns (so a dump of
-- a Supabase project's auth.users loads unchanged), and auth.uid(), auth.role(), auth.jwt(),
-- auth.email(), which RLS policies call to learn who is asking.
--
-- Who is asking comes from the transaction's settings, set by the server after it switched role:
--   request.jwt.claims      the verified JWT's claims as JSON (what the server sets)
--   request.jwt.claim.sub   the user id alone, and request.jwt.claim.role the role alone
--                           (older PostgREST style; the seed's RLS test snippet sets .sub)
-- The JSON wins when both are present. An unset or empty setting means "nobody".
--
-- anon and authenticated may call the functions but cannot read any table here; service_role
-- (the server's admin path) may read and write them.

CREATE SCHEMA auth;

CREATE TABLE auth.users (
    instance_id            uuid,
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    aud                    text,
    role                   text,
    email                  text NOT NULL,
    encrypted_password     text NOT NULL DEFAULT '',
    email_confirmed_at     timestamptz,
    invited_at             timestamptz,
    confirmation_token     text,
    confirmation_sent_at   timestamptz,
    recovery_token         text,
    recovery_sent_at       timestamptz,
    email_change_token_new text,
    email_change           text,
    email_change_sent_at   timestamptz,
    last_sign_in_at        timestamptz,
    raw_app_meta_data      jsonb,
    raw_user_meta_data     jsonb,
    is_super_admin         boolean,
    created_at             timestamptz DEFAULT now(),
    updated_at             timestamptz DEFAULT now(),
    phone                  text,
    phone_confirmed_at     timestamptz,
    confirmed_at           timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    banned_until           timestamptz,
    deleted_at             timestamptz,
    is_anonymous           boolean NOT NULL DEFAULT false,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_phone_key UNIQUE (phone)
);

CREATE TABLE auth.sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at   timestamptz DEFAULT now(),
    updated_at   timestamptz DEFAULT now(),
    aal          text,
    not_after    timestamptz,
    refreshed_at timestamptz,
    user_agent   text,
    ip           inet
);
CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);

CREATE TABLE auth.refresh_tokens (
    id         bigserial PRIMARY KEY,
    token_hash text,
    user_id    uuid REFERENCES auth.users (id) ON DELETE CASCADE,
    session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE,
    parent     text,
    revoked    boolean NOT NULL DEFAULT false,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_session_id_idx ON auth.refresh_tokens (session_id);
CREATE INDEX refresh_tokens_parent_idx ON auth.refresh_tokens (parent);

-- The request's claims as JSON: request.jwt.claims if set, else an object built from
-- request.jwt.claim.sub / request.jwt.claim.role, else NULL.
CREATE FUNCTION auth.jwt() RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claims', true), '')::jsonb,
        nullif(jsonb_strip_nulls(jsonb_build_object(
            'sub',  nullif(current_setting('request.jwt.claim.sub', true), ''),
            'role', nullif(current_setting('request.jwt.claim.role', true), ''))), '{}'::jsonb))
$$;

-- The requesting user's id, or NULL when there is none (anon, no settings) or when the
-- subject is not a uuid (a token we did not issue for a user). The subject expression is
-- written twice so that the body stays one expression: PostgreSQL then inlines the function
-- into RLS policies (1.8x faster on a sequential scan than a body with a FROM clause; see
-- bench/db/RESULTS.md).
CREATE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
                              nullif(current_setting('request.jwt.claim.sub', true), ''))
                     ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
                THEN coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
                              nullif(current_setting('request.jwt.claim.sub', true), ''))::uuid
           END
$$;

-- The requesting role named by the claims ('anon', 'authenticated', 'service_role'), or NULL.
CREATE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
        nullif(current_setting('request.jwt.claim.role', true), ''))
$$;

-- The requesting user's email from the claims, or NULL.
CREATE FUNCTION auth.email() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email',
        nullif(current_setting('request.jwt.claim.email', true), ''))
$$;

REVOKE ALL ON SCHEMA auth FROM PUBLIC;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
REVOKE ALL ON ALL TABLES IN SCHEMA auth FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.jwt(), auth.uid(), auth.role(), auth.email()
    TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth TO service_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auth TO service_role;
