// Students for the API tests: a user in auth.users and a supabase-js client that acts as them.
//
// Until /auth/v1 exists this mints the student directly: the row is inserted with psql (as the
// test database's superuser) and the access token is signed with the server's secret, carrying
// the claims GoTrue puts in one. Once sign-up works, this file switches to signing up through
// /auth/v1 and every test that uses it goes through the real auth service unchanged.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { createClient } = require('@supabase/supabase-js');
const { uniqueEmail } = require('./server');

function sql(query, vars = {}) {
  const args = [process.env.DATABASE_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}

function signToken(secret, claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc(claims);
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/* Returns { id, email, token, client } for a new confirmed student. */
async function createStudent(server, tag = 'student') {
  const email = uniqueEmail(tag);
  const id = sql(
    `INSERT INTO auth.users (aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
     VALUES ('authenticated', 'authenticated', :'email', now(), '{"provider":"email","providers":["email"]}', '{}')
     RETURNING id;`,
    { email },
  );
  const now = Math.floor(Date.now() / 1000);
  const token = signToken(server.env.SB_JWT_SECRET, {
    sub: id, aud: 'authenticated', role: 'authenticated', email, iat: now, exp: now + 3600,
    app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: {},
    aal: 'aal1', amr: [{ method: 'password', timestamp: now }], session_id: crypto.randomUUID(),
  });
  const client = createClient(server.url, server.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${token}` } },
  });
  return { id, email, token, client };
}

module.exports = { createStudent, sql, signToken };
