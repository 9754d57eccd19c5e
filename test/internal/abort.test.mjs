// One AbortSignal shared by many pending calls: every call is cancelled, each signal carries at
// most one listener of the library's, and Node never warns MaxListenersExceededWarning (a
// request's or a shutdown's signal is routinely handed to dozens of calls at once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { AbortError, Event, Listener, Lock, Pipe, Queue, ThreadPool, wait } from '../../dist/index.js';
import { onAbort } from '../../dist/internal/abort.js';
import { slowSquare } from '../fixtures/pool/tasks.mjs';
import { needsAddon } from '../helpers/methods.mjs';

function collectWarnings() {
  const warnings = [];
  const listener = (warning) => warnings.push(warning);
  process.on('warning', listener);
  return { warnings, stop: () => process.off('warning', listener) };
}

test('onAbort: one listener per signal, released when nobody listens, called once', async () => {
  const controller = new AbortController();
  const calls = [];
  const stops = [];
  for (let i = 0; i < 50; i++) stops.push(onAbort(controller.signal, () => calls.push(i)));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  for (const stop of stops.slice(0, 49)) stop();
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  stops[49]();
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the last stop removes the listener');
  const again = onAbort(controller.signal, () => calls.push('again'));
  controller.abort();
  controller.abort();
  again();
  assert.deepEqual(calls, ['again']);
  let late = 0;
  onAbort(controller.signal, () => late++);
  assert.equal(late, 0, 'an already-aborted signal calls back on a microtask, not during the call');
  await Promise.resolve();
  assert.equal(late, 1);
});

// Among the kinds: Listener.accept, which needs the addon.
test('one signal shared by 240 pending waits of every kind cancels them all without a warning', needsAddon, async () => {
  const { warnings, stop } = collectWarnings();
  const controller = new AbortController();
  const { signal } = controller;
  const lock = new Lock();
  lock.acquireSync();
  const event = new Event();
  const queue = new Queue();
  const [a, b] = Pipe();
  const listener = new Listener();
  try {
    const pending = [];
    for (let i = 0; i < 40; i++) {
      pending.push(lock.acquire({ signal }));
      pending.push(event.wait({ signal }));
      pending.push(queue.get({ signal }));
      pending.push(lock.hold({ signal }));
      pending.push(wait([a], { signal }));
      pending.push(listener.accept({ signal }));
    }
    const conns = [];
    for (let i = 0; i < 40; i++) conns.push(Pipe());
    const everyWait = wait(conns.map(([r]) => r), null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(getEventListeners(signal, 'abort').length <= 1, `listeners on the shared signal: ${getEventListeners(signal, 'abort').length}`);
    controller.abort();
    const outcomes = await Promise.allSettled(pending);
    assert.equal(outcomes.length, 240);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.reason instanceof AbortError, String(outcome.reason));
    }
    conns[7][1].send('ready');
    assert.equal((await everyWait).length, 1);
    for (const [r, w] of conns) {
      r.close();
      w.close();
    }
  } finally {
    stop();
    lock.release();
    queue.close();
    a.close();
    b.close();
    await listener.close();
  }
  assert.deepEqual(warnings.map((w) => w.name), []);
});

test('one signal shared by 50 pool calls cancels the queued ones without a warning', async () => {
  const { warnings, stop } = collectWarnings();
  const pool = new ThreadPool(1);
  const controller = new AbortController();
  try {
    const calls = [];
    for (let i = 0; i < 50; i++) calls.push(pool.apply(slowSquare, [i, 20], { signal: controller.signal }));
    controller.abort();
    const outcomes = await Promise.allSettled(calls);
    assert.ok(outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof AbortError).length >= 45);
  } finally {
    stop();
    await pool.terminate();
  }
  assert.deepEqual(warnings.map((w) => w.name), []);
});
