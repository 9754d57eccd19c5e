/**
 * `Process`: CPython's BaseProcess. Lifecycle, naming, daemon and authkey rules live here;
 * the start method's backend (a Popen) does the OS work.
 *
 * Internal state is kept in a WeakMap rather than private fields: the child rebuilds a
 * subclass instance without running its constructor (as unpickling does), then attaches state.
 */
import { inspect } from 'node:util';
import { abortError, PicklingError, ProcessError } from '../errors.js';
import { getLogger } from '../logging.js';
import { logSettings } from '../logging.js';
import type { Transferable } from 'node:worker_threads';
import { encode, type Destination } from '../serialize/codec.js';
import { refuseInstances } from '../serialize/instances.js';
import { childMark, isBootstrapping, nextChildIdentity, selfInfo } from './state.js';
import type { BeforeStart, ExitStatus, Popen, ProcessPayload, StartMessage, StartMethod } from './popen.js';
import { backendFor, checkCanStart, defaultStartMethod } from './start-method.js';
import { Sentinel } from './sentinel.js';
import { checkOptionsObject, validateSignal, validateTimeout } from '../internal/validate.js';
import { atExit, ExitPriority } from '../internal/exit.js';
import { withTimeout } from '../internal/timers.js';
import { trackerInfoForChild } from '../resource-tracker/client.js';
import { localBlocksForThread } from '../shared/local-blocks.js';
import { programModuleRoots } from '../serialize/module-trust.js';
import {
  applyAffinity,
  applyPriority,
  applySettings,
  checkSchedulingAvailable,
  readAffinity,
  readPriority,
  selfTarget,
  validateCpus,
  validatePriority,
  type SchedSettings,
  type SchedTarget,
} from './scheduling.js';

/**
 * A function a {@link Process} runs: a top-level function exported from its module (or made
 * sendable with {@link register}), taking `args`. What it returns is ignored; a Promise is
 * awaited before the child exits.
 * @category Processes
 */
export type Target<A extends unknown[] = any[]> = (...args: A) => unknown;

/**
 * How long a child is given to end after SIGTERM, when a Process or Pool is disposed of or a Pool
 * terminated, before it is killed (SIGKILL): a child that handles SIGTERM gets time to clean up,
 * one that ignores it cannot hang its parent.
 * @internal
 */
export const TERMINATE_GRACE_MS = 1000;

/**
 * Options of {@link Process}: CPython's `Process(target, args, name, daemon)` keyword arguments.
 * @category Processes
 */
export interface ProcessOptions<A extends unknown[] = any[]> {
  /** A top-level exported function (or one made sendable with `register()`). */
  target?: Target<A> | null;
  /** The target's arguments: values that can be sent to another process (see {@link register}). */
  args?: NoInfer<A>;
  /** The process's name, for display and logging. Default: `'<Class>-<n>'`, such as `'Process-1'`. */
  name?: string;
  /** Defaults to the creating process's daemon flag. */
  daemon?: boolean;
  /**
   * The CPUs the child may run on, as `os.sched_setaffinity(pid, cpus)` sets them: every thread
   * of a process child (a `forkserver` spare's too), or the one thread of a `thread` child. Set by
   * `start()` before the child is told what to run, so before any of the program's code runs
   * there; threads it starts later inherit it. CPUs the child may not use make `start()` throw a
   * RangeError (the child is ended). Default: inherited from the parent. Needs the native addon
   * (Linux).
   */
  affinity?: Iterable<number> | null;
  /**
   * The child's nice value, -20 (runs first) to 19 (runs last), as `os.setpriority` sets it:
   * every thread of a process child, or the one thread of a `thread` child, set by `start()` as
   * `affinity` is. A value below the parent's needs privilege (CAP_SYS_NICE): without it,
   * `start()` throws the OS error (code `'EACCES'`). Default: inherited. Needs the native addon
   * (Linux).
   */
  priority?: number | null;
}

/**
 * Options of {@link Process.join}.
 * @category Processes
 */
