// 002-28: terminate() stops a running process.
import { setTimeout as sleep } from 'node:timers/promises';
import { Process, isMain } from 'multiprocessing-ts';

export async function worker(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    console.log('Working...');
    await sleep(1000);
  }
}

if (isMain(import.meta)) {
  const p = new Process({ target: worker });
  p.start();
  await sleep(3000); // Let it work for 3 seconds
  p.terminate();
  await p.join();
  console.log('Process terminated.');
}
