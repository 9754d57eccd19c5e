/**
 * The transport under `Queue`, `SimpleQueue` and `JoinableQueue`: a ring of bytes in shared memory
 * holding length-prefixed messages, shared by every process and thread that has the queue.
 *
 * Producers take the write lock for a whole message, consumers the read lock for a whole message,
 * so the chunks of one message are never interleaved with another's. A message that fits in half
 * the ring is written whole (its reader never waits in the middle of it); a larger one streams
 * through (the reader drains while the writer fills). Per-producer order is kept and every message
 * is read exactly once. Each message has a 5-byte header: its length and its kind (item-codec.ts).
 *
 * The ring is 4 MiB of shared memory per queue (memfd: its pages are committed as they are first
 * written), so 1 MiB items are written whole and many small ones fit between two wake-ups.
 * Sleepers are woken only when what they wait for appears: consumers when the count of messages
 * goes from 0 to 1, a writer waiting for room when the free part grows past a quarter of the ring
 * (or past its message, if larger).
 *
 * Waiting holds nothing: a consumer waiting for a message (or a producer waiting for a free slot)
 * holds no lock, so one killed while it waits does not stop the others. A process killed in the
 * middle of writing or reading a message leaves the queue unusable (as CPython's queues are when a
 * process dies holding their locks). A reader with a timeout that took a message whose writer died
 * part-way says so: it marks the queue broken, and every later call on it throws at once
 * (finishRead). Waits with a timeout honour it whatever their peers did.
 */
