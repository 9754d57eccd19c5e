/**
 * `Queue`, `SimpleQueue` and `JoinableQueue`: FIFO queues shared by processes and threads, passed
 * to them as `Process` args (or inside other queues' items). The transport is a ring of bytes in
 * shared memory (channel.ts); `qsize()` is an exact count on every platform.
 *
 * Differences from CPython, by design:
 * - `put` encodes the item in the caller: a value that cannot be sent throws PicklingError at the
 *   call site and nothing is enqueued (CPython's feeder thread prints the error and drops it).
 * - There is no feeder thread. An item goes into shared memory at once when the ring has room;
 *   otherwise (a full ring, an item larger than the ring, another producer writing) it waits in
 *   this process's outbox, written in order in the background as consumers drain the ring. Like
 *   CPython's feeder, a pending outbox keeps the process alive until it is written, and
 *   `joinThread()` waits for it.
 * - `putSync`/`getSync`/`joinSync` block this thread in the kernel. Before they block, they write
 *   this process's outbox on this thread (the background writer needs the event loop, which they
 *   stop), and `putSync` of an item that does not fit (when the outbox is empty) writes it the same
 *   way. So, as with CPython's `SimpleQueue` and a full pipe, a thread that blocks while writing
 *   more than the ring holds, and is itself the only consumer, waits forever: for example
 *   `await q.put(bigItem); q.getSync()` in the only consumer. Use the async methods there.
 * - `getSync` decodes synchronously, so an item carrying functions or registered classes needs
 *   their modules loaded in this process already (an `await get()` of such an item loads them).
 *   If they are not, `getSync` throws PicklingError and keeps the item for this process's next
 *   `get()`/`getSync()`.
 * - A producer or consumer killed in the middle of writing or reading one message leaves the
 *   queue unusable, as CPython's queues are when a process dies holding their locks; one killed
 *   while it waits (for an item or a free slot) holds nothing, and the others go on. Items still
 *   in a killed producer's outbox are lost, and stay counted by `qsize()`.
 */
import v8 from 'node:v8';
import { PicklingError, ProcessError, QueueEmptyError, QueueFullError } from '../errors.js';
import { decode, encode, kReduce, modulesReady, prepareDecode, registerShareable, type Destination, type ModuleNeed } from '../serialize/codec.js';
import { abortError, waitAsync, waitSync } from '../synchronize/futex.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from '../synchronize/options.js';
import { runAsync, runSync, type Step, type Steps } from '../synchronize/steps.js';
import { SEM_VALUE_MAX } from '../synchronize/semaphore.js';
import { kWaitable } from '../process/sentinel.js';
import { Channel, type ChannelHandle } from './channel.js';

interface Wire {
  v: unknown;
  m: ModuleNeed[];
}

function encodeItem(obj: unknown): Uint8Array {
  const { value, modules } = encode(obj, { kind: 'process' });
  try {
    return v8.serialize({ v: value, m: modules } satisfies Wire);
  } catch (error) {
    throw new PicklingError(`Cannot put this value in a queue: ${(error as Error).message}`, { cause: error });
  }
}

function parseItem(bytes: Uint8Array): Wire {
  return v8.deserialize(bytes) as Wire;
}

function checkMaxsize(maxsize: unknown): number {
  if (typeof maxsize !== 'number' || !Number.isInteger(maxsize)) {
    throw new TypeError(`maxsize must be an integer, not ${typeof maxsize === 'number' ? maxsize : typeof maxsize}`);
  }
  if (maxsize > SEM_VALUE_MAX) throw new RangeError(`maxsize must be <= ${SEM_VALUE_MAX}`);
  return maxsize <= 0 ? 0 : maxsize;
}

type FutexStep = Extract<Step, { op: 'futex' }>;

/** The background writer of a process's outbox: its steps, and the wait it is suspended at. */
interface Pump {
  steps: Steps<void>;
  epoch: number;
  step: FutexStep | null;
  controller: AbortController | null;
  done: Promise<void>;
  resolve: () => void;
}

let attaching: ChannelHandle | null = null;

function rebuild<Q>(state: unknown, make: () => Q): Q {
  attaching = state as ChannelHandle;
  try {
    return make();
  } finally {
    attaching = null;
  }
}

/** What the three queue classes share: the channel, this process's closed flag, pending streams. */
abstract class QueueCore<T> {
  readonly #channel: Channel;
  readonly #joinable: boolean;
  #closed = false;
  /** Items put by this process that wait for the ring (it is full, or another producer writes). */
  readonly #outbox: Uint8Array[] = [];
  #pump: Pump | null = null;
  readonly #held: Wire[] = [];

  protected constructor(maxsize: number) {
    const handle = attaching;
    attaching = null;
    this.#channel = handle ? new Channel(0, handle) : new Channel(checkMaxsize(maxsize), undefined);
    this.#joinable = this instanceof JoinableQueue;
  }

  protected abstract get typeName(): string;

  protected get channel(): Channel {
    return this.#channel;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Queue ${this.toString()} is closed`);
  }

