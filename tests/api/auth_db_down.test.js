// The auth service while the database cannot be reached: 503 with a JSON error (which auth-js
// retries as AuthRetryableFetchError), never a crash or a hang.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');

let server;
before(async () => {
  // a port nobody listens on: take a free one and let it go
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  server = await startServer({ DATABASE_URL: `postgresql://nobody@127.0.0.1:${port}/nothing` });
});
after(async () => { await server?.stop(); });

test('sign-up answers 503 in GoTrue\'s error shape', async () => {
  const res = await fetch(`${server.url}/auth/v1/signup`, {
    method: 'POST', headers: { apikey: server.anonKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail(), password: 'secret123' }),
  });
  assert.equal(res.status, 503);
  assert.equal((await res.json()).code, 'unexpected_failure');
});

test('supabase-js sees a retryable error for a sign-in', async () => {
  const { error } = await clientFor(server).auth.signInWithPassword({ email: uniqueEmail(), password: 'secret123' });
  assert.equal(error.name, 'AuthRetryableFetchError');
  assert.equal(error.status, 503);
});

test('the server is still healthy', async () => {
  assert.equal((await fetch(`${server.url}/health`)).status, 200);
});
