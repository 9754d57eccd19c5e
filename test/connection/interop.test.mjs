// Framing byte-exact with CPython: a python3 child holds one end of a socket pair as fd 3 and
// uses multiprocessing.connection.Connection on it, in both directions. Also garbage and
// truncated frames from a raw socket, and a peer killed mid-message.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { EOFError, ProcessError } from '../../dist/index.js';
import { needsAddon, within } from '../helpers/methods.mjs';
import { closeFd, connectionAndFd, rawPair, readAll } from '../fixtures/connection/raw.mjs';

const PEER = new URL('../fixtures/connection/py_peer.py', import.meta.url).pathname;
const hasPython = spawnSync('python3', ['-c', 'import multiprocessing.connection'], { stdio: 'ignore' }).status === 0;
/** CPython at the other end of a socket pair: needs python3 and the addon (raw fds). */
const pythonOverSockets = { skip: needsAddon.skip || (!hasPython && 'python3 not found') };
const children = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the python peer with fd as its fd 3; resolves its stdout once it exits. */
function python(mode, fd) {
  const child = spawn('python3', [PEER, mode], { stdio: ['ignore', 'pipe', 'inherit', fd] });
  children.push(child);
  closeFd(fd);
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
  return { child, exited, stdout: () => stdout };
}

test('TypeScript frames are exactly CPython frames (checked byte by byte)', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('raw-dump', fd);
  conn.sendBytes(Buffer.from('hello'));
  conn.sendBytes(Buffer.alloc(0));
  conn.sendBytes(new Uint16Array([0x0102]));
  conn.close();
  const { code, stdout } = await within(peer.exited, 15_000, 'python peer');
  assert.equal(code, 0);
  assert.equal(stdout.trim(), '0000000568656c6c6f' + '00000000' + '00000002' + '0201');
});

test('CPython echoes what TypeScript sends: empty, small and large messages both ways', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('echo', fd);
  try {
    const messages = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(16384, 1), Buffer.alloc(16385, 2), Buffer.alloc(1 << 20, 3)];
    for (const m of messages) conn.sendBytes(m);
    for (const m of messages) assert.deepEqual(await within(conn.recvBytes(), 15_000, 'echo'), m);
    conn.close();
    const { code } = await within(peer.exited, 15_000, 'python peer');
    assert.equal(code, 0, 'the peer saw EOFError after our close');
  } finally {
    conn.close();
  }
});

test('TypeScript reads what CPython sends, then EOFError', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('send', fd);
  try {
    assert.deepEqual(await within(conn.recvBytes(), 15_000), Buffer.alloc(0));
    assert.deepEqual(await conn.recvBytes(), Buffer.from('abc'));
    const pattern = Buffer.alloc(256 * 300);
    for (let i = 0; i < pattern.length; i++) pattern[i] = i % 256;
    assert.deepEqual(await conn.recvBytes(), pattern);
    assert.deepEqual(await conn.recvBytes(), Buffer.from('tail'));
    await within(assert.rejects(conn.recvBytes(), EOFError), 15_000);
    assert.equal((await peer.exited).code, 0);
  } finally {
    conn.close();
  }
});

test('the 12-byte header form is accepted for any size', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('long-header', fd);
  try {
    assert.deepEqual(await within(conn.recvBytes(), 15_000), Buffer.from('hello'));
    assert.deepEqual(await conn.recvBytes(), Buffer.from('after'));
    await peer.exited;
  } finally {
    conn.close();
  }
});

test('a peer killed mid-message gives "got end of file during message", without hanging', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('half-then-hang', fd);
  try {
    await within(
      new Promise((resolve) => peer.child.stdout.on('data', () => peer.stdout().includes('ready') && resolve())),
      15_000,
      'python peer ready',
    );
    const pending = conn.recvBytes();
    peer.child.kill('SIGKILL');
    await within(assert.rejects(pending, (e) => e instanceof ProcessError && /got end of file during message/.test(e.message)), 10_000);
  } finally {
    conn.close();
  }
});

test('garbage and truncated frames from a raw socket give clear errors, never a hang', needsAddon, async () => {
  // A negative length other than -1 reads as an empty message (as CPython), then framing goes on.
  {
    const [conn, raw] = rawPair();
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 2, 0x68, 0x69]));
    assert.equal((await within(conn.recvBytes(), 5_000)).length, 0);
    assert.deepEqual(await within(conn.recvBytes(), 5_000), Buffer.from('hi'));
    conn.close();
    raw.destroy();
  }
  // A frame split into single bytes arrives whole.
  {
    const [conn, raw] = rawPair();
    const frame = Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63]);
    const pending = conn.recvBytes();
    for (const byte of frame) await new Promise((resolve) => raw.write(Buffer.from([byte]), resolve));
    assert.deepEqual(await within(pending, 5_000), Buffer.from('abc'));
    conn.close();
    raw.destroy();
  }
  // A truncated header, then EOF.
  {
    const [conn, raw] = rawPair();
    raw.end(Buffer.from([0, 0]));
    await within(assert.rejects(conn.recvBytes(), /got end of file during message/), 5_000);
    conn.close();
  }
  // A truncated body, then EOF.
  {
    const [conn, raw] = rawPair();
    raw.end(Buffer.from([0, 0, 0, 9, 1, 2, 3]));
    await within(assert.rejects(conn.recvBytes(), /got end of file during message/), 5_000);
    conn.close();
  }
  // A huge announced length against maxLength fails at once, without waiting for the body.
  {
    const [conn, raw] = rawPair();
    raw.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2]));
    await within(assert.rejects(conn.recvBytes(256), /bad message length/), 5_000);
    raw.destroy();
    conn.close();
  }
  // A well-framed payload that is not a value from send(): recv() says so.
  {
    const [conn, raw] = rawPair();
    raw.write(Buffer.from([0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef]));
    await within(assert.rejects(conn.recv(), (e) => e instanceof ProcessError && /not a value sent with send/.test(e.message)), 5_000);
    raw.destroy();
    conn.close();
  }
  // Nothing at all, then EOF: EOFError.
  {
    const [conn, raw] = rawPair();
    raw.end();
    await within(assert.rejects(conn.recv(), EOFError), 5_000);
    conn.close();
  }
});

test('TypeScript send output reaches a raw reader intact', needsAddon, async () => {
  const [conn, raw] = rawPair();
  const all = readAll(raw);
  conn.sendBytes(Buffer.from('ab'));
  conn.close();
  assert.deepEqual(await within(all, 5_000), Buffer.from([0, 0, 0, 2, 0x61, 0x62]));
  raw.destroy();
});

test('recvBytesSync blocks in the kernel until CPython sends', pythonOverSockets, async () => {
  const [conn, fd] = connectionAndFd();
  const peer = python('send', fd);
  try {
    assert.equal(conn.pollSync(15_000), true);
    assert.deepEqual(conn.recvBytesSync(), Buffer.alloc(0));
    assert.deepEqual(conn.recvBytesSync(), Buffer.from('abc'));
    assert.equal(conn.recvBytesSync().length, 256 * 300);
    assert.deepEqual(conn.recvBytesSync(), Buffer.from('tail'));
    assert.throws(() => conn.recvBytesSync(), EOFError);
    assert.equal((await within(peer.exited, 15_000)).code, 0);
  } finally {
    conn.close();
  }
});
