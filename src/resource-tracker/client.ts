/**
 * The resource tracker's client side (CPython's multiprocessing.resource_tracker).
 *
 * One tracker process per program holds the read end of a pipe whose write end every process of
 * the program holds. A process records what it creates (`track`) and what it has removed
 * (`untrack`) as one-line messages; once every writer is gone, including after SIGKILL, the
 * tracker removes whatever is still recorded and prints one warning naming it.
 *
 * - The main process starts the tracker on first need: its first `track()`, or the start of a
 *   child process (a child must have a tracker to write to even if it tracks first; CPython's
 *   spawn and forkserver start it at that point too).
 * - A child process learns its parent's pid and write-end fd (PreparationData.resourceTracker)
 *   and opens /proc/<pid>/fd/<fd> when it first needs it; a child never outlives its parent.
 * - Threads of one process share one write end: its fd is kept in a per-process slot of the
 *   native addon, which every thread sees.
 *
 * Writes are synchronous and each message is one write() of at most 512 bytes (atomic on a pipe),
 * so a registration is on record before the call returns.
 *
 * Without the native addon there is no tracker: no processes, and named shared memory lives in
 * the program's own memory (shared/local-blocks.ts), gone with it. Nothing here is then called.
 */
import { getLogger } from '../logging.js';
import { closeSync, fstatSync, openSync, constants as fsConstants, writeSync } from 'node:fs';
import { nodeChildProcess } from '../internal/builtins.js';
import { distPath } from '../internal/paths.js';
import { hasNative, native } from '../internal/native.js';

/** What the tracker knows how to remove. */
export type ResourceType = 'shared_memory';

/** Where a child finds the write end of the tracker's pipe: a process of the program and its fd. */
export interface TrackerInfo {
  pid: number;
  fd: number;
}

const TYPES: ReadonlySet<string> = new Set<ResourceType>(['shared_memory']);
/** PIPE_BUF is at least 512 everywhere: shorter writes are never interleaved with others. */
const MAX_MESSAGE = 512;
const TRACKER_MAIN = distPath('resource-tracker/tracker-main.js');

/** Set in a child from its preparation data; null in the main process. */
let inherited: TrackerInfo | null = null;
let warnedLost = false;
/** What this thread has registered and not unregistered: told again to a relaunched tracker. */
const mine = new Set<string>();

/** Child side: records where the parent's write end is (before anything is tracked). */
export function setInheritedTracker(info: TrackerInfo | null | undefined): void {
  inherited = info && Number.isInteger(info.pid) && Number.isInteger(info.fd) ? { pid: info.pid, fd: info.fd } : null;
}

/** Starts a tracker process reading a new pipe; returns the write end, kept by this process. */
function launchTracker(): number {
  const [readFd, writeFd] = native().pipe();
  try {
    // Detached: its own session, so neither the program's death nor signals to the program's
    // process group (Ctrl-C, a group kill) reach it. It holds only the read end: stdin.
    const child = nodeChildProcess().spawn(process.execPath, [TRACKER_MAIN], {
      detached: true,
      stdio: [readFd, 'ignore', 'inherit'],
      cwd: '/',
      env: process.env,
    });
    child.on('error', (error) => {
      process.stderr.write(`resource_tracker: could not start the tracker process: ${error.message}\n`);
    });
    child.unref();
    getLogger().debug('started resource tracker (pid %d)', child.pid);
  } catch (error) {
    native().closeFd(writeFd);
    throw error;
  } finally {
    native().closeFd(readFd);
  }
  return writeFd;
}

/** Opens the write end a parent process holds, making sure it is the tracker's pipe. */
function openInherited(info: TrackerInfo): number {
  const fd = openSync(`/proc/${info.pid}/fd/${info.fd}`, fsConstants.O_WRONLY);
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    throw new Error(`fd ${info.fd} of process ${info.pid} is not the tracker's pipe`);
  }
  return fd;
}

/** This process's write end, opened or launched on first use; shared by all its threads. */
function writerFd(): number {
  const current = native().getTrackerFd();
  if (current >= 0) return current;
  const own = inherited ? openInherited(inherited) : launchTracker();
  const found = native().swapTrackerFd(-1, own);
  if (found === -1) return own;
  // Another thread got there first: use its write end (a tracker launched for ours sees EOF and ends).
  closeSync(own);
  return found;
}

