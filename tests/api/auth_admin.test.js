// The admin API (supabase.auth.admin) with the service_role key: create, list with pages, get,
// update, delete, and what it refuses to anyone else.
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { authFetch } = require('./lib/auth');

let server, admin;
before(async () => {
  server = await startServer();
  admin = clientFor(server, server.serviceKey).auth.admin;
});
after(async () => { await server?.stop(); });

async function created(attributes = {}) {
  const { data, error } = await admin.createUser({ email: uniqueEmail('admin'), password: 'secret123', ...attributes });
  assert.equal(error, null);
  return data.user;
}

describe('creating users', () => {
  test('createUser returns the new user', async () => {
    const email = uniqueEmail('admin');
    const { data, error } = await admin.createUser({ email, password: 'secret123', user_metadata: { name: 'Ada' } });
    assert.equal(error, null);
    assert.equal(data.user.email, email);
    assert.equal(data.user.user_metadata.name, 'Ada');
    assert.deepEqual(data.user.app_metadata, { provider: 'email', providers: ['email'] });
  });

  test('a user created with email_confirm signs in with the password', async () => {
    const user = await created({ email_confirm: true });
    const { error } = await clientFor(server).auth.signInWithPassword({ email: user.email, password: 'secret123' });
    assert.equal(error, null);
  });

  test('a user created without email_confirm is not confirmed and cannot sign in yet', async () => {
    const user = await created();
    assert.equal(user.email_confirmed_at, undefined);
    const { error } = await clientFor(server).auth.signInWithPassword({ email: user.email, password: 'secret123' });
    assert.equal(error.code, 'email_not_confirmed');
  });

  test('app_metadata given is merged with the provider', async () => {
    const user = await created({ app_metadata: { plan: 'pro' } });
    assert.deepEqual(user.app_metadata, { provider: 'email', providers: ['email'], plan: 'pro' });
  });

  test('a user imported with a bcrypt password_hash signs in with that password', async () => {
    const hash = sql(`SELECT crypt('imported pw', gen_salt('bf', 10))`);
    const email = uniqueEmail('imported');
    const { error } = await admin.createUser({ email, password_hash: hash, email_confirm: true });
    assert.equal(error, null);
    assert.equal((await clientFor(server).auth.signInWithPassword({ email, password: 'imported pw' })).error, null);
  });

  test('a password_hash that is not bcrypt is validation_failed', async () => {
    const { error } = await admin.createUser({ email: uniqueEmail(), password_hash: 'plain text' });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
  });

  test('a user created with an id keeps it', async () => {
    const id = crypto.randomUUID();
    const { data, error } = await admin.createUser({ id, email: uniqueEmail(), password: 'secret123' });
    assert.equal(error, null);
    assert.equal(data.user.id, id);
  });

  test('an address already taken is email_exists', async () => {
    const user = await created();
    const { error } = await admin.createUser({ email: user.email, password: 'secret123' });
    assert.equal(error.status, 422);
    assert.equal(error.code, 'email_exists');
  });
});

