-- Platform 008: the tutor's usage counters. ai.tutor_admit counts a user's calls in the hour
-- up to the limit (0: none), refuses past it or once the day's tokens reached theirs, with the
-- seconds to the window's end; ai.tutor_add_tokens adds to the day; only service_role may use
-- them; a user's counters go with the user.
BEGIN;
\ir lib/helpers.sql
SELECT plan(13);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
SELECT test.create_user('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'b@example.com');

SELECT test.act_as('authenticated', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
SELECT throws_ok($$SELECT * FROM ai.tutor_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 0, 0)$$, '42501', NULL,
    'a student cannot call the admission function (schema ai is service_role''s)');
RESET ROLE;
SELECT test.act_as('anon');
SELECT throws_ok($$SELECT ai.tutor_add_tokens('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', -5)$$, '42501', NULL,
    'anon cannot add tokens');
RESET ROLE;

SELECT test.act_as('service_role');
SELECT is((SELECT refused FROM ai.tutor_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 2, 0)), NULL, 'first call of the hour admitted');
SELECT is((SELECT refused FROM ai.tutor_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 2, 0)), NULL, 'second call admitted');
SELECT results_eq($$SELECT refused, retry_after_s BETWEEN 1 AND 3600 FROM ai.tutor_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 2, 0)$$,
    $$VALUES ('requests_per_hour'::text, true)$$, 'the third is refused until the hour ends');
SELECT is((SELECT requests FROM ai.tutor_usage WHERE user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' AND period = 'hour'),
    2, 'a refused call is not counted');
SELECT is((SELECT refused FROM ai.tutor_admit('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 0, 0)), NULL, 'limit 0: no limit');
SELECT is((SELECT refused FROM ai.tutor_admit('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 2, 0)), NULL, 'another user has their own count');

SELECT ai.tutor_add_tokens('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 60);
SELECT ai.tutor_add_tokens('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 40);
SELECT ai.tutor_add_tokens('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', -7);
SELECT is((SELECT tokens FROM ai.tutor_usage WHERE user_id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' AND period = 'day'),
    100::bigint, 'tokens add up over the day (a negative count adds nothing)');
SELECT is((SELECT refused FROM ai.tutor_admit('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 0, 101)), NULL, 'under the day''s tokens: admitted');
SELECT results_eq($$SELECT refused, retry_after_s BETWEEN 1 AND 86400 FROM ai.tutor_admit('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 0, 100)$$,
    $$VALUES ('tokens_per_day'::text, true)$$, 'at the day''s tokens: refused until the day ends');
SELECT is((SELECT period_start FROM ai.tutor_usage WHERE user_id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' AND period = 'day'),
    date_trunc('day', now(), 'UTC'), 'the day is a UTC day');
RESET ROLE;

DELETE FROM auth.users WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
SELECT is((SELECT count(*) FROM ai.tutor_usage WHERE user_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 0::bigint,
    'a deleted user''s counters go with them');

SELECT * FROM finish();
ROLLBACK;
