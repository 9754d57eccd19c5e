// Listener and Client against real CPython peers, both directions, every interpreter present:
// python3 (3.11: raw HMAC-MD5 handshake) and 3.12/3.13 ({sha256} handshake) when installed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { AuthenticationError, Client, Listener } from '../../dist/index.js';
import { needsAddon, within } from '../helpers/methods.mjs';
import { PYTHONS, addressArg, killPythons, startPython } from '../fixtures/connection/listener/peers.mjs';

const key = Buffer.from('secret key');
const wrongKey = Buffer.from('wrong key');

const listeners = [];
/** Every Listener a test makes is closed in `after`, even when the test fails. */
function track(listener) {
  listeners.push(listener);
  return listener;
}

after(async () => {
  for (const listener of listeners) await listener.close();
  await killPythons();
});

for (const [label, python] of PYTHONS) {
  describe(`with CPython ${label}`, needsAddon, () => {
    it('a Python Client authenticates to a TypeScript Listener and exchanges bytes', async () => {
      const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
      const peer = startPython(python, 'py_client.py', [addressArg(listener.address), key.toString('hex')]);
      const conn = await within(listener.accept(), 10_000, 'accept');
      try {
        assert.equal(await peer.nextLine(), 'CONNECTED');
        const hello = (await within(conn.recvBytes(), 10_000, 'recvBytes')).toString();
        assert.match(hello, /^hello from 3\.\d+$/);
        conn.sendBytes(Buffer.from('from typescript'));
        assert.equal(await peer.nextLine(), 'GOT ' + Buffer.from('from typescript').toString('hex'));
        assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:from typescript');
        assert.equal((await peer.exited()).code, 0);
        assert.deepEqual(listener.lastAccepted.host, '127.0.0.1');
      } finally {
        conn.close();
      }
    });

    it('a Python Client with the wrong key is rejected on both sides', async () => {
      const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key }));
      const peer = startPython(python, 'py_client.py', [addressArg(listener.address), wrongKey.toString('hex')]);
      await assert.rejects(
        within(listener.accept(), 10_000, 'accept'),
        (error) => error instanceof AuthenticationError && error.message === 'digest received was wrong',
      );
      assert.equal(await peer.nextLine(), 'AUTHERR digest sent was rejected');
      assert.equal((await peer.exited()).code, 3);
    });

    /** A Python Listener with key `keyHex` ('' for b''), a TypeScript Client with `authkey`: one message echoed. */
    async function echoThroughPythonListener(keyHex, authkey) {
      const peer = startPython(python, 'py_listener.py', [addressArg({ host: '127.0.0.1', port: 0 }), keyHex, '1']);
      const address = JSON.parse((await peer.nextLine()).replace(/^ADDRESS /, ''));
      const conn = await within(Client(address, { authkey }), 10_000, 'Client');
      try {
        assert.equal(await peer.nextLine(), 'ACCEPTED');
        conn.sendBytes(Buffer.from('ping'));
        assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:ping');
        assert.equal(await peer.nextLine(), 'ECHOED');
        assert.equal((await peer.exited()).code, 0);
      } finally {
        conn.close();
      }
    }

    it('a TypeScript Client authenticates to a Python Listener and exchanges bytes', async () => {
      await echoThroughPythonListener(key.toString('hex'), key);
    });

    it('a TypeScript Client with the wrong key is rejected on both sides', async () => {
      const peer = startPython(python, 'py_listener.py', [addressArg({ host: '127.0.0.1', port: 0 }), key.toString('hex'), '1']);
      const address = JSON.parse((await peer.nextLine()).replace(/^ADDRESS /, ''));
      await assert.rejects(
        within(Client(address, { authkey: wrongKey }), 10_000, 'Client'),
        (error) => error instanceof AuthenticationError && error.message === 'digest sent was rejected',
      );
      assert.equal(await peer.nextLine(), 'AUTHERR digest received was wrong');
      assert.equal((await peer.exited()).code, 0);
    });

    it('a TypeScript Client without a key, to a Python Listener with one, fails its first read with AuthenticationError', async () => {
      const peer = startPython(python, 'py_listener.py', [addressArg({ host: '127.0.0.1', port: 0 }), key.toString('hex'), '1']);
      const address = JSON.parse((await peer.nextLine()).replace(/^ADDRESS /, ''));
      const conn = await within(Client(address), 10_000, 'Client');
      await assert.rejects(
        within(conn.recv(), 10_000, 'recv'),
        (error) => error instanceof AuthenticationError && /the listener requires an authkey/.test(error.message) && error.message.includes('{ authkey }'),
      );
      assert.equal(conn.closed, true);
      // The Python side's accept() ends too (EOFError: the Client closed without answering).
      await peer.exited();
    });

    it('a Python Client with an empty authkey (b"") authenticates to a TypeScript Listener with an empty key', async () => {
      // Every CPython Client runs the handshake for b'' (`if authkey is not None`), so must we.
      const listener = track(new Listener({ host: '127.0.0.1', port: 0 }, { authkey: Buffer.alloc(0) }));
      const peer = startPython(python, 'py_client.py', [addressArg(listener.address), '']);
      const conn = await within(listener.accept(), 10_000, 'accept');
      try {
        assert.equal(await peer.nextLine(), 'CONNECTED');
        assert.match((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), /^hello from 3\.\d+$/);
        conn.sendBytes(Buffer.from('empty key'));
        assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:empty key');
        assert.equal((await peer.exited()).code, 0);
      } finally {
        conn.close();
      }
    });

    if (label.startsWith('3.13')) {
      it('a TypeScript Client with an empty authkey authenticates to a Python 3.13 Listener with authkey=b"" (bpo-43952 fixed)', async () => {
        // 3.11/3.12 Listeners skip the handshake for b'' (`if self._authkey:`) and both sides would wait.
        await echoThroughPythonListener('', new Uint8Array(0));
      });
    }
  });
}

