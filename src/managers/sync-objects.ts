/**
 * The synchronization objects a SyncManager's server holds: `Lock`, `RLock`, `Semaphore`,
 * `BoundedSemaphore`, `Condition`, `Event` and `Barrier`, with threading's semantics where the
 * "thread" is the client. A waiting `acquire()` is a Promise on the server's event loop, so it
 * holds back no other client. A lock a client holds is released when that client disconnects
 * (CPython's stays held forever).
 */
import { BrokenBarrierError, ProcessError } from '../errors.js';
import { kCallAs, kCallerGone, type Caller, type SessionAware } from './session-aware.js';
import { WaitList, type WaitOptions } from './wait-list.js';
import { Deadline } from '../internal/deadline.js';
import { validateTimeout } from '../internal/validate.js';

function blockAndTimeout(options: WaitOptions | undefined): { block: boolean; timeout: number | null; signal?: AbortSignal } {
  const block = options?.block ?? true;
  const timeout = block ? validateTimeout(options?.timeout) : 0;
  return { block, timeout, ...(options?.signal ? { signal: options.signal } : {}) };
}

/**
 * Calls the method `method` of `obj` with the caller first: `this.acquire(caller, options)`.
 * Methods not taking a caller are listed in `plain`.
 */
function callAs(obj: object, caller: Caller, method: string, args: unknown[]): unknown {
  const fn = (obj as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new ProcessError(`no method '${method}'`);
  return (fn as Function).call(obj, caller, ...args);
}

/** @internal What a manager's `Lock()` holds: any client may release it, as threading.Lock. */
export class ManagedLock implements SessionAware {
  #holder: Caller | null = null;
  readonly #waiters = new WaitList();

  async acquire(caller: Caller, options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = blockAndTimeout(options);
    const deadline = new Deadline(timeout);
    while (this.#holder !== null) {
      if (!(await this.#waiters.wait(deadline.remaining(), signal))) return false;
    }
    this.#holder = caller;
    return true;
  }

  release(_caller: Caller): void {
    if (this.#holder === null) throw new ProcessError('release unlocked lock');
    this.#holder = null;
    this.#waiters.wakeOne();
  }

  locked(_caller: Caller): boolean {
    return this.#holder !== null;
  }

  /** @internal For Condition: a plain lock is "owned" while held, as CPython's. */
  ownedBy(_caller: Caller): boolean {
    return this.#holder !== null;
  }

  /** @internal For Condition. */
  releaseAll(caller: Caller): number {
    if (this.#holder === null) throw new ProcessError('cannot wait on un-acquired lock');
    this.release(caller);
    return 1;
  }

  /** @internal For Condition. */
  async restore(caller: Caller, _count: number): Promise<void> {
    await this.acquire(caller);
  }

  [kCallAs](caller: Caller, method: string, args: unknown[]): unknown {
    return callAs(this, caller, method, args);
  }

  [kCallerGone](caller: Caller): void {
    if (this.#holder === caller) this.release(caller);
  }
}

/** @internal What a manager's `RLock()` holds: owned by one client, taken again by it, released by it only. */
export class ManagedRLock implements SessionAware {
  #owner: Caller | null = null;
  #count = 0;
  readonly #waiters = new WaitList();

  async acquire(caller: Caller, options?: WaitOptions): Promise<boolean> {
    if (this.#owner === caller) {
      this.#count += 1;
      return true;
    }
    const { timeout, signal } = blockAndTimeout(options);
    const deadline = new Deadline(timeout);
    while (this.#owner !== null) {
      if (!(await this.#waiters.wait(deadline.remaining(), signal))) return false;
    }
    this.#owner = caller;
    this.#count = 1;
    return true;
  }

  release(caller: Caller): void {
    if (this.#owner !== caller) throw new ProcessError('cannot release un-acquired lock');
    if (--this.#count > 0) return;
    this.#owner = null;
    this.#waiters.wakeOne();
  }

  /** @internal For Condition: whether `caller` holds the lock. */
  ownedBy(caller: Caller): boolean {
    return this.#owner === caller;
  }

  /** @internal For Condition: gives the lock up whatever its depth; returns the depth. */
  releaseAll(caller: Caller): number {
    if (this.#owner !== caller) throw new ProcessError('cannot wait on un-acquired lock');
    const count = this.#count;
    this.#count = 1;
    this.release(caller);
    return count;
  }

  /** @internal For Condition: takes the lock back at that depth. */
  async restore(caller: Caller, count: number): Promise<void> {
    await this.acquire(caller);
    this.#count = count;
  }

  [kCallAs](caller: Caller, method: string, args: unknown[]): unknown {
    return callAs(this, caller, method, args);
  }

  [kCallerGone](caller: Caller): void {
    if (this.#owner !== caller) return;
    this.#count = 1;
    this.release(caller);
  }
}

/** @internal What a manager's `Semaphore(n)` holds. */
export class ManagedSemaphore implements SessionAware {
  #value: number;
  readonly #bound: number | null;
  readonly #waiters = new WaitList();

  constructor(value = 1, bounded = false) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new RangeError('semaphore initial value must be >= 0');
    this.#value = value;
    this.#bound = bounded ? value : null;
  }

  async acquire(_caller: Caller, options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = blockAndTimeout(options);
    const deadline = new Deadline(timeout);
    while (this.#value === 0) {
      if (!(await this.#waiters.wait(deadline.remaining(), signal))) return false;
    }
    this.#value -= 1;
    return true;
  }

  release(_caller: Caller, n = 1): void {
    if (this.#bound !== null && this.#value + n > this.#bound) throw new RangeError('Semaphore released too many times');
    this.#value += n;
    for (let i = 0; i < n; i++) this.#waiters.wakeOne();
  }

  getValue(_caller: Caller): number {
    return this.#value;
  }

  [kCallAs](caller: Caller, method: string, args: unknown[]): unknown {
    return callAs(this, caller, method, args);
  }

  [kCallerGone](): void {
    // A semaphore's units are not owned: a client that took one and died keeps it, as with CPython.
  }
}

/** @internal What a manager's `BoundedSemaphore(n)` holds. */
export class ManagedBoundedSemaphore extends ManagedSemaphore {
  constructor(value = 1) {
    super(value, true);
  }
}

/** @internal What a manager's `Event()` holds. */
export class ManagedEvent {
  #flag = false;
  readonly #waiters = new WaitList();

  isSet(): boolean {
    return this.#flag;
  }

  set(): void {
    this.#flag = true;
    this.#waiters.wakeAll();
  }

  clear(): void {
    this.#flag = false;
  }

  async wait(options?: Omit<WaitOptions, 'block'>): Promise<boolean> {
    if (this.#flag) return true;
    await this.#waiters.wait(validateTimeout(options?.timeout), options?.signal);
    return this.#flag;
  }
}

/** What a Condition needs of its lock. */
interface ConditionLock extends SessionAware {
  acquire(caller: Caller, options?: WaitOptions): Promise<boolean>;
  release(caller: Caller): void;
  ownedBy(caller: Caller): boolean;
  releaseAll(caller: Caller): number;
  restore(caller: Caller, count: number): Promise<void>;
}

/** @internal What a manager's `Condition(lock?)` holds: over the lock given (held by this server), or an RLock of its own. */
export class ManagedCondition implements SessionAware {
  readonly #lock: ConditionLock;
  readonly #waiters = new WaitList();

  constructor(lock?: ConditionLock | null) {
    this.#lock = lock ?? new ManagedRLock();
  }

  acquire(caller: Caller, options?: WaitOptions): Promise<boolean> {
    return this.#lock.acquire(caller, options);
  }

  release(caller: Caller): void {
    this.#lock.release(caller);
  }

  async wait(caller: Caller, options?: Omit<WaitOptions, 'block'>): Promise<boolean> {
    const depth = this.#lock.releaseAll(caller);
    try {
      return await this.#waiters.wait(validateTimeout(options?.timeout), options?.signal);
    } finally {
      await this.#lock.restore(caller, depth);
    }
  }

  notify(caller: Caller, n = 1): void {
    this.#checkOwned(caller);
    for (let i = 0; i < n; i++) if (!this.#waiters.wakeOne()) break;
  }

  notifyAll(caller: Caller): void {
    this.#checkOwned(caller);
    this.#waiters.wakeAll();
  }

  #checkOwned(caller: Caller): void {
    if (!this.#lock.ownedBy(caller)) throw new ProcessError('cannot notify on un-acquired lock');
  }

  [kCallAs](caller: Caller, method: string, args: unknown[]): unknown {
    return callAs(this, caller, method, args);
  }

  [kCallerGone](caller: Caller): void {
    // A lock of its own is let go here; a lock given is told by the server itself.
    if (this.#lock instanceof ManagedRLock) this.#lock[kCallerGone](caller);
  }
}

/** Options of a manager's `Barrier()`. */
export interface ManagerBarrierOptions {
  /** Default timeout of `wait()`, in milliseconds. */
  timeout?: number | null;
}

/** One round of a barrier: the parties that wait in it pass together, or all break. */
interface Round {
  passed: boolean;
  broken: boolean;
}

/** @internal What a manager's `Barrier(parties)` holds. */
export class ManagedBarrier {
  readonly #parties: number;
  readonly #timeout: number | null;
  #count = 0;
  #round: Round = { passed: false, broken: false };
  readonly #waiters = new WaitList();

  constructor(parties: number, options: ManagerBarrierOptions = {}) {
    if (typeof parties !== 'number' || !Number.isInteger(parties) || parties < 1) throw new RangeError('parties must be an integer >= 1');
    this.#parties = parties;
    this.#timeout = validateTimeout(options.timeout);
  }

  /** Waits until `parties` waits are in; resolves with this wait's arrival index (0 to parties - 1). */
  async wait(options?: Omit<WaitOptions, 'block'>): Promise<number> {
    const round = this.#round;
    if (round.broken) throw new BrokenBarrierError('the barrier is broken');
    const index = this.#count++;
    if (this.#count === this.#parties) {
      round.passed = true;
      this.#count = 0;
      this.#round = { passed: false, broken: false };
      this.#waiters.wakeAll();
      return index;
    }
    const timeout = options?.timeout === undefined ? this.#timeout : validateTimeout(options.timeout);
    try {
      while (!round.passed && !round.broken) {
        if (!(await this.#waiters.wait(timeout, options?.signal))) break;
      }
    } catch (error) {
      this.#break();
      throw error;
    }
    if (round.passed) return index;
    this.#break();
    throw new BrokenBarrierError('the barrier is broken');
  }

  #break(): void {
    this.#round.broken = true;
    this.#count = 0;
    this.#waiters.wakeAll();
  }

  /** Breaks the barrier: waits in progress and later ones throw BrokenBarrierError until reset(). */
  abort(): void {
    this.#break();
  }

  /** Back to the initial state; waits in progress throw BrokenBarrierError. */
  reset(): void {
    if (this.#count > 0) this.#break();
    this.#count = 0;
    this.#round = { passed: false, broken: false };
  }

  parties(): number {
    return this.#parties;
  }

  nWaiting(): number {
    return this.#count;
  }

  broken(): boolean {
    return this.#round.broken;
  }
}
