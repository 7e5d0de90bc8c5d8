// Helpers for the storage tests: tiny valid files of each type the materials bucket takes,
// courses and SQL as a student, a look at the server's storage folder, signed tokens
// (students.js signs them the way the server does).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { startServer } = require('./server');
const { createStudent, sql, signToken } = require('./students');

// Smallest real files: each is recognised by libmagic (and `file`) as its type.
const FILES = {
  pdf: Buffer.from('%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n'
    + '2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n'),
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'),
  gif: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
  jpeg: Buffer.from('/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////'
    + '////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=', 'base64'),
  webp: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
};

/* A course owned by userId; returns its id. */
function createCourse(userId, name = 'Biology 101') {
  return sql(`INSERT INTO courses (user_id, name) VALUES (:'uid', :'name') RETURNING id;`, { uid: userId, name });
}

/* Runs statements as the student would through the data API (role authenticated, their claims). */
function sqlAs(student, query, vars = {}) {
  const claims = JSON.stringify({ sub: student.id, role: 'authenticated' });
  return sql(`BEGIN;
SELECT set_config('request.jwt.claims', :'claims', true) \\g /dev/null
SET LOCAL ROLE authenticated;
${query}
COMMIT;`, { ...vars, claims });
}

function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/* The stored files (one per object version) and the temporary files of uploads in progress. */
function storedFiles(server) { return filesUnder(path.join(storageDir(server), 'objects')); }
function tempFiles(server) { return filesUnder(path.join(storageDir(server), 'tmp')); }
function storageDir(server) { return server.env.SB_STORAGE_DIR || path.join(server.dataDir, 'storage'); }
function fileOfVersion(server, version) {
  return path.join(storageDir(server), 'objects', version.slice(0, 2), version);
}

/* Waits until predicate() holds: the server removes files after commit, on its own thread. */
async function eventually(predicate, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/* A server and two students, alice and bob, each with a course: what most storage tests need. */
async function startWithTwoStudents() {
  const server = await startServer();
  const alice = await createStudent(server, 'alice');
  const bob = await createStudent(server, 'bob');
  return { server, alice, bob, aliceCourse: createCourse(alice.id), bobCourse: createCourse(bob.id) };
}

module.exports = {
  startWithTwoStudents, FILES, createCourse, sqlAs, storedFiles, tempFiles, storageDir, fileOfVersion, eventually, signToken,
};
