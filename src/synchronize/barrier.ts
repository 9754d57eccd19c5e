/**
 * `Barrier`: `parties` processes or threads wait until all of them have arrived, then all go on.
 * CPython's algorithm (threading.Barrier with its state in shared memory), over a shared
 * `Condition` on a `Lock`. The optional `action` runs once per round, in the last party to arrive,
 * before the others are released; it travels to other processes by reference, as a Process target.
 *
 * Where CPython counts parties out of a round as they leave it (draining), each round here has a
 * number: the last party to arrive ends the round by counting it and setting the count back to 0,
 * and the parties released see the round number move. A party killed inside `wait()` therefore
 * never holds a later round up: those rounds just miss a party, and break at a party's timeout
 * like any round that cannot complete; `reset()` starts from no party at all, whatever the
 * parties of the rounds before became.
 */
import { abortError, BrokenBarrierError, TimeoutError } from '../errors.js';
import { validateTimeout } from '../internal/validate.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { Condition, isLockNotRetaken, RETAKE_GRACE_MS } from './condition.js';
import { runAsync, runSync, type Steps } from './steps.js';
import { Deadline } from '../internal/deadline.js';
import { Lock, takeBlock, withBlock } from './lock.js';
import { parseBlocking } from './options.js';

const STATE = 0; // FILLING or BROKEN
const COUNT = 1; // parties inside wait() in the current round
const ROUND = 2; // advanced by the last party of each round
const RESETS = 3; // advanced by every reset(): the parties waiting then are turned away
const WORDS = 4;

const FILLING = 0;
const BROKEN = -2;

/**
 * Options of {@link Barrier}.
 * @category Synchronization
 */
export interface BarrierOptions {
  /**
   * Run by the last party to arrive, before the others are released (synchronously, with the
   * barrier's lock held; a returned Promise is not awaited). Must be sendable: an exported function.
   */
  action?: (() => unknown) | null;
  /** Default timeout of `wait()`, in milliseconds. */
  timeout?: number | null;
}

/**
 * Options of {@link Barrier.wait}.
 * @category Synchronization
 */
export interface BarrierWaitOptions {
  /** Milliseconds; omitted or null uses the barrier's timeout. Running out breaks the barrier. */
  timeout?: number | null;
  /** Cancels the wait: the party leaves the barrier and the call rejects with AbortError. */
  signal?: AbortSignal;
}

interface BarrierState {
  block: BlockHandle;
  cond: Condition;
  parties: number;
  timeout: number | null;
  action: (() => unknown) | null;
}

let rebuilding: BarrierState | null = null;

function brokenError(): BrokenBarrierError {
  return new BrokenBarrierError('the barrier is broken');
}

/**
 * A meeting point for a fixed number of processes or threads (CPython's
 * `multiprocessing.Barrier`): each party's {@link Barrier.wait | wait()} returns once all
 * `parties` have called it, then the barrier is ready for the next round. The optional `action`
 * runs once per round, in the last party to arrive, before the others are released. Send it to
 * children as a Process argument: it arrives as the same barrier.
 *
 * How it differs from CPython: `wait()` returns a Promise (`waitSync()` blocks the calling
 * thread instead), timeouts are milliseconds, a `signal` cancels a party's wait, and `action`
 * must be an exported function (it travels by reference, as a Process target).
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { Barrier, Process, isMain } from 'multiprocessing-ts';
 *
 * export async function runner(start: Barrier, id: number): Promise<void> {
 *   const index = await start.wait(); // 0 to 2, one each
 *   console.log(`runner ${id} goes (arrival ${index})`);
 * }
 *
 * if (isMain(import.meta)) {
 *   const start = new Barrier(3, { timeout: 10_000 });
 *   const runners = [1, 2].map((id) => new Process({ target: runner, args: [start, id] }));
 *   for (const p of runners) p.start();
 *   await start.wait(); // the main process is the third party
 *   for (const p of runners) await p.join();
 * }
 * ```
 */
export class Barrier {
  readonly #block: Block;
  readonly #word: Int32Array;
  readonly #cond: Condition;
  readonly #parties: number;
  readonly #timeout: number | null;
  readonly #action: (() => unknown) | null;

