/**
 * Blocking algorithms written once, as generators of the waits they need, and run either on
 * this thread (Sync twins: the kernel blocks it) or asynchronously (the event loop goes on).
 * A 'spin' step re-reads a word for a bounded moment before sleeping: Sync twins in a tight loop,
 * async waits once per turn of the event loop (so it goes on meanwhile).
 */
import { abortError } from '../errors.js';
import { spinWhileEqual, spinWhileEqualAsync, waitAsync, waitSync } from './futex.js';

/** One blocking operation an algorithm needs; the driver performs it in the kernel or on the event loop. */
export type Step =
  | { op: 'futex'; view: Int32Array; index: number; expected: number; timeout: number | null }
  /** Re-reads the word for a bounded moment while it equals `expected`; yields whether it changed. */
  | { op: 'spin'; view: Int32Array; index: number; expected: number; timeout: number | null }
  | {
      op: 'call';
      sync: () => unknown;
      async: () => Promise<unknown>;
      /** Does it at once if that needs no waiting (taking a free lock); returns whether it did. */
      now?: () => boolean;
    };

export type Steps<T> = Generator<Step, T, unknown>;

/** Performs an algorithm's steps on this thread, blocking it while they wait. */
export function runSync<T>(steps: Steps<T>): T {
  let result = steps.next();
  while (!result.done) {
    const step = result.value;
    const input =
      step.op === 'futex'
        ? waitSync(step.view, step.index, step.expected, step.timeout)
        : step.op === 'spin'
          ? spinWhileEqual(step.view, step.index, step.expected, step.timeout)
          : step.sync();
    result = steps.next(input);
  }
  return result.value;
}

/** Performs an algorithm's steps asynchronously; an abort is thrown into the algorithm at its wait. */
export async function runAsync<T>(steps: Steps<T>, signal: AbortSignal | undefined): Promise<T> {
  let result = steps.next();
  while (!result.done) {
    const step = result.value;
    let input: unknown;
    if (step.op === 'call' && step.now?.()) {
      // Done without waiting: go on in the same turn, so a free lock is taken synchronously.
      result = steps.next(true);
      continue;
    }
    try {
      input =
        step.op === 'futex'
          ? await waitAsync(step.view, step.index, step.expected, step.timeout, signal)
          : step.op === 'spin'
            ? await spinWhileEqualAsync(step.view, step.index, step.expected, step.timeout, signal)
            : await step.async();
      // A spin ends early on abort without throwing: the abort wins over what it may have seen
      // meanwhile, as it does over a futex wait's wake-up (the algorithm then passes that on).
      if (step.op === 'spin' && signal?.aborted) throw abortError(signal);
    } catch (error) {
      result = steps.throw(error);
      continue;
    }
    result = steps.next(input);
  }
  return result.value;
}