function message(command: 'CREATING' | 'REGISTER' | 'ABANDON' | 'UNREGISTER', name: string, type: ResourceType): Buffer {
  if (typeof name !== 'string') throw new TypeError(`resource name must be a string, not ${typeof name}`);
  if (!TYPES.has(type)) throw new TypeError(`Cannot register ${String(name)} for automatic cleanup: unknown resource type ${String(type)}`);
  if (name === '' || /[\n\0]/.test(name)) throw new TypeError(`resource name must be non-empty, without newlines or NUL: ${JSON.stringify(name)}`);
  const bytes = Buffer.from(`${command}:${name}:${type}\n`, 'utf8');
  if (bytes.length > MAX_MESSAGE) throw new RangeError(`resource name too long for the tracker (${bytes.length} > ${MAX_MESSAGE} bytes): ${name}`);
  return bytes;
}

/**
 * The tracker is a safety net: when it cannot be reached, creating shared memory still works,
 * and this thread says once that a crash may now leave segments behind.
 */
function lost(why: string): void {
  if (warnedLost) return;
  warnedLost = true;
  process.stderr.write(`resource_tracker: ${why}; shared memory created from now on may be left behind after a crash\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function send(bytes: Buffer): void {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = writerFd();
    } catch (error) {
      return lost(`cannot reach the tracker process (${describe(error)})`);
    }
    try {
      if (attempt > 0) for (const key of mine) writeSync(fd, message('REGISTER', ...splitKey(key)));
      writeSync(fd, bytes);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') return lost(`cannot write to the tracker process (${describe(error)})`);
      // The tracker is gone (someone killed it). The main process starts a new one, as CPython
      // does, and tells it again what it registered itself; what other processes and threads
      // registered is no longer tracked. A child cannot reach the new tracker.
      if (inherited || attempt > 0) return lost('the tracker process is gone');
      process.stderr.write('resource_tracker: process died unexpectedly, relaunching.  Some resources might leak.\n');
      // The old fd stays open: children may still name it, and its number must not be reused.
      native().swapTrackerFd(fd, -1);
    }
  }
}

/**
 * Says `name` is about to be created by this process: call it before creating, then `track` once
 * it exists or `abandonCreation` if it could not be made. So the tracker knows the name before
 * it exists, and a process killed right after creating it (before `track`) leaves nothing behind.
 * A name that exists already (someone else's) is not affected by a failed attempt: the tracker
 * counts announcements apart from registrations, and removes an announced name at the end only
 * while an announcement is still open (its announcer died before settling it).
 */
export function announceCreation(name: string, type: ResourceType): void {
  send(message('CREATING', name, type));
}

/** Settles an `announceCreation` whose creation failed (the name was taken, say): nothing was made. */
export function abandonCreation(name: string, type: ResourceType): void {
  send(message('ABANDON', name, type));
}

/**
 * Records `name` for removal if every process of the program ends without untracking it (and
 * settles an `announceCreation` of it).
 * `remember: false`: another process will untrack it (a queue item's block, freed by its reader),
 * so this one does not keep it to tell a relaunched tracker.
 */
export function track(name: string, type: ResourceType, remember = true): void {
  send(message('REGISTER', name, type));
  if (remember) mine.add(`${type}:${name}`);
}

/** Forgets `name` (it was removed, or another process took over): the tracker leaves it alone. */
export function untrack(name: string, type: ResourceType): void {
  const bytes = message('UNREGISTER', name, type);
  // With no tracker anywhere in the program, nothing was tracked: nothing to forget.
  mine.delete(`${type}:${name}`);
  if (native().getTrackerFd() < 0 && !inherited) return;
  send(bytes);
}

function splitKey(key: string): [string, ResourceType] {
  const colon = key.indexOf(':');
  return [key.slice(colon + 1), key.slice(0, colon) as ResourceType];
}

/**
 * What a new child needs to write to the tracker. A child process gets this process's own
 * write end (the tracker is started now if needed); a thread shares this process's slot, so it
 * only needs the inherited location in case this process has not opened it yet.
 */
export function trackerInfoForChild(kind: 'process' | 'thread'): TrackerInfo | undefined {
  if (!hasNative()) return undefined;
  if (kind === 'process') {
    try {
      return { pid: process.pid, fd: writerFd() };
    } catch (error) {
      lost(`cannot reach the tracker process (${describe(error)})`);
      return undefined;
    }
  }
  const current = native().getTrackerFd();
  if (current >= 0) return { pid: process.pid, fd: current };
  return inherited ?? undefined;
}
