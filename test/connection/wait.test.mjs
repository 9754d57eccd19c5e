// wait(): the ready subset of connections, process sentinels and other waitables, as CPython's
// multiprocessing.connection.wait (test_wait, test_wait_timeout), plus bad input.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, Pipe, wait, Process } from '../../dist/index.js';
import { cleanup, within } from '../helpers/methods.mjs';
import { doNothing } from '../fixtures/process/tasks.mjs';

const started = [];
afterEach(() => cleanup(started.splice(0)));

test('wait returns the connections that have messages, in input order', async () => {
  const ends = [Pipe(), Pipe(), Pipe()];
  const readers = ends.map(([r]) => r);
  try {
    ends[2][1].send('c');
    ends[0][1].send('a');
    const ready = await within(wait(readers), 5_000, 'wait');
    // Both became readable in the same turn; at least one is reported, and only ready ones.
    assert.ok(ready.length >= 1);
    for (const r of ready) assert.ok(r === readers[0] || r === readers[2]);
    const again = await within(wait(readers, 1_000), 5_000, 'wait');
    assert.deepEqual(again, [readers[0], readers[2]], 'input order');
    assert.equal(await readers[0].recv(), 'a');
    assert.deepEqual(await wait(readers, 0), [readers[2]]);
    assert.equal(await readers[2].recv(), 'c');
  } finally {
    for (const [r, w] of ends) {
      r.close();
      w.close();
    }
  }
});

test('wait times out with [] and a peer that closed counts as ready', async () => {
  const [a, b] = Pipe();
  const [c, d] = Pipe();
  try {
    assert.deepEqual(await within(wait([a, c], 30), 5_000), []);
    assert.deepEqual(await within(wait([a, c], 0), 5_000), []);
    b.close();
    assert.deepEqual(await within(wait([a, c], 5_000), 10_000), [a]);
    // A message sent while wait is pending wakes it.
    const pending = wait([c]);
    d.send('x');
    assert.deepEqual(await within(pending, 5_000), [c]);
    // Connections not waited on keep their data.
    assert.equal(await c.recv(), 'x');
  } finally {
    a.close();
    c.close();
    d.close();
  }
});

test('wait mixes connections and process sentinels', async () => {
  const [r, w] = Pipe();
  try {
    const p = new Process({ target: doNothing });
    started.push(p);
    p.start();
    const ready = await within(wait([r, p.sentinel], 20_000), 25_000, 'wait on the sentinel');
    assert.deepEqual(ready, [p.sentinel]);
    await p.join();
    w.send(1);
    assert.deepEqual(await within(wait([r, p.sentinel], 5_000), 10_000), [r, p.sentinel]);
  } finally {
    r.close();
    w.close();
  }
});

test('wait accepts any object implementing [kWaitable]() and isReady()', async () => {
  const kWaitable = Symbol.for('multiprocessing-ts.waitable');
  let release;
  let ready = false;
  const gate = { [kWaitable]: () => new Promise((resolve) => (release = resolve)), isReady: () => ready };
  const pending = wait([gate]);
  ready = true;
  release();
  assert.deepEqual(await within(pending, 5_000), [gate]);
});

test('wait rejects what it cannot wait on', async () => {
  await assert.rejects(wait(null), TypeError);
  await assert.rejects(wait([1]), TypeError);
  await assert.rejects(wait([{}]), TypeError);
  await assert.rejects(wait([], 'soon'), TypeError);
  assert.deepEqual(await wait([], 10), []);
  const [a, b] = Pipe();
  a.close();
  b.close();
  // A closed connection is never ready.
  assert.deepEqual(await within(wait([a], 20), 5_000), []);
});

test('wait(objects, { timeout, signal }) and wait(objects, timeoutMs, { signal }): a signal rejects with AbortError', async () => {
  const [a, b] = Pipe();
  try {
    assert.deepEqual(await within(wait([a], { timeout: 20 }), 5_000), [], 'the options form times out with []');
    const controller = new AbortController();
    const waiting = wait([a], { signal: controller.signal });
    const waitingMs = wait([a], 60_000, { signal: controller.signal });
    controller.abort('enough');
    for (const pending of [waiting, waitingMs]) {
      await assert.rejects(within(pending, 5_000, 'an aborted wait'), (e) => e instanceof AbortError && e.cause === 'enough');
    }
    await assert.rejects(wait([a], { signal: controller.signal }), AbortError, 'an aborted signal rejects at once');
    // A signal that is not aborted changes nothing.
    b.send('x');
    assert.deepEqual(await within(wait([a], { timeout: 5_000, signal: new AbortController().signal }), 10_000), [a]);
    assert.deepEqual(await within(wait([a], 5_000, { signal: new AbortController().signal }), 10_000), [a]);
    // No objects: with a signal there is something that ends the wait.
    const none = new AbortController();
    const nothing = wait([], { signal: none.signal });
    none.abort();
    await assert.rejects(within(nothing, 5_000, 'wait on nothing'), AbortError);
    await assert.rejects(wait([a], { signal: 'x' }), TypeError);
    await assert.rejects(wait([a], { timeout: 1 }, { signal: none.signal }), TypeError);
  } finally {
    a.close();
    b.close();
  }
});
