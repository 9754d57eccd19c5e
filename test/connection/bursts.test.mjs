// Bursts of messages (what managers send and read): sendGathered writes the first message of a
// burst at once and the rest of the burst together when it ends; recvBuffered takes messages
// already read without waiting. Nothing is lost, merged or reordered, whatever the sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipe, Listener, Client } from '../../dist/index.js';
import { NOT_HERE } from '../../dist/connection/connection.js';
import { needsAddon, within } from '../helpers/methods.mjs';

/** Reads `n` messages, taking those already here without a wait, as a manager's reader does. */
async function readAll(conn, n) {
  const got = [];
  while (got.length < n) {
    let value = conn.recvBuffered();
    if (value === NOT_HERE) value = await within(conn.recv(), 5_000, 'recv');
    got.push(value);
  }
  return got;
}

test('a burst sent with sendGathered arrives whole and in order, small and large messages mixed', async () => {
  const [a, b] = Pipe();
  try {
    const sent = [];
    for (let i = 0; i < 500; i++) {
      // Every 50th message is larger than a burst's room: it goes out after what is gathered before it.
      const value = i % 50 === 49 ? { i, blob: 'x'.repeat(100_000) } : { i, text: `message ${i}` };
      sent.push(value);
      a.sendGathered(value);
    }
    assert.deepEqual(await readAll(b, sent.length), sent);
  } finally {
    a.close();
    b.close();
  }
});

test('close() right after a burst still delivers every gathered message', async () => {
  const [a, b] = Pipe();
  try {
    for (let i = 0; i < 100; i++) a.sendGathered(i);
    a.close();
    assert.deepEqual(await readAll(b, 100), Array.from({ length: 100 }, (_, i) => i));
  } finally {
    b.close();
  }
});

test('send() and sendGathered() mixed in one burst keep their order', async () => {
  const [a, b] = Pipe();
  try {
    a.send('first');
    a.sendGathered('second');
    a.sendGathered('third');
    // Written at once: what is gathered before it goes first.
    a.send('fourth');
    a.sendGathered('fifth');
    await new Promise((resolve) => setImmediate(resolve));
    a.sendGathered('sixth');
    assert.deepEqual(await readAll(b, 6), ['first', 'second', 'third', 'fourth', 'fifth', 'sixth']);
  } finally {
    a.close();
    b.close();
  }
});

test('recvBuffered: NOT_HERE with nothing read yet, on a closed end, and before a keyless client meets a challenge', async () => {
  const [a, b] = Pipe();
  assert.equal(b.recvBuffered(), NOT_HERE);
  a.send(1);
  a.send(2);
  assert.equal(await within(b.recv(), 5_000), 1);
  // The second message came with the first (one read) or is still in the kernel: never a wait here.
  const next = b.recvBuffered();
  assert.ok(next === 2 || next === NOT_HERE);
  if (next === NOT_HERE) assert.equal(await within(b.recv(), 5_000), 2);
  b.close();
  assert.equal(b.recvBuffered(), NOT_HERE);
  a.close();
});

test('recvBuffered leaves a message needing a module import to recv()', async () => {
  const [a, b] = Pipe();
  try {
    const { double } = await import('../fixtures/connection/bursts-module.mjs');
    a.send('plain');
    a.send(double);
    assert.equal(await within(b.recv(), 5_000), 'plain');
    // Loaded already in this process: decoded at once (or still in the kernel).
    const value = b.recvBuffered();
    const fn = value === NOT_HERE ? await within(b.recv(), 5_000) : value;
    assert.equal(fn(21), 42);
  } finally {
    a.close();
    b.close();
  }
});

test('a keyless client does not take a listener challenge for a message through recvBuffered', needsAddon, async () => {
  const listener = new Listener(null, { authkey: Buffer.alloc(16, 3) });
  const accepting = listener.accept().catch(() => {});
  const client = await within(Client(listener.address), 5_000, 'connect');
  try {
    // The challenge is here: recvBuffered must not hand it out as a value.
    assert.equal(await within(client.poll(5_000), 5_000), true);
    assert.equal(client.recvBuffered(), NOT_HERE);
    await assert.rejects(within(client.recv(), 5_000), /requires an authkey/);
  } finally {
    client.close();
    await listener.close();
    await accepting;
  }
});

test('a process that exits in the middle of a burst still sends what it gathered', async () => {
  const { createServer } = await import('node:net');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runScript } = await import('../helpers/run-script.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'mp-burst-'));
  const path = join(dir, 'peer');
  const chunks = [];
  let ended;
  const done = new Promise((resolve) => (ended = resolve));
  const server = createServer((socket) => {
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', ended);
  });
  await new Promise((resolve) => server.listen(path, resolve));
  try {
    const child = await runScript(new URL('../fixtures/connection/exit-after-burst.mjs', import.meta.url).pathname, { args: [path] });
    assert.equal(child.code, 0, child.stderr);
    await within(done, 5_000, 'the peer closing');
    // CPython's framing: a 4-byte length, then the payload ('j' + JSON for plain values).
    const bytes = Buffer.concat(chunks);
    const values = [];
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readInt32BE(at);
      values.push(JSON.parse(bytes.subarray(at + 5, at + 4 + length).toString()));
      at += 4 + length;
    }
    assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => ({ i })));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write error at the end of a burst breaks the connection instead of throwing where nobody catches it', needsAddon, async () => {
  // In a process of its own: the test closes a socket's fd behind its back.
  const { runScript } = await import('../helpers/run-script.mjs');
  const child = await runScript(new URL('../fixtures/connection/burst-write-error.mjs', import.meta.url).pathname);
  assert.equal(child.code, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { uncaught: null, sendAfter: 'EBADF' });
});
