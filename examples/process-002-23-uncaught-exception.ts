// 002-23: an error thrown in a child stays in the child: it prints there and sets exit code 1.
import { Process, isMain } from 'multiprocessing-ts';

export function faultyWorker(): void {
  throw new Error('Something went wrong!');
}

if (isMain(import.meta)) {
  try {
    const p = new Process({ target: faultyWorker });
    p.start();
    await p.join();
    // Differs: the original expects the child's exception in this try/catch, which never sees it; the exit code tells the parent instead.
    if (p.exitCode !== 0) {
      console.log(`${p.name} failed with exit code ${p.exitCode}`);
    }
  } catch (e) {
    console.log(`Caught exception: ${(e as Error).message}`);
  }
}
