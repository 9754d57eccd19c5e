/**
 * `Condition`: a condition variable shared by processes and threads, over a `Lock` or an `RLock`
 * (a new `RLock` by default). `wait()` gives the lock up completely, sleeps until notified (or the
 * timeout), and takes the lock back before returning, at the depth it was held.
 *
 * `notify(n)` wakes at most `n` of the waiters that were waiting when it was called. Shared words
 * count the waiters not yet notified and the notifications not yet taken ("tokens"); each notify
 * that moves tokens starts a new epoch, and only waiters that started waiting before the current
 * epoch may take a token, so a waiter that arrives later cannot take a notification meant for
 * another.
 */
import { ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { abortError, Deadline, wake } from './futex.js';
import { runAsync, runSync, type Step, type Steps } from './steps.js';
import { Lock, takeBlock, withBlock } from './lock.js';
import { kAcquireRestore, kAcquireRestoreSync, kIsOwned, kReleaseSave, kTryRestore, RLock } from './rlock.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const WAITING = 0; // waiters not notified yet
const TOKENS = 1; // notifications not taken yet
const EPOCH = 2; // advanced by every notify that hands out tokens; waiters sleep on it
const WORDS = 3;

/**
 * Options of {@link Condition.wait} and {@link Condition.waitFor}.
 * @category Synchronization
 */
export interface WaitOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: the call rejects with AbortError (once the lock is held again). */
  signal?: AbortSignal;
}

// ---- the condition ----------------------------------------------------------------------------

/** How a wait gives the lock up and takes it back, for each kind of lock. */
interface LockOps {
  owned(): boolean;
  releaseSave(): number;
  restore(saved: number): Step;
}

function lockOps(lock: Lock | RLock): LockOps {
  if (lock instanceof RLock) {
    return {
      owned: () => lock[kIsOwned](),
      releaseSave: () => lock[kReleaseSave](),
      restore: (saved) => ({
        op: 'call',
        sync: () => lock[kAcquireRestoreSync](saved),
        async: () => lock[kAcquireRestore](saved),
        now: () => lock[kTryRestore](saved),
      }),
    };
  }
  return {
    // A plain Lock has no owner to check: "owned" means held, as in CPython.
    owned: () => lock.isLocked(),
    releaseSave: () => {
      lock.release();
      return 1;
    },
    restore: () => ({
      op: 'call',
      sync: () => lock.acquireSync(),
      async: () => lock.acquire(),
      now: () => lock.acquireSync({ block: false }),
    }),
  };
}

let rebuildingLock: Lock | RLock | null = null;

/**
 * A condition variable shared by processes and threads (CPython's `multiprocessing.Condition`),
 * over a {@link Lock} or an {@link RLock} (a new RLock by default). While holding the lock, a
 * process {@link Condition.wait | waits} until another one {@link Condition.notify | notifies}
 * it; `wait()` gives the lock up completely while it sleeps and takes it back before it returns.
 * Send it to children as a Process argument: it arrives as the same condition, on the same lock.
 *
 * How it differs from CPython: `acquire()`, `wait()` and `waitFor()` return Promises (their
 * `...Sync` twins block the calling thread), timeouts are milliseconds, a `signal` cancels a
 * wait, and there is no `with`: use `try`/`finally`.
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { Condition, Process, Value, isMain } from 'multiprocessing-ts';
 *
 * export async function produce(cond: Condition, ready: Value<'i'>): Promise<void> {
 *   await cond.acquire();
 *   try {
 *     ready.value = 1;
 *     cond.notifyAll();
 *   } finally {
 *     cond.release();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const cond = new Condition();
 *   const ready = new Value('i', 0);
 *   const p = new Process({ target: produce, args: [cond, ready] });
 *   await cond.acquire();
 *   try {
 *     p.start();
 *     await cond.waitFor(() => ready.value === 1, { timeout: 5_000 });
 *     console.log('the producer is done');
 *   } finally {
 *     cond.release();
 *   }
 *   await p.join();
 * }
 * ```
 */
