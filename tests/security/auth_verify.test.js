// Security (#12): POST/GET /auth/v1/verify. A mailed code is checked for the user found by the
// exact address it is presented with, never by a hash of address and code that another address
// and code can collide with ("victim@example.com4" + "54885" once opened the account of
// victim@example.com whose code was 454885); what the database keeps of a code gives neither the
// code nor a usable link without the server's secret; the per-address rate limit applies to
// links (token_hash) as it does to codes.
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, uniqueEmail } = require('../api/lib/server');
const { startMailSink, linkAndCode } = require('../api/lib/mailsink');
const { authFetch } = require('../api/lib/auth');
const { sql } = require('../api/lib/students');

let server, sink;
before(async () => {
  sink = await startMailSink();
  server = await startServer({ SB_SMTP_HOST: '127.0.0.1', SB_SMTP_PORT: String(sink.port) });
});
after(async () => { await server?.stop(); await sink?.stop(); });

/* A confirmed user made through the admin API (so no rate limit is charged for it). */
async function confirmedUser(on, email = uniqueEmail('victim')) {
  const res = await authFetch(on, '/admin/users', {
    method: 'POST', key: on.serviceKey, headers: { Authorization: `Bearer ${on.serviceKey}` },
    body: { email, password: 'secret123', email_confirm: true },
  });
  assert.equal(res.status, 200, await res.text());
  return email;
}

/* Asks for a recovery mail to email and returns its link token and code. */
async function recoveryMail(on, mailSink, email) {
  assert.equal((await authFetch(on, '/recover', { method: 'POST', body: { email } })).status, 200);
  const { link, code } = linkAndCode(await mailSink.lastMailTo(email));
  return { tokenHash: new URL(link).searchParams.get('token'), code };
}

const verify = (on, body) => authFetch(on, '/verify', { method: 'POST', body: { type: 'recovery', ...body } });

const storedToken = (email) => sql(`SELECT recovery_token FROM auth.users WHERE email = :'email'`, { email });

test('a code presented with the victim\'s address plus a suffix taken from the code is refused', async () => {
  const victim = await confirmedUser(server);
  const { code } = await recoveryMail(server, sink, victim);
  const res = await verify(server, { email: `${victim}${code[0]}`, token: code.slice(1) });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).code, 'otp_expired');
});

test('a correct code for one user does not verify with another user\'s address', async () => {
  const a = await confirmedUser(server);
  const { code } = await recoveryMail(server, sink, a);
  const b = await confirmedUser(server, `${a}${code[0]}`); // the address that collided with a's
  await recoveryMail(server, sink, b);
  for (const token of [code, code.slice(1)]) {
    const res = await verify(server, { email: b, token });
    assert.equal(res.status, 403, `a's code as ${token} with b's address`);
  }
});

test('what the database keeps of a mailed code is no plain hash of the address and the code', async () => {
  const email = await confirmedUser(server);
  const { code } = await recoveryMail(server, sink, email);
  const stored = storedToken(email);
  assert.ok(stored);
  const id = sql(`SELECT id FROM auth.users WHERE email = :'email'`, { email });
  for (const algorithm of ['sha224', 'sha256', 'sha1', 'md5']) {
    for (const text of [email + code, code + email, code, `${email}:${code}`, `${email}\0${code}`, id + code,
      `recovery\0${id}\0${code}`]) {
      const hash = crypto.createHash(algorithm).update(text).digest('hex');
      assert.notEqual(stored, hash, `${algorithm}(${JSON.stringify(text)})`);
    }
  }
});

test('what the database keeps of a mailed code is not itself a usable link token', async () => {
  const email = await confirmedUser(server);
  await recoveryMail(server, sink, email);
  const res = await verify(server, { token_hash: storedToken(email) });
  assert.equal(res.status, 403);
});

test('a mailed code verifies only on a server with the secret that made it', async () => {
  const other = await startServer(); // same database, a secret of its own
  try {
    const email = await confirmedUser(server);
    const { code } = await recoveryMail(server, sink, email);
    assert.equal((await verify(other, { email, token: code })).status, 403);
    assert.equal((await verify(server, { email, token: code })).status, 200);
  } finally {
    await other.stop();
  }
});

describe('the per-address limit (SB_RATE_LIMIT_EMAIL=3) on links', () => {
  // the same mail sink and secret: every server on a database sends the mail any of them queued
  let limited;
  before(async () => {
    limited = await startServer({
      SB_SMTP_HOST: '127.0.0.1', SB_SMTP_PORT: String(sink.port), SB_JWT_SECRET: server.env.SB_JWT_SECRET,
      SB_RATE_LIMIT_EMAIL: '3',
    });
  });
  after(async () => { await limited?.stop(); });

  /* A user whose address has used its 3 requests: the recovery mail and two wrong codes. */
  async function addressOverItsLimit() {
    const email = await confirmedUser(limited);
    const mail = await recoveryMail(limited, sink, email);
    const wrong = mail.code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 2; i++) assert.equal((await verify(limited, { email, token: wrong })).status, 403);
    return mail;
  }

  test('a link token sent to POST /verify is refused once its user\'s address is over the limit', async () => {
    const { tokenHash } = await addressOverItsLimit();
    const res = await verify(limited, { token_hash: tokenHash });
    assert.equal(res.status, 429);
    assert.equal((await res.json()).code, 'over_request_rate_limit');
  });

  test('a link opened with GET /verify is refused once its user\'s address is over the limit', async () => {
    const { tokenHash } = await addressOverItsLimit();
    const res = await fetch(`${limited.url}/auth/v1/verify?token=${tokenHash}&type=recovery`, { redirect: 'manual' });
    assert.equal(res.status, 429);
  });
});
