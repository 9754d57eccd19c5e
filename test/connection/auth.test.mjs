// The HMAC challenge handshake, checked against CPython's test vectors and rules on an in-memory pair.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { AuthenticationError } from '../../dist/index.js';
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
