// 002-21: the main process and a child print their own pid through currentProcess().
import { Process, currentProcess, isMain } from 'multiprocessing-ts';

export function childProcess(): void {
  console.log(`Child Process ID: ${currentProcess().pid}`);
}

if (isMain(import.meta)) {
  console.log(`Main Process ID: ${currentProcess().pid}`);
  const child = new Process({ target: childProcess });
  child.start();
  await child.join();
}
