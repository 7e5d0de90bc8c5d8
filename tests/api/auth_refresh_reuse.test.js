// Refresh-token reuse detection with the reuse interval at 0 (SB_REFRESH_TOKEN_REUSE_INTERVAL):
// a rotated token presented again is taken as stolen and ends its session.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');

let server;
before(async () => { server = await startServer({ SB_REFRESH_TOKEN_REUSE_INTERVAL: '0' }); });
after(async () => { await server?.stop(); });

async function rotatedOnce() {
  const client = clientFor(server);
  const { data } = await client.auth.signUp({ email: uniqueEmail(), password: 'secret123' });
  const { data: refreshed } = await clientFor(server).auth.refreshSession({ refresh_token: data.session.refresh_token });
  return { old: data.session, current: refreshed.session };
}

test('a rotated refresh token presented again is refresh_token_already_used', async () => {
  const { old } = await rotatedOnce();
  const { error } = await clientFor(server).auth.refreshSession({ refresh_token: old.refresh_token });
  assert.equal(error.status, 400);
  assert.equal(error.code, 'refresh_token_already_used');
});

test('after a reuse the session\'s current refresh token is refused too', async () => {
  const { old, current } = await rotatedOnce();
  await clientFor(server).auth.refreshSession({ refresh_token: old.refresh_token });
  const { error } = await clientFor(server).auth.refreshSession({ refresh_token: current.refresh_token });
  assert.equal(error.code, 'refresh_token_not_found');
});

test('after a reuse the session\'s access token no longer reaches /user', async () => {
  const { old, current } = await rotatedOnce();
  await clientFor(server).auth.refreshSession({ refresh_token: old.refresh_token });
  const { error } = await clientFor(server).auth.getUser(current.access_token);
  assert.equal(error.name, 'AuthSessionMissingError');
});

test('the current token, never reused, keeps working', async () => {
  const { current } = await rotatedOnce();
  const { error } = await clientFor(server).auth.refreshSession({ refresh_token: current.refresh_token });
  assert.equal(error, null);
});
