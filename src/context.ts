/**
 * Contexts: the one seam through which every factory resolves its start method, as CPython's
 * context objects. `getContext('thread').Process` starts worker threads; the package root is
 * the default context, whose method is fixed by `setStartMethod` or on first use.
 */
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as errors from './errors.js';
import { ProcessError } from './errors.js';
import { getLogger, logToStderr } from './logging.js';
import { activeChildren, builtinProcessClass, currentProcess, Process } from './process/process.js';
import { parentProcess } from './process/parent-process.js';
import { setExecutable } from './process/exec-options.js';
import { Lock } from './synchronize/lock.js';
import { JoinableQueue, Queue, SimpleQueue } from './queues/queue.js';
import { poolClassFor, type Pool } from './pool/pool.js';
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
  backendFor,
  defaultStartMethod,
  forkServer,
  setDefaultStartMethod,
  START_METHODS,
  validateStartMethod,
} from './process/start-method.js';

export class SpawnProcess extends Process {
  static override readonly startMethod: StartMethod = 'spawn';
}
export class ForkServerProcess extends Process {
  static override readonly startMethod: StartMethod = 'forkserver';
}
export class ThreadProcess extends Process {
  static override readonly startMethod: StartMethod = 'thread';
}
builtinProcessClass(SpawnProcess);
builtinProcessClass(ForkServerProcess);
builtinProcessClass(ThreadProcess);

const PROCESS_CLASSES: Record<StartMethod, typeof Process> = {
  spawn: SpawnProcess,
  forkserver: ForkServerProcess,
  thread: ThreadProcess,
};

/** Number of CPUs of the machine (CPython's `cpu_count()`). */
export function cpuCount(): number {
  return cpus().length || availableParallelism();
}

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

/** Modules the forkserver's spare processes import in advance (CPython's `set_forkserver_preload`). */
export function setForkserverPreload(moduleSpecifiers: readonly string[]): void {
  if (!Array.isArray(moduleSpecifiers) || moduleSpecifiers.some((m) => typeof m !== 'string')) {
    throw new TypeError('module_names must be a list of strings');
  }
  forkServer().setPreload(moduleSpecifiers.map(resolvePreload).filter((url): url is string => url !== null));
}

/** Start methods this platform offers; the first is the default. */
export function getAllStartMethods(): StartMethod[] {
  return [...START_METHODS];
}

export abstract class BaseContext {
  abstract readonly Process: typeof Process;
  abstract getStartMethod(options?: { allowNone?: boolean }): StartMethod | null;
  abstract setStartMethod(method: StartMethod | null, options?: { force?: boolean }): void;

  readonly ProcessError = errors.ProcessError;
  readonly TimeoutError = errors.TimeoutError;
  readonly AuthenticationError = errors.AuthenticationError;
  readonly BufferTooShortError = errors.BufferTooShortError;

  readonly Lock = Lock;
  readonly RLock = RLock;
  readonly Semaphore = Semaphore;
  readonly BoundedSemaphore = BoundedSemaphore;
  readonly Condition = Condition;
  readonly Event = Event;
  readonly Barrier = Barrier;

  readonly Queue = Queue;
  readonly SimpleQueue = SimpleQueue;
  readonly JoinableQueue = JoinableQueue;

  readonly Pipe = Pipe;

  /** Pools whose workers this context starts. */
  get Pool(): typeof Pool {
    return poolClassFor(this);
  }

  readonly Connection = Connection;
  readonly wait = wait;

  readonly Value = Value;
  readonly Array = SharedArray;
  readonly RawValue = RawValue;
  readonly RawArray = RawArray;

  getContext(method?: StartMethod | null): ConcreteContext {
    return getContext(method);
  }

  getAllStartMethods(): StartMethod[] {
    return getAllStartMethods();
  }

  cpuCount(): number {
    return cpuCount();
  }

  currentProcess(): Process {
    return currentProcess();
  }

  parentProcess(): ReturnType<typeof parentProcess> {
    return parentProcess();
  }

  activeChildren(): Process[] {
    return activeChildren();
  }

  getLogger(): ReturnType<typeof getLogger> {
    return getLogger();
  }

  logToStderr(level?: Parameters<typeof logToStderr>[0]): ReturnType<typeof logToStderr> {
    return logToStderr(level);
  }

  setExecutable(path: string | URL): void {
    setExecutable(path);
  }

  setForkserverPreload(moduleSpecifiers: readonly string[]): void {
    setForkserverPreload(moduleSpecifiers);
  }

  /** A no-op kept for CPython parity (it matters only for frozen Windows executables). */
  freezeSupport(): void {}
}

export class ConcreteContext extends BaseContext {
  readonly Process: typeof Process;
  readonly #method: StartMethod;

  constructor(method: StartMethod) {
    super();
    this.#method = method;
    this.Process = PROCESS_CLASSES[method];
  }

  getStartMethod(): StartMethod {
    return this.#method;
  }

  /** Without a method, a concrete context is its own context, as in CPython. */
  override getContext(method?: StartMethod | null): ConcreteContext {
    return method === undefined || method === null ? this : getContext(method);
  }

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
    if (method !== null) backendFor(method).ensureRunning?.();
  }
}

const concrete = new Map<StartMethod, ConcreteContext>();
export const defaultContext = new DefaultContext();

/** The context for `method`, or the default one's (which fixes the default start method). */
export function getContext(method?: StartMethod | null): ConcreteContext {
  const chosen = method === undefined || method === null ? defaultStartMethod() : validateStartMethod(method);
  let context = concrete.get(chosen);
  if (!context) concrete.set(chosen, (context = new ConcreteContext(chosen)));
  backendFor(chosen).ensureRunning?.();
  return context;
}

export function getStartMethod(options: { allowNone?: boolean } = {}): StartMethod | null {
  return defaultContext.getStartMethod(options);
}

/** Sets the default start method; a second call needs `{ force: true }`. */
export function setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
  defaultContext.setStartMethod(method, options);
}
