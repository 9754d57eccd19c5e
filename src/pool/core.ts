/**
 * The engine of a pool: its workers, the queue of chunks, and the dispatcher. It holds no
 * reference to the `Pool` object users see, so an abandoned pool can be collected (and warned
 * about) while its workers still run.
 *
 * Dispatch is fair: a chunk goes to the least-loaded worker that has room. How much a worker may
 * hold adapts to how long items take (measured by the workers): enough short items to keep it
 * busy across a round trip, but never a second long chunk queued behind a first one while
 * another worker could take it.
 *
 * A worker that dies is blamed for exactly the chunk it was running (published in shared
 * memory); chunks it had finished whose results it had not sent yet fail too (they ran: running
 * them again would repeat their side effects); the chunks queued behind it go back to the front of
 * the queue, and a new worker takes its place.
 */
import { PicklingError, ProcessError, WorkerLostError } from '../errors.js';
import { getLogger } from '../logging.js';
import { Fifo } from '../internal/fifo.js';
import { SPIN_LIMIT_US } from '../internal/spin.js';
import { withTimeout } from '../internal/timers.js';
import { childExit, forgetChild, holdChild, TERMINATE_GRACE_MS, type Process } from '../process/process.js';
import type { ExitStatus, StartMethod } from '../process/popen.js';
import { RawArray } from '../shared/sharedctypes.js';
import { decode, encode, type Destination, type Encoded } from '../serialize/codec.js';
import { remoteError } from '../serialize/remote-error.js';
import { encodeForLink, linkPair, prepare, type Link, type Prepared } from './link.js';
import { DONE_HEADER, FINISHED, Kind, MAX_CHUNK_ID, Mode, RUNNING, STATUS_WORDS, RESULT_FIELDS, type FromWorker, type WireResult } from './protocol.js';
import { isPlainList, packNumbers } from './plain.js';
import { poolWorker } from './worker.js';

/** Work queued on one worker should last about this long (ms), so it never starves between round trips. */
const QUEUED_WORK_MS = 2;
/** Results measured to come within this are awaited spinning (see Link.send's replyDue). */
const REPLY_DUE_MS = SPIN_LIMIT_US / 2000;
const MAX_ITEMS_IN_FLIGHT = 4096;
/**
 * Workers that end by themselves before they are ready, in a row, before the pool gives up instead
 * of respawning forever (a module that throws on import, an initializer that exits). Workers killed
 * from outside while starting are replaced without counting.
 */
const MAX_START_FAILURES = 3;

export interface Job {
  /** False once the job failed, was cancelled or finished: its queued chunks are dropped. */
  readonly live: boolean;
  /** A chunk finished (ok with its results, or failed); `chunk` null: the whole job failed (pool terminated or broken). */
  chunkDone(chunk: Chunk | null, ok: boolean, value: unknown): void;
}

export interface Chunk {
  id: number;
  job: Job;
  /** Position of the chunk within its job. */
  index: number;
  fnId: number;
  mode: Mode;
  /** Number of items. */
  size: number;
  items: Prepared;
  /** The items are plain data (plain.ts): sent as they are, not encoded. */
  plain: boolean;
  /** The work it holds by its function's measured item time, when sent (ms); NaN: not measured yet. */
  costMs: number;
}

type ProcessClass = new (options: { target: typeof poolWorker; args: unknown[]; daemon: boolean; name: string; affinity: number[] | null }) => Process;

export interface CoreOptions {
  processes: number;
  ProcessClass: ProcessClass;
  method: StartMethod;
  initializer: ((...args: never[]) => unknown) | null;
  initargs: unknown[];
  maxTasksPerChild: number | null;
  /** The CPUs of each worker slot (index: slot), or null to leave workers unpinned. */
  affinity: number[][] | null;
}

export type PoolState = 'run' | 'close' | 'terminate' | 'broken';

class Slot {
  state: 'starting' | 'ready' | 'retiring' | 'dead' = 'starting';
  readonly inflight = new Map<number, Chunk>();
  /** Items held by the worker. */
  load = 0;
  /** Measured work held (ms). */
  workMs = 0;
  /** Chunks held whose function was not measured when they were sent: nothing queues behind them. */
  blind = 0;
  chunksSent = 0;
  readonly knownFunctions = new Set<number>();
  initError: unknown = undefined;
  /** Whether this worker keeps the program alive now. */
  held = false;
  /** Its replacement started when it was retired, not when it ends. */
  replaced = false;

