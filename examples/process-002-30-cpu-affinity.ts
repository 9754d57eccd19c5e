// 002-30: pinning a process to chosen CPUs (Linux; uses taskset from util-linux, as Node has no affinity API).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Process, cpuCount, isMain } from 'multiprocessing-ts';

/** The CPUs this process may run on, as the kernel reports them (e.g. "0" or "0-3"). */
function allowedCpus(): string {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  return line?.split(':')[1]?.trim() ?? 'unknown';
}

export function worker(cpus: number[]): void {
  console.log(`Worker Function running on PID: ${process.pid}`);
  try {
    // All threads of this process (-a), given as a CPU list (-c), by pid (-p).
    execFileSync('taskset', ['-a', '-c', '-p', cpus.join(','), String(process.pid)], { stdio: 'ignore' });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'taskset is not installed' : (error as Error).message;
    console.log(`CPU affinity unchanged: ${reason}`);
    return;
  }
  console.log(`CPU affinity set to: ${allowedCpus()}`);
}

if (isMain(import.meta)) {
  // Differs: the original sets the affinity after join(), when the child is gone, and asks for CPU 2 even on smaller machines; here the worker pins itself to those of CPUs 0 and 2 that exist.
  const cpus = [0, 2].filter((cpu) => cpu < cpuCount());
  const p = new Process({ target: worker, args: [cpus] });
  p.start();
  await p.join();
}
