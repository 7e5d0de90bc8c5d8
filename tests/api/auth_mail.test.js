// Confirm-by-email mode (SB_MAILER_AUTOCONFIRM=false) and password recovery: real mails over
// SMTP to a local sink, whose links the tests follow as a browser would. The server sends mail
// in the background (auth.mail_outbox), so a test waits for a mail, boundedly; "sends nothing"
// is checked once the outbox holds nothing more to send to the address.
'use strict';
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, clientFor, uniqueEmail } = require('./lib/server');
const { startMailSink, outboxSettled, linkAndCode } = require('./lib/mailsink');
const { jwtPayload } = require('./lib/auth');
const { sql } = require('./lib/students');

const SITE = 'http://localhost:3000';
let server, sink;
before(async () => {
  sink = await startMailSink();
  server = await startServer({
    SB_MAILER_AUTOCONFIRM: 'false', SB_SMTP_HOST: '127.0.0.1', SB_SMTP_PORT: String(sink.port), SB_SITE_URL: SITE,
    SB_SMTP_SENDER: 'studybase@example.com',
  });
});
after(async () => { await server?.stop(); await sink?.stop(); });

/* Opens a mailed link as a browser does (no redirect followed); returns the redirect target. */
async function follow(link) {
  const res = await fetch(link, { redirect: 'manual' });
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location'));
}

function fragment(url) {
  return Object.fromEntries(new URLSearchParams(url.hash.slice(1)));
}

async function signedUpUnconfirmed(options = {}) {
  const email = uniqueEmail();
  const { data, error } = await clientFor(server).auth.signUp({ email, password: 'secret123', options });
  assert.equal(error, null);
  return { email, user: data.user, session: data.session };
}