  constructor(
    /** Which of the pool's `processes` places this worker fills: its replacement fills it next. */
    readonly index: number,
    readonly process: Process,
    readonly link: Link,
    readonly status: Int32Array,
  ) {}

  take(chunk: Chunk): void {
    this.inflight.set(chunk.id, chunk);
    this.load += chunk.size;
    if (Number.isNaN(chunk.costMs)) this.blind++;
    else this.workMs += chunk.costMs;
  }

  release(chunk: Chunk): void {
    this.inflight.delete(chunk.id);
    this.load -= chunk.size;
    if (Number.isNaN(chunk.costMs)) this.blind--;
    else this.workMs = this.inflight.size === 0 ? 0 : this.workMs - chunk.costMs;
  }

  releaseAll(): void {
    this.inflight.clear();
    this.load = 0;
    this.workMs = 0;
    this.blind = 0;
  }
}

let workerNames = 0;

export class PoolCore {
  state: PoolState = 'run';
  brokenBy: Error | null = null;
  readonly destination: Destination;
  readonly #options: CoreOptions;
  readonly #slots = new Set<Slot>();
  /** Every worker process ever started that has not been seen to end. */
  readonly #living = new Set<Promise<unknown>>();
  readonly #queue = new Fifo<Chunk>();
  #nextChunkId = 1;
  readonly #functions = new Map<Function, { id: number; encoded: Encoded }>();
  readonly #functionsById: Encoded[] = [];
  /** Average milliseconds per item of each function, from the workers' measurements. */
  readonly #itemMs = new Map<number, number>();
  #dispatchScheduled = false;
  /** Chunks queued or held by workers, not yet settled. */
  #chunks = 0;
  /** Inputs still being read (imap), each with the call that lifts its look-ahead bound once the pool is closed. */
  readonly #feeds = new Set<() => void>();
  #holding = false;
  #startFailures = 0;
  readonly #allEnded: Array<() => void> = [];

  constructor(options: CoreOptions) {
    this.#options = options;
    this.destination = { kind: options.method === 'thread' ? 'thread' : 'process' };
    // Checked here, so what cannot be sent is named as the caller passed it (not as a worker's args).
    encode([options.initializer, options.initargs], this.destination, ['initializer', 'initargs']);
    for (let i = 0; i < options.processes; i++) this.#startWorker(i);
  }

  get processes(): number {
    return this.#options.processes;
  }

