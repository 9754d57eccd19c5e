// 001-6: a child puts the even numbers below 10 on a Queue; the parent prints them.
import { Process, Queue, isMain } from 'multiprocessing-ts';

export async function evenno(numbers: number[], q: Queue<number>): Promise<void> {
  for (const n of numbers) {
    if (n % 2 === 0) {
      await q.put(n);
    }
  }
}

if (isMain(import.meta)) {
  const q = new Queue<number>();
  const numbers = Array.from({ length: 10 }, (_, i) => i); // range(10)
  const p = new Process({ target: evenno, args: [numbers, q] });
  p.start();
  await p.join();
  // Differs: the original loops `while q:`, which is always true, so it waits forever after the last item; this stops when the queue is empty.
  while (!q.empty()) {
    console.log(await q.get());
  }
}
