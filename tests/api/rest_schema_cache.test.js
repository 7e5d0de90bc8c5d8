// The schema cache: a table created after start is unknown until NOTIFY pgrst 'reload schema'
// or SIGHUP, known right after; requests keep being answered while reloads happen; and with no
// database the data API answers 503 (which supabase-js retries) rather than anything permanent.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');

let server, student;
const created = [];

before(async () => {
  server = await startServer();
  student = await createStudent(server);
});
after(async () => {
  for (const t of created) sql(`DROP TABLE IF EXISTS ${t}`);
  await server?.stop();
});

function get(path) {
  return fetch(`${server.url}/rest/v1/${path}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}` },
  });
}

function newTable() {
  const name = `notes_${crypto.randomBytes(4).toString('hex')}`;
  created.push(name);
  sql(`CREATE TABLE ${name} (id int PRIMARY KEY, body text);
       INSERT INTO ${name} VALUES (1, 'hello');
       GRANT SELECT ON ${name} TO authenticated;`);
  return name;
}

/* Waits (up to 10 s) until the server logs a schema cache load for `reason` after `since`
 * lines of log; the log line is written after the new cache is published. */
async function cacheLoaded(reason, since) {
  const fs = require('node:fs');
  const deadline = Date.now() + 10000;
  for (;;) {
    const lines = fs.readFileSync(server.logFile, 'utf8').split('\n').slice(since);
    if (lines.some((l) => l.includes('"schema cache loaded"') && l.includes(`"reason":"${reason}"`))) return;
    if (Date.now() > deadline) throw new Error(`no schema cache load (${reason}) logged`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function logLines() {
  return require('node:fs').readFileSync(server.logFile, 'utf8').split('\n').length - 1;
}

test('the first load is logged with its duration', () => {
  const line = require('node:fs').readFileSync(server.logFile, 'utf8').split('\n')
    .find((l) => l.includes('"schema cache loaded"'));
  assert.ok(line);
  assert.ok(Number(JSON.parse(line).duration_ms) > 0);
});

test('a table created after start is unknown (404) until the cache reloads', async () => {
  const t = newTable();
  const res = await get(`${t}?select=*`);
  assert.equal(res.status, 404);
  assert.equal((await res.json()).code, '42P01');
});

test("NOTIFY pgrst, 'reload schema' makes a new table available", async () => {
  const t = newTable();
  const since = logLines();
  sql("NOTIFY pgrst, 'reload schema'");
  await cacheLoaded('NOTIFY', since);
  const res = await get(`${t}?select=body`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), [{ body: 'hello' }]);
});

test('SIGHUP makes a new table available', async () => {
  const t = newTable();
  const since = logLines();
  server.process.kill('SIGHUP');
  await cacheLoaded('SIGHUP', since);
  const res = await get(`${t}?select=id`);
  assert.deepEqual(await res.json(), [{ id: 1 }]);
});

test('other notifications on pgrst do not reload the schema', async () => {
  const since = logLines();
  sql("NOTIFY pgrst, 'reload config'");
  sql("NOTIFY pgrst, 'reload schema'");
  await cacheLoaded('NOTIFY', since);
  const loads = require('node:fs').readFileSync(server.logFile, 'utf8').split('\n').slice(since)
    .filter((l) => l.includes('"schema cache loaded"'));
  assert.equal(loads.length, 1);
});

test('requests made during reloads are all answered', async () => {
  const requests = [];
  for (let i = 0; i < 20; i++) {
    if (i % 4 === 0) server.process.kill('SIGHUP');
    requests.push(get('courses?select=id').then((r) => r.status));
  }
  const statuses = await Promise.all(requests);
  assert.deepEqual([...new Set(statuses)], [200]);
});

test('with the database unreachable the data API answers 503', async () => {
  const down = await startServer({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
  try {
    const res = await fetch(`${down.url}/rest/v1/courses?select=*`, { headers: { apikey: down.anonKey } });
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.match(body.code, /^PGRST00[12]$/);
  } finally {
    await down.stop();
  }
});
