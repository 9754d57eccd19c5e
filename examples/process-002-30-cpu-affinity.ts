// 002-30: pinning a process to chosen CPUs, and lowering its priority (Linux: the native addon).
import { getPriority } from 'node:os';
import { Process, getAffinity, isMain } from 'multiprocessing-ts';

export function worker(): void {
  console.log(`Worker Function running on PID: ${process.pid}`);
  // What the kernel lets this process run on, and its nice value: set before this line ran.
  console.log(`CPU affinity set to: ${getAffinity().join(',')}`);
  console.log(`Priority (nice): ${getPriority()}`);
}

if (isMain(import.meta)) {
  // Differs: the original calls os.sched_setaffinity(p.pid, {0, 2}) after join(), when the child is
  // gone, and asks for CPU 2 even on smaller machines. Here the Process is given the CPUs (those of
  // 0 and 2 this process may use) and a nice value, and start() sets both, on every thread of the
  // child, before the worker runs. `p.setAffinity([...])` and `setAffinity(p.pid, [...])` change a
  // running child, as the original's call would.
  const allowed = getAffinity();
  const cpus = [0, 2].filter((cpu) => allowed.includes(cpu));
  const p = new Process({ target: worker, affinity: cpus.length > 0 ? cpus : allowed, priority: 10 });
  p.start();
  await p.join();
}
