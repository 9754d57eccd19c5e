// BaseManager (CPython's _TestMyManager, _TestRemoteManager, _TestManagerRestart): registered
// types, TCP with an authkey, connect() from elsewhere, get_server().serve_forever(), the errors
// of each state, and what happens when the server or a client dies.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, BaseManager, EOFError, Event, ProcessError, Queue, RemoteError, activeChildren, getContext } from '../../dist/index.js';
import { NO_ADDON, forEachMethod, needsAddon, processStarter, within } from '../helpers/methods.mjs';
import { LogManager, MathManager, MathProxyManager, failingInitializer, addTwiceInChild, startManagerAndWait, addWithProxy, connectAndAdd, holdLockForever, managerLeftRunning, markInitialized, serveMath, useLater } from '../fixtures/managers/tasks.mjs';

const { start, join } = processStarter();
const managers = [];
after(() => Promise.all(managers.map((m) => m.shutdown())));
function track(manager) {
  managers.push(manager);
  return manager;
}

test('register() checks its arguments and says what is wrong', () => {
  class M extends BaseManager {}
  assert.throws(() => M.register(''), TypeError);
  assert.throws(() => M.register('X', 42), /callable must be a class or a function/);
  assert.throws(() => M.register('X', null, { exposed: 'add' }), /exposed must be an array of method names/);
  assert.throws(() => M.register('X', null, { exposed: ['then'] }), /cannot be exposed/);
  assert.throws(() => M.register('X', null, { methodToTypeid: { counter: 3 } }), /methodToTypeid.counter must be a typeid/);
  M.register('Y');
  assert.equal(typeof M.prototype.Y, 'function', 'a method named after the typeid');
  assert.equal(typeof BaseManager.prototype.Y, 'undefined', 'registered on the subclass only');
});

test('states: create before start, start twice, calls after shutdown, shutdown before start', needsAddon, async () => {
  const m = track(new MathManager());
  await assert.rejects(m.create('Math'), /Manager not started/);
  await m.shutdown();
  await m.shutdown();
  await assert.rejects(m.start(), /Manager has shut down/);
  const n = track(new MathManager());
  await assert.rejects(n.start({ initializer: 3 }), TypeError);
  await n.start();
  await assert.rejects(n.start(), /Already started server/);
  const math = await n.Math();
  await n.shutdown();
  await assert.rejects(math.add(1, 2), (e) => e instanceof ProcessError && /has shut down/.test(e.message));
  await assert.rejects(n.create('Math'), /Manager has shut down/);
});

