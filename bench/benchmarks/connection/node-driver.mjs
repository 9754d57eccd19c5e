// Measures multiprocessing-ts for the connection benchmark, on the harness's requests (see
// lib/driver.mjs): Pipe round trips between this process and one child, and bytes moved from a
// child to a Listener here over loopback TCP (with a raw `net` socket as the floor).
import * as net from 'node:net';
import * as mp from '../../lib/package.mjs';
import { serve } from '../../lib/serve.mjs';
import { echoAsync, echoSync, sendRaw, sendWithClient } from './targets.mjs';

const now = () => process.hrtime.bigint();

function tripStats(trips) {
  const sorted = Float64Array.from(trips).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * q))];
  const mean = trips.reduce((s, v) => s + v, 0) / trips.length;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

/**
 * Pipe round trips with a child (`method`): `warmup` untimed, then `n` timed, each timed alone
 * (µs). mode 'async': `send` + `await recv()` on both sides; 'sync': `send` + `recvSync()`.
 */
async function pingpong({ mode, method, n, warmup }) {
  const ctx = mp.getContext(method);
  const [mine, theirs] = ctx.Pipe();
  const child = new ctx.Process({ target: mode === 'sync' ? echoSync : echoAsync, args: [theirs] });
  child.start();
  theirs.close();
  const trips = new Float64Array(n);
  try {
    for (let i = 0; i < warmup + n; i++) {
      const message = [i, 'ping'];
      const t0 = now();
      mine.send(message);
      const back = mode === 'sync' ? mine.recvSync() : await mine.recv();
      const t1 = now();
      if (back[0] !== i) throw new Error(`round trip ${i} came back as ${JSON.stringify(back)}`);
      if (i >= warmup) trips[i - warmup] = Number(t1 - t0) / 1e3;
    }
    mine.send(null);
  } catch (error) {
    child.kill();
    throw error;
  } finally {
    await child.join();
    mine.close();
  }
  if (child.exitCode !== 0) throw new Error(`echo child ended with exit code ${child.exitCode}`);
  return tripStats(Array.from(trips));
}

/**
 * A spawn child sends `count` x `size` bytes to a Listener here over loopback TCP, acknowledged
 * every `perWindow` messages (see targets.mjs): time from the accepted (authenticated) connection
 * to the last byte received. kind 'ts' reads with `await recvBytes()` (mode 'async') or
 * `recvBytesSync()` (mode 'sync'); kind 'raw' does the same transfer on plain `net` sockets.
 */
async function throughput({ kind, mode = 'async', size, count, perWindow }) {
  const total = size * count;
  const ack = Buffer.from([1]);
  const ctx = mp.getContext('spawn');
  if (kind === 'raw') {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise((resolve) => server.once('connection', resolve));
    const child = new ctx.Process({ target: sendRaw, args: [server.address().port, size, count, perWindow] });
    child.start();
    try {
      const socket = await accepted;
      const t0 = now();
      const windowBytes = size * perWindow;
      let received = 0;
      let sinceAck = 0;
      await new Promise((resolve, reject) => {
        socket.on('data', (chunk) => {
          received += chunk.length;
          sinceAck += chunk.length;
          while (sinceAck >= windowBytes) {
            sinceAck -= windowBytes;
            socket.write(ack);
          }
        });
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      const t1 = now();
      socket.destroy();
      if (received !== total) throw new Error(`raw: received ${received} of ${total} bytes`);
      return { seconds: Number(t1 - t0) / 1e9, bytes: total };
    } finally {
      server.close();
      await child.join();
    }
  }
  const authkey = Buffer.from('bench key');
  const listener = new mp.Listener({ host: '127.0.0.1', port: 0 }, { authkey });
  const child = new ctx.Process({ target: sendWithClient, args: [listener.address, authkey, size, count, perWindow] });
  child.start();
  try {
    const conn = await listener.accept();
    const t0 = now();
    let received = 0;
    for (let i = 1; i <= count; i++) {
      const message = mode === 'sync' ? conn.recvBytesSync() : await conn.recvBytes();
      if (message.length !== size) throw new Error(`message ${i} has ${message.length} bytes, not ${size}`);
      received += message.length;
      if (i % perWindow === 0) conn.sendBytes(ack);
    }
    const t1 = now();
    conn.close();
    if (received !== total) throw new Error(`received ${received} of ${total} bytes`);
    return { seconds: Number(t1 - t0) / 1e9, bytes: total };
  } finally {
    await listener.close();
    await child.join();
    if (child.exitCode !== 0) throw new Error(`sender ended with exit code ${child.exitCode}`);
  }
}

await serve({ pingpong, throughput });
