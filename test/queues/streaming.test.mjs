// With spilling turned off (MULTIPROCESSING_TS_QUEUE_SPILL=0), large items a producer cannot write
// at once wait in its outbox and stream through the ring as readers drain it: the path every
// queue takes when no block of shared memory can be had for them (a full /dev/shm).
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, getContext } from '../../dist/index.js';
import { processStarter, PROCESS_METHODS } from '../helpers/methods.mjs';
import { bigItemsBothWays, bigItemsInOneProcess } from './big-items.mjs';

// Read at each put, and inherited by the children these tests start.
process.env.MULTIPROCESSING_TS_QUEUE_SPILL = '0';

const spills = () => readdirSync('/dev/shm').filter((name) => name.startsWith(`mpq_${process.pid}_`));
const starter = processStarter();

test('items larger than the ring stream through it within one process; later puts do not wait for them', async () => {
  await bigItemsInOneProcess(new Queue(), () => assert.deepEqual(spills(), [], 'nothing was spilled'));
});

for (const method of PROCESS_METHODS) {
  test(`${method}: an item larger than the ring, in both directions, streamed`, async () => {
    await bigItemsBothWays(getContext(method), starter);
  });
}
