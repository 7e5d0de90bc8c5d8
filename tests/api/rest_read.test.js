// Reading through /rest/v1 with supabase-js: select (columns, aliases, casts, JSON paths,
// embedding both ways, !inner, count), every filter operator, not/or/and, order, paging,
// counts and Content-Range, single/maybeSingle, CSV. One student owns all the rows.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { createStudent } = require('./lib/students');

let server, student, db;
const ids = {};

before(async () => {
  server = await startServer();
  student = await createStudent(server);
  db = student.client;
  await db.from('academic').insert({
    id: student.id, grade: ['Bachelor', 'Masters'], semester_type: 'tri', semester: 5, subject: ['economics'],
  });
  await db.from('personalized').insert({ id: student.id, prefs: { learning_pace: 'fast', detail_level: 0.25 } });
  const { data: courses } = await db.from('courses').insert([
    { user_id: student.id, name: 'Biology' },
    { user_id: student.id, name: 'Chemistry' },
    { user_id: student.id, name: 'Art, History (and more)' },
  ]).select();
  for (const c of courses) ids[c.name] = c.id;
  await db.from('materials').insert([
    { course_id: ids.Biology, name: 'cells.pdf', file_path: `${student.id}/${ids.Biology}/cells.pdf`, file_type: 'application/pdf', file_size: 300 },
    { course_id: ids.Biology, name: 'plants.png', file_path: `${student.id}/${ids.Biology}/plants.png`, file_type: 'image/png', file_size: 100 },
    { course_id: ids.Chemistry, name: 'atoms.pdf', file_path: `${student.id}/${ids.Chemistry}/atoms.pdf`, file_type: 'application/pdf', file_size: 200 },
  ]);
  // no messages: the embedding worker leaves a chat without words unembedded (the null tests)
  await db.from('chat_history').insert([
    { course_id: ids.Biology, history: [] },
    { course_id: ids.Biology, history: [] },
  ]);
});
after(async () => { await server?.stop(); });

function names(rows) {
  return rows.map((r) => r.name).sort();
}

// ---- select --------------------------------------------------------------------------------

test('select names columns, with aliases and casts', async () => {
  const { data, error } = await db.from('materials').select('title:name, size:file_size::text').eq('name', 'cells.pdf');
  assert.equal(error, null);
  assert.deepEqual(data, [{ title: 'cells.pdf', size: '300' }]);
});

test('a JSON path in select is named by its last key', async () => {
  const { data } = await db.from('personalized').select('prefs->>learning_pace, level:prefs->detail_level');
  assert.deepEqual(data, [{ learning_pace: 'fast', level: 0.25 }]);
});

test('embedding a to-many relation gives an array per parent ([] when none)', async () => {
  const { data, error } = await db.from('courses').select('name, materials(name, file_size)').order('name');
  assert.equal(error, null);
  const byName = Object.fromEntries(data.map((c) => [c.name, c.materials.map((m) => m.name).sort()]));
  assert.deepEqual(byName, {
    'Art, History (and more)': [], Biology: ['cells.pdf', 'plants.png'], Chemistry: ['atoms.pdf'],
  });
});

test('embedding a to-one relation gives an object', async () => {
  const { data } = await db.from('materials').select('name, courses(name)').eq('name', 'atoms.pdf');
  assert.deepEqual(data, [{ name: 'atoms.pdf', courses: { name: 'Chemistry' } }]);
});

test('chat_history(count) counts the embedded rows', async () => {
  const { data } = await db.from('courses').select('name, chat_history(count)').eq('name', 'Biology');
  assert.deepEqual(data, [{ name: 'Biology', chat_history: [{ count: 2 }] }]);
});

test('!inner drops parents without a matching embedded row', async () => {
  const { data } = await db.from('courses').select('name, materials!inner(name)').eq('materials.file_type', 'image/png');
  assert.deepEqual(data, [{ name: 'Biology', materials: [{ name: 'plants.png' }] }]);
});

test('a filter on an embedded resource filters only the embedded rows', async () => {
  const { data } = await db.from('courses').select('name, materials(name)').eq('materials.name', 'cells.pdf').order('name');
  assert.equal(data.length, 3);
  assert.deepEqual(data.find((c) => c.name === 'Biology').materials, [{ name: 'cells.pdf' }]);
  assert.deepEqual(data.find((c) => c.name === 'Chemistry').materials, []);
});

test('order and limit apply inside an embedded resource', async () => {
  const { data } = await db.from('courses').select('name, materials(name)').eq('name', 'Biology')
    .order('file_size', { referencedTable: 'materials', ascending: true }).limit(1, { referencedTable: 'materials' });
  assert.deepEqual(data[0].materials, [{ name: 'plants.png' }]);
});

// ---- filters ---------------------------------------------------------------------------------

