// With spilling turned off (MULTIPROCESSING_TS_QUEUE_SPILL=0), large items a producer cannot write
// at once wait in its outbox and stream through the ring as readers drain it: the path every
// queue takes when no block of shared memory can be had for them (a full /dev/shm).
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessError, Queue, getContext } from '../../dist/index.js';
import { ALL_METHODS, needsAddon, processStarter, PROCESS_METHODS, runnableMethods, within } from '../helpers/methods.mjs';
import { beginBigAndStay } from '../fixtures/queues/workers.mjs';
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
async function producerKilledMidItem(ctx) {
  const q = new ctx.Queue();
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
