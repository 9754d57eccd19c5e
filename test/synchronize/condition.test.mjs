// Condition: CPython's _TestCondition (test_notify, test_notify_all, test_notify_n,
// test_timeout, test_waitfor, test_waitfor_timeout, test_wait_result) with sleepers in children
// (sync and async) and on the main thread, plus the misuse errors, timeouts, the lock's depth kept
// across a wait, and AbortSignal cancellation that neither keeps nor loses a notification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AbortError, Condition, Event, Lock, ProcessError, RLock, RawArray, Semaphore, TimeoutError } from '../../dist/index.js';
import { forEachMethod, processStarter, within } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';
import {
  expectNotOwned,
  keepLockEachTime,
  notifyOnce,
  sleeper,
  takeLockAndHang,
  waitForFour,
  waitForFourTimeout,
  waitThenDie,
} from '../fixtures/synchronize/conditions.mjs';

const { start, join } = processStarter();
const WITHOUT_LOADAVG = fileURLToPath(new URL('../fixtures/internal/without-loadavg.mjs', import.meta.url));

/** The number of waiters a condition reports (CPython's repr: `<Condition(<lock>, n)>`). */
function waiters(cond) {
  return Number(/, (\d+)\)>$/.exec(String(cond))[1]);
}

/**
 * Waits for `n` sleepers to say they are about to wait. Each says so while holding the lock and
 * lets go of it only inside wait(), so once the lock is taken here, all of them are waiting.
 */
async function untilSleeping(cond, sleeping, n) {
  await acquireAll(sleeping, n, 'sleeper');
  await cond.acquire();
  cond.release();
}

async function acquireAll(sem, n, what) {
  for (let i = 0; i < n; i++) assert.equal(await sem.acquire({ timeout: 15_000 }), true, `${what} ${i + 1} of ${n}`);
}

async function notifyUnderLock(cond, n) {
  await cond.acquire();
  try {
    if (n === 'all') cond.notifyAll();
    else cond.notify(n);
  } finally {
    cond.release();
  }
}

test('wait and notify without the lock are refused with CPython messages', async () => {
  const cond = new Condition();
  await assert.rejects(cond.wait(), (e) => e instanceof ProcessError && e.message === 'must acquire() condition before using wait()');
  assert.throws(() => cond.waitSync({ timeout: 10 }), (e) => e instanceof ProcessError && e.message === 'must acquire() condition before using wait()');
  await assert.rejects(cond.waitFor(() => false, { timeout: 10 }), ProcessError);
  assert.throws(() => cond.waitForSync(() => false, { timeout: 10 }), ProcessError);
  assert.throws(() => cond.notify(), (e) => e instanceof ProcessError && e.message === 'lock is not owned');
  assert.throws(() => cond.notifyAll(), (e) => e instanceof ProcessError && e.message === 'lock is not owned');
  assert.equal(await cond.waitFor(() => 'already', { timeout: 10 }), 'already', 'a true predicate returns before any wait');
});

test('a Condition over a plain Lock counts it owned while anyone holds it, as CPython', async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  assert.throws(() => cond.notify(), ProcessError);
  lock.acquireSync();
  cond.notify();
  cond.notifyAll();
  assert.equal(await cond.wait({ timeout: 10 }), false);
  assert.equal(lock.isLocked(), true, 'the lock is held again after the wait');
  cond.release();
  assert.equal(lock.isLocked(), false);
  assert.match(String(cond), /^<Condition\(<Lock\(owner=None\)>, 0\)>$/);
});

test('bad arguments are TypeErrors', async () => {
  assert.throws(() => new Condition('lock'), TypeError);
  assert.throws(() => new Condition({}), TypeError);
  const cond = new Condition();
  await cond.acquire();
  await assert.rejects(cond.wait({ timeout: 'x' }), TypeError);
  assert.throws(() => cond.waitSync({ timeout: [] }), TypeError);
  await assert.rejects(cond.waitFor('x'), TypeError);
  assert.throws(() => cond.waitForSync(null), TypeError);
  assert.throws(() => cond.notify('2'), TypeError);
  cond.release();
});