  /** The pool's processes (for CPython's `_pool`-style introspection and tests). */
  workers(): Process[] {
    return [...this.#slots].filter((slot) => slot.state !== 'dead').map((slot) => slot.process);
  }

  /** Encodes a function once per pool; throws PicklingError at the call site when it cannot be sent. */
  functionId(fn: Function): number {
    let known = this.#functions.get(fn);
    if (!known) {
      known = { id: this.#functionsById.length, encoded: encode(fn, this.destination, null) };
      this.#functions.set(fn, known);
      this.#functionsById.push(known.encoded);
    }
    return known.id;
  }

  /**
   * A chunk of `items`: the items of a map from the `first`-th of its input on, or (first null)
   * the one argument list of an apply. Throws PicklingError naming an item that cannot be sent.
   */
  newChunk(job: Job, index: number, fnId: number, mode: Mode, items: unknown[], first: number | null): Chunk {
    const id = this.#nextChunkId;
    this.#nextChunkId = id >= MAX_CHUNK_ID ? 1 : id + 1;
    const plain = isPlainList(items);
    const label = first === null ? ['args'] : (i: number) => `iterable[${first + i}]`;
    const encoded = plain ? { value: (mode === Mode.Single && packNumbers(items)) || items, modules: [] } : encodeForLink(items, this.destination, label);
    return { id, job, index, fnId, mode, size: items.length, items: encoded, plain, costMs: NaN };
  }

  checkRunning(): void {
    if (this.state === 'broken') throw this.#brokenError();
    if (this.state !== 'run') throw new ProcessError('Pool not running');
  }

  #brokenError(): ProcessError {
    return new ProcessError(this.#brokenWhy ?? 'Pool is broken: a worker could not start', { cause: this.brokenBy });
  }

  /** Why the pool broke, as every later call is told. */
  #brokenWhy: string | null = null;

  submit(chunks: readonly Chunk[]): void {
    if (this.state === 'terminate' || this.state === 'broken') {
      // An input read lazily (imap) can outlive its pool: what it submits late fails at once.
      const error = this.state === 'broken' ? this.#brokenError() : new ProcessError('Pool was terminated before the task finished');
      for (const chunk of chunks) if (chunk.job.live) chunk.job.chunkDone(null, false, error);
      return;
    }
    for (const chunk of chunks) this.#queue.push(chunk);
    this.#addChunks(chunks.length);
    this.#scheduleDispatch();
  }

  /**
   * Registers an input being read (imap): a closing pool waits for it. After close(), no call
   * can come to read its results early, so `unbound` is called: the input is then read to its
   * end as CPython's imap reads it, and join() can finish.
   */
  feedStarted(unbound: () => void): void {
    this.#feeds.add(unbound);
    if (this.state !== 'run') unbound();
  }

  feedEnded(unbound: () => void): void {
    this.#feeds.delete(unbound);
    this.#maybeFinish();
  }

  /** Drops the queued chunks of jobs that are no longer live. */
  sweep(): void {
    this.#addChunks(-this.#queue.retain((chunk) => chunk.job.live));
  }

  close(): void {
    if (this.state === 'run') {
      getLogger().debug('closing pool');
      this.state = 'close';
    }
    for (const unbound of this.#feeds) unbound();
    this.#liveness();
    this.#maybeFinish();
  }

  /** Stops every worker now; queued and running chunks fail with `reason`. */
  async terminate(reason: Error): Promise<void> {
    if (this.state !== 'terminate') {
      getLogger().debug('terminating pool');
      this.state = 'terminate';
      this.#failEverything(reason);
      this.#liveness();
      for (const slot of this.#slots) {
        if (slot.state !== 'dead') {
          try {
            slot.process.terminate();
          } catch {
            // It ended already.
          }
        }
        slot.link.destroy();
      }
      // A worker that ignores SIGTERM (a handler of its own) is killed after a grace period.
      const stubborn = setTimeout(() => {
        for (const slot of this.#slots) {
          try {
            slot.process.kill();
          } catch {
            // It ended already.
          }
        }
      }, TERMINATE_GRACE_MS);
      void this.ended().then(() => clearTimeout(stubborn));
    }
    await this.ended();
  }

  /** Resolves once every worker has ended (after close or terminate). */
  ended(): Promise<void> {
    if (this.#living.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#allEnded.push(resolve));
  }

  // ------------------------------------------------------------------ workers

  #startWorker(index: number): void {
    const status = RawArray('i', STATUS_WORDS) as Int32Array;
    const { ProcessClass, method, initializer, initargs } = this.#options;
    const prefix = method === 'thread' ? 'ThreadPoolWorker' : method === 'forkserver' ? 'ForkServerPoolWorker' : 'SpawnPoolWorker';
    let slot: Slot | undefined;
    const [link, end] = linkPair(method === 'thread', {
      message: (value) => this.#onMessage(slot!, value as FromWorker),
      unreadable: (error, raw) => this.#onUnreadable(slot!, error, raw),
      closed: () => undefined,
    });
    const process = new ProcessClass({
      target: poolWorker,
      args: [end, status, initializer, initargs, method === 'thread'],
      daemon: true,
      name: `${prefix}-${++workerNames}`,
      // A replacement keeps its slot's CPUs, so a pinned pool stays spread as it was.
      affinity: this.#options.affinity?.[index] ?? null,
    });
    slot = new Slot(index, process, link, status);
    try {
      process.start();
    } catch (error) {
      link.destroy(); // A worker that could not start must not keep the program alive.
      throw error;
    } finally {
      end.release();
    }
    this.#slots.add(slot);
    getLogger().debug('added worker %s', process.name);
    if (this.#holding) this.#hold(slot, true);
    else link.unref();
    const exited = childExit(process).then((status) => this.#onExit(slot, status));
    this.#living.add(exited);
    void exited.finally(() => {
      this.#living.delete(exited);
      if (this.#living.size === 0) for (const resolve of this.#allEnded.splice(0)) resolve();
    });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    switch (message[0] as Kind) {
      case Kind.Ready:
        if (slot.state === 'starting') slot.state = 'ready';
        this.#startFailures = 0;
        if (this.state === 'close' && this.#busy() === 0) this.#retire(slot);
        else this.#scheduleDispatch();
        return;
      case Kind.InitError:
        slot.initError = message[1];
        return;
      case Kind.Done:
        this.#onResults(slot, message);
    }
  }

  /**
   * A message that cannot be read as it is: results whose modules fail to import here, or an
   * initializer's error that cannot be rebuilt. CPython's pool hangs forever on such a result
   * (gh-79492); here each result that cannot be rebuilt fails its own task (#onResults).
   */
  #onUnreadable(slot: Slot, error: unknown, raw: unknown): void {
    if (!Array.isArray(raw) || (raw[0] !== Kind.Done && raw[0] !== Kind.InitError)) {
      getLogger().warning('a pool worker sent a message that could not be read: %s', String(error));
      return;
    }
    if (raw[0] === Kind.InitError) {
      slot.initError = unreadableHere('its initializer\'s error', error);
      return;
    }
    this.#onResults(slot, raw, error);
  }

  /**
   * A Done message. Encoded result values are decoded one by one, so one that cannot be rebuilt
   * here fails its own task only (`importError`: why a module the message needs did not load).
   */
  #onResults(slot: Slot, results: unknown[], importError?: unknown): void {
    const encoded = results[1] === 1;
    let settled = 0;
    for (let i = DONE_HEADER; i < results.length; i += RESULT_FIELDS) {
      const id = results[i] as WireResult[0];
      let ok = results[i + 1] as WireResult[1];
      let value = results[i + 2];
      const ms = results[i + 3] as WireResult[3];
      let local = results[i + 4] as WireResult[4];
      const chunk = slot.inflight.get(id);
      if (!chunk) continue;
      slot.release(chunk);
      settled++;
      const perItem = ms / Math.max(1, chunk.size);
      const known = this.#itemMs.get(chunk.fnId);
      this.#itemMs.set(chunk.fnId, known === undefined ? perItem : known * 0.7 + perItem * 0.3);
      if (encoded) {
        try {
          value = decode(value, this.destination.kind);
        } catch (cause) {
          value = unreadableHere(ok ? 'the result of a task' : 'the error of a task', cause, importError);
          ok = false;
          local = true;
        }
      }
      if (chunk.job.live) chunk.job.chunkDone(chunk, ok, ok || local ? value : remoteError(value));
    }
    this.#addChunks(-settled);
    if (this.#options.maxTasksPerChild !== null && slot.chunksSent >= this.#options.maxTasksPerChild && slot.inflight.size === 0) {
      this.#retire(slot);
      // The replacement boots while this worker exits: a worker's exit takes milliseconds that
      // tasks would otherwise wait for on every replacement (maxTasksPerChild: 1 means one per task).
      if (this.state === 'run' && slot.state === 'retiring') {
        slot.replaced = true;
        this.#startWorker(slot.index);
      }
    }
    this.#dispatch();
  }

  /** Asks a worker to finish and exit (its replacement, if needed, starts when it has ended). */
  #retire(slot: Slot): void {
    if (slot.state !== 'ready') return;
    slot.state = 'retiring';
    slot.link.send({ value: [Kind.Exit], modules: [] }, true);
  }

  async #onExit(slot: Slot, status: ExitStatus): Promise<void> {
    // Results written before the end are still in the socket: read them first.
    await withTimeout(slot.link.whenClosed, 1000);
    const wasStarting = slot.state === 'starting';
    slot.state = 'dead';
    slot.link.destroy();
    this.#hold(slot, false);
    this.#slots.delete(slot);
    forgetChild(slot.process);
    if (this.state === 'terminate') return;

    const { started, requeue } = startedChunks(slot);
    const running = Atomics.load(slot.status, RUNNING);
    for (const chunk of started) {
      const how = chunk.id === running ? 'running' : 'finished';
      if (chunk.job.live) chunk.job.chunkDone(chunk, false, lostError(slot.process, status, how));
    }
    slot.releaseAll();
    this.#addChunks(-started.length);
    this.#queue.unshiftAll(requeue);

    if (wasStarting) {
      if (slot.initError !== undefined) return this.#break(remoteError(slot.initError), 'the initializer failed in a worker');
      if (killedFromOutside(status)) {
        // Someone else's doing (an OOM killer, a stray kill): nothing says the next one fails too.
        getLogger().debug('pool worker %s was killed by %s while starting; replacing it', slot.process.name, status.signal);
      } else if (++this.#startFailures >= MAX_START_FAILURES) {
        return this.#break(
          lostError(slot.process, status, 'starting'),
          `${MAX_START_FAILURES} workers in a row ended by themselves before they were ready (a module that fails to load, an initializer that exits?)`,
        );
      }
    } else if (status.exitCode !== 0 || status.signal !== null) {
      getLogger().debug('pool worker %s ended (exit code %d, signal %s); replacing it', slot.process.name, status.exitCode, status.signal);
    } else {
      getLogger().debug('cleaning up worker %s (exit code 0)', slot.process.name);
    }
    if (!slot.replaced && (this.state === 'run' || this.#busy() > 0)) this.#startWorker(slot.index);
    this.#scheduleDispatch();
    this.#maybeFinish();
  }

  #break(cause: Error, why: string): void {
    this.state = 'broken';
    this.brokenBy = cause;
    this.#liveness();
    this.#brokenWhy = `Pool is broken: ${why}: ${cause.message}`;
    const error = this.#brokenError();
    this.#failEverything(error);
    for (const slot of this.#slots) {
      try {
        slot.process.terminate();
      } catch {
        // Already ended.
      }
    }
  }

  #failEverything(error: Error): void {
    const jobs = new Set<Job>();
    for (const chunk of this.#queue) jobs.add(chunk.job);
    for (const slot of this.#slots) {
      for (const chunk of slot.inflight.values()) jobs.add(chunk.job);
      slot.releaseAll();
    }
    this.#queue.clear();
    for (const job of jobs) if (job.live) job.chunkDone(null, false, error);
    this.#addChunks(-this.#chunks);
  }

  // ------------------------------------------------------------------ dispatch

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  /**
   * Whether `slot` may take `chunk` now. A worker with nothing always may. Otherwise only measured
   * work queues, never behind a chunk of unknown length: up to QUEUED_WORK_MS of it (many short
   * items); or, while plenty of work is queued, one more chunk of the same function behind a long
   * one (so the worker never idles through a round trip). Near the end every remaining chunk goes
   * to whichever worker is free first, and a short task never waits behind another function's
   * long one while a worker could run it.
   */
  #hasRoom(slot: Slot, chunk: Chunk, queued: number, ready: number): boolean {
    if (slot.inflight.size === 0) return true;
    const ms = this.#itemMs.get(chunk.fnId);
    if (ms === undefined || slot.blind > 0) return false;
    if (slot.load + chunk.size <= MAX_ITEMS_IN_FLIGHT && slot.workMs + ms * chunk.size <= QUEUED_WORK_MS) return true;
    return slot.inflight.size === 1 && queued >= 2 * ready && slot.inflight.values().next().value?.fnId === chunk.fnId;
  }

  #dispatch(): void {
    if (this.state === 'terminate' || this.state === 'broken') return;
    let ready = 0;
    for (const slot of this.#slots) if (slot.state === 'ready') ready++;
    const maxChunks = this.#options.maxTasksPerChild;
    const batches = new Map<Slot, Chunk[]>();
    let dropped = 0;
    for (let chunk = this.#queue.peek(); chunk !== undefined; chunk = this.#queue.peek()) {
      if (!chunk.job.live) {
        this.#queue.shift();
        dropped++;
        continue;
      }
      const queued = this.#queue.length;
      let best: Slot | null = null;
      for (const slot of this.#slots) {
        if (slot.state !== 'ready') continue;
        if (maxChunks !== null && slot.chunksSent >= maxChunks) continue;
        if (!this.#hasRoom(slot, chunk, queued, ready)) continue;
        if (best === null || slot.load < best.load) best = slot;
      }
      if (best === null) break;
      this.#queue.shift();
      const ms = this.#itemMs.get(chunk.fnId);
      chunk.costMs = ms === undefined ? NaN : ms * chunk.size;
      best.take(chunk);
      best.chunksSent++;
      let batch = batches.get(best);
      if (!batch) batches.set(best, (batch = []));
      batch.push(chunk);
    }
    for (const [slot, chunks] of batches) this.#send(slot, chunks);
    if (dropped > 0) this.#addChunks(-dropped);
    this.#maybeFinish();
  }

  /**
   * Whether these chunks' results are due within the link's spin window (half of it: the rest is
   * transport), by the measured item times of their functions: then this thread spins for them.
   */
  #replyDue(chunks: Chunk[]): boolean {
    let ms = 0;
    for (const chunk of chunks) {
      const perItem = this.#itemMs.get(chunk.fnId);
      if (perItem === undefined) return false;
      ms += perItem * chunk.size;
    }
    return ms <= REPLY_DUE_MS;
  }

  #send(slot: Slot, chunks: Chunk[]): void {
    const fns: Array<[number, unknown]> = [];
    const parts: Prepared[] = [];
    const due = this.#replyDue(chunks);
    const wire: unknown[] = [Kind.Run, 0, due ? 1 : 0];
    for (const chunk of chunks) {
      if (!slot.knownFunctions.has(chunk.fnId)) {
        slot.knownFunctions.add(chunk.fnId);
        const fn = this.#functionsById[chunk.fnId]!;
        fns.push([chunk.fnId, fn.value]);
        parts.push(fn);
      }
      wire.push(chunk.id, chunk.fnId, chunk.mode, chunk.items.value, !chunk.plain);
      if (chunk.items.modules.length > 0 || chunk.items.transfer) parts.push(chunk.items);
    }
    if (fns.length > 0) wire[1] = fns;
    slot.link.send(prepare(wire, parts), true, due);
  }

  // ------------------------------------------------------------------ liveness

  #busy(): number {
    return this.#chunks + this.#feeds.size;
  }

