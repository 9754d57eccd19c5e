/**
 * `Barrier`: `parties` processes or threads wait until all of them have arrived, then all go on.
 * CPython's algorithm (threading.Barrier with its state in shared memory), over a shared
 * `Condition` on a `Lock`. The optional `action` runs once per round, in the last party to arrive,
 * before the others are released; it travels to other processes by reference, as a Process target.
 */
import { BrokenBarrierError } from '../errors.js';
import { validateTimeout } from '../internal/validate.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { Condition } from './condition.js';
import { runAsync, runSync, type Steps } from './steps.js';
import { abortError } from './futex.js';
import { Lock, takeBlock, withBlock } from './lock.js';
import { parseBlocking } from './options.js';

const STATE = 0; // FILLING, DRAINING, RESETTING or BROKEN
const COUNT = 1; // parties inside wait()
const WORDS = 2;

const FILLING = 0;
const DRAINING = 1;
const RESETTING = -1;
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

  /** Parties waiting now (0 while the barrier is draining or broken). */
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
    yield {
      op: 'call',
      sync: () => cond.acquireSync(),
      async: () => cond.acquire(),
      now: () => cond.acquireSync({ block: false }),
    };
    try {
      // Wait while a previous round drains or the barrier resets.
      let state = Atomics.load(w, STATE);
      while (state === DRAINING || state === RESETTING) {
        yield* cond.waitSteps(null);
        state = Atomics.load(w, STATE);
      }
      if (state < 0) throw brokenError();
      const index = Atomics.add(w, COUNT, 1);
      try {
        if (index + 1 === this.#parties) {
          // Last to arrive: run the action, then release the others.
          try {
            // Called synchronously, with the lock held; what it returns is not awaited.
            if (this.#action) this.#action();
            Atomics.store(w, STATE, DRAINING);
            cond.notifyAll();
          } catch (error) {
            this.#break();
            throw error;
          }
        } else {
          const deadline = timeout === null ? null : performance.now() + timeout;
          let state = Atomics.load(w, STATE);
          while (state === FILLING) {
            const left = deadline === null ? null : Math.max(0, deadline - performance.now());
            if (left === 0 || !(yield* cond.waitSteps(left))) {
              state = Atomics.load(w, STATE);
              if (state !== FILLING) break;
              this.#break();
              throw brokenError();
            }
            state = Atomics.load(w, STATE);
          }
          if (state < 0) throw brokenError();
        }
        return index;
      } finally {
        // Leave; the last one out of a drain (or reset) lets the next round fill.
        if (Atomics.sub(w, COUNT, 1) === 1) {
          const now = Atomics.load(w, STATE);
          if (now === DRAINING || now === RESETTING) {
            Atomics.store(w, STATE, FILLING);
            cond.notifyAll();
          }
        }
      }
    } finally {
      cond.release();
    }
  }

  /**
   * Waits until all parties have called `wait()`; resolves with this party's arrival index
   * (0 to parties-1). Rejects with BrokenBarrierError if the barrier is or becomes broken
   * (abort, reset, or a timeout of any party).
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

  #break(): void {
    Atomics.store(this.#word, STATE, BROKEN);
    this.#cond.notifyAll();
  }

  /** Returns the barrier to its initial state; parties waiting now get BrokenBarrierError. */
  reset(): void {
    const w = this.#word;
    this.#cond.acquireSync();
    try {
      if (Atomics.load(w, COUNT) > 0) {
        const state = Atomics.load(w, STATE);
        if (state === FILLING || state === BROKEN) Atomics.store(w, STATE, RESETTING);
      } else {
        Atomics.store(w, STATE, FILLING);
      }
      this.#cond.notifyAll();
    } finally {
      this.#cond.release();
    }
  }

  /** Breaks the barrier: current and future waiters get BrokenBarrierError until `reset()`. */
  abort(): void {
    this.#cond.acquireSync();
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