test('wait gives up at its timeout and keeps the lock at its depth, as CPython test_timeout', async () => {
  const cond = new Condition(new RLock());
  await cond.acquire();
  await cond.acquire();
  assert.equal(await cond.wait({ timeout: 30 }), false);
  assert.equal(cond.waitSync({ timeout: 30 }), false);
  assert.equal(cond.waitSync({ timeout: 0 }), false);
  assert.equal(await cond.waitFor(() => 0, { timeout: 30 }), 0, 'waitFor returns the last predicate value');
  assert.equal(cond.waitForSync(() => '', { timeout: 30 }), '');
  assert.match(String(cond), /^<Condition\(<RLock\(MainProcess, 2\)>, 0\)>$/);
  cond.release();
  cond.release();
  assert.match(String(cond), /^<Condition\(<RLock\(None, 0\)>, 0\)>$/);
});

test('waiters on one thread: notify(n) wakes exactly n of them', async () => {
  const cond = new Condition(new Lock());
  const sleeping = new Semaphore(0);
  const woken = new Semaphore(0);
  const results = RawArray('i', 3);
  const runs = [0, 1, 2].map((i) => sleeper(cond, sleeping, woken, 15_000, 'async', results, i));
  await untilSleeping(cond, sleeping, 3);
  assert.equal(waiters(cond), 3);
  await notifyUnderLock(cond, 2);
  await acquireAll(woken, 2, 'woken');
  assert.equal(waiters(cond), 1);
  assert.equal(await woken.acquire({ timeout: 50 }), false, 'the third stays asleep');
  await notifyUnderLock(cond, 1);
  await Promise.all(runs);
  assert.deepEqual([...results], [1, 1, 1]);
  assert.equal(waiters(cond), 0);
});

test('an aborted wait rejects once the lock is held again, and is no longer a waiter', async () => {
  const cond = new Condition(new Lock());
  const controller = new AbortController();
  await cond.acquire();
  const aborted = cond.wait({ signal: controller.signal });
  assert.equal(waiters(cond), 1);
  controller.abort();
  await assert.rejects(aborted, AbortError);
  assert.equal(waiters(cond), 0);
  cond.notify(); // held again: notify is allowed, and has nobody to wake
  cond.release();
  await cond.acquire();
  await assert.rejects(cond.wait({ signal: AbortSignal.abort() }), AbortError);
  cond.release();
});

test('a notification is not lost to a waiter aborted after it was notified', async () => {
  const cond = new Condition(new Lock());
  const controller = new AbortController();
  await cond.acquire();
  const aborted = cond.wait({ signal: controller.signal });
  await cond.acquire();
  const live = cond.wait({ timeout: 15_000 });
  await cond.acquire();
  cond.notify(1);
  controller.abort();
  cond.release();
  await assert.rejects(aborted, AbortError);
  cond.release();
  assert.equal(await live, true, 'the live waiter got the one notification');
  cond.release();
  assert.equal(waiters(cond), 0);
});

test('a waiter aborted during its spin, after it was notified, rejects; the live waiter gets the notification', async () => {
  // The test above, where waits always spin first (the program hides /proc/loadavg, so spinning is
  // not turned off by a busy machine): an abort seen by the spin wins, as it does over a sleep.
  const { code, stdout, stderr } = await runScript(WITHOUT_LOADAVG, { args: ['condition'] });
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { aborted: 'AbortError', live: true, looks: 1 });
});

