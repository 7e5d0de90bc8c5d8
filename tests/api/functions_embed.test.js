// POST /functions/v1/embed with the built-in lexical embedder, through supabase-js's
// functions.invoke, and the automatic embedding of chat_history rows by the server's worker
// (db/migrations/007_chat_embeddings.sql, src/ai/embed_worker.c). The provider's side is in
// functions_embed_provider.test.js.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { until } = require('./lib/until');
const crypto = require('node:crypto');

let server, anon, service, student, courseId;

before(async () => {
  server = await startServer();
  anon = clientFor(server);
  service = clientFor(server, server.serviceKey);
  student = await createStudent(server);
  const { data, error } = await student.client.from('courses').insert({ user_id: student.id, name: 'Biology' }).select();
  assert.equal(error, null);
  courseId = data[0].id;
});
after(async () => { await server?.stop(); });

async function embed(client, input) {
  const { data, error } = await client.functions.invoke('embed', { body: { input } });
  if (error) {
    const body = await error.context.json();
    return { status: error.context.status, body };
  }
  return { status: 200, body: data };
}

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-5);

async function embeddingOf(chatId) {
  const { data, error } = await student.client.from('chat_history').select('embedding').eq('id', chatId).single();
  assert.equal(error, null);
  return data.embedding === null ? null : JSON.parse(data.embedding);
}

test('embed answers one text with a 384-number unit vector, the same for the same text', async () => {
  const first = await embed(student.client, 'Photosynthesis turns light into chemical energy');
  assert.equal(first.status, 200);
  assert.equal(first.body.embedding.length, 384);
  assert.ok(Math.abs(norm(first.body.embedding) - 1) < 1e-5);
  const again = await embed(service, 'Photosynthesis turns light into chemical energy');
  assert.deepEqual(again.body.embedding, first.body.embedding);
});

test('embed answers a list of texts with one vector each, in order', async () => {
  const many = await embed(student.client, ['cell membrane', 'French revolution']);
  assert.equal(many.status, 200);
  assert.equal(many.body.embeddings.length, 2);
  assert.equal(many.body.embedding, undefined);
  const second = await embed(student.client, 'French revolution');
  assert.deepEqual(many.body.embeddings[1], second.body.embedding);
});

test('embed refuses a missing, empty or non-string input with 400 invalid_input', async () => {
  for (const [input, message] of [
    [undefined, 'Send {"input": "text"} or {"input": ["text", ...]}'],
    ['', 'input is empty'],
    ['   ', 'input is empty'],
    [42, 'input must be a string'],
    [[], 'input is an empty list'],
    [['ok', 7], 'input[1] must be a string'],
    [['ok', ''], 'input[1] is empty'],
  ]) {
    const r = await embed(student.client, input);
    assert.equal(r.status, 400, JSON.stringify(input));
    assert.deepEqual(r.body, { code: 'invalid_input', message });
  }
});

test('embed refuses too many texts and too long a text', async () => {
  const tooMany = await embed(student.client, new Array(257).fill('a'));
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.message, 'input holds more than 256 texts');
  const tooLong = await embed(student.client, 'a'.repeat(32769));
  assert.equal(tooLong.status, 400);
  assert.equal(tooLong.body.message, 'input is longer than 32768 bytes');
  const justRight = await embed(student.client, 'a '.repeat(16384));
  assert.equal(justRight.status, 200);
});

test('embed refuses the anon key alone with 401 sign_in_required (a provider\'s calls cost the operator)', async () => {
  const r = await embed(anon, 'x');
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { code: 'sign_in_required',
    message: 'This function needs a signed-in user\'s access token (or the service_role key)' });
});

