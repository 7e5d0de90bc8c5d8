// Copy and move meet the destination bucket's rules as an upload does (issue #12): its size
// limit (the bucket's file_size_limit, and SB_STORAGE_MAX_FILE_BYTES) and, in a bucket with
// allowed_mime_types, the type the file's bytes are; with the same answers an upload gets.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, clientFor } = require('../api/lib/server');
const { FILES } = require('../api/lib/storage');

let server, admin, open, small, pdfOnly, storageDir;
const suffix = crypto.randomBytes(4).toString('hex');
const TEXT_AS_PDF = Buffer.from('these are plain notes, not a PDF\n');
const BIG = Buffer.alloc(2000, 0x61); // 2000 bytes of text

/* A PDF of exactly n bytes: a real header, then padding. */
function pdfOfSize(n) {
  const bytes = Buffer.alloc(n, 0x20);
  FILES.pdf.copy(bytes, 0);
  return bytes;
}

async function createBucket(id, options = {}) {
  const { error } = await admin.storage.createBucket(id, { public: false, ...options });
  assert.equal(error, null);
  return id;
}

/* Puts bytes under name in the bucket that takes anything, declared as contentType. */
async function put(name, bytes, contentType) {
  const { error } = await admin.storage.from(open).upload(name, bytes, { contentType });
  assert.equal(error, null);
}

const exists = async (bucket, name) => (await admin.storage.from(bucket).exists(name)).data;
const refusal = (error) => ({ status: error.status, statusCode: error.statusCode, message: error.message });

before(async () => {
  storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'studybase-transfers-'));
  server = await startServer({ SB_STORAGE_DIR: storageDir });
  admin = clientFor(server, server.serviceKey);
  open = await createBucket(`open-${suffix}`);
  small = await createBucket(`small-${suffix}`, { fileSizeLimit: 1000 });
  pdfOnly = await createBucket(`pdf-only-${suffix}`, { allowedMimeTypes: ['application/pdf'] });
});
after(async () => {
  await server?.stop();
  if (storageDir) fs.rmSync(storageDir, { recursive: true, force: true });
});

// ---- size ---------------------------------------------------------------------------------------

test('copy into a bucket whose size limit the file exceeds is refused as an upload would be', async () => {
  await put('big-for-copy.txt', BIG, 'text/plain');
  const upload = await admin.storage.from(small).upload('big.txt', BIG, { contentType: 'text/plain' });
  const { error } = await admin.storage.from(open).copy('big-for-copy.txt', 'big.txt', { destinationBucket: small });
  assert.ok(error, 'the copy is refused');
  assert.deepEqual(refusal(error), refusal(upload.error));
  assert.equal(error.statusCode, '413');
  assert.equal(await exists(small, 'big.txt'), false);
});

test('move into a bucket whose size limit the file exceeds is refused and the object stays', async () => {
  await put('big-for-move.txt', BIG, 'text/plain');
  const { error } = await admin.storage.from(open).move('big-for-move.txt', 'big-moved.txt', { destinationBucket: small });
  assert.ok(error, 'the move is refused');
  assert.equal(error.statusCode, '413');
  assert.equal(error.message, 'The object exceeded the maximum allowed size');
  assert.equal(await exists(open, 'big-for-move.txt'), true);
  assert.equal(await exists(small, 'big-moved.txt'), false);
});

test('copy of a file larger than SB_STORAGE_MAX_FILE_BYTES is refused', async () => {
  await put('over-the-server-limit.pdf', pdfOfSize(5000), 'application/pdf');
  // a second server on the same database and files, whose limit the stored file now exceeds
  const strict = await startServer({
    SB_STORAGE_DIR: storageDir, SB_JWT_SECRET: server.env.SB_JWT_SECRET, SB_STORAGE_MAX_FILE_BYTES: '4000',
  });
  try {
    const strictAdmin = clientFor(strict, strict.serviceKey);
    const { error } = await strictAdmin.storage.from(open).copy('over-the-server-limit.pdf', 'copy.pdf');
    assert.ok(error, 'the copy is refused');
    assert.equal(error.statusCode, '413');
    assert.equal(await exists(open, 'copy.pdf'), false);
  } finally {
    await strict.stop();
  }
});

// ---- type ---------------------------------------------------------------------------------------

test('copy into a bucket whose allowed types exclude what the bytes are is refused as an upload would be', async () => {
  await put('notes-for-copy.pdf', TEXT_AS_PDF, 'application/pdf'); // declared a PDF, bytes are text
  const upload = await admin.storage.from(pdfOnly).upload('notes.pdf', TEXT_AS_PDF, { contentType: 'application/pdf' });
  const { error } = await admin.storage.from(open).copy('notes-for-copy.pdf', 'notes.pdf', { destinationBucket: pdfOnly });
  assert.ok(error, 'the copy is refused');
  assert.deepEqual(refusal(error), refusal(upload.error));
  assert.equal(error.message, 'mime type text/plain is not supported');
  assert.equal(await exists(pdfOnly, 'notes.pdf'), false);
});

test('move into a bucket whose allowed types exclude what the bytes are is refused and the object stays', async () => {
  await put('notes-for-move.pdf', TEXT_AS_PDF, 'application/pdf');
  const { error } = await admin.storage.from(open).move('notes-for-move.pdf', 'notes-moved.pdf', { destinationBucket: pdfOnly });
  assert.ok(error, 'the move is refused');
  assert.equal(error.statusCode, '415');
  assert.equal(error.message, 'mime type text/plain is not supported');
  assert.equal(await exists(open, 'notes-for-move.pdf'), true);
  assert.equal(await exists(pdfOnly, 'notes-moved.pdf'), false);
});

test('copy into a bucket that restricts types records the type the bytes are, as an upload does', async () => {
  await put('unlabelled', FILES.pdf, 'application/octet-stream');
  const { error } = await admin.storage.from(open).copy('unlabelled', 'labelled.pdf', { destinationBucket: pdfOnly });
  assert.equal(error, null);
  const { data } = await admin.storage.from(pdfOnly).info('labelled.pdf');
  assert.equal(data.contentType, 'application/pdf');
});
