// A length header reserves no memory for its body: the buffer grows with the bytes that really
// arrive (a whole-size buffer only for messages of the direct-read range, up to 64 MiB), and a
// message whose buffer cannot be allocated stays unread instead of desynchronising the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as net from 'node:net';

import { Connection, ProcessError } from '../../dist/index.js';
import { within } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const onLinux = { skip: !existsSync('/proc/self/status') && 'reads VmSize from /proc/self/status' };
const MiB = 1024 * 1024;

function vmSize() {
  return Number(readFileSync('/proc/self/status', 'utf8').match(/VmSize:\s+(\d+)/)[1]) * 1024;
}

/** [connection, peer]: a Connection over an accepted TCP socket, and the raw socket that feeds it. */
async function tcpPair() {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const accepted = new Promise((resolve) => server.once('connection', resolve));
    const peer = net.connect(server.address().port, '127.0.0.1');
    peer.on('error', () => undefined);
    const conn = new Connection(await within(accepted, 5_000, 'accept'));
    await within(new Promise((resolve) => (peer.connecting ? peer.once('connect', resolve) : resolve())), 5_000, 'connect');
    return [conn, peer];
  } finally {
    server.close();
  }
}

function header(length) {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(length);
  return bytes;
}

test('a 2 GiB header with no body reserves no memory for it; the read is pending and close() ends it', onLinux, async () => {
  const [conn, peer] = await tcpPair();
  try {
    await new Promise((resolve) => peer.write(header(0x7fffffff), resolve));
    const before = vmSize();
    const reading = conn.recvBytes();
    const settled = reading.then(() => 'resolved', (error) => error);
    const grown = vmSize() - before;
    assert.ok(grown < 256 * MiB, `VmSize grew by ${Math.round(grown / MiB)} MiB when the read started`);
    await new Promise((resolve) => setImmediate(resolve));
    conn.close();
    const outcome = await within(settled, 5_000, 'the pending read after close');
    assert.ok(outcome instanceof ProcessError, `the read ended with ${outcome}`);
  } finally {
    conn.close();
    peer.destroy();
  }
});

test('a 2 GiB header, then a few MiB, then EOF: memory follows the bytes sent, and "got end of file during message"', onLinux, async () => {
  const [conn, peer] = await tcpPair();
  try {
    const before = vmSize();
    const reading = conn.recvBytes();
    peer.end(Buffer.concat([header(0x7fffffff), Buffer.alloc(8 * MiB, 1)]));
    await within(assert.rejects(reading, (e) => e instanceof ProcessError && /got end of file during message/.test(e.message)), 10_000, 'recvBytes');
    const grown = vmSize() - before;
    assert.ok(grown < 512 * MiB, `VmSize grew by ${Math.round(grown / MiB)} MiB for 8 MiB received`);
  } finally {
    conn.close();
    peer.destroy();
  }
});

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

test('a message whose buffer cannot be allocated stays unread: the next read gets it whole, then the one after', { skip: (!hasPrlimit || !existsSync('/proc/self/status')) && 'needs prlimit and /proc' }, async () => {
  // A plain node child caps its own address space with prlimit for one read.
  const script = fileURLToPath(new URL('../fixtures/connection/no-room.mjs', import.meta.url));
  const { code, stdout, stderr } = await runScript(script, { timeout: 30_000 });
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.capped.name, 'ProcessError', JSON.stringify(result.capped));
  assert.match(result.capped.message, /^cannot allocate 50331648 bytes for the next message .*it stays unread/);
  assert.deepEqual(result.first, { length: 48 * MiB, start: 'first', sevens: true });
  assert.equal(result.second, 'second');
});
