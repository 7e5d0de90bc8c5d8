// POST /functions/v1/tutor through supabase-js (functions.invoke) and raw fetch: the prompt the
// model gets (preferences, academic profile, passages, history with roles mapped), streamed
// and JSON answers with citations, the offline tutor, saving both messages (and nothing on a
// failure), provider errors and timeouts, the per-user limits, and other students' courses.
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer, clientFor } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { startMockOpenAI } = require('./lib/mock_openai');
const { scriptChat, waitFor } = require('./lib/mock_chat');
const { courseWithMaterials, parseEvents, textOf, callTutor, chatHistory, eventReader } = require('./lib/tutor');

const LECTURE = [
  { name: 'Photosynthesis notes.pdf', chunks: [
    { page: 1, content: 'Photosynthesis converts light energy into chemical energy stored in glucose.' },
    { page: 2, content: 'The light reactions of photosynthesis happen in the thylakoid membranes of the chloroplast.' },
  ] },
  { name: 'Examples.pdf', chunks: [
    { page: 7, content: 'For example, a leaf in bright sunlight makes more glucose through photosynthesis than a leaf in shade.' },
  ] },
];

let mock;
let chat;
let server;           // with the mock model
let offline;          // no model configured
let limited;          // with the mock model, low per-user limits and a longer timeout

before(async () => {
  mock = await startMockOpenAI();
  chat = scriptChat(mock);
  [server, offline, limited] = await Promise.all([
    startServer({ SB_LLM_URL: `${mock.url}/v1`, SB_LLM_MODEL: 'mock-tutor', SB_LLM_API_KEY: 'sk-mock-key',
      SB_LLM_TIMEOUT_MS: '1500' }),
    startServer({}),
    startServer({ SB_LLM_URL: mock.url, SB_LLM_MODEL: 'mock-tutor', SB_LLM_TIMEOUT_MS: '10000',
      SB_TUTOR_MAX_REQUESTS_PER_HOUR: '3', SB_TUTOR_MAX_TOKENS_PER_DAY: '1000', SB_TUTOR_MAX_STREAMS_PER_USER: '1' }),
  ]);
});
after(async () => {
  await Promise.all([server?.stop(), offline?.stop(), limited?.stop()]);
  await mock?.stop();
});

async function studentWithProfile(srv, tag, prefs, academic) {
  const s = await createStudent(srv, tag);
  if (academic) {
    const { error } = await s.client.from('academic').insert({ id: s.id, ...academic });
    assert.equal(error, null);
  }
  if (prefs) {
    const { error } = await s.client.from('personalized').insert({ id: s.id, prefs });
    assert.equal(error, null);
  }
  return s;
}

describe('the request', () => {
  let student;
  let course;
  before(async () => {
    student = await createStudent(server, 'asker');
    ({ course } = await courseWithMaterials(student, 'Biology', LECTURE));
  });

  test('a call without a signed-in user is refused 401 in the functions shape', async () => {
    const { error } = await clientFor(server).functions.invoke('tutor', { body: { course_id: course, message: 'hi' } });
    assert.equal(error.context.status, 401);
    assert.equal((await error.context.json()).code, 'sign_in_required');
  });

  for (const [what, body, message] of [
    ['a missing course_id', { course_id: undefined, message: 'What is photosynthesis?' }, /course_id is required/],
    ['a course_id that is not a UUID', { course_id: 'biology', message: 'x' }, /course_id must be a UUID/],
    ['a chat_id that is not a UUID', { chat_id: 42, message: 'x' }, /chat_id must be a UUID/],
    ['an empty message', { message: '   ' }, /message must be a non-empty string/],
    ['a message that is not a string', { message: ['what'] }, /message must be a non-empty string/],
    ['a message over 8000 characters', { message: 'é'.repeat(8001) }, /at most 8000 characters/],
    ['a stream flag that is not a boolean', { message: 'x', stream: 'no' }, /stream must be true or false/],
  ]) {
    test(`${what} is refused 400 invalid_input`, async () => {
      const res = await callTutor(server, student, { course_id: course, ...body });
      assert.equal(res.status, 400);
      const err = await res.json();
      assert.equal(err.code, 'invalid_input');
      assert.match(err.message, message);
    });
  }

  test('a body that is not JSON is refused 400 bad_json', async () => {
    const res = await fetch(`${server.url}/functions/v1/tutor`, {
      method: 'POST', body: '{"course_id":',
      headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, 'Content-Type': 'application/json' },
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'bad_json');
  });

  test('a message of 8000 characters is accepted', async () => {
    const s = await createStudent(offline, 'long');
    const { course: c } = await courseWithMaterials(s, 'Long');
    const res = await callTutor(offline, s, { course_id: c, message: 'é'.repeat(8000), stream: false });
    assert.equal(res.status, 200);
  });
});

