// 002-9: two processes with arguments; the parent reports once both are done.
import { Process, isMain } from 'multiprocessing-ts';

export function myFunction(name: string): void {
  console.log(`Hello from ${name}`);
}

if (isMain(import.meta)) {
  const p1 = new Process({ target: myFunction, args: ['Process 1'] });
  const p2 = new Process({ target: myFunction, args: ['Process 2'] });
  p1.start();
  p2.start();
  await p1.join();
  await p2.join();
  console.log('Both processes are done');
}
