// Writing through /rest/v1 with supabase-js: inserts (one, many, columns=), upserts (merge and
// ignore, on_conflict), update and delete with filters, Prefer return=minimal|representation|
// headers-only, the refusal of unfiltered update/delete, singular writes, and the seed's
// validation messages as error messages.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { createStudent } = require('./lib/students');

let server, student, db, courseId;

before(async () => {
  server = await startServer();
  student = await createStudent(server);
  db = student.client;
  courseId = (await db.from('courses').insert({ user_id: student.id, name: 'Physics' }).select().single()).data.id;
});
after(async () => { await server?.stop(); });

function raw(path, init = {}) {
  return fetch(`${server.url}/rest/v1/${path}`, {
    ...init,
    headers: {
      apikey: server.anonKey, Authorization: `Bearer ${student.token}`, 'Content-Type': 'application/json',
      ...(init.headers || {}),
    },
  });
}

function material(name, extra = {}) {
  return { course_id: courseId, name, file_path: `${student.id}/${courseId}/${name}`, file_type: 'application/pdf', file_size: 1, ...extra };
}

// ---- inserts -------------------------------------------------------------------------------------

test('an insert without select() answers 201 with no body (return=minimal)', async () => {
  const { data, error, status } = await db.from('materials').insert(material('minimal.pdf'));
  assert.equal(error, null);
  assert.equal(status, 201);
  assert.equal(data, null);
});

test('a bulk insert sets keys missing from an object to NULL', async () => {
  const { status, error } = await db.from('chat_history').insert([
    { course_id: courseId },
    { course_id: courseId, history: [{ role: 'user', content: 'hi' }] },
  ]);
  assert.equal(status, 400);
  assert.equal(error.code, '23502');
});

test('with defaultToNull: false (missing=default) missing keys take the column default', async () => {
  const { data, error } = await db.from('chat_history').insert([
    { course_id: courseId },
    { course_id: courseId, history: [{ role: 'user', content: 'hi' }] },
  ], { defaultToNull: false }).select('history');
  assert.equal(error, null);
  assert.deepEqual(data.map((r) => r.history), [[], [{ role: 'user', content: 'hi' }]]);
});

test('columns= restricts which keys of the body are inserted', async () => {
  const res = await raw('courses?columns=user_id,name&select=name', {
    method: 'POST', headers: { Prefer: 'return=representation' },
    body: JSON.stringify([{ user_id: student.id, name: 'Only name', created_at: '2000-01-01T00:00:00Z' }]),
  });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), [{ name: 'Only name' }]);
  const { data } = await db.from('courses').select('created_at').eq('name', 'Only name').single();
  assert.notEqual(new Date(data.created_at).getUTCFullYear(), 2000);
});

test('a body key that is not a column is 400 PGRST204', async () => {
  const { status, error } = await db.from('courses').insert({ user_id: student.id, name: 'x', colour: 'red' });
  assert.equal(status, 400);
  assert.equal(error.code, 'PGRST204');
  assert.match(error.message, /'colour' column of 'courses'/);
});

test('a body that is not JSON is 400 PGRST102', async () => {
  const res = await raw('courses', { method: 'POST', body: '{"name": ' });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, 'PGRST102');
});

test('return=headers-only answers 201 without a body, with the new row\'s Location', async () => {
  const res = await raw('materials', { method: 'POST', headers: { Prefer: 'return=headers-only' },
    body: JSON.stringify(material('headers.pdf')) });
  assert.equal(res.status, 201);
  assert.equal(await res.text(), '');
  const m = /^\/materials\?id=eq\.([0-9a-f-]{36})$/.exec(res.headers.get('location'));
  assert.ok(m, res.headers.get('location'));
  const { data } = await db.from('materials').select('name').eq('id', m[1]).single();
  assert.equal(data.name, 'headers.pdf');
});

test('insert().select().single() returns the object', async () => {
  const { data, error } = await db.from('materials').insert(material('single.pdf')).select('name').single();
  assert.equal(error, null);
  assert.deepEqual(data, { name: 'single.pdf' });
});

