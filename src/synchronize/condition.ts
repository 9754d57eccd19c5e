/**
 * `Condition`: a condition variable shared by processes and threads, over a `Lock` or an `RLock`
 * (a new `RLock` by default). `wait()` gives the lock up completely, sleeps until notified (or the
 * timeout), and takes the lock back before returning, at the depth it was held.
 *
 * `notify(n)` wakes at most `n` of the waiters that were waiting when it was called. Shared words
 * count the waiters not yet notified; a notify turns up to `n` of them into notifications not yet
 * taken ("tokens"), which any waiter it was meant for may take. Each token carries the label of
 * the notify that made it, and a waiter takes only tokens labelled after it began waiting, so a
 * waiter that arrives later cannot take a notification meant for another, even one meant for a
 * waiter that was killed and will never take it. A new label is made only when a waiter began
 * waiting since the last one (notifies in between are for the same waiters), and the tokens of the
 * last TOKEN_SLOTS labels are kept apart (see #notifyLocked for what happens to older ones).
 *
 * A wait with a timeout is bounded even when the lock cannot be taken back (its holder was killed
 * holding it): past the timeout and RETAKE_GRACE_MS more, it fails with TimeoutError, without the lock.
 */
import { abortError, ProcessError, TimeoutError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { wake } from './futex.js';
import { Deadline } from '../internal/deadline.js';
import { runAsync, runSync, type Step, type Steps } from './steps.js';
import { Lock, takeBlock, withBlock } from './lock.js';
import { kAcquireRestore, kAcquireRestoreSync, kIsOwned, kReleaseSave, kTryRestore, RLock } from './rlock.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from './options.js';
import { hold, holdSync, type HeldLock, type HoldOptions, type SyncHoldOptions } from './hold.js';

const WAITING = 0; // waiters not notified yet
const EPOCH = 1; // advanced by every notify that hands out tokens; waiters sleep on it
const LABEL = 2; // the label of the newest tokens
const FRESH = 3; // 1 once a waiter began waiting after the newest label was made
const SLOTS = 4; // TOKEN_SLOTS pairs of words: a label, and how many of its tokens are not taken yet
const TOKEN_SLOTS = 32; // a power of 2
const WORDS = SLOTS + 2 * TOKEN_SLOTS;

/**
 * @internal How long past its timeout a wait still tries to take the lock back. A live holder lets
 * go within its critical section, so a wait that ends at its deadline (or is notified just before)
 * still returns normally then; a lock that stays held this much longer is taken to be held by a
 * process or thread that was killed, and the wait gives up with TimeoutError instead of hanging.
 */
export const RETAKE_GRACE_MS = 1000;

const lockNotRetaken = new WeakSet<object>();

/** @internal Whether `error` says a wait could not take its lock back (so the caller does not hold it). */
export function isLockNotRetaken(error: unknown): boolean {
  return typeof error === 'object' && error !== null && lockNotRetaken.has(error);
}

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
  /** Takes the lock back; the step's result says whether it did within `timeout` ms (null: no limit). */
  restore(saved: number, timeout: number | null): Step;
}

