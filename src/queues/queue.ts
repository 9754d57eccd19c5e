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
 *   this process's outbox, written in order in the background as consumers drain the ring. A
 *   large one (64 KiB and up) waits there only as the name of a shared memory block holding its
 *   bytes (spill.ts), so joining a producer before reading what it put does not deadlock (CPython's
 *   does once its pipe is full: gh-73983) unless it left more than the ring's worth of small items
 *   unread. Like CPython's feeder, a pending outbox keeps the process alive until it is written,
 *   and `joinThread()` waits for it.
 * - `putSync`/`getSync`/`joinSync` block this thread in the kernel. Before they block, they write
 *   this process's outbox on this thread (the background writer needs the event loop, which they
 *   stop), and `putSync` of an item that does not fit (when the outbox is empty) writes it the same
 *   way. So, as with CPython's `SimpleQueue` and a full pipe, a thread that blocks while writing
 *   more than the ring holds, and is itself the only consumer, waits forever: for example
 *   `await q.put(bigItem); q.getSync()` in the only consumer. Use the async methods there. With
 *   a timeout they wait no longer than it: what is left to write goes on in the background then
 *   (a getSync that finds its own item half-written gives up with QueueEmptyError rather than
 *   take it).
 * - `getSync` decodes synchronously, so an item carrying functions or registered classes needs
 *   their modules loaded in this process already (an `await get()` of such an item loads them).
 *   If they are not, `getSync` throws PicklingError and keeps the item for this process's next
 *   `get()`/`getSync()`.
 * - A producer or consumer killed in the middle of writing or reading one message leaves the
 *   queue unusable, as CPython's queues are when a process dies holding their locks; one killed
 *   while it waits (for an item or a free slot) holds nothing, and the others go on. Items still
 *   in a killed producer's outbox are lost, and stay counted by `qsize()`. Where CPython's get()
 *   would then wait forever for the rest of the item, a get with a timeout that took an item
 *   whose producer stopped part-way (see Channel.finishRead) throws a ProcessError saying the
 *   queue is broken, and so does every later get/put on it, in every process.
 * - `for await (const item of queue)` takes items until `close()` in this process (CPython's
 *   queues are not iterable); `JoinableQueue.join` takes `{ timeout, signal }` and says whether
 *   every task was done.
 *
 * Speed: an item is framed by its kind (item-codec.ts): numbers, strings, booleans, raw bytes and
 * plain data skip the codec's walk, and bytes skip the serializer too. A put writes into the ring
 * at once when it has room and wakes consumers only when the queue goes from empty to non-empty;
 * a get of a message that is entirely in the ring reads it at once. A get of an empty queue and
 * the reading or writing of the rest of a message look again for a few microseconds before
 * sleeping (see spinWhileEqual; async calls once per turn of the event loop, spinWhileEqualAsync):
 * on a machine with spare CPUs the peer usually answers within that.
 */
