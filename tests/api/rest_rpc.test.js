// Functions through /rest/v1/rpc with supabase-js: POST with named arguments, GET with query
// arguments, filters/order/limit/select on set-returning results, unknown functions, the
// course-scoped match_chat_history, and append_chat_messages under 50 concurrent calls.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');

let server, student, db;
const course = {};

function vec(axis, wobble = 0) {
  const v = new Array(384).fill(0);
  v[axis] = 1;
  v[axis + 1] = wobble;
  return v;
}

before(async () => {
  server = await startServer();
  student = await createStudent(server);
  db = student.client;
  const { data } = await db.from('courses').insert([
    { user_id: student.id, name: 'A' }, { user_id: student.id, name: 'B' },
  ]).select();
  for (const c of data) course[c.name] = c.id;
  await db.from('chat_history').insert([
    { course_id: course.A, history: [{ role: 'user', content: 'a1' }], embedding: vec(0, 0.05) },
    { course_id: course.A, history: [{ role: 'user', content: 'a2' }], embedding: vec(0, 0.3) },
    { course_id: course.B, history: [{ role: 'user', content: 'b1' }], embedding: vec(0, 0.1) },
    { course_id: course.B, history: [{ role: 'user', content: 'no embedding' }] },
  ]);
});
after(async () => { await server?.stop(); });

const contents = (rows) => rows.map((r) => r.history[0].content);

test('match_chat_history orders by similarity and stops at match_count', async () => {
  const { data, error } = await db.rpc('match_chat_history', { query_embedding: vec(0), match_threshold: 0.5, match_count: 2 });
  assert.equal(error, null);
  assert.deepEqual(contents(data), ['a1', 'b1']);
});

test('match_chat_history leaves out chats below the threshold', async () => {
  const { data } = await db.rpc('match_chat_history', { query_embedding: vec(0), match_threshold: 0.99, match_count: 10 });
  assert.deepEqual(contents(data), ['a1', 'b1']);
  const sims = data.map((r) => r.similarity);
  assert.ok(sims.every((s) => s > 0.99 && s <= 1));
});

test('match_chat_history with filter_course_id searches one course', async () => {
  const { data } = await db.rpc('match_chat_history', {
    query_embedding: vec(0), match_threshold: 0, match_count: 10, filter_course_id: course.B,
  });
  assert.deepEqual(contents(data), ['b1']);
});

test('GET rpc takes the arguments from the query string', async () => {
  const { data, error } = await db.rpc('match_chat_history', {
    query_embedding: JSON.stringify(vec(0)), match_threshold: 0.5, match_count: 1,
  }, { get: true });
  assert.equal(error, null);
  assert.deepEqual(contents(data), ['a1']);
});

test('select, filters and limit apply to a function\'s rows', async () => {
  const { data, error } = await db.rpc('match_chat_history', { query_embedding: vec(0), match_threshold: 0, match_count: 10 })
    .select('course_id').eq('course_id', course.A).limit(1);
  assert.equal(error, null);
  assert.deepEqual(data, [{ course_id: course.A }]);
});

test('a count on a function\'s rows', async () => {
  const { count, error } = await db.rpc('match_chat_history',
    { query_embedding: vec(0), match_threshold: 0, match_count: 10 }, { count: 'exact' });
  assert.equal(error, null);
  assert.equal(count, 3);
});

test('GET on a function that writes is refused with 405 and writes nothing', async () => {
  const { data: chat } = await db.from('chat_history').insert({ course_id: course.A, history: [] }).select().single();
  const { status, error } = await db.rpc('append_chat_messages',
    { chat_id: chat.id, messages: JSON.stringify([{ role: 'user', content: 'x' }]) }, { get: true });
  assert.equal(status, 405);
  assert.equal(error.code, '25006');
  const { data } = await db.from('chat_history').select('history').eq('id', chat.id).single();
  assert.deepEqual(data.history, []);
});

test('head: true on a function gives its count without rows', async () => {
  const { data, count, error } = await db.rpc('match_chat_history',
    { query_embedding: JSON.stringify(vec(0)), match_threshold: 0, match_count: 10 }, { head: true, count: 'exact' });
  assert.equal(error, null);
  assert.equal(data, null);
  assert.equal(count, 3);
});

test('an unknown function is 404 PGRST202', async () => {
  const { status, error } = await db.rpc('no_such_function', { a: 1 });
  assert.equal(status, 404);
  assert.equal(error.code, 'PGRST202');
});

