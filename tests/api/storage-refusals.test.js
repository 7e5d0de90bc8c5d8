// What storage refuses, and that a refused upload leaves neither a file nor a row: files over
// 50 MB, files whose bytes are not an allowed type, other students' folders, unknown buckets,
// unsafe names, duplicates without upsert, missing or bad tokens.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { sql } = require('./lib/students');
const {
  startWithTwoStudents, FILES, storedFiles, tempFiles, fileOfVersion, eventually,
} = require('./lib/storage');

const LIMIT = 52428800;
let server, alice, bob, aliceCourse, bobCourse;

before(async () => {
  ({ server, alice, bob, aliceCourse, bobCourse } = await startWithTwoStudents());
});
after(async () => { await server?.stop(); });

const materials = (student) => student.client.storage.from('materials');
const inCourse = (name, student = alice, course = aliceCourse) => `${student.id}/${course}/${name}`;
const rowCount = (name) => Number(sql(`SELECT count(*) FROM storage.objects WHERE name = :'name';`, { name }));

/* A PDF of exactly n bytes: a real header, then padding. */
function pdfOfSize(n) {
  const bytes = Buffer.alloc(n, 0x20);
  FILES.pdf.copy(bytes, 0);
  return bytes;
}

/* Sends a request with a path exactly as given (no URL normalisation), as alice. */
function rawRequest(method, path, body = Buffer.alloc(0), headers = {}) {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method, path,
      headers: {
        apikey: server.anonKey, Authorization: `Bearer ${alice.token}`,
        'Content-Type': 'application/pdf', 'Content-Length': body.length, ...headers,
      },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---- size ---------------------------------------------------------------------------------

test('a file of exactly 50 MB is accepted', async () => {
  const name = inCourse('exactly-50mb.pdf');
  const { error } = await materials(alice).upload(name, pdfOfSize(LIMIT), { contentType: 'application/pdf' });
  assert.equal(error, null);
  const { data } = await materials(alice).info(name);
  assert.equal(data.size, LIMIT);
});

test('a raw upload of 50 MB + 1 byte is refused with 413 and leaves nothing', async () => {
  const before = storedFiles(server).length;
  const name = inCourse('too-big-raw.pdf');
  const { error } = await materials(alice).upload(name, pdfOfSize(LIMIT + 1), { contentType: 'application/pdf' });
  assert.equal(error.status, 413);
  assert.equal(error.statusCode, '413');
  assert.equal(rowCount(name), 0);
  assert.equal(storedFiles(server).length, before);
  assert.deepEqual(tempFiles(server), []);
});

test('a form upload passing 50 MB is cut off while streaming with 413 and leaves nothing', async () => {
  const before = storedFiles(server).length;
  const name = inCourse('too-big-form.pdf');
  const blob = new Blob([pdfOfSize(LIMIT + 1)], { type: 'application/pdf' });
  const { error } = await materials(alice).upload(name, blob);
  assert.equal(error.statusCode, '413');
  assert.equal(rowCount(name), 0);
  assert.equal(storedFiles(server).length, before);
  assert.deepEqual(tempFiles(server), []);
});

// ---- type -----------------------------------------------------------------------------------

test('a .pdf whose bytes are an executable is refused as an unsupported type', async () => {
  const name = inCourse('really-a-program.pdf');
  const { error } = await materials(alice).upload(name, fs.readFileSync('/bin/true'), { contentType: 'application/pdf' });
  assert.equal(error.statusCode, '415');
  assert.match(error.message, /^mime type application\/x-\S+ is not supported$/);
  assert.equal(rowCount(name), 0);
});

// (plain text and Markdown are materials too since migration 008: the tutor reads them)
test('an HTML page is refused by the materials bucket even when declared as a PDF', async () => {
  const { error } = await materials(alice).upload(inCourse('page.pdf'),
    Buffer.from('<!DOCTYPE html>\n<html><head><title>x</title></head><body><p>hi</p></body></html>\n'),
    { contentType: 'application/pdf' });
  assert.equal(error.message, 'mime type text/html is not supported');
});

// ---- whose folder -----------------------------------------------------------------------------

test('a student cannot upload under another student\'s id', async () => {
  const name = inCourse('intruder.pdf', bob, bobCourse);
  const { error } = await materials(alice).upload(name, FILES.pdf, { contentType: 'application/pdf' });
  assert.equal(error.statusCode, '403');
  assert.equal(rowCount(name), 0);
});

test('a student cannot upload into another student\'s course under their own id', async () => {
  const { error } = await materials(alice).upload(inCourse('x.pdf', alice, bobCourse), FILES.pdf,
    { contentType: 'application/pdf' });
  assert.equal(error.statusCode, '403');
});

test('a student cannot download another student\'s file', async () => {
  const name = inCourse('private.pdf', bob, bobCourse);
  assert.equal((await materials(bob).upload(name, FILES.pdf, { contentType: 'application/pdf' })).error, null);
  const res = await fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${alice.token}` },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(),
    { statusCode: '404', error: 'not_found', message: 'Object not found', code: 'NoSuchKey' });
});

test('the anon key alone reads no material', async () => {
  const name = inCourse('anon.pdf');
  await materials(alice).upload(name, FILES.pdf, { contentType: 'application/pdf' });
  const res = await fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    headers: { apikey: server.anonKey },
  });
  assert.equal((await res.json()).statusCode, '404');
});

test('a request without any token is refused', async () => {
  const res = await fetch(`${server.url}/storage/v1/object/materials/${inCourse('x.pdf')}`);
  assert.equal(res.status, 400);
  assert.ok((await res.json()).message);
});

test('a request with a forged token is refused with 403', async () => {
  const forged = `${alice.token.slice(0, -4)}AAAA`;
  const res = await fetch(`${server.url}/storage/v1/object/materials/${inCourse('x.pdf')}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${forged}` },
  });
  assert.equal((await res.json()).statusCode, '403');
});

// ---- bucket and names ----------------------------------------------------------------------------

test('an upload to an unknown bucket is refused with Bucket not found', async () => {
  const { error } = await alice.client.storage.from('no-such-bucket')
    .upload(inCourse('x.pdf'), FILES.pdf, { contentType: 'application/pdf' });
  assert.equal(error.statusCode, '404');
  assert.equal(error.message, 'Bucket not found');
});

for (const [what, encoded] of [
  ['a ".." segment', '..%2F..%2Fescape.pdf'],
  ['a "." segment', '.%2Fx.pdf'],
  ['a backslash', '..%5C..%5Cescape.pdf'],
  ['a NUL character', 'real.pdf%00.png'],
  ['a control character', 'bad%01name.pdf'],
  ['a DEL character', 'bad%7Fname.pdf'],
  ['an empty segment', 'a%2F%2Fb.pdf'],
  ['invalid UTF-8', 'bad%C3%28.pdf'],
  ['a 256-byte file name', `${'a'.repeat(252)}.pdf`],
]) {
  test(`a key with ${what} is refused as InvalidKey`, async () => {
    const before = storedFiles(server).length;
    const res = await rawRequest('POST', `/storage/v1/object/materials/${alice.id}/${aliceCourse}/${encoded}`, FILES.pdf);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'InvalidKey');
    assert.equal(storedFiles(server).length, before);
  });
}

test('a key starting with "/" is refused as InvalidKey', async () => {
  const res = await rawRequest('POST', `/storage/v1/object/materials//${alice.id}/${aliceCourse}/x.pdf`, FILES.pdf);
  assert.equal(res.body.error, 'InvalidKey');
});

test('a key of more than 1024 bytes is refused as InvalidKey', async () => {
  const long = Array.from({ length: 12 }, () => 'f'.repeat(100)).join('/');
  const res = await rawRequest('POST', `/storage/v1/object/materials/${alice.id}/${aliceCourse}/${long}.pdf`, FILES.pdf);
  assert.equal(res.body.error, 'InvalidKey');
});

test('a move to a traversal name is refused as InvalidKey', async () => {
  const name = inCourse('to-move.pdf');
  await materials(alice).upload(name, FILES.pdf, { contentType: 'application/pdf' });
  const { error } = await materials(alice).move(name, `${alice.id}/${aliceCourse}/../../../etc/passwd`);
  assert.equal(error.statusCode, '400');
  assert.match(error.message, /Invalid key/);
});

// ---- form fields ----------------------------------------------------------------------------------

async function postForm(name, fields) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('', new Blob([FILES.png], { type: 'image/png' }), 'x.png');
  const res = await fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    method: 'POST', body: form, headers: { apikey: server.anonKey, Authorization: `Bearer ${alice.token}` },
  });
  return { status: res.status, body: await res.json() };
}

