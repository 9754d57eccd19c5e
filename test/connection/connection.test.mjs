// Pipe and Connection in one process: CPython's _TestConnection (test_connection, test_duplex_false,
// test_sendbytes), and bad input: wrong directions, closed ends, oversized messages, bad offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import {
  Pipe,
  Connection,
  EOFError,
  BufferTooShortError,
  PicklingError,
  ProcessError,
  getContext,
} from '../../dist/index.js';
import { NO_ADDON, within } from '../helpers/methods.mjs';

const rejectsWith = (promise, pattern) => within(assert.rejects(promise, pattern), 5_000, 'rejection');

test('send and recv carry structured values, in order, never merged', async () => {
  const [a, b] = Pipe();
  try {
    const values = [1, 'two', [3, 4], { five: 5, nested: { six: [6n] } }, null, new Map([[1, 2]]), new Uint8Array([7, 8])];
    for (const v of values) a.send(v);
    for (const v of values) assert.deepEqual(await within(b.recv(), 5_000), v);
    b.send('back');
    assert.equal(await within(a.recv(), 5_000), 'back');
  } finally {
    a.close();
    b.close();
  }
});

test('sendBytes/recvBytes/recvBytesInto as CPython test_connection', async () => {
  const [a, b] = Pipe();
  try {
    assert.equal(await b.poll(), false, 'nothing to read yet');
    assert.equal(await b.poll(20), false);
    const msg = Buffer.from('hello world');
    a.sendBytes(msg);
    assert.equal(await within(b.poll(null), 5_000), true);
    assert.deepEqual(await b.recvBytes(), msg);

    // recvBytesInto at an offset; the byte count comes back.
    a.sendBytes(msg);
    const into = Buffer.alloc(msg.length + 8, 0);
    assert.equal(await b.recvBytesInto(into), msg.length);
    assert.deepEqual(into.subarray(0, msg.length), msg);
    a.sendBytes(msg);
    assert.equal(await b.recvBytesInto(into, 8), msg.length);
    assert.deepEqual(into.subarray(8), msg);
    // Typed arrays count bytes, as memoryview casts to 'B'.
    a.sendBytes(msg);
    const words = new Int32Array(4);
    assert.equal(await b.recvBytesInto(words, 4), msg.length);
    assert.deepEqual(Buffer.from(words.buffer, 4, msg.length), msg);

    // A buffer too small: BufferTooShortError carrying the whole message; the connection stays usable.
    a.sendBytes(msg);
    const small = Buffer.alloc(4);
    const error = await b.recvBytesInto(small).catch((e) => e);
    assert.ok(error instanceof BufferTooShortError, String(error));
    assert.deepEqual(Buffer.from(error.data), msg);
    a.sendBytes(Buffer.from('next'));
    assert.deepEqual(await b.recvBytes(), Buffer.from('next'));

    // Empty messages are real messages.
    a.sendBytes(Buffer.alloc(0));
    assert.equal(await within(b.poll(null), 5_000), true, 'an empty message is readable');
    assert.equal((await b.recvBytes()).length, 0);

    // A big message arrives whole.
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    big[big.length - 1] = 1;
    a.sendBytes(big);
    a.sendBytes(Buffer.from('after'));
    assert.deepEqual(await within(b.recvBytes(), 10_000), big);
    assert.deepEqual(await b.recvBytes(), Buffer.from('after'));

    // After the peer closes: poll is true and recv raises EOFError.
    a.close();
    assert.equal(await within(b.poll(null), 5_000), true);
    await rejectsWith(b.recv(), EOFError);
    await rejectsWith(b.recvBytes(), EOFError);
  } finally {
    a.close();
    b.close();
  }
});

test('sendBytes offsets and sizes as CPython test_sendbytes', async () => {
  const [a, b] = Pipe();
  try {
    const msg = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const cases = [
      [[msg], msg],
      [[msg, 0], msg],
      [[msg, 10], msg.subarray(10)],
      [[msg, 10, 5], msg.subarray(10, 15)],
      [[msg, 26], Buffer.alloc(0)],
      [[msg, 26, 0], Buffer.alloc(0)],
    ];
    for (const [args, expected] of cases) {
      a.sendBytes(...args);
      assert.deepEqual(await b.recvBytes(), expected, `sendBytes(${args.slice(1).join(', ')})`);
    }
    a.sendBytes(new Int32Array([1, 2]));
    assert.deepEqual(await b.recvBytes(), Buffer.from(new Int32Array([1, 2]).buffer));
    a.sendBytes(new Int32Array([1, 2, 3]), 4, 4);
    assert.deepEqual(await b.recvBytes(), Buffer.from(new Int32Array([2]).buffer));
    a.sendBytes(new Uint8Array([1, 2, 3]).buffer);
    assert.deepEqual(await b.recvBytes(), Buffer.from([1, 2, 3]));

    assert.throws(() => a.sendBytes(msg, -1), RangeError);
    assert.throws(() => a.sendBytes(msg, 27), RangeError);
    assert.throws(() => a.sendBytes(msg, 26, 1), RangeError);
    assert.throws(() => a.sendBytes(msg, 10, -1), RangeError);
    assert.throws(() => a.sendBytes(msg, 10, 17), RangeError);
    assert.throws(() => a.sendBytes(msg, -1, null), RangeError);
    assert.throws(() => a.sendBytes('a string'), TypeError);
    assert.throws(() => a.sendBytes(123), TypeError);
    assert.throws(() => a.sendBytes(null), TypeError);
    assert.throws(() => a.sendBytes(msg, 1.5), TypeError);
    // Nothing went out for the rejected calls.
    a.sendBytes(Buffer.from('end'));
    assert.deepEqual(await b.recvBytes(), Buffer.from('end'));
  } finally {
    a.close();
    b.close();
  }
});

