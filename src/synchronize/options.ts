/** The `{ block, timeout, signal }` options every blocking call takes, checked once. */
import { validateTimeout } from '../internal/validate.js';

/**
 * The options of a call that may wait (CPython's `block` and `timeout` arguments, plus a signal).
 * @category Synchronization
 */
export interface BlockingOptions {
  /** false: do not wait at all (the timeout is ignored, as in CPython). Default true. */
  block?: boolean;
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: the call rejects with AbortError and leaves nothing behind. */
  signal?: AbortSignal;
}

/**
 * The options of a `...Sync` call that may block the calling thread (no signal: nothing else
 * runs in the thread to abort it).
 * @category Synchronization
 */
export interface SyncBlockingOptions {
  /** false: do not wait at all (the timeout is ignored, as in CPython). Default true. */
  block?: boolean;
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
}

/** @internal */
export interface ParsedBlocking {
  block: boolean;
  timeout: number | null;
  signal: AbortSignal | undefined;
}

const WAIT_FOREVER: ParsedBlocking = Object.freeze({ block: true, timeout: null, signal: undefined });

/** @internal Checks the options of a blocking call. */
export function parseBlocking(options: BlockingOptions | undefined): ParsedBlocking {
  if (options === undefined || options === null) return WAIT_FOREVER;
  if (typeof options !== 'object') throw new TypeError('options must be an object like { block, timeout, signal }');
  const { block = true, timeout, signal } = options;
  if (typeof block !== 'boolean') throw new TypeError('block must be a boolean');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return { block, timeout: block ? validateTimeout(timeout) : 0, signal };
}
