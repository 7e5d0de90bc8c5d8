// Embeddings through an OpenAI-compatible provider (SB_EMBED_URL): a mock provider
// (lib/mock_openai.js) on 127.0.0.1 stands in for OpenAI / Ollama / vLLM. What studybase sends
// it, how its answers and failures reach a client of /functions/v1/embed, and that the
// embedding worker tries a chat again after the provider failed.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { startMockOpenAI, vectorFor, unit } = require('./lib/mock_openai');
const { until } = require('./lib/until');
const crypto = require('node:crypto');

let mock, server, anon, student, courseId;

before(async () => {
  mock = await startMockOpenAI();
  server = await startServer({
    SB_EMBED_URL: `${mock.url}/v1`,
    SB_EMBED_MODEL: 'mock-embed',
    SB_EMBED_API_KEY: 'sk-test-key',
    SB_EMBED_RETRIES: '0',
    SB_EMBED_TIMEOUT_MS: '1000',
    SB_EMBED_MAX_TEXTS_PER_HOUR: '20',
  });
  anon = clientFor(server);
  student = await createStudent(server);
  const { data } = await student.client.from('courses').insert({ user_id: student.id, name: 'Physics' }).select();
  courseId = data[0].id;
});
after(async () => {
  await server?.stop();
  await mock?.stop();
});

async function embed(input, client = student.client) {
  const { data, error } = await client.functions.invoke('embed', { body: { input } });
  if (error) return { status: error.context.status, body: await error.context.json() };
  return { status: 200, body: data };
}

const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-5);

function lastEmbeddingsRequest() {
  return mock.requests.filter((r) => r.path === '/v1/embeddings').at(-1);
}

test('embed sends the model, the inputs, dimensions 384 and the key as Bearer to <SB_EMBED_URL>/embeddings', async () => {
  const r = await embed(['Newton\'s second law', 'Ohm\'s law']);
  assert.equal(r.status, 200);
  const sent = lastEmbeddingsRequest();
  assert.equal(sent.method, 'POST');
  assert.equal(sent.headers.authorization, 'Bearer sk-test-key');
  assert.deepEqual(sent.body, { model: 'mock-embed', encoding_format: 'float', dimensions: 384,
    input: ['Newton\'s second law', 'Ohm\'s law'] });
});

test('embed answers the provider\'s vectors in the input\'s order, at unit length', async () => {
  const r = await embed(['first', 'second']);
  assert.ok(close(r.body.embeddings[0], unit(vectorFor('first'))));
  assert.ok(close(r.body.embeddings[1], unit(vectorFor('second'))));
});

test('a provider answering another dimension is a 502 that says what to change', async () => {
  mock.embeddingDimensions = 768;
  try {
    const r = await embed('x');
    assert.equal(r.status, 502);
    assert.deepEqual(r.body, { code: 'embed_provider_dimensions',
      message: 'the embedding provider returned 768 dimensions; studybase stores 384: set the model\'s dimensions to 384 or use a 384-dimension model' });
  } finally {
    mock.embeddingDimensions = 0;
  }
});

test('a provider failing is a 502, a provider refusing too, without the provider\'s words', async () => {
  mock.failNext(1, 500);
  let r = await embed('x');
  assert.equal(r.status, 502);
  assert.deepEqual(r.body, { code: 'embed_provider_error', message: 'The embedding provider failed (HTTP 500)' });
  mock.failNext(1, 401, { error: { message: 'Incorrect API key provided: sk-te**-key' } });
  r = await embed('x');
  assert.equal(r.status, 502);
  assert.deepEqual(r.body, { code: 'embed_provider_refused', message: 'The embedding provider refused the request (HTTP 401)' });
});

test('a provider that does not answer in SB_EMBED_TIMEOUT_MS is a 504', async () => {
  mock.delayMs = 3000;
  try {
    const r = await embed('x');
    assert.equal(r.status, 504);
    assert.equal(r.body.code, 'embed_provider_timeout');
  } finally {
    mock.delayMs = 0;
  }
});

test('the worker embeds a chat through the provider, and tries again after the provider failed', async () => {
  mock.failNext(1, 503);
  const { data, error } = await student.client.from('chat_history')
    .insert({ course_id: courseId, history: [{ role: 'user', content: 'What is inertia?' }] }).select();
  assert.equal(error, null);
  const id = data[0].id;
  const failed = await until(() => {
    const row = sql(`SELECT attempts || ' ' || last_error FROM ai.embedding_jobs WHERE row_id = :'id'`, { id });
    return row.startsWith('1 ') ? row : null;
  }, 'the failed attempt to be counted');
  assert.match(failed, /^1 embed_provider_error: The embedding provider failed \(HTTP 503\)/);
  const stored = await until(async () => {
    const { data: rows } = await student.client.from('chat_history').select('embedding').eq('id', id);
    return rows[0].embedding && JSON.parse(rows[0].embedding);
  }, 'the embedding after the retry');
  assert.ok(close(stored, unit(vectorFor('user: What is inertia?'))));
  assert.equal(sql(`SELECT count(*) FROM ai.embedding_jobs WHERE row_id = :'id'`, { id }), '0');
});