describe('other students', () => {
  let alice;
  let bob;
  let aliceCourse;
  let aliceChat;
  before(async () => {
    alice = await createStudent(server, 'alice');
    bob = await createStudent(server, 'bob');
    ({ course: aliceCourse } = await courseWithMaterials(alice, 'Alice biology', LECTURE));
    aliceChat = (await alice.client.from('chat_history').insert({ course_id: aliceCourse,
      history: [{ role: 'user', content: 'secret' }] }).select().single()).data.id;
  });

  test("another student's course is not found (404), and the model is never asked", async () => {
    const before = chat.calls.length;
    const { error } = await bob.client.functions.invoke('tutor', {
      body: { course_id: aliceCourse, message: 'What is photosynthesis?', stream: false } });
    assert.equal(error.context.status, 404);
    assert.equal((await error.context.json()).code, 'not_found');
    assert.equal(chat.calls.length, before);
  });

  test("another student's chat is not found (404) in one's own course, and is left as it was", async () => {
    const { course: bobCourse } = await courseWithMaterials(bob, 'Bob biology');
    const res = await callTutor(server, bob, { course_id: bobCourse, chat_id: aliceChat, message: 'hi', stream: false });
    assert.equal(res.status, 404);
    assert.match((await res.json()).message, /No chat/);
    assert.deepEqual(chatHistory(aliceChat), [{ role: 'user', content: 'secret' }]);
  });

  test("one's own chat of another course is not found (404)", async () => {
    const { course: other } = await courseWithMaterials(alice, 'Alice chemistry');
    const res = await callTutor(server, alice, { course_id: other, chat_id: aliceChat, message: 'hi', stream: false });
    assert.equal(res.status, 404);
  });

  test("another student's materials are never retrieved into the prompt", async () => {
    const { course: bobCourse } = await courseWithMaterials(bob, 'Bob botany',
      [{ name: 'Bob.pdf', chunks: [{ page: 1, content: 'Bob writes that photosynthesis needs chlorophyll.' }] }]);
    chat.next({ pieces: ['ok'] });
    const res = await callTutor(server, bob, { course_id: bobCourse, message: 'What is photosynthesis?', stream: false });
    assert.equal(res.status, 200);
    const system = chat.calls.at(-1).body.messages[0].content;
    assert.match(system, /Bob writes that photosynthesis/);
    assert.doesNotMatch(system, /thylakoid|glucose/);
  });
});