forEachMethod((ctx) => {
  test('notify wakes one sleeper at a time, as CPython test_notify', async () => {
    const cond = new Condition();
    const sleeping = new Semaphore(0);
    const woken = new Semaphore(0);
    const results = RawArray('i', 3);
    const a = start(ctx, sleeper, [cond, sleeping, woken, null, 'sync', results, 0]);
    const b = start(ctx, sleeper, [cond, sleeping, woken, null, 'async', results, 1]);
    const here = sleeper(cond, sleeping, woken, 15_000, 'async', results, 2);
    await untilSleeping(cond, sleeping, 3);
    assert.equal(woken.getValue(), 0);
    assert.equal(waiters(cond), 3);
    for (let left = 2; left >= 0; left--) {
      await notifyUnderLock(cond, 1);
      assert.equal(await woken.acquire({ timeout: 15_000 }), true);
      assert.equal(waiters(cond), left);
      assert.equal(woken.getValue(), 0, 'one notify, one sleeper woken');
    }
    await here;
    await join(a);
    await join(b);
    assert.deepEqual([a.exitCode, b.exitCode], [0, 0]);
    assert.deepEqual([...results], [1, 1, 1]);
  });

  test('sleepers time out, then notifyAll wakes every sleeper, as CPython test_notify_all', async () => {
    const cond = new Condition();
    const sleeping = new Semaphore(0);
    const woken = new Semaphore(0);
    const results = RawArray('i', 6);
    const timing = [
      start(ctx, sleeper, [cond, sleeping, woken, 50, 'sync', results, 0]),
      start(ctx, sleeper, [cond, sleeping, woken, 50, 'async', results, 1]),
      sleeper(cond, sleeping, woken, 50, 'async', results, 2),
    ];
    await untilSleeping(cond, sleeping, 3);
    await acquireAll(woken, 3, 'timed out');
    assert.deepEqual([...results.slice(0, 3)], [2, 2, 2], 'each wait reported its timeout');
    assert.equal(waiters(cond), 0);

    const waiting = [
      start(ctx, sleeper, [cond, sleeping, woken, null, 'sync', results, 3]),
      start(ctx, sleeper, [cond, sleeping, woken, null, 'async', results, 4]),
      sleeper(cond, sleeping, woken, 15_000, 'async', results, 5),
    ];
    await untilSleeping(cond, sleeping, 3);
    assert.equal(woken.getValue(), 0);
    await notifyUnderLock(cond, 'all');
    await acquireAll(woken, 3, 'woken');
    assert.deepEqual([...results.slice(3)], [1, 1, 1]);
    assert.equal(waiters(cond), 0);
    for (const p of [...timing, ...waiting]) {
      if (p instanceof Promise) await p;
      else {
        await join(p);
        assert.equal(p.exitCode, 0);
      }
    }
  });

  test('notify(n) wakes at most n sleepers, as CPython test_notify_n', async () => {
    const cond = new Condition();
    const sleeping = new Semaphore(0);
    const woken = new Semaphore(0);
    const results = RawArray('i', 4);
    const children = [
      start(ctx, sleeper, [cond, sleeping, woken, null, 'sync', results, 0]),
      start(ctx, sleeper, [cond, sleeping, woken, null, 'async', results, 1]),
      start(ctx, sleeper, [cond, sleeping, woken, null, 'sync', results, 2]),
    ];
    const here = sleeper(cond, sleeping, woken, 15_000, 'async', results, 3);
    await untilSleeping(cond, sleeping, 4);
    assert.equal(woken.getValue(), 0);

    await notifyUnderLock(cond, 2);
    await acquireAll(woken, 2, 'woken');
    assert.equal(waiters(cond), 2, 'two are still waiting');
    assert.equal(await woken.acquire({ timeout: 50 }), false, 'no third sleeper woke');

    await notifyUnderLock(cond, 4); // more than are waiting
    await acquireAll(woken, 2, 'woken');
    assert.equal(waiters(cond), 0);

    await notifyUnderLock(cond, 3); // nobody left: does nothing
    await here;
    for (const p of children) {
      await join(p);
      assert.equal(p.exitCode, 0);
    }
    assert.equal(woken.getValue(), 0);
    assert.deepEqual([...results], [1, 1, 1, 1]);
  });

  for (const mode of ['sync', 'async']) {
    test(`waitFor sees the state a child waits for, as CPython test_waitfor (${mode} child)`, async () => {
      const cond = new Condition();
      const state = RawArray('i', [-1]);
      const p = start(ctx, waitForFour, [cond, state, mode]);
      await cond.acquire();
      try {
        assert.equal(await cond.waitFor(() => state[0] === 0, { timeout: 15_000 }), true);
        assert.equal(state[0], 0);
      } finally {
        cond.release();
      }
      for (let i = 0; i < 4; i++) {
        await cond.acquire();
        state[0] += 1;
        cond.notify();
        cond.release();
      }
      await join(p);
      assert.equal(p.exitCode, 0);
    });

    test(`waitFor gives up at its timeout with the last predicate value, as CPython test_waitfor_timeout (${mode} child)`, async () => {
      const cond = new Condition();
      const state = RawArray('i', 1);
      const success = RawArray('i', 1);
      const ready = new Semaphore(0);
      const p = start(ctx, waitForFourTimeout, [cond, state, success, ready, mode]);
      assert.equal(await ready.acquire({ timeout: 15_000 }), true);
      for (let i = 0; i < 3; i++) {
        await cond.acquire();
        state[0] += 1;
        cond.notify();
        cond.release();
      }
      await join(p);
      assert.equal(p.exitCode, 0);
      assert.equal(success[0], 1);
    });
  }

  test('wait says whether it was notified, as CPython test_wait_result', async () => {
    const cond = new Condition();
    await cond.acquire();
    try {
      assert.equal(await cond.wait({ timeout: 0 }), false);
      assert.equal(await cond.wait({ timeout: 30 }), false);
      const p = start(ctx, notifyOnce, [cond]);
      assert.equal(await cond.wait({ timeout: 15_000 }), true);
      await join(p);
      assert.equal(p.exitCode, 0);
      const q = start(ctx, notifyOnce, [cond]);
      assert.equal(cond.waitSync({ timeout: 15_000 }), true, 'waitSync too');
      await join(q);
    } finally {
      cond.release();
    }
  });

  test('a child that does not hold the lock gets the misuse errors', async () => {
    const cond = new Condition();
    await cond.acquire(); // held here, so the child is not the owner
    const errors = RawArray('i', 2);
    const p = start(ctx, expectNotOwned, [cond, errors]);
    await join(p);
    cond.release();
    assert.equal(p.exitCode, 0);
    assert.deepEqual([...errors], [1, 1]);
  });
});

