-- Platform 009: the embed function's per-user counters. ai.embed_admit counts a user's texts in
-- the UTC hour up to the limit (0: none), refuses a call that would pass it (not counted) with
-- the seconds to the hour's end; only service_role may use them; they go with the user.
BEGIN;
\ir lib/helpers.sql
SELECT plan(9);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT throws_ok($$SELECT ai.embed_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 1, 0)$$, '42501', NULL,
    'a student cannot call the admission function (schema ai is service_role''s)');
RESET ROLE;

SELECT test.act_as('service_role');
SELECT is(ai.embed_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 6, 10), NULL, 'six texts of ten admitted');
SELECT is(ai.embed_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 4, 10), NULL, 'four more: exactly the limit, admitted');
SELECT ok(ai.embed_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 1, 10) BETWEEN 1 AND 3600,
    'one more is refused until the hour ends');
SELECT is((SELECT texts FROM ai.embed_usage WHERE user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 10,
    'a refused call is not counted');
SELECT ok(ai.embed_admit('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 11, 10) BETWEEN 1 AND 3600,
    'a call of more texts than the limit is refused, even as the hour''s first');
SELECT is(ai.embed_admit('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 10, 10), NULL, 'another user has their own count');
SELECT is(ai.embed_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 500, 0), NULL, 'limit 0: no limit');
RESET ROLE;

DELETE FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is((SELECT count(*) FROM ai.embed_usage WHERE user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 0::bigint,
    'a deleted user''s counters go with them');

SELECT * FROM finish();
ROLLBACK;
