// The server core's limits on clients: a client that stops sending is cut off after
// SB_REQUEST_TIMEOUT_S, one address cannot hold more than SB_MAX_CONNECTIONS_PER_IP
// connections, and the request line and headers are held to 64 KiB.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { startServer } = require('./lib/server');

let server, port;
before(async () => {
  server = await startServer({ SB_REQUEST_TIMEOUT_S: '1', SB_MAX_CONNECTIONS_PER_IP: '2' });
  port = Number(new URL(server.url).port);
});
after(async () => { await server?.stop(); });

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/* Resolves with what the server sent before it closed the socket. */
function closedByServer(socket) {
  return new Promise((resolve) => {
    let received = '';
    socket.on('data', (d) => { received += d; });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

test('a client that sends half a request and stops is disconnected after the timeout', async () => {
  const socket = await connect();
  const closed = closedByServer(socket);
  const started = Date.now();
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
  assert.equal(await closed, '');
  assert.ok(Date.now() - started >= 900, 'not before the timeout');
});

test('a third connection from one address is closed at once while two are open', async () => {
  const first = await connect();
  const second = await connect();
  const third = await connect();
  const started = Date.now();
  assert.equal(await closedByServer(third), '');
  assert.ok(Date.now() - started < 900, 'closed before any timeout could have closed it');
  first.destroy();
  second.destroy();
});

/* Sends GET /health with headers of about `bytes` in all; resolves with status and body. */
function healthWithHeaders(bytes) {
  const headers = {};
  for (let i = 0; i * 1024 < bytes; i++) headers[`X-Filler-${i}`] = 'x'.repeat(1000);
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/health`, { agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('headers of 60 KiB in all are accepted', async () => {
  assert.equal((await healthWithHeaders(60 * 1024)).status, 200);
});

test('headers past 64 KiB are refused with 431, though the connection buffer is larger', async () => {
  const { status, body } = await healthWithHeaders(80 * 1024);
  assert.equal(status, 431);
  assert.equal(JSON.parse(body).error_code, 'request_header_fields_too_large');
});
