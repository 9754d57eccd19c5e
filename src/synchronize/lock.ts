/**
 * `Lock`: a non-recursive lock shared by processes and threads; any of them may release it, as
 * CPython's. A futex mutex (see mutex.ts): taking a free lock is one compare-and-swap in
 * JavaScript; the kernel is entered only under contention.
 *
 * A holder killed while it holds the lock leaves it held: waiters block until their timeout (as
 * with CPython's semaphores). Use timeouts where a peer may be killed.
 */
import { currentThreadId } from '../internal/builtins.js';
import { abortError, ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { allocate, attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { selfInfo } from '../process/state.js';
import { wake } from './futex.js';
import { lockAsync, lockSync } from './mutex.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const STATE = 0; // the mutex word (mutex.ts)
const OWNER_PID = 1;
const OWNER_THREAD = 2;
const WORDS = 3;

let attaching: Block | null = null;

/** @internal Constructs a primitive over an existing block instead of a new one (used when rebuilding handles). */
export function withBlock<T>(block: Block, make: () => T): T {
  attaching = block;
  try {
    return make();
  } finally {
    attaching = null;
  }
}

/** @internal The block a primitive's constructor should use: the one being attached, or a new one. */
export function takeBlock(bytes: number): Block {
  const block = attaching ?? allocate(bytes, 4);
  attaching = null;
  return block;
}

/**
 * @internal The calling thread as a lock's owner word: its thread id plus one, so that 0 stays
 * "no owner" (the main thread's id is 0: a reader that saw a half-written owner must never take a
 * freed word for the main thread).
 */
export function ownerThread(): number {
  return currentThreadId() + 1;
}

/** @internal Who holds a lock, in CPython's repr words (`thread` as {@link ownerThread} writes it). */
export function ownerName(pid: number, thread: number): string {
  if (pid === 0) return 'None';
  if (pid !== process.pid) return 'SomeOtherProcess';
  return thread === ownerThread() ? selfInfo().name : 'SomeOtherThread';
}

/**
 * A non-recursive lock shared by processes and threads (CPython's `multiprocessing.Lock`): once
 * taken, every other `acquire()`, in any process or thread, waits until it is released; any
 * process or thread may release it. Send it to children as a Process argument (or in a queue,
 * a Pool task...): it arrives as the same lock.
 *
 * How it differs from CPython: {@link Lock.acquire | acquire()} returns a Promise that
 * resolves to whether the lock was taken, timeouts are milliseconds, and a `signal` cancels the
 * wait; {@link Lock.acquireSync | acquireSync()} blocks the calling thread instead. There is no
 * `with`: use `try`/`finally`. A holder killed while it holds the lock leaves it held (as with
 * CPython's semaphores): use timeouts where a peer may be killed.
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { Lock, Process, isMain } from 'multiprocessing-ts';
 *
 * export async function report(lock: Lock, id: number): Promise<void> {
 *   await lock.acquire();
 *   try {
 *     console.log(`worker ${id} has the lock`);
 *   } finally {
 *     lock.release();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const lock = new Lock();
 *   const workers = [1, 2, 3].map((id) => new Process({ target: report, args: [lock, id] }));
 *   for (const p of workers) p.start();
 *   for (const p of workers) await p.join();
 * }
 * ```
 */
export class Lock {
  readonly #block: Block;
  readonly #word: Int32Array;

  /** A new, unlocked lock in shared memory. */
  constructor() {
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  #took(): true {
    // Plain writes: the owner is only shown by toString(), and the mutex word orders everything else.
    this.#word[OWNER_THREAD] = ownerThread();
    this.#word[OWNER_PID] = process.pid;
    return true;
  }

  /**
   * Takes the lock, waiting while another holder has it; resolves false if `block` is false or
   * the timeout passes first. A `signal` that aborts rejects the call with {@link AbortError}.
   */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options, 'Lock', 'acquire()');
    if (signal?.aborted) throw abortError(signal);
    return (await lockAsync(this.#word, STATE, block, timeout, signal)) && this.#took();
  }

  /**
   * Blocking twin of `acquire()`, for worker code that may block its thread: spins briefly, then
   * sleeps in the kernel (no busy-waiting).
   */
  acquireSync(options?: SyncBlockingOptions): boolean {
    const { block, timeout } = parseBlocking(options, 'Lock', 'acquireSync()');
    return lockSync(this.#word, STATE, block, timeout) && this.#took();
  }

  /**
   * Takes the lock for the length of a block: resolves with a handle whose disposal releases it
   * (once). Rejects with TimeoutError if `timeout` ms pass first, and with AbortError if `signal`
   * aborts: a hold never resolves without the lock.
   *
   * @example
   * const lock = new Lock();
   * {
   *   await using held = await lock.hold({ timeout: 1000 });
   *   // ... the lock is held here ...
   * } // released here, however the block ends
   */
  hold(options?: HoldOptions): Promise<HeldLock> {
    return hold(this, 'Lock', options);
  }

  /**
   * Blocking twin of `hold()`, for `using`: throws TimeoutError if `timeout` ms pass first.
   *
   * @example
   * {
   *   using held = lock.holdSync({ timeout: 1000 });
   *   // ... the lock is held here ...
   * }
   */
  holdSync(options?: SyncHoldOptions): HeldLock {
    return holdSync(this, 'Lock', options);
  }

  /** Releases the lock (any process or thread may). Throws if it is not held. */
  release(): void {
    const w = this.#word;
    w[OWNER_PID] = 0;
    w[OWNER_THREAD] = 0;
    const state = Atomics.exchange(w, STATE, 0);
    if (state === 0) throw new ProcessError('semaphore or lock released too many times');
    if (state === 2) wake(w, STATE, 1);
  }

  /** Whether some process or thread holds the lock now. */
  isLocked(): boolean {
    return Atomics.load(this.#word, STATE) !== 0;
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'Lock', state: blockHandle(this.#block, destination) };
  }

  /** CPython's repr: `<Lock(owner=MainProcess)>`, or `owner=None` when free. */
  toString(): string {
    return `<Lock(owner=${ownerName(Atomics.load(this.#word, OWNER_PID), Atomics.load(this.#word, OWNER_THREAD))})>`;
  }
}

registerShareable('Lock', (state) => withBlock(attachBlock(state as BlockHandle), () => new Lock()));
