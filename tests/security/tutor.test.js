// Security (#13): the tutor answers a student from that student's own data only, and its
// per-user counters are the server's, out of every client's reach: not readable or callable
// through the data API, and not reset by signing in again.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../api/lib/server');
const { createStudent } = require('../api/lib/students');
const { courseWithMaterials, callTutor, chatHistory } = require('../api/lib/tutor');

let server;
let alice;
let bob;
let aliceCourse;
before(async () => {
  server = await startServer({ SB_TUTOR_MAX_REQUESTS_PER_HOUR: '2' });
  alice = await createStudent(server, 'alice');
  bob = await createStudent(server, 'bob');
  ({ course: aliceCourse } = await courseWithMaterials(alice, 'Alice', [
    { name: 'alice-secret.pdf', chunks: [{ page: 1, content: 'Alice private notes: mitochondria produce ATP.' }] }]));
});
after(async () => { await server?.stop(); });

const rest = (path, student, init = {}) => fetch(`${server.url}/rest/v1/${path}`, {
  ...init,
  headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, 'Content-Type': 'application/json',
    ...init.headers },
});

test("the offline tutor never quotes another student's materials, even on matching words", async () => {
  const { course } = await courseWithMaterials(bob, 'Bob', [
    { name: 'bob.pdf', chunks: [{ page: 1, content: 'Bob notes: cells need energy.' }] }]);
  const res = await callTutor(server, bob, { course_id: course, message: 'mitochondria produce ATP', stream: false });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.doesNotMatch(body.answer, /Alice private notes|alice-secret/);
  assert.ok(body.citations.every((c) => c.material_name !== 'alice-secret.pdf'));
});

test("asking in another student's course is 404 and creates no chat there", async () => {
  const res = await callTutor(server, bob, { course_id: aliceCourse, message: 'mitochondria', stream: false });
  assert.equal(res.status, 404);
  assert.match((await res.json()).message, /No course with this course_id/);
  const { data } = await alice.client.from('chat_history').select('id').eq('course_id', aliceCourse);
  assert.deepEqual(data, []);
});

test("appending to another student's chat through one's own course is 404 and leaves it whole", async () => {
  const chat = (await alice.client.from('chat_history').insert({ course_id: aliceCourse,
    history: [{ role: 'user', content: 'mine' }] }).select().single()).data.id;
  const { course } = await courseWithMaterials(bob, 'Bob 2');
  const res = await callTutor(server, bob, { course_id: course, chat_id: chat, message: 'hello', stream: false });
  assert.equal(res.status, 404);
  assert.match((await res.json()).message, /No chat with this chat_id/);
  assert.deepEqual(chatHistory(chat), [{ role: 'user', content: 'mine' }]);
});

test('the usage counters and their functions are not reachable through the data API', async () => {
  assert.equal((await rest('tutor_usage?select=*', alice)).status, 404);
  assert.equal((await rest('rpc/tutor_admit', alice, { method: 'POST',
    body: JSON.stringify({ p_user: alice.id, p_max_requests: 0, p_max_tokens: 0 }) })).status, 404);
  assert.equal((await rest('rpc/tutor_add_tokens', alice, { method: 'POST',
    body: JSON.stringify({ p_user: alice.id, p_tokens: -1000000 }) })).status, 404);
  const other = await rest('tutor_usage?select=*', alice, { headers: { 'Accept-Profile': 'ai' } });
  assert.notEqual(other.status, 200);
});

test('signing in again does not reset the hourly limit', async () => {
  const s = await createStudent(server, 'again');
  const { course } = await courseWithMaterials(s, 'Again');
  for (let i = 0; i < 2; i++) {
    assert.equal((await callTutor(server, s, { course_id: course, message: 'hi', stream: false })).status, 200);
  }
  const { data, error } = await s.client.auth.signInWithPassword({ email: s.email, password: s.password });
  assert.equal(error, null);
  const fresh = { ...s, token: data.session.access_token };
  const res = await callTutor(server, fresh, { course_id: course, message: 'hi', stream: false });
  assert.equal(res.status, 429);
  assert.equal((await res.json()).code, 'over_request_limit');
});
