/**
 * The one interface every start method implements (CPython's Popen): launch a child for a
 * Process, and watch, signal and release it. Everything else about Process is shared.
 */
import type { Transferable } from 'node:worker_threads';
import type { Encoded } from '../serialize/codec.js';
import type { LogSettings } from '../logging.js';
import type { Spare, SparePool } from './spare-pool.js';

/**
 * How a {@link Process} starts (CPython's start methods; `'fork'` is not one: V8 cannot fork):
 * - `'spawn'` (the default): a fresh Node.js process per child.
 * - `'forkserver'`: a pre-started spare process, with the modules of
 *   {@link setForkserverPreload} already imported, so `start()` does not pay Node's boot time.
 * - `'thread'`: a `worker_threads` Worker of this process (CPython's `multiprocessing.dummy`,
 *   but truly parallel).
 * @category Contexts
 */
export type StartMethod = 'spawn' | 'forkserver' | 'thread';

/**
 * How a child ended: `signal` names the signal for processes killed by one.
 * @category Processes
 */
export interface ExitStatus {
  /** The exit code, or minus the signal's number when a signal ended the child (CPython's convention). */
  exitCode: number;
  /** The signal that ended the child, or null if it exited. */
  signal: NodeJS.Signals | null;
}

/** What a child needs to know about itself before it runs (CPython's preparation data). */
export interface PreparationData {
  name: string;
  identity: number[];
  daemon: boolean;
  authkey: Uint8Array;
  startMethod: StartMethod;
  parentName: string;
  parentPid: number;
  log: LogSettings;
  cwd: string;
  /** The parent's environment at start(): spares booted earlier adopt it, as a fresh child inherits it. */
  env: Record<string, string>;
  /** Where the child writes to the program's resource tracker (a process of ours and its fd). */
  resourceTracker?: { pid: number; fd: number };
  /** A thread child's copy of the named shared memory its parent thread knew (only without the addon: local-blocks.ts). */
  sharedMemory?: Array<[string, SharedArrayBuffer]>;
  /** The program's folders: modules under them are what values the child receives from peers may name (module-trust.ts). */
  moduleRoots?: string[];
}

/** The process object as the child rebuilds it: a target with args, or a subclass instance. */
export type ProcessPayload =
  | { kind: 'target'; target: Encoded['value']; args: Encoded['value'] }
  | { kind: 'subclass'; cls: Encoded['value']; state: Encoded['value'] };

export interface StartMessage {
  type: 'mp:start';
  prep: PreparationData;
  payload: ProcessPayload;
  modules: Encoded['modules'];
}

export interface Popen {
  readonly pid: number;
  /** Settles once the child has ended. */
  readonly exited: Promise<ExitStatus>;
  /** The exit status if known now, without waiting. */
  poll(): ExitStatus | null;
  /** Blocks the calling thread until the child ends or timeoutMs passes; returns poll(). */
  waitSync(timeoutMs: number): ExitStatus | null;
  terminate(): void;
  kill(): void;
  interrupt(): void;
  /** Keeps (true) or stops keeping (false) this process's event loop alive while the child runs. */
  setRef(ref: boolean): void;
  /** Releases the handles held for the child; it must have ended. */
  close(): void;
  /** What affinity and priority calls change: every thread of process `id`, or the one thread `id`. */
  schedTarget(): ChildThreads;
}

/** A child as the kernel schedules it: every thread of process `id`, or the one thread `id`. */
export interface ChildThreads {
  id: number;
  wholeProcess: boolean;
}

/**
 * Runs once the child exists and before it is sent its start message, so before anything of the
 * program runs there (the CPU affinity and priority a Process was given). If it throws, the child
 * is ended and launch() throws that error.
 */
export type BeforeStart = (child: ChildThreads) => void;

export interface Backend {
  readonly method: StartMethod;
  /** `transfer`: objects that move to a thread child with the message (MessagePorts); empty for processes. */
  launch(message: StartMessage, daemon: boolean, transfer: readonly Transferable[], beforeStart?: BeforeStart): Popen;
  /** Boots what the method keeps ready in advance (spares), if anything. */
  ensureRunning?(): void;
  /** The children booted in advance, where the method keeps any. */
  readonly spares?: SparePool<Spare>;
}
