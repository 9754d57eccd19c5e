/**
 * The Process class of each start method: what `getContext(method).Process` is, and what a Pool
 * starts its workers with.
 */
import { builtinProcessClass, Process } from './process.js';
import type { StartMethod } from './popen.js';

/**
 * A {@link Process} that always starts as a fresh Node.js process (CPython's
 * `multiprocessing.context.SpawnProcess`); `getContext('spawn').Process`.
 * @category Contexts
 */
export class SpawnProcess extends Process {
  /** `'spawn'`. */
  static override readonly startMethod: StartMethod = 'spawn';
}
/**
 * A {@link Process} that always starts from a pre-warmed spare process (CPython's
 * `multiprocessing.context.ForkServerProcess`); `getContext('forkserver').Process`.
 * @category Contexts
 */
export class ForkServerProcess extends Process {
  /** `'forkserver'`. */
  static override readonly startMethod: StartMethod = 'forkserver';
}
/**
 * A {@link Process} that always runs in a `worker_threads` Worker of this process;
 * `getContext('thread').Process`. The successor of CPython's `multiprocessing.dummy.Process`,
 * but truly parallel.
 * @category Contexts
 */
export class ThreadProcess extends Process {
  /** `'thread'`. */
  static override readonly startMethod: StartMethod = 'thread';
}
builtinProcessClass(SpawnProcess);
builtinProcessClass(ForkServerProcess);
builtinProcessClass(ThreadProcess);

/** The Process class of each start method (`ctx.Process`). */
export const PROCESS_CLASSES: Record<StartMethod, typeof Process> = {
  spawn: SpawnProcess,
  forkserver: ForkServerProcess,
  thread: ThreadProcess,
};

