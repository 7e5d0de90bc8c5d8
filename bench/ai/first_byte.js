// Time to the first byte of a streamed answer's body, over N sequential POSTs (a new
// connection each, as studybase's own provider calls use).
//   node bench/ai/first_byte.js URL N BODY_JSON [Header: value]...
// Prints the median, p10 and p90 in ms, and how many answers were not 200.
'use strict';
const http = require('node:http');

const [url, n, body, ...headerArgs] = process.argv.slice(2);
const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
for (const h of headerArgs) {
  const i = h.indexOf(':');
  headers[h.slice(0, i)] = h.slice(i + 1).trim();
}

function once() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first = null;
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.on('data', () => { if (first === null) first = process.hrtime.bigint(); });
      res.on('end', () => resolve({ ms: Number(first - started) / 1e6, status: res.statusCode }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

(async () => {
  const times = [];
  let bad = 0;
  for (let i = 0; i < Number(n); i++) {
    const r = await once();
    if (r.status !== 200) bad++;
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
  console.log(JSON.stringify({ median: at(0.5), p10: at(0.1), p90: at(0.9), n: times.length, not200: bad }));
})();
