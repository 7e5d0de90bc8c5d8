// A stand-in OpenAI-compatible chat provider for the tutor's benchmarks (not the tests' mock):
// POST /v1/chat/completions answers with server-sent events at once.
//   node bench/ai/mock_provider.js fast            first piece at once, 3 more, [DONE]
//   node bench/ai/mock_provider.js slow MS COUNT   a piece every MS ms, COUNT pieces
// Prints "URL: http://127.0.0.1:<port>" when listening; stops on SIGTERM.
'use strict';
const http = require('node:http');

const [mode = 'fast', everyMs = '500', count = '60'] = process.argv.slice(2);
const chunk = (text) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const end = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`
  + `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 100, completion_tokens: 4, total_tokens: 104 } })}\n\n`
  + 'data: [DONE]\n\n';

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    if (mode === 'fast') {
      res.write(chunk('First'));
      res.end(chunk(' piece') + chunk(' and') + chunk(' more.') + end);
      return;
    }
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(chunk(`piece ${sent} `));
      if (++sent >= Number(count)) {
        clearInterval(timer);
        res.end(end);
      }
    }, Number(everyMs));
    res.on('close', () => clearInterval(timer));
  });
});
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => console.log(`URL: http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
