/**
 * Waiting on a word of shared memory until another process or thread changes it. Sync waits
 * block the calling thread; async waits settle on this thread's event loop (a pending one keeps
 * the process alive). futex-backends.ts does the sleeping: kernel futexes through the addon, or
 * V8's Atomics where the addon is not available (threads only).
 *
 * Before a wait sleeps, it may spin: re-read the word for a bounded moment (spin.ts decides when
 * and how long). Sync waits spin in a tight loop; async waits look once per turn of the event
 * loop, so it goes on meanwhile. Past the window the wait sleeps in the kernel.
 */
import { abortError } from '../errors.js';
import { onAbort } from '../internal/abort.js';
import { spinUntil, spinUntilAsync } from '../internal/spin.js';
import { futexBackend, type WaitResult } from './futex-backends.js';

export { SPIN_LIMIT_US } from '../internal/spin.js';
export type { WaitResult } from './futex-backends.js';

/** Loads between two looks at the clock. */
const SPIN_BATCH = 32;

/** SPIN_BATCH looks at the word; whether it differs from `expected`. */
function changedWithin(view: Int32Array, index: number, expected: number): boolean {
  for (let i = 0; i < SPIN_BATCH; i++) if (Atomics.load(view, index) !== expected) return true;
  return false;
}

/**
 * Re-reads `view[index]` while it equals `expected`, for at most SPIN_LIMIT_US (and at most
 * `timeoutMs`); returns whether it changed (see spin.ts for when it spins at all).
 */
export function spinWhileEqual(view: Int32Array, index: number, expected: number, timeoutMs: number | null = null): boolean {
  if (Atomics.load(view, index) !== expected) return true;
  return spinUntil(() => changedWithin(view, index, expected), timeoutMs);
}

/**
 * The async twin of spinWhileEqual: looks once per turn of the event loop, so the loop goes on.
 * A peer that answers within the window is seen without a wake-up of this thread (a sleeping
 * event loop needs two: the addon's waiter thread, then the loop itself). Stops early, with
 * false, when `signal` aborts.
 */
export function spinWhileEqualAsync(
  view: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number | null = null,
  signal?: AbortSignal,
): Promise<boolean> {
  if (Atomics.load(view, index) !== expected) return Promise.resolve(true);
  return spinUntilAsync(() => changedWithin(view, index, expected), timeoutMs, signal);
}

export function waitSync(view: Int32Array, index: number, expected: number, timeoutMs: number | null): WaitResult {
  return futexBackend().waitSync(view, index, expected, timeoutMs);
}

export function wake(view: Int32Array, index: number, count = 1): number {
  return futexBackend().wake(view, index, count);
}

/** Resolves when the word is woken or differs from `expected`, or on timeout; rejects with AbortError on abort. */
export function waitAsync(
  view: Int32Array,
  index: number,
  expected: number,
  timeoutMs: number | null,
  signal?: AbortSignal,
): Promise<WaitResult> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (Atomics.load(view, index) !== expected) return Promise.resolve('not-equal');
  return new Promise((resolve, reject) => {
    let unwatch: (() => void) | undefined;
    const cancel = futexBackend().waitAsync(view, index, expected, timeoutMs, (result) => {
      unwatch?.();
      resolve(result);
    });
    if (signal) {
      unwatch = onAbort(signal, () => {
        cancel();
        reject(abortError(signal));
      });
    }
  });
}
