/**
 * CPU affinity and nice values: CPython's `os.sched_setaffinity`, `os.sched_getaffinity` and
 * `os.setpriority`. Node has no affinity call, and its `os.setPriority(pid)` changes one thread:
 * Linux keeps both settings per thread, and a Node process runs several (V8's, libuv's). So a
 * process here means every thread it has (each one in /proc/<pid>/task), and a `thread` child
 * means its own thread only. The addon does the system calls; this module checks what it is given
 * and turns the kernel's refusals into the errors the API promises.
 */
import { ProcessError } from '../errors.js';
import { nativeStatus, native, hasErrno, systemError, type NativeAddon } from '../internal/native.js';
import { childMark } from './state.js';

/** What a setting applies to: every thread of process `id`, or the one thread `id`. */
export interface SchedTarget {
  id: number;
  wholeProcess: boolean;
  /** How errors name it: `'process 1234'`, `'thread 5678 of Process-2'`. */
  label: string;
}

/** The settings a Process starts with (checked and normalised by the functions below). */
export interface SchedSettings {
  affinity: number[] | null;
  priority: number | null;
}

/** Nice values Linux accepts; lower runs first. */
const NICE_MIN = -20;
const NICE_MAX = 19;

/** The addon, or one clear error: these calls have no fallback without it. */
function addon(): NativeAddon {
  const status = nativeStatus();
  if (!status.available) {
    throw new ProcessError(
      `CPU affinity and priority need the native addon, which is not available: ${status.reason}`,
      { cause: status.cause },
    );
  }
  return native();
}

/** Throws the clear error where the addon is missing (a Process given affinity or priority on such a platform). */
export function checkSchedulingAvailable(): void {
  addon();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : typeof value;
}

function listCpus(cpus: readonly number[]): string {
  return `${cpus.length === 1 ? 'CPU' : 'CPUs'} ${cpus.join(', ')}`;
}

/**
 * `cpus` as a sorted list without duplicates. TypeError for what is not an iterable of numbers,
 * RangeError for a number that is not a CPU number, an empty set, or a CPU this machine lacks.
 */
