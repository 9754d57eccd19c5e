// 002-7: a CPU-bound task run by 10 threads, then by 10 processes, timing each.
// Python's threads map to the 'thread' start method (worker_threads); unlike Python's, they run in parallel.
import { Process, getContext, isMain } from 'multiprocessing-ts';

export function cpuBoundTask(): number {
  let result = 0;
  for (let i = 0; i < 10 ** 7; i++) {
    result += 1;
  }
  return result;
}

// Differs: the original has no main guard, which works only with fork; here the benchmark runs under isMain.
if (isMain(import.meta)) {
  const threading = getContext('thread');

  // Using threads
  let startTime = performance.now();
  const threads: Process[] = [];
  for (let i = 0; i < 10; i++) {
    const thread = new threading.Process({ target: cpuBoundTask });
    threads.push(thread);
    thread.start();
  }
  for (const thread of threads) {
    await thread.join();
  }
  console.log(`Threading took ${(performance.now() - startTime) / 1000}`);

  // Using processes
  startTime = performance.now();
  const processes: Process[] = [];
  for (let i = 0; i < 10; i++) {
    const p = new Process({ target: cpuBoundTask });
    processes.push(p);
    p.start();
  }
  for (const p of processes) {
    await p.join();
  }
  console.log(`Multiprocessing took ${(performance.now() - startTime) / 1000}`);
}
