// 002-13: three processes take turns at printing under one Lock; which goes first is up to the OS.
import { Lock, Process, isMain } from 'multiprocessing-ts';

export async function printer(item: string, lock: Lock): Promise<void> {
  await lock.acquire();
  console.log(`Printing ${item}`);
  lock.release();
}

if (isMain(import.meta)) {
  const lock = new Lock();
  const items = ['apple', 'banana', 'cherry'];
  for (const item of items) {
    const p = new Process({ target: printer, args: [item, lock] });
    p.start();
  }
}