describe('confirming a sign-up', () => {
  test('sign-up returns the user without a session and mails a confirmation link', async () => {
    const { email, user, session } = await signedUpUnconfirmed();
    assert.equal(session, null);
    assert.ok(user.confirmation_sent_at);
    assert.equal(user.email_confirmed_at, undefined);
    const mail = await sink.lastMailTo(email);
    assert.match(mail.raw, /Subject: Confirm Your Signup/);
    assert.match(mail.raw, /From: studybase@example.com/);
    assert.ok(linkAndCode(mail).link);
  });

  test('signing in before confirming is email_not_confirmed', async () => {
    const { email } = await signedUpUnconfirmed();
    const { error } = await clientFor(server).auth.signInWithPassword({ email, password: 'secret123' });
    assert.equal(error.status, 400);
    assert.equal(error.code, 'email_not_confirmed');
  });

  test('the mailed link confirms and redirects to the site with a session in the fragment', async () => {
    const { email, user } = await signedUpUnconfirmed();
    const target = await follow(linkAndCode(await sink.lastMailTo(email)).link);
    assert.equal(target.origin, SITE);
    const f = fragment(target);
    assert.equal(f.type, 'signup');
    assert.equal(f.token_type, 'bearer');
    assert.equal(Number(f.expires_in), 3600);
    assert.equal(jwtPayload(f.access_token).sub, user.id);
    const { data, error } = await clientFor(server).auth.setSession({ access_token: f.access_token, refresh_token: f.refresh_token });
    assert.equal(error, null);
    assert.ok(data.user.email_confirmed_at);
  });

  test('after confirming, the password signs in', async () => {
    const { email } = await signedUpUnconfirmed();
    await follow(linkAndCode(await sink.lastMailTo(email)).link);
    const { error } = await clientFor(server).auth.signInWithPassword({ email, password: 'secret123' });
    assert.equal(error, null);
  });

  test('a link works once: the second time it redirects with error otp_expired', async () => {
    const { email } = await signedUpUnconfirmed();
    const { link } = linkAndCode(await sink.lastMailTo(email));
    await follow(link);
    const f = fragment(await follow(link));
    assert.equal(f.error, 'access_denied');
    assert.equal(f.error_code, 'otp_expired');
    assert.equal(f.access_token, undefined);
  });

  test('a link older than SB_MAILER_OTP_EXP (a day) is otp_expired', async () => {
    const { email } = await signedUpUnconfirmed();
    sql(`UPDATE auth.users SET confirmation_sent_at = now() - interval '86401 seconds' WHERE email = :'email'`, { email });
    const f = fragment(await follow(linkAndCode(await sink.lastMailTo(email)).link));
    assert.equal(f.error_code, 'otp_expired');
  });

  test('the code in the mail confirms through verifyOtp', async () => {
    const { email, user } = await signedUpUnconfirmed();
    const { code } = linkAndCode(await sink.lastMailTo(email));
    const { data, error } = await clientFor(server).auth.verifyOtp({ email, token: code, type: 'signup' });
    assert.equal(error, null);
    assert.equal(data.user.id, user.id);
    assert.ok(data.session.access_token);
  });

  test('a wrong code is otp_expired (403)', async () => {
    const { email } = await signedUpUnconfirmed();
    const { code } = linkAndCode(await sink.lastMailTo(email));
    const wrong = code === '000000' ? '000001' : '000000';
    const { error } = await clientFor(server).auth.verifyOtp({ email, token: wrong, type: 'signup' });
    assert.equal(error.status, 403);
    assert.equal(error.code, 'otp_expired');
  });

  test('redirect_to on the site\'s origin is kept', async () => {
    const { email } = await signedUpUnconfirmed({ emailRedirectTo: `${SITE}/welcome` });
    const target = await follow(linkAndCode(await sink.lastMailTo(email)).link);
    assert.equal(target.pathname, '/welcome');
  });

  test('redirect_to keeps its own query string through the link', async () => {
    const { email } = await signedUpUnconfirmed({ emailRedirectTo: `${SITE}/welcome?next=/courses&x=1` });
    const target = await follow(linkAndCode(await sink.lastMailTo(email)).link);
    assert.equal(target.pathname, '/welcome');
    assert.equal(target.searchParams.get('next'), '/courses');
    assert.equal(target.searchParams.get('x'), '1');
    assert.ok(fragment(target).access_token);
  });

  test('redirect_to on another origin is replaced by the site URL', async () => {
    const { email } = await signedUpUnconfirmed({ emailRedirectTo: 'https://evil.example/steal' });
    const target = await follow(linkAndCode(await sink.lastMailTo(email)).link);
    assert.equal(target.origin, SITE);
  });

  test('signing up again within a minute of the mail is over_email_send_rate_limit, and sends nothing', async () => {
    const { email } = await signedUpUnconfirmed();
    const { error } = await clientFor(server).auth.signUp({ email, password: 'secret123' });
    assert.equal(error.status, 429);
    assert.equal(error.code, 'over_email_send_rate_limit');
    assert.match(error.message, /only request this after \d+ seconds/);
    await outboxSettled(email);
    assert.equal(sink.mailsTo(email).length, 1);
  });

  test('signing up again a minute after the mail sends a new link; the old one no longer works', async () => {
    const { email } = await signedUpUnconfirmed();
    const first = linkAndCode(await sink.lastMailTo(email)).link;
    sql(`UPDATE auth.users SET confirmation_sent_at = now() - interval '61 seconds' WHERE email = :'email'`, { email });
    const { error } = await clientFor(server).auth.signUp({ email, password: 'secret123' });
    assert.equal(error, null);
    assert.equal((await sink.mailsToAtLeast(email, 2)).length, 2);
    assert.equal(fragment(await follow(first)).error_code, 'otp_expired');
    assert.ok(fragment(await follow(linkAndCode(await sink.lastMailTo(email)).link)).access_token);
  });

  test('resend within a minute of the last mail is over_email_send_rate_limit', async () => {
    const { email } = await signedUpUnconfirmed();
    const { error } = await clientFor(server).auth.resend({ type: 'signup', email });
    assert.equal(error.code, 'over_email_send_rate_limit');
  });

  test('resend later mails a new confirmation link', async () => {
    const { email } = await signedUpUnconfirmed();
    sql(`UPDATE auth.users SET confirmation_sent_at = now() - interval '61 seconds' WHERE email = :'email'`, { email });
    const { error } = await clientFor(server).auth.resend({ type: 'signup', email });
    assert.equal(error, null);
    assert.equal((await sink.mailsToAtLeast(email, 2)).length, 2);
  });

  test('signing up again with a confirmed address reveals nothing: another id, no identities, no mail', async () => {
    const { email, user } = await signedUpUnconfirmed();
    await follow(linkAndCode(await sink.lastMailTo(email)).link);
    const { data, error } = await clientFor(server).auth.signUp({ email, password: 'secret123' });
    assert.equal(error, null);
    assert.notEqual(data.user.id, user.id);
    assert.deepEqual(data.user.identities, []);
    await outboxSettled(email);
    assert.equal(sink.mailsTo(email).length, 1);
  });
});