  /**
   * A new barrier in shared memory.
   * @param parties How many parties each round waits for (> 0).
   * @param options The action run once per round, and the default timeout of `wait()`.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    const state = rebuilding;
    rebuilding = null;
    if (state) {
      this.#cond = state.cond;
      this.#parties = state.parties;
      this.#timeout = state.timeout;
      this.#action = state.action;
    } else {
      if (typeof parties !== 'number' || !Number.isInteger(parties)) throw new TypeError('parties must be an integer');
      if (parties <= 0) throw new RangeError('parties must be > 0');
      if (typeof options === 'function') {
        throw new TypeError('Barrier options must be an object: for CPython\'s Barrier(parties, action) pass new Barrier(parties, { action })');
      }
      if (typeof options === 'number') {
        throw new TypeError(
          `Barrier options must be an object: for CPython's Barrier(parties, None, ${options}) pass { timeout: ${options * 1000} } (milliseconds)`,
        );
      }
      if (options === null || typeof options !== 'object') throw new TypeError('options must be an object like { action, timeout }');
      const { action = null, timeout } = options;
      if (action !== null && typeof action !== 'function') throw new TypeError('action must be a function');
      this.#parties = parties;
      this.#action = action;
      this.#timeout = validateTimeout(timeout);
      this.#cond = new Condition(new Lock());
    }
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  /** How many parties each round waits for. */
  get parties(): number {
    return this.#parties;
  }

