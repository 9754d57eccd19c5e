/**
 * `Process.sentinel`: an object `wait()` accepts, ready once the process has ended; and the
 * protocol (`kWaitable` + `isReady()`) every object `wait()` accepts implements.
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
export interface Waitable {
  /**
   * Settles once the object is ready (it may settle early; `wait()` then asks `isReady()`).
   * `wait()` aborts the signal when it no longer needs the answer: stop waiting then.
   */
  [kWaitable](signal?: AbortSignal): Promise<unknown>;
  /** Whether the object is ready now. */
  isReady(): boolean;
}

/**
 * What {@link Process.sentinel} returns (CPython's sentinel is a file descriptor): an object
 * {@link wait} accepts, ready once the process has ended.
 * @category Processes
 */
export class Sentinel implements Waitable {
  readonly #ended: Promise<unknown>;
  readonly #ready: () => boolean;

  /** @internal Sentinels come from {@link Process.sentinel}. */
  constructor(ended: Promise<unknown>, ready: () => boolean) {
    this.#ended = ended;
    this.#ready = ready;
  }

  /** Settles once the process has ended. */
  [kWaitable](): Promise<void> {
    return this.#ended.then(() => undefined);
  }

  /** Whether the process has ended. */
  isReady(): boolean {
    return this.#ready();
  }
}
