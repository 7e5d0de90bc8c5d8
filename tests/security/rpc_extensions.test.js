// Issue #12: the functions of extensions were callable through /rest/v1/rpc by anyone holding
// the anon key (pgcrypto's crypt burning seconds of CPU per call, pg_trgm's set_limit changing a
// session setting, uuid-ossp's and vector's functions). The data API exposes only the functions
// the application defines: for anon and authenticated alike, a function of an extension answers
// exactly as a function that does not exist (404 PGRST202), whether the extension lives in
// schema extensions (db/platform/005_extensions.sql) or was left in public; the app's own RPCs
// keep working.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('../api/lib/server');
const { createStudent, sql } = require('../api/lib/students');

let server, student;
const suffix = crypto.randomBytes(4).toString('hex');
const missing = `no_such_function_${suffix}`;      // a name no function has
const probe = `rpc_extensions_probe_${suffix}`;    // an app function, created by one test
const leftInPublic = 'fuzzystrmatch';              // installed into public by one test

before(async () => {
  server = await startServer();
  student = await createStudent(server, 'rpc-ext');
});
after(async () => {
  sql(`DROP EXTENSION IF EXISTS ${leftInPublic}; DROP FUNCTION IF EXISTS public.${probe}();
       NOTIFY pgrst, 'reload schema';`);
  await server?.stop();
});

function roles() {
  return [['anon', server.anonKey], ['authenticated', student.token]];
}

function rpc(fn, token, { method = 'POST', body, query = '' } = {}) {
  return fetch(`${server.url}/rest/v1/rpc/${fn}${query}`, {
    method,
    headers: { apikey: server.anonKey, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/* The answer to a call of fn, and the answer to the same call of a function that does not
 * exist, with that function's name replaced by fn (so the two compare equal when fn is unknown). */
async function answerAndUnknown(fn, token, call) {
  const res = await rpc(fn, token, call);
  const unknown = await rpc(missing, token, call);
  return {
    status: res.status,
    body: await res.text(),
    unknownStatus: unknown.status,
    unknownBody: (await unknown.text()).replaceAll(missing, fn),
  };
}

/* Asserts that fn, called with its arguments the way the old server ran it (POST, the
 * function's unnamed parameters as the key ""), is an unknown function for anon and
 * authenticated. */
async function assertNotExposed(fn, body) {
  for (const [role, token] of roles()) {
    const a = await answerAndUnknown(fn, token, { body });
    assert.equal(a.status, 404, `${role}: ${a.body}`);
    const err = JSON.parse(a.body);
    assert.equal(err.code, 'PGRST202', `${role}: ${a.body}`);
    assert.match(err.message, new RegExp(`^Could not find the function public\\.${fn}\\(`));
    assert.equal(a.body, a.unknownBody, `${role}: answers as a function that does not exist`);
  }
}

test("pgcrypto's crypt is not a function of the data API", async () => {
  await assertNotExposed('crypt', { '': 'password' });
});

test("the issue's GET /rpc/crypt?=pw&=<bcrypt setting> computes no hash and answers as for an unknown function", async () => {
  const setting = '$2a$04$abcdefghijklmnopqrstuu';
  const query = `?=pw&=${encodeURIComponent(setting)}`;
  for (const [role, token] of roles()) {
    const a = await answerAndUnknown('crypt', token, { method: 'GET', query });
    assert.notEqual(a.status, 200, `${role}: ${a.body}`);
    assert.ok(!a.body.includes('$2a$04$'), `${role}: no hash in ${a.body}`);
    assert.equal(a.status, a.unknownStatus, `${role}: ${a.body}`);
    assert.equal(a.body, a.unknownBody, `${role}: answers as a function that does not exist`);
  }
});

test("pgcrypto's gen_salt is not a function of the data API", async () => {
  await assertNotExposed('gen_salt', { '': 'bf' });
});

test("pg_trgm's set_limit is not a function of the data API", async () => {
  await assertNotExposed('set_limit', { '': 0.9 });
});

test("uuid-ossp's uuid_generate_v4 is not a function of the data API", async () => {
  await assertNotExposed('uuid_generate_v4', {});
});

test("the vector extension's l2_normalize is not a function of the data API", async () => {
  await assertNotExposed('l2_normalize', { '': '[3,4]' });
});

test('an extension left in schema public exposes none of its functions either', async () => {
  // The database owner installs one into public after the platform ran (as a plain CREATE
  // EXTENSION with public first on the search path would), next to an app function of its own.
  sql(`CREATE EXTENSION ${leftInPublic} SCHEMA public;
       CREATE FUNCTION public.${probe}() RETURNS int LANGUAGE sql AS 'SELECT 1';
       GRANT EXECUTE ON FUNCTION public.${probe}() TO anon, authenticated;
       NOTIFY pgrst, 'reload schema';`);
  // the reload has happened once the app function is callable (bounded wait)
  const deadline = Date.now() + 10000;
  while ((await rpc(probe, server.anonKey, { body: {} })).status !== 200) {
    assert.ok(Date.now() < deadline, `the schema cache did not reload with public.${probe}()`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await assertNotExposed('soundex', { '': 'Robert' });
  await assertNotExposed('levenshtein', { '': 'kitten' });
});

function vec(axis) {
  const v = new Array(384).fill(0);
  v[axis] = 1;
  return v;
}

test("the app's own RPCs still work: append_chat_messages and match_chat_history", async () => {
  const db = student.client;
  const { data: course, error: e1 } = await db.from('courses').insert({ user_id: student.id, name: 'rpc-ext' })
    .select().single();
  assert.equal(e1, null);
  const { data: chat, error: e2 } = await db.from('chat_history')
    .insert({ course_id: course.id, history: [], embedding: vec(7) }).select('id').single();
  assert.equal(e2, null);

  const { data: appended, error: e3 } = await db.rpc('append_chat_messages', {
    chat_id: chat.id, messages: [{ role: 'user', content: 'hello' }],
  });
  assert.equal(e3, null);
  assert.deepEqual(appended.map((r) => r.history), [[{ role: 'user', content: 'hello' }]]);
  // The append queued the chat for the server's embedder; an embedding the student writes
  // now is their own, and the embedder leaves it alone.
  const { error: e5 } = await db.from('chat_history').update({ embedding: vec(7) }).eq('id', chat.id);
  assert.equal(e5, null);

  const { data: found, error: e4 } = await db.rpc('match_chat_history', {
    query_embedding: vec(7), match_threshold: 0.99, match_count: 5, filter_course_id: course.id,
  });
  assert.equal(e4, null);
  assert.deepEqual(found.map((r) => [r.id, r.similarity]), [[chat.id, 1]]);
});