test('recvBytes/recvBytesInto argument checks', async () => {
  const [a, b] = Pipe();
  try {
    await rejectsWith(b.recvBytes(-1), RangeError);
    await rejectsWith(b.recvBytes('10'), TypeError);
    await rejectsWith(b.recvBytesInto(Buffer.alloc(4), -1), RangeError);
    await rejectsWith(b.recvBytesInto(Buffer.alloc(4), 5), RangeError);
    await rejectsWith(b.recvBytesInto('nope'), TypeError);
    await rejectsWith(b.poll('soon'), TypeError);
    // The checks consumed nothing.
    a.sendBytes(Buffer.from('x'));
    assert.deepEqual(await b.recvBytes(), Buffer.from('x'));
  } finally {
    a.close();
    b.close();
  }
});

test('a message longer than maxLength: "bad message length", then the end is unusable for reading', async () => {
  const [a, b] = Pipe();
  try {
    a.sendBytes(Buffer.alloc(100));
    await rejectsWith(b.recvBytes(10), (e) => e instanceof ProcessError && /bad message length/.test(e.message));
    assert.equal(b.readable, false);
    await rejectsWith(b.recvBytes(), /connection is write-only/);
    // Writing still works (CPython keeps a writable end open).
    b.sendBytes(Buffer.from('still writable'));
    assert.deepEqual(await a.recvBytes(), Buffer.from('still writable'));
    // A message exactly maxLength long is fine.
    b.sendBytes(Buffer.alloc(10, 1));
    assert.equal((await a.recvBytes(10)).length, 10);
  } finally {
    a.close();
    b.close();
  }
  // A read-only end is closed instead.
  const [reader, writer] = Pipe({ duplex: false });
  try {
    writer.sendBytes(Buffer.alloc(100));
    await rejectsWith(reader.recvBytes(10), /bad message length/);
    assert.equal(reader.closed, true);
  } finally {
    reader.close();
    writer.close();
  }
});

test('Pipe({ duplex: false }) gives [readEnd, writeEnd] as CPython test_duplex_false', async () => {
  const [reader, writer] = Pipe({ duplex: false });
  try {
    assert.equal(reader.readable, true);
    assert.equal(reader.writable, false);
    assert.equal(writer.readable, false);
    assert.equal(writer.writable, true);
    writer.send(1);
    assert.equal(await reader.recv(), 1);
    writer.sendBytes(Buffer.from('b'));
    assert.deepEqual(await reader.recvBytes(), Buffer.from('b'));
    assert.throws(() => reader.send(2), /connection is read-only/);
    assert.throws(() => reader.sendBytes(Buffer.from('x')), /connection is read-only/);
    await rejectsWith(writer.recv(), /connection is write-only/);
    await rejectsWith(writer.recvBytes(), /connection is write-only/);
    await rejectsWith(writer.recvBytesInto(Buffer.alloc(1)), /connection is write-only/);
    await rejectsWith(writer.poll(), /connection is write-only/);
  } finally {
    reader.close();
    writer.close();
  }
});

test('operations after close throw "handle is closed"; close is idempotent', async () => {
  const [a, b] = Pipe();
  a.close();
  a.close();
  assert.equal(a.closed, true);
  assert.throws(() => a.send(1), /handle is closed/);
  assert.throws(() => a.sendBytes(Buffer.from('x')), /handle is closed/);
  await rejectsWith(a.recv(), /handle is closed/);
  await rejectsWith(a.recvBytes(), /handle is closed/);
  await rejectsWith(a.recvBytesInto(Buffer.alloc(4)), /handle is closed/);
  await rejectsWith(a.poll(), /handle is closed/);
  assert.throws(() => a.fileno(), /handle is closed/);
  b.close();
});

test('closing an end while a recv is pending rejects it', async () => {
  const [a, b] = Pipe();
  const pending = b.recv();
  b.close();
  await rejectsWith(pending, /handle is closed/);
  a.close();
});

