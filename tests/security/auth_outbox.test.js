// Security (#12): mail leaves the request path. A request that mails (here /recover) answers
// without waiting for the SMTP server: the mail is queued in auth.mail_outbox with its token and
// sent by a background thread. A token whose mail cannot be delivered must not stay usable:
// when the mail finally fails, or when no SMTP server is configured at all, the token is void.
// The queued body is sealed: the outbox does not give the link that the users table hides.
// Each test starts its own server with its own SMTP set-up (one at a time: every server on a
// database sends the mail any of them queued).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, uniqueEmail } = require('../api/lib/server');
const { startMailSink, startStalledSmtp, outboxSettled, linkAndCode, until } = require('../api/lib/mailsink');
const { authFetch } = require('../api/lib/auth');
const { sql } = require('../api/lib/students');

async function withServer(env, run) {
  const server = await startServer(env);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const smtpAt = (port) => ({ SB_SMTP_HOST: '127.0.0.1', SB_SMTP_PORT: String(port) });

async function confirmedUser(server) {
  const email = uniqueEmail('outbox');
  const res = await authFetch(server, '/admin/users', {
    method: 'POST', key: server.serviceKey, headers: { Authorization: `Bearer ${server.serviceKey}` },
    body: { email, password: 'secret123', email_confirm: true },
  });
  assert.equal(res.status, 200, await res.text());
  return email;
}

const recover = (server, email) => authFetch(server, '/recover', { method: 'POST', body: { email } });
const verify = (server, body) => authFetch(server, '/verify', { method: 'POST', body: { type: 'recovery', ...body } });

test('/recover answers while the SMTP server is stalled on an earlier mail', async () => {
  const stall = await startStalledSmtp();
  try {
    await withServer(smtpAt(stall.port), async (server) => {
      const first = await confirmedUser(server);
      const second = await confirmedUser(server);
      const firstAnswer = recover(server, first);
      await stall.waitForStalledClient(); // the server is now talking to an SMTP server that never answers
      const res = await recover(server, second);
      const stalledWhenAnswered = stall.open;
      assert.equal(res.status, 200);
      assert.equal(stalledWhenAnswered, 1, 'the stalled SMTP connection was still open when the answer came');
      assert.equal((await firstAnswer).status, 200);
    });
  } finally {
    await stall.stop();
  }
});

test('a recovery link whose mail the SMTP server refused no longer verifies, nor does its code', async () => {
  const refusing = await startMailSink({ refuse: true }); // keeps the mail, then answers 550
  try {
    await withServer(smtpAt(refusing.port), async (server) => {
      const email = await confirmedUser(server);
      await recover(server, email);
      const { link, code } = linkAndCode(await refusing.lastMailTo(email));
      await outboxSettled(email); // the server has heard the refusal and given the mail up
      const tokenHash = new URL(link).searchParams.get('token');
      assert.equal((await verify(server, { token_hash: tokenHash })).status, 403);
      assert.equal((await verify(server, { email, token: code })).status, 403);
    });
  } finally {
    await refusing.stop();
  }
});

test('the refused mail stays in the outbox, marked failed with the SMTP error', async () => {
  const refusing = await startMailSink({ refuse: true });
  try {
    await withServer(smtpAt(refusing.port), async (server) => {
      const email = await confirmedUser(server);
      assert.equal((await recover(server, email)).status, 200);
      await refusing.lastMailTo(email);
      await outboxSettled(email);
      const row = sql(`SELECT failed_at IS NOT NULL, last_error FROM auth.mail_outbox WHERE recipient = :'email'`,
        { email });
      assert.match(row, /^t\|.*550/);
    });
  } finally {
    await refusing.stop();
  }
});

test('a queued mail\'s body holds neither its link nor its code in clear', async () => {
  const refusing = await startMailSink({ refuse: true }); // the row is kept, and the sink has the mail
  try {
    await withServer(smtpAt(refusing.port), async (server) => {
      const email = await confirmedUser(server);
      await recover(server, email);
      const { link, code } = linkAndCode(await refusing.lastMailTo(email));
      await outboxSettled(email);
      const body = sql(`SELECT body FROM auth.mail_outbox WHERE recipient = :'email'`, { email });
      assert.ok(body.length > 0);
      for (const secret of [new URL(link).searchParams.get('token'), code, '/auth/v1/verify']) {
        assert.ok(!body.includes(secret), `the body shows ${secret}`);
      }
    });
  } finally {
    await refusing.stop();
  }
});

test('a mail the SMTP server cannot be reached for waits in the outbox for a later try', async () => {
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
  await withServer(smtpAt(port), async (server) => {
    const email = await confirmedUser(server);
    assert.equal((await recover(server, email)).status, 200);
    const row = await until(() => {
      const r = sql(`SELECT attempts, failed_at IS NULL, next_attempt_at > now(), last_error IS NOT NULL
                       FROM auth.mail_outbox WHERE recipient = :'email'`, { email });
      return r.startsWith('1|') && r;
    }, 'the first failed try');
    assert.equal(row, '1|t|t|t');
    assert.notEqual(sql(`SELECT recovery_token FROM auth.users WHERE email = :'email'`, { email }), '');
  });
});

test('without an SMTP server /recover fails as it always did and leaves no recovery token', async () => {
  await withServer({}, async (server) => {
    const email = await confirmedUser(server);
    const res = await recover(server, email);
    assert.equal(res.status, 500);
    assert.equal((await res.json()).code, 'unexpected_failure');
    assert.equal(sql(`SELECT recovery_token IS NULL FROM auth.users WHERE email = :'email'`, { email }), 't');
  });
});

test('the outbox is for service_role alone: anon and authenticated have no privilege on it', () => {
  for (const role of ['anon', 'authenticated']) {
    for (const privilege of ['SELECT', 'INSERT', 'UPDATE', 'DELETE']) {
      assert.equal(sql(`SELECT has_table_privilege(:'role', 'auth.mail_outbox', :'privilege')`, { role, privilege }), 'f',
        `${role} ${privilege}`);
    }
  }
});
