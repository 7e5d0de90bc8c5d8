// Stored files are the server's alone (issue #12): under SB_STORAGE_DIR every file is 0600 and
// every folder 0700, whatever the server's umask, and folders an older version left open to
// other users (0755) are closed when the server starts.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('../api/lib/server');
const { createStudent } = require('../api/lib/students');
const { FILES, createCourse, storedFiles, fileOfVersion } = require('../api/lib/storage');

let server, alice, course, storageDir, outside;

const modeOf = (p) => fs.statSync(p).mode & 0o7777;
const octal = (mode) => mode.toString(8).padStart(4, '0');
const materials = () => alice.client.storage.from('materials');

async function versionOf(name) {
  const { data, error } = await materials().info(name);
  assert.equal(error, null);
  return data.version;
}

before(async () => {
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'studybase-storage-modes-'));
  storageDir = path.join(outside, 'made', 'files'); // neither exists: the server makes both
  server = await startServer({ SB_STORAGE_DIR: storageDir });
  alice = await createStudent(server, 'alice');
  course = createCourse(alice.id);
});
after(async () => {
  await server?.stop();
  if (outside) fs.rmSync(outside, { recursive: true, force: true });
});

test('an uploaded file is stored with mode 0600', async () => {
  const name = `${alice.id}/${course}/upload.pdf`;
  assert.equal((await materials().upload(name, FILES.pdf, { contentType: 'application/pdf' })).error, null);
  assert.equal(octal(modeOf(fileOfVersion(server, await versionOf(name)))), '0600');
});

test('a copied file is stored with mode 0600', async () => {
  const from = `${alice.id}/${course}/original.gif`;
  const to = `${alice.id}/${course}/copy.gif`;
  assert.equal((await materials().upload(from, FILES.gif, { contentType: 'image/gif' })).error, null);
  assert.equal((await materials().copy(from, to)).error, null);
  assert.equal(octal(modeOf(fileOfVersion(server, await versionOf(to)))), '0600');
});

test('every stored file is 0600 and every folder the server made for the store 0700', () => {
  const files = storedFiles(server);
  assert.ok(files.length >= 3);
  for (const file of files) assert.equal(octal(modeOf(file)), '0600', file);
  const folders = [path.join(outside, 'made'), storageDir, path.join(storageDir, 'objects'),
    path.join(storageDir, 'tmp'), ...new Set(files.map((f) => path.dirname(f)))];
  for (const folder of folders) assert.equal(octal(modeOf(folder)), '0700', folder);
});

test('folders an older version left open to other users are closed when the server starts', async () => {
  const older = path.join(outside, 'older');
  for (const dir of ['objects/ab', 'tmp']) fs.mkdirSync(path.join(older, dir), { recursive: true });
  for (const dir of ['objects', 'objects/ab', 'tmp']) fs.chmodSync(path.join(older, dir), 0o755);
  const second = await startServer({ SB_STORAGE_DIR: older });
  try {
    assert.equal(octal(modeOf(path.join(older, 'objects'))), '0700');
    assert.equal(octal(modeOf(path.join(older, 'tmp'))), '0700');
  } finally {
    await second.stop();
  }
});
