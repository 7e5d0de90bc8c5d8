// Helpers for the auth tests: raw calls to /auth/v1 (for what supabase-js does not expose) and
// reading a JWT's payload.
'use strict';

/* fetch(`${server.url}/auth/v1${path}`) with the anon key, JSON body if given. */
async function authFetch(server, path, { method = 'GET', body, headers = {}, key = server.anonKey } = {}) {
  const h = { apikey: key, ...headers };
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  return fetch(`${server.url}/auth/v1${path}`, {
    method, headers: h, body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
    redirect: 'manual',
  });
}

function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

module.exports = { authFetch, jwtPayload };
