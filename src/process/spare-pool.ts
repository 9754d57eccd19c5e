/**
 * Spares: children booted before they are needed, each serving exactly one Process. The
 * forkserver keeps spare Node processes, the thread context spare Workers; both import the
 * package's child runtime (forkserver spares also the preload modules), then report ready.
 * `take()` prefers a ready spare, so `start()` pays no boot.
 *
 * Spares do not import the user's target modules in advance: a module's top-level code would
 * then run in spares that may never be used.
 */

/** The part of a spare child the pool needs: readiness, end, and disposal. */
export interface Spare {
  readonly ready: boolean;
  /** Registers a callback for the child's end (crash while idle, or discard). */
  onExit(callback: () => void): void;
  discard(): void;
}

/** Two, so that a start right after another still finds a booted spare. */
const DEFAULT_SIZE = 2;

export class SparePool<S extends Spare> {
  #spares: S[] = [];
  #preload: string[] = [];
  #exitHookInstalled = false;
  readonly #boot: (modules: string[]) => S;
  readonly #size: number;

  constructor(boot: (modules: string[]) => S, size = DEFAULT_SIZE) {
    this.#boot = boot;
    this.#size = size;
  }

  /** Modules every spare imports before it is needed; spares booted with the old list are replaced. */
  setPreload(modules: readonly string[]): void {
    this.#preload = [...modules];
    this.#discardAll();
  }

  get preload(): readonly string[] {
    return this.#preload;
  }

  /** Boots spares up to the pool's size. */
  fill(): void {
    while (this.#spares.length < this.#size) this.#spares.push(this.#spawn());
  }

  /** A spare for one Process: a ready one if any, else the one booting longest. */
  take(): S {
    const index = this.#spares.findIndex((spare) => spare.ready);
    const spare = index >= 0 ? this.#spares.splice(index, 1)[0]! : (this.#spares.shift() ?? this.#spawn());
    // Boot the replacement once the new child has had its turn at the CPU.
    setImmediate(() => this.fill()).unref();
    return spare;
  }

  #spawn(): S {
    if (!this.#exitHookInstalled) {
      this.#exitHookInstalled = true;
      process.once('exit', () => this.#discardAll());
    }
    const spare = this.#boot(this.#preload);
    spare.onExit(() => {
      const index = this.#spares.indexOf(spare);
      if (index >= 0) this.#spares.splice(index, 1);
    });
    return spare;
  }

  #discardAll(): void {
    for (const spare of this.#spares.splice(0)) spare.discard();
  }
}