export interface JoinOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /**
   * Stops waiting: join() rejects with AbortError (`cause`: the signal's reason). The child is
   * left running; terminate() or kill() it to stop it.
   */
  signal?: AbortSignal;
}

interface Internals {
  identity: number[];
  name: string;
  daemon: boolean;
  authkey: Buffer;
  target: Target | null;
  args: unknown[];
  state: 'initial' | 'started' | 'closed';
  popen: Popen | null;
  /** The start method this process was created for, or null to use the default context's. */
  method: StartMethod | null;
  /** True for the object describing the current process itself (currentProcess()). */
  self: boolean;
  sentinel: Sentinel | null;
  refHolds: number;
  /** Runs in the background: like a daemon, it keeps the event loop alive only while awaited (a manager's server). */
  background?: boolean;
  /** CPU affinity and nice value start() gives the child before it runs anything (null: inherited). */
  sched: SchedSettings;
}

const internals = new WeakMap<Process, Internals>();
const children = new Set<Process>();
const BUILTIN_CLASSES = new Set<Function>();

const BOOTSTRAP_MESSAGE = `
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        This probably means that the module which defines the target (or
        one it imports) starts processes at its top level. Guard the code
        that starts processes with the main-module check:

            import { isMain } from 'multiprocessing-ts';
            if (isMain(import.meta)) {
              // start processes here
            }

        (CommonJS: if (isMain(module)) { ... })

        If that module is a test file (node --test), the child imported it to
        find the target and so ran its tests again: move the target into a
        module of its own and import it in the test file.`;

function state(p: Process): Internals {
  const found = internals.get(p);
  if (!found) throw new ProcessError('Process.__init__() was not called: call super() in the subclass constructor');
  return found;
}

function checkClosed(s: Internals): void {
  if (s.state === 'closed') throw new ProcessError('process object is closed');
}

function toAuthkey(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError('authkey must be a Buffer or Uint8Array');
}

let exitHookInstalled = false;

/** At exit, daemon children are terminated, as CPython's _exit_function does. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  atExit(() => {
    for (const child of children) {
      const s = internals.get(child);
      if (s?.daemon && s.popen && s.popen.poll() === null) {
        getLogger().info('calling terminate() for daemon %s', s.name);
        s.popen.terminate();
      }
    }
  }, ExitPriority.daemons);
}

// Helpers of Process kept outside the class: the main process's and a child's own Process
// objects are made without running the constructor, so they cannot carry private (#) members.

function payloadOf(
  p: Process,
  s: Internals,
  method: StartMethod,
  transfer: Transferable[],
): { payload: ProcessPayload; modules: StartMessage['modules'] } {
  const destination: Destination = method === 'thread' ? { kind: 'thread', transfer, child: true } : { kind: 'process', child: true };
  const cls = p.constructor;
  if (BUILTIN_CLASSES.has(cls)) {
    if (s.target === null) return { payload: { kind: 'target', target: null, args: [] }, modules: [] };
    const encoded = encode([s.target, s.args], destination, [null, 'args']);
    const [target, args] = encoded.value as [unknown, unknown];
    return { payload: { kind: 'target', target, args }, modules: encoded.modules };
  }
  // A subclass travels as its class (by reference) plus its own fields, as pickle sends it.
  let encoded;
  try {
    encoded = encode([cls, { ...p }, s.target, s.args], destination, [null, 'this', null, 'args']);
  } catch (error) {
    if (error instanceof PicklingError) {
      error.message = `Cannot start ${cls.name}: ${error.message}`;
    }
    throw error;
  }
  const [clsRef, fields, target, args] = encoded.value as [unknown, unknown, unknown, unknown];
  return { payload: { kind: 'subclass', cls: clsRef, state: { fields, target, args } }, modules: encoded.modules };
}

function joinable(p: Process): Popen {
  const s = state(p);
  checkClosed(s);
  if (s.self) throw new ProcessError('can only join a child process');
  if (!s.popen) throw new ProcessError('can only join a started process');
  return s.popen;
}

/** While something awaits the child, keep the event loop alive even for a daemon child. */
function holdRef(p: Process, delta: number): void {
  const s = state(p);
  s.refHolds += delta;
  if (s.popen && (s.daemon || s.background)) s.popen.setRef(s.refHolds > 0);
}

