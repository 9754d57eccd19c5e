/**
 * Waiting on a word of shared memory until another process or thread changes it. Sync waits
 * block the calling thread in the kernel; async waits are served by the addon's waiter threads
 * and settle on this thread's event loop (a pending one keeps the process alive).
 */
import { AbortError } from '../errors.js';
import { native } from '../internal/native.js';

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';
const RESULTS: readonly WaitResult[] = ['ok', 'not-equal', 'timed-out'];

/** A point in time a blocking call must give up at; null means never. */
export class Deadline {
  readonly #at: number | null;

  constructor(timeoutMs: number | null) {
    this.#at = timeoutMs === null ? null : performance.now() + timeoutMs;
  }

  /** Milliseconds left (0 once passed), or null for no limit. */
  remaining(): number | null {
    return this.#at === null ? null : Math.max(0, this.#at - performance.now());
  }

  passed(): boolean {
    return this.#at !== null && performance.now() >= this.#at;
  }
}

export function waitSync(view: Int32Array, index: number, expected: number, timeoutMs: number | null): WaitResult {
  return RESULTS[native().futexWaitSync(view, index, expected, timeoutMs ?? -1)]!;
}

export function wake(view: Int32Array, index: number, count = 1): number {
  return native().futexWake(view, index, count);
}

export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason });
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
    const onAbort = (): void => {
      native().futexCancel(id);
      reject(abortError(signal!));
    };
    const id = native().futexWaitAsync(view, index, expected, timeoutMs ?? -1, (result) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(RESULTS[result]!);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