export class Condition {
  readonly #block: Block;
  readonly #word: Int32Array;
  readonly #lock: Lock | RLock;
  readonly #ops: LockOps;

  /**
   * A new condition variable in shared memory.
   * @param lock The lock to wait with; omitted or null: a new {@link RLock}.
   */
  constructor(lock?: Lock | RLock | null) {
    const given = rebuildingLock ?? lock;
    rebuildingLock = null;
    if (given !== undefined && given !== null && !(given instanceof Lock) && !(given instanceof RLock)) {
      throw new TypeError('Condition lock must be a Lock or an RLock');
    }
    this.#lock = given ?? new RLock();
    this.#ops = lockOps(this.#lock);
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  /** Takes the underlying lock (see `Lock.acquire` / `RLock.acquire`). */
  acquire(options?: BlockingOptions): Promise<boolean> {
    try {
      parseBlocking(options, 'Condition', 'acquire()');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#lock.acquire(options);
  }

  /** Blocking twin of `acquire()`: takes the underlying lock, blocking the calling thread. */
  acquireSync(options?: SyncBlockingOptions): boolean {
    parseBlocking(options, 'Condition', 'acquireSync()');
    return this.#lock.acquireSync(options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /**
   * Takes the underlying lock for the length of a block: resolves with a handle whose disposal releases it
   * (once). Rejects with TimeoutError if `timeout` ms pass first, and with AbortError if `signal`
   * aborts: a hold never resolves without the underlying lock. Inside the block, `wait()` and `notify()` may be
   * called.
   *
   * @example
   * const cond = new Condition();
   * {
   *   await using held = await cond.hold({ timeout: 1000 });
   *   // ... the underlying lock is held here ...
   * } // released here, however the block ends
   */
  hold(options?: HoldOptions): Promise<HeldLock> {
    return hold(this, 'Condition', options);
  }

  /**
   * Blocking twin of `hold()`, for `using`: throws TimeoutError if `timeout` ms pass first.
   *
   * @example
   * {
   *   using held = cond.holdSync({ timeout: 1000 });
   *   // ... the underlying lock is held here ...
   * }
   */
  holdSync(options?: SyncHoldOptions): HeldLock {
    return holdSync(this, 'Condition', options);
  }

  /** Takes one token, if any is left. */
  #takeToken(): boolean {
    const w = this.#word;
    let tokens = Atomics.load(w, TOKENS);
    while (tokens > 0) {
      const seen = Atomics.compareExchange(w, TOKENS, tokens, tokens - 1);
      if (seen === tokens) return true;
      tokens = seen;
    }
    return false;
  }

  /** Hands out up to `n` tokens to the waiters not yet notified; the lock must be held. */
  #notifyLocked(n: number): void {
    const w = this.#word;
    const waiting = Atomics.load(w, WAITING);
    const count = Math.min(Math.floor(n), waiting);
    if (count <= 0) return;
    Atomics.sub(w, WAITING, count);
    Atomics.add(w, TOKENS, count);
    Atomics.add(w, EPOCH, 1);
    wake(w, EPOCH, count === waiting ? 0x7fffffff : count);
  }

  /** After taking a token: if tokens are left, make sure someone who may take one is awake. */
  #passOn(): void {
    if (Atomics.load(this.#word, TOKENS) > 0) wake(this.#word, EPOCH, 1);
  }

  /** The wait algorithm: gives the lock up, sleeps until a token or the deadline, takes the lock back. */
  *#waitSteps(timeout: number | null): Steps<boolean> {
    const ops = this.#ops;
    if (!ops.owned()) throw new ProcessError('must acquire() condition before using wait()');
    const w = this.#word;
    Atomics.add(w, WAITING, 1);
    const epoch = Atomics.load(w, EPOCH);
    const saved = ops.releaseSave();
    const deadline = new Deadline(timeout);
    let notified = false;
    let spun = false;
    try {
      for (;;) {
        const now = Atomics.load(w, EPOCH);
        if (now !== epoch && this.#takeToken()) {
          notified = true;
          this.#passOn();
          break;
        }
        const left = deadline.remaining();
        if (left === 0) break;
        if (!spun) {
          // A notify within the spin window is seen without sleeping. Either way, look again (the
          // deadline too: an async spin takes turns of the event loop).
          spun = true;
          yield { op: 'spin', view: w, index: EPOCH, expected: now, timeout: left };
          continue;
        }
        yield { op: 'futex', view: w, index: EPOCH, expected: now, timeout: left };
      }
    } catch (error) {
      // Aborted: take the lock back, then leave without keeping a notification from another waiter.
      yield ops.restore(saved);
      if (Atomics.load(w, EPOCH) !== epoch && this.#takeToken()) this.#notifyLocked(1);
      else Atomics.sub(w, WAITING, 1);
      throw error;
    }
    yield ops.restore(saved);
    if (!notified) {
      // Timed out. A notification that came meanwhile is still taken (as CPython's, which may also
      // report being notified at the deadline); otherwise this waiter leaves the count.
      if (Atomics.load(w, EPOCH) !== epoch && this.#takeToken()) notified = true;
      else Atomics.sub(w, WAITING, 1);
    }
    return notified;
  }

  /**
   * Releases the lock, waits until notified or the timeout passes, and takes the lock back.
   * Resolves true if notified, false on timeout. The lock must be held.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = parseBlocking(options, 'Condition', 'wait()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitSteps(timeout), signal);
  }

  /** Blocking twin of `wait()`. */
  waitSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const { timeout } = parseBlocking(options, 'Condition', 'waitSync()', 'timeout');
    return runSync(this.#waitSteps(timeout));
  }

  /** @internal For Barrier: the wait algorithm as steps. */
  waitSteps(timeout: number | null): Steps<boolean> {
    return this.#waitSteps(timeout);
  }

  *#waitForSteps<T>(predicate: () => T, timeout: number | null): Steps<T> {
    let result = predicate();
    if (result) return result;
    const deadline = new Deadline(timeout);
    while (!result) {
      const left = deadline.remaining();
      if (left === 0) break;
      yield* this.#waitSteps(left);
      result = predicate();
    }
    return result;
  }

  /**
   * Waits until `predicate()` is truthy (checked with the lock held, first before waiting) or the
   * timeout passes; resolves with the predicate's last value.
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function');
    const { timeout, signal } = parseBlocking(options, 'Condition', 'waitFor()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitForSteps(predicate, timeout), signal);
  }

  /** Blocking twin of `waitFor()`. */
  waitForSync<T>(predicate: () => T, options?: Omit<WaitOptions, 'signal'>): T {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function');
    const { timeout } = parseBlocking(options, 'Condition', 'waitForSync()', 'timeout');
    return runSync(this.#waitForSteps(predicate, timeout));
  }

  /** Wakes at most `n` of the current waiters. The lock must be held. */
  notify(n = 1): void {
    if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError('n must be a number');
    if (!this.#ops.owned()) throw new ProcessError('lock is not owned');
    this.#notifyLocked(n);
  }

  /** Wakes every current waiter. The lock must be held. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: { block: BlockHandle; lock: Lock | RLock } } {
    return { type: 'Condition', state: { block: blockHandle(this.#block, destination), lock: this.#lock } };
  }

  /** CPython's repr: `<Condition(<RLock(None, 0)>, 0)>` (the lock, then the number of waiters). */
  toString(): string {
    const w = this.#word;
    return `<Condition(${String(this.#lock)}, ${Atomics.load(w, WAITING) + Atomics.load(w, TOKENS)})>`;
  }
}

registerShareable('Condition', (state) => {
  const { block, lock } = state as { block: BlockHandle; lock: Lock | RLock };
  return withBlock(attachBlock(block), () => {
    rebuildingLock = lock;
    return new Condition();
  });
});
