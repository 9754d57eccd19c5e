/**
 * `RLock`: a recursive lock shared by processes and threads. The thread (of a process) that
 * holds it may take it again; it is free once released as many times as it was taken, and only
 * its owner may release it, as CPython's. The same three-state futex mutex as `Lock` underneath:
 * the kernel is entered only under contention.
 *
 * A holder killed while it holds the lock leaves it held: waiters block until their timeout.
 */
import { abortError, ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { lockAsync, lockSync, unlock } from './mutex.js';
import { ownerName, ownerThread, takeBlock, withBlock } from './lock.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const STATE = 0; // the mutex word (mutex.ts)
const OWNER_PID = 1;
const OWNER_THREAD = 2;
const COUNT = 3;
const WORDS = 4;

/** @internal Hooks `Condition` uses to give up an RLock completely while it waits, and to take it back. */
export const kIsOwned = Symbol('isOwned');
/** @internal */
export const kReleaseSave = Symbol('releaseSave');
/** @internal */
export const kAcquireRestore = Symbol('acquireRestore');
/** @internal */
export const kAcquireRestoreSync = Symbol('acquireRestoreSync');
/** @internal */
export const kTryRestore = Symbol('tryRestore');

/**
 * A recursive lock shared by processes and threads (CPython's `multiprocessing.RLock`): the
 * thread (of a process) that holds it may take it again, it is free once released as many times
 * as it was taken, and only its owner may release it. Send it to children as a Process argument:
 * it arrives as the same lock.
 *
 * How it differs from CPython: {@link RLock.acquire | acquire()} returns a Promise of whether
 * the lock was taken, timeouts are milliseconds, a `signal` cancels the wait, and
 * {@link RLock.acquireSync | acquireSync()} blocks the calling thread instead. Ownership is per
 * thread, as CPython's: async code in one thread that awaits between `acquire()` and `release()`
 * shares the ownership with every other task of that thread.
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { RLock } from 'multiprocessing-ts';
 *
 * const lock = new RLock();
 * lock.acquireSync();
 * try {
 *   lock.acquireSync(); // the owner may take it again
 *   try {
 *     console.log(String(lock)); // <RLock(MainProcess, 2)>
 *   } finally {
 *     lock.release();
 *   }
 * } finally {
 *   lock.release();
 * }
 * ```
 */
export class RLock {
  readonly #block: Block;
  readonly #word: Int32Array;

  /** A new, unlocked recursive lock in shared memory. */
  constructor() {
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  #mine(): boolean {
    const w = this.#word;
    // The pid first: #took writes it last and #free clears it first, so a thread of the owner's
    // process that sees the pid also sees the owner's thread word (or 0, never its own).
    return Atomics.load(w, OWNER_PID) === process.pid && Atomics.load(w, OWNER_THREAD) === ownerThread();
  }

  #took(count: number): true {
    const w = this.#word;
    // Other threads of this process read these words without the mutex (in #mine): ordered stores.
    Atomics.store(w, COUNT, count);
    Atomics.store(w, OWNER_THREAD, ownerThread());
    Atomics.store(w, OWNER_PID, process.pid);
    return true;
  }

  async #take(count: number, block: boolean, timeout: number | null, signal: AbortSignal | undefined): Promise<boolean> {
    return (await lockAsync(this.#word, STATE, block, timeout, signal)) && this.#took(count);
  }

  #takeSync(count: number, block: boolean, timeout: number | null): boolean {
    return lockSync(this.#word, STATE, block, timeout) && this.#took(count);
  }

  /**
   * Takes the lock (again, if this thread holds it); resolves false if `block` is false or the
   * timeout passes first. A `signal` that aborts rejects the call with {@link AbortError}.
   */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options, 'RLock', 'acquire()');
    if (signal?.aborted) throw abortError(signal);
    if (this.#mine()) {
      this.#word[COUNT]! += 1;
      return true;
    }
    return this.#take(1, block, timeout, signal);
  }

  /**
   * Blocking twin of `acquire()`, for worker code that may block its thread: spins briefly, then
   * sleeps in the kernel (no busy-waiting).
   */
  acquireSync(options?: SyncBlockingOptions): boolean {
    const { block, timeout } = parseBlocking(options, 'RLock', 'acquireSync()');
    if (this.#mine()) {
      this.#word[COUNT]! += 1;
      return true;
    }
    return this.#takeSync(1, block, timeout);
  }

  /**
   * Takes the lock for the length of a block: resolves with a handle whose disposal releases it
   * (once). Rejects with TimeoutError if `timeout` ms pass first, and with AbortError if `signal`
   * aborts: a hold never resolves without the lock. The thread that holds it may hold it again (each
   * handle releases one level); dispose of the handle in that thread.
   *
   * @example
   * const rlock = new RLock();
   * {
   *   await using held = await rlock.hold({ timeout: 1000 });
   *   // ... the lock is held here ...
   * } // released here, however the block ends
   */
  hold(options?: HoldOptions): Promise<HeldLock> {
    return hold(this, 'RLock', options);
  }

  /**
   * Blocking twin of `hold()`, for `using`: throws TimeoutError if `timeout` ms pass first.
   *
   * @example
   * {
   *   using held = rlock.holdSync({ timeout: 1000 });
   *   // ... the lock is held here ...
   * }
   */
  holdSync(options?: SyncHoldOptions): HeldLock {
    return holdSync(this, 'RLock', options);
  }

  /** Undoes one `acquire()`; the lock is free after as many releases as acquires. Only the owner may release. */
  release(): void {
    if (!this.#mine()) throw new ProcessError('attempt to release recursive lock not owned by thread');
    const w = this.#word;
    if ((w[COUNT]! -= 1) > 0) return;
    this.#free();
  }

  #free(): void {
    const w = this.#word;
    Atomics.store(w, OWNER_PID, 0);
    Atomics.store(w, OWNER_THREAD, 0);
    Atomics.store(w, COUNT, 0);
    unlock(w, STATE);
  }

  /** @internal */
  [kIsOwned](): boolean {
    return this.#mine();
  }

  /** @internal Frees the lock whatever its depth; returns the depth, for `kAcquireRestore`. */
  [kReleaseSave](): number {
    if (!this.#mine()) throw new ProcessError('attempt to release recursive lock not owned by thread');
    const count = Atomics.load(this.#word, COUNT);
    this.#free();
    return count;
  }

  /**
   * @internal Takes the lock back at the depth `kReleaseSave` returned; resolves false if
   * `timeout` ms (null: no limit) pass first.
   */
  [kAcquireRestore](count: number, timeout: number | null): Promise<boolean> {
    return this.#take(count, true, timeout, undefined);
  }

  /** @internal */
  [kAcquireRestoreSync](count: number, timeout: number | null): boolean {
    return this.#takeSync(count, true, timeout);
  }

  /** @internal Takes the lock back at that depth if it is free; returns whether it did. */
  [kTryRestore](count: number): boolean {
    return this.#takeSync(count, false, null);
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'RLock', state: blockHandle(this.#block, destination) };
  }

  /** CPython's repr: `<RLock(owner, depth)>`, such as `<RLock(MainProcess, 1)>` or `<RLock(None, 0)>`. */
  toString(): string {
    const w = this.#word;
    const pid = Atomics.load(w, OWNER_PID);
    const count = Atomics.load(w, COUNT);
    return `<RLock(${ownerName(pid, Atomics.load(w, OWNER_THREAD))}, ${pid === 0 ? 0 : count})>`;
  }
}

registerShareable('RLock', (state) => withBlock(attachBlock(state as BlockHandle), () => new RLock()));
