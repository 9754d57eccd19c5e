/**
 * The protocol every object `wait()` accepts implements: `[kWaitable](signal)` settles once the
 * object may be ready, `isReady()` says whether it is. Connections, queues and process sentinels
 * implement it, and so can a user's own objects.
 */

/**
 * The method key of the protocol {@link wait} relies on (see {@link WaitableObject}): implement
 * `[kWaitable]()` and `isReady()` on an object of yours and `wait()` accepts it next to
 * connections and process sentinels. `Symbol.for('multiprocessing-ts.waitable')`, so every copy
 * of the package shares it.
 * @category Communication
 */
export const kWaitable = Symbol.for('multiprocessing-ts.waitable');

/**
 * Anything {@link wait} accepts: a {@link Connection}, a {@link Queue}, a process's
 * {@link Process.sentinel | sentinel}, or an object of yours with these two methods.
 * @category Communication
 * @example
 * ```ts
 * import { once, EventEmitter } from 'node:events';
 * import { kWaitable, wait, type WaitableObject } from 'multiprocessing-ts';
 *
 * class Flag extends EventEmitter implements WaitableObject {
 *   #set = false;
 *   set(): void {
 *     this.#set = true;
 *     this.emit('set');
 *   }
 *   isReady(): boolean {
 *     return this.#set;
 *   }
 *   async [kWaitable](signal?: AbortSignal): Promise<void> {
 *     if (!this.#set) await once(this, 'set', { signal });
 *   }
 * }
 *
 * const flag = new Flag();
 * setTimeout(() => flag.set(), 10);
 * console.log((await wait([flag], 1000)).length); // 1
 * ```
 */
export interface WaitableObject {
  /**
   * Settles once the object is ready (it may settle early; `wait()` then asks `isReady()`).
   * `wait()` aborts the signal when it no longer needs the answer: stop waiting then.
   */
  [kWaitable](signal?: AbortSignal): Promise<unknown>;
  /** Whether the object is ready now. */
  isReady(): boolean;
}

/** Whether `value` implements the protocol. */
export function isWaitable(value: unknown): value is WaitableObject {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<WaitableObject>)[kWaitable] === 'function' &&
    typeof (value as Partial<WaitableObject>).isReady === 'function'
  );
}
