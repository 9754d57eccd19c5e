/**
 * `Event`: a flag shared by processes and threads. `set()` raises it and wakes every waiter;
 * `clear()` lowers it; `wait()` returns once it is raised. A waiter woken by `set()` returns true
 * even if the flag was cleared again before it ran, as CPython's threading.Event.
 */
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { abortError } from '../errors.js';
import { wake } from './futex.js';
import { Deadline } from '../internal/deadline.js';
import { runAsync, runSync, type Steps } from './steps.js';
import { takeBlock, withBlock } from './lock.js';
import { parseBlocking } from './options.js';

const STATE = 0; // bit 0: the flag; the bits above count the times it was raised
const SLEEPERS = 1;
const WORDS = 2;

/**
 * Options of {@link Event.wait}.
 * @category Synchronization
 */
export interface EventWaitOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: the call rejects with AbortError. */
  signal?: AbortSignal;
}

/**
 * A flag shared by processes and threads (CPython's `multiprocessing.Event`):
 * {@link Event.set | set()} raises it and wakes every waiter, {@link Event.clear | clear()}
 * lowers it, and {@link Event.wait | wait()} returns once it is raised. Send it to children as a
 * Process argument: it arrives as the same flag.
 *
 * How it differs from CPython: `wait()` returns a Promise (`waitSync()` blocks the calling
 * thread instead), its timeout is milliseconds, and a `signal` cancels it.
 *
 * @category Synchronization
 * @example
 * ```ts
 * import { Event, Process, isMain } from 'multiprocessing-ts';
 *
 * export async function worker(go: Event): Promise<void> {
 *   await go.wait();
 *   console.log('started');
 * }
 *
 * if (isMain(import.meta)) {
 *   const go = new Event();
 *   const p = new Process({ target: worker, args: [go] });
 *   p.start();
 *   go.set(); // every waiter, in every process, wakes
 *   await p.join();
 * }
 * ```
 */
export class Event {
  readonly #block: Block;
  readonly #word: Int32Array;

  /** A new event in shared memory, not set. */
  constructor() {
    this.#block = takeBlock(WORDS * 4);
    this.#word = words(this.#block, WORDS);
  }

  /** Whether the flag is raised. */
  isSet(): boolean {
    return (Atomics.load(this.#word, STATE) & 1) === 1;
  }

  /** Raises the flag and wakes every waiter. */
  set(): void {
    const w = this.#word;
    let state = Atomics.load(w, STATE);
    for (;;) {
      if (state & 1) return;
      const seen = Atomics.compareExchange(w, STATE, state, ((state + 2) | 1) & 0x7fffffff);
      if (seen === state) break;
      state = seen;
    }
    if (Atomics.load(w, SLEEPERS) > 0) wake(w, STATE, 0x7fffffff);
  }

  /** Lowers the flag. */
  clear(): void {
    Atomics.and(this.#word, STATE, ~1);
  }

  /** Whether the wait is over: the flag is up, or it was raised since `start` was read. */
  static #over(start: number, now: number): boolean {
    return (now & 1) === 1 || (now | 1) !== (start | 1);
  }

  *#waitSteps(timeout: number | null): Steps<boolean> {
    const w = this.#word;
    const start = Atomics.load(w, STATE);
    if (start & 1) return true;
    const deadline = new Deadline(timeout);
    let now = start;
    let spun = false;
    while (!Event.#over(start, now)) {
      const left = deadline.remaining();
      if (left === 0) return false;
      if (!spun) {
        // A setter that comes within the spin window needs no wake-up call. Either way, look
        // again, at the word and at the deadline: an async spin takes turns of the event loop.
        spun = true;
        yield { op: 'spin', view: w, index: STATE, expected: now, timeout: left };
        now = Atomics.load(w, STATE);
        continue;
      }
      Atomics.add(w, SLEEPERS, 1);
      try {
        yield { op: 'futex', view: w, index: STATE, expected: now, timeout: left };
      } finally {
        Atomics.sub(w, SLEEPERS, 1);
      }
      now = Atomics.load(w, STATE);
    }
    return true;
  }

  /**
   * Resolves with true once the flag is raised (at once if it is), or with false when the timeout
   * passes first. A `signal` that aborts rejects the call with {@link AbortError}.
   */
  async wait(options?: EventWaitOptions): Promise<boolean> {
    const { timeout, signal } = parseBlocking(options, 'Event', 'wait()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitSteps(timeout), signal);
  }

  /**
   * Blocking twin of `wait()`, for worker code that may block its thread: spins briefly, then
   * sleeps in the kernel (no busy-waiting).
   */
  waitSync(options?: Omit<EventWaitOptions, 'signal'>): boolean {
    return runSync(this.#waitSteps(parseBlocking(options, 'Event', 'waitSync()', 'timeout').timeout));
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'Event', state: blockHandle(this.#block, destination) };
  }

  /** `<Event set>` or `<Event unset>`. */
  toString(): string {
    return `<Event ${this.isSet() ? 'set' : 'unset'}>`;
  }
}

registerShareable('Event', (state) => withBlock(attachBlock(state as BlockHandle), () => new Event()));
