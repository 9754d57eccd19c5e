/**
 * `thread`: a worker_threads Worker per Process, the truly parallel successor of
 * `multiprocessing.dummy`. Exit codes follow the process conventions: `terminate()` gives -15,
 * `kill()` -9, `interrupt()` -2 (a thread cannot receive signals, so all three stop it at once).
 */
import { nodeWorkerThreads } from '../internal/builtins.js';
import type { Transferable, Worker } from 'node:worker_threads';
import { constants } from 'node:os';
import { inspect } from 'node:util';
import type { Backend, BeforeStart, ChildThreads, ExitStatus, Popen, StartMessage } from './popen.js';
import { tsxLoaderUrl } from './typescript-loader.js';
import { DIST_URL } from '../internal/paths.js';
import { addonPathForChildren } from '../internal/native.js';
import { SparePool, type Spare } from './spare-pool.js';

const THREAD_ENTRY = new URL('child/thread-entry.js', DIST_URL);

/** Layout of the status word shared with the thread: [ended flag, exit code]. */
const ENDED = 0;
const CODE = 1;

/** What a spare thread boots with. */
export interface ThreadBootData {
  tsxLoader: string | null;
  /** The native addon the process loaded (see useAddonFoundByParent). */
  addon: string | undefined;
  /** Where the thread publishes its kernel thread id first thing (-1 where there is none): affinity and priority calls need it. */
  tid: Int32Array;
}

/** How long a call on a thread child waits for the id of a thread still booting. */
const TID_WAIT_MS = 10_000;

/** The message that turns a spare thread into a thread-process. */
export interface ThreadStart {
  type: 'mp:start';
  message: StartMessage;
  status: Int32Array;
}

class ThreadPopen implements Popen {
  readonly pid = process.pid;
  readonly exited: Promise<ExitStatus>;
  readonly threadId: number;
  #worker: Worker;
  #tid: Int32Array;
  #status: Int32Array;
  #forced: NodeJS.Signals | null = null;
  #final: ExitStatus | null = null;

  constructor(worker: Worker, status: Int32Array, name: string, tid: Int32Array) {
    this.#worker = worker;
    this.#tid = tid;
    this.#status = status;
    this.threadId = worker.threadId;
    this.exited = new Promise((resolve) => {
      // Errors the child runtime could not catch itself (its own loading failed) arrive here.
      worker.on('error', (error) => {
        process.stderr.write(`Process ${name}:\n${error instanceof Error ? error.stack : inspect(error)}\n`);
      });
      worker.once('exit', (code) => {
        this.#final = this.#forced ? forcedStatus(this.#forced) : { exitCode: code, signal: null };
        this.#markEnded(this.#final.exitCode);
        resolve(this.#final);
      });
    });
  }

  #markEnded(code: number): void {
    Atomics.store(this.#status, CODE, code);
    Atomics.store(this.#status, ENDED, 1);
    Atomics.notify(this.#status, ENDED);
  }

  poll(): ExitStatus | null {
    if (this.#final) return this.#final;
    if (this.#forced) return forcedStatus(this.#forced);
    if (Atomics.load(this.#status, ENDED) === 1) return { exitCode: Atomics.load(this.#status, CODE), signal: null };
    return null;
  }

  waitSync(timeoutMs: number): ExitStatus | null {
    if (this.poll() === null) Atomics.wait(this.#status, ENDED, 0, timeoutMs < 0 ? Infinity : timeoutMs);
    return this.poll();
  }

  #stop(signal: NodeJS.Signals): void {
    if (this.poll() !== null) return;
    this.#forced = signal;
    this.#markEnded(forcedStatus(signal).exitCode);
    void this.#worker.terminate();
  }

  terminate(): void {
    this.#stop('SIGTERM');
  }

  kill(): void {
    this.#stop('SIGKILL');
  }

  interrupt(): void {
    this.#stop('SIGINT');
  }

  setRef(ref: boolean): void {
    if (ref) this.#worker.ref();
    else this.#worker.unref();
  }

  close(): void {
    this.#worker.removeAllListeners();
  }

  schedTarget(): ChildThreads {
    return threadOf(this.#tid);
  }
}

/** The thread whose id a spare publishes in `slot`. */
function threadOf(slot: Int32Array): ChildThreads {
  // The thread writes its id as its entry module starts: only a spare taken while still booting
  // makes this wait, for milliseconds.
  if (Atomics.load(slot, 0) === 0) Atomics.wait(slot, 0, 0, TID_WAIT_MS);
  const tid = Atomics.load(slot, 0);
  if (tid <= 0) throw new Error(`the thread's kernel id is not known (${tid === 0 ? 'it did not boot' : 'no /proc/thread-self'})`);
  return { id: tid, wholeProcess: false };
}

function forcedStatus(signal: NodeJS.Signals): ExitStatus {
  return { exitCode: -(constants.signals[signal] ?? 15), signal };
}

class SpareThread implements Spare {
  ready = false;
  readonly worker: Worker;
  readonly tid = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    const workerData: ThreadBootData = { tsxLoader: tsxLoaderUrl(), addon: addonPathForChildren(), tid: this.tid };
    this.worker = new (nodeWorkerThreads().Worker)(THREAD_ENTRY, { workerData });
    // A spare never keeps the parent alive; it is ref'd when it becomes a non-daemon child.
    this.worker.unref();
    this.worker.once('message', () => {
      this.ready = true;
    });
  }

  onReady(callback: () => void): void {
    this.worker.once('message', callback);
  }

  onExit(callback: () => void): void {
    this.worker.once('exit', callback);
  }

  discard(): void {
    void this.worker.terminate();
  }
}

export class ThreadBackend implements Backend {
  readonly method = 'thread' as const;
  readonly #pool = new SparePool(() => new SpareThread());

  /** Boots the spare threads now, so that even the first `start()` finds one ready. */
  ensureRunning(): void {
    this.#pool.fill();
  }

  get spares(): SparePool<Spare> {
    return this.#pool;
  }

  launch(message: StartMessage, daemon: boolean, transfer: readonly Transferable[], beforeStart?: BeforeStart): Popen {
    // The spare's own listener stays until it booted: the pool counts the boots in flight.
    const { worker, tid } = this.#pool.take();
    if (beforeStart) {
      try {
        beforeStart(threadOf(tid));
      } catch (error) {
        void worker.terminate();
        throw error;
      }
    }
    const status = new Int32Array(new SharedArrayBuffer(8));
    const popen = new ThreadPopen(worker, status, message.prep.name, tid);
    const start: ThreadStart = { type: 'mp:start', message, status };
    worker.postMessage(start, [...transfer]);
    popen.setRef(!daemon);
    return popen;
  }
}