test('a form whose contentType would split the download\'s headers is refused', async () => {
  const res = await postForm(inCourse('split.png'), { contentType: 'image/png\r\nX-Injected: yes' });
  assert.equal(res.body.statusCode, '400');
  assert.equal(res.body.message, 'The content type is not a valid header value');
});

test('a form whose cacheControl is not a number of seconds is refused', async () => {
  const res = await postForm(inCourse('cache.png'), { cacheControl: '60\r\nX-Injected: yes' });
  assert.equal(res.body.statusCode, '400');
  assert.equal(res.body.message, 'cacheControl must be a number of seconds');
});

test('a form\'s user metadata must be a JSON object', async () => {
  const res = await postForm(inCourse('meta.png'), { metadata: '[1, 2]' });
  assert.equal(res.body.message, 'metadata must be a JSON object');
});

// ---- duplicates ------------------------------------------------------------------------------------

test('uploading to a taken name without upsert is refused with 409 Duplicate', async () => {
  const name = inCourse('twice.pdf');
  await materials(alice).upload(name, FILES.pdf, { contentType: 'application/pdf' });
  const { error } = await materials(alice).upload(name, FILES.png, { contentType: 'image/png' });
  assert.equal(error.statusCode, '409');
  assert.equal(error.message, 'The resource already exists');
  const { data } = await materials(alice).download(name);
  assert.deepEqual(Buffer.from(await data.arrayBuffer()), FILES.pdf);
});

test('two simultaneous uploads to one name: one is stored, the other gets 409 and leaves no file', async () => {
  const name = inCourse('race.pdf');
  const before = storedFiles(server).length;
  const results = await Promise.all([1, 2].map(() =>
    materials(alice).upload(name, pdfOfSize(4 * 1024 * 1024), { contentType: 'application/pdf' })));
  const codes = results.map((r) => (r.error ? r.error.statusCode : 'ok')).sort();
  assert.deepEqual(codes, ['409', 'ok']);
  assert.equal(rowCount(name), 1);
  assert.equal(storedFiles(server).length, before + 1);
});

test('uploading to a taken name with upsert replaces the bytes and removes the old file', async () => {
  const name = inCourse('replaced.png');
  await materials(alice).upload(name, FILES.png, { contentType: 'image/png' });
  const { data: first } = await materials(alice).info(name);
  const { error } = await materials(alice).upload(name, FILES.gif, { contentType: 'image/gif', upsert: true });
  assert.equal(error, null);
  const { data } = await materials(alice).download(name);
  assert.deepEqual(Buffer.from(await data.arrayBuffer()), FILES.gif);
  await eventually(() => !fs.existsSync(fileOfVersion(server, first.version)), 'the replaced file is gone');
});