test('a singular insert of two rows is refused with 406 and rolled back', async () => {
  const { status, error } = await db.from('materials')
    .insert([material('twin-a.pdf'), material('twin-b.pdf')]).select().single();
  assert.equal(status, 406);
  assert.equal(error.code, 'PGRST116');
  const { data } = await db.from('materials').select('id').like('name', 'twin*');
  assert.deepEqual(data, []);
});

test('handling=strict refuses a preference it does not know (400 PGRST122)', async () => {
  const res = await raw('materials', { method: 'POST', headers: { Prefer: 'handling=strict, return=teleport' },
    body: JSON.stringify(material('strict.pdf')) });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, 'PGRST122');
  const { data } = await db.from('materials').select('id').eq('name', 'strict.pdf');
  assert.deepEqual(data, []);
});

test('without handling=strict an unknown preference is ignored', async () => {
  const res = await raw('materials', { method: 'POST', headers: { Prefer: 'return=teleport' },
    body: JSON.stringify(material('lenient.pdf')) });
  assert.equal(res.status, 201);
});

test('a Content-Profile other than public is 406 PGRST106', async () => {
  const res = await raw('materials', { method: 'POST', headers: { 'Content-Profile': 'auth' },
    body: JSON.stringify(material('profile.pdf')) });
  assert.equal(res.status, 406);
  assert.equal((await res.json()).code, 'PGRST106');
});

// ---- upserts ------------------------------------------------------------------------------------

test('upsert merges into an existing row on its primary key', async () => {
  await db.from('academic').insert({ id: student.id, grade: ['Bachelor'], semester_type: 'double', semester: 1 });
  const { data, error } = await db.from('academic')
    .upsert({ id: student.id, grade: ['Masters'], semester_type: 'tri', semester: 2 }).select();
  assert.equal(error, null);
  assert.deepEqual([data[0].grade, data[0].semester], [['Masters'], 2]);
});

test('upsert with ignoreDuplicates keeps the existing row', async () => {
  const { error } = await db.from('academic')
    .upsert({ id: student.id, grade: ['Bachelor'], semester_type: 'double', semester: 9 }, { ignoreDuplicates: true });
  assert.equal(error, null);
  const { data } = await db.from('academic').select('semester').eq('id', student.id).single();
  assert.equal(data.semester, 2);
});

test('upsert with onConflict inserts a row that does not exist yet', async () => {
  const { data, error } = await db.from('personalized')
    .upsert({ id: student.id, prefs: { learning_pace: 'slow' } }, { onConflict: 'id' }).select('prefs');
  assert.equal(error, null);
  assert.deepEqual(data, [{ prefs: { learning_pace: 'slow' } }]);
});

test('on_conflict naming a column that does not exist is 400', async () => {
  const { status, error } = await db.from('personalized')
    .upsert({ id: student.id, prefs: {} }, { onConflict: 'nope' });
  assert.equal(status, 400);
  assert.equal(error.code, '42703');
});

test('PUT inserts the named row, then replaces it', async () => {
  const id = crypto.randomUUID();
  const put = (name) => raw(`courses?id=eq.${id}`, {
    method: 'PUT', headers: { Prefer: 'return=representation' }, body: JSON.stringify({ id, user_id: student.id, name }),
  });
  const first = await put('put v1');
  assert.equal(first.status, 200);
  assert.equal((await first.json())[0].name, 'put v1');
  await put('put v2');
  const { data } = await db.from('courses').select('name').eq('id', id);
  assert.deepEqual(data, [{ name: 'put v2' }]);
});

test('PUT whose filters are not the primary key is 405 PGRST105', async () => {
  const res = await raw('courses?name=eq.x', { method: 'PUT', body: JSON.stringify({ user_id: student.id, name: 'x' }) });
  assert.equal(res.status, 405);
  assert.equal((await res.json()).code, 'PGRST105');
});

