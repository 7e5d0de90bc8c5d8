// One studybase server per test file: started on 127.0.0.1 at a free port against the test
// database (DATABASE_URL, as scripts/test-in-cluster.sh sets it), with a secret of its own,
// and stopped when the file's tests end, pass or fail.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createClient } = require('@supabase/supabase-js');

const STUDYBASE = process.env.STUDYBASE || path.resolve(__dirname, '../../../build-test/studybase');

function waitForUrl(child, out) {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const m = /^API URL: (\S+)$/m.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`studybase serve exited (${code}); log: ${out}`)));
  });
}

function readKeys(env) {
  const r = spawnSync(STUDYBASE, ['status', '-o', 'env'], { env, encoding: 'utf8' });
  const keys = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) keys[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  if (!keys.ANON_KEY || !keys.SERVICE_ROLE_KEY) throw new Error(`studybase status -o env: ${r.stdout}${r.stderr}`);
  return keys;
}

/*
 * Starts a server; extraEnv adds or overrides SB_* settings. Returns
 * { url, anonKey, serviceKey, dataDir, logFile, env, stop() }.
 */
async function startServer(extraEnv = {}) {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set (run through scripts/test-in-cluster.sh)');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'studybase-api-'));
  const env = {
    ...process.env,
    SB_HOST: '127.0.0.1',
    SB_PORT: '0',
    SB_DATA_DIR: dataDir,
    SB_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    // the auth rate limits (per IP: every test client is 127.0.0.1) are set out of reach;
    // tests of the limits pass their own
    SB_RATE_LIMIT_TOKEN: '1000000',
    SB_RATE_LIMIT_VERIFY: '1000000',
    SB_RATE_LIMIT_EMAIL: '1000000',
    ...extraEnv,
  };
  const logFile = path.join(dataDir, 'server.log');
  const log = fs.openSync(logFile, 'w');
  const child = spawn(STUDYBASE, ['serve'], { env, stdio: ['ignore', 'pipe', log] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const url = await waitForUrl(child, logFile);
  const keys = readKeys(env);
  let stopped = false;
  return {
    url,
    anonKey: keys.ANON_KEY,
    serviceKey: keys.SERVICE_ROLE_KEY,
    dataDir,
    logFile,
    env,
    process: child,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.closeSync(log);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/* A supabase-js client for the server, with the anon key (or the key given), that keeps its
 * session in memory only. */
function clientFor(server, key = server.anonKey) {
  return createClient(server.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/* An address no other test run uses. */
function uniqueEmail(tag = 'student') {
  return `${tag}-${crypto.randomBytes(6).toString('hex')}@example.com`;
}

module.exports = { startServer, clientFor, uniqueEmail, STUDYBASE };