test('an unknown argument is 404 PGRST202', async () => {
  const { status, error } = await db.rpc('match_chat_history', { query_embedding: vec(0), bogus: 1 });
  assert.equal(status, 404);
  assert.equal(error.code, 'PGRST202');
});

test('an embedding of the wrong dimension is a 4xx error, not a 500', async () => {
  const { status, error } = await db.rpc('match_chat_history', { query_embedding: [1, 2, 3], match_threshold: 0, match_count: 1 });
  assert.ok(status >= 400 && status < 500, `status ${status}`);
  assert.ok(error.message.length > 0);
});

test('append_chat_messages appends to the history and returns the chat', async () => {
  const { data: chat } = await db.from('chat_history').insert({ course_id: course.A, history: [{ role: 'user', content: 'q' }] }).select().single();
  const { data, error } = await db.rpc('append_chat_messages', {
    chat_id: chat.id, messages: [{ role: 'model', content: 'answer' }],
  }).single();
  assert.equal(error, null);
  assert.deepEqual(data.history, [{ role: 'user', content: 'q' }, { role: 'model', content: 'answer' }]);
});

test('append_chat_messages with an invalid role answers the seed\'s message and appends nothing', async () => {
  const { data: chat } = await db.from('chat_history').insert({ course_id: course.A, history: [] }).select().single();
  const { status, error } = await db.rpc('append_chat_messages', { chat_id: chat.id, messages: [{ role: 'robot', content: 'x' }] });
  assert.equal(status, 400);
  assert.equal(error.message, 'Invalid message role');
  const { data } = await db.from('chat_history').select('history').eq('id', chat.id).single();
  assert.deepEqual(data.history, []);
});

test('50 concurrent append_chat_messages calls of 2 messages each leave exactly 100 new messages', async () => {
  const { data: chat } = await db.from('chat_history').insert({ course_id: course.B, history: [{ role: 'user', content: 'start' }] }).select().single();
  const calls = Array.from({ length: 50 }, (_, i) => db.rpc('append_chat_messages', {
    chat_id: chat.id,
    messages: [{ role: 'user', content: `q${i}` }, { role: 'model', content: `a${i}` }],
  }));
  const results = await Promise.all(calls);
  assert.deepEqual(results.filter((r) => r.error), []);
  const { data } = await db.from('chat_history').select('history').eq('id', chat.id).single();
  assert.equal(data.history.length, 101);
  const questions = new Set(data.history.filter((m) => m.role === 'user').map((m) => m.content));
  assert.equal(questions.size, 51);
  for (let i = 0; i < data.history.length - 1; i++) {   // each call's pair stays together
    const m = /^q(\d+)$/.exec(data.history[i].content);
    if (m) assert.equal(data.history[i + 1].content, `a${m[1]}`);
  }
});

test('SB_STATEMENT_TIMEOUT_MS cancels a statement that runs longer (500 57014)', async () => {
  sql(`CREATE OR REPLACE FUNCTION bench_sleep(seconds float) RETURNS int LANGUAGE sql
       AS 'SELECT 1 FROM pg_sleep(seconds)'`);
  const slow = await startServer({ SB_STATEMENT_TIMEOUT_MS: '100' });
  try {
    const sleeper = await createStudent(slow);
    const quick = await sleeper.client.rpc('bench_sleep', { seconds: 0 });
    assert.equal(quick.error, null);
    assert.equal(quick.data, 1);
    const { status, error } = await sleeper.client.rpc('bench_sleep', { seconds: 2 });
    assert.equal(status, 500);
    assert.equal(error.code, '57014');
  } finally {
    await slow.stop();
    sql('DROP FUNCTION bench_sleep(float)');
  }
});

test('a function of one unnamed json argument receives the whole body', async () => {
  sql(`CREATE OR REPLACE FUNCTION echo_keys(json) RETURNS text[] LANGUAGE sql
       AS 'SELECT array(SELECT json_object_keys($1) ORDER BY 1)'`);
  const other = await startServer();
  try {
    const caller = await createStudent(other);
    const { data, error } = await caller.client.rpc('echo_keys', { b: 1, a: [2] });
    assert.equal(error, null);
    assert.deepEqual(data, ['a', 'b']);
  } finally {
    await other.stop();
    sql('DROP FUNCTION echo_keys(json)');
  }
});
