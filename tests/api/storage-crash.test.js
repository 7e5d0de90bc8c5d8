// Uploads that do not finish: a client that gives up half-way, and a server killed (SIGKILL)
// in the middle of a large upload. Neither leaves a partial file or an object row; after a
// restart on the same storage folder the name can be uploaded.
'use strict';
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { once } = require('node:events');
const { createClient } = require('@supabase/supabase-js');
const { startServer } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { FILES, createCourse, storedFiles, tempFiles, eventually } = require('./lib/storage');

const MB = 1024 * 1024;
const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'studybase-storage-'));
const env = { SB_STORAGE_DIR: storageDir, SB_JWT_SECRET: crypto.randomBytes(32).toString('hex') };
const servers = [];

after(async () => {
  for (const s of servers) await s.stop();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

/* Whether the process holds a file open in the storage folder's tmp/ (an upload in progress). */
function writesTemporaryFile(pid) {
  const fdDir = `/proc/${pid}/fd`;
  return fs.readdirSync(fdDir).some((fd) => {
    try { return fs.readlinkSync(path.join(fdDir, fd)).startsWith(path.join(storageDir, 'tmp')); } catch { return false; }
  });
}

/* Starts a 40 MB upload and sends its first 16 MB; the request is left open. */
async function startLargeUpload(server, student, name) {
  const url = new URL(server.url);
  const req = http.request({
    host: url.hostname, port: url.port, method: 'POST', path: `/storage/v1/object/materials/${name}`,
    headers: {
      apikey: server.anonKey, Authorization: `Bearer ${student.token}`,
      'Content-Type': 'application/pdf', 'Content-Length': 40 * MB,
    },
  });
  req.on('error', () => {}); // the server goes away mid-request
  const first = Buffer.alloc(MB);
  FILES.pdf.copy(first);
  for (let i = 0; i < 16; i++) {
    await new Promise((resolve) => req.write(i === 0 ? first : Buffer.alloc(MB), resolve));
  }
  return req;
}

test('a client that gives up half-way through an upload leaves no file and no row', async () => {
  const server = await startServer(env);
  servers.push(server);
  const student = await createStudent(server);
  const name = `${student.id}/${createCourse(student.id)}/abandoned.pdf`;
  const before = storedFiles(server).length;

  const req = await startLargeUpload(server, student, name);
  await eventually(() => writesTemporaryFile(server.process.pid), 'the server is writing the upload');
  req.destroy();
  await eventually(() => !writesTemporaryFile(server.process.pid), 'the server has dropped the upload');

  assert.equal(storedFiles(server).length, before, 'no stored file');
  assert.deepEqual(tempFiles(server), [], 'no temporary file');
  assert.equal(sql(`SELECT count(*) FROM storage.objects WHERE name = :'name';`, { name }), '0', 'no row');
  await server.stop();
});

test('killing the server during a large upload leaves no partial file and no row', async () => {
  const server = await startServer(env);
  servers.push(server);
  const student = await createStudent(server);
  const course = createCourse(student.id);
  const name = `${student.id}/${course}/lecture-recording.pdf`;

  const req = await startLargeUpload(server, student, name);
  await eventually(() => writesTemporaryFile(server.process.pid), 'the server is writing the upload');
  server.process.kill('SIGKILL');
  await once(server.process, 'exit');
  req.destroy();

  assert.deepEqual(storedFiles(server), [], 'no stored file');
  assert.deepEqual(tempFiles(server), [], 'no temporary file');
  assert.equal(sql(`SELECT count(*) FROM storage.objects WHERE name = :'name';`, { name }), '0', 'no row');

  const restarted = await startServer(env);
  servers.push(restarted);
  const client = createClient(restarted.url, restarted.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${student.token}` } },
  });
  const { error } = await client.storage.from('materials').upload(name, FILES.pdf, { contentType: 'application/pdf' });
  assert.equal(error, null, 'the name is free after the restart');
  assert.equal(storedFiles(restarted).length, 1);
});
