/** Argument checks shared by every blocking call. */

/**
 * A timeout in milliseconds: undefined/null means "no limit"; negative counts as 0, as in
 * CPython; anything that is not a number is a TypeError.
 */
export function validateTimeout(timeout: unknown, what = 'timeout'): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${what} must be a number of milliseconds, not ${timeout === null ? 'null' : typeof timeout}`);
  }
  if (timeout === Infinity) return null;
  return Math.max(0, timeout);
}

/** CPython seconds as milliseconds, printed without float noise (1.1 s -> 1100, not 1100.0000000000002). */
function millisecondsOf(seconds: number): number {
  return Number((seconds * 1000).toPrecision(12));
}

/**
 * What a blocking call accepts in place of CPython's positional arguments: `block` (as in
 * `acquire(False)`, `get(True, 5)`) or only a timeout (as in `join(5)`, `wait(5)`).
 */
export type PositionalHabit = 'block' | 'timeout';

/**
 * The options argument of a blocking call: an object, or undefined/null for none. CPython takes
 * `block` and a timeout in seconds positionally (`p.join(5)`, `lock.acquire(False)`,
 * `q.get(True, 5)`); here they are an object, in milliseconds. A stray number or boolean is
 * refused with that translation rather than ignored: an ignored timeout waits forever.
 *
 * `call` names the call in messages ('Process.join()', with the arguments before the options if
 * any: 'Queue.put(obj)'); `shape` lists the options it takes.
 */
export function checkOptionsObject<T extends object>(
  options: T | null | undefined,
  call: string,
  habit: PositionalHabit,
  shape: string,
): T | undefined {
  if (options === undefined || options === null) return undefined;
  const given: unknown = options;
  if (typeof given === 'object') return options;
  // CPython's form of the call, for the translation: 'Lock.acquireSync()' -> 'acquire(',
  // 'Queue.put(obj)' -> 'put(obj, '.
  const [, method = call, leading = ''] = /(\w+)\((.*)\)$/.exec(call) ?? [];
  const python = `${method.replace(/Sync$/, '')}(${leading ? `${leading}, ` : ''}`;
  if (typeof given === 'number' && habit === 'timeout') {
    throw new TypeError(
      `${call} takes an options object, not a number. Timeouts here are milliseconds: ` +
        `for CPython's ${python}${given}) pass { timeout: ${millisecondsOf(given)} }.`,
    );
  }
  if (typeof given === 'number') {
    throw new TypeError(
      `${call} takes an options object (${shape}), not a number. Timeouts here are milliseconds: ` +
        `for CPython's ${python}True, ${given}) pass { timeout: ${millisecondsOf(given)} }.`,
    );
  }
  if (typeof given === 'boolean' && habit === 'block') {
    throw new TypeError(
      `${call} takes an options object (${shape}), not a boolean: for CPython's ${python}${given ? 'True' : 'False'}) ` +
        `pass { block: ${given} }, and for ${python}True, 5) pass { timeout: 5000 } (milliseconds).`,
    );
  }
  throw new TypeError(`${call} options must be an object like ${shape}, not ${typeof given}`);
}

/** An AbortSignal option: undefined, or a signal (anything else is a TypeError). */
export function validateSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  return signal;
}

/**
 * Refuses a `timeout` option where the call has none, rather than ignoring it (an ignored
 * timeout waits forever); `instead` says what bounds the wait there.
 */
export function refuseTimeout(options: object | null | undefined, call: string, instead: string): void {
  if (options !== null && options !== undefined && 'timeout' in options && (options as { timeout?: unknown }).timeout !== undefined) {
    throw new TypeError(`${call} takes no timeout: ${instead}`);
  }
}

/**
 * A duration an object is configured with (such as a listener's `handshakeTimeout`), in
 * milliseconds: undefined, null or Infinity mean no bound. Unlike a blocking call's timeout
 * (validateTimeout, where CPython counts a negative one as 0), a negative duration is a mistake
 * in the configuration: a RangeError.
 */
export function validateDuration(value: unknown, name: string): number | null {
  if (value === undefined || value === null || value === Infinity) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number of milliseconds`);
  if (value < 0) throw new RangeError(`${name} must not be negative`);
  return value;
}

/** A count of at least 1 (workers, items per chunk...). */
export function checkPositiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${what} must be an integer`);
  if (value < 1) throw new RangeError(`${what} must be at least 1`);
  return value;
}

/**
 * What to tell a caller who passed, in place of an options object, the positional argument
 * CPython's call takes there: the object form of it.
 */
export interface PositionalHints {
  /** For a number (CPython's `map(f, items, 4)`): how to pass it in the options. */
  number?: (given: number) => string;
  /** For a function (CPython's `apply_async(f, args, kwds, callback)`): how to pass it in the options. */
  function?: string;
}

/**
 * The options argument of a call that is not a blocking one (see checkOptionsObject for those):
 * an object, or undefined for none; its `signal`, if any, is an AbortSignal. A stray number or
 * function is refused with the translation `hints` gives rather than ignored.
 */
export function checkCallOptions<T extends object>(options: T | undefined, call: string, hints: PositionalHints = {}): T {
  if (options === undefined) return {} as T;
  const given: unknown = options;
  if (typeof given === 'number' && hints.number) throw new TypeError(`${call} takes an options object, not a number: ${hints.number(given)}`);
  if (typeof given === 'function' && hints.function) throw new TypeError(`${call} takes an options object, not a function: ${hints.function}`);
  if (given === null || typeof given !== 'object') throw new TypeError(`${call} options must be an object`);
  validateSignal((given as { signal?: unknown }).signal);
  return options;
}