describe('Unix sockets with CPython', needsAddon, () => {
  const python = PYTHONS.at(-1)[1];

  it('a Python Client reaches a Listener on a default (temporary path) address', async () => {
    const listener = track(new Listener(undefined, { authkey: key }));
    assert.equal(typeof listener.address, 'string');
    const peer = startPython(python, 'py_client.py', [addressArg(listener.address), key.toString('hex')]);
    const conn = await within(listener.accept(), 10_000, 'accept');
    try {
      assert.match((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), /^hello from/);
      conn.sendBytes(Buffer.alloc(0));
      assert.equal(await peer.nextLine(), 'CONNECTED');
      assert.equal(await peer.nextLine(), 'GOT ');
      assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:');
      assert.equal(listener.lastAccepted, '');
    } finally {
      conn.close();
    }
  });

  it('a Python Client reaches a Listener on a Linux abstract address, and a TypeScript Client a Python one', async () => {
    const name = `\0mp-ts-test-${process.pid}-${Date.now()}`;
    {
      const listener = track(new Listener(name, { authkey: key }));
      assert.equal(listener.address, name);
      const peer = startPython(python, 'py_client.py', [addressArg(name), key.toString('hex')]);
      const conn = await within(listener.accept(), 10_000, 'accept');
      assert.match((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), /^hello from/);
      conn.sendBytes(Buffer.from('abstract'));
      assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:abstract');
      conn.close();
      assert.equal((await peer.exited()).code, 0);
    }
    const peer = startPython(python, 'py_listener.py', [addressArg(name + '-py'), key.toString('hex'), '1']);
    const address = JSON.parse((await peer.nextLine()).replace(/^ADDRESS /, ''));
    assert.equal(address.path, name + '-py');
    const conn = await within(Client(address.path, { authkey: key }), 10_000, 'Client');
    conn.sendBytes(Buffer.from('to python'));
    assert.equal((await within(conn.recvBytes(), 10_000, 'recvBytes')).toString(), 'echo:to python');
    conn.close();
    assert.equal((await peer.exited()).code, 0);
  });
});
