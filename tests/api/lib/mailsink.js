// A local SMTP sink for the mail tests (the npm smtp-server package) on 127.0.0.1 at a free
// port: keeps every mail it receives, and lets a test wait for the next mail to an address.
'use strict';
const { SMTPServer } = require('smtp-server');

async function startMailSink() {
  const mails = [];
  const waiters = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => { raw += chunk; });
      stream.on('end', () => {
        const mail = { to: session.envelope.rcptTo.map((r) => r.address), raw };
        mails.push(mail);
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.server.address().port,
    mails,
    /* Every mail to address so far. */
    mailsTo(address) { return mails.filter((m) => m.to.includes(address)); },
    /* The latest mail to address, waiting for one if there is none yet. */
    async lastMailTo(address) {
      for (;;) {
        const found = this.mailsTo(address);
        if (found.length) return found[found.length - 1];
        await new Promise((resolve) => waiters.push(resolve));
      }
    },
    stop() { return new Promise((resolve) => server.close(resolve)); },
  };
}

/* The verify link and the six-digit code in a mail. */
function linkAndCode(mail) {
  const link = /(https?:\/\/\S+\/auth\/v1\/verify\?\S+)/.exec(mail.raw)?.[1];
  const code = /code: (\d{6})/.exec(mail.raw)?.[1];
  return { link, code };
}

module.exports = { startMailSink, linkAndCode };
