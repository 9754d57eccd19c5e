/**
 * `Pool` and `ThreadPool`: CPython's process pool API over worker processes (or threads) that
 * are replaced when they die, with the tasks they held failing with `WorkerLostError` instead of
 * hanging. Every call takes an AbortSignal; `imap` reads its input lazily.
 */
import { abortError, ProcessError } from '../errors.js';
import { checkCallOptions, checkPositiveInteger, type PositionalHints } from '../internal/validate.js';
import { getLogger } from '../logging.js';
import type { StartMethod } from '../process/popen.js';
import type { Process } from '../process/process.js';
import { cpuCount } from '../process/cpu-count.js';
import { PROCESS_CLASSES } from '../process/process-classes.js';
import { checkCanStart, defaultStartMethod, validateStartMethod, warmUp } from '../process/start-method.js';
import { AsyncResult, checkCallbacks, type Callbacks } from './async-result.js';
import { PoolCore, type Chunk } from './core.js';
import { ApplyJob, ImapIterator, ListJob, type Progress } from './jobs.js';
import { IN_POOL_WORKER, Mode } from './protocol.js';
import { refuseInstances } from '../serialize/instances.js';
import { checkSchedulingAvailable, getAffinity, validateCpus } from '../process/scheduling.js';

/**
 * A context a Pool can use: what `getContext(method)` returns, or the package root's default
 * context (anything that names its start method).
 * @category Pools
 */
export interface PoolContext {
  /** The start method of the workers. */
  getStartMethod(): StartMethod | null;
}

/**
 * Options of {@link Pool}: CPython's `Pool(processes, initializer, initargs, maxtasksperchild,
 * context)` arguments.
 * @category Pools
 */
export interface PoolOptions {
  /**
   * Number of workers; default: the number of CPUs. Every worker starts at once (a Node.js process
   * or thread each), so at most 1024 (or the number of CPUs, if larger): a
   * larger number is a RangeError rather than thousands of workers starting.
   */
  processes?: number | null;
  /** Runs in each worker before its first task (a sendable function, as a Process target). */
  initializer?: ((...args: any[]) => unknown) | null;
  /** The initializer's arguments. */
  initargs?: unknown[];
  /** Tasks (chunks) a worker runs before it is replaced by a fresh one; default: no limit. */
  maxTasksPerChild?: number | null;
  /** The context (or start method) the workers are started with; default: the default context. */
  context?: PoolContext | StartMethod | null;
  /**
   * Pins the workers to CPUs (see {@link Process.setAffinity}), before they run anything:
   * - `'spread'`: one CPU each, in turn over the CPUs this process may use ({@link getAffinity}):
   *   worker 0 on the first, worker 1 on the second, and round again when there are more
   *   workers than CPUs.
   * - an array of CPU sets, one per worker (`[[0, 1], [2, 3]]`); `processes` defaults to its
   *   length and, if given, must equal it.
   *
   * A worker that replaces another (after `maxTasksPerChild` tasks, or a crash) gets the CPUs of
   * the one it replaces. Default: unpinned. Needs the native addon (Linux).
   */
  affinity?: 'spread' | Iterable<number>[] | null;
}

/**
 * Options every {@link Pool} call takes.
 * @category Pools
 */
export interface CallOptions {
  /** Cancels the call: it rejects with AbortError and its queued chunks are dropped. */
  signal?: AbortSignal;
}

/**
 * Options of {@link Pool.map} and {@link Pool.starmap}.
 * @category Pools
 */
