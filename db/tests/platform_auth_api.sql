-- db/platform/004_auth_api.sql: the user JSON GoTrue answers with, metadata merging, and
-- starting and refreshing sessions (rotation, reuse interval, reuse detection).
BEGIN;
\ir lib/helpers.sql
SELECT plan(28);

INSERT INTO auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data)
VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'authenticated', 'authenticated', 'a@example.com',
        '{"provider":"email","providers":["email"]}', '{"name":"Ada"}');

-- user JSON ----------------------------------------------------------------------------

SELECT is(auth.sb_user_json(u) ->> 'email', 'a@example.com', 'the user JSON carries the email')
FROM auth.users u WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(auth.sb_user_json(u) -> 'user_metadata', '{"name":"Ada"}'::jsonb, 'user_metadata is raw_user_meta_data')
FROM auth.users u WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(auth.sb_user_json(u) ? 'email_confirmed_at', false, 'an unset timestamp is left out')
FROM auth.users u WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(auth.sb_user_json(u) #>> '{identities,0,provider}', 'email', 'the user has an email identity')
FROM auth.users u WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
UPDATE auth.users SET email_confirmed_at = '2024-05-06 07:08:09.5+02' WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is(auth.sb_user_json(u) ->> 'email_confirmed_at', '2024-05-06T05:08:09.500000Z',
    'timestamps are RFC 3339 in UTC')
FROM auth.users u WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

-- metadata -----------------------------------------------------------------------------

SELECT is(auth.sb_merge_metadata('{"a":1,"b":2}', '{"b":3,"c":4}'), '{"a":1,"b":3,"c":4}'::jsonb,
    'a patch replaces and adds keys');
SELECT is(auth.sb_merge_metadata('{"a":1,"b":2}', '{"b":null}'), '{"a":1}'::jsonb, 'a key set to null is removed');
SELECT is(auth.sb_merge_metadata('{"a":1}', NULL), '{"a":1}'::jsonb, 'no patch changes nothing');
SELECT is(auth.sb_merge_metadata(NULL, '{"a":{"b":null}}'), '{"a":{"b":null}}'::jsonb,
    'nulls inside nested values are kept');

-- sessions -----------------------------------------------------------------------------

SELECT is(claims ->> 'sub', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'starting a session returns the claims of the user')
FROM auth.sb_start_session('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'hash-1', 'password', '127.0.0.1', 'test');
SELECT is((SELECT amr #>> '{0,method}' FROM auth.sessions), 'password', 'the session records how the user signed in');
SELECT is((SELECT session_id FROM auth.refresh_tokens WHERE token_hash = 'hash-1'), (SELECT id FROM auth.sessions),
    'the first refresh token belongs to the session');
SELECT isnt((SELECT last_sign_in_at FROM auth.users), NULL, 'starting a session sets last_sign_in_at');

SELECT is(outcome, 'ok', 'a fresh refresh token refreshes') FROM auth.sb_refresh('hash-1', 'hash-2', 10, 'sealed-2');
SELECT is((SELECT revoked FROM auth.refresh_tokens WHERE token_hash = 'hash-1'), true, 'the refreshed token is revoked');
SELECT is((SELECT parent FROM auth.refresh_tokens WHERE token_hash = 'hash-2'), 'hash-1', 'its child names it as parent');
SELECT is((SELECT child_sealed FROM auth.refresh_tokens WHERE token_hash = 'hash-1'), 'sealed-2',
    'the refreshed token keeps its child sealed');
SELECT results_eq($$SELECT outcome, child_sealed FROM auth.sb_refresh('hash-1', 'hash-3', 10, 'sealed-3')$$,
    $$VALUES ('current', 'sealed-2')$$,
    'a revoked token presented again within the interval while its child is live gives that child again');
SELECT is((SELECT count(*) FROM auth.refresh_tokens WHERE token_hash = 'hash-3'), 0::bigint,
    'and issues no new token');
SELECT is(outcome, 'ok', 'the child rotates in turn') FROM auth.sb_refresh('hash-2', 'hash-3', 10, 'sealed-3');
SELECT is(outcome, 'ok', 'a token revoked within the interval whose child was rotated gets a new child')
FROM auth.sb_refresh('hash-1', 'hash-4', 10, 'sealed-4');
SELECT is(outcome, 'not_found', 'an unknown token is not found') FROM auth.sb_refresh('nobody', 'hash-x', 10, 'x');

UPDATE auth.refresh_tokens SET updated_at = now() - interval '1 minute' WHERE token_hash = 'hash-1';
SELECT is(outcome, 'already_used', 'a token revoked longer ago than the interval is already used')
FROM auth.sb_refresh('hash-1', 'hash-5', 10, 'sealed-5');
SELECT is_empty('SELECT * FROM auth.sessions', 'reuse after the interval ends the session');
SELECT is(outcome, 'not_found', 'the session''s other tokens are gone with it') FROM auth.sb_refresh('hash-3', 'hash-5', 10, 'x');

SELECT auth.sb_start_session('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'hash-6', 'password', '', NULL);
UPDATE auth.users SET banned_until = now() + interval '1 day';
SELECT is(outcome, 'user_banned', 'a banned user cannot refresh') FROM auth.sb_refresh('hash-6', 'hash-7', 10, 'x');

-- privileges ---------------------------------------------------------------------------

SET LOCAL ROLE authenticated;
SELECT throws_ok($$SELECT * FROM auth.sb_refresh('hash-6', 'hash-8', 10, 'x')$$, '42501', NULL,
    'authenticated cannot refresh tokens directly');
RESET ROLE;
SET LOCAL ROLE anon;
SELECT throws_ok($$SELECT auth.sb_merge_metadata('{}', '{}')$$, '42501', NULL, 'anon cannot call the auth service''s functions');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
