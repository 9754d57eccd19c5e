// The Pipe transport between threads that needs no native addon (MessagePorts and a shared
// doorbell): what `Pipe()` is where the addon cannot load. Run here with the addon present too,
// so both transports are covered by every run; the no-addon pass also runs every Pipe test on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EOFError, PicklingError, ProcessError, getContext } from '../../dist/index.js';
import { portPipe } from '../../dist/connection/pipe.js';
import { needsAddon, processStarter, within } from '../helpers/methods.mjs';
import { echo, echoBytesSync, mixedSizes, numberedBytes, sendAndEnd, sendThenEndLater, sendTwoApart } from '../fixtures/connection/tasks.mjs';
import { spin } from '../fixtures/pool/tasks.mjs';

const thread = getContext('thread');
const { start, join } = processStarter();

test('values and bytes of every size arrive whole and in order, async and blocking alike', async () => {
  const [a, b] = portPipe();
  try {
    const sizes = mixedSizes(120);
    for (const [i, size] of sizes.entries()) a.sendBytes(numberedBytes(i, size));
    const received = [];
    for (const [i] of sizes.entries()) received.push(i % 2 === 0 ? await within(b.recvBytes(), 5_000) : b.recvBytesSync());
    for (const [i, size] of sizes.entries()) assert.ok(received[i].equals(numberedBytes(i, size)), `message ${i} (${size} bytes)`);
    a.send({ map: new Map([[1, 'one']]), big: 2n ** 70n });
    assert.deepEqual(b.recvSync(), { map: new Map([[1, 'one']]), big: 2n ** 70n });
    assert.equal(await b.poll(), false);
    assert.equal(b.pollSync(5), false);
  } finally {
    a.close();
    b.close();
  }
});

test('a one-way pipe keeps its directions', () => {
  const [r, w] = portPipe(false);
  try {
    assert.equal(r.writable, false);
    assert.equal(w.readable, false);
    assert.throws(() => r.send(1), ProcessError);
    w.send('x');
    assert.equal(r.recvSync(), 'x');
  } finally {
    r.close();
    w.close();
  }
});

test('close() on one end is end of file on the other, after what was sent before it', async () => {
  const [a, b] = portPipe();
  a.send(1);
  a.sendBytes(Buffer.alloc(300_000, 3));
  a.close();
  assert.equal(await b.recv(), 1);
  assert.equal((await b.recvBytes()).length, 300_000);
  await assert.rejects(b.recv(), EOFError);
  assert.throws(() => b.recvSync(), EOFError);
  assert.equal(b.pollSync(null), true, 'end of file counts as readable');
  b.close();
});

test('a blocking read wakes when the other end closes', async () => {
  const [a, b] = portPipe();
  const worker = start(thread, echoBytesSync, [b, 64]);
  assert.equal(b.closed, true, 'an end sent to a thread moves there');
  a.sendBytes(Buffer.from('ping'));
  assert.equal((await within(a.recvBytes(), 10_000)).toString(), 'ping');
  a.sendBytes(Buffer.alloc(0));
  await assert.rejects(within(a.recv(), 10_000), EOFError);
  await join(worker);
  assert.equal(worker.exitCode, 0);
  a.close();
});

test('an end moved to a thread works there, both ways, and its thread ending is end of file here', async () => {
  const [a, b] = portPipe();
  const child = start(thread, echo, [b]);
  const sizes = [0, 5, 70_000, 3 << 20];
  for (const size of sizes) a.send(numberedBytes(size, size));
  for (const size of sizes) assert.ok(Buffer.from(await within(a.recv(), 10_000)).equals(numberedBytes(size, size)));
  a.close();
  await join(child);
  assert.equal(child.exitCode, 0);

  const [c, d] = portPipe();
  const ends = start(thread, sendAndEnd, [d, 'last words']);
  assert.equal(await within(c.recv(), 10_000), 'last words');
  await join(ends);
  await assert.rejects(within(c.recv(), 10_000), EOFError, 'a thread that ended without close() is end of file');
  c.close();
});

test('a thread killed while holding an end is end of file for the other end', async () => {
  const [a, b] = portPipe();
  const child = start(thread, spin, [60_000]);
  const holder = start(thread, echo, [b]);
  a.send('alive?');
  assert.equal(await within(a.recv(), 10_000), 'alive?');
  holder.kill();
  await join(holder);
  await assert.rejects(within(a.recv(), 10_000), EOFError);
  child.kill();
  a.close();
});

// Starting a process at all needs the addon (without it start() refuses first, with a ProcessError).
test('an end cannot go to a process, and a moved end is closed here', needsAddon, async () => {
  const [a, b] = portPipe();
  try {
    const spawned = new (getContext('spawn').Process)({ target: echo, args: [b] });
    assert.throws(() => spawned.start(), PicklingError);
    assert.equal(b.closed, false, 'a refused send leaves the end usable');
    a.send('still here');
    assert.equal(b.recvSync(), 'still here');
  } finally {
    a.close();
    b.close();
  }
});

test('a blocking poll or read right after an async read wakes on the next message', async () => {
  const [a, b] = portPipe();
  const writer = start(thread, sendTwoApart, [b, 'first', 'second', 200]);
  assert.equal(await within(a.recv(), 10_000), 'first');
  const startedAt = performance.now();
  assert.equal(a.pollSync(10_000), true);
  assert.ok(performance.now() - startedAt < 5_000, 'the poll waited for its timeout instead of the message');
  assert.equal(a.recvSync(), 'second');
  a.send('reply');
  await join(writer);
  a.close();
});

test('an end with a read pending cannot move; a value that fails to encode leaves the end here, working', async () => {
  const [a, b] = portPipe();
  try {
    const pending = b.recv();
    assert.throws(() => start(thread, echo, [b]), (e) => e instanceof ProcessError && /pending/.test(e.message));
    a.send('for the pending read');
    assert.equal(await within(pending, 5_000), 'for the pending read');
    assert.throws(() => start(thread, echo, [b, () => 'a closure']), PicklingError);
    assert.equal(b.closed, false, 'the refused send gave the end back');
    a.send('still here');
    assert.equal(b.recvSync(), 'still here');
    const child = start(thread, echo, [b]);
    a.send('moved');
    assert.equal(await within(a.recv(), 10_000), 'moved');
    a.close();
    await join(child);
  } finally {
    a.close();
    b.close();
  }
});

test('a blocking read sees end of file when the thread holding the other end returns without close()', async () => {
  const [a, b] = portPipe();
  const child = start(thread, sendThenEndLater, [b, 'only', 200]);
  assert.equal(a.recvSync(), 'only');
  // Blocked here while the thread ends: only the end it rang can wake this read.
  assert.equal(a.pollSync(5_000), true, 'no end of file within 5 s');
  assert.throws(() => a.recvSync(), EOFError);
  await join(child);
  a.close();
});

test('sending to a closed peer fails at once, and what it sent before stays readable', async () => {
  const [a, b] = portPipe();
  b.send('a');
  b.send('b');
  b.close();
  assert.throws(() => a.send('into the void'), (e) => e instanceof ProcessError && /broken/.test(e.message));
  assert.equal(await within(a.recv(), 5_000), 'a');
  assert.equal(a.recvSync(), 'b');
  await assert.rejects(a.recv(), EOFError);
  a.close();
});