/**
 * Applies the affinity and priority a Process was given, in the parent, to the child before it
 * is sent its start message: a later `p.setAffinity()` cannot be undone by it, and a refusal
 * throws from start() (the child is ended, and the Process can be started again).
 */
function beforeStartOf(s: Internals): BeforeStart | undefined {
  const { sched, name } = s;
  if (sched.affinity === null && sched.priority === null) return undefined;
  return ({ id, wholeProcess }) => applySettings({ id, wholeProcess, label: targetLabel(name, id, wholeProcess) }, sched);
}

function targetLabel(name: string, id: number, wholeProcess: boolean): string {
  return wholeProcess ? `${name} (pid ${id})` : `${name} (thread ${id} of process ${process.pid})`;
}

/** What a child's affinity and priority calls change: its process or thread, while it runs. */
function schedTarget(p: Process, action: string): SchedTarget {
  const s = state(p);
  checkClosed(s);
  if (s.self) return selfTarget();
  checkSchedulingAvailable();
  if (!s.popen) throw new ProcessError(`cannot ${action} ${s.name}: it has not been started`);
  const ended = s.popen.poll();
  if (ended !== null) throw new ProcessError(`cannot ${action} ${s.name}: it has ended (exit code ${ended.exitCode})`);
  const { id, wholeProcess } = s.popen.schedTarget();
  return { id, wholeProcess, label: targetLabel(s.name, id, wholeProcess) };
}

function signalChild(p: Process, kind: 'terminate' | 'kill' | 'interrupt'): void {
  const s = state(p);
  checkClosed(s);
  if (s.self) throw new ProcessError(`cannot ${kind} the current process through its Process object`);
  if (!s.popen) throw new ProcessError(`can only ${kind} a started process`);
  s.popen[kind]();
}

/**
 * A child process running a function, or the `run()` method of a subclass (CPython's
 * `multiprocessing.Process`).
 *
 * How it differs from CPython:
 * - The target is a top-level function **exported** from its module (or one given to
 *   {@link register}): the child imports that module to find it. Closures and inline lambdas are
 *   refused with a {@link PicklingError}. Guard the code that starts processes with
 *   {@link isMain}, as Python guards it with `if __name__ == '__main__':`.
 * - {@link Process.join | join()} returns a Promise; {@link Process.joinSync | joinSync()} blocks
 *   the calling thread instead. Timeouts are milliseconds.
 * - `start()` is synchronous, as CPython's, and the child runs in a new Node.js process
 *   (`'spawn'`, the default), a pre-warmed spare process (`'forkserver'`) or a worker thread
 *   (`'thread'`); see {@link getContext}. Without the native addon only `'thread'` can start (it
 *   is then the default); the others throw a {@link ProcessError} at `start()` saying why.
 * - `await using p = new Process(...)` terminates the child if it still runs, then releases it.
 *
 * A child whose parent dies exits too. Daemon children are terminated when the parent exits.
 *
 * @typeParam A The target's parameter types, checked against `args`.
 * @category Processes
 * @example
 * ```ts
 * import { Process, isMain } from 'multiprocessing-ts';
 *
 * export function greet(name: string): void {
 *   console.log(`hello, ${name}`);
 * }
 *
 * if (isMain(import.meta)) {
 *   const p = new Process({ target: greet, args: ['bob'] });
 *   p.start();
 *   await p.join();
 *   console.log(p.exitCode); // 0
 * }
 * ```
 * @example
 * A subclass runs its own `run()`; export the class so the child can find it.
 * ```ts
 * import { Process, isMain } from 'multiprocessing-ts';
 *
 * export class Counter extends Process {
 *   upTo = 3;
 *   override run(): void {
 *     for (let i = 1; i <= this.upTo; i++) console.log(i);
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const p = new Counter();
 *   p.start();
 *   await p.join();
 * }
 * ```
 */
