/**
 * `Process.sentinel`: an object `wait()` accepts, ready once the process has ended.
 */
export const kWaitable = Symbol.for('multiprocessing-ts.waitable');

export interface Waitable {
  /** Settles when the object becomes ready. */
  [kWaitable](): Promise<void>;
  /** Whether it is ready now. */
  isReady(): boolean;
}

export class Sentinel implements Waitable {
  readonly #ended: Promise<unknown>;
  readonly #ready: () => boolean;

  constructor(ended: Promise<unknown>, ready: () => boolean) {
    this.#ended = ended;
    this.#ready = ready;
  }

  [kWaitable](): Promise<void> {
    return this.#ended.then(() => undefined);
  }

  isReady(): boolean {
    return this.#ready();
  }
}
