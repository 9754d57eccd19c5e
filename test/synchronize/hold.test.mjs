// hold()/holdSync(): a lock (or a semaphore unit) taken for the length of a block and released by
// its disposal (`await using held = await lock.hold()`), as CPython's `with lock:`. A hold never
// hands out a handle that holds nothing: past its timeout it fails with TimeoutError. Checked in one
// process, then with the holder and the waiter in different processes or threads.
// (The fixtures call [Symbol.asyncDispose]() / [Symbol.dispose]() themselves: Node 20 has no
// `using` syntax; test/types checks that the declarations type-check.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, TimeoutError } from '../../dist/index.js';
import { forEachMethod, processStarter } from '../helpers/methods.mjs';
import { holdSyncAfterRelease, holdWithHold } from '../fixtures/synchronize/locks.mjs';

const { start, join } = processStarter();

const KINDS = [
  ['Lock', () => new Lock()],
  ['RLock', () => new RLock()],
  ['Semaphore', () => new Semaphore(1)],
  ['BoundedSemaphore', () => new BoundedSemaphore(1)],
  ['Condition', () => new Condition()],
];

/** Whether nobody holds `lock` now, read without taking it. */
function isFree(lock) {
  if (lock instanceof Lock) return !lock.isLocked();
  if (lock instanceof Semaphore) return lock.getValue() === 1;
  return String(lock).includes('<RLock(None, 0)>');
}

describe('in one process', () => {
  for (const [name, make] of KINDS) {
    test(`${name}: hold() holds until disposed, once; a hold that times out throws TimeoutError`, async () => {
      const lock = make();
      const held = await lock.hold();
      assert.equal(held.held, true);
      if (name !== 'RLock' && name !== 'Condition') {
        // Another holder waits in vain: TimeoutError, never a handle holding nothing.
        await assert.rejects(lock.hold({ timeout: 20 }), (e) => e instanceof TimeoutError && e.message === `${name}.hold(): the lock was not acquired within 20 ms`);
        assert.throws(() => lock.holdSync({ timeout: 0 }), (e) => e instanceof TimeoutError && e.message.startsWith(`${name}.holdSync()`));
        const controller = new AbortController();
        const waiting = lock.hold({ signal: controller.signal });
        controller.abort('no');
        await assert.rejects(waiting, (e) => e instanceof AbortError && e.cause === 'no');
      }
      await held[Symbol.asyncDispose]();
      assert.equal(held.held, false);
      assert.ok(isFree(lock), `${lock} is free after the disposal`);
      // Disposing again (or releasing, then leaving the block) releases nothing more: a
      // BoundedSemaphore would throw on a second release.
      held[Symbol.dispose]();
      held.release();
      assert.ok(isFree(lock));
      const again = lock.holdSync({ timeout: 1_000 });
      assert.equal(isFree(lock), false);
      again[Symbol.dispose]();
      assert.ok(isFree(lock));
    });
  }

  test('an RLock is held again by its holder, one level per handle', async () => {
    const rlock = new RLock();
    const outer = rlock.holdSync();
    const inner = await rlock.hold({ timeout: 0 });
    assert.equal(String(rlock), '<RLock(MainProcess, 2)>');
    inner[Symbol.dispose]();
    assert.equal(String(rlock), '<RLock(MainProcess, 1)>');
    await outer[Symbol.asyncDispose]();
    assert.equal(String(rlock), '<RLock(None, 0)>');
  });

  test('a Condition held by hold() can wait and be notified inside the block', async () => {
    const cond = new Condition();
    const waiter = (async () => {
      const held = await cond.hold();
      try {
        return await cond.wait({ timeout: 10_000 });
      } finally {
        held.release();
      }
    })();
    // The waiter holds the lock until it waits: this hold gets it only then.
    const held = await cond.hold({ timeout: 10_000 });
    cond.notify();
    held[Symbol.dispose]();
    assert.equal(await waiter, true);
  });

  test('bad options: block is refused (a hold always waits), positional numbers get the translation', async () => {
    const lock = new Lock();
    await assert.rejects(lock.hold({ block: false }), (e) => e instanceof TypeError && e.message.includes('{ timeout: 0 }'));
    assert.throws(() => lock.holdSync({ block: true }), TypeError);
    await assert.rejects(lock.hold(5), (e) => e instanceof TypeError && e.message.includes('{ timeout: 5000 }'));
    assert.throws(() => lock.holdSync('x'), TypeError);
    assert.equal(lock.isLocked(), false, 'nothing was taken');
  });
});

forEachMethod((ctx) => {
  for (const [name, make] of KINDS) {
    test(`${name}: a holder in a child, a waiter here: refused while held, taken once the child's hold is disposed`, async () => {
      const lock = make();
      const held = new Event();
      const letGo = new Event();
      const p = start(ctx, holdWithHold, [lock, held, letGo]);
      assert.equal(await held.wait({ timeout: 20_000 }), true, 'the child holds it');
      await assert.rejects(lock.hold({ timeout: 50 }), TimeoutError);
      assert.throws(() => lock.holdSync({ timeout: 0 }), TimeoutError);
      letGo.set();
      const mine = await lock.hold({ timeout: 20_000 });
      mine[Symbol.dispose]();
      await join(p);
      assert.equal(p.exitCode, 0);
    });

    test(`${name}: a holder here, a waiter in a child with holdSync()`, async () => {
      const lock = make();
      const refusedSeen = new Event();
      const released = new Event();
      const mine = lock.holdSync();
      const p = start(ctx, holdSyncAfterRelease, [lock, refusedSeen, released]);
      try {
        assert.equal(await refusedSeen.wait({ timeout: 20_000 }), true, 'the child was refused while the lock was held');
      } finally {
        await mine[Symbol.asyncDispose]();
      }
      released.set();
      await join(p);
      assert.equal(p.exitCode, 0, 'the child took the lock once it was released');
    });
  }
});
