-- The auth schema of db/platform/002_auth.sql: GoTrue-compatible tables, cascades from a user to
-- their sessions and refresh tokens, auth.uid()/role()/jwt() reading the request's claims, and
-- the privileges that keep anon and authenticated out of the tables.
BEGIN;
\ir lib/helpers.sql
SELECT plan(36);

SELECT columns_are('auth', 'users', ARRAY[
    'instance_id', 'id', 'aud', 'role', 'email', 'encrypted_password', 'email_confirmed_at',
    'invited_at', 'confirmation_token', 'confirmation_sent_at', 'recovery_token', 'recovery_sent_at',
    'email_change_token_new', 'email_change', 'email_change_sent_at', 'last_sign_in_at',
    'raw_app_meta_data', 'raw_user_meta_data', 'is_super_admin', 'created_at', 'updated_at',
    'phone', 'phone_confirmed_at', 'confirmed_at', 'banned_until', 'deleted_at', 'is_anonymous'],
    'auth.users has GoTrue''s columns');
SELECT col_type_is('auth', 'users', 'id', 'uuid', 'auth.users.id is a uuid');
SELECT col_is_pk('auth', 'users', 'id', 'auth.users is keyed by id');
SELECT col_type_is('auth', 'users', 'raw_user_meta_data', 'jsonb', 'auth.users.raw_user_meta_data is jsonb');
SELECT col_type_is('auth', 'users', 'last_sign_in_at', 'timestamp with time zone', 'auth.users timestamps carry a time zone');
SELECT columns_are('auth', 'sessions', ARRAY[
    'id', 'user_id', 'created_at', 'updated_at', 'aal', 'not_after', 'refreshed_at', 'user_agent', 'ip',
    'amr'], 'auth.sessions has its columns (amr from 004_auth_api.sql)');
SELECT col_type_is('auth', 'sessions', 'ip', 'inet', 'auth.sessions.ip is inet');
SELECT columns_are('auth', 'refresh_tokens', ARRAY[
    'id', 'token_hash', 'user_id', 'session_id', 'parent', 'revoked', 'created_at', 'updated_at',
    'child_sealed'], 'auth.refresh_tokens has its columns (child_sealed from 004_auth_api.sql)');
SELECT col_type_is('auth', 'refresh_tokens', 'id', 'bigint', 'auth.refresh_tokens.id is a bigint');

-- users --------------------------------------------------------------------------------

INSERT INTO auth.users (id, email) VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT results_eq($$SELECT encrypted_password, is_anonymous, created_at = now(), confirmed_at IS NULL
                    FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'$$,
    $$VALUES ('', false, true, true)$$,
    'a new user has an empty password hash, is not anonymous, was created now and is unconfirmed');
SELECT is(test.outcome($$INSERT INTO auth.users (email) VALUES ('b@example.com')$$), 'accepted',
    'a user without an id gets one by default');
SELECT matches(test.outcome($$INSERT INTO auth.users (email) VALUES ('a@example.com')$$), '^23505 ',
    'two users cannot share an email');
SELECT matches(test.outcome($$INSERT INTO auth.users (email) VALUES (NULL)$$), '^23502 ',
    'a user must have an email');
UPDATE auth.users SET email_confirmed_at = '2024-01-02', phone_confirmed_at = '2024-01-01'
WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(confirmed_at, '2024-01-01'::timestamptz, 'confirmed_at is the earlier of the email and phone confirmations')
FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
UPDATE auth.users SET phone_confirmed_at = NULL WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(confirmed_at, '2024-01-02'::timestamptz, 'confirmed_at follows the email confirmation alone')
FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

-- sessions and refresh tokens ----------------------------------------------------------