test('PUT whose body disagrees with the URL is 400 PGRST115', async () => {
  const res = await raw(`courses?id=eq.${crypto.randomUUID()}`, {
    method: 'PUT', body: JSON.stringify({ id: crypto.randomUUID(), user_id: student.id, name: 'x' }),
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, 'PGRST115');
});

// ---- update and delete ----------------------------------------------------------------------------

test('update with select() returns the changed rows; without it, 204', async () => {
  const changed = await db.from('materials').update({ file_size: 5 }).eq('name', 'minimal.pdf').select('name, file_size');
  assert.deepEqual(changed.data, [{ name: 'minimal.pdf', file_size: 5 }]);
  const quiet = await db.from('materials').update({ file_size: 6 }).eq('name', 'minimal.pdf');
  assert.equal(quiet.status, 204);
});

test('update where the filter column is also changed returns the changed row', async () => {
  const { data } = await db.from('materials').update({ name: 'renamed.pdf' }).eq('name', 'headers.pdf').select('name');
  assert.deepEqual(data, [{ name: 'renamed.pdf' }]);
});

test('delete with select() returns the deleted rows', async () => {
  const { data, error } = await db.from('materials').delete().eq('name', 'renamed.pdf').select('name');
  assert.equal(error, null);
  assert.deepEqual(data, [{ name: 'renamed.pdf' }]);
});

test('update without any filter is refused', async () => {
  const res = await raw('materials', { method: 'PATCH', body: JSON.stringify({ file_size: 7 }) });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).code, '21000');
  const { data } = await db.from('materials').select('file_size').eq('file_size', 7);
  assert.deepEqual(data, []);
});

test('delete without any filter is refused', async () => {
  const res = await raw('materials', { method: 'DELETE' });
  assert.equal(res.status, 400);
  const { count } = await db.from('materials').select('*', { count: 'exact', head: true });
  assert.ok(count > 0);
});

// ---- validation messages -----------------------------------------------------------------------

const violations = [
  ['courses', () => ({ user_id: student.id, name: '   ' }), 'Course name is required'],
  ['courses', () => ({ user_id: student.id, name: 'x'.repeat(256) }), 'Course name too long'],
  ['materials', () => material('big.pdf', { file_size: 52428801 }), 'File size exceeds 50MB limit'],
  ['materials', () => material('zero.pdf', { file_size: 0 }), 'File size must be greater than 0'],
  ['materials', () => material('a.exe', { file_type: 'application/x-msdownload' }), 'Invalid file type'],
  ['chat_history', () => ({ course_id: courseId, history: [{ role: 'admin', content: 'x' }] }), 'Invalid message role'],
  ['chat_history', () => ({ course_id: courseId, history: [{ role: 'user', content: '' }] }), 'Message content is required'],
];

for (const [table, row, message] of violations) {
  test(`a ${table} row breaking a rule answers 400 "${message}"`, async () => {
    const { status, error } = await db.from(table).insert(row());
    assert.equal(status, 400);
    assert.equal(error.code, '23514');
    assert.equal(error.message, message);
  });
}

test('a semester out of range on update answers the seed\'s message', async () => {
  const { status, error } = await db.from('academic').update({ semester: 13 }).eq('id', student.id);
  assert.equal(status, 400);
  assert.equal(error.message, 'Semester must be between 1 and 12');
});

test('an invalid learning pace answers the seed\'s message', async () => {
  const { error } = await db.from('personalized').update({ prefs: { learning_pace: 'warp' } }).eq('id', student.id);
  assert.equal(error.message, 'Invalid learning pace');
});

test('a duplicate primary key is 409 23505', async () => {
  const { status, error } = await db.from('personalized').insert({ id: student.id, prefs: {} });
  assert.equal(status, 409);
  assert.equal(error.code, '23505');
});

test('a missing required column is 400 23502', async () => {
  const { status, error } = await db.from('courses').insert({ user_id: student.id });
  assert.equal(status, 400);
  assert.equal(error.code, '23502');
});

test('a value of the wrong type is 400 22P02', async () => {
  const { status, error } = await db.from('academic').update({ semester: 'three' }).eq('id', student.id);
  assert.equal(status, 400);
  assert.equal(error.code, '22P02');
});