describe('the prompt the model gets', () => {
  let student;
  let course;
  let chatId;
  let call;
  let answer;
  before(async () => {
    student = await studentWithProfile(server, 'shaped',
      { detail_level: 0.9, example_preference: 0.8, technical_language: 0.1, analogy_preference: 0.5,
        learning_pace: 'slow', prior_experience: 'beginner' },
      { grade: ['Bachelor'], semester_type: 'double', semester: 3, subject: ['computer science'] });
    ({ course } = await courseWithMaterials(student, 'Biology 101', LECTURE));
    chatId = (await student.client.from('chat_history').insert({ course_id: course, history: [
      { role: 'user', content: 'Where does it happen?' }, { role: 'model', content: 'In the chloroplasts.' }] })
      .select().single()).data.id;
    chat.next({ pieces: ['Light ', 'reactions ', 'happen in the thylakoids [2].'] });
    const { data, error } = await student.client.functions.invoke('tutor', {
      body: { course_id: course, chat_id: chatId, message: 'Explain the light reactions of photosynthesis', stream: false },
    });
    assert.equal(error, null);
    answer = data;
    call = chat.calls.at(-1);
  });

  test('goes to the configured model, streamed, with the API key and an answer length cap', () => {
    assert.equal(call.body.model, 'mock-tutor');
    assert.equal(call.body.stream, true);
    assert.equal(call.body.max_tokens, 2048);
    assert.equal(call.headers.authorization, 'Bearer sk-mock-key');
  });

  test("the system prompt follows the student's preferences", () => {
    const system = call.body.messages[0];
    assert.equal(system.role, 'system');
    assert.match(system.content, /Explain thoroughly, step by step, covering the reasoning and the edge cases \(detail_level 0\.90\)\./);
    assert.match(system.content, /worked example \(example_preference 0\.80\)/);
    assert.match(system.content, /plain language and define every technical term you need \(technical_language 0\.10\)/);
    assert.match(system.content, /analogy when a concept is abstract \(analogy_preference 0\.50\)/);
    assert.match(system.content, /one idea at a time.*learning_pace slow/);
    assert.match(system.content, /a beginner learner/);
    assert.doesNotMatch(system.content, /structure_preference|visual_preference/);
  });

  test('the system prompt says who the student is and which course', () => {
    const system = call.body.messages[0].content;
    assert.match(system, /a Bachelor's student in semester 3 \(two semesters a year\), studying computer science\./);
    assert.match(system, /the course "Biology 101"/);
  });

  test('the retrieved passages are in it, numbered with material and page', () => {
    const system = call.body.messages[0].content;
    assert.match(system, /\[\d\] "Photosynthesis notes\.pdf", page 2:\nThe light reactions of photosynthesis happen in the thylakoid/);
    assert.match(system, /cite them by number, like \[1\]/);
  });

  test("the chat's history follows with the seed's model role as assistant, then the question", () => {
    assert.deepEqual(call.body.messages.slice(1), [
      { role: 'user', content: 'Where does it happen?' },
      { role: 'assistant', content: 'In the chloroplasts.' },
      { role: 'user', content: 'Explain the light reactions of photosynthesis' },
    ]);
  });

  test('the JSON answer carries the text, the chat and the cited materials with their pages', () => {
    assert.equal(answer.answer, 'Light reactions happen in the thylakoids [2].');
    assert.equal(answer.chat_id, chatId);
    assert.equal(answer.mode, 'llm');
    const cited = answer.citations.map((c) => `${c.material_name}:${c.page}`);
    assert.ok(cited.includes('Photosynthesis notes.pdf:2'), cited.join(' '));
    for (const c of answer.citations) {
      assert.match(c.chunk_id, /^[0-9a-f-]{36}$/);
      assert.match(c.material_id, /^[0-9a-f-]{36}$/);
      assert.equal(typeof c.n, 'number');
    }
  });

  test('both messages are appended to the chat', () => {
    assert.deepEqual(chatHistory(chatId), [
      { role: 'user', content: 'Where does it happen?' },
      { role: 'model', content: 'In the chloroplasts.' },
      { role: 'user', content: 'Explain the light reactions of photosynthesis' },
      { role: 'model', content: 'Light reactions happen in the thylakoids [2].' },
    ]);
  });

  test('a student with no profile gets a prompt without preferences or profile', async () => {
    const plain = await createStudent(server, 'plain');
    const { course: c } = await courseWithMaterials(plain, 'Plain');
    chat.next({ pieces: ['fine'] });
    const res = await callTutor(server, plain, { course_id: c, message: 'hello there', stream: false });
    assert.equal(res.status, 200);
    const system = chat.calls.at(-1).body.messages[0].content;
    assert.doesNotMatch(system, /How to answer|About the student/);
    assert.match(system, /No passage of the student's course materials/);
  });
});

describe('saving the exchange', () => {
  let student;
  let course;
  before(async () => {
    student = await createStudent(server, 'saver');
    ({ course } = await courseWithMaterials(student, 'Saving', LECTURE));
  });

  const chatsOf = (c) => Number(sql(`SELECT count(*) FROM chat_history WHERE course_id = :'c'`, { c }));

  test('without a chat_id, a new chat holding both messages is created', async () => {
    chat.next({ pieces: ['New ', 'chat'] });
    const res = await callTutor(server, student, { course_id: course, message: 'Start me off', stream: false });
    assert.equal(res.status, 200);
    const { chat_id: id } = await res.json();
    assert.deepEqual(chatHistory(id), [{ role: 'user', content: 'Start me off' }, { role: 'model', content: 'New chat' }]);
    const { data } = await student.client.from('chat_history').select('course_id').eq('id', id).single();
    assert.equal(data.course_id, course);
  });

  test('the saved chat is embedded again by the worker (its trigger queued it)', async () => {
    const id = (await student.client.from('chat_history').insert({ course_id: course,
      history: [{ role: 'user', content: 'old' }] }).select().single()).data.id;
    await waitFor(() => sql(`SELECT embedding IS NOT NULL FROM chat_history WHERE id = :'id'`, { id }) === 't',
      'the first embedding');
    const first = sql(`SELECT embedding::text FROM chat_history WHERE id = :'id'`, { id });
    chat.next({ pieces: ['Glucose stores the energy.'] });
    const res = await callTutor(server, student, { course_id: course, chat_id: id, message: 'Where is energy stored?',
      stream: false });
    assert.equal(res.status, 200);
    await waitFor(() => sql(`SELECT embedding::text FROM chat_history WHERE id = :'id'`, { id }) !== first,
      'the chat to be embedded again');
  });

  test('a provider error appends nothing and creates no chat', async () => {
    const chats = chatsOf(course);
    chat.next({ status: 500, error: { message: 'model exploded' } });
    const res = await callTutor(server, student, { course_id: course, message: 'fail please', stream: false });
    assert.equal(res.status, 502);
    assert.equal(chatsOf(course), chats);
  });
});

describe('provider errors (JSON answers)', () => {
  let student;
  let course;
  let chatId;
  before(async () => {
    student = await createStudent(server, 'errors');
    ({ course } = await courseWithMaterials(student, 'Errors', LECTURE));
    chatId = (await student.client.from('chat_history').insert({ course_id: course,
      history: [{ role: 'user', content: 'first' }] }).select().single()).data.id;
  });

  async function refusal(script) {
    chat.next(script);
    const res = await callTutor(server, student, { course_id: course, chat_id: chatId, message: 'photosynthesis?',
      stream: false });
    const body = await res.json();
    assert.deepEqual(chatHistory(chatId), [{ role: 'user', content: 'first' }], 'nothing appended');
    return { status: res.status, ...body };
  }

  test("a non-2xx answer is 502 llm_provider_error with its status, never the provider's words", async () => {
    const r = await refusal({ status: 401, error: { message: 'Incorrect API key provided: sk-mock...abcd' } });
    assert.equal(r.status, 502);
    assert.equal(r.code, 'llm_provider_error');
    assert.equal(r.message, 'The model provider refused the request (HTTP 401)');
  });

  test('an error event in the stream is 502 llm_provider_error', async () => {
    const r = await refusal({ pieces: ['half'], afterPieces: 'error' });
    assert.equal(r.status, 502);
    assert.equal(r.message, 'The model provider reported an error in its answer');
  });

  test('a stream that is not JSON is 502 llm_provider_bad_stream', async () => {
    const r = await refusal({ pieces: ['half'], afterPieces: 'malformed' });
    assert.equal(r.status, 502);
    assert.equal(r.code, 'llm_provider_bad_stream');
  });

  test('a stream that stops before [DONE] is 502 llm_provider_bad_stream', async () => {
    const r = await refusal({ pieces: ['half'], done: false });
    assert.equal(r.code, 'llm_provider_bad_stream');
    assert.match(r.message, /ended before the answer did/);
  });

  test('a provider that does not finish in SB_LLM_TIMEOUT_MS is 504 llm_provider_timeout', async () => {
    const r = await refusal({ hang: true });
    assert.equal(r.status, 504);
    assert.equal(r.code, 'llm_provider_timeout');
    assert.match(r.message, /1500 ms/);
    await waitFor(() => chat.calls.at(-1).clientClosed, 'the timed-out call to be closed');
  });

  test('events split across reads and CRLF line ends are read whole', async () => {
    chat.next({ pieces: ['Ünï', 'cödé ', 'spl', 'it'], splitBytes: 3, crlf: true });
    const res = await callTutor(server, student, { course_id: course, message: 'split?', stream: false });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).answer, 'Ünïcödé split');
  });

  test('a provider that cannot be reached is 502 llm_provider_unreachable', async () => {
    const closed = net.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const port = closed.address().port;
    await new Promise((r) => closed.close(r));
    const down = await startServer({ SB_LLM_URL: `http://127.0.0.1:${port}/v1`, SB_LLM_MODEL: 'm' });
    try {
      const s = await createStudent(down, 'down');
      const { course: c } = await courseWithMaterials(s, 'Down');
      const res = await callTutor(down, s, { course_id: c, message: 'anyone there?', stream: false });
      assert.equal(res.status, 502);
      const body = await res.json();
      assert.equal(body.code, 'llm_provider_unreachable');
      assert.match(body.message, /Cannot reach the model provider \(SB_LLM_URL\)/);
    } finally {
      await down.stop();
    }
  });
});

