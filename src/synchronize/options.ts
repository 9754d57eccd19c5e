/** The `{ block, timeout, signal }` options every blocking call takes, checked once. */
import { validateTimeout } from '../internal/validate.js';

export interface BlockingOptions {
  /** false: do not wait at all (the timeout is ignored, as in CPython). Default true. */
  block?: boolean;
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: the call rejects with AbortError and leaves nothing behind. */
  signal?: AbortSignal;
}

export interface SyncBlockingOptions {
  block?: boolean;
  timeout?: number | null;
}

export interface ParsedBlocking {
  block: boolean;
  timeout: number | null;
  signal: AbortSignal | undefined;
}

const WAIT_FOREVER: ParsedBlocking = Object.freeze({ block: true, timeout: null, signal: undefined });

export function parseBlocking(options: BlockingOptions | undefined): ParsedBlocking {
  if (options === undefined || options === null) return WAIT_FOREVER;
  if (typeof options !== 'object') throw new TypeError('options must be an object like { block, timeout, signal }');
  const { block = true, timeout, signal } = options;
  if (typeof block !== 'boolean') throw new TypeError('block must be a boolean');
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return { block, timeout: block ? validateTimeout(timeout) : 0, signal };
}