  #addChunks(delta: number): void {
    this.#chunks += delta;
    this.#liveness();
  }

  /** While work is outstanding the workers keep the program alive; an idle pool never does. */
  #liveness(): void {
    // Chunks outstanding hold the program open; an input waiting for its reader does not (a
    // reader that went away must not keep the program alive). After close() or terminate(), the
    // workers' ends are awaited: keep the program alive for them.
    const hold = this.#chunks > 0 || this.state !== 'run';
    if (hold === this.#holding) return;
    if (hold) {
      this.#holding = true;
      for (const slot of this.#slots) this.#hold(slot, true);
      return;
    }
    // Let go a turn later: a caller awaiting one task at a time submits the next before then,
    // and the workers are not unref'd and ref'd again for every task.
    if (this.#releaseScheduled) return;
    this.#releaseScheduled = true;
    setImmediate(() => {
      this.#releaseScheduled = false;
      if (!this.#holding || this.#chunks > 0 || this.state !== 'run') return;
      this.#holding = false;
      for (const slot of this.#slots) this.#hold(slot, false);
    }).unref();
  }

  #releaseScheduled = false;

  #hold(slot: Slot, hold: boolean): void {
    if (slot.held === hold) return;
    slot.held = hold;
    if (hold) slot.link.ref();
    else slot.link.unref();
    try {
      holdChild(slot.process, hold);
    } catch {
      // Not started or already closed.
    }
  }

  /** After close(): once nothing is left to do, every worker is asked to exit. */
  #maybeFinish(): void {
    if (this.state !== 'close' || this.#busy() > 0) return;
    for (const slot of this.#slots) this.#retire(slot);
  }
}

/** Signals that end a process from outside (an OOM killer's SIGKILL, a stray kill), not by its own fault. */
const OUTSIDE_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

function killedFromOutside(status: ExitStatus): boolean {
  return status.signal !== null && OUTSIDE_SIGNALS.has(status.signal);
}

/** The error of a task whose result (or error) came back but cannot be rebuilt in this process. */
function unreadableHere(what: string, cause: unknown, importError?: unknown): PicklingError {
  const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  const imports = importError === undefined ? '' : ` (a module it needs failed to load here: ${text(importError)})`;
  return new PicklingError(`A pool worker sent back ${what}, but it cannot be rebuilt in this process: ${text(cause)}${imports}`, { cause });
}

/**
 * The chunks a dead worker held whose results never came: those it had started (run to the end,
 * or running when it died), which must not run again, and those it never started, which go to
 * another worker. It ran them in the order they were sent (the order of `inflight`), and
 * published the chunk it was running and the last one it finished.
 */
function startedChunks(slot: Slot): { started: Chunk[]; requeue: Chunk[] } {
  const running = Atomics.load(slot.status, RUNNING);
  const finished = Atomics.load(slot.status, FINISHED);
  const held = [...slot.inflight.values()];
  let boundary = -1;
  held.forEach((chunk, i) => {
    if (chunk.id === running || chunk.id === finished) boundary = i;
  });
  return { started: held.slice(0, boundary + 1), requeue: held.slice(boundary + 1) };
}

/**
 * The error of a task its worker took with it: `running` it when it died, or `finished` it with
 * its result not yet sent (results are sent in batches), so the result is lost but the task ran.
 */
function lostError(process: Process, status: ExitStatus, how: 'running' | 'finished' | 'starting'): WorkerLostError {
  const ended = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.exitCode}`;
  const when = {
    running: 'while running this task',
    finished: 'after it finished this task but before it sent the result: the task ran, its result was lost with the worker',
    starting: 'while starting, before it was ready to take tasks',
  }[how];
  return new WorkerLostError(`pool worker ${process.name} (pid ${process.pid}) ${ended} ${when}`, {
    exitCode: status.signal ? null : status.exitCode,
    signal: status.signal,
  });
}