function lockOps(lock: Lock | RLock): LockOps {
  if (lock instanceof RLock) {
    return {
      owned: () => lock[kIsOwned](),
      releaseSave: () => lock[kReleaseSave](),
      restore: (saved, timeout) => ({
        op: 'call',
        sync: () => lock[kAcquireRestoreSync](saved, timeout),
        async: () => lock[kAcquireRestore](saved, timeout),
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
    restore: (_saved, timeout) => ({
      op: 'call',
      sync: () => lock.acquireSync({ timeout }),
      async: () => lock.acquire({ timeout }),
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

  /** The index of the slot that holds the tokens labelled `label`. */
  static #slot(label: number): number {
    return SLOTS + 2 * (label & (TOKEN_SLOTS - 1));
  }

  /**
   * Takes a token the waiter that began at label `start` may take (one labelled after it), the
   * oldest of them: newer ones stay for waiters that may take only those. Returns the index of the
   * slot it came from, or -1 if there is none.
   */
  #takeToken(start: number): number {
    const w = this.#word;
    for (;;) {
      let best = -1;
      let bestLabel = 0;
      for (let i = SLOTS; i < WORDS; i += 2) {
        if (Atomics.load(w, i + 1) <= 0) continue;
        const label = Atomics.load(w, i);
        // Labels only grow (wrapping around): compare by difference.
        if (((label - start) | 0) <= 0) continue;
        if (best < 0 || ((label - bestLabel) | 0) < 0) {
          best = i;
          bestLabel = label;
        }
      }
      if (best < 0) return -1;
      // If a notify relabels the slot meanwhile, its new tokens are for every waiter already
      // waiting, this one included: taking one of them is as good.
      const tokens = Atomics.load(w, best + 1);
      if (tokens > 0 && Atomics.compareExchange(w, best + 1, tokens, tokens - 1) === tokens) return best;
    }
  }

  /** Counts one waiter out of those not yet notified (never below 0: see the callers). */
  #leave(): void {
    const w = this.#word;
    let waiting = Atomics.load(w, WAITING);
    while (waiting > 0) {
      const seen = Atomics.compareExchange(w, WAITING, waiting, waiting - 1);
      if (seen === waiting) return;
      waiting = seen;
    }
  }

  /** Hands out up to `n` tokens to the waiters not yet notified; the lock must be held. */
  #notifyLocked(n: number): void {
    const w = this.#word;
    let label = Atomics.load(w, LABEL);
    if (Atomics.load(w, FRESH) === 1) {
      // Someone began waiting since the newest label: the tokens get a new one, which only the
      // waiters waiting now may take.
      Atomics.store(w, FRESH, 0);
      label = (label + 1) | 0;
      const slot = Condition.#slot(label);
      // The slot still holds the tokens of TOKEN_SLOTS labels ago that nobody took: meant for
      // waiters killed inside wait() (a live one takes its token as soon as it runs, long before
      // TOKEN_SLOTS new waiters came and were notified). They are withdrawn, and those waiters
      // count as not notified again: no later waiter can take them, and a live waiter that had
      // still not taken one waits for the next notify (this one may be it).
      const stale = Atomics.exchange(w, slot + 1, 0);
      Atomics.store(w, slot, label);
      Atomics.store(w, LABEL, label);
      if (stale > 0) Atomics.add(w, WAITING, stale);
    }
    // A compare-and-swap: a wait that could not take the lock back leaves the count without it.
    let waiting = Atomics.load(w, WAITING);
    let count: number;
    for (;;) {
      count = Math.min(Math.floor(n), waiting);
      if (count <= 0) return;
      const seen = Atomics.compareExchange(w, WAITING, waiting, waiting - count);
      if (seen === waiting) break;
      waiting = seen;
    }
    Atomics.add(w, Condition.#slot(label) + 1, count);
    Atomics.add(w, EPOCH, 1);
    wake(w, EPOCH, count === waiting ? 0x7fffffff : count);
  }

  /** The error of a wait that could not take its lock back. */
  static #notRetaken(call: string, cause: unknown): TimeoutError {
    const error = new TimeoutError(
      `Condition.${call}: the timeout passed and the condition's lock could not be re-acquired within ${RETAKE_GRACE_MS} ms more ` +
        '(a process or thread holds it, maybe one killed while holding it); the lock is not held by the caller',
      cause === undefined ? undefined : { cause },
    );
    lockNotRetaken.add(error);
    return error;
  }

  /**
   * The wait algorithm: gives the lock up, sleeps until a token or the deadline, takes the lock
   * back (trying for RETAKE_GRACE_MS past the deadline at most).
   */
  *#waitSteps(timeout: number | null, call: string): Steps<boolean> {
    const ops = this.#ops;
    if (!ops.owned()) throw new ProcessError('must acquire() condition before using wait()');
    const w = this.#word;
    Atomics.add(w, WAITING, 1);
    Atomics.store(w, FRESH, 1);
    const start = Atomics.load(w, LABEL);
    const saved = ops.releaseSave();
    const deadline = new Deadline(timeout);
    const retakeBy = new Deadline(timeout === null ? null : timeout + RETAKE_GRACE_MS);
    let notified = false;
    let spun = false;
    let aborted = false;
    let abort: unknown;
    try {
      for (;;) {
        const now = Atomics.load(w, EPOCH);
        const slot = this.#takeToken(start);
        if (slot >= 0) {
          notified = true;
          // Tokens left in that slot: make sure someone who may take one is awake.
          if (Atomics.load(w, slot + 1) > 0) wake(w, EPOCH, 1);
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
      aborted = true;
      abort = error;
    }
    const retaken = (yield ops.restore(saved, retakeBy.remaining())) as boolean;
    if (!notified) {
      // Timed out or aborted. A notification that came meanwhile is still taken (as CPython's,
      // which may also report being notified at the deadline); otherwise this waiter leaves the count.
      if (this.#takeToken(start) >= 0) notified = true;
      else this.#leave();
    }
    if (!retaken) throw Condition.#notRetaken(call, abort);
    if (aborted) {
      if (notified) this.#notifyLocked(1);
      throw abort;
    }
    return notified;
  }

  /**
   * Releases the lock, waits until notified or the timeout passes, and takes the lock back.
   * Resolves true if notified, false on timeout. The lock must be held.
   *
   * With a timeout, the wait also gives up taking the lock back 1 s
   * after it: if the lock is still held then (by a process or thread killed while holding it, or
   * one that keeps it that long), it rejects with {@link TimeoutError} and the caller does not hold
   * the lock (do not release it).
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = parseBlocking(options, 'Condition', 'wait()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitSteps(timeout, 'wait()'), signal);
  }

  /** Blocking twin of `wait()`; throws TimeoutError, without the lock, where `wait()` rejects with it. */
  waitSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    const { timeout } = parseBlocking(options, 'Condition', 'waitSync()', 'timeout');
    return runSync(this.#waitSteps(timeout, 'waitSync()'));
  }

  /**
   * @internal For Barrier: the wait algorithm as steps. Past the timeout, it fails with an error
   * `isLockNotRetaken` recognises if the lock cannot be taken back.
   */
  waitSteps(timeout: number | null): Steps<boolean> {
    return this.#waitSteps(timeout, 'wait()');
  }

  *#waitForSteps<T>(predicate: () => T, timeout: number | null, call: string): Steps<T> {
    let result = predicate();
    if (result) return result;
    const deadline = new Deadline(timeout);
    while (!result) {
      const left = deadline.remaining();
      if (left === 0) break;
      yield* this.#waitSteps(left, call);
      result = predicate();
    }
    return result;
  }

  /**
   * Waits until `predicate()` is truthy (checked with the lock held, first before waiting) or the
   * timeout passes; resolves with the predicate's last value. Rejects with {@link TimeoutError},
   * without the lock, if it cannot take the lock back in time (as `wait()`).
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function');
    const { timeout, signal } = parseBlocking(options, 'Condition', 'waitFor()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitForSteps(predicate, timeout, 'waitFor()'), signal);
  }

  /** Blocking twin of `waitFor()`; throws TimeoutError, without the lock, where `waitFor()` rejects with it. */
  waitForSync<T>(predicate: () => T, options?: Omit<WaitOptions, 'signal'>): T {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function');
    const { timeout } = parseBlocking(options, 'Condition', 'waitForSync()', 'timeout');
    return runSync(this.#waitForSteps(predicate, timeout, 'waitForSync()'));
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
    let tokens = 0;
    for (let i = SLOTS; i < WORDS; i += 2) tokens += Atomics.load(w, i + 1);
    return `<Condition(${String(this.#lock)}, ${Atomics.load(w, WAITING) + tokens})>`;
  }
}

registerShareable('Condition', (state) => {
  const { block, lock } = state as { block: BlockHandle; lock: Lock | RLock };
  return withBlock(attachBlock(block), () => {
    rebuildingLock = lock;
    return new Condition();
  });
});
