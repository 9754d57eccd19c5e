/**
 * `AsyncResult`: the handle `applyAsync`, `mapAsync` and `starmapAsync` return, as CPython's,
 * and awaitable like a promise. An unobserved failure never becomes an unhandled rejection: it
 * is reported through `get()`, `then()` or the error callback of the call.
 */
import { ProcessError, TimeoutError } from '../errors.js';
import { TIMED_OUT, withTimeout } from '../internal/timers.js';
import { checkOptionsObject, validateTimeout } from '../internal/validate.js';

/**
 * Options of {@link AsyncResult.get} and {@link AsyncResult.wait}.
 * @category Pools
 */
export interface ResultWaitOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
}

/**
 * CPython's `callback` and `error_callback` of the `...Async` pool calls.
 * @category Pools
 */
export interface Callbacks<T> {
  /** Called with the result once the call succeeds. */
  callback?: ((result: T) => void) | null;
  /** Called with the error once the call fails. */
  errorCallback?: ((error: Error) => void) | null;
}

/** @internal */
export function checkCallbacks(options: Callbacks<never>): void {
  for (const key of ['callback', 'errorCallback'] as const) {
    const value = options[key];
    if (value !== undefined && value !== null && typeof value !== 'function') throw new TypeError(`${key} must be a function`);
  }
}

/** Runs a user callback; its exception is the program's, not the pool's (reported as uncaught). */
function callUser(fn: (value: never) => void, value: unknown): void {
  try {
    fn(value as never);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

const kSettle = Symbol('settle');

/**
 * The result of {@link Pool.applyAsync}, {@link Pool.mapAsync} or {@link Pool.starmapAsync}
 * (CPython's `multiprocessing.pool.AsyncResult`), and awaitable like a Promise.
 *
 * How it differs from CPython: {@link AsyncResult.get | get()} and
 * {@link AsyncResult.wait | wait()} return Promises and take `{ timeout }` in milliseconds. A
 * failure nobody looks at never becomes an unhandled rejection: it is reported through `get()`,
 * `then()` or the error callback of the call.
 *
 * @typeParam T The result's type.
 * @category Pools
 * @example
 * ```ts
 * import { Pool, TimeoutError, isMain } from 'multiprocessing-ts';
 *
 * export function slowSquare(x: number): number {
 *   const until = Date.now() + 100;
 *   while (Date.now() < until);
 *   return x * x;
 * }
 *
 * if (isMain(import.meta)) {
 *   const pool = new Pool(1);
 *   try {
 *     const result = pool.applyAsync(slowSquare, [7], { callback: (y) => console.log('callback:', y) });
 *     try {
 *       await result.get({ timeout: 10 });
 *     } catch (error) {
 *       if (error instanceof TimeoutError) console.log('not yet'); // the task goes on
 *     }
 *     console.log(await result); // 49
 *     console.log(result.ready(), result.successful()); // true true
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
 */
export class AsyncResult<T> implements PromiseLike<T> {
  // The promise is made only when someone awaits: most results of a large batch are read once,
  // and an unobserved failure must not become an unhandled rejection.
  #promise: Promise<T> | null = null;
  #resolve: ((value: T) => void) | null = null;
  #reject: ((error: unknown) => void) | null = null;
  #state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  #value: unknown = undefined;
  readonly #callbacks: Callbacks<T> | undefined;

  /** @internal Made by the pool; users receive it from `applyAsync`, `mapAsync` and `starmapAsync`. */
  constructor(callbacks?: Callbacks<T>) {
    this.#callbacks = callbacks?.callback || callbacks?.errorCallback ? callbacks : undefined;
  }

  /** @internal Settles the result (once; later calls are ignored). */
  [kSettle](ok: boolean, value: unknown): void {
    if (this.#state !== 'pending') return;
    this.#state = ok ? 'fulfilled' : 'rejected';
    this.#value = value;
    if (ok) this.#resolve?.(value as T);
    else this.#reject?.(value);
    this.#resolve = this.#reject = null;
    const callback = ok ? this.#callbacks?.callback : this.#callbacks?.errorCallback;
    if (callback) callUser(callback, value);
  }

  #settled(): Promise<T> {
    if (this.#promise) return this.#promise;
    if (this.#state === 'fulfilled') this.#promise = Promise.resolve(this.#value as T);
    else if (this.#state === 'rejected') this.#promise = Promise.reject(this.#value);
    else {
      this.#promise = new Promise<T>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
    return this.#promise;
  }

  /** The result, once ready; rejects with TimeoutError (the task goes on) if `timeout` ms pass first. */
  get(options?: ResultWaitOptions): Promise<T> {
    let given: ResultWaitOptions | undefined;
    try {
      given = checkOptionsObject(options, 'AsyncResult.get()', 'timeout', '{ timeout }');
    } catch (error) {
      return Promise.reject(error);
    }
    if (given?.timeout === undefined || given.timeout === null) return this.#settled();
    return this.#waitFor(given, true).then(() => this.#settled());
  }

  /** Resolves (with undefined, as CPython) once the result is ready or `timeout` ms have passed. */
  async wait(options?: ResultWaitOptions): Promise<void> {
    await this.#waitFor(checkOptionsObject(options, 'AsyncResult.wait()', 'timeout', '{ timeout }') ?? {}, false);
  }

  /** Whether the call has finished. */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /** Whether the call finished without error; throws if it has not finished yet. */
  successful(): boolean {
    if (this.#state === 'pending') throw new ProcessError(`${this.toString()} not ready`);
    return this.#state === 'fulfilled';
  }

  /** Makes the result awaitable: `await result` is `await result.get()`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#settled().then(onFulfilled, onRejected);
  }

  /** As a Promise's `catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#settled().catch(onRejected);
  }

  /** As a Promise's `finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#settled().finally(onFinally);
  }

  /** `<AsyncResult pending>`, `fulfilled` or `rejected`. */
  toString(): string {
    return `<AsyncResult ${this.#state}>`;
  }

  async #waitFor(options: ResultWaitOptions, strict: boolean): Promise<void> {
    const timeout = validateTimeout(options.timeout);
    if (this.#state !== 'pending') return;
    if (timeout === null) {
      await this.#settled().then(
        () => undefined,
        () => undefined,
      );
      return;
    }
    const outcome = await withTimeout(
      this.#settled().then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    );
    if (outcome === TIMED_OUT && strict) throw new TimeoutError(`the result was not ready within ${timeout} ms`);
  }
}

/** @internal */
export function settle<T>(result: AsyncResult<T>, ok: boolean, value: unknown): void {
  result[kSettle](ok, value);
}
