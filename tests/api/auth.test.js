// Sign-up, sign-in, sessions and the signed-in user's account, through supabase-js as an app
// uses it (auto-confirm on, the default).
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { AuthApiError, AuthWeakPasswordError } = require('@supabase/supabase-js');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');
const { authFetch, jwtPayload } = require('./lib/auth');
const { sql } = require('./lib/students');

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function signedUp(password = 'correct horse') {
  const client = clientFor(server);
  const email = uniqueEmail();
  const { data, error } = await client.auth.signUp({ email, password });
  assert.equal(error, null);
  return { client, email, password, session: data.session, user: data.user };
}

describe('sign-up', () => {
  test('returns a session at once when auto-confirm is on', async () => {
    const { session, user, email } = await signedUp();
    assert.equal(session.token_type, 'bearer');
    assert.equal(session.expires_in, 3600);
    assert.equal(user.email, email);
    assert.ok(user.email_confirmed_at);
  });

  test('the access token carries the claims GoTrue puts in one', async () => {
    const { session, user, email } = await signedUp();
    const claims = jwtPayload(session.access_token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.role, 'authenticated');
    assert.equal(claims.aud, 'authenticated');
    assert.equal(claims.email, email);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(claims.aal, 'aal1');
    assert.equal(claims.amr[0].method, 'password');
    assert.match(claims.session_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(claims.app_metadata, { provider: 'email', providers: ['email'] });
    assert.equal(claims.is_anonymous, false);
    assert.equal(claims.iss, `${server.url}/auth/v1`);
  });

  test('keeps the data given as user_metadata', async () => {
    const client = clientFor(server);
    const { data } = await client.auth.signUp({
      email: uniqueEmail(), password: 'secret123', options: { data: { name: 'Ada' } },
    });
    assert.equal(data.user.user_metadata.name, 'Ada');
  });

  test('the user has one email identity', async () => {
    const { user } = await signedUp();
    assert.equal(user.identities.length, 1);
    assert.equal(user.identities[0].provider, 'email');
  });

  test('an address already registered is refused with user_already_exists', async () => {
    const { email } = await signedUp();
    const { data, error } = await clientFor(server).auth.signUp({ email, password: 'another one' });
    assert.ok(error instanceof AuthApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'user_already_exists');
    assert.equal(data.session, null);
  });

  test('addresses are compared without regard to case', async () => {
    const { email } = await signedUp();
    const { error } = await clientFor(server).auth.signUp({ email: email.toUpperCase(), password: 'another one' });
    assert.equal(error.code, 'user_already_exists');
  });

  test('a password shorter than 6 characters is a weak_password with reason length', async () => {
    const { error } = await clientFor(server).auth.signUp({ email: uniqueEmail(), password: '12345' });
    assert.ok(error instanceof AuthWeakPasswordError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'weak_password');
    assert.deepEqual(error.reasons, ['length']);
  });

  test('an empty password is refused with validation_failed', async () => {
    const { error } = await clientFor(server).auth.signUp({ email: uniqueEmail(), password: '' });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
  });

  test('a password longer than 72 bytes is refused', async () => {
    const { error } = await clientFor(server).auth.signUp({ email: uniqueEmail(), password: 'x'.repeat(73) });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
  });

  test('anonymous sign-in is anonymous_provider_disabled', async () => {
    const { error } = await clientFor(server).auth.signInAnonymously();
    assert.equal(error.status, 422);
    assert.equal(error.code, 'anonymous_provider_disabled');
  });

  test('a phone number instead of an address is phone_provider_disabled', async () => {
    const { error } = await clientFor(server).auth.signUp({ phone: '+15555550100', password: 'secret123' });
    assert.equal(error.code, 'phone_provider_disabled');
  });

  test('a malformed address is refused with email_address_invalid', async () => {
    for (const email of ['not-an-address', 'a@b', 'two@@example.com', 'sp ace@example.com']) {
      const { error } = await clientFor(server).auth.signUp({ email, password: 'secret123' });
      assert.equal(error?.code, 'email_address_invalid', email);
      assert.equal(error.status, 400);
    }
  });
});

describe('password sign-in', () => {
  test('returns a session for the right password', async () => {
    const { email, password, user } = await signedUp();
    const { data, error } = await clientFor(server).auth.signInWithPassword({ email, password });
    assert.equal(error, null);
    assert.equal(data.user.id, user.id);
    assert.equal(jwtPayload(data.session.access_token).sub, user.id);
  });

  test('starts a new session each time', async () => {
    const { email, password, session } = await signedUp();
    const { data } = await clientFor(server).auth.signInWithPassword({ email, password });
    assert.notEqual(jwtPayload(data.session.access_token).session_id, jwtPayload(session.access_token).session_id);
  });

  test('updates last_sign_in_at', async () => {
    const { email, password, user } = await signedUp();
    const { data } = await clientFor(server).auth.signInWithPassword({ email, password });
    assert.ok(Date.parse(data.user.last_sign_in_at) >= Date.parse(user.last_sign_in_at));
    assert.ok(Date.parse(data.user.last_sign_in_at) > Date.parse(user.created_at));
  });

  test('a wrong password is invalid_credentials', async () => {
    const { email } = await signedUp();
    const { data, error } = await clientFor(server).auth.signInWithPassword({ email, password: 'wrong password' });
    assert.ok(error instanceof AuthApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_credentials');
    assert.equal(error.message, 'Invalid login credentials');
    assert.equal(data.session, null);
  });

  test('an unknown address is invalid_credentials too', async () => {
    const { error } = await clientFor(server).auth.signInWithPassword({ email: uniqueEmail(), password: 'whatever1' });
    assert.equal(error.code, 'invalid_credentials');
  });

  test('a $2a$ cost-10 hash made by another bcrypt (pgcrypto, as GoTrue stores) verifies', async () => {
    const { email, user } = await signedUp();
    sql(`UPDATE auth.users SET encrypted_password = crypt('password123', gen_salt('bf', 10)) WHERE id = :'id'`,
      { id: user.id });
    const { error } = await clientFor(server).auth.signInWithPassword({ email, password: 'password123' });
    assert.equal(error, null);
  });

  test('the $2b$ cost-10 hash made here is standard bcrypt: pgcrypto verifies it (read as $2a$)', async () => {
    // $2a$ and $2b$ differ only for passwords over 255 bytes; pgcrypto knows only the $2a$ tag
    const { user, password } = await signedUp();
    const row = sql(`SELECT left(encrypted_password, 7),
                            crypt(:'pw', '$2a$' || substr(encrypted_password, 5)) = '$2a$' || substr(encrypted_password, 5)
                       FROM auth.users WHERE id = :'id'`, { id: user.id, pw: password });
    assert.equal(row, '$2b$10$|t');
  });
});

describe('the signed-in user', () => {
  test('getUser returns the user of the session', async () => {
    const { client, user } = await signedUp();
    const { data, error } = await client.auth.getUser();
    assert.equal(error, null);
    assert.equal(data.user.id, user.id);
    assert.equal(data.user.aud, 'authenticated');
  });

  test('a token with a tampered payload is refused with bad_jwt', async () => {
    const { session } = await signedUp();
    const [h, p, s] = session.access_token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url'));
    payload.sub = crypto.randomUUID();
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const { error } = await clientFor(server).auth.getUser(forged);
    assert.equal(error.status, 403);
    assert.equal(error.code, 'bad_jwt');
  });

  test('an expired token is refused with bad_jwt', async () => {
    const { user } = await signedUp();
    const now = Math.floor(Date.now() / 1000);
    const token = sign({ sub: user.id, role: 'authenticated', aud: 'authenticated', iat: now - 7200, exp: now - 3600 });
    const { error } = await clientFor(server).auth.getUser(token);
    assert.equal(error.status, 403);
    assert.equal(error.code, 'bad_jwt');
  });

  test('a token with alg none is refused', async () => {
    const { user } = await signedUp();
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: user.id, role: 'authenticated' })}.`;
    const { error } = await clientFor(server).auth.getUser(token);
    assert.equal(error.code, 'bad_jwt');
  });

  test('a token for another audience is refused', async () => {
    const { user } = await signedUp();
    const now = Math.floor(Date.now() / 1000);
    const token = sign({ sub: user.id, role: 'authenticated', aud: 'somebody-else', iat: now, exp: now + 600 });
    const { error } = await clientFor(server).auth.getUser(token);
    assert.equal(error.code, 'bad_jwt');
  });

  test('a signed token whose sub is not a uuid is user_not_found, not a server error', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = sign({ sub: '-'.repeat(36), role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 600 });
    const { error } = await clientFor(server).auth.getUser(token);
    assert.equal(error.status, 403);
    assert.equal(error.code, 'user_not_found');
  });

  test('the anon key is not a user: bad_jwt', async () => {
    const { error } = await clientFor(server).auth.getUser(server.anonKey);
    assert.equal(error.status, 403);
    assert.equal(error.code, 'bad_jwt');
  });

  test('GET /user without a Bearer token is no_authorization', async () => {
    const res = await authFetch(server, '/user');
    assert.equal(res.status, 401);
    assert.equal((await res.json()).code, 'no_authorization');
  });

  test('updateUser merges data into user_metadata; null removes a key', async () => {
    const { client } = await signedUp();
    await client.auth.updateUser({ data: { name: 'Ada', city: 'London' } });
    const { data, error } = await client.auth.updateUser({ data: { city: null, semester: 3 } });
    assert.equal(error, null);
    assert.deepEqual(data.user.user_metadata, { name: 'Ada', semester: 3 });
  });

  test('updateUser with a new password: the new one signs in, the old one does not', async () => {
    const { client, email, password } = await signedUp();
    const { error } = await client.auth.updateUser({ password: 'a brand new one' });
    assert.equal(error, null);
    const anon = clientFor(server);
    assert.equal((await anon.auth.signInWithPassword({ email, password })).error.code, 'invalid_credentials');
    assert.equal((await anon.auth.signInWithPassword({ email, password: 'a brand new one' })).error, null);
  });

  test('a password change ends the user\'s other sessions', async () => {
    const { client, email, password } = await signedUp();
    const other = clientFor(server);
    const { data: otherSignIn } = await other.auth.signInWithPassword({ email, password });
    await client.auth.updateUser({ password: 'a brand new one' });
    const { error } = await other.auth.refreshSession({ refresh_token: otherSignIn.session.refresh_token });
    assert.equal(error.code, 'refresh_token_not_found');
    assert.equal((await client.auth.getUser()).error, null, 'the session that changed it goes on');
  });

  test('setting the same password again is same_password', async () => {
    const { client, password } = await signedUp();
    const { error } = await client.auth.updateUser({ password });
    assert.equal(error.status, 422);
    assert.equal(error.code, 'same_password');
  });

  test('a too-short new password is weak_password', async () => {
    const { client } = await signedUp();
    const { error } = await client.auth.updateUser({ password: 'abc' });
    assert.ok(error instanceof AuthWeakPasswordError);
  });

  test('updateUser changes the address at once when auto-confirm is on', async () => {
    const { client } = await signedUp();
    const email = uniqueEmail('renamed');
    const { data, error } = await client.auth.updateUser({ email });
    assert.equal(error, null);
    assert.equal(data.user.email, email);
  });

  test('changing to an address another user has is email_exists', async () => {
    const { email } = await signedUp();
    const { client } = await signedUp();
    const { error } = await client.auth.updateUser({ email });
    assert.equal(error.status, 422);
    assert.equal(error.code, 'email_exists');
  });
});

describe('refresh tokens', () => {
  test('a refresh returns a new access token and a new refresh token in the same session', async () => {
    const { client, session } = await signedUp();
    const { data, error } = await client.auth.refreshSession({ refresh_token: session.refresh_token });
    assert.equal(error, null);
    assert.notEqual(data.session.refresh_token, session.refresh_token);
    assert.equal(jwtPayload(data.session.access_token).session_id, jwtPayload(session.access_token).session_id);
  });

  test('the new refresh token refreshes again', async () => {
    const { client, session } = await signedUp();
    const first = await client.auth.refreshSession({ refresh_token: session.refresh_token });
    const second = await client.auth.refreshSession({ refresh_token: first.data.session.refresh_token });
    assert.equal(second.error, null);
  });

  test('a rotated token presented again within the reuse interval gets the same new token (two tabs)', async () => {
    const { session } = await signedUp();
    const a = await clientFor(server).auth.refreshSession({ refresh_token: session.refresh_token });
    const b = await clientFor(server).auth.refreshSession({ refresh_token: session.refresh_token });
    assert.equal(a.error, null);
    assert.equal(b.error, null);
    assert.equal(b.data.session.refresh_token, a.data.session.refresh_token);
    assert.equal(jwtPayload(b.data.session.access_token).session_id, jwtPayload(session.access_token).session_id);
  });

  test('once that new token was rotated too, the old one presented within the interval gets another', async () => {
    const { session } = await signedUp();
    const a = await clientFor(server).auth.refreshSession({ refresh_token: session.refresh_token });
    const a2 = await clientFor(server).auth.refreshSession({ refresh_token: a.data.session.refresh_token });
    const b = await clientFor(server).auth.refreshSession({ refresh_token: session.refresh_token });
    assert.equal(b.error, null);
    assert.notEqual(b.data.session.refresh_token, a.data.session.refresh_token);
    assert.notEqual(b.data.session.refresh_token, a2.data.session.refresh_token);
  });

  test('an unknown refresh token is refresh_token_not_found', async () => {
    const { error } = await clientFor(server).auth.refreshSession({ refresh_token: 'abcdefghijkl' });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'refresh_token_not_found');
  });
});

describe('sign-out', () => {
  async function twoSessions() {
    const first = await signedUp();
    const second = clientFor(server);
    const { data } = await second.auth.signInWithPassword({ email: first.email, password: first.password });
    return { first, second, secondSession: data.session };
  }
  async function refreshWorks(refreshToken) {
    const { error } = await clientFor(server).auth.refreshSession({ refresh_token: refreshToken });
    return error === null;
  }

  test('local sign-out ends this session only', async () => {
    const { first, secondSession } = await twoSessions();
    const { error } = await first.client.auth.signOut({ scope: 'local' });
    assert.equal(error, null);
    assert.equal(await refreshWorks(first.session.refresh_token), false);
    assert.equal(await refreshWorks(secondSession.refresh_token), true);
  });

  test('global sign-out ends every session of the user', async () => {
    const { first, secondSession } = await twoSessions();
    await first.client.auth.signOut({ scope: 'global' });
    assert.equal(await refreshWorks(first.session.refresh_token), false);
    assert.equal(await refreshWorks(secondSession.refresh_token), false);
  });

  test('sign-out of the others keeps this session', async () => {
    const { first, secondSession } = await twoSessions();
    await first.client.auth.signOut({ scope: 'others' });
    assert.equal(await refreshWorks(secondSession.refresh_token), false);
    assert.equal(await refreshWorks(first.session.refresh_token), true);
  });

  test('an unknown scope is validation_failed and ends nothing', async () => {
    const { session } = await signedUp();
    const res = await authFetch(server, '/logout?scope=everything', {
      method: 'POST', headers: { Authorization: `Bearer ${session.access_token}` },
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'validation_failed');
    assert.equal(await refreshWorks(session.refresh_token), true);
  });

  test('an access token of an ended session no longer reaches /user (session_not_found)', async () => {
    const { session } = await signedUp();
    const res = await authFetch(server, '/logout?scope=local', {
      method: 'POST', headers: { Authorization: `Bearer ${session.access_token}` },
    });
    assert.equal(res.status, 204);
    const raw = await authFetch(server, '/user', { headers: { Authorization: `Bearer ${session.access_token}` } });
    assert.equal(raw.status, 403);
    assert.equal((await raw.json()).code, 'session_not_found');
    const { error } = await clientFor(server).auth.getUser(session.access_token);
    assert.equal(error.name, 'AuthSessionMissingError', 'auth-js reads it as a missing session');
  });
});

describe('the wire', () => {
  test('every auth response carries X-Supabase-Api-Version, errors included', async () => {
    for (const res of [await authFetch(server, '/settings'), await authFetch(server, '/user')]) {
      assert.equal(res.headers.get('x-supabase-api-version'), '2024-01-01');
    }
  });

  test('browsers may read X-Supabase-Api-Version, X-Total-Count and Link (CORS)', async () => {
    const res = await authFetch(server, '/settings', { headers: { Origin: 'http://localhost:3000' } });
    const exposed = res.headers.get('access-control-expose-headers').toLowerCase().split(/,\s*/);
    for (const h of ['x-supabase-api-version', 'x-total-count', 'link']) assert.ok(exposed.includes(h), h);
  });

  test('a header larger than the server accepts is refused, and the server stays up', async () => {
    const status = await new Promise((resolve, reject) => {
      const req = http.request(`${server.url}/auth/v1/settings`, { headers: { apikey: server.anonKey, 'X-Big': 'x'.repeat(128 * 1024) } },
        (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.end();
    });
    assert.ok(status === 431 || status === 413, `status ${status}`);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  test('errors carry code, error_code and msg', async () => {
    const res = await authFetch(server, '/token?grant_type=password', {
      method: 'POST', body: { email: uniqueEmail(), password: 'nope-nope' },
    });
    const body = await res.json();
    assert.equal(body.code, 'invalid_credentials');
    assert.equal(body.error_code, 'invalid_credentials');
    assert.equal(body.msg, 'Invalid login credentials');
  });

  test('/settings says email sign-up is on and auto-confirmed', async () => {
    const body = await (await authFetch(server, '/settings')).json();
    assert.equal(body.external.email, true);
    assert.equal(body.mailer_autoconfirm, true);
    assert.equal(body.disable_signup, false);
  });

  test('GET /auth/v1/health answers as GoTrue\'s health check', async () => {
    const res = await authFetch(server, '/health');
    assert.equal(res.status, 200);
    assert.equal((await res.json()).name, 'GoTrue');
  });

  test('malformed JSON is bad_json', async () => {
    const res = await authFetch(server, '/signup', { method: 'POST', body: '{"email": ' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'bad_json');
  });

  test('a body that is not a JSON object is bad_json', async () => {
    const res = await authFetch(server, '/signup', { method: 'POST', body: '["a"]' });
    assert.equal((await res.json()).code, 'bad_json');
  });

  test('a body sent as a form is bad_json', async () => {
    const res = await authFetch(server, '/signup', {
      method: 'POST', body: 'email=a%40b.com&password=secret123',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'bad_json');
  });

  test('an unknown grant type is refused', async () => {
    const res = await authFetch(server, '/token?grant_type=magic', { method: 'POST', body: {} });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).msg, 'unsupported_grant_type');
  });

  test('a refresh without a refresh_token is validation_failed', async () => {
    const res = await authFetch(server, '/token?grant_type=refresh_token', { method: 'POST', body: {} });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'validation_failed');
  });

  test('a body over SB_MAX_BODY_BYTES is 413', async () => {
    // the server answers as soon as it sees Content-Length, so fetch (still sending) cannot be used
    const status = await new Promise((resolve, reject) => {
      const req = http.request(`${server.url}/auth/v1/signup`, {
        method: 'POST',
        headers: { apikey: server.anonKey, 'Content-Type': 'application/json', 'Content-Length': 2 * 1024 * 1024 },
      }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.write('{"email":"');
    });
    assert.equal(status, 413);
  });

  test('a call without an API key is refused with 401', async () => {
    const res = await fetch(`${server.url}/auth/v1/settings`);
    assert.equal(res.status, 401);
  });

  test('a call with a key signed by another secret is refused with 401', async () => {
    const res = await authFetch(server, '/settings', { key: sign({ role: 'anon' }, 'another secret, 32 characters long') });
    assert.equal(res.status, 401);
  });

  test('an unknown path under /auth/v1 is 404 in the same shape', async () => {
    const res = await authFetch(server, '/nowhere');
    assert.equal(res.status, 404);
    assert.equal((await res.json()).code, 'not_found');
  });

  test('the server is still healthy after all this', async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
  });
});

function sign(claims, secret = server.env.SB_JWT_SECRET) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc(claims);
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
