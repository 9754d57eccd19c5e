// Semaphore and BoundedSemaphore: CPython's _TestSemaphore (test_semaphore,
// test_bounded_semaphore, test_timeout), constructor and release errors, AbortSignal
// cancellation (an aborted waiter leaves the unit for others), and units handed between
// processes and threads on every start method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, BoundedSemaphore, ProcessError, SEM_VALUE_MAX, Semaphore } from '../../dist/index.js';
import { forEachMethod, processStarter } from '../helpers/methods.mjs';
import { expectNoUnit, expectOverRelease, giveUnits, takeUnit } from '../fixtures/synchronize/semaphores.mjs';

const { start, join } = processStarter();

/** CPython's _test_semaphore: two units taken and given back, counted by getValue(). */
async function countsTwo(sem) {
  assert.equal(sem.getValue(), 2);
  assert.equal(await sem.acquire(), true);
  assert.equal(sem.getValue(), 1);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.getValue(), 0);
  assert.equal(await sem.acquire({ block: false }), false);
  assert.equal(sem.acquireSync({ block: false }), false);
  assert.equal(sem.getValue(), 0);
  assert.equal(sem.release(), undefined);
  assert.equal(sem.getValue(), 1);
  assert.equal(sem.release(), undefined);
  assert.equal(sem.getValue(), 2);
}

test('a Semaphore counts units down and up without a bound, as CPython test_semaphore', async () => {
  const sem = new Semaphore(2);
  await countsTwo(sem);
  sem.release();
  assert.equal(sem.getValue(), 3);
  sem.release();
  assert.equal(sem.getValue(), 4);
  assert.equal(String(sem), '<Semaphore(value=4)>');
  assert.equal(new Semaphore().getValue(), 1, 'the default value is 1');
});

test('a BoundedSemaphore refuses a release past its initial value, as CPython test_bounded_semaphore', async () => {
  const sem = new BoundedSemaphore(2);
  await countsTwo(sem);
  assert.throws(() => sem.release(), (e) => e instanceof ProcessError && e.message === 'semaphore or lock released too many times');
  assert.equal(sem.getValue(), 2, 'the refused release changed nothing');
  assert.equal(String(sem), '<BoundedSemaphore(value=2, maxvalue=2)>');
  assert.ok(sem instanceof Semaphore);
  const one = new BoundedSemaphore();
  assert.throws(() => one.release(), ProcessError, 'the default bound is 1');
});

test('bad initial values are refused', () => {
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new BoundedSemaphore(-1), RangeError);
  assert.throws(() => new Semaphore(SEM_VALUE_MAX + 1), RangeError);
  assert.throws(() => new Semaphore(1.5), TypeError);
  assert.throws(() => new Semaphore('2'), TypeError);
  assert.equal(new Semaphore(0).getValue(), 0);
  const full = new Semaphore(SEM_VALUE_MAX);
  assert.throws(() => full.release(), RangeError, 'a release past SEM_VALUE_MAX is refused');
  assert.equal(full.getValue(), SEM_VALUE_MAX);
});

test('every blocking call gives up at its timeout, as CPython test_timeout', async () => {
  const sem = new Semaphore(0);
  assert.equal(sem.acquireSync({ block: false }), false);
  assert.equal(sem.acquireSync({ block: false, timeout: null }), false);
  assert.equal(sem.acquireSync({ block: false, timeout: 10_000 }), false, 'block: false ignores the timeout');
  assert.equal(sem.acquireSync({ block: true, timeout: 30 }), false);
  assert.equal(sem.acquireSync({ timeout: 30 }), false);
  assert.equal(await sem.acquire({ block: false }), false);
  assert.equal(await sem.acquire({ timeout: 30 }), false);
  assert.equal(await sem.acquire({ timeout: 0 }), false);
  assert.equal(sem.getValue(), 0);
  await assert.rejects(sem.acquire({ timeout: 'x' }), TypeError);
  assert.throws(() => sem.acquireSync({ block: null }), TypeError);
});

test('an aborted acquire is removed: a later release leaves the unit available', async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const pending = sem.acquire({ signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, AbortError);
  sem.release();
  assert.equal(sem.getValue(), 1, 'the aborted waiter did not take the unit');
  assert.equal(sem.acquireSync({ block: false }), true);

  await assert.rejects(sem.acquire({ signal: AbortSignal.abort() }), AbortError);
  sem.release();
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort() }), AbortError, 'even with a unit there, an aborted signal takes nothing');
  assert.equal(sem.getValue(), 1);
});

test('an aborted waiter among others: each release goes to a live waiter', async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  const first = sem.acquire({ timeout: 10_000 });
  const second = sem.acquire({ timeout: 10_000 });
  controller.abort();
  await assert.rejects(aborted, AbortError);
  sem.release();
  sem.release();
  assert.deepEqual(await Promise.all([first, second]), [true, true]);
  assert.equal(sem.getValue(), 0);
});

forEachMethod((ctx) => {
  test('children waiting on a Semaphore get the units the parent releases', async () => {
    const sem = new Semaphore(0);
    const ready = new Semaphore(0);
    const done = new Semaphore(0);
    const a = start(ctx, takeUnit, [sem, ready, done, 'sync']);
    const b = start(ctx, takeUnit, [sem, ready, done, 'async']);
    assert.equal(await ready.acquire({ timeout: 15_000 }), true);
    assert.equal(await ready.acquire({ timeout: 15_000 }), true);
    sem.release();
    assert.equal(await done.acquire({ timeout: 15_000 }), true, 'one child got the first unit');
    sem.release();
    assert.equal(await done.acquire({ timeout: 15_000 }), true, 'the other got the second');
    await join(a);
    await join(b);
    assert.deepEqual([a.exitCode, b.exitCode], [0, 0]);
    assert.equal(sem.getValue(), 0);
  });

  test('the parent waits for units a child releases', async () => {
    const sem = new Semaphore(0);
    const waiting = [sem.acquire({ timeout: 15_000 }), sem.acquire({ timeout: 15_000 })];
    const p = start(ctx, giveUnits, [sem, 3]);
    assert.deepEqual(await Promise.all(waiting), [true, true]);
    await join(p);
    assert.equal(sem.getValue(), 1);
    assert.equal(sem.acquireSync({ timeout: 1000 }), true);
  });

  test('a child sees the same bound and the same count', async () => {
    const sem = new BoundedSemaphore(1);
    const over = start(ctx, expectOverRelease, [sem]);
    await join(over);
    assert.equal(over.exitCode, 0);
    sem.acquireSync();
    const none = start(ctx, expectNoUnit, [sem]);
    await join(none);
    assert.equal(none.exitCode, 0);
    sem.release();
  });
});
