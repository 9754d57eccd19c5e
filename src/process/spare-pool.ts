/**
 * Spares: children booted before they are needed, each serving exactly one Process. The
 * forkserver keeps spare Node processes, the thread context spare Workers; both import the
 * package's child runtime (forkserver spares also the preload modules), then report ready.
 * `take()` prefers a ready spare, so `start()` pays no boot.
 *
 * How many spares to keep follows the starts (see spare-demand.ts): bursts grow the pool, a quiet
 * period shrinks it back to one, and a busy CPU gets spares booted one at a time. Nothing here
 * keeps the program alive: spares are unref'd and the one timer is too.
 *
 * Spares do not import the user's target modules in advance: a module's top-level code would
 * then run in spares that may never be used.
 */
import { performance } from 'node:perf_hooks';
import { atExit } from '../internal/exit.js';
import { cpuCount } from './cpu-count.js';
import { cpuPressure } from './cpu-pressure.js';
import { planSpares } from './spare-demand.js';

/** The part of a spare child the pool needs: readiness, end, and disposal. */
export interface Spare {
  readonly ready: boolean;
  /** Registers a callback for the moment the child has booted. */
  onReady(callback: () => void): void;
  /** Registers a callback for the child's end (crash while idle, or discard). */
  onExit(callback: () => void): void;
  discard(): void;
}

export interface SpareCounts {
  ready: number;
  booting: number;
  /** Taken by a start before they finished booting. */
  launching: number;
  /** Discarded, not yet ended. */
  ending: number;
}

/** Two while starts come, so that a start right after another still finds a booted spare. */
const ACTIVE_SPARES = 2;
/** One once the pool has gone quiet: a lone start still finds a booted spare. */
const IDLE_SPARES = 1;

/** How long after a start its refill may boot: a child started from a ready spare runs its first line within this. */
const REFILL_DELAY_MS = 15;

/** How long without a start before spares shrink back. */
const DEFAULT_QUIET_MS = 30_000;

/** Starts remembered for the demand; more than the largest pool needs to see. */
const MAX_TAKES = 256;

export class SparePool<S extends Spare> {
  /** Untaken spares, the one booting longest first. */
  #spares: S[] = [];
  #launching = new Set<S>();
  #ending = new Set<S>();
  #quietMs = DEFAULT_QUIET_MS;
  #takes: number[] = [];
  #idleSpares = ACTIVE_SPARES;
  #inUse = false;
  #exiting = false;
  #planQueued = false;
  #burstStartedAt: number | null = null;
  #quietTimer: NodeJS.Timeout | null = null;
  #preload: string[] = [];
  #exitHookInstalled = false;
  #watchers = new Set<() => void>();
  readonly #boot: (modules: string[]) => S;

  constructor(boot: (modules: string[]) => S) {
    this.#boot = boot;
  }

