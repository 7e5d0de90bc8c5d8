// Security review findings in the request core (issue #12): a pooled database session carries
// nothing of one request into the next, the prepared-statement cache a client can shape stays
// bounded, and every response tells browsers not to sniff its type.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../api/lib/server');
const { sql } = require('../api/lib/students');

// src/db/conn.c keeps 256; the one it evicts for the counting request itself is deallocated
// just after that request, so the count may see one more
const PREPARED_MAX = 256;

let server;
before(async () => {
  sql(`CREATE OR REPLACE FUNCTION public.test_sec_set_session_setting() RETURNS text
         LANGUAGE sql AS $$ SELECT set_config('app.leak', 'left by an earlier request', false) $$;
       CREATE OR REPLACE FUNCTION public.test_sec_session_setting() RETURNS text
         LANGUAGE sql AS $$ SELECT current_setting('app.leak', true) $$;
       CREATE OR REPLACE FUNCTION public.test_sec_prepared_count() RETURNS bigint
         LANGUAGE sql AS $$ SELECT count(*) FROM pg_prepared_statements $$;
       GRANT EXECUTE ON FUNCTION public.test_sec_set_session_setting(), public.test_sec_session_setting(),
         public.test_sec_prepared_count() TO anon;
       NOTIFY pgrst, 'reload schema';`);
  // one worker with one session: every request below runs on the same PostgreSQL session
  server = await startServer({ SB_THREADS: '1', SB_DB_POOL_SIZE: '1' });
  for (let i = 0; i < 200; i++) {
    if ((await rpc('test_sec_prepared_count')).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the schema cache never showed the test functions');
});
after(async () => {
  await server?.stop();
  sql(`DROP FUNCTION IF EXISTS public.test_sec_set_session_setting(), public.test_sec_session_setting(),
         public.test_sec_prepared_count(); NOTIFY pgrst, 'reload schema';`);
});

async function rpc(name) {
  const res = await fetch(`${server.url}/rest/v1/rpc/${name}`, {
    method: 'POST', headers: { apikey: server.anonKey, 'Content-Type': 'application/json' }, body: '{}',
  });
  return { status: res.status, body: await res.json() };
}

test('a setting a function sets for the session does not reach the next request on that session', async () => {
  const set = await rpc('test_sec_set_session_setting');
  assert.equal(set.status, 200);
  assert.equal(set.body, 'left by an earlier request');
  const seen = await rpc('test_sec_session_setting');
  assert.equal(seen.status, 200);
  assert.notEqual(seen.body, 'left by an earlier request');
});

test('statements shaped by clients stay bounded in the session\'s prepared-statement cache', async () => {
  for (let i = 0; i < PREPARED_MAX + 60; i++) {
    const res = await fetch(`${server.url}/rest/v1/courses?select=c${i}:id`, { headers: { apikey: server.anonKey } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  const count = await rpc('test_sec_prepared_count');
  assert.equal(count.status, 200);
  assert.ok(Number(count.body) <= PREPARED_MAX + 1, `${count.body} statements prepared on one session`);
});

test('every response says X-Content-Type-Options: nosniff', async () => {
  for (const path of ['/health', '/rest/v1/courses', '/auth/v1/settings', '/storage/v1/bucket', '/nowhere']) {
    const res = await fetch(server.url + path, { headers: { apikey: server.anonKey } });
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
  }
});
