// The request core never blocks a worker: a request waiting for PostgreSQL is a suspended
// fiber, and the worker goes on with other requests (bcrypt's job pool is specified by
// tests/unit/core/test_jobs.c). Each server here has
// ONE worker (SB_THREADS=1), so any request that held its worker would hold every other one.
// Past the pool of database sessions, requests wait a bounded time and then get 503.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { sql } = require('./lib/students');

const SLEEP_SECONDS = 3;

before(() => {
  sql(`CREATE OR REPLACE FUNCTION public.test_core_sleep(seconds double precision) RETURNS integer
         LANGUAGE sql AS $$ SELECT pg_sleep(seconds); SELECT 1 $$;
       GRANT EXECUTE ON FUNCTION public.test_core_sleep(double precision) TO anon, authenticated;
       NOTIFY pgrst, 'reload schema';`);
});
after(() => {
  sql(`DROP FUNCTION IF EXISTS public.test_core_sleep(double precision); NOTIFY pgrst, 'reload schema';`);
});

async function get(server, path, headers = {}) {
  const res = await fetch(server.url + path, { headers: { apikey: server.anonKey, ...headers } });
  return { status: res.status, body: await res.text() };
}

/* Waits (bounded) until the server's schema cache has the sleep function. */
async function untilSleepIsCallable(server) {
  for (let i = 0; i < 200; i++) {
    const r = await get(server, '/rest/v1/rpc/test_core_sleep?seconds=0');
    if (r.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the schema cache never showed test_core_sleep');
}

/* Starts n sleeping RPC calls; resolves once PostgreSQL runs all of them. Returns their
 * promises and a flag object telling whether any has answered yet. */
async function startSleepers(server, n) {
  const state = { answered: 0 };
  const calls = [];
  for (let i = 0; i < n; i++) {
    calls.push(get(server, `/rest/v1/rpc/test_core_sleep?seconds=${SLEEP_SECONDS}`).then((r) => {
      state.answered++;
      return r;
    }));
  }
  for (let i = 0; i < 400; i++) {
    const running = Number(sql(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%test_core_sleep%'
                                  AND state = 'active' AND pid <> pg_backend_pid()`));
    if (running >= n) return { calls, state };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the ${n} sleeping calls never all ran`);
}

test('/health answers while four requests wait for the database on the only worker', async () => {
  const server = await startServer({ SB_THREADS: '1', SB_DB_POOL_SIZE: '8' });
  try {
    await untilSleepIsCallable(server);
    const { calls, state } = await startSleepers(server, 4);
    const health = await get(server, '/health');
    assert.equal(health.status, 200);
    assert.equal(state.answered, 0, 'health answered while every sleeper still waited');
    for (const r of await Promise.all(calls)) assert.equal(r.status, 200);
  } finally {
    await server.stop();
  }
});

test('a read answers from a free session while four others sleep on the only worker', async () => {
  const server = await startServer({ SB_THREADS: '1', SB_DB_POOL_SIZE: '8' });
  try {
    await untilSleepIsCallable(server);
    const { calls, state } = await startSleepers(server, 4);
    const read = await get(server, '/rest/v1/courses?select=id&limit=1');
    assert.equal(read.status, 200);
    assert.equal(state.answered, 0, 'the read answered while every sleeper still waited');
    await Promise.all(calls);
  } finally {
    await server.stop();
  }
});

test('past the pool, a request waits at most SB_DB_POOL_TIMEOUT_MS and gets 503 in its service shape', async () => {
  const server = await startServer({ SB_THREADS: '1', SB_DB_POOL_SIZE: '1', SB_DB_POOL_TIMEOUT_MS: '200' });
  try {
    await untilSleepIsCallable(server);
    const { calls, state } = await startSleepers(server, 1);
    const rest = await get(server, '/rest/v1/courses?select=id');
    assert.equal(rest.status, 503);
    assert.equal(JSON.parse(rest.body).code, 'PGRST003');
    const storage = await get(server, '/storage/v1/bucket', { Authorization: `Bearer ${server.serviceKey}` });
    assert.equal(storage.status, 503);
    assert.equal(JSON.parse(storage.body).statusCode, '503');
    const health = await get(server, '/health');
    assert.equal(health.status, 200);
    assert.equal(state.answered, 0, 'the refusals came while the sleeper held the only session');
    assert.equal((await calls[0]).status, 200);
    assert.equal((await get(server, '/rest/v1/courses?select=id')).status, 200, 'the session serves again');
  } finally {
    await server.stop();
  }
});