INSERT INTO auth.sessions (id, user_id, ip) VALUES
    ('aaaaaaaa-0000-4000-8000-0000000005e1', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', '127.0.0.1');
INSERT INTO auth.refresh_tokens (token_hash, user_id, session_id) VALUES
    ('h1', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'aaaaaaaa-0000-4000-8000-0000000005e1'),
    ('h2', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'aaaaaaaa-0000-4000-8000-0000000005e1');
SELECT is((SELECT revoked FROM auth.refresh_tokens WHERE token_hash = 'h1'), false,
    'a new refresh token is not revoked');
SELECT matches(test.outcome($$INSERT INTO auth.refresh_tokens (token_hash, user_id) VALUES ('h1', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')$$),
    '^23505 ', 'two refresh tokens cannot share a hash');
DELETE FROM auth.sessions WHERE id = 'aaaaaaaa-0000-4000-8000-0000000005e1';
SELECT is_empty('SELECT * FROM auth.refresh_tokens', 'deleting a session deletes its refresh tokens');
INSERT INTO auth.sessions (id, user_id) VALUES
    ('aaaaaaaa-0000-4000-8000-0000000005e2', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
INSERT INTO auth.refresh_tokens (token_hash, user_id, session_id) VALUES
    ('h3', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'aaaaaaaa-0000-4000-8000-0000000005e2');
DELETE FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is_empty('SELECT * FROM auth.sessions', 'deleting a user deletes their sessions');
SELECT is_empty('SELECT * FROM auth.refresh_tokens', 'deleting a user deletes their refresh tokens');

-- who is asking ------------------------------------------------------------------------

SELECT is(auth.uid(), NULL, 'auth.uid() is NULL when no claims are set');
SET LOCAL request.jwt.claims = '{"sub": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "role": "authenticated", "email": "a@example.com"}';
SELECT is(auth.uid(), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid, 'auth.uid() reads sub from request.jwt.claims');
SELECT is(auth.role(), 'authenticated', 'auth.role() reads role from request.jwt.claims');
SELECT is(auth.email(), 'a@example.com', 'auth.email() reads email from request.jwt.claims');
SELECT is(auth.jwt() ->> 'email', 'a@example.com', 'auth.jwt() returns the claims as jsonb');
SET LOCAL request.jwt.claim.sub = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
SELECT is(auth.uid(), 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'::uuid, 'request.jwt.claims wins over request.jwt.claim.sub');
SET LOCAL request.jwt.claims = '';
SELECT is(auth.uid(), 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'::uuid, 'auth.uid() falls back to request.jwt.claim.sub');
SET LOCAL request.jwt.claim.role = 'anon';
SELECT is(auth.role(), 'anon', 'auth.role() falls back to request.jwt.claim.role');
SELECT is(auth.jwt(), '{"sub": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "role": "anon"}'::jsonb,
    'auth.jwt() builds the claims from the single settings when request.jwt.claims is unset');
SET LOCAL request.jwt.claim.sub = '';
SET LOCAL request.jwt.claims = '{"role": "anon"}';
SELECT is(auth.uid(), NULL, 'auth.uid() is NULL for claims without a subject (anon)');
SET LOCAL request.jwt.claims = '{"sub": "service", "role": "service_role"}';
SELECT is(auth.uid(), NULL, 'auth.uid() is NULL when the subject is not a uuid');
SET LOCAL request.jwt.claims = '';
SET LOCAL request.jwt.claim.role = '';

-- privileges ---------------------------------------------------------------------------

SET LOCAL ROLE authenticated;
SELECT throws_ok('SELECT * FROM auth.users', '42501', 'permission denied for table users',
    'authenticated cannot read auth.users');
SELECT throws_ok('SELECT * FROM auth.refresh_tokens', '42501', 'permission denied for table refresh_tokens',
    'authenticated cannot read auth.refresh_tokens');
SELECT lives_ok('SELECT auth.uid(), auth.role(), auth.jwt(), auth.email()',
    'authenticated may call auth.uid(), auth.role(), auth.jwt() and auth.email()');
RESET ROLE;
SET LOCAL ROLE anon;
SELECT throws_ok('SELECT * FROM auth.sessions', '42501', 'permission denied for table sessions',
    'anon cannot read auth.sessions');
RESET ROLE;
SET LOCAL ROLE service_role;
SELECT lives_ok('SELECT * FROM auth.users', 'service_role may read auth.users');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
