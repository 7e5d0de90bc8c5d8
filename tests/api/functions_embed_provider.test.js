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

let mock, server, anon, student, courseId;

before(async () => {
  mock = await startMockOpenAI();
  server = await startServer({
    SB_EMBED_URL: `${mock.url}/v1`,
    SB_EMBED_MODEL: 'mock-embed',
    SB_EMBED_API_KEY: 'sk-test-key',
    SB_EMBED_RETRIES: '0',
    SB_EMBED_TIMEOUT_MS: '1000',
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

async function embed(input) {
  const { data, error } = await anon.functions.invoke('embed', { body: { input } });
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
