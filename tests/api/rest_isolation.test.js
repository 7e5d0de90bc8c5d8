// Isolation through /rest/v1: a second student cannot read, change, delete or add to the first
// student's rows by any route (tables, filters, embedding, counts, upsert, RPC), and anon sees
// nothing. Row Level Security in the database decides; these tests check the API keeps it so.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, clientFor } = require('./lib/server');
const { createStudent } = require('./lib/students');

let server, alice, bob, anon, admin;
const a = {};   // alice's row ids

function vec(axis) {
  const v = new Array(384).fill(0);
  v[axis] = 1;
  return v;
}

before(async () => {
  server = await startServer();
  alice = await createStudent(server, 'alice');
  bob = await createStudent(server, 'bob');
  anon = clientFor(server);
  admin = clientFor(server, server.serviceKey);
  const db = alice.client;
  await db.from('academic').insert({ id: alice.id, grade: ['Bachelor'], semester_type: 'double', semester: 2 });
  await db.from('personalized').insert({ id: alice.id, prefs: { learning_pace: 'slow' } });
  a.course = (await db.from('courses').insert({ user_id: alice.id, name: "Alice's course" }).select().single()).data.id;
  a.material = (await db.from('materials').insert({
    course_id: a.course, name: 'a.pdf', file_path: `${alice.id}/${a.course}/a.pdf`, file_type: 'application/pdf',
    file_size: 10,
  }).select().single()).data.id;
  a.chat = (await db.from('chat_history').insert({
    course_id: a.course, history: [{ role: 'user', content: 'secret question' }], embedding: vec(3),
  }).select().single()).data.id;
  for (const [k, v] of Object.entries(a)) assert.ok(v, `alice's ${k} was created`);
});
after(async () => { await server?.stop(); });

const tables = ['academic', 'personalized', 'courses', 'materials', 'chat_history'];

async function aliceStillHas(table, id, column, value) {
  const { data } = await admin.from(table).select(column).eq('id', id).single();
  assert.deepEqual(data[column], value);
}

test('bob reads none of alice\'s rows from any table', async () => {
  for (const t of tables) {
    const { data, error } = await bob.client.from(t).select('*');
    assert.equal(error, null, t);
    assert.deepEqual(data, [], t);
  }
});

test('bob finds nothing filtering on alice\'s ids, directly or through or=()', async () => {
  const { data: byId } = await bob.client.from('courses').select('*').eq('id', a.course);
  assert.deepEqual(byId, []);
  const { data: byOr } = await bob.client.from('courses').select('*').or(`user_id.eq.${alice.id},id.eq.${a.course}`);
  assert.deepEqual(byOr, []);
  const { data: byNot } = await bob.client.from('materials').select('*').not('id', 'is', null);
  assert.deepEqual(byNot, []);
});

test('bob sees no rows of alice through embedding in either direction', async () => {
  const { data: down } = await bob.client.from('materials').select('*, courses(*)');
  assert.deepEqual(down, []);
  await bob.client.from('courses').insert({ user_id: bob.id, name: "Bob's course" });
  const { data: up } = await bob.client.from('courses').select('name, materials(*), chat_history(*)');
  assert.deepEqual(up, [{ name: "Bob's course", materials: [], chat_history: [] }]);
});

test('an exact count does not reveal alice\'s rows to bob', async () => {
  const { count, error } = await bob.client.from('chat_history').select('*', { count: 'exact', head: true });
  assert.equal(error, null);
  assert.equal(count, 0);
});

test('bob\'s update of alice\'s course changes nothing', async () => {
  const { data, error } = await bob.client.from('courses').update({ name: 'hacked' }).eq('id', a.course).select();
  assert.equal(error, null);
  assert.deepEqual(data, []);
  await aliceStillHas('courses', a.course, 'name', "Alice's course");
});

test('bob\'s delete of alice\'s rows deletes nothing', async () => {
  await bob.client.from('materials').delete().eq('id', a.material);
  await bob.client.from('chat_history').delete().eq('course_id', a.course);
  await bob.client.from('academic').delete().eq('id', alice.id);
  await aliceStillHas('materials', a.material, 'name', 'a.pdf');
  await aliceStillHas('chat_history', a.chat, 'course_id', a.course);
  await aliceStillHas('academic', alice.id, 'semester', 2);
});

test('bob cannot insert a material or a chat into alice\'s course', async () => {
  const m = await bob.client.from('materials').insert({
    course_id: a.course, name: 'x.pdf', file_path: 'x', file_type: 'application/pdf', file_size: 1,
  });
  assert.equal(m.status, 403);
  assert.equal(m.error.code, '42501');
  const c = await bob.client.from('chat_history').insert({ course_id: a.course, history: [] });
  assert.equal(c.status, 403);
  const { count } = await admin.from('materials').select('*', { count: 'exact', head: true }).eq('course_id', a.course);
  assert.equal(count, 1);
});

test('bob cannot create a course owned by alice', async () => {
  const { status, error } = await bob.client.from('courses').insert({ user_id: alice.id, name: 'planted' });
  assert.equal(status, 403);
  assert.equal(error.code, '42501');
});

test('bob cannot take over alice\'s course with an upsert on its id', async () => {
  const { error } = await bob.client.from('courses')
    .upsert({ id: a.course, user_id: bob.id, name: 'taken' }, { onConflict: 'id' });
  assert.notEqual(error, null);
  await aliceStillHas('courses', a.course, 'name', "Alice's course");
});

test('match_chat_history as bob does not return alice\'s chat', async () => {
  const { data, error } = await bob.client.rpc('match_chat_history', {
    query_embedding: vec(3), match_threshold: 0, match_count: 10,
  });
  assert.equal(error, null);
  assert.deepEqual(data, []);
  const own = await alice.client.rpc('match_chat_history', {
    query_embedding: vec(3), match_threshold: 0, match_count: 10,
  });
  assert.deepEqual(own.data.map((r) => r.id), [a.chat]);
});

test('append_chat_messages as bob on alice\'s chat is not found and appends nothing', async () => {
  const { status, error } = await bob.client.rpc('append_chat_messages', {
    chat_id: a.chat, messages: [{ role: 'user', content: 'injected' }],
  });
  assert.equal(status, 404);
  assert.equal(error.code, 'PT404');
  const { data } = await admin.from('chat_history').select('history').eq('id', a.chat).single();
  assert.equal(data.history.length, 1);
});

test('anon reads nothing from any table', async () => {
  for (const t of tables) {
    const { data, error } = await anon.from(t).select('*');
    assert.equal(error, null, t);
    assert.deepEqual(data, [], t);
  }
});

test('anon cannot insert (401, as PostgREST answers anon permission errors)', async () => {
  const { status, error } = await anon.from('courses').insert({ user_id: alice.id, name: 'anon course' });
  assert.equal(status, 401);
  assert.equal(error.code, '42501');
});

test('a token with a bad signature is refused with 401 PGRST301', async () => {
  const forged = alice.token.slice(0, -4) + (alice.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const res = await fetch(`${server.url}/rest/v1/courses?select=*`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${forged}` },
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'PGRST301');
  assert.match(res.headers.get('www-authenticate'), /^Bearer /);
});

test('a correctly signed token naming a role other than the API roles is refused with 401', async () => {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: alice.id, role: 'postgres', aud: 'authenticated', exp: now + 60 })}`;
  const sig = crypto.createHmac('sha256', server.env.SB_JWT_SECRET).update(unsigned).digest('base64url');
  const res = await fetch(`${server.url}/rest/v1/courses?select=*`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${unsigned}.${sig}` },
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'PGRST301');
});