  protected async putAsync(obj: T, options: BlockingOptions | undefined): Promise<void> {
    const { timeout, signal } = parseBlocking(options);
    this.#checkOpen();
    const bytes = encodeItem(obj);
    if (signal?.aborted) throw abortError(signal);
    if (!(await runAsync(this.#channel.takeSlot(timeout), signal))) throw new QueueFullError();
    this.#channel.accept(this.#joinable);
    if (this.#outbox.length > 0 || !this.#channel.tryWriteNow(bytes)) this.#post(bytes);
  }

  protected putBlocking(obj: T, options: SyncBlockingOptions | undefined): void {
    const { timeout } = parseBlocking(options);
    this.#checkOpen();
    const bytes = encodeItem(obj);
    if (!runSync(this.#channel.takeSlot(0))) {
      // About to block for a slot: items of ours still in the outbox must be written first, or
      // consumers may never free one (the background writer needs the event loop).
      this.drainSync();
      if (!runSync(this.#channel.takeSlot(timeout))) throw new QueueFullError();
    }
    this.#channel.accept(this.#joinable);
    if (this.#outbox.length > 0) {
      // Items of an earlier put() are still on their way: this one goes after them.
      this.#post(bytes);
      return;
    }
    if (this.#channel.tryWriteNow(bytes)) return;
    runSync(this.#channel.finishWrite(bytes, runSync(this.#channel.beginWrite(bytes))));
  }

  /** Leaves an accepted item in this process's outbox; the pump writes the outbox in order, in the background. */
  #post(bytes: Uint8Array): void {
    this.#outbox.push(bytes);
    if (this.#pump) return;
    const pump: Pump = { steps: this.#drain(), epoch: 0, step: null, controller: null, done: null!, resolve: null! };
    pump.done = new Promise<void>((resolve) => (pump.resolve = resolve));
    this.#pump = pump;
    this.#driveAsync(pump, pump.steps.next());
  }

  /** Writes the outbox into the ring, one whole message after another. Waits only on futex steps. */
  *#drain(): Steps<void> {
    while (this.#outbox.length > 0) {
      const bytes = this.#outbox[0]!;
      const first = yield* this.#channel.beginWrite(bytes);
      yield* this.#channel.finishWrite(bytes, first);
      this.#outbox.shift();
    }
  }

  #finishPump(pump: Pump): void {
    if (this.#pump === pump) this.#pump = null;
    pump.resolve();
  }

  #driveAsync(pump: Pump, result: IteratorResult<Step, void>): void {
    if (result.done) {
      this.#finishPump(pump);
      return;
    }
    const step = result.value as FutexStep;
    const epoch = ++pump.epoch;
    const controller = new AbortController();
    pump.step = step;
    pump.controller = controller;
    waitAsync(step.view, step.index, step.expected, step.timeout, controller.signal).then(
      (outcome) => {
        if (pump.epoch !== epoch) return;
        pump.step = null;
        pump.controller = null;
        this.#driveAsync(pump, pump.steps.next(outcome));
      },
      () => {
        // Cancelled: a blocking call took the pump over.
      },
    );
  }

  /**
   * Blocking calls first finish this process's outbox on this thread (the background pump needs
   * the event loop, which a blocking call stops): waits in the kernel until it is written.
   */
  protected drainSync(): void {
    const pump = this.#pump;
    if (!pump) return;
    pump.epoch++;
    pump.controller?.abort();
    let step = pump.step;
    pump.step = null;
    pump.controller = null;
    let result: IteratorResult<Step, void> = step
      ? pump.steps.next(waitSync(step.view, step.index, step.expected, step.timeout))
      : pump.steps.next();
    while (!result.done) {
      step = result.value as FutexStep;
      result = pump.steps.next(waitSync(step.view, step.index, step.expected, step.timeout));
    }
    this.#finishPump(pump);
  }

  protected async getAsync(options: BlockingOptions | undefined): Promise<T> {
    const { timeout, signal } = parseBlocking(options);
    this.#checkOpen();
    if (signal?.aborted) throw abortError(signal);
    let wire = this.#held.shift();
    if (!wire) {
      const claimed = await runAsync(this.#channel.claim(timeout, signal), signal);
      if (!claimed) throw new QueueEmptyError();
      wire = parseItem(await runAsync(this.#channel.finishRead(), undefined));
    }
    if (!modulesReady(wire.m)) await prepareDecode(wire.m);
    return decode(wire.v) as T;
  }

  protected getBlocking(options: SyncBlockingOptions | undefined): T {
    const { timeout } = parseBlocking(options);
    this.#checkOpen();
    let wire = this.#held.shift();
    if (!wire) {
      this.drainSync();
      if (!runSync(this.#channel.claim(timeout, undefined))) throw new QueueEmptyError();
      wire = parseItem(runSync(this.#channel.finishRead()));
    }
    if (!modulesReady(wire.m)) {
      this.#held.unshift(wire);
      throw new PicklingError(
        `getSync() cannot decode this item: it needs ${wire.m.map((m) => m.url).join(', ')}, not loaded in this process yet. ` +
          'Fix: use await get() (it loads them; the item is kept for this process\'s next get()), or import those modules first.',
      );
    }
    return decode(wire.v) as T;
  }

  /** Whether the queue holds no items now (a snapshot: other processes may change it at once). */
  empty(): boolean {
    return this.#held.length === 0 && this.#channel.count() === 0;
  }

  /** Whether an item is there to take now (what `wait()` asks; another consumer may take it first). */
  isReady(): boolean {
    return this.#held.length > 0 || this.#channel.readable();
  }

  /** For `wait()`: settles once an item is there to take. */
  [kWaitable](signal?: AbortSignal): Promise<void> {
    if (this.#held.length > 0) return Promise.resolve();
    return runAsync(this.#channel.waitReadable(), signal);
  }

  /** Indicates this process will put no more items; further put/get calls from it throw. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  /** Settles once every item this process put has been streamed entirely into the queue. */
  protected async flushed(): Promise<void> {
    while (this.#pump) await this.#pump.done;
  }

  [kReduce](destination: Destination): { type: string; state: ChannelHandle } {
    return { type: this.typeName, state: this.#channel[kReduce](destination) };
  }

  toString(): string {
    return `<${this.typeName}(maxsize=${this.#channel.maxsize}, qsize=${this.#channel.count()})>`;
  }
}

/** A process- and thread-shared FIFO queue, as CPython's `multiprocessing.Queue`. */
export class Queue<T = unknown> extends QueueCore<T> {
  /** `maxsize` <= 0 (the default) means unbounded; otherwise `put` waits while that many items are queued. */
  constructor(maxsize = 0) {
    super(maxsize);
  }

  protected get typeName(): string {
    return 'Queue';
  }

  /** Puts `obj` in the queue, waiting for a free slot unless `block` is false; QueueFullError if none comes in time. */
  put(obj: T, options?: BlockingOptions): Promise<void> {
    return this.putAsync(obj, options);
  }

  /** Blocking twin of `put()`: waits in the kernel. */
  putSync(obj: T, options?: SyncBlockingOptions): void {
    this.putBlocking(obj, options);
  }

  /** `put(obj, { block: false })`, synchronous: throws QueueFullError if the queue is full. */
  putNowait(obj: T): void {
    this.putBlocking(obj, { block: false });
  }

  /** Takes the next item, waiting unless `block` is false; QueueEmptyError if none comes in time. */
  get(options?: BlockingOptions): Promise<T> {
    return this.getAsync(options);
  }

  /** Blocking twin of `get()`: waits in the kernel. */
  getSync(options?: SyncBlockingOptions): T {
    return this.getBlocking(options);
  }

  /** `get({ block: false })`, synchronous: throws QueueEmptyError if the queue is empty. */
  getNowait(): T {
    return this.getBlocking({ block: false });
  }

  /** The number of items in the queue now (exact at the moment of reading, on every platform). */
  qsize(): number {
    return this.channel.count();
  }

  /** Whether the queue holds `maxsize` items now. */
  full(): boolean {
    return this.channel.full();
  }

  /** Resolves once this process's items are entirely in the queue. Only after `close()`, as CPython. */
  async joinThread(): Promise<void> {
    if (!this.closed) throw new ProcessError('joinThread() may only be called after close()');
    await this.flushed();
  }

  /** A no-op kept for CPython parity: there is no feeder thread to abandon. */
  cancelJoinThread(): void {}
}

/** A `Queue` whose consumers confirm each item with `taskDone()`; `join()` waits for all of them. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  constructor(maxsize = 0) {
    super(maxsize);
  }

  protected override get typeName(): string {
    return 'JoinableQueue';
  }

  /** Marks one item taken with get() as processed. */
  taskDone(): void {
    if (!this.channel.taskDone()) throw new ProcessError('task_done() called too many times');
  }

  /** Resolves once every item ever put has had its `taskDone()`. */
  async join(): Promise<void> {
    await runAsync(this.channel.join(null), undefined);
  }

  /** Blocking twin of `join()`. */
  joinSync(): void {
    this.drainSync();
    runSync(this.channel.join(null));
  }
}

/** An unbounded queue with only put/get/empty/close, as CPython's `SimpleQueue`. */
export class SimpleQueue<T = unknown> extends QueueCore<T> {
  constructor() {
    super(0);
  }

  protected get typeName(): string {
    return 'SimpleQueue';
  }

  put(obj: T): Promise<void> {
    return this.putAsync(obj, undefined);
  }

  putSync(obj: T): void {
    this.putBlocking(obj, undefined);
  }

  /** Takes the next item, waiting for one; `signal` cancels the wait (the item stays for the next getter). */
  get(options?: { signal?: AbortSignal }): Promise<T> {
    return this.getAsync(options?.signal ? { signal: options.signal } : undefined);
  }

  getSync(): T {
    return this.getBlocking(undefined);
  }
}

registerShareable('Queue', (state) => rebuild(state, () => new Queue()));
registerShareable('JoinableQueue', (state) => rebuild(state, () => new JoinableQueue()));
registerShareable('SimpleQueue', (state) => rebuild(state, () => new SimpleQueue()));