describe('the offline tutor', () => {
  test('quotes and cites the passages, says it is offline and how to configure a model, and saves', async () => {
    const s = await createStudent(offline, 'offline');
    const { course } = await courseWithMaterials(s, 'Offline biology', LECTURE);
    const { data, error } = await s.client.functions.invoke('tutor', {
      body: { course_id: course, message: 'Where do the light reactions of photosynthesis happen?', stream: false } });
    assert.equal(error, null);
    assert.equal(data.mode, 'offline');
    assert.match(data.answer, /Offline mode/);
    assert.match(data.answer, /SB_LLM_URL and SB_LLM_MODEL/);
    assert.match(data.answer, /\[1\] "Photosynthesis notes\.pdf", page 2\n"The light reactions of photosynthesis happen/);
    assert.equal(data.citations[0].material_name, 'Photosynthesis notes.pdf');
    assert.equal(data.citations[0].page, 2);
    assert.equal(data.citations[0].n, 1);
    assert.equal(data.citations.length, 2, 'a medium detail level (none given) quotes two passages');
    assert.deepEqual(chatHistory(data.chat_id).map((m) => m.role), ['user', 'model']);
    assert.equal(chatHistory(data.chat_id)[1].content, data.answer);
  });

  test('a low detail level quotes one passage; a high example preference puts the example first', async () => {
    const s = await studentWithProfile(offline, 'examples', { detail_level: 0.1, example_preference: 0.9 });
    const { course } = await courseWithMaterials(s, 'Examples', LECTURE);
    const { data } = await s.client.functions.invoke('tutor', {
      body: { course_id: course, message: 'photosynthesis glucose', stream: false } });
    assert.equal(data.citations.length, 1);
    assert.equal(data.citations[0].material_name, 'Examples.pdf');
    assert.match(data.answer, /For example, a leaf in bright sunlight/);
  });

  test('an embedding provider that cannot be reached leaves retrieval to full text, and the answer comes', async () => {
    const closed = require('node:net').createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const port = closed.address().port;
    await new Promise((r) => closed.close(r));
    const noEmbedder = await startServer({ SB_EMBED_URL: `http://127.0.0.1:${port}/v1`, SB_EMBED_MODEL: 'e',
      SB_EMBED_RETRIES: '0' });
    try {
      const s = await createStudent(noEmbedder, 'no-embedder');
      const { course } = await courseWithMaterials(s, 'No embedder', LECTURE);
      const res = await callTutor(noEmbedder, s, { course_id: course,
        message: 'Where do the light reactions of photosynthesis happen?', stream: false });
      assert.equal(res.status, 200);
      const data = await res.json();
      assert.equal(data.citations[0].material_name, 'Photosynthesis notes.pdf');
    } finally {
      await noEmbedder.stop();
    }
  });

  test('with nothing retrieved it says so', async () => {
    const s = await createStudent(offline, 'empty');
    const { course } = await courseWithMaterials(s, 'Empty');
    const { data } = await s.client.functions.invoke('tutor', { body: { course_id: course, message: 'anything', stream: false } });
    assert.match(data.answer, /I found nothing in this course's materials/);
    assert.deepEqual(data.citations, []);
  });
});

describe('streamed answers (server-sent events)', () => {
  let student;
  let course;
  before(async () => {
    student = await createStudent(server, 'streamer');
    ({ course } = await courseWithMaterials(student, 'Streaming', LECTURE));
  });

  test('through supabase-js: token events with the pieces, then done with the chat and citations', async () => {
    chat.next({ pieces: ['Chloro', 'plasts ', 'capture light [1].'] });
    const { data, error, response } = await student.client.functions.invoke('tutor', {
      body: { course_id: course, message: 'What captures light in photosynthesis?' } });
    assert.equal(error, null);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const events = parseEvents(await data.text());
    assert.deepEqual(events.filter((e) => e.event === 'token').map((e) => e.data.text),
      ['Chloro', 'plasts ', 'capture light [1].']);
    const done = events.at(-1);
    assert.equal(done.event, 'done');
    assert.equal(done.data.mode, 'llm');
    assert.ok(done.data.citations.some((c) => c.material_name === 'Photosynthesis notes.pdf'));
    assert.deepEqual(chatHistory(done.data.chat_id), [
      { role: 'user', content: 'What captures light in photosynthesis?' },
      { role: 'model', content: 'Chloroplasts capture light [1].' }]);
  });

  test('Accept: application/json asks for the JSON answer instead', async () => {
    chat.next({ pieces: ['json'] });
    const res = await callTutor(server, student, { course_id: course, message: 'json please' },
      { Accept: 'application/json' });
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal((await res.json()).answer, 'json');
  });

  test('an error in the middle ends the stream with an error event and appends nothing', async () => {
    const id = (await student.client.from('chat_history').insert({ course_id: course,
      history: [{ role: 'user', content: 'before' }] }).select().single()).data.id;
    chat.next({ pieces: ['Half ', 'an answer'], afterPieces: 'error' });
    const res = await callTutor(server, student, { course_id: course, chat_id: id, message: 'photosynthesis' });
    assert.equal(res.status, 200);
    const events = parseEvents(await res.text());
    assert.equal(textOf(events), 'Half an answer');
    assert.equal(events.at(-1).event, 'error');
    assert.equal(events.at(-1).data.code, 'llm_provider_error');
    assert.equal(events.at(-1).data.message, 'The model provider reported an error in its answer');
    assert.ok(!events.some((e) => e.event === 'done'));
    assert.deepEqual(chatHistory(id), [{ role: 'user', content: 'before' }]);
  });

  test('a provider that fails before any token is an error event too', async () => {
    chat.next({ status: 503, error: { message: 'overloaded' } });
    const res = await callTutor(server, student, { course_id: course, message: 'photosynthesis' });
    const events = parseEvents(await res.text());
    assert.deepEqual(events, [{ event: 'error', data: { code: 'llm_provider_error',
      message: 'The model provider refused the request (HTTP 503)' } }]);
  });

  test('a timeout is an error event llm_provider_timeout', async () => {
    chat.next({ pieces: ['slow'], hang: true });
    const res = await callTutor(server, student, { course_id: course, message: 'photosynthesis' });
    const events = parseEvents(await res.text());
    assert.equal(events.at(-1).event, 'error');
    assert.equal(events.at(-1).data.code, 'llm_provider_timeout');
  });

  test('the offline tutor streams its answer as tokens, then done', async () => {
    const s = await createStudent(offline, 'offline-stream');
    const { course: c } = await courseWithMaterials(s, 'Offline stream', LECTURE);
    const res = await callTutor(offline, s, { course_id: c, message: 'thylakoid membranes' });
    const events = parseEvents(await res.text());
    assert.ok(events.filter((e) => e.event === 'token').length > 10, 'many pieces');
    const done = events.at(-1);
    assert.equal(done.event, 'done');
    assert.equal(done.data.mode, 'offline');
    assert.match(textOf(events), /^\(Offline mode/);
    assert.equal(chatHistory(done.data.chat_id)[1].content, textOf(events));
  });
});

describe('a client that goes away', () => {
  test('stops the model call at once, and nothing is appended', async () => {
    const s = await createStudent(limited, 'leaver');
    const { course: c } = await courseWithMaterials(s, 'Leaving', LECTURE);
    const id = (await s.client.from('chat_history').insert({ course_id: c,
      history: [{ role: 'user', content: 'before' }] }).select().single()).data.id;
    chat.next({ pieces: Array.from({ length: 100 }, (_, i) => `piece${i} `), delayMs: 100 });
    const controller = new AbortController();
    const res = await callTutor(limited, s, { course_id: c, chat_id: id, message: 'photosynthesis' }, {},
      controller.signal);
    const events = eventReader(res);
    await events.until((e) => e.event === 'token');
    const call = chat.calls.at(-1);
    controller.abort();
    await waitFor(() => call.clientClosed, 'the model call to be closed', 3000);
    assert.ok(call.piecesSent < 100, `the model stopped after ${call.piecesSent} pieces`);
    assert.deepEqual(chatHistory(id), [{ role: 'user', content: 'before' }]);
  });

  test('asking for JSON, it stops the model call too, and nothing is appended', async () => {
    const s = await createStudent(limited, 'json-leaver');
    const { course: c } = await courseWithMaterials(s, 'Leaving JSON', LECTURE);
    const id = (await s.client.from('chat_history').insert({ course_id: c,
      history: [{ role: 'user', content: 'before' }] }).select().single()).data.id;
    chat.next({ pieces: Array.from({ length: 100 }, (_, i) => `piece${i} `), delayMs: 100 });
    const callsBefore = chat.calls.length;
    const controller = new AbortController();
    const answer = callTutor(limited, s, { course_id: c, chat_id: id, message: 'photosynthesis', stream: false }, {},
      controller.signal).catch(() => null);
    await waitFor(() => chat.calls.length > callsBefore && chat.calls.at(-1).piecesSent > 0, 'the model to answer', 5000);
    const call = chat.calls.at(-1);
    controller.abort();
    await answer;
    await waitFor(() => call.clientClosed, 'the model call to be closed', 3000);
    assert.ok(call.piecesSent < 100, `the model stopped after ${call.piecesSent} pieces`);
    assert.deepEqual(chatHistory(id), [{ role: 'user', content: 'before' }]);
  });
});

describe('per-user limits', () => {
  let course;
  const ask = (s, body = {}) => s.client.functions.invoke('tutor', {
    body: { course_id: course[s.id], message: 'photosynthesis', stream: false, ...body } });
  const students = {};
  before(async () => {
    course = {};
    for (const tag of ['hourly', 'tokens', 'streams', 'estimate']) {
      students[tag] = await createStudent(limited, tag);
      course[students[tag].id] = (await courseWithMaterials(students[tag], `Limits ${tag}`)).course;
    }
  });

  test('the calls of an hour past SB_TUTOR_MAX_REQUESTS_PER_HOUR are refused 429 with Retry-After', async () => {
    const s = students.hourly;
    for (let i = 0; i < 3; i++) assert.equal((await ask(s)).error, null, `call ${i + 1}`);
    const { error } = await ask(s);
    assert.equal(error.context.status, 429);
    const retry = Number(error.context.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 3600, `Retry-After ${retry}`);
    const body = await error.context.json();
    assert.equal(body.code, 'over_request_limit');
    assert.match(body.message, /limit of 3 tutor calls an hour/);
  });

  test("once a day's tokens reach SB_TUTOR_MAX_TOKENS_PER_DAY (as the provider reports them), calls are refused 429", async () => {
    const s = students.tokens;
    chat.next({ pieces: ['expensive'], usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 } });
    assert.equal((await ask(s)).error, null);
    assert.equal(sql(`SELECT tokens FROM ai.tutor_usage WHERE user_id = :'u' AND period = 'day'`, { u: s.id }), '1100');
    const { error } = await ask(s);
    assert.equal(error.context.status, 429);
    assert.ok(Number(error.context.headers.get('retry-after')) <= 86400);
    assert.equal((await error.context.json()).code, 'over_token_limit');
  });

  test('without usage from the provider, the tokens are estimated at a quarter of the bytes sent and received', async () => {
    const s = students.estimate;
    chat.next({ pieces: ['twelve chars'], usage: null });
    assert.equal((await ask(s)).error, null);
    const sent = Buffer.byteLength(JSON.stringify(chat.calls.at(-1).body.messages));
    const expected = Math.ceil(sent / 4) + Math.ceil('twelve chars'.length / 4);
    assert.equal(sql(`SELECT tokens FROM ai.tutor_usage WHERE user_id = :'u' AND period = 'day'`, { u: s.id }),
      String(expected));
    chat.next({ status: 500, error: { message: 'down' } });
    assert.equal((await ask(s)).error.context.status, 502);
    assert.equal(sql(`SELECT tokens FROM ai.tutor_usage WHERE user_id = :'u' AND period = 'day'`, { u: s.id }),
      String(expected), 'a provider that refused, without usage, counts no tokens');
  });

  test('a second answer while one is in progress is refused 429 too_many_streams', async () => {
    const s = students.streams;
    chat.next({ hang: true });
    const controller = new AbortController();
    const calls = chat.calls.length;
    const first = await callTutor(limited, s, { course_id: course[s.id], message: 'photosynthesis' }, {},
      controller.signal);
    await waitFor(() => chat.calls.length > calls, 'the first answer to reach the model');
    const before = chat.calls.length;
    const { error } = await ask(s);
    assert.equal(error.context.status, 429);
    assert.equal((await error.context.json()).code, 'too_many_streams');
    assert.equal(chat.calls.length, before, 'the refused call reached no model');
    controller.abort();
    first.body?.cancel().catch(() => {});
    let res;
    for (let i = 0; i < 200; i++) {
      res = await ask(s);
      if (!res.error || (await res.error.context.clone().json()).code !== 'too_many_streams') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(res.error && JSON.stringify(await res.error.context.json()), null,
      'the slot came back once the first answer stopped');
  });
});
