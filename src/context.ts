/**
 * Contexts: the one seam through which every factory resolves its start method, as CPython's
 * context objects. `getContext('thread').Process` starts worker threads; the package root is
 * the default context, whose method is fixed by `setStartMethod` or on first use.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as errors from './errors.js';
import { ProcessError } from './errors.js';
import { getLogger, logToStderr } from './logging.js';
import { activeChildren, currentProcess, Process } from './process/process.js';
import { ForkServerProcess, PROCESS_CLASSES, SpawnProcess, ThreadProcess } from './process/process-classes.js';
import { cpuCount } from './process/cpu-count.js';

export { SpawnProcess, ForkServerProcess, ThreadProcess } from './process/process-classes.js';
export { cpuCount } from './process/cpu-count.js';
import { parentProcess } from './process/parent-process.js';
import { setExecutable } from './process/exec-options.js';
import { Lock } from './synchronize/lock.js';
import { JoinableQueue, Queue, SimpleQueue } from './queues/queue.js';
import { poolClassFor, type Pool } from './pool/pool.js';
import { Manager, type SyncManager } from './managers/sync-manager.js';
import type { ManagerOptions, ManagerStartOptions } from './managers/manager.js';
import { RLock } from './synchronize/rlock.js';
import { BoundedSemaphore, Semaphore } from './synchronize/semaphore.js';
import { Condition } from './synchronize/condition.js';
import { Event } from './synchronize/event.js';
import { Barrier } from './synchronize/barrier.js';
import { Pipe } from './connection/pipe.js';
import { Connection } from './connection/connection.js';
import { wait } from './connection/wait.js';
import { RawArray, RawValue, SharedArray, Value } from './shared/sharedctypes.js';
import type { StartMethod } from './process/popen.js';
import {
  availableStartMethods,
  defaultStartMethod,
  forkServer,
  setDefaultStartMethod,
  validateStartMethod,
  warmUp,
} from './process/start-method.js';


/** A preload specifier as the spares import it: resolved from the current directory, as CPython's module names. */
function resolvePreload(specifier: string): string | null {
  if (/^(node|file|data):/.test(specifier)) return specifier;
  try {
    const from = createRequire(join(process.cwd(), 'noop.js'));
    return pathToFileURL(from.resolve(specifier)).href;
  } catch {
    // As CPython's forkserver, a module that cannot be imported is skipped; here it is also said once.
    process.emitWarning(`forkserver preload of '${specifier}' skipped: cannot find it from ${process.cwd()}`);
    return null;
  }
}

/**
 * Modules the forkserver's spare processes import in advance, so a `'forkserver'` child starts
 * with them loaded (CPython's `set_forkserver_preload`). Specifiers resolve from the current
 * directory; one that cannot be found is skipped with a warning, as CPython skips it.
 * @param moduleSpecifiers Package names, paths or `file:` URLs.
 * @category Contexts
 */
export function setForkserverPreload(moduleSpecifiers: readonly string[]): void {
  if (!Array.isArray(moduleSpecifiers) || moduleSpecifiers.some((m) => typeof m !== 'string')) {
    throw new TypeError('module_names must be a list of strings');
  }
  forkServer().setPreload(moduleSpecifiers.map(resolvePreload).filter((url): url is string => url !== null));
}

/**
 * Start methods this platform offers, the default first (CPython's `get_all_start_methods()`):
 * only `'thread'` where the native addon is not available.
 * @category Contexts
 */
export function getAllStartMethods(): StartMethod[] {
  return availableStartMethods();
}

/**
 * What a context offers (CPython's `multiprocessing.context.BaseContext`): the package's classes
 * and functions, with {@link BaseContext.Process | Process} and
 * {@link BaseContext.Pool | Pool} bound to one start method. The package root is the default
 * context; {@link getContext} returns a {@link ConcreteContext} for one start method.
 *
 * Synchronization objects, queues, pipes and shared values work with children of every start
 * method, so the context only decides how processes start.
 *
 * @category Contexts
 * @example
 * ```ts
 * import { getContext, isMain } from 'multiprocessing-ts';
 *
 * export function square(x: number): number {
 *   return x * x;
 * }
 *
 * if (isMain(import.meta)) {
 *   const ctx = getContext('thread'); // workers are threads of this process
 *   const pool = new ctx.Pool(2);
 *   try {
 *     console.log(await pool.map(square, [1, 2, 3])); // [1, 4, 9]
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
 */