test('comparison operators eq neq gt gte lt lte', async () => {
  const q = () => db.from('materials').select('name');
  assert.deepEqual(names((await q().eq('file_size', 200)).data), ['atoms.pdf']);
  assert.deepEqual(names((await q().neq('file_size', 200)).data), ['cells.pdf', 'plants.png']);
  assert.deepEqual(names((await q().gt('file_size', 200)).data), ['cells.pdf']);
  assert.deepEqual(names((await q().gte('file_size', 200)).data), ['atoms.pdf', 'cells.pdf']);
  assert.deepEqual(names((await q().lt('file_size', 200)).data), ['plants.png']);
  assert.deepEqual(names((await q().lte('file_size', 200)).data), ['atoms.pdf', 'plants.png']);
});

test('like and ilike take * as the wildcard', async () => {
  assert.deepEqual(names((await db.from('materials').select('name').like('name', '*.pdf')).data), ['atoms.pdf', 'cells.pdf']);
  assert.deepEqual(names((await db.from('courses').select('name').ilike('name', 'bio*')).data), ['Biology']);
});

test('match and imatch are regular expressions', async () => {
  assert.deepEqual(names((await db.from('courses').select('name').filter('name', 'match', '^C')).data), ['Chemistry']);
  assert.deepEqual(names((await db.from('courses').select('name').filter('name', 'imatch', '^c')).data), ['Chemistry']);
});

test('in matches any listed value, including quoted ones with commas and parentheses', async () => {
  const { data } = await db.from('courses').select('name').in('name', ['Biology', 'Art, History (and more)']);
  assert.deepEqual(names(data), ['Art, History (and more)', 'Biology']);
});

test('is null and not is null', async () => {
  const { data: none } = await db.from('chat_history').select('id').not('embedding', 'is', null);
  assert.deepEqual(none, []);
  const { data: all } = await db.from('chat_history').select('id').is('embedding', null);
  assert.equal(all.length, 2);
});

test('cs, cd and ov on text arrays', async () => {
  const q = () => db.from('academic').select('id');
  assert.equal((await q().contains('grade', ['Masters'])).data.length, 1);
  assert.equal((await q().containedBy('subject', ['economics', 'english'])).data.length, 1);
  assert.equal((await q().overlaps('grade', ['Masters', 'PhD'])).data.length, 1);
  assert.equal((await q().contains('grade', ['PhD'])).data.length, 0);
});

test('cs on a JSON object', async () => {
  const { data } = await db.from('personalized').select('id').contains('prefs', { learning_pace: 'fast' });
  assert.equal(data.length, 1);
});

test('full-text search: fts, plfts, phfts, wfts with a configuration', async () => {
  const q = () => db.from('courses').select('name');
  assert.deepEqual(names((await q().textSearch('name', 'chemistry', { config: 'english' })).data), ['Chemistry']);
  assert.deepEqual(names((await q().textSearch('name', 'art history', { type: 'plain', config: 'english' })).data),
    ['Art, History (and more)']);
  assert.deepEqual(names((await q().textSearch('name', 'art history', { type: 'phrase', config: 'english' })).data),
    ['Art, History (and more)']);
  assert.deepEqual(names((await q().textSearch('name', 'biology or chemistry', { type: 'websearch', config: 'english' })).data),
    ['Biology', 'Chemistry']);
});

