// Helpers for the auth tests: raw calls to /auth/v1 (for what supabase-js does not expose) and
// reading a JWT's payload.
'use strict';
const http = require('node:http');

/* fetch(`${server.url}/auth/v1${path}`) with the anon key, JSON body if given. */
async function authFetch(server, path, { method = 'GET', body, headers = {}, key = server.anonKey } = {}) {
  const h = { apikey: key, ...headers };
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  return fetch(`${server.url}/auth/v1${path}`, {
    method, headers: h, body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
    redirect: 'manual',
  });
}

/* Like authFetch, but through node:http so that the Host header can be chosen (fetch always
 * sends the URL's own). Resolves { status, headers, json }. */
function authRequestWithHost(server, path, host, { method = 'POST', body } = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const url = new URL(`${server.url}/auth/v1${path}`);
  const headers = { Host: host, apikey: server.anonKey, 'Content-Length': Buffer.byteLength(text) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { data += chunk; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: data ? JSON.parse(data) : null }));
      });
    req.on('error', reject);
    req.end(text);
  });
}

function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

module.exports = { authFetch, authRequestWithHost, jwtPayload };
