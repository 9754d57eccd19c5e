// Waits spin for a bounded moment before sleeping in the kernel (when there is more than one CPU):
// Sync twins in a tight loop, async waits once per turn of the event loop. What users can see of
// it: tiny timeouts are still honoured, a peer that answers while the waiter spins is seen with the
// right result, an answer that comes just as the waiter gives up spinning is not lost, and an
// async wait that spins can still be aborted and never holds up the event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Barrier,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  Queue,
  QueueEmptyError,
  RLock,
  RawArray,
  Semaphore,
  getContext,
} from '../../dist/index.js';
import { SPIN_LIMIT_US, spinWhileEqual, spinWhileEqualAsync } from '../../dist/synchronize/futex.js';
import { forEachMethod, within, processStarter } from '../helpers/methods.mjs';
import { holdLock } from '../fixtures/synchronize/locks.mjs';
import {
  countHoldingLock,
  echoCondition,
  echoEvent,
  echoSemaphore,
  passBarrier,
} from '../fixtures/synchronize/spin.mjs';

const { start, join } = processStarter();

/** Answers are delayed by 0 up to this many µs: below, around, and past the spin window. */
const MAX_DELAY_US = SPIN_LIMIT_US * 3;
const TRIPS = 600;
const LIMIT_MS = 15_000;

