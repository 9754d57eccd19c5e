/**
 * Waiting on a word of shared memory until another process or thread changes it. Sync waits
 * block the calling thread in the kernel; async waits are served by the addon's waiter threads
 * and settle on this thread's event loop (a pending one keeps the process alive).
 *
 * Before a sync wait sleeps, it may spin: re-read the word for at most SPIN_LIMIT_US microseconds
 * (never past its timeout), only when the machine has more than one CPU, no more threads are
 * runnable than there are CPUs, and recent spins on this thread saw the change they waited for.
 * A peer that answers within that window is seen without either side entering the kernel (waking
 * a sleeping CPU costs far more than the spin). Spinning is never unbounded: past the window the
 * wait sleeps in the kernel. Async waits never spin: they would hold up the event loop.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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

/** The longest a sync wait spins before sleeping in the kernel, in microseconds. */
export const SPIN_LIMIT_US = 50;
const SPIN_LIMIT_MS = SPIN_LIMIT_US / 1000;
/** Loads between two looks at the clock. */
const SPIN_BATCH = 32;
const CPUS = availableParallelism();
const CAN_SPIN = CPUS > 1;

// Adaptive: a spin that sees the change earns credit, a full window in vain costs more. Without
// credit a thread only spins on every PROBE_EVERY-th wait, to notice when spinning pays again. On
// a busy machine (the peer waits for a CPU the spinner holds) and for long waits (a worker idle
// until the next job), spins fail and stop; in a quick hand-off between running peers they go on.
const CREDIT_MAX = 8;
const CREDIT_PER_SUCCESS = 1;
const CREDIT_PER_FAILURE = 2;
const PROBE_EVERY = 16;
let credit = CREDIT_MAX;
let sinceProbe = 0;

// Spinning only pays while the peer has a CPU to answer on. When more threads are runnable than
// there are CPUs (the kernel's instantaneous count, looked at every LOOK_EVERY_MS), a spinner would
// hold a CPU the peer needs, so waits sleep at once (as Go spins only while a CPU is idle).
const LOOK_EVERY_MS = 50;
let nextLook = 0;
let crowded = false;

function runnableThreads(): number {
  try {
    const match = / (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // not Linux, or no /proc: rely on the credit alone
  }
}

function isCrowded(now: number): boolean {
  if (now >= nextLook) {
    nextLook = now + LOOK_EVERY_MS;
    crowded = runnableThreads() > CPUS;
  }
  return crowded;
}

/**
 * Re-reads `view[index]` while it equals `expected`, for at most SPIN_LIMIT_US (and at most
 * `timeoutMs`); returns whether it changed. Spins only with more than one CPU (otherwise the
 * peer could not run meanwhile), while no more threads are runnable than there are CPUs, and
 * while spinning has been paying off on this thread.
 */
export function spinWhileEqual(view: Int32Array, index: number, expected: number, timeoutMs: number | null = null): boolean {
  if (Atomics.load(view, index) !== expected) return true;
  if (!CAN_SPIN) return false;
  const limit = timeoutMs !== null && timeoutMs < SPIN_LIMIT_MS ? timeoutMs : SPIN_LIMIT_MS;
  if (!(limit > 0)) return false;
  if (credit <= 0) {
    if (++sinceProbe < PROBE_EVERY) return false;
    sinceProbe = 0;
  }
  const start = performance.now();
  if (isCrowded(start)) return false;
  const end = start + limit;
  for (;;) {
    for (let i = 0; i < SPIN_BATCH; i++) {
      if (Atomics.load(view, index) !== expected) {
        credit = Math.min(CREDIT_MAX, credit + CREDIT_PER_SUCCESS);
        return true;
      }
    }
    if (performance.now() >= end) break;
  }
  if (Atomics.load(view, index) !== expected) return true;
  // A window cut short by the caller's timeout says nothing about the peer.
  if (limit === SPIN_LIMIT_MS) credit = Math.max(0, credit - CREDIT_PER_FAILURE);
  return false;
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
