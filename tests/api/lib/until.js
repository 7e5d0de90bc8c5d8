// A bounded wait for something the server does in the background (an embedding written by
// the worker): polls condition() every 20 ms until it returns a truthy value, which it returns;
// throws after timeoutMs.
'use strict';

async function until(condition, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

module.exports = { until };
