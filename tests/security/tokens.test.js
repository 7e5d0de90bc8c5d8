// Every token has one use (issue #12): access tokens and the anon/service_role keys are API
// tokens; a signed download URL's token opens that one download; a signed upload URL's token
// that one upload. Each is refused everywhere else: as Authorization Bearer or apikey on
// /rest/v1, /auth/v1 and /storage/v1, and on the other signed route. Signed URLs made before
// tokens named their purpose are refused too.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { createStudent, sql } = require('../api/lib/students');
const { startServer } = require('../api/lib/server');
const { FILES, createCourse, signToken } = require('../api/lib/storage');

let server, alice, course, readable, downloadToken, uploadToken, uploadName;

const materials = () => alice.client.storage.from('materials');
const tokenOf = (signedUrl) => new URL(signedUrl).searchParams.get('token');
const rowCount = (name) => Number(sql(`SELECT count(*) FROM storage.objects WHERE name = :'name';`, { name }));

before(async () => {
  server = await startServer();
  alice = await createStudent(server, 'alice');
  course = createCourse(alice.id);
  readable = `${alice.id}/${course}/notes.pdf`;
  assert.equal((await materials().upload(readable, FILES.pdf, { contentType: 'application/pdf' })).error, null);
  const signed = await materials().createSignedUrl(readable, 600);
  assert.equal(signed.error, null);
  downloadToken = tokenOf(signed.data.signedUrl);
  uploadName = `${alice.id}/${course}/later.png`;
  const upload = await materials().createSignedUploadUrl(uploadName);
  assert.equal(upload.error, null);
  uploadToken = upload.data.token;
});
after(async () => { await server?.stop(); });

function restCourses(bearer) {
  return fetch(`${server.url}/rest/v1/courses?select=id`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${bearer}` },
  });
}

function authSettings(apikey) {
  return fetch(`${server.url}/auth/v1/settings`, { headers: { apikey } });
}

function storageList(bearer) {
  return fetch(`${server.url}/storage/v1/object/list/materials`, {
    method: 'POST',
    headers: { apikey: server.anonKey, Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prefix: `${alice.id}/${course}` }),
  });
}

function signedDownload(name, token) {
  return fetch(`${server.url}/storage/v1/object/sign/materials/${name}?token=${encodeURIComponent(token)}`);
}

function signedUpload(name, token, bytes = FILES.png) {
  return fetch(`${server.url}/storage/v1/object/upload/sign/materials/${name}?token=${encodeURIComponent(token)}`, {
    method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: bytes,
  });
}

// ---- signed URL tokens are no API tokens --------------------------------------------------------

test('a signed download URL\'s token is refused as a Bearer token on /rest/v1', async () => {
  assert.equal((await restCourses(alice.token)).status, 200, 'an access token is accepted');
  const res = await restCourses(downloadToken);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'PGRST301');
});

test('a signed upload URL\'s token is refused as a Bearer token on /rest/v1', async () => {
  const res = await restCourses(uploadToken);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 'PGRST301');
});

test('a signed download URL\'s token is refused as the apikey on /auth/v1', async () => {
  assert.equal((await authSettings(server.anonKey)).status, 200, 'the anon key is accepted');
  const res = await authSettings(downloadToken);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, 'Invalid API key');
});

test('a signed upload URL\'s token is refused as the apikey on /auth/v1', async () => {
  const res = await authSettings(uploadToken);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, 'Invalid API key');
});

test('a signed download URL\'s token is refused as a Bearer token on /storage/v1', async () => {
  assert.equal((await storageList(alice.token)).status, 200, 'an access token is accepted');
  const body = await (await storageList(downloadToken)).json();
  assert.equal(body.statusCode, '403');
  assert.equal(body.message, 'invalid JWT: the token was made for another use');
});

test('a signed upload URL\'s token is refused as a Bearer token on /storage/v1', async () => {
  const body = await (await storageList(uploadToken)).json();
  assert.equal(body.statusCode, '403');
  assert.equal(body.message, 'invalid JWT: the token was made for another use');
});

// ---- each signed route takes only its own kind ------------------------------------------------------

test('a signed upload URL\'s token does not open the signed download route', async () => {
  // signed for the upload's name: upload it first, so only the token's kind is wrong
  assert.equal((await materials().upload(uploadName, FILES.png, { contentType: 'image/png', upsert: true })).error, null);
  const res = await signedDownload(uploadName, uploadToken);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, 'InvalidJWT');
  assert.equal(body.message, 'The token is not a signed download URL\'s token');
  assert.equal((await materials().remove([uploadName])).error, null);
});

test('a signed download URL\'s token does not open the signed upload route', async () => {
  const res = await signedUpload(readable, downloadToken);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, 'InvalidJWT');
  assert.equal(body.message, 'The token is not a signed upload URL\'s token');
});

test('an access token or an API key opens neither signed route', async () => {
  for (const token of [alice.token, server.anonKey, server.serviceKey]) {
    const download = await (await signedDownload(readable, token)).json();
    assert.equal(download.message, 'The token is not a signed download URL\'s token');
    const upload = await (await signedUpload(`${alice.id}/${course}/by-key.png`, token)).json();
    assert.equal(upload.message, 'The token is not a signed upload URL\'s token');
  }
  assert.equal(rowCount(`${alice.id}/${course}/by-key.png`), 0);
});

test('a signed URL made before tokens named their purpose is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const old = signToken(server.env.SB_JWT_SECRET, { url: `materials/${readable}`, iat: now, exp: now + 600 });
  const res = await signedDownload(readable, old);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'InvalidJWT');
  assert.equal((await signedDownload(readable, downloadToken)).status, 200, 'a new signed URL opens');
});

test('a signed upload URL made before tokens named their purpose is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const name = `${alice.id}/${course}/old-upload.png`;
  const old = signToken(server.env.SB_JWT_SECRET,
    { url: `materials/${name}`, owner: alice.id, owner_role: 'authenticated', upsert: false, iat: now, exp: now + 600 });
  const res = await signedUpload(name, old);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'InvalidJWT');
  assert.equal(rowCount(name), 0);
});
