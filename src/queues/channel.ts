/**
 * The transport under `Queue`, `SimpleQueue` and `JoinableQueue`: a ring of bytes in shared memory
 * holding length-prefixed messages, shared by every process and thread that has the queue.
 *
 * Producers take the write lock for a whole message, consumers the read lock for a whole message,
 * so the chunks of one message are never interleaved with another's; a message larger than the
 * ring streams through it (the reader drains while the writer fills). Per-producer order is kept
 * and every message is read exactly once.
 *
 * Waiting holds nothing: a consumer waiting for a message (or a producer waiting for a free slot)
 * holds no lock, so one killed while it waits does not stop the others. A process killed in the
 * middle of writing or reading a message leaves the queue unusable (as CPython's queues are when a
 * process dies holding their locks).
 */
import { kReduce, type Destination } from '../serialize/codec.js';
import { allocate, attachBlock, blockHandle, words, type Block, type BlockHandle } from '../shared/heap.js';
import { Segment, type SegmentHandle } from '../shared/segment.js';
import { Deadline, wake } from '../synchronize/futex.js';
import { lockAsync, lockSync } from '../synchronize/mutex.js';
import type { Step, Steps } from '../synchronize/steps.js';

const WLOCK = 0; // mutex: the producer writing a message
const RLOCK = 1; // mutex: the consumer reading a message
const HEAD = 2; // next byte to read (under RLOCK)
const TAIL = 3; // next byte to write (under WLOCK)
const USED = 4; // bytes in the ring
const USED_SLEEPERS = 5; // the writer and/or reader waiting on USED
const COUNT = 6; // messages begun and not yet claimed by a reader
const COUNT_SLEEPERS = 7; // consumers waiting on COUNT
const SLOTS = 8; // free item slots (bounded queues)
const SLOT_SLEEPERS = 9; // producers waiting on SLOTS
const UNFINISHED = 10; // JoinableQueue: items put and not yet taskDone()
const ACCEPTED = 11; // items put (some may wait in their producer's outbox) and not yet claimed
const WORDS = 12;

const ALL = 0x7fffffff;
const HEADER = 4;

/** The ring's size: enough for many small messages; larger ones stream through it. */
export const RING_BYTES = 256 * 1024;

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

  /** Waits (holding nothing) until a message is there to claim. */
  *waitReadable(): Steps<void> {
    const w = this.#w;
    while (Atomics.load(w, COUNT) === 0) {
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

  #releaseSlot(): void {
    if (this.maxsize <= 0) return;
    Atomics.add(this.#w, SLOTS, 1);
    if (Atomics.load(this.#w, SLOT_SLEEPERS) > 0) wake(this.#w, SLOTS, ALL);
  }

  /** Takes a free slot (bounded queues); false if the deadline passes first. Holds nothing while it waits. */
  *takeSlot(timeout: number | null): Steps<boolean> {
    const w = this.#w;
    if (this.maxsize <= 0 || this.#tryTakeSlot()) return true;
    const deadline = new Deadline(timeout);
    for (;;) {
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
  tryWriteNow(bytes: Uint8Array): boolean {
    const w = this.#w;
    if (Atomics.compareExchange(w, WLOCK, 0, 1) !== 0) return false;
    if (this.#capacity - Atomics.load(w, USED) < HEADER + bytes.length) {
      unlockAll(w, WLOCK);
      return false;
    }
    this.#writeHeader(bytes.length);
    this.#copyIn(bytes, 0, bytes.length);
    this.#begun();
    unlockAll(w, WLOCK);
    return true;
  }

  #writeHeader(length: number): void {
    const header = new Uint8Array(HEADER);
    new DataView(header.buffer).setUint32(0, length, true);
    this.#copyIn(header, 0, HEADER);
  }

  #begun(): void {
    const w = this.#w;
    Atomics.add(w, COUNT, 1);
    if (Atomics.load(w, COUNT_SLEEPERS) > 0) wake(w, COUNT, ALL);
  }

  /**
   * Begins a message: takes the write lock, writes the header and as much of the body as fits
   * (readers may start on it). Returns how many body bytes are in; `finishWrite` must follow.
   */
  *beginWrite(bytes: Uint8Array): Steps<number> {
    const w = this.#w;
    yield* lockWaits(w, WLOCK);
    while (this.#capacity - Atomics.load(w, USED) < HEADER) {
      const used = Atomics.load(w, USED);
      Atomics.add(w, USED_SLEEPERS, 1);
      try {
        yield { op: 'futex', view: w, index: USED, expected: used, timeout: null };
      } finally {
        Atomics.sub(w, USED_SLEEPERS, 1);
      }
    }
    this.#writeHeader(bytes.length);
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
        Atomics.add(w, USED_SLEEPERS, 1);
        try {
          yield { op: 'futex', view: w, index: USED, expected: used, timeout: null };
        } finally {
          Atomics.sub(w, USED_SLEEPERS, 1);
        }
        continue;
      }
      const n = Math.min(free, bytes.length - done);
      this.#copyIn(bytes, done, n);
      done += n;
    }
    unlockAll(w, WLOCK);
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
   * Claims the next message: waits (holding nothing) until one is there, then takes the read lock
   * and the message. Returns false if the deadline passes first. After true, `finishRead` must run.
   */
  *claim(timeout: number | null, signal: AbortSignal | undefined): Steps<boolean> {
    const w = this.#w;
    const deadline = new Deadline(timeout);
    for (;;) {
      if (Atomics.load(w, COUNT) === 0) {
        const left = deadline.remaining();
        if (left === 0) return false;
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
      // Another consumer took it between the check and the lock.
      unlockAll(w, RLOCK);
    }
  }

  /** Reads the claimed message (waiting for its writer to stream the rest) and releases the read lock. */
  *finishRead(): Steps<Uint8Array> {
    try {
      const header = new Uint8Array(HEADER);
      yield* this.#read(header);
      const body = new Uint8Array(new DataView(header.buffer).getUint32(0, true));
      yield* this.#read(body);
      return body;
    } finally {
      unlockAll(this.#w, RLOCK);
    }
  }

  *#read(into: Uint8Array): Steps<void> {
    const w = this.#w;
    let done = 0;
    while (done < into.length) {
      const used = Atomics.load(w, USED);
      if (used === 0) {
        Atomics.add(w, USED_SLEEPERS, 1);
        try {
          yield { op: 'futex', view: w, index: USED, expected: 0, timeout: null };
        } finally {
          Atomics.sub(w, USED_SLEEPERS, 1);
        }
        continue;
      }
      const n = Math.min(used, into.length - done);
      const head = Atomics.load(w, HEAD);
      const first = Math.min(n, this.#capacity - head);
      into.set(this.#ring.subarray(head, head + first), done);
      if (n > first) into.set(this.#ring.subarray(0, n - first), done + first);
      Atomics.store(w, HEAD, (head + n) % this.#capacity);
      done += n;
      Atomics.sub(w, USED, n);
      if (Atomics.load(w, USED_SLEEPERS) > 0) wake(w, USED, ALL);
    }
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
