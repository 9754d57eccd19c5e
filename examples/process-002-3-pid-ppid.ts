// 002-3: the process id and parent process id, seen from the main process and from a child.
import { Process, isMain } from 'multiprocessing-ts';

export function printInfo(): void {
  console.log(`Process ID: ${process.pid}`);
  console.log(`Parent Process ID: ${process.ppid}`);
}

if (isMain(import.meta)) {
  console.log('Main Process:');
  printInfo();
  console.log('Child Process:');
  const p = new Process({ target: printInfo });
  p.start();
  await p.join();
}