export interface MapOptions extends CallOptions {
  /** Items per chunk (one message to a worker); default as CPython: about 4 chunks per worker. */
  chunksize?: number | null;
  /** Called after each chunk with the items done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Options of {@link Pool.imap} and {@link Pool.imapUnordered}.
 * @category Pools
 */
export interface ImapOptions extends CallOptions {
  /** Items per chunk; default 1. */
  chunksize?: number;
  /** Chunks read ahead of the consumer at most; default 16 per worker. */
  bufferSize?: number;
  /** Called after each chunk with the items done so far and, once the input is exhausted, the total. */
  onProgress?: (done: number, total: number | undefined) => void;
}

/**
 * Options of {@link Pool.applyAsync}: a signal, and CPython's `callback` and `error_callback`.
 * @category Pools
 */
export type ApplyAsyncOptions<R> = CallOptions & Callbacks<R>;
/**
 * Options of {@link Pool.mapAsync} and {@link Pool.starmapAsync}.
 * @category Pools
 */
export type MapAsyncOptions<R> = MapOptions & Callbacks<R>;

type Input<T> = Iterable<T> | AsyncIterable<T>;

const registry = new FinalizationRegistry<PoolCore>((core) => {
  if (core.state !== 'run') return;
  if (!warnedUnclosed) {
    warnedUnclosed = true;
    process.emitWarning(
      `unclosed running multiprocessing pool (${core.processes} workers) was garbage-collected; its workers were terminated. ` +
        'Call pool.close() and await pool.join(), or use `await using pool = new Pool()`.',
      'ResourceWarning',
    );
  }
  void core.terminate(new ProcessError('Pool was garbage-collected'));
});
let warnedUnclosed = false;

function checkFunction(fn: unknown, what = 'func'): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} must be a function, not ${fn === null ? 'null' : typeof fn}`);
}

/**
 * The most workers a Pool may have (or the number of CPUs, if larger). Each worker is a Node.js
 * process or thread started with the pool, holding tens of MiB; CPython sets no bound, and
 * `new Pool(1e6)` would start workers until the machine gives out.
 */
const MAX_POOL_WORKERS = 1024;

/** CPython passes chunksize and callbacks positionally (`map(f, items, 4)`, `apply_async(f, args, kwds, callback)`). */
const POOL_POSITIONALS: PositionalHints = {
  number: (given) => `for CPython's chunksize argument pass { chunksize: ${given} }`,
  function: 'pass callbacks as { callback, errorCallback }',
};

/** The options of a Pool call: checkCallOptions, and an `onProgress` that is a function if given. */
function checkOptions<T extends object>(options: T | undefined, call: string): T {
  const checked = checkCallOptions(options, call, POOL_POSITIONALS);
  const progress = (checked as MapOptions).onProgress;
  if (progress !== undefined && typeof progress !== 'function') throw new TypeError('onProgress must be a function');
  return checked;
}

function isIterable(value: unknown): value is Input<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    (typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  );
}

/** The CPUs of each of `count` workers, from the pool's `affinity` option. */
function workerAffinity(affinity: 'spread' | Iterable<number>[], count: number): number[][] {
  checkSchedulingAvailable();
  if (affinity === 'spread') {
    const cpus = getAffinity();
    return Array.from({ length: count }, (_, i) => [cpus[i % cpus.length]!]);
  }
  if (affinity.length !== count) {
    throw new RangeError(`affinity has ${affinity.length} CPU sets for ${count} workers: give one set per worker`);
  }
  return affinity.map((cpus, i) => validateCpus(cpus, `affinity[${i}]`));
}

function resolveContext(context: PoolOptions['context']): { method: StartMethod; ProcessClass: typeof Process } {
  let method: StartMethod;
  if (context === undefined || context === null) method = defaultStartMethod();
  else if (typeof context === 'string') method = validateStartMethod(context);
  else if (typeof context === 'object' && typeof (context as PoolContext).getStartMethod === 'function') {
    const chosen = (context as PoolContext).getStartMethod();
    method = chosen === null ? defaultStartMethod() : validateStartMethod(chosen);
  } else throw new TypeError('context must be a context (getContext(...)) or a start method name');
  warmUp(method);
  return { method, ProcessClass: PROCESS_CLASSES[method] };
}

/**
 * A pool of worker processes that run tasks (CPython's `multiprocessing.Pool`): `map`,
 * `starmap`, `apply`, their `...Async` forms and the lazy `imap`/`imapUnordered`. Tasks are
 * exported top-level functions (or ones given to {@link register}), with arguments and results
 * that can be sent to another process.
 *
 * How it differs from CPython:
 * - Every call returns a Promise (the `...Async` forms an {@link AsyncResult}, which is also
 *   awaitable; `imap` an async iterator); every call takes a `signal`; timeouts are milliseconds.
 * - A task that throws rejects with a {@link RemoteError} carrying the original name, message,
 *   code and stack. A worker that dies while it holds a task rejects that task with
 *   {@link WorkerLostError}, is replaced, and the pool keeps serving (CPython's hangs).
 * - `imap` reads its input lazily with bounded look-ahead, so it works on infinite and async
 *   iterables; `map` and `imap` take an `onProgress` callback.
 * - `await using pool = new Pool()` closes the pool and waits for its tasks (CPython's `with`
 *   terminates it). Without it: `close()` then `await join()`, or `await terminate()`.
 * - The constructor takes CPython's positional arguments or one {@link PoolOptions} object.
 *
 * @category Pools
 * @example
 * ```ts
 * import { Pool, isMain } from 'multiprocessing-ts';
 *
 * export function square(x: number): number {
 *   return x * x;
 * }
 *
 * if (isMain(import.meta)) {
 *   const pool = new Pool(4);
 *   try {
 *     console.log(await pool.map(square, [1, 2, 3, 4])); // [1, 4, 9, 16]
 *     console.log(await pool.apply(square, [10])); // 100
 *     for await (const y of pool.imapUnordered(square, [5, 6, 7])) console.log(y); // as they finish
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
 */
