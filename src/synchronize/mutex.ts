/**
 * The three-state futex mutex under `Lock` and `RLock` (Drepper, "Futexes are tricky"): the word
 * is 0 when free, 1 when held, 2 when held and someone may wait. Taking a free mutex is one
 * compare-and-swap; the kernel is entered only under contention. A waiter first spins for a
 * bounded moment (SPIN_LIMIT_US, futex.ts) in case the holder releases it soon.
 */
import { wake } from './futex.js';
import { Deadline } from '../internal/deadline.js';
import { runAsync, runSync, type Steps } from './steps.js';

function* contended(view: Int32Array, index: number, timeout: number | null): Steps<boolean> {
  const deadline = new Deadline(timeout);
  const held = Atomics.load(view, index);
  if (held !== 0) {
    const left = deadline.remaining();
    // A holder that releases within the spin window hands over without a wake-up call.
    if (left !== 0 && (yield { op: 'spin', view, index, expected: held, timeout: left })) {
      if (Atomics.compareExchange(view, index, 0, 1) === 0) return true;
    }
  } else if (Atomics.compareExchange(view, index, 0, 1) === 0) {
    return true;
  }
  let state = Atomics.exchange(view, index, 2);
  while (state !== 0) {
    const left = deadline.remaining();
    if (left === 0) return false;
    try {
      yield { op: 'futex', view, index, expected: 2, timeout: left };
    } catch (error) {
      // An aborted wait may have taken the wake-up a release meant for another waiter: pass it on.
      wake(view, index, 1);
      throw error;
    }
    state = Atomics.exchange(view, index, 2);
  }
  return true;
}

/** Takes the mutex at `view[index]`; resolves false if `block` is false or the timeout passes first. */
export async function lockAsync(
  view: Int32Array,
  index: number,
  block: boolean,
  timeout: number | null,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (Atomics.compareExchange(view, index, 0, 1) === 0) return true;
  return block && runAsync(contended(view, index, timeout), signal);
}

/** Blocking twin of `lockAsync`: spins briefly (see SPIN_LIMIT_US in futex.ts), then waits in the kernel. */
export function lockSync(view: Int32Array, index: number, block: boolean, timeout: number | null): boolean {
  if (Atomics.compareExchange(view, index, 0, 1) === 0) return true;
  return block && runSync(contended(view, index, timeout));
}

/** Frees the mutex, waking one waiter if there may be any. */
export function unlock(view: Int32Array, index: number): void {
  if (Atomics.exchange(view, index, 0) === 2) wake(view, index, 1);
}
