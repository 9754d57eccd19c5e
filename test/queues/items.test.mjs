// What a queue carries, item by item: every kind it frames its own way (numbers, strings, booleans,
// null/undefined, raw bytes, plain data) and every kind the codec carries (functions, errors,
// registered classes, typed arrays, Maps, cycles...), within one process and through a child on
// every start method, with the async methods and the Sync twins. Also: an item is what it was at
// the moment of put, even if the caller changes it while the item waits for room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { Queue, SimpleQueue } from '../../dist/index.js';
import { forEachMethod, within, processStarter } from '../helpers/methods.mjs';
import { double, echo, echoSync, Pair, sampleItems, sizedItem, takeSized } from '../fixtures/queues/items.mjs';

const { start } = processStarter();

/** Checks what arrived against a fresh copy of what was put. */
function checkItem(name, got, expected) {
  switch (name) {
    case 'negative zero':
      assert.ok(Object.is(got, -0), name);
      return;
    case 'null prototype':
      assert.deepEqual(got, { k: 'v' }, name);
      return;
    case 'Uint8Array window':
      assert.deepEqual(got, new Uint8Array([8, 7, 6]), name);
      assert.equal(got.buffer.byteLength, 3, 'the window arrives with a buffer of its own');
      return;
    case 'Buffer':
      assert.ok(Buffer.isBuffer(got), 'a Buffer stays a Buffer');
      assert.equal(got.toString(), 'bytes as a Buffer');
      return;
    case 'cycle':
      assert.equal(got.self, got, 'the cycle is kept');
      assert.equal(got.name, 'root');
      return;
    case 'registered class':
      assert.ok(got instanceof Pair, 'a registered class keeps its prototype');
      assert.equal(got.sum(), 5);
      return;
    case 'function':
      assert.equal(got.fn, double, 'a function arrives as the same export');
      return;
    case 'error':
      assert.ok(got instanceof RangeError);
      assert.equal(got.message, 'out of range');
      return;
    default:
      assert.deepEqual(got, expected, name);
  }
}

function checkAll(got) {
  const expected = sampleItems();
  assert.equal(got.length, expected.length);
  expected.forEach(([name, value], i) => checkItem(name, got[i], value));
}

test('every kind of item round-trips within one process, async and Sync twins', async () => {
  const q = new Queue();
  const items = sampleItems();
  for (const [, value] of items) await q.put(value);
  assert.equal(q.qsize(), items.length);
  const got = [];
  for (let i = 0; i < items.length; i++) got.push(await q.get());
  checkAll(got);
  for (const [, value] of sampleItems()) q.putSync(value);
  checkAll(sampleItems().map(() => q.getSync()));
  const simple = new SimpleQueue();
  for (const [, value] of sampleItems()) await simple.put(value);
  const fromSimple = [];
  for (let i = 0; i < items.length; i++) fromSimple.push(await simple.get());
  checkAll(fromSimple);
  assert.equal(q.empty(), true);
});

test('a Proxy is sent as its properties; values the codec refuses still throw at put', async () => {
  const q = new Queue();
  await q.put(new Proxy({ a: 1, b: [2] }, {}));
  assert.deepEqual(await q.get(), { a: 1, b: [2] });
  await assert.rejects(q.put([1, Symbol('local')]), { name: 'PicklingError' });
  assert.throws(() => q.putSync({ nested: { f: () => 1 } }), { name: 'PicklingError' });
  assert.equal(q.qsize(), 0);
});

test('an object of this process that cannot be copied is refused at put, named where it sits in the item', async () => {
  const q = new Queue();
  const socket = new Socket();
  try {
    await assert.rejects(q.put({ job: 1, reply: { socket } }), (error) => {
      assert.equal(error.name, 'PicklingError');
      assert.ok(error.message.startsWith('Cannot send obj.reply.socket, a net.Socket (a Node.js object), '), error.message);
      assert.match(error.message, /Fix: .*Pipe, Queue or Connection/);
      return true;
    });
    assert.equal(q.qsize(), 0, 'nothing was put');
  } finally {
    socket.destroy();
    q.close();
  }
});

