/**
 * `RLock`: a recursive lock shared by processes and threads. The thread (of a process) that
 * holds it may take it again; it is free once released as many times as it was taken, and only
 * its owner may release it, as CPython's. The same three-state futex mutex as `Lock` underneath:
 * the kernel is entered only under contention.
 *
 * A holder killed while it holds the lock leaves it held: waiters block until their timeout.
 */
import { threadId } from 'node:worker_threads';
import { ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { abortError } from './futex.js';
import { lockAsync, lockSync, unlock } from './mutex.js';
import { ownerName, takeBlock, withBlock } from './lock.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const STATE = 0; // the mutex word (mutex.ts)
const OWNER_PID = 1;
const OWNER_THREAD = 2;
const COUNT = 3;
const WORDS = 4;

/** Hooks `Condition` uses to give up an RLock completely while it waits, and to take it back. */
export const kIsOwned = Symbol('isOwned');
export const kReleaseSave = Symbol('releaseSave');
export const kAcquireRestore = Symbol('acquireRestore');
export const kAcquireRestoreSync = Symbol('acquireRestoreSync');
export const kTryRestore = Symbol('tryRestore');

export class RLock {
  readonly #block: Block;
  readonly #word: Int32Array;

  constructor() {
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  #mine(): boolean {
    const w = this.#word;
    return w[OWNER_PID] === process.pid && w[OWNER_THREAD] === threadId;
  }

  #took(count: number): true {
    const w = this.#word;
    // Plain writes: only the owner writes its own ids and count, and the mutex word's fenced
    // operations publish them; no other thread can mistake them for its own.
    w[OWNER_PID] = process.pid;
    w[OWNER_THREAD] = threadId;
    w[COUNT] = count;
    return true;
  }

  async #take(count: number, block: boolean, timeout: number | null, signal: AbortSignal | undefined): Promise<boolean> {
    return (await lockAsync(this.#word, STATE, block, timeout, signal)) && this.#took(count);
  }

  #takeSync(count: number, block: boolean, timeout: number | null): boolean {
    return lockSync(this.#word, STATE, block, timeout) && this.#took(count);
  }

  /** Takes the lock (again, if this thread holds it); resolves false if `block` is false or the timeout passes first. */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options, 'RLock', 'acquire()');
    if (signal?.aborted) throw abortError(signal);
    if (this.#mine()) {
      this.#word[COUNT]! += 1;
      return true;
    }
    return this.#take(1, block, timeout, signal);
  }

  /** Blocking twin of `acquire()`: spins briefly (see SPIN_LIMIT_US in futex.ts), then waits in the kernel. */
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
    w[COUNT] = 0;
    w[OWNER_PID] = 0;
    w[OWNER_THREAD] = 0;
    unlock(w, STATE);
  }

  [kIsOwned](): boolean {
    return this.#mine();
  }

  /** Frees the lock whatever its depth; returns the depth, for `kAcquireRestore`. */
  [kReleaseSave](): number {
    if (!this.#mine()) throw new ProcessError('attempt to release recursive lock not owned by thread');
    const count = Atomics.load(this.#word, COUNT);
    this.#free();
    return count;
  }

  /** Takes the lock back at the depth `kReleaseSave` returned (no timeout: the caller must get it back). */
  async [kAcquireRestore](count: number): Promise<void> {
    await this.#take(count, true, null, undefined);
  }

  [kAcquireRestoreSync](count: number): void {
    this.#takeSync(count, true, null);
  }

  /** Takes the lock back at that depth if it is free; returns whether it did. */
  [kTryRestore](count: number): boolean {
    return this.#takeSync(count, false, null);
  }

  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'RLock', state: blockHandle(this.#block, destination) };
  }

  toString(): string {
    const w = this.#word;
    const pid = Atomics.load(w, OWNER_PID);
    const count = Atomics.load(w, COUNT);
    return `<RLock(${ownerName(pid, Atomics.load(w, OWNER_THREAD))}, ${pid === 0 ? 0 : count})>`;
  }
}

registerShareable('RLock', (state) => withBlock(attachBlock(state as BlockHandle), () => new RLock()));
