// Storage (/storage/v1) through supabase-js: students upload, list, download, sign, move and
// remove course materials in the private `materials` bucket, at {user id}/{course id}/{file}.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { clientFor } = require('./lib/server');
const { sql } = require('./lib/students');
const {
  startWithTwoStudents, FILES, createCourse, sqlAs, storedFiles, fileOfVersion, eventually, signToken,
} = require('./lib/storage');

let server, alice, bob, aliceCourse, bobCourse, service;

before(async () => {
  ({ server, alice, bob, aliceCourse, bobCourse } = await startWithTwoStudents());
  service = clientFor(server, server.serviceKey);
});
after(async () => { await server?.stop(); });

const materials = (student) => student.client.storage.from('materials');
const inCourse = (name, student = alice, course = aliceCourse) => `${student.id}/${course}/${name}`;
let counter = 0;
const unique = (ext) => `file-${++counter}-${Date.now()}.${ext}`;

async function bytesOf(blob) { return Buffer.from(await blob.arrayBuffer()); }

async function upload(student, name, bytes, contentType, options = {}) {
  const { data, error } = await materials(student).upload(name, bytes, { contentType, ...options });
  assert.equal(error, null, `upload of ${name}: ${error?.message}`);
  return data;
}

async function versionOf(student, name) {
  const { data, error } = await materials(student).info(name);
  assert.equal(error, null);
  return data.version;
}

// ---- uploads and downloads ------------------------------------------------------------------

// Several MiB arrive in many pieces of different sizes (large reads written as they are, short
// ones gathered first), raw and through the form parser.
const bigPdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(3 * 1024 * 1024 + 12345)]);

test('a 3 MiB PDF uploaded as a raw body downloads byte for byte', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, bigPdf, 'application/pdf');
  const { data: blob, error } = await materials(alice).download(name);
  assert.equal(error, null);
  assert.ok((await bytesOf(blob)).equals(bigPdf), 'same bytes');
});

test('a 3 MiB PDF uploaded as a form (Blob) downloads byte for byte', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, new Blob([bigPdf], { type: 'application/pdf' }));
  const { data: blob, error } = await materials(alice).download(name);
  assert.equal(error, null);
  assert.ok((await bytesOf(blob)).equals(bigPdf), 'same bytes');
});

test('a student uploads a PDF into their course folder and downloads the same bytes', async () => {
  const name = inCourse(unique('pdf'));
  const data = await upload(alice, name, FILES.pdf, 'application/pdf');
  assert.equal(data.path, name);
  assert.equal(data.fullPath, `materials/${name}`);
  assert.match(data.id, /^[0-9a-f-]{36}$/);
  const { data: blob, error } = await materials(alice).download(name);
  assert.equal(error, null);
  assert.deepEqual(await bytesOf(blob), FILES.pdf);
});

for (const [kind, mime] of [['png', 'image/png'], ['jpeg', 'image/jpeg'], ['gif', 'image/gif'], ['webp', 'image/webp']]) {
  test(`a ${kind.toUpperCase()} image uploaded as a form (Blob) is stored with its type and bytes`, async () => {
    const name = inCourse(unique(kind));
    await upload(alice, name, new Blob([FILES[kind]], { type: mime }));
    const { data: info } = await materials(alice).info(name);
    assert.equal(info.contentType, mime);
    assert.equal(info.size, FILES[kind].length);
    const { data: blob } = await materials(alice).download(name);
    assert.deepEqual(await bytesOf(blob), FILES[kind]);
  });
}

