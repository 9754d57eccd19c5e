// What the connection benchmark's children run. A child imports this module to find its target,
// so it holds nothing but targets (importing it has no side effects).
import * as net from 'node:net';

/** The far side of the Pipe round trip with `await`: sends back every value until it gets null. */
export async function echoAsync(conn) {
  for (;;) {
    const value = await conn.recv();
    if (value === null) break;
    conn.send(value);
  }
  conn.close();
}

/** The same with the blocking twin `recvSync`. */
export function echoSync(conn) {
  for (;;) {
    const value = conn.recvSync();
    if (value === null) break;
    conn.send(value);
  }
  conn.close();
}

/**
 * The sending side of the throughput case: connects with `Client` to `address` (authkey as the
 * listener's) and sends `count` messages of `size` bytes with `sendBytes`. Flow control as a
 * real stream has it: every `perWindow` messages the receiver acknowledges with a 1-byte message,
 * and the sender runs at most one window ahead of the acknowledgements.
 */
export async function sendWithClient(address, authkey, size, count, perWindow) {
  const { Client } = await import('../../lib/package.mjs');
  const conn = await Client(address, { authkey });
  const payload = Buffer.alloc(size, 7);
  for (let i = 1; i <= count; i++) {
    conn.sendBytes(payload);
    if (i % perWindow === 0 && i > perWindow) await conn.recvBytes();
  }
  conn.close();
}

/**
 * The raw floor: a plain `net` socket to `port` that writes `count` x `size` bytes (one buffer,
 * written `count` times, no framing), with the same acknowledgements as sendWithClient (one
 * byte per window of `perWindow` messages, at most one window ahead).
 */
export async function sendRaw(port, size, count, perWindow) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let acks = 0;
  let wake = null;
  socket.on('data', (chunk) => {
    acks += chunk.length;
    wake?.();
  });
  const payload = Buffer.alloc(size, 7);
  for (let i = 1; i <= count; i++) {
    socket.write(payload);
    if (i % perWindow === 0) {
      while (acks < i / perWindow - 1) await new Promise((resolve) => (wake = resolve));
    }
  }
  await new Promise((resolve) => socket.end(resolve));
}