export abstract class BaseContext {
  /** The Process class whose children this context starts. */
  abstract readonly Process: typeof Process;
  /**
   * The start method of this context. On the default context it fixes the default on first use,
   * unless `allowNone` is true (then it is null while unset), as CPython's `get_start_method()`.
   */
  abstract getStartMethod(options?: { allowNone?: boolean }): StartMethod | null;
  /** Sets the default start method; only the default context (the package root) has one to set. */
  abstract setStartMethod(method: StartMethod | null, options?: { force?: boolean }): void;

  /** {@inheritDoc ProcessError} */
  readonly ProcessError = errors.ProcessError;
  /** {@inheritDoc TimeoutError} */
  readonly TimeoutError = errors.TimeoutError;
  /** {@inheritDoc AuthenticationError} */
  readonly AuthenticationError = errors.AuthenticationError;
  /** {@inheritDoc BufferTooShortError} */
  readonly BufferTooShortError = errors.BufferTooShortError;

  /** The {@link Lock} class. */
  readonly Lock = Lock;
  /** The {@link RLock} class. */
  readonly RLock = RLock;
  /** The {@link Semaphore} class. */
  readonly Semaphore = Semaphore;
  /** The {@link BoundedSemaphore} class. */
  readonly BoundedSemaphore = BoundedSemaphore;
  /** The {@link Condition} class. */
  readonly Condition = Condition;
  /** The {@link Event} class. */
  readonly Event = Event;
  /** The {@link Barrier} class. */
  readonly Barrier = Barrier;

  /** The {@link Queue} class. */
  readonly Queue = Queue;
  /** The {@link SimpleQueue} class. */
  readonly SimpleQueue = SimpleQueue;
  /** The {@link JoinableQueue} class. */
  readonly JoinableQueue = JoinableQueue;

  /** The {@link Pipe} function. */
  readonly Pipe = Pipe;

  /** Pools whose workers this context starts. */
  get Pool(): typeof Pool {
    return poolClassFor(this);
  }

  /** Starts a {@link SyncManager} whose server is a child of this context's start method. */
  Manager(options: Omit<ManagerOptions, 'context'> & ManagerStartOptions = {}): Promise<SyncManager> {
    return Manager({ ...options, context: this });
  }

  /** The {@link Connection} class. */
  readonly Connection = Connection;
  /** The {@link wait} function. */
  readonly wait = wait;

  /** The {@link Value} class. */
  readonly Value = Value;
  /** The {@link SharedArray | Array} class. */
  readonly Array = SharedArray;
  /** The {@link RawValue} function. */
  readonly RawValue = RawValue;
  /** The {@link RawArray} function. */
  readonly RawArray = RawArray;

  /** {@inheritDoc getContext} */
  getContext(method?: StartMethod | null): ConcreteContext {
    return getContext(method);
  }

  /** {@inheritDoc getAllStartMethods} */
  getAllStartMethods(): StartMethod[] {
    return getAllStartMethods();
  }

  /** {@inheritDoc cpuCount} */
  cpuCount(): number {
    return cpuCount();
  }

  /** {@inheritDoc currentProcess} */
  currentProcess(): Process {
    return currentProcess();
  }

  /** {@inheritDoc parentProcess} */
  parentProcess(): ReturnType<typeof parentProcess> {
    return parentProcess();
  }

  /** {@inheritDoc activeChildren} */
  activeChildren(): Process[] {
    return activeChildren();
  }

  /** {@inheritDoc getLogger} */
  getLogger(): ReturnType<typeof getLogger> {
    return getLogger();
  }

