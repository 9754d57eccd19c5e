/**
 * `Semaphore` and `BoundedSemaphore`: a counter shared by processes and threads. `acquire()`
 * takes one unit, waiting while the counter is 0; `release()` gives one back. Taking an available
 * unit is one compare-and-swap in JavaScript; the kernel is entered only to sleep or to wake a
 * sleeper.
 *
 * A process killed between acquire and release does not give its unit back (as CPython's).
 */
import { abortError, ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { wake } from './futex.js';
import { Deadline } from '../internal/deadline.js';
import { runAsync, runSync, type Steps } from './steps.js';
import { takeBlock, withBlock } from './lock.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const VALUE = 0; // units available
const SLEEPERS = 1; // waiters that may be asleep on VALUE
const BOUND = 2; // the most VALUE may reach (BoundedSemaphore), or -1
const WORDS = 3;

/**
 * The largest value a semaphore can hold (CPython's SEM_VALUE_MAX on Linux).
 * @category Synchronization
 */
export const SEM_VALUE_MAX = 2147483647;

let rebuilding = false;

function checkValue(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`semaphore value must be an integer, not ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < 0) throw new RangeError('semaphore initial value must be >= 0');
  if (value > SEM_VALUE_MAX) throw new RangeError(`semaphore initial value must be <= ${SEM_VALUE_MAX}`);
  return value;
}

/**
 * A counter shared by processes and threads (CPython's `multiprocessing.Semaphore`):
 * {@link Semaphore.acquire | acquire()} takes one unit, waiting while none is left, and
 * {@link Semaphore.release | release()} gives one back. Send it to children as a Process
 * argument: it arrives as the same semaphore.
 *
 * How it differs from CPython: `acquire()` returns a Promise of whether a unit was taken,
 * timeouts are milliseconds, a `signal` cancels the wait, and
 * {@link Semaphore.acquireSync | acquireSync()} blocks the calling thread instead. A process
 * killed between acquire and release does not give its unit back (as CPython's).
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { Process, Semaphore, isMain } from 'multiprocessing-ts';
 *
 * export async function download(slots: Semaphore, id: number): Promise<void> {
 *   await slots.acquire();
 *   try {
 *     console.log(`download ${id}: at most two run at once`);
 *   } finally {
 *     slots.release();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const slots = new Semaphore(2);
 *   const workers = [1, 2, 3, 4].map((id) => new Process({ target: download, args: [slots, id] }));
 *   for (const p of workers) p.start();
 *   for (const p of workers) await p.join();
 * }
 * ```
 */
export class Semaphore {
  readonly #block: Block;
  readonly #word: Int32Array;

  /**
   * A new semaphore in shared memory.
   * @param value The units available at first (default 1), 0 to {@link SEM_VALUE_MAX}.
   */
  constructor(value = 1) {
    const fresh = !rebuilding;
    rebuilding = false;
    if (fresh) checkValue(value);
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
    if (fresh) {
      Atomics.store(this.#word, VALUE, value);
      Atomics.store(this.#word, BOUND, this instanceof BoundedSemaphore ? value : -1);
    }
  }

  /** Takes a unit if one is there, without waiting. */
  #tryTake(): boolean {
    const w = this.#word;
    let value = Atomics.load(w, VALUE);
    while (value > 0) {
      const seen = Atomics.compareExchange(w, VALUE, value, value - 1);
      if (seen === value) return true;
      value = seen;
    }
    return false;
  }

  /** After a sleeper got a unit: if units are left and others may sleep, one of them is woken too. */
  #passOn(): void {
    const w = this.#word;
    if (Atomics.load(w, VALUE) > 0 && Atomics.load(w, SLEEPERS) > 0) wake(w, VALUE, 1);
  }

  /** Waits for a unit while none is free. */
  *#contended(timeout: number | null): Steps<boolean> {
    const w = this.#word;
    const deadline = new Deadline(timeout);
    let spun = false;
    for (;;) {
      const left = deadline.remaining();
      if (left === 0) return false;
      if (!spun) {
        // A unit released within the spin window is taken without sleeping.
        spun = true;
        if ((yield { op: 'spin', view: w, index: VALUE, expected: 0, timeout: left }) && this.#tryTake()) return true;
        continue;
      }
      Atomics.add(w, SLEEPERS, 1);
      try {
        yield { op: 'futex', view: w, index: VALUE, expected: 0, timeout: left };
      } catch (error) {
        // Aborted: this waiter may have taken a wake-up meant for another one; hand it on.
        Atomics.sub(w, SLEEPERS, 1);
        this.#passOn();
        throw error;
      }
      Atomics.sub(w, SLEEPERS, 1);
      if (this.#tryTake()) {
        this.#passOn();
        return true;
      }
    }
  }

  /**
   * Takes one unit, waiting while none is left; resolves false if `block` is false or the timeout
   * passes first. A `signal` that aborts rejects the call with {@link AbortError}.
   */
  async acquire(options?: BlockingOptions): Promise<boolean> {
    const { block, timeout, signal } = parseBlocking(options, this.constructor.name, 'acquire()');
    if (signal?.aborted) throw abortError(signal);
    if (this.#tryTake()) return true;
    return block && runAsync(this.#contended(timeout), signal);
  }

  /**
   * Blocking twin of `acquire()`, for worker code that may block its thread: spins briefly, then
   * sleeps in the kernel (no busy-waiting).
   */
  acquireSync(options?: SyncBlockingOptions): boolean {
    const { block, timeout } = parseBlocking(options, this.constructor.name, 'acquireSync()');
    if (this.#tryTake()) return true;
    return block && runSync(this.#contended(timeout));
  }

  /**
   * Takes one unit for the length of a block: resolves with a handle whose disposal releases it
   * (once). Rejects with TimeoutError if `timeout` ms pass first, and with AbortError if `signal`
   * aborts: a hold never resolves without one unit.
   *
   * @example
   * const slots = new Semaphore(4);
   * {
   *   await using held = await slots.hold({ timeout: 1000 });
   *   // ... one unit is held here ...
   * } // released here, however the block ends
   */
  hold(options?: HoldOptions): Promise<HeldLock> {
    return hold(this, this.constructor.name, options);
  }

  /**
   * Blocking twin of `hold()`, for `using`: throws TimeoutError if `timeout` ms pass first.
   *
   * @example
   * {
   *   using held = slots.holdSync({ timeout: 1000 });
   *   // ... one unit is held here ...
   * }
   */
  holdSync(options?: SyncHoldOptions): HeldLock {
    return holdSync(this, this.constructor.name, options);
  }

  /** Gives one unit back and wakes a waiter, if any. */
  release(): void {
    const w = this.#word;
    const bound = Atomics.load(w, BOUND);
    let value = Atomics.load(w, VALUE);
    for (;;) {
      if (bound >= 0 && value >= bound) throw new ProcessError('semaphore or lock released too many times');
      if (value >= SEM_VALUE_MAX) throw new RangeError(`semaphore value cannot exceed ${SEM_VALUE_MAX}`);
      const seen = Atomics.compareExchange(w, VALUE, value, value + 1);
      if (seen === value) break;
      value = seen;
    }
    if (Atomics.load(w, SLEEPERS) > 0) wake(w, VALUE, 1);
  }

  /** The number of units available now. */
  getValue(): number {
    return Atomics.load(this.#word, VALUE);
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: this instanceof BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore', state: blockHandle(this.#block, destination) };
  }

  /** CPython's repr: `<Semaphore(value=2)>`, `<BoundedSemaphore(value=1, maxvalue=2)>`. */
  toString(): string {
    const w = this.#word;
    const bound = Atomics.load(w, BOUND);
    const value = Atomics.load(w, VALUE);
    return bound >= 0 ? `<BoundedSemaphore(value=${value}, maxvalue=${bound})>` : `<Semaphore(value=${value})>`;
  }
}

/**
 * A {@link Semaphore} whose value may not be released above its initial value (CPython's
 * `multiprocessing.BoundedSemaphore`): one `release()` too many throws a {@link ProcessError}.
 * @category Synchronization
 * @example
 * ```ts
 * import { BoundedSemaphore } from 'multiprocessing-ts';
 *
 * const sem = new BoundedSemaphore(1);
 * await sem.acquire();
 * sem.release();
 * try {
 *   sem.release(); // above the initial value
 * } catch (error) {
 *   console.log((error as Error).message); // semaphore or lock released too many times
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {}

function rebuild<T>(make: () => T): T {
  rebuilding = true;
  try {
    return make();
  } finally {
    rebuilding = false;
  }
}

registerShareable('Semaphore', (state) => rebuild(() => withBlock(attachBlock(state as BlockHandle), () => new Semaphore())));
registerShareable('BoundedSemaphore', (state) =>
  rebuild(() => withBlock(attachBlock(state as BlockHandle), () => new BoundedSemaphore())),
);
