// Barrier: CPython's _TestBarrier (test_barrier, test_barrier_10, test_wait_return, test_action,
// test_abort, test_reset, test_abort_and_reset, test_timeout, test_default_timeout,
// test_single_thread, test_thousand on threads) with parties in children (sync and async waits)
// and on the main thread, plus argument errors, a failing action, and AbortSignal cancellation.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { AbortError, Barrier, BrokenBarrierError, Event, RawArray, TimeoutError } from '../../dist/index.js';
import { cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import {
  abortAndResetParty,
  abortParty,
  actionParty,
  countAction,
  failingAction,
  failingActionParty,
  lateParty,
  multipass,
  recordIndex,
  resetParty,
  arriveLastAndHang,
  hangingAction,
  useActionTarget,
  waitUntilKilled,
} from '../fixtures/synchronize/barriers.mjs';

const N = 4;
const CHILD_MODES = ['sync', 'async', 'sync'];

const started = [];
const barriers = [];
afterEach(async () => {
  // As CPython's tearDown: a failed test must not leave parties waiting.
  for (const b of barriers.splice(0)) b.abort();
  await cleanup(started.splice(0));
});

function barrier(parties, options) {
  const b = new Barrier(parties, options);
  barriers.push(b);
  return b;
}

const join = (p, ms = 30_000) => within(p.join(), ms, `join of ${p.name}`);

/**
 * CPython's run_threads: N-1 children run `task(...args, mode)` while this thread runs it too
 * (async); all must finish cleanly.
 */
async function runParties(ctx, task, args) {
  const children = CHILD_MODES.map((mode) => {
    const p = new ctx.Process({ target: task, args: [...args, mode] });
    started.push(p);
    p.start();
    return p;
  });
  await within(task(...args, 'async'), 30_000, 'the party on this thread');
  for (const p of children) {
    await join(p);
    assert.equal(p.exitCode, 0, `${p.name} failed (see its output above)`);
  }
}

const counters = (n = 1) => RawArray('i', n);

test('Barrier(1) lets a single party through, as CPython test_single_thread', async () => {
  const b = barrier(1);
  assert.equal(await b.wait(), 0);
  assert.equal(await b.wait(), 0);
  assert.equal(b.waitSync(), 0);
  assert.equal(b.parties, 1);
  assert.equal(b.nWaiting, 0);
  assert.equal(b.broken, false);
});

test('bad arguments are refused', () => {
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Barrier(-2), RangeError);
  assert.throws(() => new Barrier(1.5), TypeError);
  assert.throws(() => new Barrier('3'), TypeError);
  assert.throws(() => new Barrier(), TypeError);
  assert.throws(() => new Barrier(2, { action: 'run' }), TypeError);
  assert.throws(() => new Barrier(2, { timeout: 'soon' }), TypeError);
  assert.throws(() => new Barrier(2, 5), TypeError);
});

test('a wait that times out breaks the barrier for everyone until reset', async () => {
  const b = barrier(3);
  const other = b.wait(); // no timeout of its own: released by the break
  await assert.rejects(b.wait({ timeout: 30 }), BrokenBarrierError);
  await assert.rejects(other, BrokenBarrierError);
  assert.equal(b.broken, true);
  assert.equal(b.nWaiting, 0);
  assert.throws(() => b.waitSync({ timeout: 1000 }), BrokenBarrierError, 'future waiters fail at once');
  await assert.rejects(b.wait(), BrokenBarrierError);
  b.reset();
  assert.equal(b.broken, false);
  assert.throws(() => b.waitSync({ timeout: 30 }), BrokenBarrierError, 'waitSync times out too');
  b.reset();
  const two = barrier(2, { timeout: 30 });
  await assert.rejects(two.wait(), BrokenBarrierError, "the barrier's default timeout applies");
});

test('abort() breaks the barrier for current and future waiters', async () => {
  const b = barrier(3);
  const waiting = [b.wait(), b.wait()];
  assert.equal(b.nWaiting, 2);
  b.abort();
  for (const w of waiting) await assert.rejects(w, BrokenBarrierError);
  assert.equal(b.broken, true);
  await assert.rejects(b.wait(), BrokenBarrierError);
  b.reset();
  const indices = await Promise.all([b.wait(), b.wait(), b.wait()]);
  assert.deepEqual(indices.sort(), [0, 1, 2]);
});

