-- db/platform/006_mail_outbox.sql: the auth service's mail outbox. A queued mail is due at once;
-- a mail given up voids the token it carried, and only that token; the outbox is for service_role
-- alone. (The NOTIFY of a queued mail is delivered at commit: tests/security/auth_outbox.test.js
-- sees the sender wake.)
BEGIN;
\ir lib/helpers.sql
SELECT plan(9);

SELECT test.create_user('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'a@example.com');
UPDATE auth.users SET recovery_token = 'stored-1', confirmation_token = 'stored-2', email_change_token_new = 'stored-3'
 WHERE id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

INSERT INTO auth.mail_outbox (id, kind, recipient, subject, body, user_id, token_kind, token_hash) VALUES
    (1, 'recovery', 'a@example.com', 's', 'b', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'recovery', 'stored-1'),
    (2, 'signup', 'a@example.com', 's', 'b', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'confirmation', 'an older token'),
    (3, 'email_change', 'new@example.com', 's', 'b', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'email_change', 'stored-3');

SELECT is((SELECT attempts FROM auth.mail_outbox WHERE id = 1), 0, 'a queued mail has not been tried');
SELECT ok((SELECT next_attempt_at <= now() AND failed_at IS NULL FROM auth.mail_outbox WHERE id = 1),
    'a queued mail is due at once');

SELECT auth.sb_mail_failed(1, 'refused (SMTP 550)');
SELECT is((SELECT recovery_token FROM auth.users), NULL, 'a recovery mail given up voids its recovery token');
SELECT is((SELECT last_error FROM auth.mail_outbox WHERE id = 1), 'refused (SMTP 550)',
    'the row is kept with the error');
SELECT ok((SELECT failed_at IS NOT NULL FROM auth.mail_outbox WHERE id = 1), 'the row is marked failed');

SELECT auth.sb_mail_failed(2, 'refused');
SELECT is((SELECT confirmation_token FROM auth.users), 'stored-2',
    'a mail given up leaves alone a token that a later mail set');

SELECT auth.sb_mail_failed(3, 'refused');
SELECT is((SELECT email_change_token_new FROM auth.users), NULL, 'an email change mail given up voids its token');

SET LOCAL ROLE authenticated;
SELECT throws_ok($$SELECT * FROM auth.mail_outbox$$, '42501', NULL, 'authenticated cannot read the outbox');
RESET ROLE;
SET LOCAL ROLE anon;
SELECT throws_ok($$SELECT auth.sb_mail_failed(1, 'x')$$, '42501', NULL, 'anon cannot give a mail up');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