describe('recovering a password', () => {
  async function confirmedUser() {
    const { email } = await signedUpUnconfirmed();
    await follow(linkAndCode(await sink.lastMailTo(email)).link);
    return email;
  }

  test('resetPasswordForEmail mails a recovery link', async () => {
    const email = await confirmedUser();
    const { error } = await clientFor(server).auth.resetPasswordForEmail(email);
    assert.equal(error, null);
    const mail = (await sink.mailsToAtLeast(email, 2))[1]; // the first confirmed the sign-up
    assert.match(mail.raw, /Subject: Reset Your Password/);
    assert.match(linkAndCode(mail).link, /type=recovery/);
  });

  test('the recovery link gives a session in which the password can be changed', async () => {
    const email = await confirmedUser();
    await clientFor(server).auth.resetPasswordForEmail(email);
    const f = fragment(await follow(linkAndCode((await sink.mailsToAtLeast(email, 2))[1]).link));
    assert.equal(f.type, 'recovery');
    assert.equal(jwtPayload(f.access_token).amr[0].method, 'recovery');
    const client = clientFor(server);
    await client.auth.setSession({ access_token: f.access_token, refresh_token: f.refresh_token });
    assert.equal((await client.auth.updateUser({ password: 'recovered pw' })).error, null);
    const anon = clientFor(server);
    assert.equal((await anon.auth.signInWithPassword({ email, password: 'recovered pw' })).error, null);
    assert.equal((await anon.auth.signInWithPassword({ email, password: 'secret123' })).error.code, 'invalid_credentials');
  });

  test('an unknown address gets the same answer and no mail', async () => {
    const email = uniqueEmail();
    const { data, error } = await clientFor(server).auth.resetPasswordForEmail(email);
    assert.equal(error, null);
    assert.deepEqual(data, {});
    await outboxSettled(email);
    assert.equal(sink.mailsTo(email).length, 0);
  });
});

describe('changing the address', () => {
  test('a new address waits for the link mailed to it, then replaces the old one', async () => {
    const { email } = await signedUpUnconfirmed();
    const f = fragment(await follow(linkAndCode(await sink.lastMailTo(email)).link));
    const client = clientFor(server);
    await client.auth.setSession({ access_token: f.access_token, refresh_token: f.refresh_token });
    const newEmail = uniqueEmail('new');
    const { data, error } = await client.auth.updateUser({ email: newEmail });
    assert.equal(error, null);
    assert.equal(data.user.email, email);
    assert.equal(data.user.new_email, newEmail);
    await follow(linkAndCode(await sink.lastMailTo(newEmail)).link);
    const { error: signInError } = await clientFor(server).auth.signInWithPassword({ email: newEmail, password: 'secret123' });
    assert.equal(signInError, null);
  });
});

test('/settings says sign-ups wait for confirmation', async () => {
  const res = await fetch(`${server.url}/auth/v1/settings`, { headers: { apikey: server.anonKey } });
  assert.equal((await res.json()).mailer_autoconfirm, false);
});
