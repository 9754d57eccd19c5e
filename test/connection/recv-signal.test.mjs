// AbortSignal on the async receiving calls (recv, recvBytes, recvBytesInto, poll): an aborted
// call rejects with AbortError at once, even queued behind another read, and never loses or
// splits a message; for socket pipes, port pipes and a half-arrived large message alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, Connection, Pipe } from '../../dist/index.js';
import { portPipe } from '../../dist/connection/pipe.js';
import { needsAddon, within } from '../helpers/methods.mjs';

const pipes = { 'socket pipe': () => Pipe(), 'port pipe': () => portPipe() };

for (const [kind, makePipe] of Object.entries(pipes)) {
  test(`${kind}: an aborted recv rejects with AbortError and the next message goes to the next recv`, async () => {
    const [a, b] = makePipe();
    try {
      const controller = new AbortController();
      const first = b.recv({ signal: controller.signal });
      const queued = b.recvBytes(null, { signal: controller.signal });
      controller.abort(new Error('user gave up'));
      const error = await within(first.catch((e) => e), 5_000);
      assert.ok(error instanceof AbortError, String(error));
      assert.equal(error.cause?.message, 'user gave up');
      await assert.rejects(within(queued, 5_000), AbortError);
      a.send('after the abort');
      assert.equal(await within(b.recv(), 5_000), 'after the abort');
      await assert.rejects(b.recv({ signal: AbortSignal.abort() }), AbortError, 'an aborted signal rejects before reading');
      a.send('still in order');
      assert.equal(await within(b.recv(), 5_000), 'still in order');
    } finally {
      a.close();
      b.close();
    }
  });

  test(`${kind}: a recv queued behind another is rejected at once on abort, the first keeps its message`, async () => {
    const [a, b] = makePipe();
    try {
      const first = b.recv();
      const controller = new AbortController();
      const second = b.recv({ signal: controller.signal });
      const third = b.recv();
      controller.abort();
      await assert.rejects(within(second, 5_000), AbortError);
      a.send(1);
      a.send(2);
      assert.equal(await within(first, 5_000), 1);
      assert.equal(await within(third, 5_000), 2);
    } finally {
      a.close();
      b.close();
    }
  });

  test(`${kind}: poll and recvBytesInto take a signal too`, async () => {
    const [a, b] = makePipe();
    try {
      const controller = new AbortController();
      const polling = b.poll(null, { signal: controller.signal });
      const into = b.recvBytesInto(Buffer.alloc(16), 0, { signal: controller.signal });
      controller.abort();
      await assert.rejects(within(polling, 5_000), AbortError);
      await assert.rejects(within(into, 5_000), AbortError);
      a.sendBytes(Buffer.from('ready'));
      assert.equal(await within(b.poll(null, { signal: new AbortController().signal }), 5_000), true);
      const room = Buffer.alloc(16);
      assert.equal(await b.recvBytesInto(room, 2, { signal: new AbortController().signal }), 5);
      assert.equal(room.subarray(2, 7).toString(), 'ready');
      await assert.rejects(b.poll(0, 'soon'), TypeError);
      await assert.rejects(b.recv({ signal: 'stop' }), TypeError);
    } finally {
      a.close();
      b.close();
    }
  });
}

// A Connection over a Unix socket: its reads need the addon.
test('an abort in the middle of a large message puts the part read back: the next recv gets it whole', needsAddon, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-recv-signal-'));
  const server = net.createServer();
  let raw;
  let conn;
  try {
    server.listen(join(dir, 's'));
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    raw = net.connect(join(dir, 's'));
    await once(raw, 'connect');
    const [socket] = await accepted;
    conn = new Connection(socket);
    const body = Buffer.alloc(4 << 20);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const header = Buffer.alloc(4);
    header.writeInt32BE(body.length);
    raw.write(header);
    raw.write(body.subarray(0, 1_500_000));
    const controller = new AbortController();
    const reading = conn.recvBytes(null, { signal: controller.signal });
    // Let the first part arrive and be taken before giving up.
    while (!(await conn.poll(0))) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await assert.rejects(within(reading, 5_000), AbortError);
    raw.write(body.subarray(1_500_000));
    const whole = await within(conn.recvBytes(), 10_000);
    assert.equal(whole.length, body.length);
    assert.ok(whole.equals(body), 'the message arrives whole and unshifted');
  } finally {
    raw?.destroy();
    conn?.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