import { abortError, PicklingError, ProcessError, QueueEmptyError, QueueFullError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { spinWhileEqual, spinWhileEqualAsync, waitAsync, waitSync, type WaitResult } from '../synchronize/futex.js';
import { Deadline } from '../internal/deadline.js';
import { Fifo } from '../internal/fifo.js';
import { parseBlocking, type BlockingOptions, type SyncBlockingOptions } from '../synchronize/options.js';
import { checkOptionsObject, refuseTimeout } from '../internal/validate.js';
import { runAsync, runSync, type Step, type Steps } from '../synchronize/steps.js';
import { SEM_VALUE_MAX } from '../synchronize/semaphore.js';
import { kWaitable } from '../internal/waitable.js';
import { Channel, type ChannelHandle, type Message } from './channel.js';
import { decodeFrame, encodeItem, K_CODEC, SCRATCH_KINDS, type Frame } from './item-codec.js';
import { loadEnvelope, modulesLoaded, openEnvelope, rebuildValue } from '../serialize/envelope.js';
import { K_SPILLED, spill, unspill } from './spill.js';

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

/**
 * A wait in the middle of a message (a reader waiting for the rest of it, a writer for room to
 * write it): its peer is at work on the same message, so the word it waits on usually changes
 * within microseconds. It looks again for a moment (spinWhileEqual, or once per turn of the event
 * loop in async calls) before sleeping: waking a sleeper costs far more than the bounded spin.
 */
function streamWaitSync(step: FutexStep): WaitResult {
  return spinWhileEqual(step.view, step.index, step.expected, step.timeout)
    ? 'not-equal'
    : waitSync(step.view, step.index, step.expected, step.timeout);
}

async function streamWaitAsync(step: FutexStep, signal?: AbortSignal): Promise<WaitResult> {
  return (await spinWhileEqualAsync(step.view, step.index, step.expected, step.timeout, signal))
    ? 'not-equal'
    : waitAsync(step.view, step.index, step.expected, step.timeout, signal);
}

/**
 * A stream wait on this thread that ends by `deadline`: its outcome, or null once the deadline
 * has passed with the word unchanged (the caller then hands the rest to the background writer).
 */
function streamWaitUntil(step: FutexStep, deadline: Deadline): WaitResult | null {
  const left = deadline.remaining();
  if (left === null) return streamWaitSync(step);
  if (left === 0) return Atomics.load(step.view, step.index) === step.expected ? null : 'not-equal';
  return streamWaitSync({ ...step, timeout: left });
}

/** Runs a channel's reading steps (futex waits only) on this thread. */
function runStreamSync<T>(steps: Steps<T>): T {
  let result = steps.next();
  while (!result.done) result = steps.next(streamWaitSync(result.value as FutexStep));
  return result.value;
}

/** Runs a channel's reading or writing steps (futex waits only) asynchronously. */
async function runStreamAsync<T>(steps: Steps<T>): Promise<T> {
  let result = steps.next();
  while (!result.done) {
    const step = result.value as FutexStep;
    result = steps.next(await streamWaitAsync(step));
  }
  return result.value;
}

/** Items at least this large make a put resume the background writer first (see putAsync). */
const POKE_BYTES = 64 * 1024;

/** A copy of `bytes` (not zero-filled first). Not `bytes.slice()`: on a Buffer that is a view, not a copy. */
function copyOf(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4096) return Uint8Array.prototype.slice.call(bytes);
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
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
  /** The waits of this process's `for await` loops over the queue, ended by close(). */
  readonly #iterations = new Set<AbortController>();
  /** Items put by this process that wait for the ring (it is full, or another producer writes). */
  readonly #outbox = new Fifo<Frame>();
  #pump: Pump | null = null;
  /**
   * Whether the pump may hold the write lock for a message it has begun (or is about to begin):
   * a blocking get must not claim that message, whose rest only the pump (the event loop) writes.
   */
  #pumpWriting = false;
  /** Items taken from the queue that getSync() could not decode yet (their modules are not loaded). */
  readonly #held: Message[] = [];

  /** @internal */
  protected constructor(maxsize: number) {
    const handle = attaching;
    attaching = null;
    this.#channel = handle ? new Channel(0, handle) : new Channel(checkMaxsize(maxsize), undefined);
    this.#joinable = this instanceof JoinableQueue;
  }

  /** @internal */
  protected abstract get typeName(): string;

  /** @internal */
  protected get channel(): Channel {
    return this.#channel;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ProcessError(`Queue ${this.toString()} is closed`);
    this.#channel.checkUsable();
  }

  /** @internal */
  protected async putAsync(obj: T, options: BlockingOptions | undefined): Promise<void> {
    const { timeout, signal } = parseBlocking(options, this.typeName, 'put(obj)');
    this.#checkOpen();
    const frame = encodeItem(obj);
    if (signal?.aborted) throw abortError(signal);
    if (!this.#channel.tryTakeSlotNow()) {
      if (!frame.owned) {
        // Other puts may reuse the scratch, or the caller change its bytes, while this one waits.
        frame.bytes = copyOf(frame.bytes);
        frame.owned = true;
      }
      if (!(await runAsync(this.#channel.takeSlot(timeout), signal))) throw new QueueFullError();
    }
    this.#channel.accept(this.#joinable);
    // A large item waiting behind earlier ones would be copied: first let the background writer
    // catch up with what consumers have freed meanwhile (a loop of awaited puts never yields to
    // the event loop, where it would run), so this one may go straight into the ring.
    if (this.#outbox.length > 0 && frame.bytes.length >= POKE_BYTES) this.#pokePump();
    if (this.#outbox.length > 0 || !this.#channel.tryWriteNow(frame.kind, frame.bytes)) this.#post(this.#spillUnlessRoom(frame));
  }

  /**
   * A large item that cannot be written now goes into a block of its own (spill.ts), unless the
   * ring has room for it and nothing of ours is ahead of it: then it only met another writer.
   */
  #spillUnlessRoom(frame: Frame): Frame {
    return this.#outbox.length === 0 && this.#channel.hasRoomFor(frame.bytes.length) ? frame : spill(frame);
  }

  /** @internal */
  protected putBlocking(obj: T, options: SyncBlockingOptions | undefined): void {
    const { timeout } = parseBlocking(options, this.typeName, 'putSync(obj)');
    this.#checkOpen();
    const frame = encodeItem(obj);
    const deadline = new Deadline(timeout);
    if (!this.#channel.tryTakeSlotNow()) {
      // About to block for a slot: items of ours still in the outbox must be written first, or
      // consumers may never free one (the background writer needs the event loop).
      this.drainSync(timeout);
      if (!runSync(this.#channel.takeSlot(deadline.remaining()))) throw new QueueFullError();
    }
    this.#channel.accept(this.#joinable);
    if (this.#outbox.length > 0) {
      // Items of an earlier put() are still on their way: this one goes after them.
      this.#post(spill(frame));
      return;
    }
    if (this.#channel.tryWriteNow(frame.kind, frame.bytes)) return;
    const spilled = this.#spillUnlessRoom(frame);
    if (spilled.bytes !== frame.bytes && this.#channel.tryWriteNow(spilled.kind, spilled.bytes)) return;
    if (timeout !== null && !spilled.owned) {
      // The background writer may have to finish it after this call returns (see below): a copy.
      spilled.bytes = copyOf(spilled.bytes);
      spilled.owned = true;
    }
    // Written here, on this thread; but a put with a timeout does not wait past it for the write
    // lock (its holder may have died) or for room (consumers may be gone): like put(), it then
    // leaves the item (written part-way, maybe) to the background writer and returns.
    const write = this.#writeSteps(spilled);
    let result = write.next();
    while (!result.done) {
      const outcome = streamWaitUntil(result.value as FutexStep, deadline);
      if (outcome === null) {
        this.#handOver(spilled, write, result);
        return;
      }
      result = write.next(outcome);
    }
  }

  *#writeSteps({ kind, bytes }: Frame): Steps<void> {
    const first = yield* this.#channel.beginWrite(kind, bytes);
    yield* this.#channel.finishWrite(bytes, first);
  }

  /**
   * Makes the background writer finish a write this thread began (`write`, waiting at `pending`),
   * then go on with the outbox (empty until now: the item heads it until it is written).
   */
  #handOver(frame: Frame, write: Steps<void>, pending: IteratorResult<Step, void>): void {
    this.#outbox.push(frame);
    const self = this;
    function* finishThenDrain(): Steps<void> {
      self.#pumpWriting = true;
      // Resumed as from a spurious wake-up: it looks again at what it waits for.
      yield* write;
      self.#pumpWriting = false;
      self.#outbox.shift();
      yield* self.#drain();
    }
    const pump: Pump = { steps: finishThenDrain(), epoch: 0, step: null, controller: null, done: null!, resolve: null! };
    pump.done = new Promise<void>((resolve) => (pump.resolve = resolve));
    this.#pump = pump;
    this.#pumpWriting = true;
    // The pending wait first, asynchronously; then the steps above take over.
    this.#driveAsync(pump, pending);
  }

  /** Leaves an accepted item in this process's outbox; the pump writes the outbox in order, in the background. */
  #post(frame: Frame): void {
    if (!frame.owned) {
      // The caller's bytes (or scratch) may change once put() returns: the outbox keeps a copy.
      frame.bytes = copyOf(frame.bytes);
      frame.owned = true;
    }
    this.#outbox.push(frame);
    if (this.#pump) return;
    const pump: Pump = { steps: this.#drain(), epoch: 0, step: null, controller: null, done: null!, resolve: null! };
    pump.done = new Promise<void>((resolve) => (pump.resolve = resolve));
    this.#pump = pump;
    this.#driveAsync(pump, this.#advance(pump));
  }

  /** Writes the outbox into the ring, one whole message after another. Waits only on futex steps. */
  *#drain(): Steps<void> {
    while (this.#outbox.length > 0) {
      const { kind, bytes } = this.#outbox.peek()!;
      if (this.#channel.tryWriteNow(kind, bytes)) {
        this.#outbox.shift();
        continue;
      }
      this.#pumpWriting = true;
      const first = yield* this.#channel.beginWrite(kind, bytes);
      yield* this.#channel.finishWrite(bytes, first);
      this.#pumpWriting = false;
      this.#outbox.shift();
    }
  }

  #finishPump(pump: Pump): void {
    if (this.#pump === pump) {
      this.#pump = null;
      this.#pumpWriting = false;
    }
    pump.resolve();
  }

  /**
   * Resumes the background writer on this turn if the word it sleeps on has changed (its wait
   * would return at once): it writes what now fits and sleeps again, without spinning.
   */
  #pokePump(): void {
    const pump = this.#pump;
    const step = pump?.step;
    if (!pump || !step || Atomics.load(step.view, step.index) === step.expected) return;
    pump.epoch++;
    pump.controller?.abort();
    pump.step = null;
    pump.controller = null;
    this.#driveAsync(pump, this.#advance(pump, 'not-equal'), false);
  }

  /**
   * The pump's next step, given what its last wait returned. A pump whose queue broke (a reader
   * gave up on a message: see Channel.finishRead) throws: its items can never be written, and
   * are dropped (every later call on the queue says why). null then.
   */
  #advance(pump: Pump, input?: unknown): IteratorResult<Step, void> | null {
    try {
      return pump.steps.next(input);
    } catch (error) {
      this.#outbox.clear();
      this.#finishPump(pump);
      if (error instanceof ProcessError) return null;
      throw error;
    }
  }

  #driveAsync(pump: Pump, result: IteratorResult<Step, void> | null, spin = true): void {
    if (result === null) return;
    if (result.done) {
      this.#finishPump(pump);
      return;
    }
    const step = result.value as FutexStep;
    const epoch = ++pump.epoch;
    const controller = new AbortController();
    pump.step = step;
    pump.controller = controller;
    const { signal } = controller;
    (spin ? streamWaitAsync(step, signal) : waitAsync(step.view, step.index, step.expected, step.timeout, signal)).then(
      (outcome) => {
        if (pump.epoch !== epoch) return;
        pump.step = null;
        pump.controller = null;
        this.#driveAsync(pump, this.#advance(pump, outcome));
      },
      () => {
        // Cancelled: a blocking call took the pump over.
      },
    );
  }

  /**
   * @internal
   * Blocking calls first finish this process's outbox on this thread (the background pump needs
   * the event loop, which a blocking call stops): waits in the kernel until it is written, or
   * until `timeout` (ms) has passed: the pump then goes on in the background, and this returns
   * false. (A peer may keep it from ever finishing: a writer killed holding the write lock.)
   */
  protected drainSync(timeout: number | null = null): boolean {
    const pump = this.#pump;
    if (!pump) return true;
    const deadline = new Deadline(timeout);
    pump.epoch++;
    pump.controller?.abort();
    const step = pump.step;
    pump.step = null;
    pump.controller = null;
    let result: IteratorResult<Step, void> | null = step ? { done: false, value: step } : this.#advance(pump);
    while (result && !result.done) {
      const outcome = streamWaitUntil(result.value as FutexStep, deadline);
      if (outcome === null) {
        this.#driveAsync(pump, result);
        return false;
      }
      result = this.#advance(pump, outcome);
    }
    if (result) this.#finishPump(pump);
    // A broken queue dropped the outbox: the caller says why.
    else this.#channel.checkUsable();
    return true;
  }

  /** @internal */
  protected async getAsync(options: BlockingOptions | undefined): Promise<T> {
    const { timeout, signal } = parseBlocking(options, this.typeName, 'get()');
    this.#checkOpen();
    if (signal?.aborted) throw abortError(signal);
    const channel = this.#channel;
    let message = this.#held.shift();
    if (!message) {
      const deadline = new Deadline(timeout);
      if (!channel.tryClaimNow()) {
        const claimed = await runAsync(channel.claim(timeout, signal), signal);
        if (!claimed) throw new QueueEmptyError();
      }
      message = channel.readNow(SCRATCH_KINDS) ?? (await runStreamAsync(channel.finishRead(deadline.remaining(), timeout ?? 0)));
      if (message.kind === K_SPILLED) message = unspill(message.body);
    }
    if (message.kind !== K_CODEC) return decodeFrame(message.kind, message.body) as T;
    return (await loadEnvelope(openEnvelope(message.body))) as T;
  }

  /** @internal */
  protected getBlocking(options: SyncBlockingOptions | undefined): T {
    const { timeout } = parseBlocking(options, this.typeName, 'getSync()');
    this.#checkOpen();
    const channel = this.#channel;
    let message = this.#held.shift();
    if (!message) {
      const deadline = new Deadline(timeout);
      // A message of ours still being written (the deadline passed first) must not be claimed
      // here: only the event loop, which this call blocks, can write its rest.
      if (!this.drainSync(timeout) && this.#pumpWriting) throw new QueueEmptyError();
      if (!channel.tryClaimNow() && !runSync(channel.claim(deadline.remaining(), undefined))) throw new QueueEmptyError();
      message = channel.readNow(SCRATCH_KINDS) ?? runStreamSync(channel.finishRead(deadline.remaining(), timeout ?? 0));
      if (message.kind === K_SPILLED) message = unspill(message.body);
    }
    if (message.kind !== K_CODEC) return decodeFrame(message.kind, message.body) as T;
    const envelope = openEnvelope(message.body);
    // An item naming modules it may not make this process import is dropped, not kept for the next get().
    if (!modulesLoaded(envelope)) {
      this.#held.unshift(message);
      throw new PicklingError(
        `getSync() cannot decode this item: it needs ${envelope.modules.map((m) => m.url).join(', ')}, not loaded in this process yet. ` +
          'Fix: use await get() (it loads them; the item is kept for this process\'s next get()), or import those modules first.',
      );
    }
    return rebuildValue(envelope) as T;
  }

  /**
   * Whether the queue holds no items now (a snapshot: other processes may change it at once).
   * After `close()` in this process it throws, as CPython's does (its reader is closed).
   */
  empty(): boolean {
    this.#checkOpen();
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

  /**
   * Indicates this process will put or take no more items: further put/get/empty calls from it
   * throw, and its `for await` loops over the queue end. Idempotent. Items it put are still
   * delivered (`joinThread()` waits until they are all in the queue).
   */
  close(): void {
    this.#closed = true;
    for (const controller of this.#iterations) controller.abort();
  }

  /** Closes the queue in this process (`close()`): `using q = new SimpleQueue()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Takes items as they come (each one as `await get()` would) until `close()` is called in this
   * process: a wait in progress then ends, taking nothing, and so does the loop. Leaving the loop
   * (`break`, `return`, an exception) takes nothing more either. Several loops, in several
   * processes, share the items: each item goes to one of them.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const controller = new AbortController();
    this.#iterations.add(controller);
    try {
      while (!this.#closed) {
        let item: T;
        try {
          item = await this.getAsync({ signal: controller.signal });
        } catch (error) {
          if (controller.signal.aborted) return;
          throw error;
        }
        yield item;
      }
    } finally {
      this.#iterations.delete(controller);
    }
  }

  /** @internal */
  protected get closed(): boolean {
    return this.#closed;
  }

  /** @internal Settles once every item this process put has been streamed entirely into the queue. */
  protected async flushed(): Promise<void> {
    while (this.#pump) await this.#pump.done;
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: ChannelHandle } {
    return { type: this.typeName, state: this.#channel[kReduce](destination) };
  }

  /** CPython-style repr: `<Queue(maxsize=0, qsize=2)>`. */
  toString(): string {
    return `<${this.typeName}(maxsize=${this.#channel.maxsize}, qsize=${this.#channel.count()})>`;
  }
}

/**
 * A first-in first-out queue shared by processes and threads (CPython's `multiprocessing.Queue`).
 * Send it to children as a Process argument (or inside another queue's items, a Pool task...):
 * it arrives as the same queue. Items are structured-cloneable values, exported functions and the
 * package's shareable objects, as Process arguments are.
 *
 * How it differs from CPython:
 * - `put()` and `get()` return Promises; their `...Sync` twins block the calling thread instead.
 *   Timeouts are milliseconds, and a `signal` cancels a wait. An empty or full queue rejects with
 *   {@link QueueEmptyError} / {@link QueueFullError} (CPython's `queue.Empty` / `queue.Full`).
 * - `put()` checks the item in the caller: a value that cannot be sent throws a
 *   {@link PicklingError} there, and nothing is enqueued (CPython's feeder thread prints the
 *   error and drops the item). There is no feeder thread: items go into shared memory at once
 *   when there is room, and `qsize()` is exact on every platform.
 * - `for await (const item of queue)` takes items until `close()` is called in this process.
 * - A process that put items and then ends waits until they are in the queue, as CPython's does;
 *   joining a producer before reading what it put does not deadlock on large items.
 *
 * @typeParam T The items' type (the package does not check it at run time).
 * @category Queues
 * @example
 * ```ts
 * import { Process, Queue, isMain } from 'multiprocessing-ts';
 *
 * export async function squares(tasks: Queue<number | null>, results: Queue<number>): Promise<void> {
 *   for (let n = await tasks.get(); n !== null; n = await tasks.get()) await results.put(n * n);
 * }
 *
 * if (isMain(import.meta)) {
 *   const tasks = new Queue<number | null>();
 *   const results = new Queue<number>();
 *   const worker = new Process({ target: squares, args: [tasks, results] });
 *   worker.start();
 *   for (const n of [1, 2, 3]) await tasks.put(n);
 *   await tasks.put(null); // tells the worker to stop
 *   for (let i = 0; i < 3; i++) console.log(await results.get({ timeout: 5_000 }));
 *   await worker.join();
 *   tasks.close();
 *   results.close();
 * }
 * ```
 */
export class Queue<T = unknown> extends QueueCore<T> {
  /** `maxsize` <= 0 (the default) means unbounded; otherwise `put` waits while that many items are queued. */
  constructor(maxsize = 0) {
    super(maxsize);
  }

  /** @internal */
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

  /**
   * Closes the queue in this process and waits until the items it put are all in the queue
   * (`close()` then `joinThread()`): `await using q = new Queue()`.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.joinThread();
  }
}

/**
 * Options of {@link JoinableQueue.join}.
 * @category Queues
 */
export interface JoinableQueueJoinOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. */
  timeout?: number | null;
  /** Cancels the wait: join() rejects with AbortError. */
  signal?: AbortSignal;
}

/**
 * A {@link Queue} whose consumers confirm each item with {@link JoinableQueue.taskDone |
 * taskDone()}, so that {@link JoinableQueue.join | join()} can wait until every item was processed
 * (CPython's `multiprocessing.JoinableQueue`). Unlike CPython's, `join()` takes a timeout and a
 * signal, and resolves to whether every task was done.
 *
 * @typeParam T The items' type.
 * @category Queues
 * @example
 * ```ts
 * import { JoinableQueue, Process, isMain } from 'multiprocessing-ts';
 *
 * export async function consume(jobs: JoinableQueue<string>): Promise<void> {
 *   for (;;) {
 *     const job = await jobs.get();
 *     console.log(`done: ${job}`);
 *     jobs.taskDone();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const jobs = new JoinableQueue<string>();
 *   const consumer = new Process({ target: consume, args: [jobs], daemon: true });
 *   consumer.start();
 *   for (const job of ['a', 'b', 'c']) await jobs.put(job);
 *   console.log(await jobs.join({ timeout: 10_000 })); // true: every job was done
 *   consumer.terminate();
 *   await consumer.join();
 *   jobs.close();
 * }
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** `maxsize` <= 0 (the default) means unbounded; otherwise `put` waits while that many items are queued. */
  constructor(maxsize = 0) {
    super(maxsize);
  }

  /** @internal */
  protected override get typeName(): string {
    return 'JoinableQueue';
  }

  /** Marks one item taken with get() as processed. */
  taskDone(): void {
    if (!this.channel.taskDone()) throw new ProcessError('task_done() called too many times');
  }

  /**
   * Resolves once every item ever put has had its `taskDone()`: true then, false if `timeout`
   * (ms) passes first; `signal` rejects it with AbortError. Without options it waits for as long
   * as it takes, as CPython's `join()`.
   */
  async join(options?: JoinableQueueJoinOptions): Promise<boolean> {
    const { timeout, signal } = parseBlocking(options, 'JoinableQueue', 'join()', 'timeout');
    if (signal?.aborted) throw abortError(signal);
    return runAsync(this.channel.join(timeout), signal);
  }

  /** Blocking twin of `join()`: true once every item had its `taskDone()`, false on timeout. */
  joinSync(options?: Omit<JoinableQueueJoinOptions, 'signal'>): boolean {
    const { timeout } = parseBlocking(options, 'JoinableQueue', 'joinSync()', 'timeout');
    const deadline = new Deadline(timeout);
    this.drainSync(timeout);
    return runSync(this.channel.join(deadline.remaining()));
  }
}

/**
 * An unbounded queue with only put/get/empty/close (CPython's `multiprocessing.SimpleQueue`).
 * Send it to children as a Process argument: it arrives as the same queue.
 *
 * @typeParam T The items' type.
 * @category Queues
 * @example
 * ```ts
 * import { Process, SimpleQueue, isMain } from 'multiprocessing-ts';
 *
 * export async function hello(out: SimpleQueue<string>): Promise<void> {
 *   await out.put(`hello from ${process.pid}`);
 * }
 *
 * if (isMain(import.meta)) {
 *   const out = new SimpleQueue<string>();
 *   const p = new Process({ target: hello, args: [out] });
 *   p.start();
 *   console.log(await out.get());
 *   await p.join();
 *   out.close();
 * }
 * ```
 */
export class SimpleQueue<T = unknown> extends QueueCore<T> {
  /** A new, empty queue. */
  constructor() {
    super(0);
  }

  /** @internal */
  protected get typeName(): string {
    return 'SimpleQueue';
  }

  /** Puts `obj` in the queue (it never waits for room: the queue is unbounded). */
  put(obj: T): Promise<void> {
    return this.putAsync(obj, undefined);
  }

  /** Synchronous twin of `put()`. */
  putSync(obj: T): void {
    this.putBlocking(obj, undefined);
  }

  /** Takes the next item, waiting for one; `signal` cancels the wait (the item stays for the next getter). */
  get(options?: { signal?: AbortSignal }): Promise<T> {
    if (typeof options === 'number' || typeof options === 'boolean') {
      throw new TypeError(
        `SimpleQueue.get() takes only { signal }, not a ${typeof options}: CPython's SimpleQueue.get() has no block or timeout either. ` +
          'For get({ timeout }) (milliseconds) use a Queue.',
      );
    }
    const given = checkOptionsObject(options, 'SimpleQueue.get()', 'timeout', '{ signal }');
    refuseTimeout(given, 'SimpleQueue.get()', "CPython's SimpleQueue.get() has none either; use a Queue for get({ timeout }) (milliseconds), or pass { signal: AbortSignal.timeout(ms) }");
    return this.getAsync(given?.signal ? { signal: given.signal } : undefined);
  }

  /** Blocking twin of `get()`: waits in the kernel. */
  getSync(): T {
    return this.getBlocking(undefined);
  }
}

registerShareable('Queue', (state) => rebuild(state, () => new Queue()));
registerShareable('JoinableQueue', (state) => rebuild(state, () => new JoinableQueue()));
registerShareable('SimpleQueue', (state) => rebuild(state, () => new SimpleQueue()));
