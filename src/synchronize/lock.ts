/**
 * `Lock`: a non-recursive lock shared by processes and threads; any of them may release it, as
 * CPython's. A futex mutex (see mutex.ts): taking a free lock is one compare-and-swap in
 * JavaScript; the kernel is entered only under contention.
 *
 * A holder killed while it holds the lock leaves it held: waiters block until their timeout (as
 * with CPython's semaphores). Use timeouts where a peer may be killed.
 */
import { threadId } from 'node:worker_threads';
import { ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { allocate, attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { selfInfo } from '../process/state.js';
import { abortError, wake } from './futex.js';
import { lockAsync, lockSync } from './mutex.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const STATE = 0; // the mutex word (mutex.ts)
const OWNER_PID = 1;
const OWNER_THREAD = 2;
const WORDS = 3;

let attaching: Block | null = null;

/** Constructs a primitive over an existing block instead of a new one (used when rebuilding handles). */
export function withBlock<T>(block: Block, make: () => T): T {
  attaching = block;
  try {
    return make();
  } finally {
    attaching = null;
  }
}

/** The block a primitive's constructor should use: the one being attached, or a new one. */
export function takeBlock(bytes: number): Block {
  const block = attaching ?? allocate(bytes, 4);
  attaching = null;
  return block;
}

/** Who holds a lock, in CPython's repr words. */
export function ownerName(pid: number, thread: number): string {
  if (pid === 0) return 'None';
  if (pid !== process.pid) return 'SomeOtherProcess';
  return thread === threadId ? selfInfo().name : 'SomeOtherThread';
}

export class Lock {
  readonly #block: Block;
  readonly #word: Int32Array;

  constructor() {
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  #took(): true {
    // Plain writes: the owner is only shown by toString(), and the mutex word orders everything else.
    this.#word[OWNER_PID] = process.pid;
    this.#word[OWNER_THREAD] = threadId;
    return true;
  }

  /** Takes the lock; resolves false if `block` is false or the timeout passes first. */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options, 'Lock', 'acquire()');
    if (signal?.aborted) throw abortError(signal);
    return (await lockAsync(this.#word, STATE, block, timeout, signal)) && this.#took();
  }

  /** Blocking twin of `acquire()`: spins briefly (see SPIN_LIMIT_US in futex.ts), then waits in the kernel. */
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

  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'Lock', state: blockHandle(this.#block, destination) };
  }

  toString(): string {
    return `<Lock(owner=${ownerName(Atomics.load(this.#word, OWNER_PID), Atomics.load(this.#word, OWNER_THREAD))})>`;
  }
}

registerShareable('Lock', (state) => withBlock(attachBlock(state as BlockHandle), () => new Lock()));