test('or, and nested and, and not.or', async () => {
  const q = () => db.from('materials').select('name');
  assert.deepEqual(names((await q().or('file_size.lt.150,name.eq.atoms.pdf')).data), ['atoms.pdf', 'plants.png']);
  assert.deepEqual(names((await q().or('file_size.gt.250,and(file_type.eq.image/png,file_size.lt.150)')).data),
    ['cells.pdf', 'plants.png']);
  assert.deepEqual(names((await q().or('not.and(file_size.gte.150,file_size.lte.250),name.eq.atoms.pdf')).data),
    ['atoms.pdf', 'cells.pdf', 'plants.png']);
  const res = await fetch(`${server.url}/rest/v1/materials?select=name&not.or=(file_size.lt.150,file_size.gt.250)`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}` },
  });
  assert.deepEqual(names(await res.json()), ['atoms.pdf']);
});

test('a filter on a JSON path', async () => {
  const { data } = await db.from('personalized').select('id').filter('prefs->>learning_pace', 'eq', 'fast');
  assert.equal(data.length, 1);
  const { data: none } = await db.from('personalized').select('id').filter('prefs->>learning_pace', 'eq', 'slow');
  assert.deepEqual(none, []);
});

// ---- order, paging, counts --------------------------------------------------------------------

test('order by several keys, descending', async () => {
  const { data } = await db.from('materials').select('name').order('file_type', { ascending: false }).order('file_size');
  assert.deepEqual(data.map((m) => m.name), ['plants.png', 'atoms.pdf', 'cells.pdf']);
});

test('order by a column of an embedded to-one relation', async () => {
  const { data, error } = await db.from('materials').select('name, courses(name)')
    .order('courses(name)', { ascending: false }).order('name');
  assert.equal(error, null);
  assert.deepEqual(data.map((m) => m.name), ['atoms.pdf', 'cells.pdf', 'plants.png']);
});

test('order by a to-many relation is refused with 400 PGRST118', async () => {
  const { status, error } = await db.from('courses').select('name, materials(name)').order('materials(name)');
  assert.equal(status, 400);
  assert.equal(error.code, 'PGRST118');
});

test('nullsFirst puts rows without a value first', async () => {
  await db.from('chat_history').insert({ course_id: ids.Chemistry, history: [], embedding: new Array(384).fill(0.5) });
  const { data } = await db.from('chat_history').select('embedding').order('embedding', { ascending: true, nullsFirst: true });
  assert.equal(data[0].embedding, null);
  assert.notEqual(data[data.length - 1].embedding, null);
  await db.from('chat_history').delete().not('embedding', 'is', null);
});

test('range() pages through rows in order', async () => {
  const { data } = await db.from('materials').select('name').order('file_size').range(1, 2);
  assert.deepEqual(data.map((m) => m.name), ['atoms.pdf', 'cells.pdf']);
});

test('count=exact reports the total; a short page answers 206 with Content-Range', async () => {
  const { data, count, status } = await db.from('materials').select('name', { count: 'exact' }).order('name').limit(2);
  assert.equal(count, 3);
  assert.equal(status, 206);
  assert.equal(data.length, 2);
  const res = await fetch(`${server.url}/rest/v1/materials?select=name&limit=2&offset=1`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, Prefer: 'count=exact' },
  });
  assert.equal(res.headers.get('content-range'), '1-2/3');
});

test('a Range header pages like limit/offset', async () => {
  const res = await fetch(`${server.url}/rest/v1/materials?select=name&order=file_size`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, Range: '1-2' },
  });
  assert.deepEqual((await res.json()).map((m) => m.name), ['atoms.pdf', 'cells.pdf']);
  assert.equal(res.headers.get('content-range'), '1-2/*');
});

test('browsers may read Content-Range: CORS exposes it', async () => {
  const res = await fetch(`${server.url}/rest/v1/courses?select=name`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, Origin: 'http://localhost:3000' },
  });
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-expose-headers'), /Content-Range/);
});

test('an Accept the API cannot produce is 406 PGRST107', async () => {
  const res = await fetch(`${server.url}/rest/v1/courses?select=name`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, Accept: 'application/xml' },
  });
  assert.equal(res.status, 406);
  assert.equal((await res.json()).code, 'PGRST107');
});

test('count=planned gives the planner\'s estimate', async () => {
  const { data, count, error } = await db.from('materials').select('name', { count: 'planned' });
  assert.equal(error, null);
  assert.equal(data.length, 3);
  assert.ok(Number.isInteger(count) && count >= 0, `count ${count}`);
});

test('count=estimated counts exactly when the estimate is small', async () => {
  const { count, error } = await db.from('materials').select('name', { count: 'estimated' }).eq('file_type', 'application/pdf');
  assert.equal(error, null);
  assert.equal(count, 2);
});

test('head: true with a count returns only the count', async () => {
  const { data, count, error } = await db.from('courses').select('*', { count: 'exact', head: true });
  assert.equal(error, null);
  assert.equal(data, null);
  assert.equal(count, 3);
});

test('an offset past the end with a count is 416', async () => {
  const { status, error } = await db.from('materials').select('name', { count: 'exact' }).range(10, 12);
  assert.equal(status, 416);
  assert.equal(error.code, 'PGRST103');
});

// ---- single, maybeSingle, csv -------------------------------------------------------------------

test('single() with no row is 406 PGRST116', async () => {
  const { error, status } = await db.from('courses').select('*').eq('name', 'nothing').single();
  assert.equal(status, 406);
  assert.equal(error.code, 'PGRST116');
  assert.equal(error.details, 'The result contains 0 rows');
});

test('single() with several rows is 406 PGRST116', async () => {
  const { error } = await db.from('courses').select('*').single();
  assert.equal(error.code, 'PGRST116');
  assert.equal(error.details, 'The result contains 3 rows');
});

test('maybeSingle() gives null for no row and the object for one', async () => {
  const none = await db.from('courses').select('name').eq('name', 'nothing').maybeSingle();
  assert.equal(none.error, null);
  assert.equal(none.data, null);
  const one = await db.from('courses').select('name').eq('name', 'Biology').maybeSingle();
  assert.deepEqual(one.data, { name: 'Biology' });
});

test('csv() returns a header line and one line per row, quoting commas', async () => {
  const { data, error } = await db.from('courses').select('name').order('name').csv();
  assert.equal(error, null);
  assert.equal(data, 'name\n"Art, History (and more)"\nBiology\nChemistry');
});
