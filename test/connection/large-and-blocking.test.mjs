// Messages of every size through both read paths (await and the blocking twins), including
// recvBytesIntoSync; sendBytes copies what it cannot write at once (the caller may reuse its
// buffer); a blocking recvSync leaves a value it cannot rebuild yet for `await recv()`.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { BufferTooShortError, EOFError, Listener, Pipe, ProcessError, getContext } from '../../dist/index.js';
import { cleanup, forEachMethod, needsAddon, within } from '../helpers/methods.mjs';
import { echoBytesSync, mixedSizes, numberedBytes, recvSyncThenAsync, sendNumbered } from '../fixtures/connection/tasks.mjs';
import { greet } from '../fixtures/connection/greet.mjs';
import { greetLater } from '../fixtures/connection/greet-later.mjs';

const started = [];
afterEach(() => cleanup(started.splice(0)));

/** Bytes whose every position is recognisable (a shifted or merged message fails the comparison). */
function pattern(size, seed) {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

const SIZES = [0, 1, 3, 4, 5, 4095, 16384, 16385, 65531, 65532, 65535, 65536, 65537, 200_000, 1_048_576, 3 * 1_048_576 + 7];

test('recvBytesIntoSync: count, offsets, typed arrays, BufferTooShortError, argument checks, EOFError', async () => {
  const [a, b] = Pipe();
  try {
    const msg = Buffer.from('hello world');
    a.sendBytes(msg);
    const into = Buffer.alloc(msg.length + 8, 0);
    assert.equal(b.recvBytesIntoSync(into), msg.length);
    assert.deepEqual(into.subarray(0, msg.length), msg);
    a.sendBytes(msg);
    assert.equal(b.recvBytesIntoSync(into, 8), msg.length);
    assert.deepEqual(into.subarray(8), msg);
    // Typed arrays count bytes.
    a.sendBytes(msg);
    const words = new Int32Array(4);
    assert.equal(b.recvBytesIntoSync(words, 4), msg.length);
    assert.deepEqual(Buffer.from(words.buffer, 4, msg.length), msg);
    // An empty message is a message: 0 bytes.
    a.sendBytes(Buffer.alloc(0));
    assert.equal(b.recvBytesIntoSync(into), 0);
    // Too small: BufferTooShortError with the whole message, which is consumed; the next one reads fine.
    a.sendBytes(msg);
    a.sendBytes(Buffer.from('next'));
    assert.throws(
      () => b.recvBytesIntoSync(Buffer.alloc(4)),
      (e) => e instanceof BufferTooShortError && Buffer.from(e.data).equals(msg),
    );
    assert.equal(b.recvBytesIntoSync(into), 4);
    assert.deepEqual(into.subarray(0, 4), Buffer.from('next'));
    // Argument checks consume nothing.
    a.sendBytes(Buffer.from('kept'));
    assert.throws(() => b.recvBytesIntoSync(into, -1), RangeError);
    assert.throws(() => b.recvBytesIntoSync(into, into.length + 1), RangeError);
    assert.throws(() => b.recvBytesIntoSync(into, 1.5), TypeError);
    assert.throws(() => b.recvBytesIntoSync('nope'), TypeError);
    assert.throws(() => a.recvBytesIntoSync(null), TypeError);
    assert.equal(b.recvBytesIntoSync(into), 4);
    assert.deepEqual(into.subarray(0, 4), Buffer.from('kept'));
    // A large message goes straight into the caller's buffer. (In one thread a blocking read can
    // only wait for what the kernel already took: 100 kB fits in a socket pair's buffer.)
    const big = pattern(100_000, 5);
    a.sendBytes(big);
    await new Promise((resolve) => setImmediate(resolve));
    const room = new Uint8Array(100_010);
    assert.equal(b.recvBytesIntoSync(room, 10), big.length);
    assert.ok(Buffer.from(room.buffer, 10, big.length).equals(big));
    // Closed peer: EOFError; closed end: "handle is closed"; write-only end refuses.
    a.close();
    assert.throws(() => b.recvBytesIntoSync(into), EOFError);
    b.close();
    assert.throws(() => b.recvBytesIntoSync(into), /handle is closed/);
    const [r, w] = Pipe({ duplex: false });
    assert.throws(() => w.recvBytesIntoSync(into), /write-only/);
    r.close();
    w.close();
  } finally {
    a.close();
    b.close();
  }
});

test('every size arrives whole and in order with await recvBytes (sent back to back)', async () => {
  const [a, b] = Pipe();
  try {
    const sent = SIZES.map((size, i) => pattern(size, i));
    for (const m of sent) a.sendBytes(m);
    for (const [i, m] of sent.entries()) {
      const got = await within(b.recvBytes(), 10_000, `message ${i}`);
      assert.equal(got.length, m.length, `length of message ${i}`);
      assert.ok(got.equals(m), `bytes of message ${i} (${m.length} bytes)`);
    }
  } finally {
    a.close();
    b.close();
  }
});

test('received messages are never overwritten by later reads (a child sends 300 mixed sizes to a Listener; all kept, checked at the end)', needsAddon, async () => {
  // Connections read many messages per read into shared buffers; a message handed out must stay
  // as it was while later messages arrive behind it.
  const count = 300;
  const authkey = Buffer.from('kept messages');
  const listener = new Listener({ host: '127.0.0.1', port: 0 }, { authkey });
  const child = new (getContext('spawn').Process)({ target: sendNumbered, args: [listener.address, authkey, count] });
  child.start();
  started.push(child);
  try {
    const conn = await within(listener.accept(), 30_000, 'accept');
    const sizes = mixedSizes(count);
    const kept = [];
    for (let i = 0; i < count; i++) kept.push(await within(conn.recvBytes(), 30_000, `message ${i}`));
    conn.sendBytes(Buffer.from('done'));
    for (let i = 0; i < count; i++) {
      assert.equal(kept[i].length, sizes[i], `length of message ${i}`);
      assert.ok(kept[i].equals(numberedBytes(i, sizes[i])), `bytes of message ${i} (${sizes[i]} bytes) after all later ones arrived`);
    }
    await within(child.join(), 30_000, 'sender exit');
    assert.equal(child.exitCode, 0);
    conn.close();
  } finally {
    await listener.close();
  }
});

test('sizes up to 100 kB arrive whole with the blocking twins, alternating with await', async () => {
  // One thread: a blocking read can only wait for bytes the kernel already took (larger
  // messages are covered by the children below).
  const [a, b] = Pipe();
  try {
    for (const [i, size] of SIZES.filter((s) => s <= 100_000).entries()) {
      const m = pattern(size, i);
      a.sendBytes(m);
      a.send({ after: i });
      const got = i % 2 === 0 ? b.recvBytesSync() : await within(b.recvBytes(), 10_000);
      assert.ok(got.equals(m), `bytes of message ${i} (${size} bytes)`);
      assert.deepEqual(i % 2 === 0 ? await within(b.recv(), 10_000) : b.recvSync(), { after: i });
    }
  } finally {
    a.close();
    b.close();
  }
});

test('sendBytes copies what it cannot write at once: reusing the buffer right after is safe', async () => {
  const [a, b] = Pipe();
  try {
    const buf = Buffer.alloc(256 * 1024);
    const count = 40; // far more than the kernel takes at once
    for (let i = 0; i < count; i++) {
      buf.fill(i);
      a.sendBytes(buf);
    }
    buf.fill(0xee);
    for (let i = 0; i < count; i++) {
      const got = await within(b.recvBytes(), 10_000, `message ${i}`);
      assert.equal(got.length, buf.length);
      assert.ok(got.every((byte) => byte === i), `message ${i} holds the bytes it was sent with`);
    }
  } finally {
    a.close();
    b.close();
  }
});

// About a socket's write queue: a MessagePort pipe (without the addon) has none to wait behind.
test('a blocking read while part of a sent message is still queued: a clear error, not a hang', needsAddon, async () => {
  const [a, b] = Pipe();
  try {
    const big = pattern(2 * 1_048_576, 3); // more than the kernel takes at once
    a.sendBytes(big);
    assert.throws(() => a.recvBytesSync(), (e) => e instanceof ProcessError && /still queued for writing.*use await recv/.test(e.message));
    assert.throws(() => a.recvSync(), /still queued for writing/);
    assert.throws(() => a.recvBytesIntoSync(Buffer.alloc(8)), /still queued for writing/);
    // Once the event loop has written it all, blocking reads work again.
    const got = await within(b.recvBytes(), 10_000);
    assert.ok(got.equals(big));
    b.sendBytes(Buffer.from('reply'));
    let reply;
    for (let i = 0; i < 100 && reply === undefined; i++) {
      try {
        reply = a.recvBytesSync();
      } catch (error) {
        if (!/still queued/.test(error.message)) throw error;
        // The socket reports its last write done a moment after the peer has the bytes.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    assert.deepEqual(reply, Buffer.from('reply'));
  } finally {
    a.close();
    b.close();
  }
});

test('a peer that closes in the middle of a large message: "got end of file during message" (await and blocking)', needsAddon, async () => {
  const { rawPair } = await import('../fixtures/connection/raw.mjs');
  for (const mode of ['async', 'sync']) {
    const [conn, raw] = rawPair();
    try {
      const header = Buffer.alloc(4);
      header.writeInt32BE(500_000);
      raw.end(Buffer.concat([header, Buffer.alloc(100_000, 1)]));
      await new Promise((resolve) => raw.once('finish', resolve));
      if (mode === 'async') {
        await within(assert.rejects(conn.recvBytes(), (e) => e instanceof ProcessError && /got end of file during message/.test(e.message)), 5_000);
      } else {
        assert.throws(() => conn.recvBytesSync(), (e) => e instanceof ProcessError && /got end of file during message/.test(e.message));
      }
    } finally {
      conn.close();
      raw.destroy();
    }
  }
});

forEachMethod((ctx) => {
  test('a child echoes messages up to 100 kB with recvBytesIntoSync', async () => {
    const [mine, theirs] = ctx.Pipe();
    const p = new ctx.Process({ target: echoBytesSync, args: [theirs, 4 * 1_048_576] });
    started.push(p);
    p.start();
    theirs.close();
    try {
      // (Bigger echoes would leave part of a message queued in the child while it blocks: see below.)
      for (const [i, size] of SIZES.entries()) {
        if (size === 0 || size > 100_000) continue;
        const m = pattern(size, i);
        mine.sendBytes(m);
        const got = await within(mine.recvBytes(), 20_000, `echo of ${size} bytes`);
        assert.ok(got.equals(m), `echo of message ${i} (${size} bytes)`);
      }
      mine.sendBytes(Buffer.alloc(0));
      await within(assert.rejects(mine.recvBytes(), EOFError), 20_000);
      await within(p.join(), 20_000, 'join');
      assert.equal(p.exitCode, 0);
    } finally {
      mine.close();
    }
  });

  test('recvSync loads a module the child has not seen; one with top-level await it leaves for await recv()', async () => {
    const [mine, theirs] = ctx.Pipe();
    const p = new ctx.Process({ target: recvSyncThenAsync, args: [theirs] });
    started.push(p);
    p.start();
    theirs.close();
    try {
      mine.send(greet);
      mine.send(greetLater);
      const reply = await within(mine.recv(), 20_000, 'reply');
      assert.match(reply.refusal, /needs modules this thread has not loaded.*greet-later\.mjs.*use await recv\(\)/);
      assert.deepEqual(reply.results, ['hello child', 'hello later child']);
      await within(p.join(), 20_000, 'join');
      assert.equal(p.exitCode, 0);
    } finally {
      mine.close();
    }
  });
});
