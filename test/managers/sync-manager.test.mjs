// SyncManager (CPython's _TestContainers, _TestNamespace, TestSyncManagerTypes and the manager
// variants of the queue, lock, event, condition and barrier tests), on every start method: the
// server runs in a child of that method (a thread for 'thread').
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, BrokenBarrierError, Pipe, QueueEmptyError, QueueFullError, RemoteError } from '../../dist/index.js';
import { forEachMethod, needsAddon, processStarter, within } from '../helpers/methods.mjs';
import { appendFromPool, countUnderLock, doubleItems, proxiesFromQueueAndPipe, fill, iterateInChild, square, usePool, waitAtBarrier, waitForEvent, waitForState } from '../fixtures/managers/tasks.mjs';

const { start, join } = processStarter();

forEachMethod((ctx, method) => {
  let manager;
  before(async () => {
    if (!needsAddon.skip) manager = await within(ctx.Manager(), 30_000, `${method} Manager()`);
  });
  after(() => manager?.shutdown());

  test('five processes fill a list and a dict (seed 002)', needsAddon, async () => {
    const list = await manager.list();
    const dict = await manager.dict();
    const children = [0, 1, 2, 3, 4].map((i) => start(ctx, fill, [list, dict, i]));
    for (const p of children) await join(p);
    assert.deepEqual(children.map((p) => p.exitCode), [0, 0, 0, 0, 0]);
    assert.deepEqual((await list.copy()).sort((a, b) => a - b), [0, 1, 4, 9, 16]);
    assert.deepEqual(new Map([...(await dict.copy())].sort()), new Map([['k0', 0], ['k1', 1], ['k2', 2], ['k3', 3], ['k4', 4]]));
  });

  test('list: Python list methods, negative indexes, errors as RemoteError (test_list)', needsAddon, async () => {
    const l = await manager.list([5, 6, 7]);
    await l.append(8);
    await l.extend([9, 10]);
    await l.insert(0, 4);
    await l.insert(-1, 9.5);
    assert.deepEqual(await l.copy(), [4, 5, 6, 7, 8, 9, 9.5, 10]);
    assert.equal(await l.get(-1), 10);
    await l.set(-1, 11);
    await l.delete(0);
    assert.equal(await l.len(), 7);
    assert.equal(await l.includes(9.5), true);
    assert.equal(await l.includes(99), false);
    assert.equal(await l.index(7), 2);
    assert.equal(await l.count(9), 1);
    assert.equal(await l.pop(), 11);
    assert.equal(await l.pop(0), 5);
    await l.remove(9.5);
    await l.reverse();
    assert.deepEqual(await l.copy(), [9, 8, 7, 6]);
    await l.sort();
    assert.deepEqual(await l.copy(), [6, 7, 8, 9]);
    await l.sort({ reverse: true });
    assert.deepEqual(await l.copy(), [9, 8, 7, 6]);
    // Items compare by value, as Python's ==.
    await l.append([1, { a: 2 }]);
    assert.equal(await l.includes([1, { a: 2 }]), true);
    await assert.rejects(l.get(10), (e) => e instanceof RemoteError && e.name === 'RangeError' && /index out of range/.test(e.message));
    await assert.rejects(l.remove('absent'), (e) => e instanceof RemoteError && /not in list/.test(e.message));
    await l.clear();
    assert.equal(await l.len(), 0);
    await assert.rejects(l.pop(), /pop from empty list/);
    // Values come back as copies: changing one changes nothing on the server.
    await l.append({ n: 1 });
    const copy = await l.get(0);
    copy.n = 2;
    assert.deepEqual(await l.get(0), { n: 1 });
  });

  test('dict: Map-like with Python dict methods; for await over its keys (test_dict)', needsAddon, async () => {
    const d = await manager.dict({ a: 1 });
    await d.set('b', 2);
    await d.update(new Map([['c', 3]]));
    await d.update({ d: 4 });
    assert.equal(await d.get('b'), 2);
    assert.equal(await d.get('zz'), undefined);
    assert.equal(await d.get('zz', 0), 0);
    assert.equal(await d.has('c'), true);
    assert.equal(await d.delete('c'), true);
    assert.equal(await d.delete('c'), false);
    assert.equal(await d.len(), 3);
    assert.deepEqual(await d.keys(), ['a', 'b', 'd']);
    assert.deepEqual(await d.values(), [1, 2, 4]);
    assert.deepEqual(await d.items(), [['a', 1], ['b', 2], ['d', 4]]);
    assert.equal(await d.pop('d'), 4);
    assert.equal(await d.pop('d', 'none'), 'none');
    await assert.rejects(d.pop('d'), (e) => e instanceof RemoteError && /not found/.test(e.message));
    assert.equal(await d.setdefault('e', 5), 5);
    assert.equal(await d.setdefault('e', 6), 5);
    assert.deepEqual(await d.popitem(), ['e', 5]);
    const keys = [];
    for await (const key of d) keys.push(key);
    assert.deepEqual(keys, ['a', 'b']);
    // More keys than one round trip carries.
    for (let i = 0; i < 600; i++) await d.set(i, i);
    let n = 0;
    for await (const _ of d) n += 1;
    assert.equal(n, 602);
    await d.clear();
    assert.deepEqual(await d.copy(), new Map());
  });

  test('set (Python 3.14): items by value, errors as Python', needsAddon, async () => {
    const s = await manager.set([1, 2, 2, [3]]);
    assert.equal(await s.len(), 3);
    await s.add(1);
    await s.add([3]);
    assert.equal(await s.len(), 3, 'items compare by value');
    assert.equal(await s.has([3]), true);
    assert.equal(await s.discard(2), true);
    assert.equal(await s.discard(2), false);
    await assert.rejects(s.remove(2), (e) => e instanceof RemoteError && /not in the set/.test(e.message));
    await s.update([4, 5]);
    const seen = [];
    for await (const item of s) seen.push(item);
    assert.deepEqual(seen, [1, [3], 4, 5]);
    assert.deepEqual(await s.copy(), new Set([1, [3], 4, 5]));
    assert.match(String(s), /^<SetProxy object, typeid 'set' at \d+>$/);
    await s.clear();
    await assert.rejects(s.pop(), /empty set/);
  });

  test('Namespace, Value and Array (test_namespace, test_value, test_array)', needsAddon, async () => {
    const ns = await manager.Namespace({ x: 1 });
    await ns.set('y', 'two');
    assert.equal(await ns.get('x'), 1);
    await ns.delete('x');
    assert.deepEqual(await ns.copy(), { y: 'two' });
    await assert.rejects(ns.get('x'), /has no attribute/);
    const v = await manager.Value('i', 7);
    assert.equal(await v.get(), 7);
    await v.set(8);
    assert.equal(await v.get(), 8);
    const a = await manager.Array('d', [1.5, 2.5]);
    assert.equal(await a.len(), 2);
    await a.set(0, 3.5);
    assert.equal(await a.get(0), 3.5);
    assert.deepEqual([...(await a.copy())], [3.5, 2.5]);
    const big = await manager.Array('q', 2);
    await big.set(1, 2n ** 40n);
    assert.equal(await big.get(1), 2n ** 40n);
  });

  test('Queue and JoinableQueue: a child doubles items; empty and full as local queues', needsAddon, async () => {
    const q = await manager.JoinableQueue();
    const out = await manager.Queue();
    const child = start(ctx, doubleItems, [q, out]);
    for (let i = 1; i <= 20; i++) await q.put(i);
    await q.put(null);
    const got = [];
    for (let i = 0; i < 20; i++) got.push(await out.get({ timeout: 20_000 }));
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => 2 * (i + 1)));
    await assert.rejects(out.getNowait(), QueueEmptyError);
    await assert.rejects(out.get({ timeout: 30 }), QueueEmptyError);
    const small = await manager.Queue(1);
    await small.put('a');
    assert.equal(await small.full(), true);
    await assert.rejects(small.putNowait('b'), QueueFullError);
    await assert.rejects(small.put('b', { timeout: 30 }), QueueFullError);
    const jq = await manager.JoinableQueue();
    await jq.put(1);
    assert.equal(await jq.join({ timeout: 30 }), false);
    await jq.get();
    await jq.taskDone();
    assert.equal(await jq.join({ timeout: 5000 }), true);
  });

  test('a waiting call holds back no other: a get waits while other calls on the same connection answer', needsAddon, async () => {
    const q = await manager.Queue();
    const l = await manager.list();
    const waiting = q.get({ timeout: 20_000 });
    for (let i = 0; i < 10; i++) await l.append(i);
    assert.equal(await l.len(), 10);
    await q.put('late');
    assert.equal(await waiting, 'late');
  });

  test('an aborted get rejects with AbortError and takes nothing: the next item goes to the next get', needsAddon, async () => {
    const q = await manager.Queue();
    const controller = new AbortController();
    const aborted = q.get({ signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted, AbortError);
    await q.put('kept');
    assert.equal(await q.get({ timeout: 5000 }), 'kept');
    await assert.rejects(q.get({ signal: AbortSignal.abort() }), AbortError);
  });

  test('Lock + Value: four processes count exactly; RLock belongs to the client that took it', needsAddon, async () => {
    const lock = await manager.Lock();
    const value = await manager.Value('i', 0);
    const children = [0, 1, 2, 3].map(() => start(ctx, countUnderLock, [lock, value, 50]));
    for (const p of children) await join(p, 60_000);
    assert.deepEqual(children.map((p) => p.exitCode), [0, 0, 0, 0]);
    assert.equal(await value.get(), 200);
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.acquire({ block: false }), false);
    assert.equal(await lock.acquire({ timeout: 20 }), false);
    await lock.release();
    await assert.rejects(lock.release(), (e) => e instanceof RemoteError && /release unlocked lock/.test(e.message));
    const rlock = await manager.RLock();
    assert.equal(await rlock.acquire(), true);
    assert.equal(await rlock.acquire(), true);
    await rlock.release();
    await rlock.release();
    await assert.rejects(rlock.release(), /cannot release un-acquired lock/);
    const sem = await manager.BoundedSemaphore(2);
    assert.equal(await sem.acquire(), true);
    assert.equal(await sem.acquire(), true);
    assert.equal(await sem.acquire({ timeout: 20 }), false);
    await sem.release();
    await sem.release();
    await assert.rejects(sem.release(), /released too many times/);
  });

  test('Event, Condition (waitFor with an async predicate) and Barrier across processes', needsAddon, async () => {
    const event = await manager.Event();
    const seen = await manager.list();
    const waiters = [0, 1].map(() => start(ctx, waitForEvent, [event, seen]));
    assert.equal(await event.isSet(), false);
    await event.set();
    for (const p of waiters) await join(p);
    assert.deepEqual(await seen.copy(), [true, true]);
    assert.equal(await event.wait({ timeout: 10 }), true);
    await event.clear();
    assert.equal(await event.wait({ timeout: 10 }), false);

    const cond = await manager.Condition();
    const state = await manager.Value('i', 0);
    const results = await manager.list();
    const child = start(ctx, waitForState, [cond, state, 3, results]);
    for (let i = 1; i <= 3; i++) {
      await cond.acquire();
      await state.set(i);
      await cond.notifyAll();
      await cond.release();
    }
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.deepEqual(await results.copy(), [true]);
    await cond.acquire();
    assert.equal(await cond.wait({ timeout: 20 }), false, 'nobody notifies');
    assert.equal(await cond.waitFor(() => false, { timeout: 20 }), false);
    await cond.release();
    await assert.rejects(cond.notify(), /un-acquired lock/);

    const barrier = await manager.Barrier(3);
    const indices = await manager.list();
    const parties = [0, 1].map(() => start(ctx, waitAtBarrier, [barrier, indices]));
    const mine = await barrier.wait({ timeout: 20_000 });
    for (const p of parties) await join(p);
    assert.deepEqual([...(await indices.copy()), mine].sort(), [0, 1, 2]);
    assert.equal(await barrier.parties(), 3);
    assert.equal(await barrier.nWaiting(), 0);
    await assert.rejects(barrier.wait({ timeout: 20 }), BrokenBarrierError);
    assert.equal(await barrier.broken(), true);
    await barrier.reset();
    assert.equal(await barrier.broken(), false);
  });

  test('Condition(lock) waits over a Lock or RLock of the same manager', needsAddon, async () => {
    for (const kind of ['Lock', 'RLock']) {
      const lock = await manager[kind]();
      const cond = await manager.Condition(lock);
      const state = await manager.Value('i', 0);
      const results = await manager.list();
      const child = start(ctx, waitForState, [cond, state, 2, results]);
      for (let i = 1; i <= 2; i++) {
        await lock.acquire();
        await state.set(i);
        await cond.notifyAll();
        await lock.release();
      }
      await join(child);
      assert.equal(child.exitCode, 0);
      assert.deepEqual(await results.copy(), [true]);
      assert.equal(await cond.acquire({ timeout: 1000 }), true);
      // The condition's lock is that lock: a Lock is now held, an RLock is taken again by its owner.
      assert.equal(await lock.acquire({ block: false }), kind === 'RLock', kind);
      if (kind === 'RLock') await lock.release();
      await cond.release();
    }
    await assert.rejects(manager.Condition(await manager.list()), (e) => e instanceof RemoteError && /must be a Lock or RLock of the same manager/.test(e.message));
  });

  test('proxies travel as Pool task arguments, Queue items and Pipe messages', needsAddon, async () => {
    const list = await manager.list();
    const pool = new ctx.Pool(2);
    try {
      assert.deepEqual(await pool.starmap(appendFromPool, [[list, 1], [list, 2], [list, 3]]), [1, 2, 3]);
    } finally {
      await pool[Symbol.asyncDispose]();
    }
    assert.deepEqual((await list.copy()).sort(), [1, 2, 3]);
    const queue = new ctx.Queue();
    const [here, there] = Pipe();
    const child = start(ctx, proxiesFromQueueAndPipe, [queue, there]);
    await queue.put(list);
    here.send(list);
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.deepEqual((await list.copy()).slice(3).sort(), ['via pipe', 'via queue']);
    queue.close();
    here.close();
    there.close();
  });

  test('proxies sent to a child iterate there (a dict is iterated through its own proxy)', needsAddon, async () => {
    const dict = await manager.dict({ a: 1, b: 2 });
    const list = await manager.list([1, 2, 3]);
    const out = await manager.dict();
    const child = start(ctx, iterateInChild, [dict, list, out]);
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.deepEqual(await out.get('keys'), ['a', 'b']);
    assert.deepEqual(await out.get('items'), [1, 2, 3]);
  });

  test('Pool through the manager: map, imap, applyAsync, from here and from a child', needsAddon, async () => {
    const pool = await manager.Pool(2);
    assert.deepEqual(await pool.map(square, [1, 2, 3, 4]), [1, 4, 9, 16]);
    assert.equal(await pool.apply(square, [7]), 49);
    const seen = [];
    for await (const y of await pool.imap(square, [1, 2, 3])) seen.push(y);
    assert.deepEqual(seen, [1, 4, 9]);
    const result = await pool.applyAsync(square, [9]);
    assert.equal(await result.get({ timeout: 20_000 }), 81);
    assert.equal(await result.ready(), true);
    assert.equal(await result.successful(), true);
    const out = await manager.dict();
    const child = start(ctx, usePool, [pool, out]);
    await join(child, 60_000);
    assert.equal(child.exitCode, 0);
    assert.deepEqual(await out.get('map'), [1, 4, 9]);
    assert.deepEqual(await out.get('imap'), [16, 25, 36]);
    await pool.close();
    await pool.join();
  });

  test('a proxy stored in a managed container stays live and comes back as a proxy', needsAddon, async () => {
    const inner = await manager.list([1]);
    const outer = await manager.dict();
    await outer.set('inner', inner);
    const again = await outer.get('inner');
    await again.append(2);
    assert.deepEqual(await inner.copy(), [1, 2]);
    await inner[Symbol.asyncDispose]();
    await again[Symbol.asyncDispose]();
    const third = await outer.get('inner');
    await third.append(3);
    assert.deepEqual(await third.copy(), [1, 2, 3], 'the container holds its own reference');
  });
});
