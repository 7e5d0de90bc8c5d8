// The seed's "Common Query Examples" (database-schema.md), each made with supabase-js as a
// signed-in student, in the seed's order, with assertions on what comes back. The Python
// examples read `.data` after insert; supabase-js asks for rows back with `.select()`.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor } = require('./lib/server');
const { createStudent } = require('./lib/students');

let server, student, db;
before(async () => {
  server = await startServer();
  student = await createStudent(server);
  db = student.client;
});
after(async () => { await server?.stop(); });

/* A 384-dimensional embedding pointing mostly along axis `axis`. */
function embedding(axis, wobble = 0) {
  const v = new Array(384).fill(0);
  v[axis] = 1;
  v[(axis + 1) % 384] = wobble;
  return v;
}

// ---- Academic Profile Operations ----------------------------------------------------------

test('Create Academic Profile: insert returns the row as given', async () => {
  const { data, error } = await db.from('academic').insert({
    id: student.id, grade: ['Bachelor'], semester_type: 'double', semester: 3,
    subject: ['computer science', 'english'],
  }).select();
  assert.equal(error, null);
  assert.equal(data.length, 1);
  assert.deepEqual(data[0].grade, ['Bachelor']);
  assert.deepEqual(data[0].subject, ['computer science', 'english']);
  assert.equal(data[0].semester, 3);
});

test('Get Academic Profile: single() returns the object', async () => {
  const { data, error } = await db.from('academic').select('*').eq('id', student.id).single();
  assert.equal(error, null);
  assert.equal(data.id, student.id);
  assert.deepEqual(data.grade, ['Bachelor']);
  assert.equal(data.semester_type, 'double');
});

test('Update Academic Profile: the semester changes', async () => {
  const { error } = await db.from('academic').update({ semester: 4 }).eq('id', student.id);
  assert.equal(error, null);
  const { data } = await db.from('academic').select('semester').eq('id', student.id).single();
  assert.equal(data.semester, 4);
});

// ---- Personalized Preferences Operations ---------------------------------------------------

const prefs = {
  detail_level: 0.7, example_preference: 0.8, analogy_preference: 0.6, technical_language: 0.5,
  structure_preference: 0.7, visual_preference: 0.9, learning_pace: 'moderate', prior_experience: 'intermediate',
};

test('Create Preferences: the prefs object is stored whole', async () => {
  const { data, error } = await db.from('personalized').insert({ id: student.id, prefs }).select();
  assert.equal(error, null);
  assert.deepEqual(data[0].prefs, prefs);
});

test('Get Preferences: fields of prefs are readable', async () => {
  const { data, error } = await db.from('personalized').select('*').eq('id', student.id).single();
  assert.equal(error, null);
  assert.equal(data.prefs.learning_pace, 'moderate');
  assert.equal(data.prefs.detail_level, 0.7);
});

test('Update Specific Preference Field: spread prefs with a new learning_pace', async () => {
  const { data: existing } = await db.from('personalized').select('*').eq('id', student.id).single();
  const { error } = await db.from('personalized')
    .update({ prefs: { ...existing.prefs, learning_pace: 'fast' } }).eq('id', student.id);
  assert.equal(error, null);
  const { data } = await db.from('personalized').select('prefs').eq('id', student.id).single();
  assert.deepEqual(data.prefs, { ...prefs, learning_pace: 'fast' });
});

// ---- Course Operations ---------------------------------------------------------------------

let courseId;

test('Create Course: the new row comes back with a generated id', async () => {
  const { data, error } = await db.from('courses')
    .insert({ user_id: student.id, name: 'Machine Learning Fundamentals' }).select();
  assert.equal(error, null);
  assert.match(data[0].id, /^[0-9a-f-]{36}$/);
  assert.equal(data[0].name, 'Machine Learning Fundamentals');
  courseId = data[0].id;
});

test("List User's Courses: select('*') returns the student's courses with created_at", async () => {
  const { data, error } = await db.from('courses').select('*');
  assert.equal(error, null);
  assert.deepEqual(data.map((c) => c.name), ['Machine Learning Fundamentals']);
  assert.ok(!Number.isNaN(Date.parse(data[0].created_at)));
});

test('Update Course Name: the name changes', async () => {
  const { error } = await db.from('courses').update({ name: 'Advanced Machine Learning' }).eq('id', courseId);
  assert.equal(error, null);
  const { data } = await db.from('courses').select('name').eq('id', courseId).single();
  assert.equal(data.name, 'Advanced Machine Learning');
});

// ---- Materials Operations ------------------------------------------------------------------

let materialId;