import { readFileSync } from 'node:fs';
import { ProcessError } from '../errors.js';
import { kReduce, type Destination } from '../serialize/codec.js';
import { allocate, attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { Segment, type SegmentHandle } from '../shared/segment.js';
import { wake } from '../synchronize/futex.js';
import { Deadline } from '../internal/deadline.js';
import { lockAsync, lockSync } from '../synchronize/mutex.js';
import type { Step, Steps } from '../synchronize/steps.js';

const WLOCK = 0; // mutex: the producer writing a message
const RLOCK = 1; // mutex: the consumer reading a message
const HEAD = 2; // next byte to read (under RLOCK)
const TAIL = 3; // next byte to write (under WLOCK)
const USED = 4; // bytes in the ring
const USED_SLEEPERS = 5; // the reader waiting on USED for the rest of a message
const COUNT = 6; // messages begun and not yet claimed by a reader
const COUNT_SLEEPERS = 7; // consumers waiting on COUNT
const SLOTS = 8; // free item slots (bounded queues)
const SLOT_SLEEPERS = 9; // producers waiting on SLOTS
const UNFINISHED = 10; // JoinableQueue: items put and not yet taskDone()
const ACCEPTED = 11; // items put (some may wait in their producer's outbox) and not yet claimed
const ROOM_SLEEPERS = 12; // the writer waiting on USED for room in the ring
const ROOM_WANTED = 13; // the free bytes that writer waits for (under WLOCK)
const WRITER = 14; // pid of the process streaming a message (under WLOCK)
const BROKEN = 15; // why the queue can no longer be used (WRITER_GONE or WRITER_STALLED), 0 while it can
const WORDS = 16;

/** Why a queue is broken (BROKEN): a reader gave up on the rest of a message whose writer's process is gone... */
const WRITER_GONE = 1;
/** ...or lives, but wrote nothing more in time (a killed thread, a blocked event loop). */
const WRITER_STALLED = 2;

/**
 * How long past its deadline a read of a message's rest goes on while its writer makes no
 * progress: a stream that is moving is never cut in the middle (that would break the queue), but
 * one whose writer has gone quiet is given up this long after its last progress (or the caller's
 * timeout, if longer). Generous, because a live writer streams from its event loop, which its
 * own code may keep busy for a while.
 */
const STALL_MS = 2000;

/** Whether process `pid` has ended (exited, or is a zombie waiting to be reaped). */
function processGone(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** Throws the error every call on a broken queue throws, if the queue whose words are `view` is broken. */
function throwIfBroken(view: Int32Array): void {
  const reason = Atomics.load(view, BROKEN);
  if (reason !== 0) throw brokenError(reason, Atomics.load(view, WRITER));
}

function brokenError(reason: number, writer: number): ProcessError {
  const why =
    reason === WRITER_GONE
      ? `the process (pid ${writer}) that was writing an item into it ended part-way through the item (killed during put()?)`
      : `the producer (in process ${writer}) that was writing an item into it stopped part-way through the item (a killed thread, or a blocked event loop?)`;
  return new ProcessError(
    `The queue is broken: ${why}, and a get() gave up waiting for the rest. What was read of that item is lost, and the queue's ` +
      'data can no longer be split into items: every get() and put() on this queue now throws this error. Use a new queue.',
  );
}

const ALL = 0x7fffffff;
/** A message's header: its body's length (u32, little-endian) and its kind (one byte, item-codec.ts). */
const HEADER = 5;

/** The ring's size: messages up to half of it are written whole; larger ones stream through it. */
export const RING_BYTES = 4 * 1024 * 1024;

/** A message as read: its kind (set by the producer) and its body. */
export interface Message {
  kind: number;
  body: Uint8Array;
}

/** Where small messages are read when the caller decodes them at once (see `readNow`). */
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/** A new array for a message's body, with a buffer of its own (not zero-filled first: it is overwritten). */
function bodyOf(length: number): Uint8Array {
  return length < 4096 ? new Uint8Array(length) : new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

/** How long a read of a message's rest may wait (see finishRead); `progress` is when its writer last wrote. */
interface Patience {
  deadline: Deadline;
  stall: number;
  progress: number;
}

export interface ChannelHandle {
  control: BlockHandle;
  data: SegmentHandle;
  maxsize: number;
}

function lockStep(view: Int32Array, index: number, timeout: number | null, signal: AbortSignal | undefined): Step {
  return {
    op: 'call',
    now: () => Atomics.compareExchange(view, index, 0, 1) === 0,
    sync: () => lockSync(view, index, true, timeout),
    async: () => lockAsync(view, index, true, timeout, signal),
  };
}

/**
 * Takes the mutex at `view[index]` (the protocol of mutex.ts) waiting with plain futex steps only,
 * no timeout and no abort, so a writer's background steps can be taken over by a blocking call.
 */
function* lockWaits(view: Int32Array, index: number): Steps<void> {
  if (Atomics.compareExchange(view, index, 0, 1) === 0) return;
  let state = Atomics.exchange(view, index, 2);
  while (state !== 0) {
    // A queue broken meanwhile wakes this wait: its holder may never let go (it died writing).
    throwIfBroken(view);
    yield { op: 'futex', view, index, expected: 2, timeout: null };
    state = Atomics.exchange(view, index, 2);
  }
}

/**
 * Frees a mutex and wakes every waiter (not just one): a wait cancelled by an abort or a takeover
 * may still sit in the kernel for a moment, and a single wake-up could go to it and be lost.
 */
function unlockAll(view: Int32Array, index: number): void {
  if (Atomics.exchange(view, index, 0) === 2) wake(view, index, ALL);
}

export class Channel {
  readonly maxsize: number;
  readonly #block: Block;
  readonly #segment: Segment;
  readonly #w: Int32Array;
  readonly #ring: Uint8Array;
  readonly #capacity: number;
  /** The most a streaming writer or reader copies before publishing its progress. */
  readonly #chunk: number;

  /** A new channel; `maxsize` 0 means unbounded. */
  constructor(maxsize: number, handle?: ChannelHandle) {
    if (handle) {
      this.#block = attachBlock(handle.control);
      this.#segment = Segment.attach(handle.data);
      this.maxsize = handle.maxsize;
    } else {
      this.#block = allocate(WORDS * 4, 4);
      this.#segment = Segment.create(RING_BYTES);
      this.maxsize = maxsize;
    }
    this.#w = words(this.#block, WORDS);
    this.#ring = new Uint8Array(this.#segment.buffer);
    this.#capacity = this.#segment.size;
    this.#chunk = Math.max(4096, this.#capacity >>> 3);
    if (!handle && maxsize > 0) Atomics.store(this.#w, SLOTS, maxsize);
  }

  [kReduce](destination: Destination): ChannelHandle {
    return { control: blockHandle(this.#block, destination), data: this.#segment.handleFor(destination), maxsize: this.maxsize };
  }

  // ---- counts -------------------------------------------------------------------------------

  /** Items in the queue: put (accepted) and not yet taken by a consumer. */
  count(): number {
    return Atomics.load(this.#w, ACCEPTED);
  }

  /** Whether a message is there for a consumer to claim now. */
  readable(): boolean {
    return Atomics.load(this.#w, COUNT) > 0;
  }

  /** Throws if the queue is broken (see `finishRead`): nothing can be read from it or written to it any more. */
  checkUsable(): void {
    throwIfBroken(this.#w);
  }

  /** Waits (holding nothing) until a message is there to claim, or the queue is broken (a get then says so). */
  *waitReadable(): Steps<void> {
    const w = this.#w;
    while (Atomics.load(w, COUNT) === 0 && Atomics.load(w, BROKEN) === 0) {
      Atomics.add(w, COUNT_SLEEPERS, 1);
      try {
        yield { op: 'futex', view: w, index: COUNT, expected: 0, timeout: null };
      } finally {
        Atomics.sub(w, COUNT_SLEEPERS, 1);
      }
    }
  }

  full(): boolean {
    return this.maxsize > 0 && Atomics.load(this.#w, SLOTS) <= 0;
  }

  unfinished(): number {
    return Atomics.load(this.#w, UNFINISHED);
  }

  // ---- producers ----------------------------------------------------------------------------

  #tryTakeSlot(): boolean {
    const w = this.#w;
    let value = Atomics.load(w, SLOTS);
    while (value > 0) {
      const seen = Atomics.compareExchange(w, SLOTS, value, value - 1);
      if (seen === value) return true;
      value = seen;
    }
    return false;
  }

  /** Frees an item slot; producers sleep only while SLOTS is 0, so only the step from 0 to 1 wakes them. */
  #releaseSlot(): void {
    if (this.maxsize <= 0) return;
    if (Atomics.add(this.#w, SLOTS, 1) === 0 && Atomics.load(this.#w, SLOT_SLEEPERS) > 0) wake(this.#w, SLOTS, ALL);
  }

  /** Takes a free slot now if there is one (always, for unbounded queues). */
  tryTakeSlotNow(): boolean {
    return this.maxsize <= 0 || this.#tryTakeSlot();
  }

  /** Takes a free slot (bounded queues); false if the deadline passes first. Holds nothing while it waits. */
  *takeSlot(timeout: number | null): Steps<boolean> {
    const w = this.#w;
    if (this.maxsize <= 0 || this.#tryTakeSlot()) return true;
    const deadline = new Deadline(timeout);
    for (;;) {
      throwIfBroken(w);
      const left = deadline.remaining();
      if (left === 0) return false;
      Atomics.add(w, SLOT_SLEEPERS, 1);
      try {
        yield { op: 'futex', view: w, index: SLOTS, expected: 0, timeout: left };
      } finally {
        Atomics.sub(w, SLOT_SLEEPERS, 1);
      }
      if (this.#tryTakeSlot()) return true;
    }
  }

  /** Counts a put item (after its slot was taken); it reaches the ring now or from its producer's outbox. */
  accept(joinable: boolean): void {
    if (joinable) Atomics.add(this.#w, UNFINISHED, 1);
    Atomics.add(this.#w, ACCEPTED, 1);
  }

  /** Writes a whole message at once if the write lock is free and the ring has room for it. */
  /** Whether the ring has room now for a message of `length` body bytes (others may take it first). */
  hasRoomFor(length: number): boolean {
    return this.#capacity - Atomics.load(this.#w, USED) >= HEADER + length;
  }

  tryWriteNow(kind: number, bytes: Uint8Array): boolean {
    const w = this.#w;
    const length = bytes.length;
    if (Atomics.compareExchange(w, WLOCK, 0, 1) !== 0) return false;
    if (this.#capacity - Atomics.load(w, USED) < HEADER + length) {
      unlockAll(w, WLOCK);
      return false;
    }
    // Header and body in one pass: one update of TAIL and USED for the whole message.
    const capacity = this.#capacity;
    const ring = this.#ring;
    const tail = Atomics.load(w, TAIL);
    this.#putHeader(tail, kind, length);
    let at = tail + HEADER;
    if (at >= capacity) at -= capacity;
    const first = Math.min(length, capacity - at);
    if (length <= 16) {
      for (let i = 0; i < first; i++) ring[at + i] = bytes[i]!;
      for (let i = first; i < length; i++) ring[i - first] = bytes[i]!;
    } else {
      ring.set(first === length ? bytes : bytes.subarray(0, first), at);
      if (length > first) ring.set(bytes.subarray(first), 0);
    }
    const n = HEADER + length;
    Atomics.store(w, TAIL, (tail + n) % capacity);
    Atomics.add(w, USED, n);
    if (Atomics.load(w, USED_SLEEPERS) > 0) wake(w, USED, ALL);
    this.#begun();
    unlockAll(w, WLOCK);
    return true;
  }

  /** Writes a header at ring offset `at` (wrapping), without moving TAIL. */
  #putHeader(at: number, kind: number, length: number): void {
    const ring = this.#ring;
    const capacity = this.#capacity;
    if (at + HEADER <= capacity) {
      ring[at] = length & 255;
      ring[at + 1] = (length >>> 8) & 255;
      ring[at + 2] = (length >>> 16) & 255;
      ring[at + 3] = length >>> 24;
      ring[at + 4] = kind;
      return;
    }
    const bytes = [length & 255, (length >>> 8) & 255, (length >>> 16) & 255, length >>> 24, kind];
    for (let i = 0; i < HEADER; i++) ring[(at + i) % capacity] = bytes[i]!;
  }

  #writeHeader(kind: number, length: number): void {
    const header = new Uint8Array(HEADER);
    new DataView(header.buffer).setUint32(0, length, true);
    header[4] = kind;
    this.#copyIn(header, 0, HEADER);
  }

  /**
   * Counts a begun message. Consumers sleep only while COUNT is 0, so only the step from 0 to 1
   * wakes them: a consumer still on its way back from that wake (an async one waits for its
   * event loop) is not woken again for every later message.
   */
  #begun(): void {
    const w = this.#w;
    if (Atomics.add(w, COUNT, 1) === 0 && Atomics.load(w, COUNT_SLEEPERS) > 0) wake(w, COUNT, ALL);
  }

  /**
   * Begins a message: takes the write lock, writes the header and as much of the body as fits
   * (readers may start on it). Returns how many body bytes are in; `finishWrite` must follow.
   */
  *beginWrite(kind: number, bytes: Uint8Array): Steps<number> {
    const w = this.#w;
    yield* lockWaits(w, WLOCK);
    try {
      throwIfBroken(w);
    } catch (error) {
      unlockAll(w, WLOCK);
      throw error;
    }
    // Whose message it is, should a reader have to give up on its rest (see finishRead).
    Atomics.store(w, WRITER, process.pid);
    // A message that fits in half the ring waits for room for all of it, so its reader never
    // waits in the middle of it. A larger one begins as soon as its header fits and streams through.
    const whole = HEADER + bytes.length;
    const need = whole <= this.#capacity >>> 1 ? whole : HEADER;
    while (this.#capacity - Atomics.load(w, USED) < need) yield* this.#waitForRoom(need);
    this.#writeHeader(kind, bytes.length);
    const first = Math.min(bytes.length, this.#capacity - Atomics.load(w, USED));
    if (first > 0) this.#copyIn(bytes, 0, first);
    this.#begun();
    return first;
  }

  /** Streams the rest of a begun message (from `done`) and releases the write lock. No timeout: readers drain it. */
  *finishWrite(bytes: Uint8Array, done: number): Steps<void> {
    const w = this.#w;
    while (done < bytes.length) {
      const used = Atomics.load(w, USED);
      const free = this.#capacity - used;
      if (free === 0) {
        yield* this.#waitForRoom(1);
        continue;
      }
      // In chunks, each published at once: the reader copies one out while this copies the next in.
      const n = Math.min(free, bytes.length - done, this.#chunk);
      this.#copyIn(bytes, done, n);
      done += n;
    }
    unlockAll(w, WLOCK);
  }

  /**
   * Under the write lock: sleeps until readers have freed room, waking for at least `need` bytes
   * and at least a quarter of the ring, so that it then writes many messages, or a large chunk,
   * per wake-up (not one small one each time a reader takes one). Returns on any change of USED
   * before it sleeps; the caller checks again.
   */
  *#waitForRoom(need: number): Steps<void> {
    const w = this.#w;
    Atomics.store(w, ROOM_WANTED, Math.max(need, this.#capacity >>> 2));
    const used = Atomics.load(w, USED);
    if (this.#capacity - used >= need) return;
    // A reader that gave up on this message broke the queue: nobody will make room any more.
    throwIfBroken(w);
    Atomics.add(w, ROOM_SLEEPERS, 1);
    try {
      yield { op: 'futex', view: w, index: USED, expected: used, timeout: null };
    } finally {
      Atomics.sub(w, ROOM_SLEEPERS, 1);
    }
  }

  #copyIn(src: Uint8Array, from: number, n: number): void {
    const w = this.#w;
    const tail = Atomics.load(w, TAIL);
    const first = Math.min(n, this.#capacity - tail);
    this.#ring.set(src.subarray(from, from + first), tail);
    if (n > first) this.#ring.set(src.subarray(from + first, from + n), 0);
    Atomics.store(w, TAIL, (tail + n) % this.#capacity);
    Atomics.add(w, USED, n);
    if (Atomics.load(w, USED_SLEEPERS) > 0) wake(w, USED, ALL);
  }

  // ---- consumers ----------------------------------------------------------------------------

  /**
   * Claims the next message without waiting: false if none is there or another consumer is
   * reading. After true this consumer holds the read lock: `readNow` or `finishRead` must follow.
   */
  tryClaimNow(): boolean {
    const w = this.#w;
    if (Atomics.load(w, COUNT) === 0 || Atomics.load(w, BROKEN) !== 0) return false;
    if (Atomics.compareExchange(w, RLOCK, 0, 1) !== 0) return false;
    if (this.#takeCount()) return true;
    unlockAll(w, RLOCK);
    return false;
  }

  /** Under the read lock: takes one begun message from COUNT (false if none) and frees its slot. */
  #takeCount(): boolean {
    const w = this.#w;
    let count = Atomics.load(w, COUNT);
    while (count > 0) {
      const seen = Atomics.compareExchange(w, COUNT, count, count - 1);
      if (seen === count) {
        Atomics.sub(w, ACCEPTED, 1);
        this.#releaseSlot();
        return true;
      }
      count = seen;
    }
    return false;
  }

  /**
   * Reads the claimed message if it is entirely in the ring, and releases the read lock; null if
   * its writer is still streaming it (the read lock is kept: `finishRead` must follow). A message
   * whose kind is in the bitmask `scratchKinds` (bit 1 << kind) and that fits the scratch buffer
   * is read into it: its body is then valid only until this process's next read.
   */
  readNow(scratchKinds = 0): Message | null {
    const w = this.#w;
    const used = Atomics.load(w, USED);
    if (used < HEADER) return null;
    const capacity = this.#capacity;
    const ring = this.#ring;
    const head = Atomics.load(w, HEAD);
    const length = (ring[head]! | (ring[(head + 1) % capacity]! << 8) | (ring[(head + 2) % capacity]! << 16)) + ring[(head + 3) % capacity]! * 0x1000000;
    const kind = ring[(head + 4) % capacity]!;
    if (used < HEADER + length) return null;
    let at = head + HEADER;
    if (at >= capacity) at -= capacity;
    const body = (scratchKinds >>> kind) & 1 && length <= SCRATCH_BYTES ? scratch.subarray(0, length) : bodyOf(length);
    const first = Math.min(length, capacity - at);
    if (length <= 16) {
      for (let i = 0; i < first; i++) body[i] = ring[at + i]!;
      for (let i = first; i < length; i++) body[i] = ring[i - first]!;
    } else {
      body.set(ring.subarray(at, at + first));
      if (length > first) body.set(ring.subarray(0, length - first), first);
    }
    const n = HEADER + length;
    Atomics.store(w, HEAD, (head + n) % capacity);
    this.#freed(n);
    unlockAll(w, RLOCK);
    return { kind, body };
  }

  /**
   * Gives `n` read bytes back to the ring, and wakes a writer waiting for room when the free part
   * grows past what it waits for (see #waitForRoom): while it waits it holds the write lock, so
   * the free part only grows, and passes that mark once.
   */
  #freed(n: number): void {
    const w = this.#w;
    const freeBefore = this.#capacity - Atomics.sub(w, USED, n);
    if (Atomics.load(w, ROOM_SLEEPERS) > 0) {
      const wanted = Atomics.load(w, ROOM_WANTED);
      if (freeBefore < wanted && freeBefore + n >= wanted) wake(w, USED, ALL);
    }
  }

  /**
   * Claims the next message: waits (holding nothing) until one is there, then takes the read lock
   * and the message. Returns false if the deadline passes first. After true, `finishRead` must run.
   */
  *claim(timeout: number | null, signal: AbortSignal | undefined): Steps<boolean> {
    const w = this.#w;
    const deadline = new Deadline(timeout);
    let spun = false;
    for (;;) {
      throwIfBroken(w);
      if (Atomics.load(w, COUNT) === 0) {
        const left = deadline.remaining();
        if (left === 0) return false;
        if (!spun) {
          // A producer on another CPU may be about to put one: look again for a moment before
          // sleeping (waking a sleeper costs both sides far more). Either way, look again (the
          // deadline too: an async spin takes turns of the event loop).
          spun = true;
          yield { op: 'spin', view: w, index: COUNT, expected: 0, timeout: left };
          continue;
        }
        Atomics.add(w, COUNT_SLEEPERS, 1);
        try {
          yield { op: 'futex', view: w, index: COUNT, expected: 0, timeout: left };
        } finally {
          Atomics.sub(w, COUNT_SLEEPERS, 1);
        }
        continue;
      }
      const locked = (yield lockStep(w, RLOCK, deadline.remaining(), signal)) as boolean;
      if (!locked) return false;
      if (Atomics.load(w, BROKEN) !== 0) {
        unlockAll(w, RLOCK);
        continue;
      }
      if (this.#takeCount()) return true;
      // Another consumer took it between the check and the lock.
      unlockAll(w, RLOCK);
    }
  }

  /**
   * Reads the claimed message (waiting for its writer to stream the rest) and releases the read lock.
   *
   * With a `timeout` (ms, the caller's time left), it waits for the rest while the writer makes
   * progress; once the deadline has passed and the writer has written nothing for STALL_MS (or
   * `stall`, if longer), it gives up: the part already read cannot be put back, so the queue is
   * marked broken (every later call on it, in any process, throws the error this throws) and
   * every sleeper is woken to see it. Its writer was most likely killed mid-message, leaving the
   * write lock held: without this, the reader would wait forever holding the read lock.
   */
  *finishRead(timeout: number | null = null, stall = 0): Steps<Message> {
    const patience: Patience = { deadline: new Deadline(timeout), stall: Math.max(stall, STALL_MS), progress: performance.now() };
    try {
      const header = new Uint8Array(HEADER);
      yield* this.#read(header, patience);
      const body = bodyOf(new DataView(header.buffer).getUint32(0, true));
      yield* this.#read(body, patience);
      return { kind: header[4]!, body };
    } finally {
      unlockAll(this.#w, RLOCK);
    }
  }

  *#read(into: Uint8Array, patience: Patience): Steps<void> {
    const w = this.#w;
    let done = 0;
    while (done < into.length) {
      const used = Atomics.load(w, USED);
      if (used === 0) {
        const left = patience.deadline.remaining();
        let wait: number | null = null;
        if (left !== null) {
          const now = performance.now();
          wait = Math.max(left, patience.progress + patience.stall - now);
          if (wait <= 0) throw this.#giveUpMidMessage();
        }
        Atomics.add(w, USED_SLEEPERS, 1);
        try {
          yield { op: 'futex', view: w, index: USED, expected: 0, timeout: wait };
        } finally {
          Atomics.sub(w, USED_SLEEPERS, 1);
        }
        continue;
      }
      patience.progress = performance.now();
      const n = Math.min(used, into.length - done, this.#chunk);
      const head = Atomics.load(w, HEAD);
      const first = Math.min(n, this.#capacity - head);
      into.set(this.#ring.subarray(head, head + first), done);
      if (n > first) into.set(this.#ring.subarray(0, n - first), done + first);
      Atomics.store(w, HEAD, (head + n) % this.#capacity);
      done += n;
      this.#freed(n);
    }
  }

  /**
   * Marks the queue broken after a reader gave up in the middle of a message (see finishRead),
   * wakes whoever sleeps on it so they see it, and returns the error to throw.
   */
  #giveUpMidMessage(): ProcessError {
    const w = this.#w;
    const writer = Atomics.load(w, WRITER);
    Atomics.compareExchange(w, BROKEN, 0, processGone(writer) ? WRITER_GONE : WRITER_STALLED);
    for (const index of [COUNT, SLOTS, USED, WLOCK, UNFINISHED]) wake(w, index, ALL);
    return brokenError(Atomics.load(w, BROKEN), Atomics.load(w, WRITER));
  }

  // ---- JoinableQueue ------------------------------------------------------------------------

  /** One item done; false if none was unfinished. */
  taskDone(): boolean {
    const w = this.#w;
    let value = Atomics.load(w, UNFINISHED);
    for (;;) {
      if (value <= 0) return false;
      const seen = Atomics.compareExchange(w, UNFINISHED, value, value - 1);
      if (seen === value) break;
      value = seen;
    }
    if (value === 1) wake(w, UNFINISHED, ALL);
    return true;
  }

  /** Waits until every item put had its taskDone(). */
  *join(timeout: number | null): Steps<boolean> {
    const w = this.#w;
    const deadline = new Deadline(timeout);
    for (;;) {
      const value = Atomics.load(w, UNFINISHED);
      if (value === 0) return true;
      const left = deadline.remaining();
      if (left === 0) return false;
      yield { op: 'futex', view: w, index: UNFINISHED, expected: value, timeout: left };
    }
  }
}