/** Whether `error` is the TimeoutError of a wait that could not take the condition's lock back. */
function lockNotRetaken(call) {
  return (error) =>
    error instanceof TimeoutError && error.message.startsWith(`Condition.${call}: `) && /lock could not be re-acquired/.test(error.message);
}

forEachMethod((ctx) => {
  for (const kind of ['Lock', 'RLock']) {
    test(`a timed wait whose lock is kept by a killed holder rejects with TimeoutError, without the lock (${kind})`, async () => {
      const cond = new Condition(kind === 'Lock' ? new Lock() : new RLock());
      const started = new Event();
      const held = new Event();
      await cond.acquire();
      const p = start(ctx, takeLockAndHang, [cond, started, held]);
      assert.equal(await started.wait({ timeout: 15_000 }), true);
      // The holder takes the lock as soon as wait() gives it up, and dies holding it.
      const waiting = cond.wait({ timeout: 500 });
      assert.equal(await held.wait({ timeout: 15_000 }), true);
      p.kill();
      await join(p);
      await assert.rejects(within(waiting, 10_000, 'the timed wait'), lockNotRetaken('wait()'));
      assert.equal(waiters(cond), 0, 'the waiter left the count');
    });
  }

  for (const killed of [true, false]) {
    test(`notify(1) wakes one live waiter ${killed ? 'after a waiter was killed inside wait()' : '(no waiter killed)'}`, async () => {
      const cond = new Condition(new Lock());
      const sleeping = new Semaphore(0);
      const woken = new Semaphore(0);
      if (killed) {
        const victim = start(ctx, waitThenDie, [cond, sleeping]);
        await untilSleeping(cond, sleeping, 1);
        victim.kill();
        await join(victim);
      }
      await notifyUnderLock(cond, 1); // nobody alive to wake
      await notifyUnderLock(cond, 'all');
      const results = RawArray('i', 2);
      const runs = [0, 1].map((i) => sleeper(cond, sleeping, woken, 15_000, 'async', results, i));
      await untilSleeping(cond, sleeping, 2);
      await notifyUnderLock(cond, 1);
      await acquireAll(woken, 1, 'woken');
      assert.equal(await woken.acquire({ timeout: 200 }), false, 'the other live waiter stays asleep');
      assert.deepEqual([...results].sort(), [0, 1]);
      await notifyUnderLock(cond, 1);
      await Promise.all(runs);
      assert.deepEqual([...results], [1, 1]);
      assert.equal(await woken.acquire({ timeout: 0 }), true, 'the second waiter woke');
      // Many more notifications, each for a waiter that came after the last: a notification
      // meant for the killed waiter is still never taken by a later one.
      const one = RawArray('i', 1);
      for (let i = 0; i < 40; i++) {
        const run = sleeper(cond, sleeping, woken, 15_000, 'async', one, 0);
        await untilSleeping(cond, sleeping, 1);
        await notifyUnderLock(cond, 1);
        await run;
        assert.equal(await woken.acquire({ timeout: 0 }), true);
      }
      const more = [0, 1].map((i) => sleeper(cond, sleeping, woken, 15_000, 'async', results, i));
      results.fill(0);
      await untilSleeping(cond, sleeping, 2);
      await notifyUnderLock(cond, 1);
      await acquireAll(woken, 1, 'woken');
      assert.equal(await woken.acquire({ timeout: 200 }), false, 'still one live waiter per notify(1)');
      await notifyUnderLock(cond, 'all');
      await Promise.all(more);
      assert.deepEqual([...results], [1, 1]);
    });
  }
});

