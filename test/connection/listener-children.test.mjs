// A Listener handed to a child as a Process argument keeps listening there, on every start
// method (CPython passes a TCP listener's socket to spawn children the same way).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, Client, Listener, ProcessError } from '../../dist/index.js';
import { cleanup, forEachMethod, needsAddon, within } from '../helpers/methods.mjs';
import { serveOne } from '../fixtures/connection/tasks.mjs';

const started = [];
const listeners = [];
afterEach(async () => {
  await cleanup(started.splice(0));
  for (const l of listeners.splice(0)) await l.close();
});

function start(ctx, target, args) {
  const p = new ctx.Process({ target, args });
  started.push(p);
  p.start();
  return p;
}

const key = Buffer.from('listener key');

forEachMethod((ctx, method) => {
  test('a TCP Listener with an authkey accepts in the child; the parent accepts again afterwards', needsAddon, async () => {
    const listener = new Listener({ host: '127.0.0.1', port: 0 }, { authkey: key });
    listeners.push(listener);
    const p = start(ctx, serveOne, [listener, false]);
    const conn = await within(Client(listener.address, { authkey: key }), 20_000, 'connect');
    conn.send('to the child');
    const reply = await within(conn.recv(), 20_000, 'reply');
    conn.close();
    assert.equal(reply.got, 'to the child');
    assert.deepEqual(reply.address, listener.address);
    assert.equal(reply.family, 'AF_INET');
    if (method !== 'thread') assert.notEqual(reply.pid, process.pid, 'the child accepted it');
    await within(p.join(), 20_000, 'join');
    assert.equal(p.exitCode, 0);
    // The parent's listener still works, with its key.
    const accepted = listener.accept();
    const again = await within(Client(listener.address, { authkey: key }), 10_000, 'connect again');
    const mine = await within(accepted, 10_000, 'accept here');
    again.sendBytes(Buffer.from('to the parent'));
    assert.deepEqual(await within(mine.recvBytes(), 10_000), Buffer.from('to the parent'));
    again.close();
    mine.close();
    // The child's copy has its key: a wrong key is refused there too.
    const q = start(ctx, serveOne, [listener]);
    await assert.rejects(within(Client(listener.address, { authkey: Buffer.from('wrong') }), 20_000, 'wrong key'), AuthenticationError);
    await within(q.join(), 20_000, 'join');
    assert.notEqual(q.exitCode, 0, 'the child accept failed the handshake');
  });

  test('a Unix Listener at a temporary path accepts in the child; closing the copy there keeps the path', needsAddon, async () => {
    const listener = new Listener();
    listeners.push(listener);
    assert.equal(listener.family, 'AF_UNIX');
    const p = start(ctx, serveOne, [listener]);
    const conn = await within(Client(listener.address), 20_000, 'connect');
    conn.send(42);
    assert.equal((await within(conn.recv(), 20_000, 'reply')).got, 42);
    conn.close();
    await within(p.join(), 20_000, 'join');
    assert.equal(p.exitCode, 0);
    // The child closed its copy: the parent's listener (and its path) still serve.
    const accepted = listener.accept();
    const again = await within(Client(listener.address), 10_000, 'connect again');
    (await within(accepted, 10_000)).close();
    again.close();
  });
});

test('an idle Listener leaves connections to whoever accepts; a closed one cannot be passed', needsAddon, async () => {
  const listener = new Listener({ host: '127.0.0.1', port: 0 });
  listeners.push(listener);
  // Connected before anyone accepts: the connection waits in the kernel for the next accept.
  const early = await within(Client(listener.address), 10_000, 'connect');
  const conn = await within(listener.accept(), 10_000, 'accept');
  early.send('early');
  assert.equal(await within(conn.recv(), 10_000), 'early');
  early.close();
  conn.close();
  await listener.close();
  const { Process } = await import('../../dist/index.js');
  const p = new Process({ target: serveOne, args: [listener] });
  assert.throws(() => p.start(), (e) => e instanceof ProcessError && /listener is closed/.test(e.message));
});
