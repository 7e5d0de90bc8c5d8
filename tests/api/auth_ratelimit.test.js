// Rate limits: per client address on /token (SB_RATE_LIMIT_TOKEN) and per email address on
// sign-up, sign-in, recover and verify (SB_RATE_LIMIT_EMAIL), answered 429 over_request_rate_limit.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');
const { authFetch } = require('./lib/auth');

let server;
before(async () => {
  server = await startServer({ SB_RATE_LIMIT_TOKEN: '5', SB_RATE_LIMIT_EMAIL: '2', SB_RATE_LIMIT_VERIFY: '1000' });
});
after(async () => { await server?.stop(); });

const recover = (email) => authFetch(server, '/recover', { method: 'POST', body: { email } });

test('one address may ask for recovery twice, the third time is 429 over_request_rate_limit', async () => {
  const email = uniqueEmail();
  assert.equal((await recover(email)).status, 200);
  assert.equal((await recover(email)).status, 200);
  const res = await recover(email);
  assert.equal(res.status, 429);
  const body = await res.json();
  assert.equal(body.code, 'over_request_rate_limit');
  assert.equal(body.msg, 'Request rate limit reached');
});

test('another address is not held back by the first one\'s limit', async () => {
  const email = uniqueEmail();
  for (let i = 0; i < 3; i++) await recover(email);
  assert.equal((await recover(uniqueEmail())).status, 200);
});

test('sign-in attempts from one client address beyond SB_RATE_LIMIT_TOKEN get 429 through supabase-js', async () => {
  const client = clientFor(server);
  const codes = [];
  for (let i = 0; i < 6; i++) {
    const { error } = await client.auth.signInWithPassword({ email: uniqueEmail(), password: 'wrong-pass' });
    codes.push(error.code);
  }
  assert.deepEqual(codes.slice(0, 5), Array(5).fill('invalid_credentials'));
  assert.equal(codes[5], 'over_request_rate_limit');
});

test('a client over the limit stays refused on its next attempt', async () => {
  const { error } = await clientFor(server).auth.signInWithPassword({ email: uniqueEmail(), password: 'x' });
  assert.equal(error.status, 429);
});
