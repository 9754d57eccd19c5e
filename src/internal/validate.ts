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
