/**
 * The default start method latch (CPython's DefaultContext) and the backend registry.
 * Backends are created on first use, so a program that only uses threads never forks.
 *
 * Processes need the native addon (parent-death signal, shared memory other processes can map);
 * where it is not available only 'thread' is offered and is the default, as CPython lists and
 * defaults to what each platform supports. The other contexts still exist: starting a process
 * with them throws one ProcessError that says why and what to use instead.
 */
import { ProcessError } from '../errors.js';
import { hasNative, nativeStatus } from '../internal/native.js';
import type { Backend, StartMethod } from './popen.js';
import { SpawnBackend } from './popen-spawn.js';
import { ForkServerBackend } from './popen-forkserver.js';
import { ThreadBackend } from './popen-thread.js';

export const START_METHODS: readonly StartMethod[] = ['spawn', 'forkserver', 'thread'];

let chosen: StartMethod | null = null;

export function validateStartMethod(method: unknown): StartMethod {
  if (method === 'fork') {
    throw new RangeError(
      "cannot find context for 'fork': V8 cannot be forked (a forked Node.js process inherits a " +
        "half-copied heap and no threads). Use 'forkserver' for fast starts from pre-booted processes, " +
        "'spawn' for a fresh process, or 'thread' for worker threads.",
    );
  }
  if (typeof method !== 'string') throw new TypeError(`start method must be a string, not ${typeof method}`);
  if (!(START_METHODS as readonly string[]).includes(method)) {
    throw new RangeError(`cannot find context for '${method}' (available: ${START_METHODS.join(', ')})`);
  }
  return method as StartMethod;
}

export function setDefaultStartMethod(method: StartMethod | null, force: boolean): void {
  if (chosen !== null && !force) throw new ProcessError('context has already been set');
  chosen = method === null ? null : validateStartMethod(method);
}

/** The default start method; reading it fixes it, as in CPython, unless `allowNone`. */
export function defaultStartMethod(allowNone: true): StartMethod | null;
export function defaultStartMethod(allowNone?: false): StartMethod;
export function defaultStartMethod(allowNone = false): StartMethod | null {
  if (chosen === null && !allowNone) chosen = hasNative() ? 'spawn' : 'thread';
  return chosen;
}

/** The start methods that can start children here; the first is the default. */
export function availableStartMethods(): StartMethod[] {
  return hasNative() ? [...START_METHODS] : ['thread'];
}

/** Throws ProcessError when `method` cannot start children here (processes without the addon). */
export function checkCanStart(method: StartMethod): void {
  if (method === 'thread') return;
  const status = nativeStatus();
  if (status.available) return;
  throw new ProcessError(
    `Cannot start a process with the '${method}' start method: ${status.reason}. ` +
      "Processes need the native addon; threads do not: use the 'thread' context " +
      "(getContext('thread').Process, ThreadPool instead of Pool, or setStartMethod('thread')).",
    { cause: status.cause },
  );
}

/** Boots what `method` keeps ready in advance (spares), where it can start children at all. */
export function warmUp(method: StartMethod): void {
  if (method === 'thread' || hasNative()) backendFor(method).ensureRunning?.();
}

const backends = new Map<StartMethod, Backend>();

export function backendFor(method: StartMethod): Backend {
  let backend = backends.get(method);
  if (!backend) {
    backend = method === 'spawn' ? new SpawnBackend() : method === 'forkserver' ? new ForkServerBackend() : new ThreadBackend();
    backends.set(method, backend);
  }
  return backend;
}

export function forkServer(): ForkServerBackend {
  return backendFor('forkserver') as ForkServerBackend;
}
