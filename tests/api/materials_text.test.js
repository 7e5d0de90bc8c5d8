// The materials' text (#13) through supabase-js: a student uploads a file and inserts the
// materials row (the seed's flow); the server's extraction worker reads it (a PDF the test
// writes, Markdown) into material_chunks, visible to that student only; match_material_chunks
// and hybrid_search find them through supabase.rpc; an image is not extractable; a file that is
// no PDF, or a password-protected one, fails with a reason; a replaced file is read again;
// deleting the material deletes its chunks.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { sql } = require('./lib/students');
const { startWithTwoStudents, FILES } = require('./lib/storage');
const { makePdf } = require('./lib/minipdf');

let server, alice, bob, aliceCourse, bobCourse;

before(async () => {
  ({ server, alice, bob, aliceCourse, bobCourse } = await startWithTwoStudents());
});
after(async () => { await server?.stop(); });

let counter = 0;

/* Uploads bytes to alice's course folder and inserts the materials row, as the seed's flow does;
 * returns the material's id and path. */
async function addMaterial(student, course, name, bytes, fileType, contentType = fileType) {
  const path = `${student.id}/${course}/${++counter}-${name}`;
  const { error: uploadError } = await student.client.storage.from('materials').upload(path, bytes, { contentType });
  assert.equal(uploadError, null, `upload of ${name}: ${uploadError?.message}`);
  const { data, error } = await student.client.from('materials').insert({
    course_id: course, name, file_path: path, file_type: fileType, file_size: bytes.length,
  }).select('id').single();
  assert.equal(error, null, `materials row of ${name}: ${error?.message}`);
  return { id: data.id, path };
}