test('Upload Material Metadata: the material row comes back', async () => {
  const { data, error } = await db.from('materials').insert({
    course_id: courseId, name: 'Introduction to Neural Networks.pdf',
    file_path: `${student.id}/${courseId}/neural_networks.pdf`, file_type: 'application/pdf', file_size: 2048576,
  }).select();
  assert.equal(error, null);
  assert.equal(data[0].file_size, 2048576);
  materialId = data[0].id;
});

test('List Course Materials: eq(course_id) returns the material', async () => {
  const { data, error } = await db.from('materials').select('*').eq('course_id', courseId);
  assert.equal(error, null);
  assert.deepEqual(data.map((m) => m.name), ['Introduction to Neural Networks.pdf']);
  assert.equal((data[0].file_size / (1024 * 1024)).toFixed(2), '1.95');
});

test('Delete Material: the material is gone', async () => {
  const { error } = await db.from('materials').delete().eq('id', materialId);
  assert.equal(error, null);
  const { data } = await db.from('materials').select('id').eq('course_id', courseId);
  assert.deepEqual(data, []);
});

// ---- Chat History Operations ---------------------------------------------------------------

let chatId;
const first = [
  { role: 'user', content: 'What is machine learning?' },
  { role: 'model', content: 'Machine learning is a subset of AI...' },
];
const more = [
  { role: 'user', content: 'Can you give an example?' },
  { role: 'model', content: 'Sure! Consider email spam detection...' },
];

test('Create Chat Record: history comes back as an array of message objects', async () => {
  const { data, error } = await db.from('chat_history').insert({ course_id: courseId, history: first }).select();
  assert.equal(error, null);
  assert.deepEqual(data[0].history, first);
  chatId = data[0].id;
});

test('Append Messages to Chat: read, concatenate, update', async () => {
  const { data: existing } = await db.from('chat_history').select('*').eq('id', chatId).single();
  const { error } = await db.from('chat_history')
    .update({ history: existing.history.concat(more) }).eq('id', chatId);
  assert.equal(error, null);
  const { data } = await db.from('chat_history').select('history').eq('id', chatId).single();
  assert.deepEqual(data.history, first.concat(more));
});

test('Get Chat History for Course: ordered by created_at ascending', async () => {
  const { data: second } = await db.from('chat_history')
    .insert({ course_id: courseId, history: [{ role: 'user', content: 'Second chat' }] }).select();
  const { data, error } = await db.from('chat_history').select('*')
    .eq('course_id', courseId).order('created_at', { ascending: true });
  assert.equal(error, null);
  assert.deepEqual(data.map((c) => c.id), [chatId, second[0].id]);
  assert.deepEqual(data.map((c) => c.history.length), [4, 1]);
});

// ---- Advanced Queries ------------------------------------------------------------------------

test('Find Users by Grade Level: contains(grade, [Bachelor]) with service_role', async () => {
  const other = await createStudent(server, 'masters');
  const admin = clientFor(server, server.serviceKey);
  await admin.from('academic').insert({ id: other.id, grade: ['Masters'], semester_type: 'tri', semester: 1 });
  const { data, error } = await admin.from('academic').select('*').contains('grade', ['Bachelor']);
  assert.equal(error, null);
  const ids = data.map((r) => r.id);
  assert.ok(ids.includes(student.id));
  assert.ok(!ids.includes(other.id));
});

test('Query JSONB Preferences: prefs->>learning_pace = fast with service_role', async () => {
  const slow = await createStudent(server, 'slow');
  const admin = clientFor(server, server.serviceKey);
  await admin.from('personalized').insert({ id: slow.id, prefs: { learning_pace: 'slow' } });
  const { data, error } = await admin.from('personalized').select('*').eq('prefs->>learning_pace', 'fast');
  assert.equal(error, null);
  const ids = data.map((r) => r.id);
  assert.ok(ids.includes(student.id));
  assert.ok(!ids.includes(slow.id));
});

test('Vector Similarity Search: match_chat_history returns the most similar chats first', async () => {
  const { data: chats } = await db.from('chat_history').insert([
    { course_id: courseId, history: [{ role: 'user', content: 'near' }], embedding: embedding(0, 0.1) },
    { course_id: courseId, history: [{ role: 'user', content: 'nearer' }], embedding: embedding(0, 0.01) },
    { course_id: courseId, history: [{ role: 'user', content: 'far' }], embedding: embedding(7) },
  ]).select('id');
  assert.equal(chats.length, 3);
  const { data, error } = await db.rpc('match_chat_history', {
    query_embedding: embedding(0), match_threshold: 0.7, match_count: 5,
  });
  assert.equal(error, null);
  assert.deepEqual(data.map((r) => r.history[0].content), ['nearer', 'near']);
  assert.ok(data[0].similarity > data[1].similarity);
  assert.ok(data[1].similarity > 0.7);
});
