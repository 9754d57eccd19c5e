/**
 * The native addon. It supplies what Node cannot: memfd and named shared memory mapped as
 * SharedArrayBuffers, futexes, socket pairs and fd passing, the parent-death signal, per-thread
 * CPU affinity and nice values.
 *
 * The package ships it prebuilt for Linux x64 and arm64 (glibc) for each Node ABI, under
 * `native/prebuilds/`; `npx multiprocessing-ts build-native` compiles it into `native/build/`
 * for anything else, and a compiled addon is preferred over a prebuilt one (node-gyp-build's rule,
 * which is what someone editing the C++ wants).
 */
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { join, sep } from 'node:path';
import { distPath } from './paths.js';

export interface NativeAddon {
  /** Arms PR_SET_PDEATHSIG; returns the parent pid seen afterwards. */
  setParentDeathSignal(signal: number): number;
  getParentPid(): number;
  /** The child's exit status if it has ended (without reaping it), else null. */
  peekExit(pid: number): { code: number; signal: number } | null;
  /** Blocks until the child ends (true) or the timeout passes (false); timeoutMs < 0 waits forever. */
  waitExitSync(pid: number, timeoutMs: number): boolean;
  /** A new pipe as [readFd, writeFd], both close-on-exec (reopenable through /proc/<pid>/fd). */
  pipe(): [number, number];
  /** This process's write end to the resource tracker (one slot shared by all threads), or -1. */
  getTrackerFd(): number;
  /** Stores fd if the slot holds `expected`; returns what the slot held. */
  swapTrackerFd(expected: number, fd: number): number;

  /** An anonymous shared segment: gone once no fd or mapping refers to it. */
  memfdCreate(name: string, size: number): number;
  /** A new fd on what /proc/<pid>/fd/<fd> refers to. */
  openProcessFd(pid: number, fd: number): number;
  shmOpen(name: string, create: boolean, exclusive: boolean): number;
  shmUnlink(name: string): void;
  truncate(fd: number, size: number): void;
  /** Allocates the file's pages now (posix_fallocate): ENOSPC here rather than SIGBUS on a later write. */
  reserve(fd: number, size: number): void;
  fdSize(fd: number): number;
  closeFd(fd: number): void;
  /** A SharedArrayBuffer over a MAP_SHARED mapping of fd, unmapped when collected. */
  mapShared(fd: number, size: number): SharedArrayBuffer;

  /** 0 woken, 1 the word differed, 2 timed out; timeoutMs < 0 waits forever. */
  futexWaitSync(view: Int32Array, index: number, expected: number, timeoutMs: number): 0 | 1 | 2;
  futexWake(view: Int32Array, index: number, count: number): number;
  /** Calls back on this thread with 0, 1 or 2 as futexWaitSync returns; never after futexCancel. */
  futexWaitAsync(view: Int32Array, index: number, expected: number, timeoutMs: number, callback: (result: 0 | 1 | 2) => void): number;
  futexCancel(id: number): void;

  /** A connected AF_UNIX stream socket pair as [fd, fd], both close-on-exec. */
  socketpair(): [number, number];
  /** Whether fd has data, EOF or an error to report, waiting up to timeoutMs (< 0: forever). */
  pollReadable(fd: number, timeoutMs: number): boolean;
  /**
   * One read into buf[offset, offset + length): the count; 0 at end of file (or a reset
   * connection); -1 when nothing came within timeoutMs (0: do not wait; < 0: wait as long as it takes).
   */
  readFd(fd: number, buf: ArrayBufferView, offset: number, length: number, timeoutMs: number): number;
  /**
   * Writes one framed message (CPython's length header, then buf[offset, offset + length)) with
   * one writev: the bytes written, header included (maybe short); -1 when the kernel takes
   * nothing now; -2 when the peer is gone.
   */
  writeFrame(fd: number, buf: ArrayBufferView, offset: number, length: number): number;
  /** A close-on-exec duplicate of fd. */
  dupFd(fd: number): number;
  /** Keeps a duplicate of fd for another process of this user to take: [abstract socket address, id]. */
  shareFd(fd: number): [string, number];
  /** Takes an fd shared with shareFd (blocks up to 5 s); throws ENOENT if it is gone. */
  takeSharedFd(address: string, id: number): number;

  /** A TCP socket bound (SO_REUSEADDR) and listening, close-on-exec; host '' = any address. */
  listenInet(host: string, port: number, backlog: number, ipv6: boolean): { fd: number; host: string; port: number };
  /** A Unix stream socket bound to path (a leading NUL byte = Linux abstract address) and listening. */
  listenUnix(path: Uint8Array, backlog: number): number;
  /** A Unix stream socket connected to path (abstract addresses included). */
  connectUnix(path: Uint8Array): number;

  /** The calling thread's kernel id (what /proc/<pid>/task lists). */
  gettid(): number;
  /** How many CPUs the machine has, online or not: CPU numbers run from 0 to this minus one. */
  configuredCpus(): number;
  /** The CPUs thread `tid` may run on (0: the calling thread), ascending. */
  getAffinity(tid: number): number[];
  /**
   * Pins every thread of process `pid` (wholeProcess), or the one thread `pid`, to `cpus`: null
   * once done. When the kernel grants less (a CPU offline or outside the cpuset), every thread
   * is put back as it was and the CPUs it granted are returned.
   */
  setAffinity(pid: number, wholeProcess: boolean, cpus: number[]): number[] | null;
  /** Thread `tid`'s nice value (0: the calling thread). */
  getPriority(tid: number): number;
  /** Sets the nice value of every thread of process `pid` (wholeProcess), or of the one thread `pid`. */
  setPriority(pid: number, wholeProcess: boolean, nice: number): void;
}

