// 002-29: the parent reads a child's exit code.
import { Process, currentProcess, isMain } from 'multiprocessing-ts';

export function worker(): void {
  console.log(`Worker Function running on ${currentProcess().name}`);
  // Differs: the original returns 1, but a target's return value is discarded (exit code 0); process.exit(1) sets it.
  process.exit(1);
}

if (isMain(import.meta)) {
  const p = new Process({ target: worker });
  p.start();
  await p.join();
  console.log(`Exit Code: ${p.exitCode}`);
}
