/**
 * Racing a promise against a timeout (and an AbortSignal), as execa does: the timer comes from
 * `timers/promises` with a signal of our own, aborted as soon as the race is decided, so no timer
 * outlives the race to keep the program alive or fire late.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../errors.js';
import { onAbort } from './abort.js';

/** What {@link withTimeout} resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

export interface RaceOptions {
  /** Rejects the race with AbortError (`cause`: the signal's reason) when it aborts first. */
  signal?: AbortSignal;
  /** false: the timer does not keep the program alive while it runs (default true, as setTimeout). */
  ref?: boolean;
}

/**
 * Settles as `promise` does, unless `ms` milliseconds pass first (then resolves with TIMED_OUT;
 * null: no limit) or `signal` aborts first (then rejects with AbortError). Either way the timer
 * and the abort listener are gone once this settles.
 */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number | null, options: RaceOptions = {}): Promise<T | typeof TIMED_OUT> {
  const { signal, ref = true } = options;
  if (ms === null && signal === undefined) return await promise;
  const racers: Array<PromiseLike<T | typeof TIMED_OUT>> = [promise];
  const timer = new AbortController();
  let unwatch: (() => void) | undefined;
  if (ms !== null) racers.push(sleep(ms, TIMED_OUT, { signal: timer.signal, ref }));
  if (signal !== undefined) racers.push(new Promise<never>((_, reject) => (unwatch = onAbort(signal, () => reject(abortError(signal))))));
  try {
    return await Promise.race(racers);
  } finally {
    // The sleep rejects with its own AbortError once cancelled: Promise.race has already handled it.
    timer.abort();
    unwatch?.();
  }
}
