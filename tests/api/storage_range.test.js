// Storage downloads answer a Range header (RFC 9110): a video or PDF viewer asks for parts of a
// material, and gets 206 with exactly those bytes; a range past the end is 416.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startWithTwoStudents } = require('./lib/storage');

let server, alice, aliceCourse, name, etag;
const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(200000)]);

before(async () => {
  ({ server, alice, aliceCourse } = await startWithTwoStudents());
  name = `${alice.id}/${aliceCourse}/ranged.pdf`;
  const { error } = await alice.client.storage.from('materials').upload(name, bytes, { contentType: 'application/pdf' });
  assert.equal(error, null);
  const whole = await download();
  etag = whole.headers.get('etag');
});
after(async () => { await server?.stop(); });

function download(headers = {}) {
  return fetch(`${server.url}/storage/v1/object/materials/${name}`, {
    headers: { apikey: server.anonKey, Authorization: `Bearer ${alice.token}`, ...headers },
  });
}

async function expectPart(range, first, last) {
  const res = await download({ Range: range });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes ${first}-${last}/${bytes.length}`);
  assert.equal(res.headers.get('content-length'), String(last - first + 1));
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(first, last + 1)), 'the bytes asked for');
}

test('a download without Range is the whole file and says ranges are accepted', async () => {
  const res = await download();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
});

test('a closed range is answered 206 with exactly those bytes', async () => {
  await expectPart('bytes=0-99', 0, 99);
  await expectPart('bytes=150000-150009', 150000, 150009);
});

test('an open range runs to the end of the file, and one past the end is cut there', async () => {
  await expectPart('bytes=199000-', 199000, bytes.length - 1);
  await expectPart(`bytes=199000-${bytes.length + 1000}`, 199000, bytes.length - 1);
});

test('a suffix range is the last bytes of the file', async () => {
  await expectPart('bytes=-500', bytes.length - 500, bytes.length - 1);
});

test('a range that starts past the end is 416 with the file size', async () => {
  const res = await download({ Range: `bytes=${bytes.length}-` });
  assert.equal(res.status, 416);
  assert.equal(res.headers.get('content-range'), `bytes */${bytes.length}`);
  assert.equal((await res.json()).error, 'InvalidRange');
});

test('several ranges or another unit get the whole file', async () => {
  for (const range of ['bytes=0-9,20-29', 'items=0-9']) {
    const res = await download({ Range: range });
    assert.equal(res.status, 200, range);
    assert.equal((await res.arrayBuffer()).byteLength, bytes.length);
  }
});

test('If-Range with the current ETag keeps the range; with another one the whole file comes', async () => {
  assert.ok(etag, 'the download has an ETag');
  const same = await download({ Range: 'bytes=0-9', 'If-Range': etag });
  assert.equal(same.status, 206);
  const other = await download({ Range: 'bytes=0-9', 'If-Range': '"something-else"' });
  assert.equal(other.status, 200);
  assert.equal((await other.arrayBuffer()).byteLength, bytes.length);
});
