// 001-3: one process prints the cubes of a list of numbers; the parent waits for it.
import { Process, isMain } from 'multiprocessing-ts';

export function cube(myNumbers: number[]): void {
  for (const x of myNumbers) {
    console.log(`${x} cube is ${x ** 3}`);
  }
}

if (isMain(import.meta)) {
  const myNumbers = [3, 4, 5, 6, 7, 8];
  // Differs: the original reads a global that only fork children see and forgets join's (); here the list is the argument and join is awaited.
  const p = new Process({ target: cube, args: [myNumbers] });
  p.start();
  await p.join();
  console.log('Done');
}
