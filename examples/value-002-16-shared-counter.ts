// 002-16: ten processes add 1 to a counter in a shared Value.
import { setTimeout as sleep } from 'node:timers/promises';
import { Process, Value, isMain } from 'multiprocessing-ts';

export async function increment(sharedCounter: Value<'i'>): Promise<void> {
  await sleep(100);
  // Differs: the read and the write happen under the Value's lock; the original's bare `+=` can lose updates.
  const lock = sharedCounter.getLock();
  lock.acquireSync();
  try {
    sharedCounter.value += 1;
  } finally {
    lock.release();
  }
}

if (isMain(import.meta)) {
  const counter = new Value('i', 0); // 'i' indicates an integer type
  const procs = Array.from({ length: 10 }, () => new Process({ target: increment, args: [counter] }));
  for (const p of procs) {
    p.start();
  }
  for (const p of procs) {
    await p.join();
  }
  console.log(`Counter = ${counter.value}`);
}
