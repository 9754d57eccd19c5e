/** The `{ block, timeout, signal }` options every blocking call takes, checked once. */
import { checkOptionsObject, validateSignal, validateTimeout, type PositionalHabit } from '../internal/validate.js';

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

/**
 * @internal
 * Checks a blocking call's options. `owner` and `method` name the call in messages ('Lock',
 * 'acquire()'; the arguments before the options, if any, in the parentheses: 'put(obj)'), put
 * together only when the options are refused; `habit` says which of CPython's positional forms to
 * translate for a caller who passes a number or boolean ('block': `acquire(False)`,
 * `get(True, 5)`; 'timeout': `wait(5)`).
 */
export function parseBlocking(
  options: BlockingOptions | undefined,
  owner: string,
  method: string,
  habit: PositionalHabit = 'block',
): ParsedBlocking {
  if (options === undefined || options === null) return WAIT_FOREVER;
  let given = options;
  if (typeof options !== 'object') {
    const cancel = method.includes('Sync(') ? '' : ', signal';
    given = checkOptionsObject(options, `${owner}.${method}`, habit, habit === 'block' ? `{ block, timeout${cancel} }` : `{ timeout${cancel} }`)!;
  }
  const { block = true, timeout } = given;
  if (typeof block !== 'boolean') throw new TypeError('block must be a boolean');
  const signal = validateSignal(given.signal);
  return { block, timeout: block ? validateTimeout(timeout) : 0, signal };
}
