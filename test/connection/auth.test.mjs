// The HMAC challenge handshake, checked against CPython's test vectors and rules on an in-memory pair,
// then the empty-key rules (bpo-43952) between a real Listener and Client.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { AuthenticationError, BufferTooShortError, Client, Listener, TimeoutError, wait } from '../../dist/index.js';
import { needsAddon, within } from '../helpers/methods.mjs';
import { answerChallenge, createResponse, deliverChallenge, verifyResponse } from '../../dist/connection/auth.js';

const key = Buffer.from('secret');
const hex = (text) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const range = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i));

/** Two ends passing whole messages, refusing ones over maxLength as CPython's recv_bytes does. */
function fakePair() {
  const make = () => ({ inbox: [], waiters: [], sent: [] });
  const a = make();
  const b = make();
  const end = (self, peer) => ({
    sent: self.sent,
    sendBytes(buf) {
      const copy = Buffer.from(buf);
      self.sent.push(copy);
      const waiter = peer.waiters.shift();
      if (waiter) waiter(copy);
      else peer.inbox.push(copy);
    },
    recvBytes(maxLength) {
      const take = (message) => {
        if (maxLength !== undefined && message.length > maxLength) throw new Error('bad message length');
        return message;
      };
      if (self.inbox.length) return Promise.resolve().then(() => take(self.inbox.shift()));
      return new Promise((resolve) => self.waiters.push(resolve)).then(take);
    },
  });
  return [end(a, b), end(b, a)];
}

describe('challenge replies (CPython test vectors)', () => {
  it('answers a legacy 20-byte challenge with the raw HMAC-MD5', () => {
    assert.deepEqual(createResponse(key, range(20)), hex('7d efa9cc46abc3583325d17ccda75190'));
  });

  it('answers a {sha256} challenge with a prefixed HMAC-SHA256 over the whole message', () => {
    const message = Buffer.concat([Buffer.from('{sha256}'), range(40)]);
    assert.deepEqual(
      createResponse(key, message),
      hex('7b7368613235367d fc57fbe650d6124b98215e7b5d197d5807ad69982d275a9735ea2d56f1fa6989'),
    );
  });

  it('accepts every reply CPython 3.12+ accepts to a {sha256} challenge', () => {
    const message = Buffer.concat([Buffer.from('{sha256}'), range(40)]);
    verifyResponse(key, message, hex('8e48d2bb349b4b72b9382999ed5b62eb')); // raw MD5 (3.11 peers)
    for (const [name, node] of [['md5', 'md5'], ['sha256', 'sha256'], ['sha384', 'sha384'], ['sha3_256', 'sha3-256'], ['sha3_384', 'sha3-384']]) {
      const mac = createHmac(node, key).update(message).digest();
      verifyResponse(key, message, Buffer.concat([Buffer.from(`{${name}}`), mac]));
    }
  });

  it('rejects unsupported digests, odd lengths and wrong MACs with AuthenticationError', () => {
    const message = Buffer.concat([Buffer.from('{sha256}'), range(40)]);
    for (const name of ['sha1', 'sha512']) {
      const node = name;
      const reply = Buffer.concat([Buffer.from(`{${name}}`), createHmac(node, key).update(message).digest()]);
      assert.throws(() => verifyResponse(key, message, reply), (e) => e instanceof AuthenticationError && /unsupported digest/.test(e.message));
    }
    assert.throws(() => verifyResponse(key, message, Buffer.from('abcde')), /unsupported message length/);
    const truncated = createResponse(key, message).subarray(0, 30);
    assert.throws(() => verifyResponse(key, message, truncated), /expected 'sha256' of length 32 got 22/);
    const wrong = createResponse(Buffer.from('wrong'), message);
    assert.throws(() => verifyResponse(key, message, wrong), (e) => e instanceof AuthenticationError && e.message === 'digest received was wrong');
  });
});

