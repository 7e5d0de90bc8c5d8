// Helpers for the tutor's tests: a course with materials whose text is already chunked (as the
// extraction worker leaves it), the server-sent events of an answer, a raw call.
'use strict';
const { sql } = require('./students');

/* Creates a course of the student with materials [{ name, chunks: [{ page, content }] }];
 * returns { course, materials: [{ id, name, chunks: [ids] }] }. Chunks are written as the
 * extraction worker would (service role, here the superuser), and the extraction marked done;
 * the embedding worker embeds them, and hybrid_search finds them by their words meanwhile. */
async function courseWithMaterials(student, name, materials = []) {
  const db = student.client;
  const { data: course, error } = await db.from('courses').insert({ user_id: student.id, name }).select().single();
  if (error) throw new Error(`course: ${error.message}`);
  const made = [];
  for (const m of materials) {
    const { data: row, error: e } = await db.from('materials').insert({
      course_id: course.id, name: m.name, file_path: `${student.id}/${course.id}/${m.name}`,
      file_type: 'application/pdf', file_size: 100,
    }).select().single();
    if (e) throw new Error(`material: ${e.message}`);
    const chunks = [];
    m.chunks.forEach((c, position) => {
      chunks.push(sql(`INSERT INTO material_chunks (material_id, course_id, page, position, content)
        VALUES (:'m', :'c', NULLIF(:'p', '')::int, :'pos', :'t') RETURNING id`,
      { m: row.id, c: course.id, p: c.page ?? '', pos: position, t: c.content }));
    });
    // settled as the extraction worker leaves a read material, so that it never claims the row
    // (its file does not exist) and replaces the chunks
    sql(`UPDATE material_extractions SET status = 'done', chunks = :'n', updated_at = now() WHERE material_id = :'m'`,
      { n: chunks.length, m: row.id });
    made.push({ id: row.id, name: m.name, chunks });
  }
  return { course: course.id, materials: made };
}

/* The events of a text/event-stream body: [{ event, data (parsed JSON) }]. */
function parseEvents(text) {
  const events = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

/* The answer's text from its token events. */
function textOf(events) {
  return events.filter((e) => e.event === 'token').map((e) => e.data.text).join('');
}

/* POST /functions/v1/tutor with the student's token; returns the fetch Response. */
function callTutor(server, student, body, headers = {}, signal) {
  return fetch(`${server.url}/functions/v1/tutor`, {
    method: 'POST',
    headers: { apikey: server.anonKey, Authorization: `Bearer ${student.token}`, 'Content-Type': 'application/json',
      ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

/* The chat's messages, read as the superuser. */
function chatHistory(chatId) {
  const text = sql(`SELECT coalesce(to_jsonb(history), '[]') FROM chat_history WHERE id = :'id'`, { id: chatId });
  return text ? JSON.parse(text) : null;
}

module.exports = { courseWithMaterials, parseEvents, textOf, callTutor, chatHistory };

/* Reads a streamed answer's events as they come: next(pred) resolves with the events so far
 * once one satisfies pred (or the stream ends). */
function eventReader(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  return {
    get events() { return parseEvents(text.slice(0, text.lastIndexOf('\n\n') + 2)); },
    get ended() { return ended; },
    async until(pred) {
      while (!ended && !this.events.some(pred)) {
        const { value, done } = await reader.read();
        if (done) ended = true;
        else text += decoder.decode(value, { stream: true });
      }
      return this.events;
    },
    cancel() { return reader.cancel(); },
  };
}

module.exports.eventReader = eventReader;