test('an embedding of a text that changed while it was being computed is not stored; the new text is embedded', async () => {
  mock.delayMs = 600; // the provider is slow for the first text: time to change the chat meanwhile
  let id;
  try {
    const { data } = await student.client.from('chat_history')
      .insert({ course_id: courseId, history: [{ role: 'user', content: 'What is torque?' }] }).select();
    id = data[0].id;
    await until(() => mock.requests.some((r) => JSON.stringify(r.body?.input) === '["user: What is torque?"]'),
      'the provider to be asked for the first text');
  } finally {
    mock.delayMs = 0;
  }
  const { error } = await student.client.rpc('append_chat_messages', {
    chat_id: id, messages: [{ role: 'model', content: 'A turning force.' }],
  });
  assert.equal(error, null);
  const want = unit(vectorFor('user: What is torque?\nmodel: A turning force.'));
  await until(async () => {
    const done = sql(`SELECT count(*) FROM ai.embedding_jobs WHERE row_id = :'id'`, { id }) === '0';
    const { data: rows } = await student.client.from('chat_history').select('embedding').eq('id', id);
    return done && rows[0].embedding !== null;
  }, 'the job to finish');
  const { data: rows } = await student.client.from('chat_history').select('embedding').eq('id', id);
  assert.ok(close(JSON.parse(rows[0].embedding), want), 'the stored embedding is the new text\'s');
});

test('the worker embeds the last 32 KiB of a long chat, cut at a character, not its whole history', async () => {
  const long = 'é'.repeat(30000);   // 60,000 bytes: over any provider's input limit we guard against
  const history = [{ role: 'user', content: long }, { role: 'model', content: 'the end of the chat' }];
  const { data, error } = await student.client.from('chat_history').insert({ course_id: courseId, history }).select();
  assert.equal(error, null);
  const id = data[0].id;
  await until(() => sql(`SELECT count(*) FROM ai.embedding_jobs WHERE row_id = :'id'`, { id }) === '0', 'the job to finish');
  const sent = mock.requests.filter((r) => r.path === '/v1/embeddings' && String(r.body?.input?.[0]).endsWith('model: the end of the chat')).at(-1);
  assert.ok(sent, 'the chat was sent to the provider');
  const text = sent.body.input[0];
  assert.ok(Buffer.byteLength(text) <= 32768, `${Buffer.byteLength(text)} bytes sent`);
  assert.ok(Buffer.byteLength(text) >= 32768 - 3);
  assert.ok(text.startsWith('é'), 'the cut falls on a character');
});

test('a job that failed thousands of times is still counted, at most an hour ahead', async () => {
  const id = crypto.randomUUID();
  mock.failNext(1, 503);
  // one transaction: the job is due only once it has its 2000 earlier failures
  sql(`BEGIN;
       INSERT INTO chat_history (id, course_id, history) VALUES (:'id', :'course', ARRAY['{"role":"user","content":"What is a joule?"}'::jsonb]);
       UPDATE ai.embedding_jobs SET attempts = 2000 WHERE row_id = :'id';
       COMMIT;`, { id, course: courseId });
  const row = await until(() => sql(`SELECT attempts || ' ' || (run_after <= now() + interval '1 hour')
                                     FROM ai.embedding_jobs WHERE row_id = :'id' AND attempts > 2000`, { id }),
    'the failure to be counted');
  assert.equal(row, '2001 true');
});

test('a provider\'s words kept in last_error have their key-like parts hidden', async () => {
  mock.failNext(1, 401, { error: { message: 'Incorrect API key provided: sk-proj-AbCdEfGh1234****wxyz. Bearer tok.en' } });
  const { data, error } = await student.client.from('chat_history')
    .insert({ course_id: courseId, history: [{ role: 'user', content: 'What is a watt?' }] }).select();
  assert.equal(error, null);
  const id = data[0].id;
  const kept = await until(() => sql(`SELECT last_error FROM ai.embedding_jobs WHERE row_id = :'id' AND attempts > 0`, { id }),
    'the failure to be counted');
  assert.equal(kept, 'embed_provider_refused: The embedding provider refused the request (HTTP 401) '
    + '(Incorrect API key provided: [redacted]. Bearer [redacted])');
});

test('a user embeds at most SB_EMBED_MAX_TEXTS_PER_HOUR texts an hour: then 429 with Retry-After', async () => {
  const other = await createStudent(server);
  let r = await embed(new Array(20).fill('a text'), other.client);
  assert.equal(r.status, 200);
  const url = `${server.url}/functions/v1/embed`;
  const res = await fetch(url, { method: 'POST', body: '{"input":"one more"}',
    headers: { Authorization: `Bearer ${other.token}`, apikey: server.anonKey, 'Content-Type': 'application/json' } });
  assert.equal(res.status, 429);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
  assert.deepEqual(await res.json(), { code: 'over_text_limit', message: `You reached the limit of 20 embedded texts an hour `
    + `(SB_EMBED_MAX_TEXTS_PER_HOUR); try again in ${retryAfter} seconds` });
  r = await embed('a third student is not held back', (await createStudent(server)).client);
  assert.equal(r.status, 200);
  r = await embed('nor is service_role', clientFor(server, server.serviceKey));
  assert.equal(r.status, 200);
});
