// The materials' PDFs are read in a child process (src/ai/pdf_child.h): a PDF that hangs its
// reader ends as a failed extraction the student can see, while the server keeps answering;
// no reader process is left behind and the next PDF is read as usual; a request claimed 3
// times without a result (migration 009's attempts) is failed instead of taken again, and a
// new upload starts the count again. The server's reader timeout is 2 s here (SB_PDF_TIMEOUT_S).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer } = require('./lib/server');
const { createStudent, sql } = require('./lib/students');
const { createCourse } = require('./lib/storage');
const { makePdf, makeFormBombPdf } = require('./lib/minipdf');

let server, alice, course;

before(async () => {
  server = await startServer({ SB_PDF_TIMEOUT_S: '2' });
  alice = await createStudent(server, 'alice');
  course = createCourse(alice.id);
});
after(async () => { await server?.stop(); });

let counter = 0;

async function addMaterial(name, bytes) {
  const path = `${alice.id}/${course}/${++counter}-${name}`;
  const { error: uploadError } = await alice.client.storage.from('materials').upload(path, bytes, { contentType: 'application/pdf' });
  assert.equal(uploadError, null, `upload of ${name}: ${uploadError?.message}`);
  const { data, error } = await alice.client.from('materials').insert({
    course_id: course, name, file_path: path, file_type: 'application/pdf', file_size: bytes.length,
  }).select('id').single();
  assert.equal(error, null, error?.message);
  return { id: data.id, path };
}

async function extraction(materialId) {
  const { data, error } = await alice.client.from('material_extractions')
    .select('status, reason, pages, chunks, attempts').eq('material_id', materialId).single();
  assert.equal(error, null, error?.message);
  return data;
}

async function settled(materialId, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await extraction(materialId);
    if (row.status !== 'pending') return row;
    if (Date.now() > deadline) throw new Error(`material ${materialId} still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/* The server's child processes (its threads' children), from /proc. */
function childrenOfServer() {
  const pid = server.process.pid;
  const kids = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) kids.push(...text.split(/\s+/));
  }
  return kids;
}

test('a PDF that hangs its reader fails with a reason while the server keeps answering', async () => {
  const bomb = await addMaterial('bomb.pdf', makeFormBombPdf(12));
  // while the reader works on it (2 s), the API answers
  const answered = [];
  const started = Date.now();
  while (Date.now() - started < 1500) {
    const health = await fetch(`${server.url}/health`);
    const { error } = await alice.client.from('courses').select('id').eq('id', course);
    answered.push(health.status === 200 && error === null);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(answered.length > 3 && answered.every(Boolean), `answers while reading: ${answered}`);
  const row = await settled(bomb.id);
  assert.equal(row.status, 'failed');
  assert.equal(row.reason, 'The PDF could not be read: reading it was stopped after 2 seconds '
    + '(the file may be damaged, or built to be very slow to read)');
  assert.equal(row.chunks, null);
  assert.equal(server.process.exitCode, null, 'the server still runs');
  assert.equal(sql(`SELECT count(*) FROM material_chunks WHERE material_id = :'id';`, { id: bomb.id }), '0');
});

test('after a killed reader no reader process is left, and the next PDF is read as usual', async () => {
  const m = await addMaterial('fine.pdf', makePdf(['Osmosis moves water across a membrane.']));
  const row = await settled(m.id);
  assert.equal(row.status, 'done');
  assert.equal(row.chunks, 1);
  assert.equal(row.attempts, 1);
  assert.deepEqual(childrenOfServer(), []);
});

test('a request claimed 3 times without a result is failed instead of being taken again', async () => {
  const m = await addMaterial('unlucky.pdf', makePdf(['A page the server never got to finish.']));
  assert.equal((await settled(m.id)).status, 'done');
  // as if three servers had died reading it: the last lease has run out
  sql(`UPDATE material_extractions SET status = 'pending', attempts = 3, claimed_at = now() - interval '11 minutes'
       WHERE material_id = :'id'; NOTIFY ai_material_extractions;`, { id: m.id });
  const row = await settled(m.id);
  assert.equal(row.status, 'failed');
  assert.equal(row.reason, 'The file could not be read after 3 attempts; upload it again to try once more');
  assert.equal(row.attempts, 3);
  assert.equal(sql(`SELECT count(*) FROM material_chunks WHERE material_id = :'id';`, { id: m.id }), '0');

  // a new upload is a new request: counted from 0, read again
  const { error } = await alice.client.storage.from('materials')
    .upload(m.path, makePdf(['The same page, uploaded again.']), { contentType: 'application/pdf', upsert: true });
  assert.equal(error, null, error?.message);
  const again = await settled(m.id);
  assert.equal(again.status, 'done');
  assert.equal(again.attempts, 1);
});
