// Lock and RLock: CPython's _TestLock (test_lock, test_rlock), the misuse errors, timeouts and
// AbortSignal cancellation of every blocking call, and the same locks held and released across
// processes and threads on every start method: exact counting under contention, a non-owner's
// RLock release refused, and a holder killed by SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError,
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  ProcessError,
  RLock,
  RawArray,
  Semaphore,
  TimeoutError,
  getContext,
} from '../../dist/index.js';
import { PROCESS_METHODS, forEachMethod, processStarter, within } from '../helpers/methods.mjs';
import {
  countUnderLock,
  expectLockBusy,
  expectRLockReleaseRefused,
  holdLock,
  holdLockForever,
  releaseLock,
  reprOf,
} from '../fixtures/synchronize/locks.mjs';

const { start, join } = processStarter();

test('a Lock is taken once and refuses a second taker, as CPython test_lock', async () => {
  const lock = new Lock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ block: false }), false);
  assert.equal(lock.acquireSync({ block: false }), false);
  assert.equal(lock.isLocked(), true);
  assert.equal(lock.release(), undefined);
  assert.equal(lock.isLocked(), false);
  assert.throws(() => lock.release(), (e) => e instanceof ProcessError && e.message === 'semaphore or lock released too many times');
  assert.equal(lock.acquireSync(), true);
  lock.release();
});

test('a Lock shows its owner as CPython does', () => {
  const lock = new Lock();
  assert.equal(String(lock), '<Lock(owner=None)>');
  lock.acquireSync();
  assert.equal(String(lock), '<Lock(owner=MainProcess)>');
  lock.release();
  assert.equal(String(lock), '<Lock(owner=None)>');
});

test('an RLock is taken again by its owner and freed after as many releases, as CPython test_rlock', async () => {
  const lock = new RLock();
  assert.equal(String(lock), '<RLock(None, 0)>');
  assert.equal(await lock.acquire(), true);
  assert.equal(lock.acquireSync(), true);
  assert.equal(await lock.acquire({ block: false }), true);
  assert.equal(String(lock), '<RLock(MainProcess, 3)>');
  assert.equal(lock.release(), undefined);
  assert.equal(lock.release(), undefined);
  assert.equal(String(lock), '<RLock(MainProcess, 1)>');
  assert.equal(lock.release(), undefined);
  assert.equal(String(lock), '<RLock(None, 0)>');
  assert.throws(
    () => lock.release(),
    (e) => e instanceof ProcessError && e.message === 'attempt to release recursive lock not owned by thread',
  );
});

