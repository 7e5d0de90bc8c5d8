// Students for the API tests: a user signed up through /auth/v1 with supabase-js, and a
// supabase-js client signed in as them.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { createClient } = require('@supabase/supabase-js');
const { uniqueEmail } = require('./server');

/* Runs SQL as the test database's superuser (psql variables: :'name'); returns the output. */
function sql(query, vars = {}) {
  const args = [process.env.DATABASE_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}

/* Signs claims as an HS256 JWT with secret (for tokens the server must refuse, such as an
 * expired signed URL). */
function signToken(secret, claims) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc(claims);
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/* Returns { id, email, password, token, client } for a new confirmed student: client is
 * signed in (its session is kept in memory), token is the session's access token. */
async function createStudent(server, tag = 'student') {
  const email = uniqueEmail(tag);
  const password = `pw-${email}`;
  const client = createClient(server.url, server.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data, error } = await client.auth.signUp({ email, password });
  if (error) throw new Error(`createStudent: sign-up failed: ${error.code} ${error.message}`);
  if (!data.session) throw new Error('createStudent: sign-up gave no session (is SB_MAILER_AUTOCONFIRM off?)');
  return { id: data.user.id, email, password, token: data.session.access_token, client };
}

module.exports = { createStudent, sql, signToken };