test('an aborted wait leaves the barrier unbroken and one party short', async () => {
  const b = barrier(2);
  const controller = new AbortController();
  const aborted = b.wait({ signal: controller.signal });
  assert.equal(b.nWaiting, 1);
  controller.abort();
  await assert.rejects(aborted, AbortError);
  assert.equal(b.nWaiting, 0);
  assert.equal(b.broken, false);
  assert.deepEqual((await Promise.all([b.wait(), b.wait()])).sort(), [0, 1], 'two new parties pass together');
  await assert.rejects(b.wait({ signal: AbortSignal.abort() }), AbortError);
  assert.equal(b.nWaiting, 0);
});

test('the action runs once, in the last party to arrive, before the release', async () => {
  const results = counters(3);
  useActionTarget(results);
  const b = barrier(3, { action: countAction });
  const first = b.wait();
  const second = b.wait();
  assert.equal(results[0], 0, 'not before everyone arrived');
  const last = b.waitSync();
  assert.equal(results[0], 1);
  assert.equal(results[2], threadId);
  assert.deepEqual([await first, await second, last], [0, 1, 2]);
});

forEachMethod((ctx) => {
  test('parties pass in lockstep, as CPython test_barrier', async () => {
    await runParties(ctx, multipass, [barrier(N, { timeout: 30_000 }), counters(2), 1]);
  });

  test('parties pass in lockstep 10 times, as CPython test_barrier_10', async () => {
    await runParties(ctx, multipass, [barrier(N, { timeout: 30_000 }), counters(2), 10]);
  });

  test('wait returns each party its arrival index, as CPython test_wait_return', async () => {
    const indices = RawArray('i', [-1, -1, -1, -1]);
    const b = barrier(N, { timeout: 30_000 });
    const children = CHILD_MODES.map((mode, slot) => {
      const p = new ctx.Process({ target: recordIndex, args: [b, indices, slot, mode] });
      started.push(p);
      p.start();
      return p;
    });
    await recordIndex(b, indices, 3, 'async');
    for (const p of children) {
      await join(p);
      assert.equal(p.exitCode, 0);
    }
    assert.deepEqual([...indices].sort(), [0, 1, 2, 3]);
  });

  test('the action runs once before any party is released, as CPython test_action', async () => {
    const results = counters(3);
    useActionTarget(results);
    await runParties(ctx, actionParty, [barrier(N, { action: countAction }), results]);
    assert.equal(results[0], 1);
    assert.notEqual(results[1], 0, 'it ran in one of the parties');
  });

  test('a failing action breaks the barrier; its party gets the error', async () => {
    const results = counters(2);
    const b = barrier(N, { action: failingAction });
    await runParties(ctx, failingActionParty, [b, results]);
    assert.deepEqual([...results], [N - 1, 1]);
    assert.equal(b.broken, true);
  });

  test('abort breaks the barrier for every party, as CPython test_abort', async () => {
    const results1 = counters();
    const results2 = counters();
    const b = barrier(N, { timeout: 30_000 });
    await runParties(ctx, abortParty, [b, results1, results2]);
    assert.equal(results1[0], 0);
    assert.equal(results2[0], N - 1);
    assert.equal(b.broken, true);
  });

  test('reset frees the waiting parties, as CPython test_reset', async () => {
    const results = [counters(), counters(), counters()];
    await runParties(ctx, resetParty, [barrier(N, { timeout: 30_000 }), ...results]);
    assert.deepEqual(
      results.map((r) => r[0]),
      [0, N - 1, N],
    );
  });

  test('a broken barrier can be reset, as CPython test_abort_and_reset', async () => {
    const results = [counters(), counters(), counters()];
    await runParties(ctx, abortAndResetParty, [barrier(N, { timeout: 30_000 }), barrier(N, { timeout: 30_000 }), ...results]);
    assert.deepEqual(
      results.map((r) => r[0]),
      [0, N - 1, N],
    );
  });

  test('a late party makes the others time out, as CPython test_timeout', async () => {
    const results = counters();
    await runParties(ctx, lateParty, [barrier(N, { timeout: 30_000 }), results, new Event(), 100]);
    assert.equal(results[0], N);
  });

  test("the barrier's default timeout applies, as CPython test_default_timeout", async () => {
    const results = counters();
    await runParties(ctx, lateParty, [barrier(N, { timeout: 100 }), results, new Event(), null]);
    assert.equal(results[0], N);
  });
});