test('a download carries the stored type, length and caching headers', async () => {
  const name = inCourse(unique('png'));
  await upload(alice, name, FILES.png, 'image/png', { cacheControl: '120' });
  const res = await fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${alice.token}` },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.equal(res.headers.get('content-length'), String(FILES.png.length));
  assert.equal(res.headers.get('cache-control'), 'max-age=120');
  assert.match(res.headers.get('etag'), /^".+"$/);
  assert.ok(res.headers.get('last-modified'));
});

test('user metadata given at upload comes back from info()', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, new Blob([FILES.pdf], { type: 'application/pdf' }), undefined,
    { metadata: { chapter: 3, topic: 'Übung' } });
  const { data } = await materials(alice).info(name);
  assert.deepEqual(data.metadata, { chapter: 3, topic: 'Übung' });
});

test('a download whose ETag the client already holds is answered 304 without the bytes', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const url = `${server.url}/storage/v1/object/materials/${name}`;
  const headers = { apikey: server.anonKey, Authorization: `Bearer ${alice.token}` };
  const etag = (await fetch(url, { headers })).headers.get('etag');
  const again = await fetch(url, { headers: { ...headers, 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const other = await fetch(url, { headers: { ...headers, 'If-None-Match': '"something-else"' } });
  assert.equal(other.status, 200);
});

test('a name in any script is kept, normalised to NFC', async () => {
  const decomposed = inCourse(`U\u0308bung ${counter++}.pdf`); // U + combining diaeresis
  await upload(alice, decomposed, FILES.pdf, 'application/pdf');
  const composed = decomposed.normalize('NFC');
  const { data, error } = await materials(alice).download(composed);
  assert.equal(error, null);
  assert.deepEqual(await bytesOf(data), FILES.pdf);
});

test('update() replaces a file\'s bytes under the same name', async () => {
  const name = inCourse(unique('png'));
  await upload(alice, name, FILES.png, 'image/png');
  const { error } = await materials(alice).update(name, FILES.jpeg, { contentType: 'image/jpeg' });
  assert.equal(error, null);
  const { data: info } = await materials(alice).info(name);
  assert.equal(info.contentType, 'image/jpeg');
  const { data } = await materials(alice).download(name);
  assert.deepEqual(await bytesOf(data), FILES.jpeg);
});

test('exists() tells a stored file from a missing one', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  assert.equal((await materials(alice).exists(name)).data, true);
  assert.equal((await materials(alice).exists(inCourse('not-there.pdf'))).data, false);
});

test('a public bucket serves its objects without a token; the materials bucket does not', async () => {
  const id = `public-${Date.now()}`;
  assert.equal((await service.storage.createBucket(id, { public: true })).error, null);
  const text = Buffer.from('open to everyone\n');
  const { error } = await service.storage.from(id).upload('notice.txt', text, { contentType: 'text/plain' });
  assert.equal(error, null);
  const res = await fetch(service.storage.from(id).getPublicUrl('notice.txt').data.publicUrl);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), text);
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const privateRes = await fetch(materials(alice).getPublicUrl(name).data.publicUrl);
  assert.equal(privateRes.status, 400);
});

// ---- list -----------------------------------------------------------------------------------

test('list shows the files of a course folder with their metadata', async () => {
  const course = createCourse(alice.id, 'Listing');
  for (const n of ['b.pdf', 'a.pdf', 'c.png']) {
    await upload(alice, inCourse(n, alice, course), n.endsWith('png') ? FILES.png : FILES.pdf, 'application/pdf');
  }
  const { data, error } = await materials(alice).list(`${alice.id}/${course}`);
  assert.equal(error, null);
  assert.deepEqual(data.map((f) => f.name), ['a.pdf', 'b.pdf', 'c.png']);
  assert.equal(data[2].metadata.mimetype, 'image/png');
  assert.equal(data[0].metadata.size, FILES.pdf.length);
});

test('list with search, sortBy, limit and offset pages through a folder', async () => {
  const course = createCourse(alice.id, 'Paging');
  for (const n of ['notes-1.pdf', 'notes-2.pdf', 'notes-3.pdf', 'slides.pdf']) {
    await upload(alice, inCourse(n, alice, course), FILES.pdf, 'application/pdf');
  }
  const { data } = await materials(alice).list(`${alice.id}/${course}`, {
    search: 'NOTES', sortBy: { column: 'name', order: 'desc' }, limit: 2, offset: 1,
  });
  assert.deepEqual(data.map((f) => f.name), ['notes-2.pdf', 'notes-1.pdf']);
});

test('list at a student\'s own folder shows each course as a folder', async () => {
  const { data } = await materials(alice).list(alice.id);
  const folder = data.find((f) => f.name === aliceCourse);
  assert.ok(folder, 'the course folder is listed');
  assert.equal(folder.id, null);
});

test('list shows a student nothing of another student\'s folder', async () => {
  await upload(bob, inCourse(unique('pdf'), bob, bobCourse), FILES.pdf, 'application/pdf');
  const { data } = await materials(alice).list(`${bob.id}/${bobCourse}`);
  assert.deepEqual(data, []);
});

// ---- signed URLs ----------------------------------------------------------------------------

test('a signed URL is fetched without any token header', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const { data, error } = await materials(alice).createSignedUrl(name, 60);
  assert.equal(error, null);
  const res = await fetch(data.signedUrl);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), FILES.pdf);
});

test('createSignedUrls signs the readable paths and reports the others', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const missing = inCourse('missing.pdf');
  const { data, error } = await materials(alice).createSignedUrls([name, missing], 60);
  assert.equal(error, null);
  assert.equal(data[0].error, null);
  assert.equal((await fetch(data[0].signedUrl)).status, 200);
  assert.equal(data[1].signedUrl, null);
  assert.ok(data[1].error);
});

test('an expired signed URL is refused', async () => {
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const now = Math.floor(Date.now() / 1000);
  const token = signToken(server.env.SB_JWT_SECRET,
    { purpose: 'storage.download', url: `materials/${name}`, iat: now - 120, exp: now - 60 });
  const res = await fetch(`${server.url}/storage/v1/object/sign/materials/${name}?token=${token}`);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, 'The provided token has expired.');
});

test('a signed URL opens only the object it was signed for', async () => {
  const name = inCourse(unique('pdf'));
  const other = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  await upload(alice, other, FILES.pdf, 'application/pdf');
  const { data } = await materials(alice).createSignedUrl(name, 60);
  const token = new URL(data.signedUrl).searchParams.get('token');
  const res = await fetch(`${server.url}/storage/v1/object/sign/materials/${other}?token=${token}`);
  assert.equal(res.status, 400);
});

test('a student cannot sign another student\'s file', async () => {
  const name = inCourse(unique('pdf'), bob, bobCourse);
  await upload(bob, name, FILES.pdf, 'application/pdf');
  const { error } = await materials(alice).createSignedUrl(name, 60);
  assert.equal(error.statusCode, '404');
});

test('a signed upload URL lets a file be uploaded without the student\'s token, as the student', async () => {
  const name = inCourse(unique('png'));
  const { data: signed, error } = await materials(alice).createSignedUploadUrl(name);
  assert.equal(error, null);
  const anonymous = clientFor(server).storage.from('materials');
  const { data, error: uploadError } = await anonymous.uploadToSignedUrl(name, signed.token, FILES.png,
    { contentType: 'image/png' });
  assert.equal(uploadError, null);
  assert.equal(data.fullPath, `materials/${name}`);
  const { data: blob } = await materials(alice).download(name);
  assert.deepEqual(await bytesOf(blob), FILES.png);
});

test('a signed upload URL is refused for another student\'s folder and gives no API access', async () => {
  const { error } = await materials(alice).createSignedUploadUrl(inCourse(unique('pdf'), bob, bobCourse));
  assert.equal(error.statusCode, '403');
  const name = inCourse(unique('pdf'));
  await upload(alice, name, FILES.pdf, 'application/pdf');
  const { data: signed } = await materials(alice).createSignedUploadUrl(inCourse(unique('pdf')));
  const res = await fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${signed.token}` },
  });
  assert.equal((await res.json()).statusCode, '403', 'the upload token is refused as a bearer token');
});