export function validateCpus(cpus: unknown, what = 'cpus'): number[] {
  if (typeof cpus !== 'object' || cpus === null || typeof (cpus as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} must be an array (or Set) of CPU numbers, not ${describe(cpus)}`);
  }
  const found = new Set<number>();
  for (const cpu of cpus as Iterable<unknown>) {
    if (typeof cpu !== 'number') throw new TypeError(`${what} must hold CPU numbers, not ${describe(cpu)}`);
    if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`${what}: ${cpu} is not a CPU number (an integer from 0)`);
    found.add(cpu);
  }
  if (found.size === 0) throw new RangeError(`${what} is empty: a process needs at least one CPU to run on`);
  const sorted = [...found].sort((a, b) => a - b);
  // Checked here, where the addon can tell, rather than left to the kernel, which ignores CPUs
  // beyond its last without a word.
  if (nativeStatus().available) {
    const count = native().configuredCpus();
    const missing = sorted.filter((cpu) => cpu >= count);
    if (missing.length > 0) {
      throw new RangeError(`${what}: ${listCpus(missing)} ${missing.length === 1 ? 'does' : 'do'} not exist (this machine has CPUs 0-${count - 1})`);
    }
  }
  return sorted;
}

/** A nice value: TypeError for a non-number, RangeError outside -20..19 or for a fraction. */
export function validatePriority(priority: unknown, what = 'priority'): number {
  if (typeof priority !== 'number') throw new TypeError(`${what} must be a nice value (a number), not ${describe(priority)}`);
  if (!Number.isInteger(priority) || priority < NICE_MIN || priority > NICE_MAX) {
    throw new RangeError(`${what} must be an integer from ${NICE_MIN} (first) to ${NICE_MAX} (last), not ${priority}`);
  }
  return priority;
}

function validatePid(pid: unknown): number {
  if (typeof pid !== 'number') throw new TypeError(`pid must be a number, not ${describe(pid)}`);
  if (!Number.isInteger(pid) || pid < 0) throw new RangeError(`pid must be a process id (0: this process), not ${pid}`);
  return pid;
}

/** The process or thread this code runs in: a `thread` child's own thread, else the whole process. */
export function selfTarget(): SchedTarget {
  if (childMark()?.parent.sameProcess) {
    const tid = addon().gettid();
    return { id: tid, wholeProcess: false, label: `thread ${tid} of process ${process.pid}` };
  }
  return { id: process.pid, wholeProcess: true, label: `process ${process.pid}` };
}

/** Pins `target` to `cpus` (validated), or throws RangeError naming the CPUs the kernel refused. */
export function applyAffinity(target: SchedTarget, cpus: number[]): void {
  let granted: number[] | null;
  try {
    granted = addon().setAffinity(target.id, target.wholeProcess, cpus);
  } catch (error) {
    // EINVAL: none of the CPUs is one the target may use.
    if (hasErrno(error, 'EINVAL')) throw notAllowed(target, cpus);
    throw systemError(error, 'sched_setaffinity', `for ${target.label}`);
  }
  if (granted !== null) throw notAllowed(target, cpus.filter((cpu) => !granted!.includes(cpu)));
}

function notAllowed(target: SchedTarget, refused: number[]): RangeError {
  return new RangeError(
    `${listCpus(refused)} ${refused.length === 1 ? 'is' : 'are'} not allowed for ${target.label} ` +
      '(offline, or outside the cpuset it runs in); nothing was changed',
  );
}

/** The CPUs `target` may run on (a process's: those of its main thread). */
export function readAffinity(target: SchedTarget): number[] {
  try {
    return addon().getAffinity(target.id);
  } catch (error) {
    throw systemError(error, 'sched_getaffinity', `for ${target.label}`);
  }
}

/** Sets the nice value of `target`; the OS error (EACCES, EPERM) with its code when not allowed. */
export function applyPriority(target: SchedTarget, nice: number): void {
  try {
    addon().setPriority(target.id, target.wholeProcess, nice);
  } catch (error) {
    const failure = systemError(error, 'setpriority', `for ${target.label}`);
    if (hasErrno(error, 'EACCES') || hasErrno(error, 'EPERM')) {
      failure.message += ` (setting nice ${nice}: a value below the current one needs CAP_SYS_NICE, or an RLIMIT_NICE that allows it)`;
    }
    throw failure;
  }
}

/** The nice value of `target` (a process's: that of its main thread). */
export function readPriority(target: SchedTarget): number {
  try {
    return addon().getPriority(target.id);
  } catch (error) {
    throw systemError(error, 'getpriority', `for ${target.label}`);
  }
}

/** Applies what a Process was created with; run by the child before its target. */
export function applySettings(target: SchedTarget, settings: SchedSettings): void {
  if (settings.affinity !== null) applyAffinity(target, settings.affinity);
  if (settings.priority !== null) applyPriority(target, settings.priority);
}

/**
 * The CPUs a process may run on (CPython's `os.sched_getaffinity(pid)`), ascending.
 *
 * Linux keeps the set per thread; this returns that of the process's main thread (for `pid` 0 or
 * omitted: of the calling thread, so in a `thread` child, that thread's own). Use
 * {@link Process.getAffinity} for a child.
 *
 * Needs the native addon (Linux): elsewhere it throws a {@link ProcessError} saying why.
 * @param pid A process id; 0 or omitted: this process.
 * @returns CPU numbers, such as `[0, 1, 2, 3]`.
 * @throws TypeError or RangeError for a pid that is not a non-negative integer; an error with
 *   `code: 'ESRCH'` for a process that does not exist.
 * @category Processes
 * @example
 * ```ts
 * import { getAffinity } from 'multiprocessing-ts';
 *
 * console.log(getAffinity()); // e.g. [0, 1, 2, 3]
 * ```
 */
export function getAffinity(pid: number = 0): number[] {
  const id = validatePid(pid);
  if (id === 0) return readAffinity({ id: 0, wholeProcess: false, label: `process ${process.pid}` });
  return readAffinity({ id, wholeProcess: true, label: `process ${id}` });
}

/**
 * Restricts every thread of a process to `cpus` (CPython's `os.sched_setaffinity(pid, cpus)`,
 * which changes only the thread `pid` names; a Node process runs several). Threads the process
 * starts later inherit the set.
 *
 * Either every thread gets exactly `cpus`, or nothing changes and it throws. Needs the native
 * addon (Linux): elsewhere it throws a {@link ProcessError} saying why.
 * @param pid A process id; 0: this process (all its threads, `thread` children included).
 * @param cpus CPU numbers, as an array or a Set: `[0, 2]`.
 * @throws TypeError for a pid or cpus of the wrong type; RangeError for an empty set, a CPU this
 *   machine does not have, or one the process may not use (offline, outside its cpuset); an
 *   error with `code: 'ESRCH'` for a process that does not exist, `'EPERM'` for another user's.
 * @category Processes
 * @example
 * ```ts
 * import { Process, isMain, setAffinity } from 'multiprocessing-ts';
 *
 * export function work(): void {}
 *
 * if (isMain(import.meta)) {
 *   const p = new Process({ target: work });
 *   p.start();
 *   setAffinity(p.pid!, [0]); // as os.sched_setaffinity(p.pid, {0})
 *   await p.join();
 * }
 * ```
 */
export function setAffinity(pid: number, cpus: Iterable<number>): void {
  const id = validatePid(pid);
  const list = validateCpus(cpus);
  const target = id === 0 || id === process.pid ? { id: process.pid, wholeProcess: true, label: `process ${process.pid}` } : { id, wholeProcess: true, label: `process ${id}` };
  applyAffinity(target, list);
}