export class Process<A extends unknown[] = any[]> {
  /** The start method of this class's context; undefined uses the default context's. */
  static readonly startMethod: StartMethod | undefined = undefined;

  /**
   * Describes a child to start; nothing runs until {@link Process.start | start()}.
   * @param options The target, its arguments, a name, the daemon flag.
   */
  constructor(options: ProcessOptions<A> = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Process options must be an object');
    const { target = null, args = [], name, daemon, affinity = null, priority = null } = options;
    if (target !== null && typeof target !== 'function') {
      throw new TypeError(`target must be a function, not ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError('args must be an array');
    if (name !== undefined && typeof name !== 'string') throw new TypeError('name must be a string');
    if (daemon !== undefined && typeof daemon !== 'boolean') throw new TypeError('daemon must be a boolean');
    const sched: SchedSettings = {
      affinity: affinity === null ? null : validateCpus(affinity, 'affinity'),
      priority: priority === null ? null : validatePriority(priority),
    };
    // Refused here, where the options are written, rather than at a start() far away.
    if (sched.affinity !== null || sched.priority !== null) checkSchedulingAvailable();
    const me = selfInfo();
    const identity = nextChildIdentity();
    internals.set(this, {
      identity,
      name: name ?? `${new.target.name}-${identity.join(':')}`,
      daemon: daemon ?? me.daemon,
      authkey: Buffer.from(me.authkey),
      target: target as Target | null,
      args: [...args],
      state: 'initial',
      popen: null,
      method: (new.target as typeof Process).startMethod ?? null,
      self: false,
      sentinel: null,
      refHolds: 0,
      sched,
    });
  }

  /** The code the child runs; override it in a subclass, or pass `target`. */
  run(): unknown {
    const s = state(this);
    if (s.target) return Reflect.apply(s.target, undefined, s.args);
    return undefined;
  }

  /** Starts the child. Synchronous, as CPython's; throws PicklingError for what cannot be sent. */
  start(): void {
    const s = state(this);
    checkClosed(s);
    if (s.state === 'started') throw new ProcessError('cannot start a process twice');
    if (s.self) throw new ProcessError('can only start a process object created by current process');
    if (selfInfo().daemon) throw new ProcessError('daemonic processes are not allowed to have children');
    if (isBootstrapping()) throw new ProcessError(BOOTSTRAP_MESSAGE);
    const method = s.method ?? defaultStartMethod();
    checkCanStart(method);
    const backend = backendFor(method);
    const transfer: Transferable[] = [];
    const { payload, modules } = payloadOf(this, s, method, transfer);
    const me = selfInfo();
    const message: StartMessage = {
      type: 'mp:start',
      prep: {
        name: s.name,
        identity: s.identity,
        daemon: s.daemon,
        authkey: new Uint8Array(s.authkey),
        startMethod: method,
        parentName: me.name,
        parentPid: process.pid,
        log: logSettings(),
        cwd: process.cwd(),
        env: { ...process.env } as Record<string, string>,
        resourceTracker: trackerInfoForChild(method === 'thread' ? 'thread' : 'process'),
        sharedMemory: method === 'thread' ? localBlocksForThread() : undefined,
        moduleRoots: programModuleRoots(),
      },
      payload,
      modules,
    };
    installExitHook();
    s.popen = backend.launch(message, s.daemon, transfer, beforeStartOf(s));
    s.state = 'started';
    // As CPython, the parent drops its references to the target and its arguments.
    s.target = null;
    s.args = [];
    children.add(this);
    const { name, popen } = s;
    getLogger().debug('started %s (pid %d, %s)', name, popen.pid, method);
    popen.exited.then(
      (status) => getLogger().debug('process %s (pid %d) ended with exitcode %d', name, popen.pid, status.exitCode),
      () => undefined,
    );
  }

  /**
   * Waits for the child to end, or for `timeout` ms; resolves undefined either way, as CPython.
   * An aborted `signal` rejects it with AbortError instead, leaving the child running.
   */
  async join(options?: JoinOptions): Promise<void> {
    const given = checkOptionsObject(options, 'Process.join()', 'timeout', '{ timeout, signal }');
    const popen = joinable(this);
    const timeout = validateTimeout(given?.timeout);
    const signal = validateSignal(given?.signal);
    if (signal?.aborted) throw abortError(signal);
    if (popen.poll() === null) {
      holdRef(this, +1);
      try {
        await withTimeout(popen.exited, timeout, { signal });
      } finally {
        holdRef(this, -1);
      }
    }
    const ended = popen.poll();
    if (ended !== null) {
      children.delete(this);
      getLogger().debug('joined %s (exitcode %d)', state(this).name, ended.exitCode);
    }
  }

  /** Blocks the calling thread until the child ends or `timeout` ms pass (no busy-waiting). */
  joinSync(options?: Omit<JoinOptions, 'signal'>): void {
    const given = checkOptionsObject(options, 'Process.joinSync()', 'timeout', '{ timeout }');
    const popen = joinable(this);
    const timeout = validateTimeout(given?.timeout);
    const ended = popen.waitSync(timeout ?? -1);
    if (ended !== null) {
      children.delete(this);
      getLogger().debug('joined %s (exitcode %d)', state(this).name, ended.exitCode);
    }
  }

  /** Whether the child has started and not yet ended (CPython's `is_alive()`). */
  isAlive(): boolean {
    const s = state(this);
    checkClosed(s);
    if (s.self) return true;
    if (!s.popen) return false;
    const alive = s.popen.poll() === null;
    if (!alive) children.delete(this);
    return alive;
  }

  /** Sends SIGTERM (exit code -15). A thread-process is stopped at once. */
  terminate(): void {
    signalChild(this, 'terminate');
  }

  /** Sends SIGKILL (exit code -9). */
  kill(): void {
    signalChild(this, 'kill');
  }

  /** Sends SIGINT (exit code -2 unless the child handles it). */
  interrupt(): void {
    signalChild(this, 'interrupt');
  }

  /**
   * Restricts the running child to `cpus` (CPython: `os.sched_setaffinity(p.pid, cpus)`): every
   * thread of a process child, or the one thread of a `thread` child. Threads it starts later
   * inherit the set. Either all get exactly `cpus`, or nothing changes and it throws.
   * @param cpus CPU numbers, as an array or a Set.
   * @throws TypeError for cpus that are not CPU numbers; RangeError for an empty set, a CPU the
   *   machine does not have or the child may not use; ProcessError before start() or after the
   *   child ended, or without the native addon.
   * @example
   * ```ts
   * import { Process, isMain } from 'multiprocessing-ts';
   *
   * export async function work(): Promise<void> {
   *   await new Promise((resolve) => setTimeout(resolve, 100));
   * }
   *
   * if (isMain(import.meta)) {
   *   const p = new Process({ target: work });
   *   p.start();
   *   p.setAffinity([0]);
   *   console.log(p.getAffinity()); // [0]
   *   await p.join();
   * }
   * ```
   */
  setAffinity(cpus: Iterable<number>): void {
    const list = validateCpus(cpus);
    applyAffinity(schedTarget(this, 'set the affinity of'), list);
  }

  /**
   * The CPUs the running child may run on (CPython: `os.sched_getaffinity(p.pid)`): those of its
   * main thread, or of its thread for a `thread` child.
   * @throws ProcessError before start() or after the child ended, or without the native addon.
   */
  getAffinity(): number[] {
    return readAffinity(schedTarget(this, 'get the affinity of'));
  }

  /**
   * Sets the running child's nice value (CPython: `os.setpriority(os.PRIO_PROCESS, p.pid, n)`):
   * every thread of a process child, or the one thread of a `thread` child.
   * @param priority -20 (runs first) to 19 (runs last).
   * @throws TypeError or RangeError for another value; the OS error with its code (`'EACCES'`,
   *   `'EPERM'`) when lowering the value needs privilege the caller lacks; ProcessError before
   *   start() or after the child ended, or without the native addon.
   */
  setPriority(priority: number): void {
    const nice = validatePriority(priority);
    applyPriority(schedTarget(this, 'set the priority of'), nice);
  }

  /**
   * The running child's nice value (CPython: `os.getpriority(os.PRIO_PROCESS, p.pid)`): that of
   * its main thread, or of its thread for a `thread` child.
   * @throws ProcessError before start() or after the child ended, or without the native addon.
   */
  getPriority(): number {
    return readPriority(schedTarget(this, 'get the priority of'));
  }

  /** Releases the child's handles. Throws while it runs; later uses of the object throw. Idempotent. */
  close(): void {
    const s = state(this);
    if (s.state === 'closed') return;
    if (s.popen) {
      if (s.popen.poll() === null) {
        throw new ProcessError('Cannot close a process while it is still running. You should first call join() or terminate().');
      }
      s.popen.close();
    }
    children.delete(this);
    s.state = 'closed';
  }

  /** The child's process id; null before start. A `'thread'` child shares its parent's pid. */
  get pid(): number | null {
    const s = state(this);
    checkClosed(s);
    if (s.self) return process.pid;
    return s.popen?.pid ?? null;
  }

  /** Alias of `pid`, as CPython's `ident`. */
  get ident(): number | null {
    return this.pid;
  }

  /** null while running or before start; 0 or the exit code; -N when killed by signal N. */
  get exitCode(): number | null {
    const s = state(this);
    checkClosed(s);
    if (s.self || !s.popen) return null;
    return s.popen.poll()?.exitCode ?? null;
  }

  /** The process's name, for display and logging; it need not be unique. */
  get name(): string {
    return state(this).name;
  }

  /** Renames this object; a started child keeps the name it started with, as in CPython. */
  set name(value: string) {
    if (typeof value !== 'string') throw new TypeError('name must be a string');
    state(this).name = value;
  }

  /**
   * Whether the child is a daemon: terminated when its parent exits instead of being waited
   * for, and not allowed to have children of its own.
   */
  get daemon(): boolean {
    return state(this).daemon;
  }

  /** Sets the daemon flag; only before `start()`. */
  set daemon(value: boolean) {
    const s = state(this);
    if (s.state !== 'initial' || s.self) throw new ProcessError('process has already started');
    if (typeof value !== 'boolean') throw new TypeError('daemon must be a boolean');
    s.daemon = value;
  }

  /**
   * The process's authentication key (CPython's `authkey`): inherited from its parent; the main
   * process's is random. Use it as the `authkey` of a {@link Listener} and {@link Client} that
   * only the program's own processes may connect to.
   */
  get authkey(): Buffer {
    return state(this).authkey;
  }

  /** Sets the key (a copy is kept) that the child will inherit. */
  set authkey(value: Uint8Array) {
    state(this).authkey = toAuthkey(value);
  }

  /** Ready once the process has ended; pass it to `wait()`. */
  get sentinel(): Sentinel {
    const s = state(this);
    checkClosed(s);
    const popen = s.popen;
    if (!popen) throw new ProcessError('process not started');
    s.sentinel ??= new Sentinel(popen.exited, () => popen.poll() !== null);
    return s.sentinel;
  }

  /**
   * Terminates the child if it still runs (SIGTERM), kills it if it is still running 1 s later
   * (a child that handles or ignores SIGTERM), waits for it, and releases it: disposal always ends.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const s = state(this);
    if (s.state === 'closed' || s.self) return;
    const popen = s.popen;
    if (popen) {
      if (popen.poll() === null) {
        popen.terminate();
        await this.join({ timeout: TERMINATE_GRACE_MS });
        if (popen.poll() === null) popen.kill();
      }
      await this.join();
    }
    this.close();
  }

  /** CPython's repr: `<Process name='Process-1' started pid=1234 parent=1200>`. */
  toString(): string {
    const s = state(this);
    const parts = [`name='${s.name}'`];
    let status: string;
    if (s.state === 'closed') status = 'closed';
    else if (s.self) status = 'started';
    else if (!s.popen) status = 'initial';
    else {
      const ended: ExitStatus | null = s.popen.poll();
      status = ended === null ? 'started' : 'stopped';
      parts.push(`pid=${s.popen.pid}`, `parent=${process.pid}`);
      if (ended) parts.push(`exitcode=${ended.signal ? `-${ended.signal}` : ended.exitCode}`);
    }
    parts.splice(1, 0, status);
    if (s.daemon) parts.push('daemon');
    return `<${this.constructor.name} ${parts.join(' ')}>`;
  }

  /** How `console.log` and `util.inspect` show the process: as `toString()`. */
  [inspect.custom](): string {
    return this.toString();
  }
}

BUILTIN_CLASSES.add(Process);
refuseInstances(
  Process,
  'it belongs to the process that made it (the child it starts or runs is known only there)',
  'pass what the child needs (its pid or name); to talk to it, use a Pipe, Queue or Event',
);

/**
 * Marks a context's Process class as built in (its instances travel as target + args).
 * @internal
 */
export function builtinProcessClass<T extends typeof Process>(cls: T): T {
  BUILTIN_CLASSES.add(cls);
  return cls;
}

/**
 * Child side: attaches the state of the process being run to a rebuilt (or fresh) object.
 * @internal
 */
export function adoptAsCurrent(p: Process, info: { target: Target | null; args: unknown[] }): void {
  const me = selfInfo();
  internals.set(p, {
    identity: [...me.identity],
    name: me.name,
    daemon: me.daemon,
    authkey: me.authkey,
    target: info.target,
    args: info.args,
    state: 'started',
    popen: null,
    method: null,
    self: true,
    sentinel: null,
    refHolds: 0,
    sched: { affinity: null, priority: null },
  });
  current = p;
}

let current: Process | null = null;

/**
 * The Process object of the running process (CPython's `current_process()`): `MainProcess` in
 * the main one, the child's own object (same name, daemon flag, authkey) in a child.
 * @category Processes
 */
export function currentProcess(): Process {
  if (!current) {
    const main = Object.create(Process.prototype) as Process;
    adoptAsCurrent(main, { target: null, args: [] });
  }
  return current!;
}

/**
 * Live children of the current process (CPython's `active_children()`); finished ones are
 * reaped (forgotten) as a side effect.
 * @category Processes
 */
export function activeChildren(): Process[] {
  const alive: Process[] = [];
  for (const child of children) {
    const s = internals.get(child);
    if (s?.popen && s.popen.poll() === null) alive.push(child);
    else children.delete(child);
  }
  return alive;
}

/**
 * Non-daemon children still running: a child's runtime waits for them before it exits (not for
 * those running in the background, which end with it).
 * @internal
 */
export function nonDaemonChildren(): Process[] {
  return activeChildren().filter((child) => {
    const s = internals.get(child);
    return !s?.daemon && !s?.background;
  });
}

/** @internal Whether this runtime is a child the package started. */
export function isChildProcessObject(): boolean {
  return childMark() !== undefined;
}

/**
 * How a started child ends (for the package's own bookkeeping, e.g. a pool watching its workers).
 * @internal
 */
export function childExit(p: Process): Promise<ExitStatus> {
  const popen = state(p).popen;
  if (!popen) throw new ProcessError('process not started');
  return popen.exited;
}

/**
 * Forgets a child that has ended, as join() does: the package's own watchers (a pool replacing
 * its workers) call it when they see the end, so ended children are not kept for the program's life.
 * @internal
 */
export function forgetChild(p: Process): void {
  const popen = internals.get(p)?.popen;
  if (popen && popen.poll() !== null) children.delete(p);
}

/**
 * Lets a started non-daemon child (which may start children of its own, unlike a daemon) run
 * without keeping the event loop alive, as a daemon: a manager's server. It ends with the program
 * (the parent-death signal; a thread ends with its process).
 * @internal
 */
export function runInBackground(p: Process): void {
  const s = state(p);
  s.background = true;
  holdRef(p, 0);
}

/**
 * Keeps (or stops keeping) the event loop alive for a daemon child while the package awaits it.
 * @internal
 */
export function holdChild(p: Process, hold: boolean): void {
  holdRef(p, hold ? +1 : -1);
}
