// `for await` over a queue, what close() does to this process's use of it (as CPython's: put, get
// and empty refuse; qsize and full still answer), and JoinableQueue.join with a timeout or signal.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, JoinableQueue, ProcessError, Queue, SimpleQueue } from '../../dist/index.js';
import { cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import { sumByIteration } from '../fixtures/queues/items.mjs';

const started = [];
afterEach(() => cleanup(started.splice(0)));

test('for await takes items in order; leaving the loop takes nothing more', async () => {
  const q = new Queue();
  for (const item of [1, 2, 3, 4]) await q.put(item);
  const seen = [];
  for await (const item of q) {
    seen.push(item);
    if (item === 2) break;
  }
  assert.deepEqual(seen, [1, 2]);
  assert.equal(q.qsize(), 2);
  assert.equal(await q.get(), 3);
  const simple = new SimpleQueue();
  await simple.put('s');
  for await (const item of simple) {
    assert.equal(item, 's');
    break;
  }
  assert.equal(simple.empty(), true);
});

test('close() ends a for await loop waiting for the next item, taking nothing', async () => {
  const q = new Queue();
  const seen = [];
  let first;
  const gotFirst = new Promise((resolve) => (first = resolve));
  const loop = (async () => {
    for await (const item of q) {
      seen.push(item);
      first();
    }
    return 'ended';
  })();
  await q.put('a');
  await within(gotFirst, 5000, 'first item');
  q.close();
  assert.equal(await within(loop, 5000, 'end of the loop'), 'ended');
  assert.deepEqual(seen, ['a']);
  // A loop started after close() ends at once.
  for await (const item of q) assert.fail(`got ${item} after close()`);
});

test('after close(), put, get and empty throw in this process; qsize and full still answer', async () => {
  const q = new Queue(2);
  await q.put(1);
  q.close();
  const closed = (e) => e instanceof ProcessError && /^Queue <Queue.*> is closed$/.test(e.message);
  assert.throws(() => q.empty(), closed);
  await assert.rejects(q.get(), closed);
  assert.throws(() => q.getNowait(), closed);
  assert.throws(() => q.getSync(), closed);
  await assert.rejects(q.put(2), closed);
  assert.equal(q.qsize(), 1);
  assert.equal(q.full(), false);
  const simple = new SimpleQueue();
  simple.close();
  assert.throws(() => simple.empty(), /is closed/);
});

test('disposal closes a queue in this process; await using also waits until what it put is in the queue', async () => {
  const closed = (e) => e instanceof ProcessError && /is closed$/.test(e.message);
  const simple = new SimpleQueue();
  simple[Symbol.dispose]();
  assert.throws(() => simple.empty(), closed);
  simple[Symbol.dispose]();

  const q = new Queue();
  await q.put('last');
  q[Symbol.dispose]();
  await assert.rejects(q.put(1), closed);
  const flushed = new Queue();
  await flushed.put({ large: 'x'.repeat(100_000) });
  await within(flushed[Symbol.asyncDispose](), 10_000, 'disposal');
  await assert.rejects(flushed.get(), closed);
  assert.equal(flushed.qsize(), 1, 'the item is in the queue, for other processes to take');
  await within(flushed[Symbol.asyncDispose](), 1_000, 'a second disposal');
});

test('JoinableQueue.join: a timeout answers false, a signal rejects, and both answer true once done', async () => {
  const q = new JoinableQueue();
  assert.equal(await q.join({ timeout: 0 }), true, 'nothing put: done at once');
  assert.equal(q.joinSync({ timeout: 0 }), true);
  await q.put('task');
  assert.equal(await q.join({ timeout: 20 }), false);
  assert.equal(q.joinSync({ timeout: 0 }), false);
  assert.equal(q.joinSync({ block: false }), false);
  await assert.rejects(q.join({ signal: AbortSignal.abort() }), AbortError);
  const controller = new AbortController();
  const aborted = q.join({ signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, AbortError);
  const joining = q.join({ timeout: 20_000 });
  assert.equal(await q.get(), 'task');
  q.taskDone();
  assert.equal(await within(joining, 5000, 'join'), true);
  assert.equal(q.joinSync(), true);
  assert.throws(() => q.joinSync({ timeout: 'soon' }), TypeError);
  await assert.rejects(q.join('soon'), TypeError);
});

forEachMethod((ctx, method) => {
  test(`${method}: a child iterates over a queue with for await until the item that ends it`, async () => {
    const q = new ctx.Queue();
    const out = new ctx.Queue();
    const child = new ctx.Process({ target: sumByIteration, args: [q, out] });
    started.push(child);
    child.start();
    for (let i = 1; i <= 100; i++) await q.put(i);
    await q.put(null);
    assert.deepEqual(await out.get({ timeout: 20_000 }), { sum: 5050, count: 100 });
    await within(child.join(), 20_000, 'join');
    assert.equal(child.exitCode, 0);
  });
}, ['spawn', 'thread']);
