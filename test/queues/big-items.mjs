// Test bodies shared by queue.test.mjs (large items go into shared memory blocks of their own)
// and streaming.test.mjs (spilling off: they stream through the ring): items larger than the ring
// within one process, and between a parent and its children, both ways.
import assert from 'node:assert/strict';
import { RING_BYTES } from '../../dist/queues/channel.js';
import { within } from '../helpers/methods.mjs';
import { getBig, matches, pattern, putBig, putBigLast } from '../fixtures/queues/workers.mjs';

export const BIG = RING_BYTES + 12345;

/** A child reads a large item the parent put, the parent one a child put, and one a child put last before ending. */
export async function bigItemsBothWays(ctx, { start, join }) {
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
  assert.ok(matches(lastItem, BIG, 6), 'a large item a child put last arrives intact');
  await join(last);
}

/**
 * Two items larger than the ring and two small ones, put in one process (`afterPuts` looks at the
 * queue then), come back in order; later puts do not wait for the large ones.
 */
export async function bigItemsInOneProcess(q, afterPuts = () => {}) {
  await q.put(pattern(BIG, 7));
  await q.put('small');
  await q.put(pattern(BIG, 8));
  q.putSync('small too');
  afterPuts();
  assert.equal(q.qsize(), 4);
  assert.ok(matches(await q.get(), BIG, 7));
  assert.equal(await q.get(), 'small');
  assert.ok(matches(await q.get(), BIG, 8));
  assert.equal(await q.get(), 'small too');
  q.close();
  await q.joinThread();
}