test('an item is what it was when put, even when it waits for room and the caller changes it', async () => {
  const q = new Queue(1);
  await q.put('first');
  const bytes = new Uint8Array([1, 2, 3]);
  const plain = { n: 1 };
  const buffer = Buffer.from('abc');
  const pending = [q.put(bytes), q.put(41), q.put('text'), q.put(plain), q.put(buffer)];
  bytes[0] = 99;
  plain.n = 2;
  buffer[0] = 0x7a;
  const got = [];
  for (let i = 0; i < 6; i++) got.push(await within(q.get(), 5000, 'get'));
  await Promise.all(pending);
  assert.equal(got[0], 'first');
  // Producers waiting for a slot in one process may take freed slots in any order.
  const rest = got.slice(1);
  assert.deepEqual(rest.find((x) => x instanceof Uint8Array && !Buffer.isBuffer(x)), new Uint8Array([1, 2, 3]));
  assert.equal(rest.find((x) => Buffer.isBuffer(x)).toString(), 'abc');
  assert.deepEqual(rest.find((x) => typeof x === 'object' && !(x instanceof Uint8Array)), { n: 1 });
  assert.deepEqual(rest.filter((x) => typeof x !== 'object').sort(), [41, 'text']);
});

forEachMethod((ctx, method) => {
  test(`${method}: every kind of item travels to a child and back`, async () => {
    const q = new ctx.Queue();
    const out = new ctx.Queue();
    const items = sampleItems();
    const child = start(ctx, echo, [q, out, items.length]);
    for (const [, value] of items) await q.put(value);
    const got = [];
    for (let i = 0; i < items.length; i++) got.push(await out.get({ timeout: 20_000 }));
    checkAll(got);
    await within(child.join(), 20_000, 'join');
    assert.equal(child.exitCode, 0);
  });
});

forEachMethod((ctx, method) => {
  test(`${method}: the Sync twins carry every kind of item to a child and back`, async () => {
    const q = new ctx.Queue();
    const out = new ctx.Queue();
    const items = sampleItems();
    // The child's getSync decodes functions and classes from modules it already imported
    // (the fixture module, which holds its target).
    const child = start(ctx, echoSync, [q, out, items.length]);
    for (const [, value] of items) q.putSync(value);
    const got = [];
    for (let i = 0; i < items.length; i++) got.push(await out.get({ timeout: 20_000 }));
    checkAll(got);
    await within(child.join(), 20_000, 'join');
    assert.equal(child.exitCode, 0);
  });
}, ['thread']);

forEachMethod((ctx, method) => {
  test(`${method}: many times the ring's worth of items of mixed sizes reach a child intact`, async () => {
    const { RING_BYTES } = await import('../../dist/queues/channel.js');
    // Small strings, items around half the ring (written whole or streamed), and ones nearly as
    // large as the ring, from the async put and the Sync twin, to a child taking with get or getSync.
    const sizes = [];
    for (let i = 0; i < 400; i++) sizes.push(i % 50 === 7 ? Math.floor(RING_BYTES * (0.4 + (i % 3) * 0.25)) : 1000 + i);
    let expected = 0;
    for (const size of sizes) expected += size;
    for (const sync of [false, true]) {
      const q = new ctx.Queue();
      const out = new ctx.Queue();
      const child = start(ctx, takeSized, [q, out, sizes.length, sync]);
      for (let i = 0; i < sizes.length; i++) {
        const item = sizedItem(sizes[i], sizes[i] > 100_000);
        if (sync) q.putSync(item);
        else await q.put(item);
      }
      assert.deepEqual(await out.get({ timeout: 30_000 }), { count: sizes.length, total: expected, intact: true });
      await within(child.join(), 20_000, 'join');
      assert.equal(child.exitCode, 0);
    }
  });
}, ['spawn', 'thread']);

test('a sparse array of length 2^32 - 1 goes through a queue keeping its holes, in bounded time', async () => {
  const q = new Queue();
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  sparse[1] = 'one';
  sparse[2 ** 32 - 2] = { last: true };
  const started = Date.now();
  await q.put(sparse);
  const got = await within(q.get(), 10_000, 'get');
  assert.ok(Date.now() - started < 5_000, `put and get in ${Date.now() - started} ms`);
  assert.equal(got.length, sparse.length);
  assert.deepEqual(Object.keys(got), ['1', String(2 ** 32 - 2)]);
  assert.deepEqual(got[2 ** 32 - 2], { last: true });
});