// ---- remove, move, copy ---------------------------------------------------------------------

test('remove deletes the objects and then their files', async () => {
  const a = inCourse(unique('pdf'));
  const b = inCourse(unique('png'));
  await upload(alice, a, FILES.pdf, 'application/pdf');
  await upload(alice, b, FILES.png, 'image/png');
  const files = [fileOfVersion(server, await versionOf(alice, a)), fileOfVersion(server, await versionOf(alice, b))];
  assert.ok(files.every((f) => fs.existsSync(f)));
  const { data, error } = await materials(alice).remove([a, b, inCourse('never-there.pdf')]);
  assert.equal(error, null);
  assert.deepEqual(data.map((o) => o.name).sort(), [a, b].sort());
  const { error: gone } = await materials(alice).download(a);
  assert.ok(gone);
  await eventually(() => files.every((f) => !fs.existsSync(f)), 'the removed files are gone from disk');
});

test('a student cannot remove another student\'s file', async () => {
  const name = inCourse(unique('pdf'), bob, bobCourse);
  await upload(bob, name, FILES.pdf, 'application/pdf');
  const { data } = await materials(alice).remove([name]);
  assert.deepEqual(data, []);
  const { error } = await materials(bob).download(name);
  assert.equal(error, null);
});

test('move gives the object a new name and keeps its bytes', async () => {
  const from = inCourse(unique('pdf'));
  const to = inCourse(unique('pdf'));
  await upload(alice, from, FILES.pdf, 'application/pdf');
  const { data, error } = await materials(alice).move(from, to);
  assert.equal(error, null);
  assert.equal(data.message, 'Successfully moved');
  const { data: blob } = await materials(alice).download(to);
  assert.deepEqual(await bytesOf(blob), FILES.pdf);
  const { error: old } = await materials(alice).download(from);
  assert.ok(old);
});

