// 002-32: pausing a child in a debugger. Run with DEBUG_WORKER=1 and attach Chrome DevTools or VS Code to the printed address.
import inspector from 'node:inspector';
import { Process, isMain } from 'multiprocessing-ts';

export function worker(): void {
  // Differs: pdb in a child reads a closed stdin and quits at once; here the child opens the inspector and waits for a debugger when DEBUG_WORKER=1.
  if (process.env.DEBUG_WORKER === '1') {
    inspector.open(0, '127.0.0.1');
    console.log(`Worker waiting for a debugger at ${inspector.url()}`);
    inspector.waitForDebugger();
  }
  debugger; // This will pause the worker when a debugger is attached (a no-op otherwise).
  console.log('Doing some work');
}

if (isMain(import.meta)) {
  const p = new Process({ target: worker });
  p.start();
  await p.join();
}
