// With spilling turned off (MULTIPROCESSING_TS_QUEUE_SPILL=0), large items a producer cannot write
// at once wait in its outbox and stream through the ring as readers drain it: the path every
// queue takes when no block of shared memory can be had for them (a full /dev/shm). A producer
// killed part-way through such an item keeps the write lock: calls with a timeout still return.
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessError, Queue, getContext } from '../../dist/index.js';
import { ALL_METHODS, needsAddon, processStarter, PROCESS_METHODS, runnableMethods, within } from '../helpers/methods.mjs';
import { beginBigAndStay, matches, pattern, syncCallsWithTimeouts } from '../fixtures/queues/workers.mjs';
import { BIG, bigItemsBothWays, bigItemsInOneProcess } from './big-items.mjs';

// Read at each put, and inherited by the children these tests start.
process.env.MULTIPROCESSING_TS_QUEUE_SPILL = '0';

const spills = () => readdirSync('/dev/shm').filter((name) => name.startsWith(`mpq_${process.pid}_`));
const starter = processStarter();
const broken = (error) => error instanceof ProcessError && /The queue is broken/.test(error.message);

test('items larger than the ring stream through it within one process; later puts do not wait for them', async () => {
  await bigItemsInOneProcess(new Queue(), () => assert.deepEqual(spills(), [], 'nothing was spilled'));
});

for (const method of PROCESS_METHODS) {
  test(`${method}: an item larger than the ring, in both directions, streamed`, async () => {
    await bigItemsBothWays(getContext(method), starter);
  });
}

/** A producer that began streaming an item larger than the ring, then was killed (the write lock stays held). */
async function producerKilledMidItem(ctx, q = new ctx.Queue()) {
  const begun = new ctx.Event();
  const producer = starter.start(ctx, beginBigAndStay, [q, BIG, begun]);
  assert.equal(await begun.wait({ timeout: 20_000 }), true, 'the producer began its item');
  producer.kill('SIGKILL');
  await starter.join(producer, 10_000);
  return { q, producer };
}

for (const method of runnableMethods(ALL_METHODS)) {
  test(`${method}: get({ timeout }) of an item whose producer was killed part-way returns in time, and the queue then says it is broken`, async () => {
    const { q, producer } = await producerKilledMidItem(getContext(method));
    const error = await within(q.get({ timeout: 300 }).then(() => null, (e) => e), 10_000, 'get({ timeout: 300 })');
    assert.ok(broken(error), `get() rejects with the broken-queue error, not ${error}`);
    if (method !== 'thread') assert.match(error.message, new RegExp(`pid ${producer.pid}\\b.*ended part-way`), 'it names the dead producer');
    // Every later call fails at once with the same error, in any process, rather than timing out.
    await assert.rejects(within(q.get({ timeout: 5000 }), 1000, 'a later get'), broken);
    assert.throws(() => q.getSync({ timeout: 5000 }), broken);
    await assert.rejects(q.put(1), broken);
    assert.throws(() => q.putSync(1), broken);
  });
}

test('spawn: getSync({ timeout }) of an item whose producer was killed part-way returns in time', needsAddon, async () => {
  const { q } = await producerKilledMidItem(getContext('spawn'));
  const started = performance.now();
  assert.throws(() => q.getSync({ timeout: 300 }), broken);
  assert.ok(performance.now() - started < 10_000, 'getSync returned within 10 s');
  await assert.rejects(q.get({ block: false }), broken);
});

for (const method of runnableMethods(ALL_METHODS)) {
  test(`${method}: putSync, getSync and joinSync with a timeout return in time while a killed producer holds the write lock`, async () => {
    const ctx = getContext(method);
    const { q } = await producerKilledMidItem(ctx, new ctx.JoinableQueue());
    const out = new ctx.Queue();
    const caller = starter.start(ctx, syncCallsWithTimeouts, [q, out]);
    const { putSync, getSync, joinSync } = await within(out.get(), 20_000, 'the report of the blocking calls');
    // putSync leaves the item to its process's background writer, as put() does; getSync does
    // not take the killed producer's item, whose rest would never come.
    assert.deepEqual([putSync.result, getSync.result, joinSync.result], [undefined, 'QueueEmptyError', false]);
    for (const [name, { ms }] of Object.entries({ putSync, getSync, joinSync })) assert.ok(ms < 10_000, `${name} took ${ms} ms`);
    // Breaking the queue frees the caller's background writer (its item is dropped): it ends.
    await assert.rejects(within(q.get({ timeout: 300 }), 10_000, 'get'), broken);
    await starter.join(caller);
    assert.equal(caller.exitCode, 0);
  });
}

test('putSync({ timeout }) of an item larger than the ring, with nobody reading, returns in time; its rest streams in the background, intact', async () => {
  const q = new Queue();
  const item = pattern(BIG, 9);
  const started = performance.now();
  q.putSync(item, { timeout: 200 });
  assert.ok(performance.now() - started < 10_000, 'putSync returned within 10 s');
  item.fill(0); // the caller's bytes are its own again once putSync returned
  q.putSync('after', { timeout: 200 });
  assert.ok(matches(await within(q.get(), 20_000, 'get of the large item'), BIG, 9), 'the large item arrives intact');
  assert.equal(await within(q.get(), 20_000, 'get of the item after it'), 'after');
});

test('a get({ timeout }) whose deadline passes while its item is still streaming in gets the item whole', async () => {
  const q = new Queue();
  await q.put(pattern(3 * BIG, 4)); // its rest streams in the background as it is read
  assert.ok(matches(await within(q.get({ timeout: 1 }), 20_000, 'get({ timeout: 1 })'), 3 * BIG, 4));
  await q.put('after');
  assert.equal(await q.get({ timeout: 5000 }), 'after');
});