describe('handshake between two ends', () => {
  it('succeeds both ways with the same key, challenging with {sha256} + 40 bytes', async () => {
    const [server, client] = fakePair();
    await Promise.all([
      deliverChallenge(server, key).then(() => answerChallenge(server, key)),
      answerChallenge(client, key).then(() => deliverChallenge(client, key)),
    ]);
    const challenge = server.sent[0];
    assert.equal(challenge.length, 11 + 8 + 40);
    assert.equal(challenge.subarray(0, 19).toString(), '#CHALLENGE#{sha256}');
    assert.equal(server.sent[1].toString(), '#WELCOME#');
    assert.equal(client.sent[2].toString(), '#WELCOME#');
  });

  it('fails on both sides with CPython messages when the keys differ', async () => {
    const [server, client] = fakePair();
    const [delivered, answered] = await Promise.allSettled([
      deliverChallenge(server, key),
      answerChallenge(client, Buffer.from('wrong')),
    ]);
    assert.ok(delivered.reason instanceof AuthenticationError);
    assert.equal(delivered.reason.message, 'digest received was wrong');
    assert.ok(answered.reason instanceof AuthenticationError);
    assert.equal(answered.reason.message, 'digest sent was rejected');
    assert.equal(server.sent.at(-1).toString(), '#FAILURE#');
  });

  it('answers a legacy 20-byte challenge in the legacy form', async () => {
    const [peer, client] = fakePair();
    const answering = answerChallenge(client, key);
    const challenge = range(20);
    peer.sendBytes(Buffer.concat([Buffer.from('#CHALLENGE#'), challenge]));
    const reply = await peer.recvBytes();
    assert.deepEqual(reply, createHmac('md5', key).update(challenge).digest());
    peer.sendBytes(Buffer.from('#WELCOME#'));
    await answering;
  });

  it('refuses a message that is not a challenge, and a challenge that is too short', async () => {
    const [peer, client] = fakePair();
    peer.sendBytes(Buffer.from('hello'));
    await assert.rejects(answerChallenge(client, key), (e) => e instanceof AuthenticationError && /^Protocol error, expected challenge: message=b'hello'$/.test(e.message));
    peer.sendBytes(Buffer.from('#CHALLENGE#short'));
    await assert.rejects(answerChallenge(client, key), (e) => e instanceof AuthenticationError && e.message === 'challenge too short: 5 bytes');
    assert.equal(client.sent.length, 0, 'nothing is answered to a bad challenge');
  });
});

/** For the tests of a describe block: `track(thing)` returns it and closes it after the block. */
function closedAfterward() {
  const opened = [];
  after(async () => {
    for (const thing of opened.splice(0)) await thing.close();
  });
  return (thing) => {
    opened.push(thing);
    return thing;
  };
}

// bpo-43952: CPython 3.11/3.12's Listener tests `if self._authkey:`, so an authkey of b'' skips
// the handshake there while a Client with b'' runs it, and both wait forever. 3.13 tests
// `is not None`, as checkAuthkey does here: an empty key is a key. A mismatch (a key on one side
// only) must fail the side that authenticates, not hang it.
describe("an empty authkey (bpo-43952)", needsAddon, () => {
  const track = closedAfterward();

  it('a Listener and a Client with an empty key run the handshake and exchange a message', async () => {
    for (const [listenerKey, clientKey] of [
      [Buffer.alloc(0), Buffer.alloc(0)],
      [new Uint8Array(0), Buffer.alloc(0)],
      [Buffer.alloc(0), new Uint8Array(0)],
    ]) {
      const listener = track(new Listener(undefined, { authkey: listenerKey }));
      const [server, client] = await within(
        Promise.all([listener.accept(), Client(listener.address, { authkey: clientKey })]),
        10_000,
        'handshake with empty keys',
      );
      track(server);
      track(client);
      client.sendBytes(Buffer.from('ping'));
      assert.equal((await within(server.recvBytes(), 10_000, 'recvBytes')).toString(), 'ping');
      server.sendBytes(Buffer.from('pong'));
      assert.equal((await within(client.recvBytes(), 10_000, 'recvBytes')).toString(), 'pong');
    }
  });

  it('an empty key is used as a key: a Client with another key is refused on both sides', async () => {
    const listener = track(new Listener(undefined, { authkey: Buffer.alloc(0) }));
    const [accepted, connected] = await within(
      Promise.allSettled([listener.accept(), Client(listener.address, { authkey: key })]),
      10_000,
      'handshake with different keys',
    );
    assert.ok(accepted.reason instanceof AuthenticationError, `accept: ${accepted.reason ?? 'succeeded'}`);
    assert.equal(accepted.reason.message, 'digest received was wrong');
    assert.ok(connected.reason instanceof AuthenticationError, `Client: ${connected.reason ?? 'succeeded'}`);
    assert.equal(connected.reason.message, 'digest sent was rejected');
  });

  it('a Listener with an empty key and a Client with none: the Client finds the challenge, accept() fails', async () => {
    const listener = track(new Listener(undefined, { authkey: Buffer.alloc(0) }));
    // The Client sends its data instead of an answer, then reads: the challenge fails the read.
    {
      const accepting = listener.accept();
      const client = track(await within(Client(listener.address), 10_000, 'Client'));
      client.sendBytes(Buffer.from('hello'));
      await assert.rejects(
        within(accepting, 10_000, 'accept'),
        (e) => e instanceof AuthenticationError && /^unsupported message length, missing digest prefix/.test(e.message),
      );
      await assert.rejects(within(client.recvBytes(), 10_000, 'recvBytes'), (e) => e instanceof AuthenticationError && /requires an authkey/.test(e.message));
    }
    // The Client reads first: the challenge fails the read and closes the connection, so accept() fails.
    {
      const accepting = listener.accept();
      const client = await within(Client(listener.address), 10_000, 'Client');
      await assert.rejects(within(client.recvBytes(), 10_000, 'recvBytes'), AuthenticationError);
      assert.equal(client.closed, true);
      await assert.rejects(
        within(accepting, 10_000, 'accept'),
        (e) => e instanceof AuthenticationError && /^authentication handshake failed/.test(e.message),
      );
    }
    // The Client stays silent: the Listener's handshakeTimeout ends the wait (documented TimeoutError).
    {
      const bounded = track(new Listener(undefined, { authkey: Buffer.alloc(0), handshakeTimeout: 200 }));
      const accepting = bounded.accept();
      const client = track(await within(Client(bounded.address), 10_000, 'Client'));
      await assert.rejects(within(accepting, 10_000, 'accept'), (e) => e instanceof TimeoutError);
      await assert.rejects(within(client.recvBytes(), 10_000, 'recvBytes of the challenge'), AuthenticationError);
    }
  });

  it('a Listener with no key and a Client with an empty key: the Client fails instead of waiting for a challenge', async () => {
    const listener = track(new Listener(undefined, {}));
    // The Listener's side sends its data: not a challenge.
    {
      const connecting = Client(listener.address, { authkey: Buffer.alloc(0) });
      const server = track(await within(listener.accept(), 10_000, 'accept'));
      server.sendBytes(Buffer.from('hello'));
      await assert.rejects(
        within(connecting, 10_000, 'Client'),
        (e) => e instanceof AuthenticationError && e.message === "Protocol error, expected challenge: message=b'hello'",
      );
    }
    // The Listener's side hangs up.
    {
      const connecting = Client(listener.address, { authkey: new Uint8Array(0) });
      const server = await within(listener.accept(), 10_000, 'accept');
      server.close();
      await assert.rejects(
        within(connecting, 10_000, 'Client'),
        (e) => e instanceof AuthenticationError && /^authentication handshake failed/.test(e.message),
      );
    }
    // The Listener's side stays silent: the Client's handshakeTimeout ends the wait (documented TimeoutError).
    {
      const connecting = Client(listener.address, { authkey: Buffer.alloc(0), handshakeTimeout: 200 });
      track(await within(listener.accept(), 10_000, 'accept'));
      await assert.rejects(within(connecting, 10_000, 'Client'), (e) => e instanceof TimeoutError);
    }
  });
});

