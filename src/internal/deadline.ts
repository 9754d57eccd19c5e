/** The point in time a blocking call gives up at, shared by the steps of one call. */

/** A point in time a blocking call must give up at; null means never. */
export class Deadline {
  readonly #at: number | null;

  constructor(timeoutMs: number | null) {
    this.#at = timeoutMs === null ? null : performance.now() + timeoutMs;
  }

  /** Milliseconds left (0 once passed), or null for no limit. */
  remaining(): number | null {
    return this.#at === null ? null : Math.max(0, this.#at - performance.now());
  }

  passed(): boolean {
    return this.#at !== null && performance.now() >= this.#at;
  }
}
