// A keyed Listener runs the handshakes of the connections it takes side by side: a client that
// stays silent, or trickles a byte a second, holds up no other; at most maxHandshakes run at
// once (the oldest dropped first); and nothing a peer sends before it authenticates is read as a
// value.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';

import { AuthenticationError, Client, EOFError, Listener, Pipe } from '../../dist/index.js';
import { createResponse } from '../../dist/connection/auth.js';
import { needsAddon, within } from '../helpers/methods.mjs';
import { frame } from '../helpers/connection.mjs';
import { runScript } from '../helpers/run-script.mjs';

const key = Buffer.from('secret');
const listeners = [];
const sockets = [];
const timers = [];

function track(listener) {
  listeners.push(listener);
  return listener;
}

after(async () => {
  for (const timer of timers) clearTimeout(timer);
  for (const listener of listeners) await listener.close();
  for (const socket of sockets) socket.destroy();
});

/** A raw TCP socket to `address` that answers nothing; resolves once the listener's challenge came. */
async function silentPeer(address) {
  const socket = net.connect({ host: address.host, port: address.port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  const received = [];
  let closed = false;
  const ended = new Promise((resolve) => socket.on('close', () => resolve((closed = true))));
  const challenged = new Promise((resolve) => socket.once('data', resolve));
  socket.on('data', (chunk) => received.push(chunk));
  await within(challenged, 5_000, 'the challenge');
  return { socket, ended, isClosed: () => closed, received: () => Buffer.concat(received) };
}

/** The good client's round trip: it connects with the key, and the accepted end echoes through. */
async function serveGoodClient(listener, accepting) {
  const client = await within(Client(listener.address, { authkey: key }), 5_000, 'the good Client');
  const served = await within(accepting, 5_000, 'the accept of the good client');
  served.send('welcome');
  assert.equal(await within(client.recv(), 5_000, 'recv'), 'welcome');
  client.close();
  served.close();
}

describe('handshakes side by side', needsAddon, () => {
  it('a silent peer and a 1-byte-per-second peer do not delay a good Client (handshakeTimeout 20 s, served within 5 s)', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 20_000 }));
    const accepting = listener.accept();
    const silent = await silentPeer(listener.address);
    const slow = await silentPeer(listener.address);
    // A header that announces a 16-byte reply, one byte a second.
    const trickle = frame(Buffer.alloc(16, 1));
    let sent = 0;
    const drip = () => {
      if (slow.isClosed() || sent >= trickle.length) return;
      slow.socket.write(trickle.subarray(sent, ++sent));
      timers.push(setTimeout(drip, 1_000));
    };
    drip();
    await serveGoodClient(listener, accepting);
    assert.equal(silent.isClosed(), false, 'the silent handshake is still running');
    assert.equal(slow.isClosed(), false, 'the slow handshake is still running');
  });

  it('50 silent sockets at once do not delay a good Client; the listener keeps at most maxHandshakes of them', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 20_000 }));
    const accepting = listener.accept();
    const peers = await Promise.all(Array.from({ length: 50 }, () => silentPeer(listener.address)));
    await serveGoodClient(listener, accepting);
    // 32 handshakes at most (the default): of the 51 connections, 19 were dropped.
    await within(
      (async () => {
        while (peers.filter((peer) => peer.isClosed()).length < 19) await Promise.race(peers.filter((peer) => !peer.isClosed()).map((peer) => peer.ended));
      })(),
      5_000,
      'the dropped handshakes',
    );
    assert.equal(peers.filter((peer) => peer.isClosed()).length, 19);
  });

  it('at the bound, the oldest handshake is dropped (closed, no accept told), and a new client is still served', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, maxHandshakes: 4 }));
    const accepting = listener.accept();
    const peers = [];
    // One after another (each challenged before the next connects), so the order is known.
    for (let i = 0; i < 6; i++) peers.push(await silentPeer(listener.address));
    await within(Promise.all([peers[0].ended, peers[1].ended]), 5_000, 'the two oldest dropped');
    assert.deepEqual(peers.map((peer) => peer.isClosed()), [true, true, false, false, false, false]);
    await serveGoodClient(listener, accepting);
    await within(peers[2].ended, 5_000, 'the next oldest dropped for the good client');
    assert.deepEqual(peers.map((peer) => peer.isClosed()), [true, true, true, false, false, false]);
    assert.throws(() => new Listener({ host: '127.0.0.1', port: 0 }, { maxHandshakes: 0 }), RangeError);
    assert.throws(() => new Listener({ host: '127.0.0.1', port: 0 }, { maxHandshakes: 1.5 }), TypeError);
  });

  it('close() closes the connections still in their handshake and those not yet accepted', async () => {
    const listener = new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key });
    const accepting = listener.accept();
    const silent = await silentPeer(listener.address);
    // Two clients at once: one goes to the accept, the other completes its handshake and waits for the next.
    const [client, other] = await within(
      Promise.all([Client(listener.address, { authkey: key }), Client(listener.address, { authkey: key })]),
      5_000,
      'two Clients',
    );
    const served = await within(accepting, 5_000, 'accept');
    served.send('served');
    await listener.close();
    await within(silent.ended, 5_000, 'close of the connection in its handshake');
    // The accepted one is served; the other was closed with the listener.
    const outcomes = await within(Promise.allSettled([client.recv(), other.recv()]), 5_000, 'recv');
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(outcomes.find((o) => o.status === 'fulfilled').value, 'served');
    assert.ok(outcomes.find((o) => o.status === 'rejected').reason instanceof EOFError);
    for (const end of [served, client, other]) end.close();
  });

  it('a handshake that completes while no accept waits is handed to the next accept()', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
    const accepting = listener.accept();
    // Both handshakes run at once; the first to finish goes to the accept, the other waits for the next.
    const clients = await within(Promise.all([Client(listener.address, { authkey: key }), Client(listener.address, { authkey: key })]), 5_000, 'two Clients');
    const first = await within(accepting, 5_000, 'accept');
    const second = await within(listener.accept(), 5_000, 'the next accept');
    first.send('one');
    second.send('two');
    const got = await within(Promise.all(clients.map((client) => client.recv())), 5_000, 'recv');
    assert.deepEqual(got.sort(), ['one', 'two']);
    for (const end of [...clients, first, second]) end.close();
  });
});

