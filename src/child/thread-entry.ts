/** Entry of thread-process children (worker_threads). */
import { workerData } from 'node:worker_threads';
import type { ThreadStartData } from '../process/popen-thread.js';

const data = workerData as ThreadStartData;

// Record the exit code where the parent's joinSync() can see it without its event loop.
process.once('exit', (code) => {
  Atomics.store(data.status, 1, code);
  Atomics.store(data.status, 0, 1);
  Atomics.notify(data.status, 0);
});

if (data.tsxLoader) {
  const { register } = (await import(data.tsxLoader)) as { register: () => unknown };
  register();
}
const { runChild } = await import('./run.js');
await runChild(data.message, { sameProcess: true });
