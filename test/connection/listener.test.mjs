// Listener and Client between TypeScript ends, and against raw sockets that misbehave.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sep } from 'node:path';
import * as net from 'node:net';

import { AbortError, AuthenticationError, Client, Listener, ProcessError, TimeoutError } from '../../dist/index.js';
import { needsAddon, within } from '../helpers/methods.mjs';
import { frame } from '../helpers/connection.mjs';

const key = Buffer.from('secret');
const listeners = [];
const sockets = [];

/** Every Listener and raw socket a test makes is closed in `after`, even when the test fails. */
function track(listener) {
  listeners.push(listener);
  return listener;
}

after(async () => {
  for (const listener of listeners) await listener.close();
  for (const socket of sockets) socket.destroy();
});

/** A raw TCP socket to `address`, connected, collecting what it receives. */
async function rawSocket(address) {
  const socket = net.connect({ host: address.host, port: address.port });
  sockets.push(socket);
  const received = [];
  socket.on('data', (chunk) => received.push(chunk));
  socket.on('error', () => undefined);
  const ended = new Promise((resolve) => socket.on('close', resolve));
  await within(new Promise((resolve) => socket.once('connect', resolve)), 5_000, 'connect');
  return { socket, received: () => Buffer.concat(received), ended };
}

describe('binding', needsAddon, () => {
  it('binds at once: the address (with the real port) is there when the constructor returns', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }));
    assert.equal(listener.address.host, '127.0.0.1');
    assert.ok(Number.isInteger(listener.address.port) && listener.address.port > 0);
    assert.equal(listener.family, 'AF_INET');
    const accepting = listener.accept();
    const conn = await within(Client([listener.address.host, listener.address.port]), 5_000, 'Client');
    const served = await within(accepting, 5_000, 'accept');
    conn.send({ hello: ['world', 1] });
    assert.deepEqual(await within(served.recv(), 5_000, 'recv'), { hello: ['world', 1] });
    served.sendBytes(Buffer.from('back'));
    assert.equal((await within(conn.recvBytes(), 5_000, 'recvBytes')).toString(), 'back');
    assert.equal(listener.lastAccepted.host, '127.0.0.1');
    conn.close();
    served.close();
  });

  it('defaults to a Unix socket at a temporary path, removed on close', async () => {
    const listener = track(new Listener());
    assert.equal(listener.family, 'AF_UNIX');
    assert.ok(listener.address.startsWith(tmpdir() + sep + 'pymp-'), listener.address);
    assert.match(listener.address, /[/]listener-[^/]+$/);
    assert.ok(existsSync(listener.address));
    await listener.close();
    assert.equal(existsSync(listener.address), false);
  });

  it("binds ('localhost', 0) for family AF_INET without an address", async () => {
    const listener = track(new Listener(undefined, { family: 'AF_INET' }));
    assert.equal(listener.address.host, '127.0.0.1');
    assert.ok(listener.address.port > 0);
  });

  it('refuses an address in use with EADDRINUSE (TCP and Unix)', async () => {
    const first = track(new Listener({ host: '127.0.0.1', port: 0 }));
    assert.throws(() => new Listener({ host: '127.0.0.1', port: first.address.port }), (error) => error.code === 'EADDRINUSE');
    const unix = track(new Listener());
    assert.throws(() => new Listener(unix.address), (error) => error.code === 'EADDRINUSE');
    const abstract = track(new Listener(`\0mp-ts-inuse-${process.pid}`));
    assert.throws(() => new Listener(abstract.address), (error) => error.code === 'EADDRINUSE');
  });

  it('serves Unix paths and Linux abstract addresses, with authkey', async () => {
    for (const address of [undefined, `\0mp-ts-abstract-${process.pid}`]) {
      const listener = track(new Listener(address, { authkey: key }));
      const accepting = listener.accept();
      const conn = await within(Client(listener.address, { authkey: key }), 5_000, 'Client');
      const served = await within(accepting, 5_000, 'accept');
      served.send([1, 'two', { three: 3n }]);
      assert.deepEqual(await within(conn.recv(), 5_000, 'recv'), [1, 'two', { three: 3n }]);
      assert.equal(listener.lastAccepted, '');
      conn.close();
      served.close();
      await listener.close();
    }
  });

  it('binds IPv6 addresses', async (t) => {
    let listener;
    try {
      listener = track(new Listener({ host: '::1', port: 0 }, { authkey: key }));
    } catch (error) {
      if (error.code === 'EADDRNOTAVAIL' || error.code === 'EAFNOSUPPORT') return t.skip('no IPv6 loopback here');
      throw error;
    }
    assert.equal(listener.family, 'AF_INET6');
    assert.equal(listener.address.host, '::1');
    const accepting = listener.accept();
    const conn = await within(Client(listener.address, { authkey: key }), 5_000, 'Client');
    const served = await within(accepting, 5_000, 'accept');
    assert.equal(listener.lastAccepted.host, '::1');
    conn.close();
    served.close();
  });

  it('rejects bad arguments with TypeError or RangeError', async () => {
    assert.throws(() => new Listener(undefined, { authkey: 'secret' }), TypeError);
    assert.throws(() => new Listener(42), TypeError);
    assert.throws(() => new Listener({ host: '127.0.0.1', port: 70000 }), RangeError);
    assert.throws(() => new Listener({ host: '127.0.0.1', port: '80' }), TypeError);
    assert.throws(() => new Listener(undefined, { family: 'AF_BOGUS' }), TypeError);
    assert.throws(() => new Listener('/tmp/x.sock', { family: 'AF_INET' }), TypeError);
    assert.throws(() => new Listener(['127.0.0.1', 0], { family: 'AF_UNIX' }), TypeError);
    assert.throws(() => new Listener(undefined, { handshakeTimeout: -1 }), RangeError);
    await assert.rejects(Client({ host: '127.0.0.1', port: 1 }, { authkey: 'secret' }), TypeError);
    await assert.rejects(Client(null), TypeError);
  });
});

