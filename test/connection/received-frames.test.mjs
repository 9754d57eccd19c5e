// Hostile shapes of a peer's message end quickly, in a value or a clear error, and the connection
// stays usable: a sparse array of length 2^32 - 1 in 25 bytes (read in time following its items,
// not its length), nesting half a million deep, a string claiming 2^30 characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { Pipe, ProcessError } from '../../dist/index.js';
import { within } from '../helpers/methods.mjs';
import { withPipe } from '../helpers/connection.mjs';

const varint = (n) => {
  const out = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n) byte |= 128;
    out.push(byte);
  } while (n);
  return out;
};

test('a sparse array of length 2^32 - 1 in a 25-byte frame is read at once', withPipe(async (a, b) => {
  const length = 2 ** 32 - 1;
  // [[], <sparse array of `length`, no items>] in v8's format.
  const frame = Buffer.from([0xff, 0x0f, 0x41, 2, 0x41, 0, 0x24, 0, 0, 0x61, ...varint(length), 0x40, 0, ...varint(length), 0x24, 0, 2]);
  assert.equal(frame.length, 25);
  const withItems = [];
  withItems.length = length;
  withItems[3] = 'three';
  withItems[length - 1] = 'last';
  a.sendBytes(frame);
  a.sendBytes(v8.serialize([[], withItems]));
  const started = Date.now();
  const empty = await b.recv();
  const two = await b.recv();
  assert.ok(Date.now() - started < 5_000, `read in ${Date.now() - started} ms`);
  assert.equal(empty.length, length);
  assert.deepEqual(Object.keys(empty), []);
  assert.equal(two.length, length);
  assert.deepEqual(Object.keys(two), ['3', String(length - 1)]);
  assert.equal(two[3], 'three');
  assert.equal(two[length - 1], 'last');
}));

test('a sparse array round-trips through send() keeping its holes, in bounded time', withPipe(async (a, b) => {
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  sparse[0] = { first: true };
  sparse[1e8] = 'middle';
  sparse[2 ** 32 - 2] = 7n;
  const holey = [1, , 3, , , { five: 5 }]; // eslint-disable-line no-sparse-arrays
  const started = Date.now();
  a.send(sparse);
  a.send(holey);
  const got = await within(b.recv(), 10_000, 'recv');
  const gotHoley = await within(b.recv(), 10_000, 'recv');
  assert.ok(Date.now() - started < 5_000, `sent and read in ${Date.now() - started} ms`);
  assert.equal(got.length, sparse.length);
  assert.deepEqual(Object.keys(got), ['0', '100000000', String(2 ** 32 - 2)]);
  assert.deepEqual(got[0], { first: true });
  assert.equal(got[1e8], 'middle');
  assert.equal(got[2 ** 32 - 2], 7n);
  assert.deepEqual(gotHoley, holey);
  assert.deepEqual(Object.keys(gotHoley), ['0', '2', '5']);
}));

test('a v8 payload nested 500,000 deep ends in an error or a value, and the connection reads on', withPipe(async (a, b) => {
  const depth = 500_000;
  const open = Buffer.alloc(depth * 2);
  for (let i = 0; i < depth; i++) open.set([0x41, 1], i * 2); // a dense array of one item
  const close = Buffer.alloc(depth * 3);
  for (let i = 0; i < depth; i++) close.set([0x24, 0, 1], i * 3);
  a.sendBytes(Buffer.concat([Buffer.from([0xff, 0x0f, 0x41, 2, 0x41, 0, 0x24, 0, 0]), open, Buffer.from([0x30]), close, Buffer.from([0x24, 0, 2])]));
  a.send('after the deep one');
  await within(
    b.recv().then(
      (value) => assert.ok(Array.isArray(value)),
      (error) => assert.ok(error instanceof ProcessError || error instanceof RangeError, String(error)),
    ),
    30_000,
    'recv of the deep payload',
  );
  assert.equal(await within(b.recv(), 10_000, 'recv'), 'after the deep one');
}));

test('JSON frames nested 1,000,000 deep end in an error or a value, and the connection reads on', withPipe(async (a, b) => {
  const deep = `${'['.repeat(1e6)}${']'.repeat(1e6)}`;
  for (const tag of ['J', 'j']) {
    a.sendBytes(Buffer.from(tag + deep));
    a.send(`after ${tag}`);
    await within(
      b.recv().then(
        (value) => assert.ok(Array.isArray(value)),
        (error) => assert.ok(error instanceof ProcessError || error instanceof RangeError, String(error)),
      ),
      30_000,
      `recv of the deep ${tag} payload`,
    );
    assert.equal(await within(b.recv(), 10_000, 'recv'), `after ${tag}`);
  }
}));

test('a v8 string claiming 2^30 characters with 3 present is a clear error, and the connection reads on', withPipe(async (a, b) => {
  a.sendBytes(Buffer.from([0xff, 0x0f, 0x22, ...varint(2 ** 30), 0x61, 0x62, 0x63]));
  a.send('after');
  await assert.rejects(within(b.recv(), 10_000, 'recv'), (error) => error instanceof ProcessError && /not a value sent with send\(\)/.test(error.message));
  assert.equal(await within(b.recv(), 10_000, 'recv'), 'after');
}));
