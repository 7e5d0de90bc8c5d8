// The server as supabase-js meets it before any service: reachable, keys that verify.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

test('GET /health answers ok', async () => {
  const res = await fetch(`${server.url}/health`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});

test('the anon and service_role keys are JWTs naming their roles', () => {
  for (const [key, role] of [[server.anonKey, 'anon'], [server.serviceKey, 'service_role']]) {
    const payload = JSON.parse(Buffer.from(key.split('.')[1], 'base64url').toString());
    assert.equal(payload.role, role);
  }
});