test('embed refuses a body that is not JSON, and a call without a valid token', async () => {
  const url = `${server.url}/functions/v1/embed`;
  let r = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${student.token}`, apikey: server.anonKey, 'Content-Type': 'application/json' }, body: '{"input":' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).code, 'bad_json');
  r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"input":"x"}' });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).code, 'missing_token');
  r = await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer not.a.token', 'Content-Type': 'application/json' }, body: '{"input":"x"}' });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).code, 'invalid_token');
  r = await fetch(url, { method: 'GET', headers: { Authorization: `Bearer ${server.anonKey}` } });
  assert.equal(r.status, 405);
});

test('a chat inserted without an embedding gets one, from its messages as "role: content" lines', async () => {
  const history = [{ role: 'user', content: 'What is osmosis?' }, { role: 'model', content: 'Water crossing a membrane.' }];
  const { data, error } = await student.client.from('chat_history').insert({ course_id: courseId, history }).select();
  assert.equal(error, null);
  const expected = (await embed(student.client, 'user: What is osmosis?\nmodel: Water crossing a membrane.')).body.embedding;
  const stored = await until(() => embeddingOf(data[0].id), 'the chat\'s embedding');
  assert.ok(close(stored, expected), 'the stored embedding is the embedding of the chat\'s text');
});

test('changing a chat\'s history embeds it again; the write itself did not wait for it', async () => {
  const { data } = await student.client.from('chat_history')
    .insert({ course_id: courseId, history: [{ role: 'user', content: 'Define mitosis' }] }).select();
  const id = data[0].id;
  const first = await until(() => embeddingOf(id), 'the first embedding');
  const { error } = await student.client.rpc('append_chat_messages', {
    chat_id: id, messages: [{ role: 'model', content: 'Cell division into two identical cells' }],
  });
  assert.equal(error, null);
  const expected = (await embed(student.client, 'user: Define mitosis\nmodel: Cell division into two identical cells')).body.embedding;
  const second = await until(async () => {
    const e = await embeddingOf(id);
    return e && !close(e, first) ? e : null;
  }, 'the new embedding');
  assert.ok(close(second, expected));
});

test('a chat written with its own embedding keeps it (no job is queued)', async () => {
  const own = new Array(384).fill(0);
  own[7] = 1;
  const { data, error } = await student.client.from('chat_history')
    .insert({ course_id: courseId, history: [{ role: 'user', content: 'mine' }], embedding: own }).select();
  assert.equal(error, null);
  const id = data[0].id;
  assert.equal(sql(`SELECT count(*) FROM ai.embedding_jobs WHERE row_id = :'id'`, { id }), '0');
  assert.deepEqual(await embeddingOf(id), own);
});

test('the worker drops the job of a chat deleted before it was embedded', async () => {
  // queued by hand for a row that does not exist: as if the chat was deleted meanwhile
  const ghost = '00000000-0000-4000-8000-00000000dead';
  sql(`SELECT ai.enqueue_embedding('chat_history', :'ghost')`, { ghost });
  await until(() => sql(`SELECT count(*) FROM ai.embedding_jobs WHERE row_id = :'ghost'`, { ghost }) === '0',
    'the job to go');
});

test('a job that can neither be stored nor counted as failed does not hold back the others of its batch', async () => {
  const [stuck, other] = [crypto.randomUUID(), crypto.randomUUID()];
  sql(`CREATE FUNCTION public.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
       CREATE TRIGGER test_refuse_embedding BEFORE UPDATE OF embedding ON public.chat_history
         FOR EACH ROW WHEN (NEW.id = '${stuck}') EXECUTE FUNCTION public.test_refuse();
       CREATE TRIGGER test_refuse_count BEFORE UPDATE ON ai.embedding_jobs
         FOR EACH ROW WHEN (NEW.row_id = '${stuck}' AND NEW.attempts <> OLD.attempts) EXECUTE FUNCTION public.test_refuse();`);
  try {
    // one transaction: both jobs come due together, the stuck one first, in one batch
    sql(`BEGIN;
         INSERT INTO chat_history (id, course_id, history) VALUES (:'stuck', :'course', ARRAY['{"role":"user","content":"stuck"}'::jsonb]);
         INSERT INTO chat_history (id, course_id, history) VALUES (:'other', :'course', ARRAY['{"role":"user","content":"Define entropy"}'::jsonb]);
         COMMIT;`, { stuck, other, course: courseId });
    const stored = await until(() => embeddingOf(other), 'the other chat\'s embedding');
    assert.ok(close(stored, (await embed(student.client, 'user: Define entropy')).body.embedding));
  } finally {
    sql(`DROP TRIGGER test_refuse_embedding ON public.chat_history; DROP TRIGGER test_refuse_count ON ai.embedding_jobs;
         DROP FUNCTION public.test_refuse(); DELETE FROM chat_history WHERE id = :'stuck'`, { stuck });
  }
});