describe('closing', needsAddon, () => {
  it('rejects pending and later accepts once closed', async () => {
    const listener = new Listener({ host: '127.0.0.1', port: 0 });
    const pending = listener.accept();
    await listener.close();
    await assert.rejects(within(pending, 5_000, 'accept'), (e) => e instanceof ProcessError && e.message === 'listener is closed');
    await assert.rejects(listener.accept(), (e) => e instanceof ProcessError && e.message === 'listener is closed');
    await listener.close();
    await assert.rejects(Client(listener.address), (error) => error.code === 'ECONNREFUSED');
  });

  it('a Client to a missing Unix path or abstract address fails with the system error', async () => {
    await assert.rejects(Client(`${tmpdir()}/mp-ts-no-such-${process.pid}.sock`), (error) => error.code === 'ENOENT');
    await assert.rejects(Client(`\0mp-ts-no-such-${process.pid}`), (error) => error.code === 'ECONNREFUSED');
  });
});

describe('handshake faults', needsAddon, () => {
  it('a client that never answers times out, and the listener serves others meanwhile', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 500 }));
    const firstAccept = listener.accept();
    const silent = await rawSocket(listener.address);
    await within(new Promise((resolve) => silent.socket.once('data', resolve)), 5_000, 'the challenge');
    // The silent client's handshake is running: the accept goes to the client that completes one.
    const client = await within(Client(listener.address, { authkey: key }), 5_000, 'Client');
    const served = await within(firstAccept, 5_000, 'accept');
    client.sendBytes(Buffer.from('ok'));
    assert.equal((await within(served.recvBytes(), 5_000, 'recvBytes')).toString(), 'ok');
    // A timeout, not an authentication failure: CPython's socket Listener has no bound of its own
    // (its accept waits for the client), and a socket timeout there raises TimeoutError too.
    await assert.rejects(
      within(listener.accept(), 5_000, 'accept'),
      (e) => e instanceof TimeoutError && !(e instanceof AuthenticationError) && /did not complete the authentication handshake within 500 ms/.test(e.message),
    );
    await within(silent.ended, 5_000, 'close of the silent socket');
    const challenge = silent.received();
    assert.equal(challenge.subarray(0, 4).toString('hex'), '0000003b', 'a 59-byte challenge: #CHALLENGE#{sha256} + 40 bytes');
    assert.equal(challenge.subarray(4, 23).toString(), '#CHALLENGE#{sha256}');
    assert.equal(challenge.length, 63, 'nothing but the challenge was sent');
    client.close();
    served.close();
  });

  const faults = [
    ['a reply that is neither a digest nor prefixed', frame(Buffer.from('hello')), /unsupported message length/],
    ['a reply over 256 bytes', frame(Buffer.alloc(1000, 1)), /bad message length/],
    ['a reply with a huge 12-byte header', Buffer.from('ffffffff0000010000000000', 'hex'), /bad message length/],
    ['a negative length (read as an empty message)', Buffer.from('fffffffe', 'hex'), /unsupported message length/],
    ['a truncated reply', Buffer.concat([Buffer.from('00000010', 'hex'), Buffer.from('abc')]), /end of file during message/],
    ['a half header', Buffer.from('0000', 'hex'), /end of file during message/],
    ['nothing at all', Buffer.alloc(0), /closed/],
  ];
  for (const [what, bytes, message] of faults) {
    it(`${what} is rejected with AuthenticationError, and the next client is served`, async () => {
      const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 5_000 }));
      const badAccept = listener.accept();
      const raw = await rawSocket(listener.address);
      raw.socket.end(bytes);
      await assert.rejects(within(badAccept, 5_000, 'accept'), (e) => e instanceof AuthenticationError && message.test(e.message));
      await within(raw.ended, 5_000, 'close of the raw socket');
      const accepting = listener.accept();
      const client = await within(Client(listener.address, { authkey: key }), 5_000, 'Client');
      const served = await within(accepting, 5_000, 'accept');
      served.send('after');
      assert.equal(await within(client.recv(), 5_000, 'recv'), 'after');
      client.close();
      served.close();
    });
  }

  it('a Client refuses a server that sends no challenge, or hangs up, or stays silent past handshakeTimeout', async () => {
    const behaviours = [
      (socket) => socket.end(frame(Buffer.from('not a challenge'))),
      (socket) => socket.end(frame(Buffer.from('#CHALLENGE#short'))),
      (socket) => socket.end(),
      () => undefined,
    ];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      behaviours.shift()(socket);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = { host: '127.0.0.1', port: server.address().port };
      await assert.rejects(Client(address, { authkey: key }), (e) => e instanceof AuthenticationError && /^Protocol error, expected challenge/.test(e.message));
      await assert.rejects(Client(address, { authkey: key }), (e) => e instanceof AuthenticationError && e.message === 'challenge too short: 5 bytes');
      await assert.rejects(Client(address, { authkey: key }), (e) => e instanceof AuthenticationError && /closed/.test(e.message));
      await assert.rejects(Client(address, { authkey: key, handshakeTimeout: 300 }), (e) => e instanceof TimeoutError);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('a Client with a key does not trust a Listener without one', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }));
    const accepting = listener.accept();
    const client = Client(listener.address, { authkey: key, handshakeTimeout: 300 });
    const served = await within(accepting, 5_000, 'accept');
    served.sendBytes(Buffer.from('payload before any challenge'));
    await assert.rejects(client, (e) => e instanceof AuthenticationError && /^Protocol error, expected challenge/.test(e.message));
    served.close();
  });
});

