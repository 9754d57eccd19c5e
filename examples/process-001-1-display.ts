// 001-1: a Process whose target takes no arguments.
import { Process, isMain } from 'multiprocessing-ts';

export function display(): void {
  console.log('Hi !! I am Python');
}

if (isMain(import.meta)) {
  const p = new Process({ target: display });
  p.start();
  await p.join();
}
