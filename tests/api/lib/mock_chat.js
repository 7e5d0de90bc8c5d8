// Scripted streamed chat completions for the tutor's tests, on the mock provider
// (mock_openai.js): replaces its /v1/chat/completions route with one that answers each request
// with the next script queued (else the default) as server-sent events, and records each call.
//
//   const chat = scriptChat(mock);
//   chat.next({ pieces: ['Hel', 'lo'] })     the next call streams these pieces, then [DONE]
//   script fields (all optional):
//     pieces: [...]        the answer's pieces (default ['mock', ' answer'])
//     usage: {...} | null  sent in a last chunk before [DONE] (default: prompt 10, completion 2)
//     delayMs: n           wait before each piece (a slow model)
//     splitBytes: n        write the event stream in pieces of n bytes (events split across reads)
//     crlf: true           end lines with CRLF
//     done: false          end without data: [DONE] (and without a finish_reason)
//     status: n, error: {} answer n with {"error": error} instead of a stream
//     afterPieces: 'malformed' | 'error'  after the pieces, a data line that is not JSON, or an
//                          error event, then end
//     hang: true           send the headers, then nothing until the client goes away
//   chat.calls            every call: { body, headers, clientClosed, finished, piecesSent }
//   chat.waitFor(pred)    polls until pred() is true (bounded), for asynchronous conditions
'use strict';

const DEFAULT = { pieces: ['mock', ' answer'] };

function chunkOf(body, content, finish) {
  return { id: 'chatcmpl-mock', object: 'chat.completion.chunk', model: body?.model,
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] };
}

async function waitFor(pred, what = 'condition', timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function scriptChat(mock) {
  const chat = { queue: [], calls: [], fallback: DEFAULT };
  chat.next = (script) => { chat.queue.push(script); };
  chat.waitFor = waitFor;
  mock.handle('/v1/chat/completions', async (req, body, res) => {
    const s = chat.queue.shift() || chat.fallback;
    const call = { body, headers: req.headers, clientClosed: false, finished: false, piecesSent: 0 };
    chat.calls.push(call);
    res.on('close', () => { if (!res.writableFinished) call.clientClosed = true; });
    if (s.status) {
      const text = JSON.stringify({ error: s.error || { message: `mock failure ${s.status}` } });
      res.writeHead(s.status, { 'Content-Type': 'application/json' });
      res.end(text);
      call.finished = true;
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    if (s.hang) return;
    const nl = s.crlf ? '\r\n' : '\n';
    const send = async (text) => {
      if (!s.splitBytes) return res.write(text);
      for (let i = 0; i < text.length; i += s.splitBytes) {
        res.write(text.slice(i, i + s.splitBytes));
        await new Promise((r) => setImmediate(r));
      }
    };
    const event = (value) => send(`data: ${typeof value === 'string' ? value : JSON.stringify(value)}${nl}${nl}`);
    for (const piece of s.pieces || DEFAULT.pieces) {
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
      if (res.destroyed || call.clientClosed) return;
      await event(chunkOf(body, piece, null));
      call.piecesSent++;
    }
    if (s.afterPieces === 'malformed') {
      await event('{this is not json');
      res.end();
      return;
    }
    if (s.afterPieces === 'error') {
      await event({ error: { message: 'the mock model overheated', type: 'server_error' } });
      res.end();
      return;
    }
    if (s.done !== false) {
      await event(chunkOf(body, null, 'stop'));
      const usage = s.usage === undefined ? { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } : s.usage;
      if (usage) await event({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', choices: [], usage });
      await event('[DONE]');
    }
    res.end();
    call.finished = true;
  });
  return chat;
}

module.exports = { scriptChat, waitFor };