  /** {@inheritDoc logToStderr} */
  logToStderr(level?: Parameters<typeof logToStderr>[0]): ReturnType<typeof logToStderr> {
    return logToStderr(level);
  }

  /** {@inheritDoc setExecutable} */
  setExecutable(path: string | URL): void {
    setExecutable(path);
  }

  /** {@inheritDoc setForkserverPreload} */
  setForkserverPreload(moduleSpecifiers: readonly string[]): void {
    setForkserverPreload(moduleSpecifiers);
  }

  /** A no-op kept for CPython parity (it matters only for frozen Windows executables). */
  freezeSupport(): void {}
}

/**
 * The context of one start method, as {@link getContext} returns it (CPython's `SpawnContext`,
 * `ForkServerContext`...): its `Process` and `Pool` always use that method.
 * @category Contexts
 */
export class ConcreteContext extends BaseContext {
  /** The Process class of this start method ({@link SpawnProcess}, {@link ForkServerProcess} or {@link ThreadProcess}). */
  readonly Process: typeof Process;
  readonly #method: StartMethod;

  /**
   * A context for `method`. {@link getContext} returns the same one every time and starts the
   * method's machinery (the forkserver's spares): prefer it.
   */
  constructor(method: StartMethod) {
    super();
    this.#method = method;
    this.Process = PROCESS_CLASSES[method];
  }

  /** The start method of this context. */
  getStartMethod(): StartMethod {
    return this.#method;
  }

  /** Without a method, a concrete context is its own context, as in CPython. */
  override getContext(method?: StartMethod | null): ConcreteContext {
    return method === undefined || method === null ? this : getContext(method);
  }

  /** Throws, as CPython's: only the default context's start method can be set. */
  setStartMethod(): void {
    throw new ProcessError('cannot set start method of concrete context');
  }
}

class DefaultContext extends BaseContext {
  readonly Process = Process;

  getStartMethod(options: { allowNone?: boolean } = {}): StartMethod | null {
    return options.allowNone ? defaultStartMethod(true) : defaultStartMethod();
  }

  setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
    setDefaultStartMethod(method, options.force === true);
    if (method !== null) warmUp(method);
  }
}

const concrete = new Map<StartMethod, ConcreteContext>();
/** @internal The package root as a context. */
export const defaultContext = new DefaultContext();

/**
 * The context of a start method (CPython's `get_context()`): an object with the package's API
 * whose `Process` and `Pool` use that method. Without a method: the default start method's
 * context, which fixes the default if it was not set yet. `'fork'` is refused: V8 cannot fork.
 * @param method `'spawn'` (the default; `'thread'` without the native addon), `'forkserver'` or `'thread'`.
 * @category Contexts
 * @example
 * ```ts
 * import { getContext, isMain } from 'multiprocessing-ts';
 *
 * export function greet(name: string): void {
 *   console.log(`hello, ${name}`);
 * }
 *
 * if (isMain(import.meta)) {
 *   const ctx = getContext('forkserver');
 *   const p = new ctx.Process({ target: greet, args: ['world'] });
 *   p.start();
 *   await p.join();
 * }
 * ```
 */
export function getContext(method?: StartMethod | null): ConcreteContext {
  const chosen = method === undefined || method === null ? defaultStartMethod() : validateStartMethod(method);
  let context = concrete.get(chosen);
  if (!context) concrete.set(chosen, (context = new ConcreteContext(chosen)));
  warmUp(chosen);
  return context;
}

/**
 * The default start method (CPython's `get_start_method()`). Reading it fixes it, unless
 * `allowNone` is true: then it is null while nothing set it.
 * @category Contexts
 */
export function getStartMethod(options: { allowNone?: boolean } = {}): StartMethod | null {
  return defaultContext.getStartMethod(options);
}

/**
 * Sets the default start method, once, as CPython's `set_start_method()`: a second call throws
 * `'context has already been set'` unless `{ force: true }`. `null` with `force` unsets it.
 * Call it at the start of the main module, under the `isMain(import.meta)` guard.
 * @category Contexts
 */
export function setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
  defaultContext.setStartMethod(method, options);
}
