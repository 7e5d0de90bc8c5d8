// Hostile input to /rest/v1: SQL in column names, operators, values, order, select and
// on_conflict; unbalanced parentheses; unknown tables and columns; huge in-lists; deep nesting.
// Each is answered with a 4xx JSON error in PostgREST's shape (or, for values, simply matches
// nothing), never a 500, and never another student's data.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');

let server, alice, bob;

before(async () => {
  server = await startServer();
  alice = await createStudent(server, 'alice');
  bob = await createStudent(server, 'bob');
  await alice.client.from('courses').insert({ user_id: alice.id, name: 'secret' });
  await bob.client.from('courses').insert({ user_id: bob.id, name: 'mine' });
  await bob.client.from('personalized').insert({ id: bob.id, prefs: { learning_pace: 'slow' } });
});
after(async () => { await server?.stop(); });

/* GET/POST as bob with a raw query string (sent as written, already encoded where needed). */
async function asBob(pathAndQuery, init = {}) {
  const res = await fetch(`${server.url}/rest/v1/${pathAndQuery}`, {
    ...init,
    headers: { apikey: server.anonKey, Authorization: `Bearer ${bob.token}`, 'Content-Type': 'application/json', ...(init.headers || {}) },
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

function assertClientError(r, what) {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: status ${r.status} ${r.text}`);
  for (const k of ['code', 'message', 'details', 'hint']) assert.ok(k in r.body, `${what}: ${k} in ${r.text}`);
  assert.ok(!r.text.includes('secret'), `${what}: leaked alice's data`);
}

const hostile = [
  ['SQL in a column name', 'courses?select=name;drop%20table%20courses'],
  ['SQL in a quoted column name', 'courses?select=%22name%22%22;drop%20table%20courses;--%22'],
  ['SQL in a filter column', 'courses?name);delete%20from%20courses;--=eq.x'],
  ['an unknown operator', 'courses?name=evil.x'],
  ['SQL in an operator', 'courses?name=eq;select%201.x'],
  ['SQL in order', 'courses?order=name;drop%20table%20courses'],
  ['an unknown order column', 'courses?order=nope.desc'],
  ['a bad order direction', 'courses?order=name.sideways'],
  ['unbalanced parentheses in select', 'courses?select=name,materials(name'],
  ['unbalanced parentheses in or', 'courses?or=(name.eq.a,name.eq.b'],
  ['an empty select item', 'courses?select=name,,id'],
  ['an unknown table', 'no_such_table?select=*'],
  ['a table in another schema', 'users?select=*'],
  ['an unknown column', 'courses?select=nope'],
  ['an unknown embedded table', 'courses?select=*,nope(*)'],
  ['a filter on an embed not selected', 'courses?materials.name=eq.x'],
  ['a cast to an unlisted type', 'courses?select=name::regclass'],
  ['SQL in a cast', 'courses?select=name::text);drop%20table%20courses;--'],
  ['a negative limit', 'courses?limit=-1'],
  ['a non-numeric offset', 'courses?offset=ten'],
  ['an is. value that is not null/true/false/unknown', 'courses?name=is.evil'],
  ['a bad fts configuration', 'courses?name=fts(eng%27lish).x'],
  ['an unknown schema profile', 'courses?select=*', { headers: { 'Accept-Profile': 'auth' } }],
  ['spreads (not supported)', 'materials?select=...courses(name)'],
];

for (const [what, path, init] of hostile) {
  test(`${what} is a 4xx JSON error`, async () => {
    assertClientError(await asBob(path, init), what);
  });
}

test('SQL in on_conflict is a 4xx JSON error', async () => {
  const r = await asBob('courses?on_conflict=id);drop%20table%20courses;--', {
    method: 'POST', headers: { Prefer: 'resolution=merge-duplicates' }, body: JSON.stringify({ user_id: bob.id, name: 'x' }),
  });
  assertClientError(r, 'on_conflict');
});

test('SQL in a value is only a value', async () => {
  const r = await asBob(`courses?name=eq.${encodeURIComponent("x' OR '1'='1")}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, []);
  const rr = await asBob(`courses?or=(name.eq.${encodeURIComponent('"x\') OR true --"')})`);
  assert.equal(rr.status, 200);
  assert.deepEqual(rr.body, []);
});

test('SQL in a (quoted) JSON path key is only a key', async () => {
  const key = "x'); drop table courses; --";
  const r = await asBob(`personalized?select=prefs->>${encodeURIComponent(`"${key}"`)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [{ [key]: null }]);
});

test('a value of the wrong type in a filter is 400 22P02', async () => {
  const r = await asBob('materials?file_size=gt.lots');
  assert.equal(r.status, 400);
  assert.equal(r.body.code, '22P02');
});

test('an in-list of 10000 values works', async () => {
  const values = Array.from({ length: 10000 }, (_, i) => `v${i}`).concat(['mine']);
  const r = await asBob(`courses?select=name&name=in.(${values.join(',')})`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, [{ name: 'mine' }]);
});

test('or=() nested deeper than the limit is a 400', async () => {
  let tree = 'name.eq.mine';
  for (let i = 0; i < 40; i++) tree = `or(${tree},name.eq.x)`;
  assertClientError(await asBob(`courses?or=(${tree})`), 'deep nesting');
});

test('or=() nested a little still works', async () => {
  let tree = 'name.eq.mine';
  for (let i = 0; i < 5; i++) tree = `or(${tree},name.eq.x)`;
  const r = await asBob(`courses?select=name&or=(${tree})`);
  assert.deepEqual(r.body, [{ name: 'mine' }]);
});

test('embedding nested deeper than the limit is a 400', async () => {
  let sel = 'id';
  for (let i = 0; i < 40; i++) sel = `courses(${sel})`;
  assertClientError(await asBob(`materials?select=${sel}`), 'deep embedding');
});

test('after all of the above, the tables are intact', () => {
  assert.equal(sql("SELECT count(*) FROM courses WHERE name IN ('secret', 'mine')"), '2');
});
