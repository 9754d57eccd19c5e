// 001-7: four processes print under one Lock; the Lock keeps their lines whole, not in order.
import { Lock, Process, isMain } from 'multiprocessing-ts';

export async function displayName(l: Lock, i: string): Promise<void> {
  await l.acquire();
  console.log('Hi', i);
  l.release();
}

if (isMain(import.meta)) {
  const myLock = new Lock();
  const myName = ['Aadrika', 'Adwaita', 'Sakya', 'Sanj'];
  for (const name of myName) {
    new Process({ target: displayName, args: [myLock, name] }).start();
  }
}
