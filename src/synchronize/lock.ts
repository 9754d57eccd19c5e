/**
 * `Lock`: a non-recursive lock shared by processes and threads; any of them may release it, as
 * CPython's. A three-state futex mutex (Drepper, "Futexes are tricky"): taking a free lock is one
 * compare-and-swap in JavaScript; the kernel is entered only under contention.
 *
 * A holder killed while it holds the lock leaves it held: waiters block until their timeout (as
 * with CPython's semaphores). Use timeouts where a peer may be killed.
 */
import { threadId } from 'node:worker_threads';
import { ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { allocate, attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { selfInfo } from '../process/state.js';
import { abortError, Deadline, waitAsync, waitSync, wake } from './futex.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';

const STATE = 0; // 0 free, 1 held, 2 held and someone may wait
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
    Atomics.store(this.#word, OWNER_PID, process.pid);
    Atomics.store(this.#word, OWNER_THREAD, threadId);
    return true;
  }

  /** Takes the lock; resolves false if `block` is false or the timeout passes first. */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options);
    if (signal?.aborted) throw abortError(signal);
    const w = this.#word;
    if (Atomics.compareExchange(w, STATE, 0, 1) === 0) return this.#took();
    if (!block) return false;
    const deadline = new Deadline(timeout);
    let state = Atomics.exchange(w, STATE, 2);
    while (state !== 0) {
      const left = deadline.remaining();
      if (left === 0) return false;
      try {
        await waitAsync(w, STATE, 2, left, signal);
      } catch (error) {
        // An aborted wait may have taken the wake-up a release meant for another waiter: pass it on.
        wake(w, STATE, 1);
        throw error;
      }
      state = Atomics.exchange(w, STATE, 2);
    }
    return this.#took();
  }

  /** Blocking twin of `acquire()`: waits in the kernel, never by spinning. */
  acquireSync(options?: SyncBlockingOptions): boolean {
    const { block, timeout } = parseBlocking(options);
    const w = this.#word;
    if (Atomics.compareExchange(w, STATE, 0, 1) === 0) return this.#took();
    if (!block) return false;
    const deadline = new Deadline(timeout);
    let state = Atomics.exchange(w, STATE, 2);
    while (state !== 0) {
      const left = deadline.remaining();
      if (left === 0) return false;
      waitSync(w, STATE, 2, left);
      state = Atomics.exchange(w, STATE, 2);
    }
    return this.#took();
  }

  /** Releases the lock (any process or thread may). Throws if it is not held. */
  release(): void {
    const w = this.#word;
    if (Atomics.load(w, STATE) === 0) throw new ProcessError('semaphore or lock released too many times');
    Atomics.store(w, OWNER_PID, 0);
    Atomics.store(w, OWNER_THREAD, 0);
    if (Atomics.exchange(w, STATE, 0) === 2) wake(w, STATE, 1);
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
