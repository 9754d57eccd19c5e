// With spilling turned off (MULTIPROCESSING_TS_QUEUE_SPILL=0), large items a producer cannot write
// at once wait in its outbox and stream through the ring as readers drain it: the path every
// queue takes when no block of shared memory can be had for them (a full /dev/shm).
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';

process.env.MULTIPROCESSING_TS_QUEUE_SPILL = '0';
const { Queue, getContext } = await import('../../dist/index.js');
const { RING_BYTES } = await import('../../dist/queues/channel.js');
const { within, processStarter, PROCESS_METHODS } = await import('../helpers/methods.mjs');
const { getBig, matches, pattern, putBig, putBigLast } = await import('../fixtures/queues/workers.mjs');

const BIG = RING_BYTES + 12345;
const spills = () => readdirSync('/dev/shm').filter((name) => name.startsWith(`mpq_${process.pid}_`));
const { start, join } = processStarter();

test('items larger than the ring stream through it within one process; later puts do not wait for them', async () => {
  const before = spills().length;
  const q = new Queue();
  await q.put(pattern(BIG, 7));
  await q.put('small');
  await q.put(pattern(BIG, 8));
  q.putSync('small too');
  assert.equal(spills().length, before, 'nothing was spilled');
  assert.equal(q.qsize(), 4);
  assert.ok(matches(await q.get(), BIG, 7));
  assert.equal(await q.get(), 'small');
  assert.ok(matches(await q.get(), BIG, 8));
  assert.equal(await q.get(), 'small too');
  q.close();
  await q.joinThread();
});

for (const method of PROCESS_METHODS) {
  test(`${method}: an item larger than the ring, in both directions, and a child that puts one last stays until it is read`, async () => {
    const ctx = getContext(method);
    const toChild = new ctx.Queue();
    const fromChild = new ctx.Queue();
    const out = new ctx.Queue();
    const reader = start(ctx, getBig, [toChild, out, BIG, 3]);
    await putBig(toChild, BIG, 3);
    assert.deepEqual(await within(out.get(), 20_000, 'report'), { intact: true, after: 'after' });
    const writer = start(ctx, putBig, [fromChild, BIG, 5]);
    const big = await within(fromChild.get(), 20_000, 'big item');
    assert.ok(big.seed === 5 && matches(big.bytes, BIG, 5));
    assert.equal(await fromChild.get(), 'after');
    await join(reader);
    await join(writer);
    const last = start(ctx, putBigLast, [fromChild, BIG, 6]);
    const lastItem = await within(fromChild.get(), 20_000, 'big item put last');
    assert.ok(matches(lastItem, BIG, 6));
    await join(last);
    assert.equal(last.exitCode, 0);
  });
}
