// 002-15: a child reports its lifecycle under its default name (Process-1).
import { setTimeout as sleep } from 'node:timers/promises';
import { Process, currentProcess, isMain } from 'multiprocessing-ts';

export async function lifecycleDemo(): Promise<void> {
  console.log(`Process ${currentProcess().name} is Created`);
  console.log(`Process ${currentProcess().name} is Running`);
  await sleep(2000);
  console.log(`Process ${currentProcess().name} is Terminated`);
}

if (isMain(import.meta)) {
  const p = new Process({ target: lifecycleDemo });
  p.start();
  await p.join();
}