  /** Modules every spare imports before it is needed; spares booted with the old list are replaced. */
  setPreload(modules: readonly string[]): void {
    this.#preload = [...modules];
    this.#discard(this.#spares.splice(0));
    if (this.#inUse) this.#queuePlan();
  }

  get preload(): readonly string[] {
    return this.#preload;
  }

  /** Boots the first spares, so that even the first `start()` finds one ready. */
  fill(): void {
    // Already running: starts, boots and exits drive the decisions. (getContext() calls this on
    // every call, often inside a loop of starts: deciding here would split that burst.)
    if (this.#inUse) return;
    this.#inUse = true;
    this.#armQuietTimer();
    this.#plan();
  }

  /** A spare for one Process: a ready one if any, else the one booting longest, else a new one. */
  take(): S {
    this.#inUse = true;
    this.#idleSpares = ACTIVE_SPARES;
    // Starts issued in one turn of the event loop (a loop of start() calls, or the exits of several
    // pool workers) count as simultaneous until the next decision, however long each took to
    // issue: a start that boots its own child spends milliseconds in fork(). Starts one after
    // another, each after the previous child ended, are never a burst, however fast they come.
    this.#burstStartedAt ??= performance.now();
    this.#takes.push(this.#burstStartedAt);
    if (this.#takes.length > MAX_TAKES) this.#takes.splice(0, this.#takes.length - MAX_TAKES);
    const index = this.#spares.findIndex((spare) => spare.ready);
    // A spare booting already is always nearer to ready than a boot started now.
    const spare = index >= 0 ? this.#spares.splice(index, 1)[0]! : (this.#spares.shift() ?? this.#spawn());
    if (!spare.ready) this.#launching.add(spare);
    this.#armQuietTimer();
    // Decide on refills once the new children have had their turn at the CPU: a refill booting
    // beside them (tens of ms of CPU each) would delay the very starts it replaces.
    this.#queuePlan(REFILL_DELAY_MS);
    this.#changed();
    return spare;
  }

  counts(): SpareCounts {
    const ready = this.#spares.filter((spare) => spare.ready).length;
    return { ready, booting: this.#spares.length - ready, launching: this.#launching.size, ending: this.#ending.size };
  }

  /** Changes how long without a start before spares shrink back (`null`: the default), counted from now. */
  setQuietPeriod(ms: number | null): void {
    this.#quietMs = ms ?? DEFAULT_QUIET_MS;
    if (!this.#quietTimer) return;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
    this.#armQuietTimer();
  }

  /** Resolves once `predicate` holds for the counts, checked after every change. */
  when(predicate: (counts: SpareCounts) => boolean): Promise<SpareCounts> {
    return new Promise((resolve) => {
      const check = (): void => {
        const counts = this.counts();
        if (!predicate(counts)) return;
        this.#watchers.delete(check);
        resolve(counts);
      };
      this.#watchers.add(check);
      check();
    });
  }

  #plan(): void {
    this.#burstStartedAt = null;
    if (!this.#inUse || this.#exiting) return;
    const counts = this.counts();
    const plan = planSpares({
      now: performance.now(),
      takes: this.#takes,
      ready: counts.ready,
      booting: counts.booting,
      launching: counts.launching,
      cpuCount: cpuCount(),
      pressure: cpuPressure(),
      quietMs: this.#quietMs,
      idleSpares: this.#idleSpares,
    });
    if (plan.discard > 0) this.#discard(this.#surplus(plan.discard));
    for (let i = 0; i < plan.boot; i++) this.#spares.push(this.#spawn());
    if (plan.discard > 0 || plan.boot > 0) this.#changed();
  }

  /** The `count` spares least worth keeping: the newest boots first (their CPU is saved), then the newest ready ones. */
  #surplus(count: number): S[] {
    const newestFirst = [...this.#spares].reverse();
    const chosen = [...newestFirst.filter((spare) => !spare.ready), ...newestFirst.filter((spare) => spare.ready)].slice(0, count);
    this.#spares = this.#spares.filter((spare) => !chosen.includes(spare));
    return chosen;
  }

  #queuePlan(delayMs = 0): void {
    if (this.#planQueued) return;
    this.#planQueued = true;
    const plan = (): void => {
      this.#planQueued = false;
      this.#plan();
    };
    if (delayMs > 0) setTimeout(plan, delayMs).unref();
    else setImmediate(plan).unref();
  }

  /** One timer, re-armed by every start: when it fires, starts have been quiet for the whole period. */
  #armQuietTimer(): void {
    if (this.#quietTimer) {
      this.#quietTimer.refresh();
      return;
    }
    this.#quietTimer = setTimeout(() => {
      this.#quietTimer = null;
      this.#takes = [];
      this.#idleSpares = IDLE_SPARES;
      this.#plan();
    }, this.#quietMs).unref();
  }

  #spawn(): S {
    if (!this.#exitHookInstalled) {
      this.#exitHookInstalled = true;
      atExit(() => {
        this.#exiting = true;
        this.#discard(this.#spares.splice(0));
      });
    }
    const spare = this.#boot(this.#preload);
    spare.onReady(() => {
      // A boot that ends frees a CPU for the next.
      this.#launching.delete(spare);
      this.#queuePlan();
      this.#changed();
    });
    spare.onExit(() => {
      const index = this.#spares.indexOf(spare);
      if (index >= 0) this.#spares.splice(index, 1);
      // A start's child that ended before it booted no longer holds a CPU.
      if (this.#launching.delete(spare)) this.#queuePlan();
      this.#ending.delete(spare);
      this.#changed();
    });
    return spare;
  }

  #discard(spares: S[]): void {
    for (const spare of spares) {
      this.#ending.add(spare);
      spare.discard();
    }
  }

  #changed(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }
}