for (const Kind of [Lock, RLock]) {
  test(`${Kind.name}: every blocking call gives up at its timeout`, async () => {
    const lock = new Kind();
    // Held by a worker thread, so the owner (for an RLock) is someone else.
    const held = new Event();
    const letGo = new Event();
    const holder = start(getContext('thread'), holdLock, [lock, held, letGo]);
    assert.equal(await held.wait({ timeout: 10_000 }), true);
    assert.equal(lock.acquireSync({ timeout: 30 }), false);
    assert.equal(await lock.acquire({ timeout: 30 }), false);
    assert.equal(lock.acquireSync({ timeout: 0 }), false);
    assert.equal(await lock.acquire({ timeout: -5 }), false, 'a negative timeout counts as 0');
    assert.equal(lock.acquireSync({ block: false, timeout: 10_000 }), false, 'block: false ignores the timeout');
    letGo.set();
    assert.equal(await lock.acquire({ timeout: 10_000 }), true, 'taken once its holder lets go');
    lock.release();
    await join(holder);
    assert.equal(holder.exitCode, 0);
  });

  test(`${Kind.name}: an aborted acquire is removed and does not take the lock later`, async () => {
    const lock = new Kind();
    const held = new Event();
    const letGo = new Event();
    const holder = start(getContext('thread'), holdLock, [lock, held, letGo]);
    assert.equal(await held.wait({ timeout: 10_000 }), true);

    const controller = new AbortController();
    const pending = lock.acquire({ signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    await assert.rejects(pending, (e) => e instanceof AbortError && e.name === 'AbortError' && e.cause?.message === 'changed my mind');

    letGo.set();
    await join(holder);
    assert.equal(lock.acquireSync({ block: false }), true, 'the lock is free: the aborted waiter did not take it');
    lock.release();

    const aborted = AbortSignal.abort();
    await assert.rejects(lock.acquire({ signal: aborted }), AbortError, 'an already aborted signal rejects at once');
    assert.equal(lock.acquireSync({ block: false }), true, 'and takes nothing');
    lock.release();
  });

  test(`${Kind.name}: bad options are TypeErrors`, async () => {
    const lock = new Kind();
    await assert.rejects(lock.acquire({ timeout: 'soon' }), TypeError);
    await assert.rejects(lock.acquire({ block: 1 }), TypeError);
    await assert.rejects(lock.acquire({ signal: {} }), TypeError);
    await assert.rejects(lock.acquire(5), TypeError);
    assert.throws(() => lock.acquireSync({ timeout: NaN }), TypeError);
    assert.throws(() => lock.acquireSync({ block: 'yes' }), TypeError);
    assert.equal(lock.acquireSync({ block: false }), true, 'nothing was taken by the refused calls');
    lock.release();
  });
}

test('contexts offer the synchronization classes, as CPython context objects', () => {
  for (const method of ['spawn', 'forkserver', 'thread']) {
    const ctx = getContext(method);
    assert.equal(ctx.Lock, Lock);
    assert.equal(ctx.RLock, RLock);
    assert.equal(ctx.Semaphore, Semaphore);
    assert.equal(ctx.BoundedSemaphore, BoundedSemaphore);
    assert.equal(ctx.Condition, Condition);
    assert.equal(ctx.Event, Event);
    assert.equal(ctx.Barrier, Barrier);
  }
});

forEachMethod((ctx, method) => {
  test('a Lock held by a child blocks the parent until the child lets go', async () => {
    const lock = new Lock();
    const held = new Event();
    const letGo = new Event();
    const p = start(ctx, holdLock, [lock, held, letGo]);
    assert.equal(await held.wait({ timeout: 15_000 }), true);
    assert.equal(lock.isLocked(), true);
    assert.equal(String(lock), method === 'thread' ? '<Lock(owner=SomeOtherThread)>' : '<Lock(owner=SomeOtherProcess)>');
    assert.equal(await lock.acquire({ timeout: 30 }), false);
    assert.equal(lock.acquireSync({ timeout: 30 }), false);
    const waiting = lock.acquire({ timeout: 15_000 });
    letGo.set();
    assert.equal(await waiting, true);
    lock.release();
    await join(p);
    assert.equal(p.exitCode, 0);
  });

  test('a Lock held by the parent is busy in a child, which may release it (any holder may)', async () => {
    const lock = new Lock();
    lock.acquireSync();
    const out = RawArray('i', 1);
    const seer = start(ctx, reprOf, [lock, out, 0]);
    const busy = start(ctx, expectLockBusy, [lock]);
    await join(seer);
    await join(busy);
    assert.equal(busy.exitCode, 0);
    assert.equal(out[0], method === 'thread' ? 2 : 1, 'the child sees the lock owned by someone else');
    const releaser = start(ctx, releaseLock, [lock]);
    await join(releaser);
    assert.equal(releaser.exitCode, 0);
    assert.equal(lock.isLocked(), false);
  });

  test('an RLock owned by the parent cannot be released or taken by a child', async () => {
    const rlock = new RLock();
    rlock.acquireSync();
    rlock.acquireSync();
    const refused = start(ctx, expectRLockReleaseRefused, [rlock]);
    const busy = start(ctx, expectLockBusy, [rlock]);
    await join(refused);
    await join(busy);
    assert.equal(refused.exitCode, 0);
    assert.equal(busy.exitCode, 0);
    assert.equal(String(rlock), '<RLock(MainProcess, 2)>', 'the count is untouched');
    rlock.release();
    rlock.release();
  });

  for (const Kind of [Lock, RLock]) {
    test(`${Kind.name}: 2 children x 20,000 increments under the lock lose nothing`, async () => {
      const lock = new Kind();
      const counter = RawArray('i', 1);
      const n = 20_000;
      const a = start(ctx, countUnderLock, [lock, counter, n, 'sync']);
      const b = start(ctx, countUnderLock, [lock, counter, n, 'async']);
      await join(a, 60_000);
      await join(b, 60_000);
      assert.equal(a.exitCode, 0);
      assert.equal(b.exitCode, 0);
      assert.equal(counter[0], 2 * n);
      assert.equal(lock.acquireSync({ block: false }), true, 'the lock is free at the end');
      lock.release();
    });
  }

  test('RLock: the main thread counts beside a child; a half-written owner is never taken for the main thread', async () => {
    // The main thread's id is 0: an owner word read between a new owner's two writes must not
    // look like the main thread's (it took the lock without waiting, then released the child's).
    const rlock = new RLock();
    const counter = RawArray('i', 1);
    const n = 20_000;
    const child = start(ctx, countUnderLock, [rlock, counter, n, 'sync']);
    await countUnderLock(rlock, counter, n, 'async');
    await join(child, 60_000);
    assert.equal(child.exitCode, 0);
    assert.equal(counter[0], 2 * n);
    assert.equal(String(rlock), '<RLock(None, 0)>');
  });
});

forEachMethod((ctx) => {
  test('a child SIGKILLed while holding a Lock: the lock stays held, the survivors time out cleanly', async () => {
    const lock = new Lock();
    const held = new Event();
    const p = start(ctx, holdLockForever, [lock, held]);
    assert.equal(await held.wait({ timeout: 15_000 }), true);
    p.kill();
    await join(p);
    assert.equal(p.exitCode, -9);
    // Nothing releases a lock whose holder was killed (as with CPython's semaphores): it stays
    // held, and every waiter gets its timeout. Waiters that may outlive a holder should use one.
    assert.equal(lock.isLocked(), true);
    assert.equal(lock.acquireSync({ timeout: 50 }), false);
    assert.equal(await lock.acquire({ timeout: 50 }), false);
    const other = start(ctx, expectLockBusy, [lock]);
    await join(other);
    assert.equal(other.exitCode, 0, 'another child also gets false from its timed acquires');
  });
}, PROCESS_METHODS);

forEachMethod((ctx) => {
  for (const [name, make] of [
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
    ['Semaphore', () => new Semaphore(1)],
  ]) {
    test(`a ${name} kept by a killed holder: every timed acquire and hold gives up at its timeout`, async () => {
      const lock = make();
      const held = new Event();
      const p = start(ctx, holdLockForever, [lock, held]);
      assert.equal(await held.wait({ timeout: 15_000 }), true);
      p.kill();
      await join(p);
      assert.equal(await within(lock.acquire({ timeout: 200 }), 10_000, 'acquire'), false);
      assert.equal(lock.acquireSync({ timeout: 200 }), false);
      await assert.rejects(within(lock.hold({ timeout: 200 }), 10_000, 'hold'), TimeoutError);
      assert.throws(() => lock.holdSync({ timeout: 200 }), TimeoutError);
    });
  }
});