forEachMethod((ctx) => {
  test('parties pass in lockstep a thousand times, as CPython test_thousand', async () => {
    await runParties(ctx, multipass, [barrier(N, { timeout: 30_000 }), counters(2), 1000]);
  });
}, ['thread']);

/** Starts a party that enters `b.wait()`, and kills it there. */
async function killPartyInWait(ctx, b) {
  const entered = new Event();
  const victim = new ctx.Process({ target: waitUntilKilled, args: [b, entered] });
  started.push(victim);
  victim.start();
  assert.equal(await entered.wait({ timeout: 15_000 }), true);
  assert.equal(b.nWaiting, 1);
  victim.kill();
  await join(victim);
}

forEachMethod((ctx) => {
  test('a party killed inside wait() does not wedge the barrier: timed waits break it, abort() and reset() mend it', async () => {
    const b = barrier(2);
    await killPartyInWait(ctx, b);
    // The round the killed party joined completes with this one...
    assert.equal(await within(b.wait({ timeout: 1000 }), 10_000, 'the wait completing the round'), 1);
    // ...and the next rounds, which can no longer complete, break at the timeout.
    await assert.rejects(within(b.wait({ timeout: 300 }), 10_000, 'a wait the killed party cannot join'), BrokenBarrierError);
    assert.equal(b.broken, true);
    b.reset();
    assert.throws(() => b.waitSync({ timeout: 300 }), BrokenBarrierError, 'waitSync times out too');
    b.abort();
    b.reset();
    assert.equal(b.broken, false);
    assert.equal(b.nWaiting, 0, 'reset() forgets the parties counted in');
    const indices = RawArray('i', [-1, -1]);
    const live = new ctx.Process({ target: recordIndex, args: [b, indices, 0, 'async'] });
    started.push(live);
    live.start();
    indices[1] = await within(b.wait({ timeout: 15_000 }), 20_000, 'a full round of live parties');
    await join(live);
    assert.equal(live.exitCode, 0);
    assert.deepEqual([...indices].sort(), [0, 1]);
  });

  test('a party killed while others wait: their timed waits break the barrier', async () => {
    const b = barrier(3);
    await killPartyInWait(ctx, b);
    await assert.rejects(within(b.wait({ timeout: 300 }), 10_000, 'a round that can no longer complete'), BrokenBarrierError);
    assert.equal(b.broken, true);
  });

  test("a party killed while its action holds the barrier's lock: the others' timed waits still end, broken", async () => {
    const b = barrier(2, { action: hangingAction });
    const inAction = new Event();
    const [ready, go] = [new Event(), new Event()];
    const last = new ctx.Process({ target: arriveLastAndHang, args: [b, inAction, ready, go] });
    started.push(last);
    last.start();
    assert.equal(await ready.wait({ timeout: 15_000 }), true);
    const waiting = b.wait({ timeout: 300 });
    go.set();
    assert.equal(await inAction.wait({ timeout: 15_000 }), true, 'the action started');
    last.kill();
    await join(last);
    await assert.rejects(within(waiting, 10_000, 'the wait released only by the action'), BrokenBarrierError);
    assert.equal(b.broken, true);
    await assert.rejects(within(b.wait({ timeout: 100 }), 10_000, 'a wait that cannot take the lock'), BrokenBarrierError);
    assert.throws(() => b.waitSync({ timeout: 100 }), BrokenBarrierError);
    // Nothing can take the lock back: abort() breaks the barrier without it; reset() gives up.
    b.abort();
    assert.equal(b.broken, true);
    assert.throws(() => b.reset(), (e) => e instanceof TimeoutError && e.message.startsWith('Barrier.reset(): '));
  });
});