describe('AbortSignal', needsAddon, () => {
  const isAbort = (reason) => (e) => e instanceof AbortError && e.code === 'ABORT_ERR' && e.cause === reason;

  it('accept({ signal }) stops waiting and takes nothing: the next connection goes to the next accept', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }));
    const controller = new AbortController();
    const waiting = listener.accept({ signal: controller.signal });
    controller.abort('no more');
    await assert.rejects(within(waiting, 5_000, 'an aborted accept'), isAbort('no more'));
    await assert.rejects(listener.accept({ signal: controller.signal }), AbortError, 'an aborted signal rejects at once');
    const connecting = Client(listener.address);
    const served = await within(listener.accept({ signal: new AbortController().signal }), 5_000, 'accept');
    const client = await within(connecting, 5_000, 'Client');
    served.send('hello');
    assert.equal(await within(client.recv(), 5_000, 'recv'), 'hello');
    client.close();
    served.close();
    await assert.rejects(listener.accept(5000), (e) => e instanceof TypeError && /AbortSignal\.timeout/.test(e.message));
    await assert.rejects(listener.accept({ signal: 1 }), TypeError);
  });

  it('accept({ signal }) aborted during a handshake: the handshake goes on, and its failure is told to nobody', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 300 }));
    const controller = new AbortController();
    const accepting = listener.accept({ signal: controller.signal });
    const silent = await rawSocket(listener.address);
    // The challenge arrived: a handshake runs, waiting for an answer that never comes.
    await within(new Promise((resolve) => silent.socket.once('data', resolve)), 5_000, 'the challenge');
    controller.abort('give up');
    await assert.rejects(within(accepting, 5_000, 'an aborted accept'), isAbort('give up'));
    // No accept waits when the silent handshake times out: its socket is closed, and no later accept hears of it.
    await within(silent.ended, 5_000, 'close of the silent socket at handshakeTimeout');
    await assert.rejects(listener.accept({ signal: AbortSignal.timeout(100) }), (e) => e instanceof AbortError);
    const next = listener.accept();
    const client = await within(Client(listener.address, { authkey: key }), 5_000, 'Client');
    const served = await within(next, 5_000, 'accept');
    client.close();
    served.close();
  });

  it('Client(address, { signal }) aborts a connect in progress', async () => {
    // A queue of one pending connection, full: the kernel leaves the next connect unanswered.
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { backlog: 0 }));
    await rawSocket(listener.address);
    const controller = new AbortController();
    const connecting = Client(listener.address, { signal: controller.signal });
    let settled = false;
    connecting.then(() => (settled = true), () => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the connect is in progress');
    controller.abort('too slow');
    await assert.rejects(within(connecting, 5_000, 'an aborted connect'), isAbort('too slow'));
    await assert.rejects(Client(listener.address, { signal: controller.signal }), AbortError, 'an aborted signal rejects at once');
    await assert.rejects(Client(listener.address, { signal: {} }), TypeError);
  });

  it('Client(address, { authkey, signal }) aborts a handshake in progress and closes the socket', async () => {
    const connected = [];
    const server = net.createServer((socket) => connected.push(socket));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const connecting = Client({ host: '127.0.0.1', port: server.address().port }, { authkey: key, signal: controller.signal });
      // The server sends no challenge: the Client waits in its handshake.
      const socket = await within(
        new Promise((resolve) => (connected.length > 0 ? resolve(connected[0]) : server.once('connection', resolve))),
        5_000,
        'the connection',
      );
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.resume();
      controller.abort('cancelled');
      await assert.rejects(within(connecting, 5_000, 'an aborted handshake'), isAbort('cancelled'));
      await within(closed, 5_000, 'the client closed its socket');
    } finally {
      for (const socket of connected) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("CPython's positional family or authkey get the options form in the message", () => {
    assert.throws(() => new Listener(null, 'AF_INET'), (e) => e instanceof TypeError && e.message.includes("{ family: 'AF_INET' }"));
    return Promise.all([
      assert.rejects(Client('/nowhere', Buffer.from('key')), (e) => e instanceof TypeError && e.message.includes('{ authkey }')),
      assert.rejects(Client('/nowhere', 'AF_UNIX'), (e) => e instanceof TypeError && e.message.includes("{ family: 'AF_UNIX' }")),
    ]);
  });
});