test('move into another student\'s folder is refused', async () => {
  const from = inCourse(unique('pdf'));
  await upload(alice, from, FILES.pdf, 'application/pdf');
  const { error } = await materials(alice).move(from, inCourse(unique('pdf'), bob, bobCourse));
  assert.equal(error.statusCode, '403');
});

test('copy makes a second object with the same bytes', async () => {
  const from = inCourse(unique('gif'));
  const to = inCourse(unique('gif'));
  await upload(alice, from, FILES.gif, 'image/gif');
  const { data, error } = await materials(alice).copy(from, to);
  assert.equal(error, null);
  assert.equal(data.path, `materials/${to}`);
  const { data: blob } = await materials(alice).download(to);
  assert.deepEqual(await bytesOf(blob), FILES.gif);
  assert.notEqual(await versionOf(alice, to), await versionOf(alice, from));
});

// ---- materials rows -----------------------------------------------------------------------

test('an upload followed by the seed\'s materials insert is accepted', async () => {
  const filePath = inCourse('neural_networks.pdf');
  await upload(alice, filePath, FILES.pdf, 'application/pdf');
  const id = sqlAs(alice, `INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES (:'course', 'Introduction to Neural Networks.pdf', :'path', 'application/pdf', :'size') RETURNING id;`,
  { course: aliceCourse, path: filePath, size: FILES.pdf.length });
  assert.match(id, /[0-9a-f-]{36}/);
});

test('a materials row naming a path outside its course is refused with a clear message', () => {
  assert.throws(() => sqlAs(alice, `INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES (:'course', 'x.pdf', :'path', 'application/pdf', 10);`,
  { course: aliceCourse, path: `${alice.id}/somewhere/x.pdf` }),
  /File path must be \{user_id\}\/\{course_id\}\/\{filename\}/);
});