test('messages sent just before close are delivered', async () => {
  const [a, b] = Pipe();
  const big = Buffer.alloc(4 * 1024 * 1024, 3);
  a.sendBytes(big);
  a.send('last');
  a.close();
  assert.deepEqual(await within(b.recvBytes(), 10_000), big);
  assert.equal(await b.recv(), 'last');
  await rejectsWith(b.recv(), EOFError);
  b.close();
});

test('a value that cannot be sent throws PicklingError at the call site and nothing is written', async () => {
  const [a, b] = Pipe();
  try {
    assert.throws(() => a.send({ s: Symbol('local') }), PicklingError);
    assert.throws(() => a.send(new WeakMap()), PicklingError);
    const socket = new Socket();
    assert.throws(() => a.send({ peer: socket }), (error) => error instanceof PicklingError && error.message.startsWith('Cannot send value.peer, a net.Socket'));
    socket.destroy();
    a.send('ok');
    assert.equal(await b.recv(), 'ok');
    assert.equal(await b.poll(), false);
  } finally {
    a.close();
    b.close();
  }
});

test('concurrent recvs take messages in call order', async () => {
  const [a, b] = Pipe();
  try {
    const pending = [b.recv(), b.recv(), b.recvBytes()];
    a.send('one');
    a.send('two');
    a.sendBytes(Buffer.from('three'));
    assert.deepEqual(await within(Promise.all(pending), 5_000), ['one', 'two', Buffer.from('three')]);
  } finally {
    a.close();
    b.close();
  }
});

test('async iteration yields messages until the peer closes; await using closes', async () => {
  const [a, b] = Pipe();
  for (let i = 0; i < 5; i++) a.send(i);
  a.close();
  const got = [];
  for await (const value of b) got.push(value);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  await b[Symbol.asyncDispose]();
  assert.equal(b.closed, true);
});

test('Connection argument checks; contexts expose Pipe', () => {
  assert.throws(() => new Connection(null), TypeError);
  assert.throws(() => new Connection({}), TypeError);
  assert.throws(() => Pipe({ duplex: 'yes' }), TypeError);
  assert.throws(() => Pipe(null), TypeError);
  const ctx = getContext('spawn');
  assert.equal(ctx.Pipe, Pipe);
  const [a, b] = ctx.Pipe();
  assert.ok(a instanceof Connection);
  // A Pipe made without the native addon is a MessagePort pair between threads: no fd.
  assert.ok(NO_ADDON ? a.fileno() === -1 : a.fileno() >= 0);
  a.close();
  b.close();
});

test('an unused Pipe does not keep the program alive', async () => {
  const { runScript } = await import('../helpers/run-script.mjs');
  const file = new URL('../fixtures/connection/idle-pipe.mjs', import.meta.url).pathname;
  const result = await runScript(file, { timeout: 15_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'done');
});

test('blocking twins: pollSync, recvSync, recvBytesSync', async () => {
  const [a, b] = Pipe();
  try {
    assert.equal(b.pollSync(), false);
    assert.equal(b.pollSync(20), false);
    a.send({ hello: ['world'] });
    a.sendBytes(Buffer.from('raw'));
    a.sendBytes(Buffer.alloc(0));
    assert.equal(b.pollSync(), true);
    assert.deepEqual(b.recvSync(), { hello: ['world'] });
    assert.deepEqual(b.recvBytesSync(), Buffer.from('raw'));
    assert.equal(b.recvBytesSync().length, 0);
    // A large message is read in pieces from the kernel.
    const big = Buffer.alloc(150_000, 5);
    a.sendBytes(big);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(b.recvBytesSync(), big);
    // Sync and async reads interleave without losing bytes.
    a.send(1);
    a.send(2);
    assert.equal(b.recvSync(), 1);
    assert.equal(await b.recv(), 2);
    a.send(3);
    assert.equal(await b.recv(), 3);
    a.send(4);
    assert.equal(b.recvSync(), 4);
    // maxLength as recvBytes.
    assert.throws(() => b.recvBytesSync(-1), RangeError);
    a.sendBytes(Buffer.alloc(50));
    assert.throws(() => b.recvBytesSync(10), /bad message length/);
    assert.throws(() => b.recvSync(), /connection is write-only/);
    // While an async recv is pending a blocking read is refused (it would race).
    const [c, d] = Pipe();
    const pending = c.recv();
    assert.throws(() => c.recvSync(), /pending/);
    d.send('x');
    assert.equal(await pending, 'x');
    d.close();
    assert.equal(c.pollSync(null), true);
    assert.throws(() => c.recvSync(), EOFError);
    c.close();
    assert.throws(() => c.pollSync(), /handle is closed/);
  } finally {
    a.close();
    b.close();
  }
});

test('sending to a closed peer fails with a clear error, without crashing the program', async () => {
  const [a, b] = Pipe();
  a.close();
  let error;
  for (let i = 0; i < 100 && !error; i++) {
    try {
      b.sendBytes(Buffer.from('into the void'));
    } catch (e) {
      error = e;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(error, 'a send fails once the peer is gone');
  assert.match(`${error.code} ${error.message}`, /EPIPE|broken|closed/);
  b.close();
});