/** Errors from the addon carry the errno and the failing system call. */
export interface NativeError extends Error {
  errno?: number;
  syscall?: string;
}

/** An errno's name, as Node's `os.constants.errno` has it. */
export type ErrnoName = keyof typeof osConstants.errno;

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, value]) => [value, name]));

/** The name of an errno ('EADDRINUSE'...), or `E<number>` for one Node does not name. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** Whether `error` is a failure with this errno, as the addon throws them: `hasErrno(error, 'ECHILD')`. */
export function hasErrno(error: unknown, name: ErrnoName): boolean {
  return (error as NativeError | null | undefined)?.errno === osConstants.errno[name];
}

/** A Node-style system error (code 'EADDRINUSE' etc.) from a failure of the addon; any other error as it is. */
export function systemError(error: unknown, syscall: string, where: string): Error {
  const errno = (error as NativeError).errno;
  if (typeof errno !== 'number') return error as Error;
  const code = errnoName(errno);
  const reason = (error as Error).message.replace(/^[a-z_]+: /, '');
  return Object.assign(new Error(`${syscall} ${code} ${where}: ${reason}`), { errno: -errno, code, syscall });
}

/** Whether the addon loaded, and if not, why (shown by errors and `multiprocessing-ts doctor`). */
export type NativeStatus =
  | {
      available: true;
      /** The binary that loaded. */
      path: string;
      /** Shipped in the package (`native/prebuilds/`), or compiled on this machine (`native/build/`). */
      origin: 'prebuilt' | 'compiled';
    }
  | { available: false; reason: string; cause?: unknown };

/** `MULTIPROCESSING_TS_NATIVE=0` runs without the addon, as on a platform it does not support. */
export const NATIVE_ENV = 'MULTIPROCESSING_TS_NATIVE';

/** The command that compiles the addon for this machine. */
export const BUILD_COMMAND = 'npx multiprocessing-ts build-native';

/** The package's native/ directory: binding.gyp, the sources, prebuilds/ and a local build/. */
export const NATIVE_DIR = distPath('../native');

interface NodeGypBuild {
  /** The path of the binary that fits this process, or throws when none does. */
  resolve(dir: string): string;
}

const require = createRequire(import.meta.url);
let status: NativeStatus | undefined;
let addon: NativeAddon | undefined;
let foundByParent: string | undefined;

/**
 * A child is told which binary its parent loaded: loading that one directly skips searching the
 * package for it (several milliseconds of every child's start). A binary that does not load
 * here (a child of another Node, see `setExecutable()`) is searched for as usual.
 */
export function useAddonFoundByParent(path: string | undefined): void {
  if (status === undefined && path) foundByParent = path;
}

/** The binary this process loaded, for its children; undefined without one. */
export function addonPathForChildren(): string | undefined {
  return status?.available ? status.path : undefined;
}

/** 'glibc <version>', or 'musl (or another libc than glibc)' when Node's report names no glibc. */
export function libcName(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : 'musl (or another libc than glibc)';
}

/** Where this process stands, as the prebuilt binaries are told apart. */
export function runtimeTarget(): string {
  return `${process.platform}-${process.arch}, Node ${process.versions.node} (ABI ${process.versions.modules}), ${libcName()}`;
}

function load(): NativeStatus {
  if (process.env[NATIVE_ENV] === '0') {
    return { available: false, reason: `the native addon is turned off (${NATIVE_ENV}=0)` };
  }
  if (process.platform !== 'linux') {
    return { available: false, reason: `the native addon supports Linux only, and this is ${process.platform}-${process.arch}` };
  }
  if (foundByParent !== undefined) {
    try {
      addon = require(foundByParent) as NativeAddon;
      return { available: true, path: foundByParent, origin: foundByParent.includes(`${sep}prebuilds${sep}`) ? 'prebuilt' : 'compiled' };
    } catch {
      // Not loadable here: search as the parent did.
    }
  }
  let path: string;
  try {
    path = (require('node-gyp-build') as NodeGypBuild).resolve(NATIVE_DIR);
  } catch (error) {
    return {
      available: false,
      reason:
        `the package has no prebuilt native addon for ${runtimeTarget()}, and none was compiled here. ` +
        `Run \`${BUILD_COMMAND}\` (needs python3, make and a C++ compiler).`,
      cause: error,
    };
  }
  const origin = path.includes(`${sep}prebuilds${sep}`) ? 'prebuilt' : 'compiled';
  try {
    addon = require(path) as NativeAddon;
    return { available: true, path, origin };
  } catch (error) {
    // A local build made for another Node (an upgrade since) also lands here: compiling again fixes
    // it, and so does removing it where a prebuilt binary fits.
    const alternative = origin === 'compiled' ? `, or delete ${join(NATIVE_DIR, 'build')} to use the prebuilt one` : '';
    return {
      available: false,
      reason:
        `the ${origin} native addon ${path} does not load on ${runtimeTarget()}: ` +
        `${(error as Error).message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}. ` +
        `Run \`${BUILD_COMMAND}\` to compile one for this machine (needs python3, make and a C++ compiler)${alternative}.`,
      cause: error,
    };
  }
}

/** Whether the addon loaded (loading it on first call). */
export function nativeStatus(): NativeStatus {
  return (status ??= load());
}

/** True when the addon is here: processes, named shared memory and sockets work. */
export function hasNative(): boolean {
  return nativeStatus().available;
}

/** The addon; throws with the reason it is missing. Check `hasNative()` first where a fallback exists. */
export function native(): NativeAddon {
  if (addon === undefined) {
    const current = nativeStatus();
    if (!current.available) throw new Error(`multiprocessing-ts: ${current.reason}`, { cause: current.cause });
  }
  return addon!;
}