test('an async wait times out from its call, even when another callback holds the event loop through its spin', async () => {
  // The loop is held past the deadline right after the wait begins (while it may be spinning). When
  // the loop is free again the wait must end at once, not wait its whole timeout once more. First in
  // the file, while no spin has failed on this thread yet: the waits spin unless the machine is
  // crowded (then they sleep at once, and the same bound must hold).
  const holdMs = 600;
  const timeout = 400;
  const busy = (ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const event = new Event();
  const cond = new Condition();
  const queue = new Queue();
  await cond.acquire();
  try {
    for (const [name, start] of [
      ['Event.wait', () => event.wait({ timeout })],
      ['Condition.wait', () => cond.wait({ timeout })],
      ['Queue.get', () => queue.get({ timeout })],
    ]) {
      const ended = start().then(
        (value) => ({ value }),
        (error) => ({ error }),
      );
      await new Promise((resolve) => setImmediate(() => resolve(busy(holdMs))));
      const late = new Promise((resolve) => setTimeout(() => resolve('late'), timeout / 2));
      const first = await Promise.race([ended, late]);
      assert.notEqual(first, 'late', `${name} did not end once the loop was free after its deadline`);
      if (name === 'Queue.get') assert.ok(first.error instanceof QueueEmptyError, `${name}: ${first.error}`);
      else assert.equal(first.value, false, `${name} timed out`);
    }
  } finally {
    cond.release();
    queue.close();
  }
});

test('the spin window is bounded and documented in microseconds', () => {
  assert.equal(Number.isInteger(SPIN_LIMIT_US), true);
  assert.ok(SPIN_LIMIT_US > 0 && SPIN_LIMIT_US <= 100, `SPIN_LIMIT_US is ${SPIN_LIMIT_US}`);
});

test('spinWhileEqual: true at once for a changed word, false once the window or the timeout ends', () => {
  const word = RawArray('i', 1);
  word[0] = 5;
  assert.equal(spinWhileEqual(word, 0, 4), true, 'the word already differs');
  assert.equal(spinWhileEqual(word, 0, 5), false, 'nobody changes it within the window');
  assert.equal(spinWhileEqual(word, 0, 5, 0), false, 'timeout 0 does not spin');
  assert.equal(spinWhileEqual(word, 0, 5, 0.001), false, 'a timeout shorter than the window');
  assert.equal(spinWhileEqual(word, 0, 5, null), false);
});

test('spinWhileEqualAsync: true for a changed word, false at the end of the window, the timeout or an abort', async () => {
  const word = RawArray('i', 1);
  word[0] = 5;
  assert.equal(await spinWhileEqualAsync(word, 0, 4), true, 'the word already differs');
  assert.equal(await spinWhileEqualAsync(word, 0, 5), false, 'nobody changes it within the window');
  assert.equal(await spinWhileEqualAsync(word, 0, 5, 0), false, 'timeout 0 does not spin');
  assert.equal(await spinWhileEqualAsync(word, 0, 5, 0.001), false, 'a timeout shorter than the window');
  const controller = new AbortController();
  controller.abort();
  assert.equal(await spinWhileEqualAsync(word, 0, 5, null, controller.signal), false, 'an aborted signal ends it');
});

test('tiny timeouts are honoured by every sync wait (0, 1 µs, 1 ms)', async () => {
  const event = new Event();
  const semaphore = new Semaphore(0);
  const cond = new Condition();
  for (const timeout of [0, 0.001, 1]) {
    assert.equal(event.waitSync({ timeout }), false, `Event.waitSync timeout ${timeout}`);
    assert.equal(semaphore.acquireSync({ timeout }), false, `Semaphore.acquireSync timeout ${timeout}`);
    cond.acquireSync();
    assert.equal(cond.waitSync({ timeout }), false, `Condition.waitSync timeout ${timeout}`);
    assert.equal(cond.waitForSync(() => false, { timeout }), false, `Condition.waitForSync timeout ${timeout}`);
    cond.release();
    const barrier = new Barrier(2);
    assert.throws(() => barrier.waitSync({ timeout }), BrokenBarrierError, `Barrier.waitSync timeout ${timeout}`);
    assert.equal(barrier.broken, true);
  }
  assert.equal(semaphore.getValue(), 0);
  assert.equal(event.isSet(), false);

  // Locks held by a worker thread (so an RLock's owner is someone else).
  for (const Kind of [Lock, RLock]) {
    const lock = new Kind();
    const held = new Event();
    const letGo = new Event();
    const holder = start(getContext('thread'), holdLock, [lock, held, letGo]);
    assert.equal(await held.wait({ timeout: 10_000 }), true);
    for (const timeout of [0, 0.001, 1]) {
      assert.equal(lock.acquireSync({ timeout }), false, `${Kind.name}.acquireSync timeout ${timeout}`);
    }
    letGo.set();
    await join(holder);
    assert.equal(holder.exitCode, 0);
    assert.equal(lock.acquireSync({ timeout: LIMIT_MS }), true, `${Kind.name} is free again`);
    lock.release();
  }
});

test('a wait that is answered while it spins returns the right result (worker thread peer)', async () => {
  // The peer answers at once, so nearly every answer lands within the spin window.
  const ping = new Event();
  const pong = new Event();
  const peer = start(getContext('thread'), echoEvent, [ping, pong, TRIPS, 0]);
  for (let i = 0; i < TRIPS; i++) {
    ping.set();
    assert.equal(pong.waitSync({ timeout: LIMIT_MS }), true, `round trip ${i}`);
    pong.clear();
  }
  await join(peer);
  assert.equal(peer.exitCode, 0);
  assert.equal(ping.isSet(), false);
  assert.equal(pong.isSet(), false);
});

/** Waits the parent's side of a hand-off the way `mode` says: the Sync twin, or `await`. */
const waitBy = (mode, sync, async) => (mode === 'await' ? async() : sync());

/** TRIPS Event round trips with a peer answering after 0 to 3x the spin window; both sides wait by `mode`. */
async function eventHandOffs(ctx, mode) {
  const ping = new Event();
  const pong = new Event();
  const peer = start(ctx, echoEvent, [ping, pong, TRIPS, MAX_DELAY_US, mode]);
  for (let i = 0; i < TRIPS; i++) {
    ping.set();
    const got = await waitBy(mode, () => pong.waitSync({ timeout: LIMIT_MS }), () => pong.wait({ timeout: LIMIT_MS }));
    assert.equal(got, true, `round trip ${i}`);
    pong.clear();
  }
  await join(peer);
  assert.equal(peer.exitCode, 0);
}

/** TRIPS Semaphore round trips, as eventHandOffs; no unit may be left over. */
async function semaphoreHandOffs(ctx, mode) {
  const a = new Semaphore(0);
  const b = new Semaphore(0);
  const peer = start(ctx, echoSemaphore, [a, b, TRIPS, MAX_DELAY_US, mode]);
  for (let i = 0; i < TRIPS; i++) {
    a.release();
    const got = await waitBy(mode, () => b.acquireSync({ timeout: LIMIT_MS }), () => b.acquire({ timeout: LIMIT_MS }));
    assert.equal(got, true, `round trip ${i}`);
  }
  await join(peer);
  assert.equal(peer.exitCode, 0);
  assert.equal(a.getValue(), 0, 'no unit left over');
  assert.equal(b.getValue(), 0, 'no unit left over');
}

/** One peer per entry of `modes` counts TRIPS times under one Lock, holding it 0 to 3x the spin window. */
async function lockCount(ctx, modes) {
  const lock = new Lock();
  const counter = RawArray('i', 1);
  const peers = modes.map((mode) => start(ctx, countHoldingLock, [lock, counter, TRIPS, MAX_DELAY_US, mode]));
  await Promise.all(peers.map((p) => join(p)));
  for (const p of peers) assert.equal(p.exitCode, 0);
  assert.equal(counter[0], modes.length * TRIPS);
  assert.equal(lock.isLocked(), false);
}

forEachMethod((ctx) => {
  test('Event hand-offs answered before, at and after the end of the spin window are never lost', () => eventHandOffs(ctx, 'sync'));

  test('Semaphore hand-offs: every unit arrives once, whether the waiter spins or sleeps', () => semaphoreHandOffs(ctx, 'sync'));

  test('Condition turn-taking: every notify reaches the waiter, whether it spins or sleeps', async () => {
    const cond = new Condition();
    const turn = RawArray('i', 1);
    const peer = start(ctx, echoCondition, [cond, turn, TRIPS, MAX_DELAY_US]);
    for (let i = 0; i < TRIPS; i++) {
      cond.acquireSync();
      try {
        turn[0] += 1;
        cond.notify();
        assert.equal(cond.waitForSync(() => turn[0] % 2 === 0, { timeout: LIMIT_MS }), true, `round trip ${i}`);
      } finally {
        cond.release();
      }
    }
    await join(peer);
    assert.equal(peer.exitCode, 0);
    assert.equal(turn[0], 2 * TRIPS);
  });

  test('a Lock held for 0 to 3x the spin window: the count stays exact', () => lockCount(ctx, ['sync', 'sync']));

  test('Barrier rounds with late arrivals around the spin window all pass', async () => {
    const barrier = new Barrier(2);
    const rounds = 200;
    const peer = start(ctx, passBarrier, [barrier, rounds, MAX_DELAY_US]);
    for (let i = 0; i < rounds; i++) {
      const index = barrier.waitSync({ timeout: LIMIT_MS });
      assert.ok(index === 0 || index === 1, `round ${i}: index ${index}`);
    }
    await join(peer);
    assert.equal(peer.exitCode, 0);
    assert.equal(barrier.broken, false);
  });
});

forEachMethod((ctx) => {
  test('await on both sides: Event hand-offs around the spin window are never lost', () => eventHandOffs(ctx, 'await'));

  test('await on both sides: Semaphore units arrive once each, whether the waiter spins or sleeps', () =>
    semaphoreHandOffs(ctx, 'await'));

  test('await acquire() on a Lock held for 0 to 3x the spin window: the count stays exact', () => lockCount(ctx, ['await', 'sync']));
}, ['spawn', 'thread']);

test('an async wait aborted while it spins rejects with AbortError and leaves no waiter behind', async () => {
  const event = new Event();
  for (let i = 0; i < 50; i++) {
    const controller = new AbortController();
    const waiting = event.wait({ timeout: LIMIT_MS, signal: controller.signal });
    // Aborted on the next turn: inside the spin window when the wait spins, at its futex wait otherwise.
    setImmediate(() => controller.abort());
    await assert.rejects(waiting, { name: 'AbortError' });
  }
  // Nobody is left waiting: a set now wakes no one, and a fresh wait sees the flag at once.
  event.set();
  assert.equal(await within(event.wait({ timeout: 0 }), 5_000, 'wait on a set Event'), true);
});

test('async waits alongside spinning sync waits: a worker thread spins, the parent awaits', async () => {
  const ping = new Event();
  const pong = new Event();
  const peer = start(getContext('thread'), echoEvent, [ping, pong, 200, MAX_DELAY_US]);
  for (let i = 0; i < 200; i++) {
    ping.set();
    assert.equal(await pong.wait({ timeout: LIMIT_MS }), true, `round trip ${i}`);
    pong.clear();
  }
  await join(peer);
  assert.equal(peer.exitCode, 0);
});