  /** Parties waiting now in the current round (0 while the barrier is broken). */
  get nWaiting(): number {
    return Atomics.load(this.#word, STATE) === FILLING ? Atomics.load(this.#word, COUNT) : 0;
  }

  /** Whether the barrier is broken (by `abort()`, or a party's timeout or abort); `reset()` mends it. */
  get broken(): boolean {
    return Atomics.load(this.#word, STATE) === BROKEN;
  }

  *#waitSteps(timeout: number | null): Steps<number> {
    const cond = this.#cond;
    const w = this.#word;
    const deadline = new Deadline(timeout);
    // The lock is held only briefly (and while the action runs): a party may wait for it past its
    // deadline as a Condition wait does, and no longer (its holder may have been killed).
    const lockBy = new Deadline(timeout === null ? null : timeout + RETAKE_GRACE_MS);
    const entered = yield {
      op: 'call',
      sync: () => cond.acquireSync({ timeout: lockBy.remaining() }),
      async: () => cond.acquire({ timeout: lockBy.remaining() }),
      now: () => cond.acquireSync({ block: false }),
    };
    if (!entered) {
      this.#breakUnlocked();
      throw brokenError();
    }
    let held = true;
    try {
      if (Atomics.load(w, STATE) === BROKEN) throw brokenError();
      const round = Atomics.load(w, ROUND);
      const resets = Atomics.load(w, RESETS);
      const index = Atomics.add(w, COUNT, 1);
      if (index + 1 === this.#parties) {
        // Last to arrive: run the action, then end the round and release the others.
        try {
          // Called synchronously, with the lock held; what it returns is not awaited.
          if (this.#action) this.#action();
        } catch (error) {
          this.#break();
          throw error;
        }
        Atomics.store(w, COUNT, 0);
        Atomics.add(w, ROUND, 1);
        cond.notifyAll();
        return index;
      }
      for (;;) {
        if (Atomics.load(w, ROUND) !== round) return index;
        if (Atomics.load(w, RESETS) !== resets || Atomics.load(w, STATE) === BROKEN) throw brokenError();
        const left = deadline.remaining();
        if (left === 0) {
          this.#break();
          throw brokenError();
        }
        try {
          yield* cond.waitSteps(left);
        } catch (error) {
          if (isLockNotRetaken(error)) {
            held = false;
            if (Atomics.load(w, ROUND) !== round) return index;
            this.#breakUnlocked();
            throw brokenError();
          }
          // Aborted, with the lock held again: a round that has not ended goes on one party short.
          if (Atomics.load(w, ROUND) !== round) return index;
          if (Atomics.load(w, RESETS) === resets && Atomics.load(w, STATE) !== BROKEN) Atomics.sub(w, COUNT, 1);
          throw error;
        }
      }
    } finally {
      if (held) cond.release();
    }
  }

  /**
   * Waits until all parties have called `wait()`; resolves with this party's arrival index
   * (0 to parties-1). Rejects with BrokenBarrierError if the barrier is or becomes broken
   * (abort, reset, or a timeout of any party). With a timeout, it settles by then whatever the
   * other parties did (a party killed inside `wait()` only makes later rounds miss it): running
   * out breaks the barrier. Waiting for the barrier's lock, held by the last party while its
   * action runs, may take up to 1 s more; a lock still held then (by a party killed while holding
   * it) breaks the barrier as well.
   */
  async wait(options?: BarrierWaitOptions): Promise<number> {
    const { timeout, signal } = parseBlocking(options, 'Barrier', 'wait()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    const limit = options?.timeout == null ? this.#timeout : timeout;
    return runAsync(this.#waitSteps(limit), signal);
  }

  /** Blocking twin of `wait()`. */
  waitSync(options?: Omit<BarrierWaitOptions, 'signal'>): number {
    const { timeout } = parseBlocking(options, 'Barrier', 'waitSync()', 'timeout');
    const limit = options?.timeout == null ? this.#timeout : timeout;
    return runSync(this.#waitSteps(limit));
  }

  /** Breaks the barrier and wakes the parties waiting; the lock must be held. */
  #break(): void {
    Atomics.store(this.#word, STATE, BROKEN);
    this.#cond.notifyAll();
  }

  /**
   * Breaks the barrier without its lock, which a party could not take in time (its holder may
   * have been killed holding it). Nobody can be woken without the lock: the parties waiting see
   * the break when they wake, at the latest at their own timeouts.
   */
  #breakUnlocked(): void {
    Atomics.store(this.#word, STATE, BROKEN);
  }

  /**
   * Returns the barrier to its initial state, with no party in it: parties waiting now get
   * BrokenBarrierError, and the count of parties inside starts from 0 again (parties killed
   * inside `wait()` are forgotten). Throws TimeoutError if the barrier's lock stays held for 1 s
   * (by a party killed while holding it, as during its action): such a barrier cannot be used again.
   */
  reset(): void {
    const w = this.#word;
    if (!this.#cond.acquireSync({ timeout: RETAKE_GRACE_MS })) {
      throw new TimeoutError(
        `Barrier.reset(): the barrier's lock could not be acquired within ${RETAKE_GRACE_MS} ms ` +
          '(a party holds it, maybe one killed while holding it, as during its action)',
      );
    }
    try {
      Atomics.store(w, COUNT, 0);
      Atomics.add(w, RESETS, 1);
      Atomics.store(w, STATE, FILLING);
      this.#cond.notifyAll();
    } finally {
      this.#cond.release();
    }
  }

  /**
   * Breaks the barrier: current and future waiters get BrokenBarrierError until `reset()`. If the
   * barrier's lock stays held for 1 s (by a party killed while holding it), the barrier is broken
   * without it: the parties waiting then see it at their timeouts.
   */
  abort(): void {
    if (!this.#cond.acquireSync({ timeout: RETAKE_GRACE_MS })) {
      this.#breakUnlocked();
      return;
    }
    try {
      this.#break();
    } finally {
      this.#cond.release();
    }
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BarrierState } {
    return {
      type: 'Barrier',
      state: {
        block: blockHandle(this.#block, destination),
        cond: this.#cond,
        parties: this.#parties,
        timeout: this.#timeout,
        action: this.#action,
      },
    };
  }

  /** A repr in CPython's style: `<Barrier(parties=3, waiting=1)>`. */
  toString(): string {
    return `<Barrier(parties=${this.#parties}, waiting=${this.nWaiting}${this.broken ? ', broken' : ''})>`;
  }
}

registerShareable('Barrier', (state) => {
  const s = state as BarrierState;
  return withBlock(attachBlock(s.block), () => {
    rebuilding = s;
    return new Barrier(s.parties);
  });
});