describe('listing users', () => {
  test('listUsers pages through every user, newest first, with the total', async () => {
    for (let i = 0; i < 3; i++) await created();
    const total = Number(sql('SELECT count(*) FROM auth.users'));
    // auth-js reads one digit of the page numbers in Link: keep the last page under 10
    const perPage = Math.max(2, Math.ceil(total / 3));
    const { data, error } = await admin.listUsers({ page: 1, perPage });
    assert.equal(error, null);
    assert.equal(data.users.length, perPage);
    assert.equal(data.total, total);
    assert.equal(data.nextPage, 2);
    assert.equal(data.lastPage, Math.ceil(total / perPage));
    assert.ok(Date.parse(data.users[0].created_at) >= Date.parse(data.users[1].created_at));
  });

  test('the pages do not overlap', async () => {
    const one = await admin.listUsers({ page: 1, perPage: 2 });
    const two = await admin.listUsers({ page: 2, perPage: 2 });
    const ids = new Set(one.data.users.map((u) => u.id));
    for (const u of two.data.users) assert.ok(!ids.has(u.id));
  });

  test('the last page has no next page', async () => {
    const total = Number(sql('SELECT count(*) FROM auth.users'));
    const { data } = await admin.listUsers({ page: 1, perPage: total + 1 });
    assert.equal(data.users.length, total);
    assert.equal(data.nextPage, null);
  });

  test('a page number that is not a number is validation_failed', async () => {
    const res = await authFetch(server, '/admin/users?page=abc', {
      key: server.serviceKey, headers: { Authorization: `Bearer ${server.serviceKey}` },
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'validation_failed');
  });
});

describe('one user', () => {
  test('getUserById returns the user', async () => {
    const user = await created();
    const { data, error } = await admin.getUserById(user.id);
    assert.equal(error, null);
    assert.equal(data.user.email, user.email);
  });

  test('an id nobody has is user_not_found (404)', async () => {
    const { error } = await admin.getUserById(crypto.randomUUID());
    assert.equal(error.status, 404);
    assert.equal(error.code, 'user_not_found');
  });

  test('an id that is not a UUID is 404 validation_failed', async () => {
    const res = await authFetch(server, '/admin/users/not-a-uuid', {
      key: server.serviceKey, headers: { Authorization: `Bearer ${server.serviceKey}` },
    });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).code, 'validation_failed');
  });

  test('updateUserById changes the address and merges user_metadata', async () => {
    const user = await created({ user_metadata: { a: 1 } });
    const email = uniqueEmail('moved');
    const { data, error } = await admin.updateUserById(user.id, { email, user_metadata: { b: 2 } });
    assert.equal(error, null);
    assert.equal(data.user.email, email);
    assert.deepEqual(data.user.user_metadata, { a: 1, b: 2 });
  });

  test('updateUserById with a password lets the user sign in with it', async () => {
    const user = await created({ email_confirm: true });
    await admin.updateUserById(user.id, { password: 'set by admin' });
    const { error } = await clientFor(server).auth.signInWithPassword({ email: user.email, password: 'set by admin' });
    assert.equal(error, null);
  });

  test('a banned user cannot sign in; ban_duration none lifts the ban', async () => {
    const user = await created({ email_confirm: true });
    const { data } = await admin.updateUserById(user.id, { ban_duration: '24h' });
    assert.ok(Date.parse(data.user.banned_until) > Date.now() + 23 * 3600 * 1000);
    const anon = clientFor(server);
    assert.equal((await anon.auth.signInWithPassword({ email: user.email, password: 'secret123' })).error.code,
      'user_banned');
    await admin.updateUserById(user.id, { ban_duration: 'none' });
    assert.equal((await anon.auth.signInWithPassword({ email: user.email, password: 'secret123' })).error, null);
  });

  test('a malformed ban_duration is validation_failed', async () => {
    const user = await created();
    const { error } = await admin.updateUserById(user.id, { ban_duration: 'forever' });
    assert.equal(error.code, 'validation_failed');
  });

  test('deleteUser removes the user', async () => {
    const user = await created();
    const { error } = await admin.deleteUser(user.id);
    assert.equal(error, null);
    assert.equal((await admin.getUserById(user.id)).error.code, 'user_not_found');
  });

  test('deleting a user removes their academic, personalized, courses, materials and chat rows', async () => {
    const student = await createStudent(server);
    const course = sql(`INSERT INTO academic (id, grade, semester_type, semester) VALUES (:'id', '{Bachelor}', 'double', 1);
         INSERT INTO personalized (id, prefs) VALUES (:'id', '{}');
         INSERT INTO courses (user_id, name) VALUES (:'id', 'Algebra') RETURNING id;`, { id: student.id });
    sql(`INSERT INTO materials (course_id, name, file_path, file_type, file_size)
           VALUES (:'course', 'notes', :'id' || '/' || :'course' || '/b.pdf', 'application/pdf', 10);
         INSERT INTO chat_history (course_id, history)
           VALUES (:'course', ARRAY['{"role":"user","content":"hi"}'::jsonb]);`, { id: student.id, course });
    const count = () => sql(`SELECT (SELECT count(*) FROM academic WHERE id = :'id')
                               + (SELECT count(*) FROM personalized WHERE id = :'id')
                               + (SELECT count(*) FROM courses WHERE user_id = :'id')
                               + (SELECT count(*) FROM materials WHERE course_id = :'course')
                               + (SELECT count(*) FROM chat_history WHERE course_id = :'course')`,
    { id: student.id, course });
    assert.equal(count(), '5');
    assert.equal((await admin.deleteUser(student.id)).error, null);
    assert.equal(count(), '0');
  });

  test('a deleted user\'s access token no longer reaches /user', async () => {
    const student = await createStudent(server);
    await admin.deleteUser(student.id);
    const { error } = await student.client.auth.getUser();
    assert.equal(error.status, 403);
    assert.equal(error.code, 'user_not_found');
  });
});

describe('who may use it', () => {
  test('the anon key is not_admin (403)', async () => {
    const { error } = await clientFor(server).auth.admin.listUsers();
    assert.equal(error.status, 403);
    assert.equal(error.code, 'not_admin');
  });

  test('a student\'s access token is not_admin', async () => {
    const student = await createStudent(server);
    const res = await authFetch(server, '/admin/users', { headers: { Authorization: `Bearer ${student.token}` } });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).code, 'not_admin');
  });
});