forEachMethod((ctx) => {
  test('wait, waitFor, waitSync and waitForSync give up when a live holder keeps the lock long past the deadline', async () => {
    const cond = new Condition(new RLock());
    const [ready, taken, letGo, goOn] = [new Semaphore(0), new Semaphore(0), new Semaphore(0), new Semaphore(0)];
    const calls = [
      ['wait()', () => cond.wait({ timeout: 300 })],
      ['waitFor()', () => cond.waitFor(() => false, { timeout: 300 })],
      ['waitSync()', () => cond.waitSync({ timeout: 300 })],
      ['waitForSync()', () => cond.waitForSync(() => false, { timeout: 300 })],
    ];
    await cond.acquire();
    const p = start(ctx, keepLockEachTime, [cond, ready, taken, letGo, goOn, calls.length]);
    for (const [name, call] of calls) {
      assert.equal(await ready.acquire({ timeout: 15_000 }), true);
      // The holder takes the lock when the call gives it up, and keeps it until let go.
      await assert.rejects(within(Promise.resolve().then(call), 10_000, name), lockNotRetaken(name));
      assert.equal(await taken.acquire({ timeout: 0 }), true, 'the holder had the lock');
      assert.match(String(cond), /^<Condition\(<RLock\(SomeOther(Process|Thread), 1\)>, 0\)>$/, 'not held here; no waiter left behind');
      letGo.release();
      assert.equal(await cond.acquire({ timeout: 15_000 }), true);
      goOn.release();
    }
    cond.release();
    await join(p);
    assert.equal(p.exitCode, 0);
  });
}, ['thread']);