/* Polls (as the student) until the material's extraction is no longer pending; returns the row. */
async function settled(student, materialId, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { data, error } = await student.client.from('material_extractions')
      .select('status, reason, pages, chunks').eq('material_id', materialId).single();
    assert.equal(error, null, error?.message);
    if (data.status !== 'pending') return data;
    if (Date.now() > deadline) throw new Error(`material ${materialId} still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function chunksOf(student, materialId) {
  const { data, error } = await student.client.from('material_chunks')
    .select('id, page, position, content, course_id').eq('material_id', materialId).order('position');
  assert.equal(error, null, error?.message);
  return data;
}

const PAGES = [
  'Photosynthesis converts light energy into chemical energy.\nChlorophyll in the chloroplasts absorbs the light.',
  'The Calvin cycle fixes carbon dioxide into sugar.',
  'Mitochondria release the energy stored in glucose.',
];

let pdf; // alice's three-page PDF: { id, path }

test('a PDF the student uploads is read page by page into chunks the student can see', async () => {
  pdf = await addMaterial(alice, aliceCourse, 'cells.pdf', makePdf(PAGES), 'application/pdf');
  const extraction = await settled(alice, pdf.id);
  assert.deepEqual(extraction, { status: 'done', reason: null, pages: 3, chunks: 3 });
  const chunks = await chunksOf(alice, pdf.id);
  assert.deepEqual(chunks.map((c) => [c.page, c.position]), [[1, 0], [2, 1], [3, 2]]);
  assert.equal(chunks[0].content,
    'Photosynthesis converts light energy into chemical energy.\nChlorophyll in the chloroplasts absorbs the light.');
  assert.equal(chunks[1].content, 'The Calvin cycle fixes carbon dioxide into sugar.');
  assert.equal(chunks[2].content, 'Mitochondria release the energy stored in glucose.');
  assert.ok(chunks.every((c) => c.course_id === aliceCourse));
});

test('another student sees neither the chunks nor the extraction, and cannot write them', async () => {
  const { data: chunks } = await bob.client.from('material_chunks').select('id').eq('material_id', pdf.id);
  assert.deepEqual(chunks, []);
  const { data: rows } = await bob.client.from('material_extractions').select('status').eq('material_id', pdf.id);
  assert.deepEqual(rows, []);
  const { error } = await bob.client.from('material_chunks').insert({
    material_id: pdf.id, course_id: aliceCourse, position: 99, content: 'forged',
  });
  assert.equal(error.code, '42501');
  const { error: own } = await alice.client.from('material_chunks').update({ content: 'changed' }).eq('material_id', pdf.id);
  assert.equal(own.code, '42501', 'not even the owner writes chunks');
});

test('hybrid_search finds the page that matches the words, for its owner only', async () => {
  const { data, error } = await alice.client.rpc('hybrid_search', {
    query_text: 'calvin cycle', query_embedding: null, match_count: 5, filter_course_id: aliceCourse,
  });
  assert.equal(error, null, error?.message);
  assert.equal(data.length, 1);
  assert.equal(data[0].kind, 'chunk');
  assert.equal(data[0].material_id, pdf.id);
  assert.equal(data[0].material_name, 'cells.pdf');
  assert.equal(data[0].page, 2);
  assert.ok(data[0].score > 0);
  const { data: bobs, error: bobError } = await bob.client.rpc('hybrid_search', { query_text: 'calvin cycle', query_embedding: null });
  assert.equal(bobError, null);
  assert.deepEqual(bobs, []);
});

test('match_material_chunks ranks a chunk first for its own embedding, and gives another student nothing', async () => {
  // The embedding worker fills embeddings; one that has not yet gets a vector here, so that the
  // test does not depend on it. The query is page 3's embedding as it is now.
  const axes = { 0: 1, 1: 2, 2: 3 };
  for (const c of await chunksOf(alice, pdf.id)) {
    sql(`UPDATE material_chunks SET embedding = (array_fill(0::real, ARRAY[:n - 1]) || 1::real || array_fill(0::real, ARRAY[384 - :n]))::vector
         WHERE id = :'id' AND embedding IS NULL;`, { id: c.id, n: axes[c.position] });
  }
  const page3 = (await chunksOf(alice, pdf.id))[2];
  const query = JSON.parse(sql(`SELECT embedding::text FROM material_chunks WHERE id = :'id';`, { id: page3.id }));
  const { data, error } = await alice.client.rpc('match_material_chunks', { query_embedding: query, match_count: 3 });
  assert.equal(error, null, error?.message);
  assert.equal(data[0].id, page3.id);
  assert.equal(data[0].page, 3);
  assert.ok(Math.abs(data[0].similarity - 1) < 1e-6);
  const { data: hybrid } = await alice.client.rpc('hybrid_search', {
    query_text: 'glucose', query_embedding: query, filter_course_id: aliceCourse,
  });
  assert.equal(hybrid[0].id, page3.id, 'first by both lists');
  const { data: bobs, error: bobError } = await bob.client.rpc('match_material_chunks', { query_embedding: query, match_count: 10 });
  assert.equal(bobError, null);
  assert.deepEqual(bobs, []);
});

test('a Markdown file is read as it is, in paragraphs, without pages', async () => {
  const md = '# Genetics\n\nDNA holds the genes.\n\n- adenine\n- thymine\n';
  const m = await addMaterial(alice, aliceCourse, 'genetics.md', Buffer.from(md), 'text/markdown');
  assert.deepEqual(await settled(alice, m.id), { status: 'done', reason: null, pages: null, chunks: 1 });
  const chunks = await chunksOf(alice, m.id);
  assert.deepEqual(chunks.map((c) => [c.page, c.content]), [[null, '# Genetics\n\nDNA holds the genes.\n\n- adenine\n- thymine']]);
});

test('an image is recorded as not extractable, which is not an error', async () => {
  const m = await addMaterial(alice, aliceCourse, 'leaf.png', FILES.png, 'image/png');
  const extraction = await settled(alice, m.id);
  assert.equal(extraction.status, 'not_extractable');
  assert.match(extraction.reason, /only PDF, plain text and Markdown/);
  assert.deepEqual(await chunksOf(alice, m.id), []);
});

test('a file declared as PDF that is not one fails with a reason the student can read', async () => {
  const m = await addMaterial(alice, aliceCourse, 'notes.pdf', Buffer.from('these are plain notes, not a PDF\n'),
    'application/pdf');
  const extraction = await settled(alice, m.id);
  assert.equal(extraction.status, 'failed');
  assert.match(extraction.reason, /^The file could not be read as PDF: /);
  assert.deepEqual(await chunksOf(alice, m.id), []);
});

test('a password-protected PDF fails saying it is encrypted', async () => {
  const m = await addMaterial(alice, aliceCourse, 'locked.pdf', makePdf(['secret'], { encrypted: true }), 'application/pdf');
  const extraction = await settled(alice, m.id);
  assert.equal(extraction.status, 'failed');
  assert.match(extraction.reason, /^The PDF is encrypted/);
});

test('a file replaced by a new upload is read again and its old chunks are replaced', async () => {
  const m = await addMaterial(alice, aliceCourse, 'draft.pdf', makePdf(['First draft about osmosis.']), 'application/pdf');
  await settled(alice, m.id);
  assert.equal((await chunksOf(alice, m.id))[0].content, 'First draft about osmosis.');
  const { error } = await alice.client.storage.from('materials')
    .upload(m.path, makePdf(['Final text about diffusion.', 'And a second page.']), { contentType: 'application/pdf', upsert: true });
  assert.equal(error, null, error?.message);
  const extraction = await settled(alice, m.id);
  assert.equal(extraction.status, 'done');
  assert.equal(extraction.pages, 2);
  assert.deepEqual((await chunksOf(alice, m.id)).map((c) => c.content), ['Final text about diffusion.', 'And a second page.']);
});

test('a material whose row comes before its file fails until the file arrives, then is read', async () => {
  const path = `${alice.id}/${aliceCourse}/${++counter}-late.pdf`;
  const bytes = makePdf(['Arrived after its row.']);
  const { data, error } = await alice.client.from('materials').insert({
    course_id: aliceCourse, name: 'late.pdf', file_path: path, file_type: 'application/pdf', file_size: bytes.length,
  }).select('id').single();
  assert.equal(error, null, error?.message);
  const before = await settled(alice, data.id);
  assert.equal(before.status, 'failed');
  assert.match(before.reason, /not found in storage/);
  const { error: uploadError } = await alice.client.storage.from('materials').upload(path, bytes, { contentType: 'application/pdf' });
  assert.equal(uploadError, null, uploadError?.message);
  const after = await settled(alice, data.id);
  assert.equal(after.status, 'done');
  assert.deepEqual((await chunksOf(alice, data.id)).map((c) => c.content), ['Arrived after its row.']);
});

test('deleting the material deletes its chunks and its extraction row', async () => {
  const m = await addMaterial(alice, aliceCourse, 'temp.pdf', makePdf(['Temporary page.']), 'application/pdf');
  await settled(alice, m.id);
  assert.equal(sql(`SELECT count(*) FROM material_chunks WHERE material_id = :'id';`, { id: m.id }), '1');
  const { error } = await alice.client.from('materials').delete().eq('id', m.id);
  assert.equal(error, null);
  assert.equal(sql(`SELECT count(*) FROM material_chunks WHERE material_id = :'id';`, { id: m.id }), '0');
  assert.equal(sql(`SELECT count(*) FROM material_extractions WHERE material_id = :'id';`, { id: m.id }), '0');
});

test('bob\'s own material is his alone', async () => {
  const m = await addMaterial(bob, bobCourse, 'bob.pdf', makePdf(['Bob studies photosynthesis too.']), 'application/pdf');
  assert.equal((await settled(bob, m.id)).status, 'done');
  const { data } = await alice.client.rpc('hybrid_search', { query_text: 'bob', query_embedding: null });
  assert.deepEqual(data, []);
  const { data: his } = await bob.client.rpc('hybrid_search', { query_text: 'photosynthesis', query_embedding: null });
  assert.deepEqual(his.map((r) => r.material_id), [m.id]);
});
