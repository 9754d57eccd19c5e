/**
 * Entry of thread-process children (worker_threads). Boots as a spare: registers tsx when the
 * parent runs under it, imports the child runtime, reports ready, then waits for the start
 * message that makes it one Process.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadBootData, ThreadStart } from '../process/popen-thread.js';

const bootData = workerData as ThreadBootData;

// The kernel's id of this thread ('<pid>/task/<tid>'), for the parent's affinity and priority
// calls on this thread-process. Published first: such a call may wait for it.
let tid = -1;
try {
  tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1)) || -1;
} catch {
  // Not Linux (or no /proc): those calls need the Linux addon anyway.
}
Atomics.store(bootData.tid, 0, tid);
Atomics.notify(bootData.tid, 0);

/**
 * Loads the child runtime, then waits for the start message. Not top-level await: a thread
 * terminated while an entry module with top-level await is still evaluating can abort the whole
 * process on Node 20 (a V8 check in async module evaluation), and spares are terminated while
 * booting (a pool ending, a burst of starts over).
 */
async function boot(): Promise<void> {
  if (bootData.tsxLoader) {
    const { register } = (await import(bootData.tsxLoader)) as { register: () => unknown };
    register();
  }
  const { useAddonFoundByParent } = await import('../internal/native.js');
  useAddonFoundByParent(bootData.addon);
  const { runChild } = await import('./run.js');
  const { closeOwnedEnds } = await import('../connection/port-socket.js');

  parentPort!.once('message', (start: ThreadStart) => {
    // Record the exit code where the parent's joinSync() can see it without its event loop.
    process.once('exit', (code) => {
      // Pipe ends between threads this thread still holds: their peers see end of file, even in
      // a blocking read (a killed thread runs nothing: then only async reads see it).
      closeOwnedEnds();
      Atomics.store(start.status, 1, code);
      Atomics.store(start.status, 0, 1);
      Atomics.notify(start.status, 0);
    });
    void runChild(start.message, { sameProcess: true });
  });
  parentPort!.postMessage({ type: 'mp:ready' });
}

boot().catch((error: unknown) => {
  // As a failed top-level await would: the thread fails with the error (the parent's 'error' event).
  process.nextTick(() => {
    throw error;
  });
});
