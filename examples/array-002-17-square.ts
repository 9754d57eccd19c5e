// 002-17: five processes each square one item of a shared Array in place.
import { Process, SharedArray, isMain } from 'multiprocessing-ts';

export function square(i: number, numbers: SharedArray<'i'>): void {
  numbers.set(i, numbers.get(i) ** 2);
}

if (isMain(import.meta)) {
  const numbers = new SharedArray('i', [0, 1, 2, 3, 4]); // CPython's Array; the package also exports it as Array
  const procs = [0, 1, 2, 3, 4].map((i) => new Process({ target: square, args: [i, numbers] }));
  for (const p of procs) {
    p.start();
  }
  for (const p of procs) {
    await p.join();
  }
  console.log(`Squared numbers are: [${numbers.toArray().join(', ')}]`);
}