export class Pool {
  /** @internal The context pools of this class use when none is given (set by `ctx.Pool`). */
  static readonly defaultContext: PoolContext | StartMethod | null = null;
  readonly #core: PoolCore;

  /**
   * Starts the workers at once.
   * @param processes The number of workers (default: the number of CPUs; at most
   *   1024 or the number of CPUs if larger, else RangeError), or all the options
   *   as one object.
   * @param initializer Runs in each worker before its first task.
   * @param initargs The initializer's arguments.
   * @param maxTasksPerChild Tasks a worker runs before it is replaced; default: no limit.
   * @param context The context or start method of the workers.
   */
  constructor(
    processes?: number | PoolOptions | null,
    initializer?: PoolOptions['initializer'],
    initargs?: unknown[],
    maxTasksPerChild?: number | null,
    context?: PoolOptions['context'],
  ) {
    const options: PoolOptions =
      processes !== null && typeof processes === 'object' ? processes : { processes, initializer, initargs, maxTasksPerChild, context };
    if ((globalThis as Record<symbol, unknown>)[IN_POOL_WORKER]) {
      throw new ProcessError(
        'a Pool cannot be created inside a pool worker: pool workers are daemonic and may not start processes. ' +
          'If this comes from a test run (node --test), the worker imported the test file to find its task function ' +
          'and so ran the tests again: move the functions a pool runs into a module of their own and import them in the test file.',
      );
    }
    const affinity = options.affinity ?? null;
    if (affinity !== null && affinity !== 'spread' && !Array.isArray(affinity)) {
      throw new TypeError(`affinity must be 'spread' or an array of CPU sets (one per worker), not ${typeof affinity === 'string' ? JSON.stringify(affinity) : typeof affinity}`);
    }
    const count = options.processes ?? (Array.isArray(affinity) ? affinity.length : cpuCount());
    checkPositiveInteger(count, 'Number of processes');
    const most = Math.max(MAX_POOL_WORKERS, cpuCount());
    if (count > most) {
      throw new RangeError(
        `Number of processes must be at most ${most} (got ${count}): every pool worker is a Node.js process or thread started at once`,
      );
    }
    const init = options.initializer ?? null;
    if (init !== null && typeof init !== 'function') throw new TypeError('initializer must be a callable');
    const initargs_ = options.initargs ?? [];
    if (!Array.isArray(initargs_)) throw new TypeError('initargs must be an array');
    const maxTasks = options.maxTasksPerChild ?? null;
    if (maxTasks !== null) {
      if (typeof maxTasks !== 'number' || !Number.isInteger(maxTasks)) throw new TypeError('maxTasksPerChild must be a positive integer or null');
      if (maxTasks < 1) throw new RangeError('maxTasksPerChild must be a positive integer or null');
    }
    const slots = affinity === null ? null : workerAffinity(affinity, count);
    const { method, ProcessClass } = resolveContext(options.context ?? (new.target as typeof Pool).defaultContext);
    checkCanStart(method);
    this.#core = new PoolCore({
      processes: count,
      ProcessClass: ProcessClass as never,
      method,
      initializer: init,
      initargs: initargs_,
      maxTasksPerChild: maxTasks,
      affinity: slots,
    });
    registry.register(this, this.#core, this);
  }

  /** Number of workers. */
  get processes(): number {
    return this.#core.processes;
  }

  /** The worker processes running now (they change as workers are replaced). */
  get workers(): readonly Process[] {
    return this.#core.workers();
  }

  /** Runs `fn(...args)` in a worker; resolves with its result. */
  async apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: CallOptions): Promise<Awaited<R>> {
    return this.applyAsync(fn, args, options).get();
  }

  /** Starts `fn(...args)` in a worker; the AsyncResult settles with its result. */
  applyAsync<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: ApplyAsyncOptions<Awaited<R>>): AsyncResult<Awaited<R>> {
    const core = this.#core;
    checkFunction(fn);
    const list = args ?? ([] as unknown[] as A);
    if (!Array.isArray(list)) throw new TypeError('args must be an array');
    const opts = checkOptions(options, 'Pool.applyAsync()');
    checkCallbacks(opts);
    core.checkRunning();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const result = new AsyncResult<Awaited<R>>(options);
    const fnId = core.functionId(fn);
    const job = new ApplyJob(result as AsyncResult<unknown>, opts.signal);
    if (opts.signal) job.watchQueue(core);
    core.submit([core.newChunk(job, 0, fnId, Mode.Spread, [list.slice()], null)]);
    return result;
  }

  /** Applies `fn` to every item, in chunks; resolves with the results in input order. */
  async map<T, R>(fn: (item: T) => R, iterable: Iterable<T> | AsyncIterable<T>, options?: MapOptions): Promise<Awaited<R>[]> {
    return this.#mapAsync(fn, iterable, options, Mode.Single);
  }

  /** Like `map`, each item being an array of arguments. */
  async starmap<A extends unknown[], R>(fn: (...args: A) => R, iterable: Iterable<A> | AsyncIterable<A>, options?: MapOptions): Promise<Awaited<R>[]> {
    return this.#mapAsync(fn, iterable, options, Mode.Spread);
  }

  /** `map` returning an AsyncResult (with CPython's callbacks). */
  mapAsync<T, R>(fn: (item: T) => R, iterable: Iterable<T>, options?: MapAsyncOptions<Awaited<R>[]>): AsyncResult<Awaited<R>[]> {
    return this.#mapResult(fn, iterable, options as MapAsyncOptions<unknown> | undefined, Mode.Single) as AsyncResult<Awaited<R>[]>;
  }

  /** `starmap` returning an AsyncResult (with CPython's callbacks). */
  starmapAsync<A extends unknown[], R>(fn: (...args: A) => R, iterable: Iterable<A>, options?: MapAsyncOptions<Awaited<R>[]>): AsyncResult<Awaited<R>[]> {
    return this.#mapResult(fn, iterable, options as MapAsyncOptions<unknown> | undefined, Mode.Spread) as AsyncResult<Awaited<R>[]>;
  }

  /** Results one by one in input order; the input (sync or async, even infinite) is read lazily. */
  imap<T, R>(fn: (item: T) => R, iterable: Iterable<T> | AsyncIterable<T>, options?: ImapOptions): ImapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, options, true);
  }

  /** Like `imap`, results in the order they finish. */
  imapUnordered<T, R>(fn: (item: T) => R, iterable: Iterable<T> | AsyncIterable<T>, options?: ImapOptions): ImapIterator<Awaited<R>> {
    return this.#imap(fn, iterable, options, false);
  }

  /** No more tasks are accepted; the workers exit once the submitted ones are done. */
  close(): void {
    this.#core.close();
  }

  /** Waits for every worker to exit; call `close()` or `terminate()` first. */
  async join(): Promise<void> {
    if (arguments.length > 0 && arguments[0] !== undefined) {
      // Python's habit of join(timeout) would otherwise be ignored and wait for as long as it takes.
      throw new TypeError('Pool.join() takes no arguments (CPython\'s Pool.join() has no timeout either); call close() or terminate() first');
    }
    if (this.#core.state === 'run') throw new ProcessError('Pool is still running');
    getLogger().debug('joining pool');
    await this.#core.ended();
  }

  /** Stops the workers now; every task not finished rejects. Resolves once they have exited. */
  async terminate(): Promise<void> {
    registry.unregister(this);
    await this.#core.terminate(new ProcessError('Pool was terminated before the task finished'));
  }

  /** `close()`, then `join()`: the submitted tasks finish first (CPython's `with` terminates instead). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }

  /** CPython's repr: `<Pool state=RUN pool_size=4>`. */
  toString(): string {
    const state = { run: 'RUN', close: 'CLOSE', terminate: 'TERMINATE', broken: 'BROKEN' }[this.#core.state];
    return `<${this.constructor.name} state=${state} pool_size=${this.#core.processes}>`;
  }

  async #mapAsync(fn: Function, iterable: Input<unknown>, options: MapOptions | undefined, mode: Mode): Promise<never> {
    checkFunction(fn);
    if (!isIterable(iterable)) throw new TypeError(`'${typeof iterable}' object is not iterable`);
    let items: Iterable<unknown> = iterable as Iterable<unknown>;
    if (typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      const collected: unknown[] = [];
      for await (const item of iterable as AsyncIterable<unknown>) collected.push(item);
      items = collected;
    }
    return (await this.#mapResult(fn, items, options, mode).get()) as never;
  }

  #mapResult(fn: Function, iterable: Iterable<unknown>, options: MapAsyncOptions<unknown> | undefined, mode: Mode): AsyncResult<unknown> {
    const core = this.#core;
    checkFunction(fn);
    const opts = checkOptions(options, mode === Mode.Spread ? 'Pool.starmap()' : 'Pool.map()');
    checkCallbacks(opts);
    if (iterable === null || iterable === undefined || typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`'${iterable === null ? 'null' : typeof iterable}' object is not iterable`);
    }
    core.checkRunning();
    const items = Array.isArray(iterable) ? iterable : Array.from(iterable);
    if (mode === Mode.Spread) {
      for (const args of items) if (!Array.isArray(args)) throw new TypeError('starmap items must be arrays of arguments');
    }
    let chunksize = opts.chunksize ?? null;
    if (chunksize === null) {
      chunksize = Math.ceil(items.length / (core.processes * 4));
      if (chunksize === 0) chunksize = 1;
    } else checkPositiveInteger(chunksize, 'chunksize');
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const result = new AsyncResult<unknown>(opts as Callbacks<unknown>);
    const fnId = core.functionId(fn);
    const count = Math.ceil(items.length / chunksize);
    const job = new ListJob(core, result, {
      total: items.length,
      chunksize,
      chunks: count,
      single: false,
      progress: opts.onProgress as Progress | undefined,
      signal: opts.signal,
    });
    const chunks: Chunk[] = [];
    for (let i = 0; i < count; i++) chunks.push(core.newChunk(job, i, fnId, mode, items.slice(i * chunksize, (i + 1) * chunksize), i * chunksize));
    core.submit(chunks);
    return result;
  }

  #imap(fn: Function, iterable: Input<unknown>, options: ImapOptions | undefined, ordered: boolean): ImapIterator<never> {
    const core = this.#core;
    checkFunction(fn);
    const opts = checkOptions(options, ordered ? 'Pool.imap()' : 'Pool.imapUnordered()');
    if (!isIterable(iterable)) throw new TypeError(`'${iterable === null ? 'null' : typeof iterable}' object is not iterable`);
    const chunksize = checkPositiveInteger(opts.chunksize ?? 1, 'chunksize');
    const bufferSize = checkPositiveInteger(opts.bufferSize ?? core.processes * 16, 'bufferSize');
    core.checkRunning();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const fnId = core.functionId(fn);
    return new ImapIterator(core, iterable, {
      fnId,
      mode: Mode.Single,
      ordered,
      chunksize,
      bufferSize,
      progress: opts.onProgress,
      signal: opts.signal,
    });
  }
}

