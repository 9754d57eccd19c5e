/**
 * `Event`: a flag shared by processes and threads. `set()` raises it and wakes every waiter;
 * `clear()` lowers it; `wait()` returns once it is raised. A waiter woken by `set()` returns true
 * even if the flag was cleared again before it ran, as CPython's threading.Event.
 */
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { abortError, Deadline, wake } from './futex.js';
import { runAsync, runSync, type Steps } from './steps.js';
import { takeBlock, withBlock } from './lock.js';
import { parseBlocking } from './options.js';

const STATE = 0; // bit 0: the flag; the bits above count the times it was raised
const SLEEPERS = 1;
const WORDS = 2;

export interface EventWaitOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: the call rejects with AbortError. */
  signal?: AbortSignal;
}

export class Event {
  readonly #block: Block;
  readonly #word: Int32Array;

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

  /** Resolves with the flag once it is raised, or with false when the timeout passes first. */
  async wait(options?: EventWaitOptions): Promise<boolean> {
    const { timeout, signal } = parseBlocking(options, 'Event', 'wait()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.#waitSteps(timeout), signal);
  }

  /** Blocking twin of `wait()`: spins briefly (see SPIN_LIMIT_US in futex.ts), then waits in the kernel. */
  waitSync(options?: Omit<EventWaitOptions, 'signal'>): boolean {
    return runSync(this.#waitSteps(parseBlocking(options, 'Event', 'waitSync()', 'timeout').timeout));
  }

  [kReduce](destination: Destination): { type: string; state: BlockHandle } {
    return { type: 'Event', state: blockHandle(this.#block, destination) };
  }

  toString(): string {
    return `<Event ${this.isSet() ? 'set' : 'unset'}>`;
  }
}

registerShareable('Event', (state) => withBlock(attachBlock(state as BlockHandle), () => new Event()));
