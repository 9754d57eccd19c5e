/**
 * `hold()` / `holdSync()`: a lock taken for the length of a block, released by disposal, as
 * CPython's `with lock:` does:
 *
 *     await using held = await lock.hold({ timeout: 1000 });
 *     using held = lock.holdSync();
 *
 * A hold either holds or fails: when the timeout passes first it rejects (throws) with
 * TimeoutError, so there is never a handle that holds nothing (`acquire()` resolves false there,
 * which a `using` block would not look at). There is no `block` option: `{ timeout: 0 }` tries
 * once, without waiting.
 */
import { TimeoutError } from '../errors.js';
import { checkOptionsObject, validateTimeout } from '../internal/validate.js';
import type { BlockingOptions, SyncBlockingOptions } from './options.js';

/**
 * Options of `hold()`: how long to wait for the lock, and a signal to give up.
 * @category Synchronization
 */
export interface HoldOptions {
  /** Milliseconds to wait for the lock; past them hold() rejects with TimeoutError. Omitted or null: no limit. */
  timeout?: number | null;
  /** Cancels the wait: hold() rejects with AbortError and holds nothing. */
  signal?: AbortSignal;
}

/**
 * Options of `holdSync()`: how long to wait for the lock.
 * @category Synchronization
 */
export interface SyncHoldOptions {
  /** Milliseconds to wait for the lock; past them holdSync() throws TimeoutError. Omitted or null: no limit. */
  timeout?: number | null;
}

/** What can be held: the locks, the semaphores and Condition (which holds its lock). */
export interface Holdable {
  acquire(options?: BlockingOptions): Promise<boolean>;
  acquireSync(options?: SyncBlockingOptions): boolean;
  release(): void;
}

/**
 * A lock (or semaphore unit) taken by `hold()`/`holdSync()`: disposing of it releases it, once.
 * Dispose of it where it was taken (an RLock is released by its owning thread only).
 * @category Synchronization
 */
export class HeldLock implements Disposable, AsyncDisposable {
  #lock: Holdable | null;

  /** Made by hold() and holdSync(). */
  constructor(lock: Holdable) {
    this.#lock = lock;
  }

  /** Whether the lock is still held through this handle. */
  get held(): boolean {
    return this.#lock !== null;
  }

  /** Releases the lock now; later calls, and the disposal at the end of the block, do nothing. */
  release(): void {
    const lock = this.#lock;
    if (lock === null) return;
    this.#lock = null;
    lock.release();
  }

  /** Releases the lock (the end of a `using` block). */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the lock (the end of an `await using` block). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

function checkHoldOptions(options: unknown, call: string, shape: string): { timeout: number | null; signal?: AbortSignal } {
  const given = checkOptionsObject(options as object | undefined, call, 'timeout', shape) as
    | (HoldOptions & { block?: unknown })
    | undefined;
  if (given?.block !== undefined) {
    throw new TypeError(`${call} always waits for the lock (a hold never holds nothing): pass { timeout: 0 } to try once without waiting`);
  }
  return { timeout: validateTimeout(given?.timeout), signal: given?.signal };
}

function timedOut(call: string, timeout: number | null): TimeoutError {
  return new TimeoutError(`${call}: the lock was not acquired within ${timeout} ms`);
}

/** Takes `lock` and returns the handle that releases it; rejects with TimeoutError past the timeout. */
export async function hold(lock: Holdable, owner: string, options: HoldOptions | undefined): Promise<HeldLock> {
  const call = `${owner}.hold()`;
  const { timeout, signal } = checkHoldOptions(options, call, '{ timeout, signal }');
  if (!(await lock.acquire({ timeout, signal }))) throw timedOut(call, timeout);
  return new HeldLock(lock);
}

/** Blocking twin of `hold`: throws TimeoutError past the timeout. */
export function holdSync(lock: Holdable, owner: string, options: SyncHoldOptions | undefined): HeldLock {
  const call = `${owner}.holdSync()`;
  const { timeout } = checkHoldOptions(options, call, '{ timeout }');
  if (!lock.acquireSync({ timeout })) throw timedOut(call, timeout);
  return new HeldLock(lock);
}