forEachMethod((ctx, method) => {
  test('a registered class on TCP with an authkey: methods, methodToTypeid, errors with the server stack', needsAddon, async () => {
    const authkey = Buffer.from('secret-key');
    const m = track(new MathManager({ address: ['127.0.0.1', 0], authkey, context: ctx }));
    await m.start({ initializer: markInitialized, initargs: ['ready'] });
    assert.equal(typeof m.address.port, 'number');
    assert.notEqual(m.address.port, 0, 'port 0 resolved');
    const math = await m.Math();
    assert.equal(await math.add(4, 4), 8);
    assert.equal(await math.mul(3, 5), 15);
    assert.match(String(math), /AutoProxy\[Math\] object, typeid 'Math'/);
    const counter = await math.counter();
    assert.equal(await counter.increment(), 1);
    assert.equal(await counter.increment(), 2);
    assert.equal(await (await m.create('Math')).add(1, 1), 2);
    assert.equal(await (await m.Mark()).mark(), 'ready', 'the initializer ran in the server');
    await assert.rejects(math.fail('bad input'), (e) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.name, 'RangeError');
      assert.equal(e.message, 'bad input');
      assert.equal(e.code, 'ERR_MATH');
      assert.deepEqual(e.detail, { x: 1 });
      assert.match(e.remoteStack, /at MathClass\.fail/, 'the server stack is kept');
      return true;
    });
    await assert.rejects(math._callMethod('_private'), (e) => e instanceof RemoteError && /method '_private' of Math is not exposed/.test(e.message));
    assert.equal(math._private, undefined, 'private methods are not on the proxy');
    await assert.rejects(m.create('Nope'), (e) => e instanceof RemoteError && /no typeid "Nope"/.test(e.message));
    // Calls in flight together, on one connection, each answered.
    const answers = await Promise.all([math.slow(30, 'a'), math.add(1, 2), math.slow(1, 'b')]);
    assert.deepEqual(answers, ['a', 3, 'b']);

    // Another client, in a child, connects with the address and key.
    const out = await (await track(await getContext(method).Manager())).dict();
    const child = start(ctx, connectAndAdd, [m.address, authkey, out]);
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.equal(await out.get('sum'), 8);

    // A proxy given to a child as an argument brings the manager's key with it.
    const sums = new Queue();
    const user = start(ctx, addWithProxy, [math, sums]);
    assert.equal(await sums.get({ timeout: 20_000 }), 42);
    await join(user);
    assert.equal(user.exitCode, 0);
    sums.close();

    const wrong = new MathManager({ address: m.address, authkey: Buffer.from('wrong') });
    await assert.rejects(wrong.connect(), AuthenticationError);
    assert.equal(await math.add(2, 2), 4, 'the server serves on after a wrong key');
  });

  test('proxytype: a BaseProxy subclass adds methods of its own, here and in a child', needsAddon, async () => {
    const m = track(new MathProxyManager({ context: ctx }));
    await m.start();
    const math = await m.Math();
    assert.equal(await math.addTwice(2, 3), 10);
    assert.equal(await math.add(2, 3), 5, 'the exposed methods are there too');
    assert.match(String(math), /^<MathProxy object, typeid 'Math' at \d+>$/);
    const out = new Queue();
    const child = start(ctx, addTwiceInChild, [math, out]);
    const [sum, shown] = await out.get({ timeout: 20_000 });
    assert.equal(sum, 6);
    assert.match(shown, /^<MathProxy object/);
    await join(child);
    out.close();
    assert.throws(() => MathProxyManager.register('X', null, { proxytype: class {} }), /proxytype must be a subclass of BaseProxy/);
  });

  test('when the server dies, pending and later calls reject at once, naming the manager', needsAddon, async () => {
    const m = track(new MathManager({ context: ctx }));
    const before = new Set(activeChildren());
    await m.start();
    const math = await m.Math();
    const pending = math.slow(60_000, 'never');
    // Kill the server from outside: it is the child this start() added.
    const serverProcess = activeChildren().find((p) => !before.has(p) && p.name.startsWith('MathManager-'));
    assert.ok(serverProcess, 'the server is a child');
    if (method === 'thread') serverProcess.terminate();
    else serverProcess.kill();
    await assert.rejects(within(pending, 10_000, 'the pending call'), (e) => (e instanceof EOFError || e instanceof ProcessError) && /MathManager at/.test(e.message));
    await assert.rejects(within(math.add(1, 1), 10_000, 'a later call'), /MathManager at/);
  });

  test('a proxy sent to a child holds its own reference: the parent may drop its proxy first', needsAddon, async () => {
    const m = track(await ctx.Manager());
    const list = await m.list();
    const ready = new Event();
    const go = new Event();
    const child = start(ctx, useLater, [list, ready, go]);
    assert.equal(await ready.wait({ timeout: 20_000 }), true);
    const before = await m._numberOfObjects();
    await list[Symbol.asyncDispose]();
    go.set();
    await join(child);
    assert.equal(child.exitCode, 0, 'the child could still use the list');
    assert.equal(before, 1);
    // The child's reference went with it.
    assert.equal(await m._numberOfObjects(), 0);
  });

  test('a child that starts a manager and never shuts it down still ends (its server ends with it)', needsAddon, async () => {
    const out = new Queue();
    const child = start(ctx, managerLeftRunning, [method, out]);
    assert.deepEqual(await out.get({ timeout: 20_000 }), [1, 2, 3]);
    await join(child);
    assert.equal(child.exitCode, 0);
    out.close();
  });

  test('a client killed holding a managed Lock: the lock is released and its references dropped', needsAddon, async () => {
    const m = track(await ctx.Manager());
    const lock = await m.Lock();
    const held = await m.Event();
    const child = start(ctx, holdLockForever, [lock, held]);
    assert.equal(await held.wait({ timeout: 20_000 }), true);
    assert.equal(await lock.acquire({ timeout: 10 }), false, 'the child holds it');
    if (method === 'thread') child.terminate();
    else child.kill();
    await join(child);
    assert.equal(await lock.acquire({ timeout: 10_000 }), true, 'released when its holder disconnected');
    await lock.release();
  });
});

test('getServer().serveForever() in another process; a client connects with the key (seed 002)', needsAddon, async () => {
  const authkey = Buffer.from('secret-key');
  const addresses = new Queue();
  const server = start(getContext('spawn'), serveMath, [authkey, addresses]);
  const address = await addresses.get({ timeout: 20_000 });
  const client = new MathManager({ address, authkey });
  await client.connect();
  const math = await client.Math();
  assert.equal(await math.add(4, 4), 8);
  await assert.rejects(new MathManager({ address, authkey: Buffer.from('nope') }).connect(), AuthenticationError);
  await client.shutdown();
  server.kill();
  await join(server);
  addresses.close();
});

