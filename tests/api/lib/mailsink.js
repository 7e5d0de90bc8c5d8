// Local SMTP servers for the mail tests, on 127.0.0.1 at free ports:
//   startMailSink()               keeps every mail it receives (the npm smtp-server package);
//   startMailSink({ refuse: true }) keeps every mail too, then answers 550 to it, so the server
//                                 sees a permanent failure after the test has seen the mail;
//   startStalledSmtp()            accepts connections and never says a word (an SMTP server
//                                 that hangs).
// The server sends mail in the background (src/auth/outbox.c), so a test waits for a mail with a
// bounded wait: lastMailTo / mailsToAtLeast give up after a few seconds.
'use strict';
const net = require('node:net');
const { SMTPServer } = require('smtp-server');
const { sql } = require('./students');

const WAIT_MS = 10000;

/* Polls condition() (sync or async) every 20 ms until it returns a truthy value, which it
 * returns; throws after timeoutMs. */
async function until(condition, what, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startMailSink({ refuse = false } = {}) {
  const mails = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => { raw += chunk; });
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        if (!refuse) return callback();
        const refusal = new Error('mailbox unavailable');
        refusal.responseCode = 550;
        return callback(refusal);
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.server.address().port,
    mails,
    /* Every mail to address so far. */
    mailsTo(address) { return mails.filter((m) => m.to.includes(address)); },
    /* The latest mail to address, waiting (boundedly) for one if there is none yet. */
    async lastMailTo(address) {
      const found = await until(() => { const m = this.mailsTo(address); return m.length && m; }, `a mail to ${address}`);
      return found[found.length - 1];
    },
    /* The mails to address once there are at least n (bounded wait). */
    mailsToAtLeast(address, n) {
      return until(() => { const m = this.mailsTo(address); return m.length >= n && m; }, `${n} mails to ${address}`);
    },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}

async function startStalledSmtp() {
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /* How many connections it has accepted, and how many are still open (stalled). */
    get accepted() { return accepted; },
    get open() { return sockets.size; },
    /* Waits (boundedly) until a client has connected and is being stalled. */
    waitForStalledClient() { return until(() => sockets.size > 0, 'a client of the stalled SMTP server'); },
    stop() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/* Waits (boundedly) until the outbox holds no mail to address that is still to be sent: each was
 * sent (and is then in the sink) or has finally failed. A database without the outbox (a server
 * that mails within the request) has nothing pending. */
function outboxSettled(address) {
  if (sql(`SELECT to_regclass('auth.mail_outbox') IS NULL`) === 't') return Promise.resolve(true);
  return until(() => sql(`SELECT count(*) FROM auth.mail_outbox WHERE recipient = :'address' AND failed_at IS NULL`,
    { address }) === '0', `the outbox to settle for ${address}`);
}

/* The verify link and the six-digit code in a mail. */
function linkAndCode(mail) {
  const link = /(https?:\/\/\S+\/auth\/v1\/verify\?\S+)/.exec(mail.raw)?.[1];
  const code = /code: (\d{6})/.exec(mail.raw)?.[1];
  return { link, code };
}

module.exports = { startMailSink, startStalledSmtp, outboxSettled, linkAndCode, until };