test('a file a material names cannot be removed until the material is deleted, which removes it', async () => {
  const filePath = inCourse(unique('pdf'));
  await upload(alice, filePath, FILES.pdf, 'application/pdf');
  const file = fileOfVersion(server, await versionOf(alice, filePath));
  const id = sqlAs(alice, `INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES (:'course', 'm.pdf', :'path', 'application/pdf', 10) RETURNING id;`, { course: aliceCourse, path: filePath });
  const { error } = await materials(alice).remove([filePath]);
  assert.equal(error.statusCode, '409');
  assert.ok(fs.existsSync(file));
  sqlAs(alice, `DELETE FROM materials WHERE id = :'id';`, { id });
  await eventually(() => !fs.existsSync(file), 'the material\'s file is gone from disk');
});

test('deleting a course removes its files from disk', async () => {
  const course = createCourse(alice.id, 'Short-lived');
  const names = [inCourse('a.pdf', alice, course), inCourse('b.webp', alice, course)];
  await upload(alice, names[0], FILES.pdf, 'application/pdf');
  await upload(alice, names[1], FILES.webp, 'image/webp');
  sqlAs(alice, `INSERT INTO materials (course_id, name, file_path, file_type, file_size)
    VALUES (:'course', 'a.pdf', :'path', 'application/pdf', 10);`, { course, path: names[0] });
  const files = [];
  for (const n of names) files.push(fileOfVersion(server, await versionOf(alice, n)));
  sqlAs(alice, `DELETE FROM courses WHERE id = :'course';`, { course });
  await eventually(() => files.every((f) => !fs.existsSync(f)), 'the course\'s files are gone from disk');
  const { error } = await materials(alice).download(names[1]);
  assert.ok(error);
});

test('the drainer removes queued files no row names once due, and never a file a row names', async () => {
  const named = inCourse(unique('pdf'));
  await upload(alice, named, FILES.pdf, 'application/pdf');
  const namedFile = fileOfVersion(server, await versionOf(alice, named));
  const orphan = crypto.randomUUID();
  const notYetDue = crypto.randomUUID();
  for (const v of [orphan, notYetDue]) {
    fs.mkdirSync(path.dirname(fileOfVersion(server, v)), { recursive: true });
    fs.writeFileSync(fileOfVersion(server, v), 'left behind by a crash');
  }
  sql(`INSERT INTO storage.file_deletions (version, not_before) VALUES
         (:'named', now()), (:'orphan', now()), (:'later', now() + interval '10 minutes');
       NOTIFY storage_file_deletions;`,
  { named: await versionOf(alice, named), orphan, later: notYetDue });
  await eventually(() => !fs.existsSync(fileOfVersion(server, orphan)), 'the due orphan is removed');
  assert.ok(fs.existsSync(namedFile), 'the file a row names stays');
  assert.ok(fs.existsSync(fileOfVersion(server, notYetDue)), 'the entry not yet due waits');
  assert.equal(sql(`SELECT count(*) FROM storage.file_deletions WHERE version = :'v';`, { v: notYetDue }), '1');
});

// ---- buckets ------------------------------------------------------------------------------

test('service_role creates, reads, updates and deletes a bucket', async () => {
  const id = `b${Date.now()}`;
  const { data: created, error } = await service.storage.createBucket(id, {
    public: false, fileSizeLimit: '1MB', allowedMimeTypes: ['image/*'],
  });
  assert.equal(error, null);
  assert.equal(created.name, id);
  const { data: bucket } = await service.storage.getBucket(id);
  assert.equal(bucket.file_size_limit, 1000000);
  assert.deepEqual(bucket.allowed_mime_types, ['image/*']);
  const { error: updateError } = await service.storage.updateBucket(id, { public: true });
  assert.equal(updateError, null);
  const { data: list } = await service.storage.listBuckets();
  assert.ok(list.some((b) => b.id === id && b.public === true));
  const { data: deleted } = await service.storage.deleteBucket(id);
  assert.equal(deleted.message, 'Successfully deleted');
});

test('a student can neither create nor see buckets', async () => {
  const { error } = await alice.client.storage.createBucket(`s${Date.now()}`);
  assert.equal(error.statusCode, '403');
  const { data } = await alice.client.storage.listBuckets();
  assert.deepEqual(data, []);
});
