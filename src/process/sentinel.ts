/** `Process.sentinel`: an object `wait()` accepts, ready once the process has ended. */
import { kWaitable, type WaitableObject } from '../internal/waitable.js';

/**
 * What {@link Process.sentinel} returns (CPython's sentinel is a file descriptor): an object
 * {@link wait} accepts, ready once the process has ended.
 * @category Processes
 */
export class Sentinel implements WaitableObject {
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