refuseInstances(Pool, 'pool objects cannot be passed between processes (as in CPython)', 'create the pool in the process that uses it, or send that process the work through a Queue');
refuseInstances(
  AsyncResult,
  'it is the pending result of a call made by a pool of this process',
  'await it (or its get()) and send the result',
);
refuseInstances(ImapIterator, 'it reads results from a pool of this process', 'send the results, or the work to do');

/**
 * A {@link Pool} whose workers are `worker_threads` of this process (CPython's
 * `multiprocessing.pool.ThreadPool`): the same API, the same rules for tasks (exported functions,
 * sendable arguments), and true parallelism, since each worker thread has its own event loop.
 * It starts faster than a process pool; tasks and results are still copied between threads.
 * @category Pools
 * @example
 * ```ts
 * import { ThreadPool, isMain } from 'multiprocessing-ts';
 *
 * export function wordCount(text: string): number {
 *   return text.split(/\s+/).filter(Boolean).length;
 * }
 *
 * if (isMain(import.meta)) {
 *   const pool = new ThreadPool(2);
 *   try {
 *     console.log(await pool.map(wordCount, ['a b c', 'd e'])); // [3, 2]
 *   } finally {
 *     await pool.terminate();
 *   }
 * }
 * ```
 */
export class ThreadPool extends Pool {
  /** @internal */
  static override readonly defaultContext: StartMethod = 'thread';

  /**
   * Starts the worker threads at once.
   * @param processes The number of workers (default: the number of CPUs; at most
   *   1024 or the number of CPUs if larger), or the options as one object.
   * @param initializer Runs in each worker before its first task.
   * @param initargs The initializer's arguments.
   */
  constructor(processes?: number | Omit<PoolOptions, 'context'> | null, initializer?: PoolOptions['initializer'], initargs?: unknown[]) {
    const options = processes !== null && typeof processes === 'object' ? processes : { processes, initializer, initargs };
    super({ ...options, context: 'thread' });
  }
}

const boundPools = new WeakMap<object, typeof Pool>();

/** @internal `ctx.Pool`: a Pool class whose pools use that context unless told otherwise. */
export function poolClassFor(context: PoolContext): typeof Pool {
  let cls = boundPools.get(context);
  if (!cls) {
    cls = class extends Pool {
      static override readonly defaultContext = context;
    };
    Object.defineProperty(cls, 'name', { value: 'Pool' });
    boundPools.set(context, cls);
  }
  return cls;
}
