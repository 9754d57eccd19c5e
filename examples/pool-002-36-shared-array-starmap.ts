// 002-36: a shared Array handed to Pool.starmap; each task squares one item in place.
// Differs: it works as the tutorial meant (CPython refuses a synchronized Array as a task argument;
// here shared objects travel in task arguments as handles on the same memory).
import { Pool, SharedArray, isMain } from 'multiprocessing-ts';

export function worker(i: number, arr: SharedArray<'i'>): void {
  arr.set(i, arr.get(i) ** 2);
}

if (isMain(import.meta)) {
  const sharedArray = new SharedArray('i', [0, 1, 2, 3, 4]);
  {
    await using pool = new Pool({ processes: 4 });
    await pool.starmap(
      worker,
      [0, 1, 2, 3, 4].map((i) => [i, sharedArray] as [number, SharedArray<'i'>]),
    );
  }
  console.log(`[${sharedArray.toArray().join(', ')}]`);
}