describe('before authentication', needsAddon, () => {
  for (const [what, header] of [
    ['a 4-byte header announcing 2 GiB', Buffer.from('7fffffff', 'hex')],
    ['a 12-byte header announcing 4 GiB', Buffer.from('ffffffff0000000100000000', 'hex')],
  ]) {
    it(`${what}, then silence: AuthenticationError at once ("bad message length")`, async () => {
      const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key, handshakeTimeout: 20_000 }));
      const accepting = listener.accept();
      const peer = await silentPeer(listener.address);
      peer.socket.write(header);
      await assert.rejects(within(accepting, 5_000, 'accept'), (e) => e instanceof AuthenticationError && /bad message length/.test(e.message));
      await within(peer.ended, 5_000, 'close of the peer');
    });
  }

  it('50 connections sending 4 KiB of random bytes: each fails with AuthenticationError, and a good client is served', async () => {
    const { randomBytes } = await import('node:crypto');
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
    const failures = [];
    let served;
    const serving = (async () => {
      while (served === undefined) {
        try {
          served = await listener.accept();
        } catch (error) {
          failures.push(error);
        }
      }
    })();
    const peers = await Promise.all(Array.from({ length: 50 }, () => silentPeer(listener.address)));
    for (const peer of peers) peer.socket.write(randomBytes(4096));
    await within(Promise.all(peers.map((peer) => peer.ended)), 10_000, 'every garbage connection closed');
    const client = await within(Client(listener.address, { authkey: key }), 5_000, 'the good Client');
    await within(serving, 5_000, 'the accept loop');
    served.send('welcome');
    assert.equal(await within(client.recv(), 5_000, 'recv'), 'welcome');
    assert.ok(failures.length >= 1 && failures.length <= 50, `${failures.length} failures`);
    assert.ok(failures.every((error) => error instanceof AuthenticationError), String(failures.find((error) => !(error instanceof AuthenticationError))));
    client.close();
    served.close();
  });

  it('a reply recorded from one handshake is refused in another (a fresh challenge each time)', async () => {
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
    const challengeOf = (bytes) => bytes.subarray(4 + '#CHALLENGE#'.length);
    // A peer that knows the key answers its challenge correctly: the listener welcomes it.
    const accepting = listener.accept();
    accepting.catch(() => undefined); // checked below, once the replay is refused
    const honest = await silentPeer(listener.address);
    const recorded = createResponse(key, challengeOf(honest.received()));
    const welcomed = new Promise((resolve) => honest.socket.on('data', () => honest.received().includes('#WELCOME#') && resolve()));
    honest.socket.write(frame(recorded));
    await within(welcomed, 5_000, '#WELCOME#');
    // The same reply, replayed on a new connection, answers a different challenge. (The honest
    // peer's handshake is still running: the listener waits for its counter-challenge.)
    const replay = await silentPeer(listener.address);
    assert.notDeepEqual(challengeOf(replay.received()), challengeOf(honest.received()));
    const refused = new Promise((resolve) => replay.socket.on('data', () => replay.received().includes('#FAILURE#') && resolve()));
    replay.socket.write(frame(recorded));
    await within(refused, 5_000, '#FAILURE#');
    await assert.rejects(within(accepting, 5_000, 'accept'), (e) => e instanceof AuthenticationError && e.message === 'digest received was wrong');
  });

  it('a value sent with send() as the reply is refused as raw bytes, not read as a value', async () => {
    const [a, b] = Pipe();
    a.send({ constructor: 'not read', list: [1, 2, 3] });
    const payload = await within(b.recvBytes(), 5_000, 'the payload');
    a.close();
    b.close();
    const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
    const accepting = listener.accept();
    const peer = await silentPeer(listener.address);
    peer.socket.write(frame(payload));
    await assert.rejects(within(accepting, 5_000, 'accept'), (e) => e instanceof AuthenticationError && /unsupported message length, missing digest prefix/.test(e.message));
  });
});

describe('the program', needsAddon, () => {
  it('exits when its work is done, while a handshake no accept() waits for is still running', async () => {
    const script = fileURLToPath(new URL('../fixtures/connection/listener-exit.mjs', import.meta.url));
    const { code, stdout, stderr } = await runScript(script, { timeout: 15_000 });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), 'served');
  });
});