test('bad input: unsendable arguments fail at the call site; malformed requests fail alone; the server lives', needsAddon, async () => {
  const { Client, PicklingError, SyncManager } = await import('../../dist/index.js');
  const authkey = Buffer.from('k');
  const m = track(new SyncManager({ authkey }));
  await m.start();
  const l = await m.list();
  await assert.rejects(l.append(() => 1), PicklingError);
  await assert.rejects(l._callMethod('append', [Symbol('s')]), PicklingError);
  // A client that holds the key but speaks nonsense.
  const raw = await Client(m.address, { authkey });
  // The server says who it is inside the handshake: its hello is the first message.
  const hello = await within(raw.recv(), 10_000, 'the hello');
  assert.equal(typeof hello.server, 'string');
  assert.deepEqual(hello.address, m.address);
  raw.send('not a request');
  raw.sendBytes(Buffer.from([0xff, 0x00, 0x13, 0x37]));
  raw.send({ op: 'call', id: 1, target: 'no-such-object', method: 'append', args: [1] });
  const reply = await within(raw.recv(), 10_000, 'the reply to a bad call');
  assert.equal(reply.id, 1);
  assert.equal(reply.kind, 'error');
  assert.match(reply.error.message, /holds no object with id "no-such-object"/);
  raw.send({ op: 'create', id: 2, typeid: 'list', args: 'not an array' });
  assert.equal((await raw.recv()).kind, 'proxy', 'bad args are taken as none');
  raw.send({ op: 'frobnicate', id: 3 });
  assert.match((await raw.recv()).error.message, /unknown request 'frobnicate'/);
  raw.close();
  await l.append(1);
  assert.deepEqual(await l.copy(), [1], 'the server serves on');
  await assert.rejects(Client(m.address, { authkey: Buffer.from('wrong') }), AuthenticationError);
  assert.equal(await l.len(), 1);
});

forEachMethod((ctx, method) => {
  test('a manager server whose owner is SIGKILLed exits too (CPython gh-81158: it lives on)', needsAddon, async () => {
    const { untilGone } = await import('../fixtures/process/observe.mjs');
    const out = new Queue();
    const owner = start(getContext('spawn'), startManagerAndWait, [method, out]);
    const serverPid = await out.get({ timeout: 30_000 });
    assert.ok(serverPid > 0 && serverPid !== owner.pid);
    owner.kill();
    await join(owner);
    assert.equal(await untilGone(serverPid, 10_000), true, 'the server ended with its owner');
    out.close();
  });
}, ['spawn', 'forkserver']);

test("address ['', 0] listens on every interface; a client reaches it on the loopback", needsAddon, async () => {
  const { SyncManager } = await import('../../dist/index.js');
  const authkey = Buffer.from('k');
  const m = track(new SyncManager({ address: ['', 0], authkey }));
  await m.start();
  assert.equal(m.address.host, '0.0.0.0');
  const client = new SyncManager({ address: ['127.0.0.1', m.address.port], authkey });
  await client.connect();
  assert.deepEqual(await (await client.list([1])).copy(), [1]);
  const mine = await m.list([2]);
  await client.shutdown();
  // A manager that only connected leaves the server, and the connection others share, as they are.
  await mine.append(3);
  assert.deepEqual(await mine.copy(), [2, 3]);
  await m.shutdown();
});

test('a manager restarts on the address of one just shut down (test_rapid_restart)', needsAddon, async () => {
  const { SyncManager } = await import('../../dist/index.js');
  const first = track(new SyncManager({ address: ['127.0.0.1', 0] }));
  await first.start();
  const { port } = first.address;
  await (await first.list([1])).append(2);
  await first.shutdown();
  const second = track(new SyncManager({ address: ['127.0.0.1', port] }));
  await second.start();
  assert.equal(second.address.port, port);
  assert.deepEqual(await (await second.list([3])).copy(), [3]);
  await second.shutdown();
});

test('serveForever() in this process resolves once the server is closed', needsAddon, async () => {
  const m = new MathManager({ address: ['127.0.0.1', 0] });
  const server = m.getServer();
  const serving = server.serveForever();
  const client = new MathManager({ address: server.address });
  await client.connect();
  assert.equal(await (await client.Math()).add(20, 22), 42);
  await server.close();
  await within(serving, 5000, 'serveForever');
  await client.shutdown();
});

test('without the native addon, start() says it needs it', { skip: !NO_ADDON && 'runs without the native addon' }, async () => {
  const m = new MathManager();
  await assert.rejects(m.start(), (e) => e instanceof ProcessError && /start\(\) needs the native addon/.test(e.message));
  await assert.rejects(m.start(), /Manager has shut down|needs the native addon/);
});

forEachMethod((ctx, method) => {
  test('calls on one proxy reach the server in the order they are made: with a signal, and before the connection is known', needsAddon, async () => {
    const m = track(new LogManager({ context: ctx }));
    await m.start();
    const log = await m.Log();
    // The first calls of a new proxy, with other code running between them.
    const calls = [log.add(1)];
    const later = (async () => {
      await null;
      calls.push(log.add(3));
    })();
    calls.push(log.add(2));
    await later;
    await within(Promise.all(calls), 10_000, 'first calls');
    // Connected: a call with a signal, then a plain one.
    const controller = new AbortController();
    const first = log.add(4, { signal: controller.signal });
    const second = log.add(5);
    await within(Promise.all([first, second]), 10_000, 'calls');
    assert.deepEqual(await log.all(), [1, 2, 3, 4, 5]);
  });

  test('a server whose initializer fails: start() says it exited before it was ready, with its exit code', needsAddon, async () => {
    const m = track(new LogManager({ context: ctx }));
    await assert.rejects(within(m.start({ initializer: failingInitializer }), 20_000, 'start'), (e) => {
      assert.ok(e instanceof ProcessError, String(e));
      assert.match(e.message, /exited \(exit code 1\) before it was ready/);
      return true;
    });
  });
});