// A Client without an authkey, against a Listener that requires one: the Listener speaks first
// (its challenge), so the Client's first read finds out and says what to do, instead of failing
// to read the challenge as a value.
describe('a Client without an authkey', needsAddon, () => {
  const track = closedAfterward();

  const requiresKey = (error) =>
    error instanceof AuthenticationError &&
    /the listener requires an authkey/.test(error.message) &&
    error.message.includes('Client(address, { authkey })');

  for (const [read, call] of [
    ['recv()', (c) => c.recv()],
    ['recvBytes()', (c) => c.recvBytes()],
    ['recvBytesInto()', (c) => c.recvBytesInto(Buffer.alloc(1024))],
    ['recvSync()', async (c) => {
      await c.poll(null);
      return c.recvSync();
    }],
  ]) {
    it(`against a Listener with a key: ${read} fails with AuthenticationError saying to pass { authkey }`, async () => {
      const listener = track(new Listener(undefined, { authkey: key }));
      const accepting = listener.accept();
      const client = track(await within(Client(listener.address), 10_000, 'Client'));
      await assert.rejects(within(Promise.resolve().then(() => call(client)), 10_000, read), requiresKey);
      // Not a working connection: it is closed, and every later use says the same.
      assert.equal(client.closed, true);
      assert.throws(() => client.send('data'), requiresKey);
      await assert.rejects(client.recv(), requiresKey);
      await assert.rejects(within(accepting, 10_000, 'accept'), AuthenticationError);
    });
  }

  it('against a Listener without a key: the first message is handed out unchanged, by every read method', async () => {
    const listener = track(new Listener());
    for (const [read, call, check] of [
      ['recv()', (c) => c.recv(), (v) => assert.deepEqual(v, { first: new Map([['k', 1n]]) })],
      ['recvBytes()', (c) => c.recvBytes(), (v) => assert.equal(v.toString(), 'raw first')],
      ['recvBytesInto()', (c) => c.recvBytesInto(Buffer.alloc(4), 0), null],
      ['recvSync()', async (c) => {
        await c.poll(null);
        return c.recvSync();
      }, (v) => assert.deepEqual(v, { first: new Map([['k', 1n]]) })],
    ]) {
      const connecting = Client(listener.address);
      const server = track(await within(listener.accept(), 10_000, 'accept'));
      const client = track(await within(connecting, 10_000, 'Client'));
      if (read === 'recvBytes()') server.sendBytes(Buffer.from('raw first'));
      else if (read === 'recvBytesInto()') server.sendBytes(Buffer.from('too long for four bytes'));
      else server.send({ first: new Map([['k', 1n]]) });
      server.send('second');
      assert.deepEqual(await within(wait([client], 10_000), 10_000, 'wait'), [client], `${read}: wait() sees the first message`);
      if (check) check(await within(Promise.resolve().then(() => call(client)), 10_000, read));
      else await assert.rejects(call(client), (e) => e instanceof BufferTooShortError && e.data.toString() === 'too long for four bytes');
      assert.equal(await within(client.recv(), 10_000, 'recv of the second message'), 'second', read);
      client.send('reply');
      assert.equal(await within(server.recv(), 10_000, 'reply'), 'reply');
    }
  });
});
