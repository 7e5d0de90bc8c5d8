// Security (#12): mailed links and the access token's issuer come from the configuration
// (SB_API_EXTERNAL_URL, by default the server's own http://SB_HOST:port), never from the
// request's Host header, which the caller chooses: a recovery request sent with
// `Host: attacker.tld` must not mail the victim a working link to the attacker's host.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor, uniqueEmail } = require('../api/lib/server');
const { startMailSink, linkAndCode } = require('../api/lib/mailsink');
const { authRequestWithHost, jwtPayload } = require('../api/lib/auth');

let server, sink;
before(async () => {
  sink = await startMailSink();
  server = await startServer({ SB_SMTP_HOST: '127.0.0.1', SB_SMTP_PORT: String(sink.port) });
});
after(async () => { await server?.stop(); await sink?.stop(); });

async function confirmedUser() {
  const email = uniqueEmail('victim');
  const { error } = await clientFor(server).auth.signUp({ email, password: 'secret123' });
  assert.equal(error, null);
  return email;
}

test('a recovery mail asked for with a forged Host header links to the configured API, not that host', async () => {
  const email = await confirmedUser();
  const res = await authRequestWithHost(server, '/recover', 'attacker.tld', { body: { email } });
  assert.equal(res.status, 200);
  const { link } = linkAndCode(await sink.lastMailTo(email));
  assert.ok(link.startsWith(`${server.url}/auth/v1/verify?`), `mailed link: ${link}`);
  assert.doesNotMatch((await sink.lastMailTo(email)).raw, /attacker\.tld/);
});

test('an access token issued to a request with a forged Host header names the configured API as iss', async () => {
  const email = await confirmedUser();
  const res = await authRequestWithHost(server, '/token?grant_type=password', 'attacker.tld',
    { body: { email, password: 'secret123' } });
  assert.equal(res.status, 200);
  assert.equal(jwtPayload(res.json.access_token).iss, `${server.url}/auth/v1`);
});
