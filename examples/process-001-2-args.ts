// 001-2: a Process with arguments for its target.
import { Process, isMain } from 'multiprocessing-ts';

export function display(myName: string): void {
  console.log('Hi !!!' + ' ' + myName);
}

if (isMain(import.meta)) {
  const p = new Process({ target: display, args: ['Python'] });
  p.start();
  await p.join();
}
