// A mock OpenAI-compatible provider for the tests: POST /v1/embeddings and
// POST /v1/chat/completions on 127.0.0.1 at a free port, recording every request it gets.
//
//   const mock = await startMockOpenAI();
//   startServer({ SB_EMBED_URL: `${mock.url}/v1`, SB_EMBED_MODEL: 'mock-embed' })
//   mock.requests                 every request: { method, path, headers, body (parsed JSON or text) }
//   mock.vectorFor(text, dims)    the (not normalised) vector the mock answers for text
//   mock.failNext(count, status, body?)  the next count requests (any route) answer status
//   mock.embeddingDimensions = 768       answer vectors of another size (default: the
//                                        request's "dimensions", else 384)
//   mock.delayMs = 3000                  wait before answering (timeouts)
//   mock.handle(path, (req, body, res) => ...)  a route of the test's own, or one replaced
//   await mock.stop()
//
// Chat completions, by default: a fixed answer, "mock answer", as one JSON object, or as
// server-sent events ("data: {chunk}\n\n" ... "data: [DONE]\n\n") when the request has
// "stream": true. Tests that need other answers replace the route with mock.handle.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');

/* A deterministic vector for text: numbers in [-1, 1) from SHA-256 in counter mode. */
function vectorFor(text, dims = 384) {
  const v = [];
  for (let block = 0; v.length < dims; block++) {
    const h = crypto.createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 2 <= h.length && v.length < dims; i += 2) v.push(h.readUInt16BE(i) / 32768 - 1);
  }
  return v;
}

function unit(v) {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / norm);
}

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function embeddingsRoute(mock) {
  return (req, body, res) => {
    const inputs = Array.isArray(body?.input) ? body.input : [body?.input];
    const dims = mock.embeddingDimensions || body?.dimensions || 384;
    const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(String(text), dims) }));
    data.reverse(); // the client must place them by index, not by position
    sendJson(res, 200, { object: 'list', data, model: body?.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
  };
}

function chatRoute() {
  return (req, body, res) => {
    const model = body?.model || 'mock-chat';
    if (!body?.stream) {
      sendJson(res, 200, {
        id: 'chatcmpl-mock', object: 'chat.completion', model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'mock answer' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    for (const piece of ['mock', ' answer']) {
      const chunk = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', model,
        choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.write('data: [DONE]\n\n');
    res.end();
  };
}

async function startMockOpenAI() {
  const mock = {
    requests: [],
    failures: [],
    embeddingDimensions: 0,
    delayMs: 0,
    routes: new Map(),
    vectorFor,
    unit,
    failNext(count, status, body = { error: { message: `mock failure ${status}`, type: 'mock' } }) {
      for (let i = 0; i < count; i++) this.failures.push({ status, body });
    },
    handle(path, fn) { this.routes.set(path, fn); },
  };
  mock.handle('/v1/embeddings', embeddingsRoute(mock));
  mock.handle('/v1/chat/completions', chatRoute());
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { raw += c; });
    req.on('end', async () => {
      let body = raw;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { /* kept as text */ }
      mock.requests.push({ method: req.method, path: req.url, headers: req.headers, body });
      if (mock.delayMs) await new Promise((r) => setTimeout(r, mock.delayMs));
      if (res.destroyed) return;
      const failure = mock.failures.shift();
      if (failure) return sendJson(res, failure.status, failure.body);
      const route = req.method === 'POST' && mock.routes.get(req.url);
      if (!route) return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      route(req, body, res);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  mock.url = `http://127.0.0.1:${server.address().port}`;
  mock.stop = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return mock;
}

module.exports = { startMockOpenAI, vectorFor, unit };
