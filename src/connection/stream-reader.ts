/**
 * The read side of a Connection's socket (CPython's `Connection._recv_bytes` and below): bytes
 * buffered as they arrive, read slabs the socket reads into, messages read straight from the
 * kernel into a buffer of their size, and the blocking reads of the `...Sync` twins.
 *
 * This is the one module that relies on Node internals: the socket's `_handle` (its fd, and
 * `readStart()`/`readStop()` with the `reading` flag, so bytes nobody waits for stay in the
 * kernel for whoever reads next) and the `onread` socket option. Checked on Node 20; a Node that
 * lacks them still works, reading through the stream only (see `handleOf`, `nativeFd`).
 */
import { nodeNet } from '../internal/builtins.js';
import type { Socket } from 'node:net';
import { EOFError, ProcessError } from '../errors.js';
import { onAbort } from '../internal/abort.js';
import { abortError } from '../errors.js';
import { hasNative, native } from '../internal/native.js';
import { spinUntil, spinUntilAsync } from '../internal/spin.js';
import { encodeHeader, parseHeader } from './framing.js';
import { PortSocket, type SyncByteSource } from './port-socket.js';

/**
 * Messages from DIRECT_READ bytes up to DIRECT_READ_MAX are read straight into one buffer of
 * their size; bigger ones (or a bogus header) gather their chunks as they come, before any
 * allocation of the whole size.
 */
const DIRECT_READ = 65536;
const DIRECT_READ_MAX = 64 * 1024 * 1024;
/** Room for one read of the blocking twins (reused: only what arrived is copied out). */
const SYNC_READ_SIZE = 65536;

type Notify = () => void;

/**
 * A socket made here reads into buffers its Connection hands out (`onread`), not into a fresh
 * 64 KiB buffer per read: reads of up to READ_SLAB bytes, so a run of 64 KiB messages arrives a
 * dozen at a time, each whole in one read (no copy into a buffer of its size).
 */
const READ_SLAB = 1024 * 1024;
/** A new slab once less than this is left of the current one. */
const READ_MIN = 65536;

interface ReadSink {
  /** The room for the socket's next read. */
  room(): Uint8Array;
  /** `n` bytes were read into `room`. */
  received(n: number, room: Uint8Array): void;
}

const kReadBox = Symbol('mp.readBox');

/** The reader of a socket made here (bytes read before it took over wait in `early`). */
interface ReadBox {
  sink: ReadSink | undefined;
  early: Buffer[];
}

function readOption(box: ReadBox): { buffer: () => Uint8Array; callback: (n: number, room: Uint8Array) => void } {
  return {
    buffer: () => (box.sink !== undefined ? box.sink.room() : Buffer.allocUnsafe(READ_MIN)),
    callback: (n, room) => {
      if (box.sink !== undefined) box.sink.received(n, room);
      else box.early.push(Buffer.from(room.subarray(0, n)));
    },
  };
}

/**
 * Socket options that make a socket read into its Connection's buffers, and a function that
 * marks the socket made with them (for the Connection to find).
 * @internal
 */
export function ownedReads(): { onread: ReturnType<typeof readOption>; mark: (socket: Socket) => Socket } {
  const box: ReadBox = { sink: undefined, early: [] };
  const mark = (socket: Socket): Socket => {
    (socket as unknown as { [kReadBox]: ReadBox })[kReadBox] = box;
    return socket;
  };
  return { onread: readOption(box), mark };
}

/** @internal A socket over fd that does not read until asked (so no byte is taken before a recv). */
export function socketFromFd(fd: number, allowHalfOpen = true): Socket {
  const { onread, mark } = ownedReads();
  const options = { fd, readable: true, writable: true, allowHalfOpen, pauseOnCreate: true, onread };
  return mark(new (nodeNet().Socket)(options as ConstructorParameters<typeof Socket>[0]));
}

/**
 * The buffer for a whole message of `length` bytes. When the memory is not there (an
 * address-space limit), the read fails with a ProcessError saying so; callers allocate before
 * they take any byte, so the message stays unread and the stream keeps its place.
 */
function messageBuffer(length: number): Buffer {
  try {
    return Buffer.allocUnsafe(length);
  } catch (error) {
    throw noRoomError(length, error);
  }
}

/** `parts` joined into one buffer of `length` bytes (see messageBuffer for a failure). */
function joinMessage(parts: Buffer[], length: number): Buffer {
  try {
    return Buffer.concat(parts, length);
  } catch (error) {
    throw noRoomError(length, error);
  }
}

function noRoomError(length: number, cause: unknown): ProcessError {
  return new ProcessError(
    `cannot allocate ${length} bytes for the next message (${(cause as Error).message}); it stays unread, for a later read to try again`,
    { cause },
  );
}

interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStart?(): number;
  readStop?(): number;
}

function handleOf(socket: Socket | PortSocket): StreamHandle | undefined {
  return (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
}

/** The socket's file descriptor, or -1 when it has none. */
export function socketFd(socket: Socket | PortSocket): number {
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** The socket's fd where the addon can use it directly (its fast and blocking paths), else undefined. */
export function nativeFd(socket: Socket | PortSocket): number | undefined {
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 && hasNative() ? fd : undefined;
}

/** Blocking reads on a socket's fd, through the addon. */
class FdSource implements SyncByteSource {
  constructor(readonly fd: number) {}

  readInto(into: Uint8Array, offset: number, length: number, timeoutMs: number): number {
    return native().readFd(this.fd, into, offset, length, timeoutMs);
  }

  pollReadable(timeoutMs: number): boolean {
    return native().pollReadable(this.fd, timeoutMs);
  }
}

export function closedError(): ProcessError {
  return new ProcessError('handle is closed');
}

/** What the reader asks of the Connection it reads for. */
export interface ReaderOwner {
  /** Whether close() was called. */
  isClosed(): boolean;
  /** Throws unless the connection is open and readable. */
  checkReadable(): void;
  /** A message longer than a read allows: the owner stops reading and throws. */
  badMessageLength(): never;
}

interface Header {
  headerSize: number;
  length: number;
}

/**
 * Reads whole messages from a socket (or a Pipe end between threads). It reads from the socket
 * only while someone waits for bytes: the bytes of messages nobody asked for stay in the kernel.
 */
export class StreamReader {
  readonly #socket: Socket | PortSocket;
  readonly #owner: ReaderOwner;

  /** Bytes received and not yet consumed, oldest first. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The peer closed its end (or the socket failed): no more bytes will come. */
  #eof = false;
  /** Callbacks waiting for bytes, EOF or close. */
  readonly #notify = new Set<Notify>();
  /** Reads run one after another, so concurrent reads take messages in call order. */
  #readChain: Promise<unknown> = Promise.resolve();
  #queuedReads = 0;
  /** Waits holding the socket reading. */
  #pendingCount = 0;
  /** See Connection's kQuietReads. */
  #quietReads = false;
  #releaseTimer: NodeJS.Immediate | undefined;

  /** The slab the socket reads into (a socket made here), and where its unread room starts. */
  #slab: Buffer | undefined;
  #slabAt = 0;
  /** The last direct read found nothing in the kernel. */
  #directMissed = false;
  /** The last message read was smaller than DIRECT_READ. */
  #lastSmall = false;
  /** Room for a header read straight from the kernel. */
  #headRoom: Buffer | undefined;
  #fdSource: FdSource | undefined;
  /** Room for the blocking twins' reads, reused. */
  #room: Buffer | undefined;

  constructor(socket: Socket | PortSocket, owner: ReaderOwner) {
    this.#socket = socket;
    this.#owner = owner;
    const box = (socket as unknown as { [kReadBox]?: ReadBox })[kReadBox];
    if (box !== undefined) {
      for (const chunk of box.early.splice(0)) this.#push(chunk);
      box.sink = { room: () => this.#readRoom(), received: (n, room) => this.#received(n, room) };
    }
    socket.on('data', (chunk: Buffer) => {
      this.#push(chunk);
      this.#wake();
    });
    const ended = (): void => {
      this.#eof = true;
      this.#wake();
    };
    socket.on('end', ended);
    socket.on('error', ended);
    socket.on('close', ended);
    this.#pending(0);
  }

  /**
   * Whether a read or poll is pending or queued: a blocking read, or a handover of the socket,
   * would race it. (Lets go of a finished read's deferred hold first.)
   */
  isBusy(): boolean {
    this.#releaseNow();
    return this.#pendingCount > 0 || this.#queuedReads > 0;
  }

  /** Drops what was buffered and wakes every waiter (the connection is closed). */
  clear(): void {
    this.#chunks = [];
    this.#buffered = 0;
    this.#wake();
  }

  /** Hands over the bytes read ahead (the end moves to another thread). */
  takeBuffered(): Buffer[] {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    return chunks;
  }

  /** Puts a whole message back in front, for the next read. */
  unshiftMessage(message: Buffer): void {
    this.#unshiftBytes(message);
    this.#unshiftBytes(encodeHeader(message.length));
  }

  setQuiet(quiet: boolean): void {
    this.#quietReads = quiet;
    if (quiet) this.#socket.unref();
    else if (this.#pendingCount > 0 && !this.#socket.destroyed) this.#socket.ref();
  }

  /**
   * The next message if it is buffered here whole already, else null: no read from the kernel,
   * no wait (a reader that drains a burst of messages without a turn of the event loop each).
   */
  nextBuffered(): Buffer | null {
    // A read pending elsewhere comes first; the hold a finished read keeps until the end of this
    // turn stays (releasing it would stop and restart the socket's reading between messages).
    const deferredHold = this.#releaseTimer !== undefined ? 1 : 0;
    if (this.#pendingCount > deferredHold || this.#queuedReads > 0) return null;
    const header = this.#header(undefined);
    if (header && this.#buffered >= header.headerSize + header.length) return this.#take(header.headerSize, header.length);
    return null;
  }

  /** Whether a message (or the end of the stream) can be read now, without waiting. */
  isReady(): boolean {
    if (this.#buffered > 0 || this.#eof || this.#socket.readableLength > 0) return true;
    // Bytes (or EOF) still in the kernel (or the port) count too.
    const source = this.#source();
    if (source === null) return false;
    try {
      return source.pollReadable(0);
    } catch {
      return false;
    }
  }

  /** Like isReady, blocking the calling thread up to `timeout` ms (null: as long as it takes). */
  pollSync(timeout: number | null): boolean {
    // A read's hold, kept for a recv that follows at once, would leave its watch armed.
    this.#releaseNow();
    if (this.isReady()) return true;
    const source = this.#source();
    if (source === null) throw new ProcessError('this connection has no file descriptor to block on');
    return source.pollReadable(timeout === null ? -1 : timeout);
  }

  // ---------------------------------------------------------------- async reads

  /** Runs `read` after the reads queued before it (concurrent reads take messages in call order). */
  serial<T>(read: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    // No read in progress: start this one now (no extra turn through the chain).
    const idle = this.#queuedReads === 0;
    this.#queuedReads += 1;
    const result = idle ? read() : this.#readChain.then(read, read);
    const settled = (): void => {
      this.#queuedReads -= 1;
    };
    this.#readChain = result.then(settled, settled);
    if (idle || signal === undefined) return result;
    // Queued behind another read: reject at once on abort; when its turn comes, the read sees
    // the abort before it takes anything.
    return new Promise<T>((resolve, reject) => {
      const unwatch = onAbort(signal, () => reject(abortError(signal)));
      result.then(
        (value) => {
          unwatch();
          resolve(value);
        },
        (error: unknown) => {
          unwatch();
          reject(error);
        },
      );
    });
  }

  /** Whether bytes or EOF are here within `timeout`; `forWait`: for wait(), which stops it with `signal` and never throws. */
  async pollReady(timeout: number | null, signal: AbortSignal | undefined, forWait = false): Promise<boolean> {
    const ready = (): boolean => this.#owner.isClosed() || this.#buffered > 0 || this.#eof;
    if (ready()) return true;
    if (timeout === 0 && signal === undefined) return this.isReady();
    const stop = new AbortController();
    const stopNow = (): void => stop.abort();
    const unwatch = signal && onAbort(signal, stopNow);
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== null) {
      if (timeout === 0) {
        // Give the socket one turn of the event loop to pick up what the kernel holds.
        setImmediate(() => setImmediate(stopNow));
      } else {
        timer = setTimeout(stopNow, timeout);
      }
    }
    try {
      while (!ready() && !stop.signal.aborted) await this.#more(stop.signal);
    } finally {
      clearTimeout(timer);
      unwatch?.();
    }
    if (this.#owner.isClosed() && !forWait) throw closedError();
    return ready();
  }

  /** The next whole message (a message longer than `maxLength` is refused through the owner). */
  async readMessage(maxLength: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
    if (signal?.aborted) throw abortError(signal);
    const frame = this.#frame(maxLength);
    if (frame) return this.#take(frame.headerSize, frame.length);
    // After a direct read found nothing, the socket (still reading from the previous message)
    // picks up the next one: no read that is likely to fail first (small messages only; large
    // ones are read straight into place whenever the kernel has them).
    const direct = this.#directMissed && this.#lastSmall && handleOf(this.#socket)?.reading === true ? null : this.#tryDirect(maxLength);
    if (direct !== null && !('target' in direct)) return direct;
    if (direct === null) {
      // What the kernel gave (a partial message, or EOF) is buffered or flagged now.
      const again = this.#frame(maxLength);
      if (again) return this.#take(again.headerSize, again.length);
    }
    // The socket keeps reading until the whole message is here (not stopped after each chunk).
    this.#pending(1);
    try {
      if (direct !== null) return await this.#fillLarge(direct.target, direct.filled, signal);
      for (;;) {
        await this.#more(signal, false);
        // Nothing is taken until a whole message is here: an abort leaves the bytes buffered.
        if (signal?.aborted) throw abortError(signal);
        const header = this.#header(maxLength);
        if (header && this.#buffered >= header.headerSize + header.length) return this.#take(header.headerSize, header.length);
        if (header && header.length >= DIRECT_READ && header.length <= DIRECT_READ_MAX) return await this.#readLarge(header, signal);
        this.#checkEof();
      }
    } finally {
      this.#releaseSoon();
    }
  }

  #push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  #readRoom(): Uint8Array {
    if (this.#slab === undefined || this.#slab.length - this.#slabAt < READ_MIN) {
      // The old slab stays alive only through the messages still viewing it.
      this.#slab = Buffer.allocUnsafeSlow(READ_SLAB);
      this.#slabAt = 0;
    }
    return this.#slab.subarray(this.#slabAt);
  }

  #received(n: number, room: Uint8Array): void {
    const slab = this.#slab;
    let chunk: Buffer;
    if (slab !== undefined && room.buffer === slab.buffer && room.byteOffset === slab.byteOffset + this.#slabAt) {
      // Later rooms start past these bytes: the chunk is a view, never overwritten.
      chunk = slab.subarray(this.#slabAt, this.#slabAt + n);
      this.#slabAt += n;
    } else {
      chunk = Buffer.from(room.subarray(0, n));
    }
    this.#push(chunk);
    this.#wake();
  }

  #wake(): void {
    const waiting = [...this.#notify];
    this.#notify.clear();
    for (const notify of waiting) notify();
  }

  /**
   * Resolves on the next arrival of bytes, EOF or close (the socket reads meanwhile). With
   * `hold` false the caller already keeps the socket reading (across a whole message).
   */
  #more(signal?: AbortSignal, hold = true): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        this.#notify.delete(done);
        unwatch?.();
        if (hold) this.#pending(-1);
        resolve();
      };
      this.#notify.add(done);
      const unwatch = signal && onAbort(signal, done);
      if (hold) this.#pending(1);
      // A peer that answers within the spin window is read on a turn of a loop that polls
      // instead of sleeping (spin.ts): no wake-up of this thread. The loop goes on meanwhile.
      void spinUntilAsync(() => settled, null, signal);
    });
  }

  /** Reads from the socket only while someone waits for bytes. */
  #pending(delta: number): void {
    this.#pendingCount += delta;
    const socket = this.#socket;
    if (socket.destroyed) return;
    const handle = handleOf(socket);
    if (this.#pendingCount > 0) {
      if (!this.#quietReads) socket.ref();
      socket.resume();
      // Undo a stop below (the stream may not ask the handle again by itself).
      if (handle && handle.reading === false && typeof handle.readStart === 'function' && !socket.connecting) {
        handle.reading = true;
        handle.readStart();
      }
    } else {
      socket.pause();
      socket.unref();
      // Stop taking bytes from the kernel: they stay there for whoever reads next (this
      // connection later, or a process it was handed to).
      if (handle && handle.reading === true && typeof handle.readStop === 'function') {
        handle.reading = false;
        handle.readStop();
      }
    }
  }

  /**
   * Lets go of a message read's hold on the socket at the end of this turn of the event loop,
   * so a recv that follows at once (the usual loop) finds the socket still reading.
   */
  #releaseSoon(): void {
    if (this.#releaseTimer !== undefined) {
      this.#pending(-1);
      return;
    }
    this.#releaseTimer = setImmediate(() => this.#releaseNow());
  }

  /** Lets go of a deferred hold at once (a blocking read is about to use the fd). */
  #releaseNow(): void {
    if (this.#releaseTimer === undefined) return;
    clearImmediate(this.#releaseTimer);
    this.#releaseTimer = undefined;
    this.#pending(-1);
  }

  /** The first `count` buffered bytes as one Buffer (merging only the chunks they span). */
  #peek(count: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= count) return first;
    let spanned = 0;
    let size = 0;
    while (size < count && spanned < this.#chunks.length) size += this.#chunks[spanned++]!.length;
    const merged = Buffer.concat(this.#chunks.slice(0, spanned), size);
    this.#chunks.splice(0, spanned, merged);
    return merged;
  }

  /** Removes and returns `count` bytes after skipping `skip` bytes. */
  #take(skip: number, count: number): Buffer {
    const total = skip + count;
    const first = this.#chunks[0]!;
    let whole: Buffer;
    if (first.length >= total) {
      whole = first.length === total ? first : first.subarray(0, total);
      if (first.length === total) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(total);
    } else {
      let spanned = 0;
      let size = 0;
      while (size < total) size += this.#chunks[spanned++]!.length;
      const last = this.#chunks[spanned - 1]!;
      const over = size - total;
      const parts = this.#chunks.slice(0, spanned);
      parts[spanned - 1] = last.subarray(0, last.length - over);
      // Joined before anything is removed: if the memory for the whole message is not there, the
      // bytes stay buffered and the next read starts at the same header.
      whole = joinMessage(parts, total);
      if (over > 0) this.#chunks.splice(0, spanned, last.subarray(last.length - over));
      else this.#chunks.splice(0, spanned);
    }
    this.#buffered -= total;
    this.#lastSmall = count < DIRECT_READ;
    // A small message does not keep a whole read slab alive: it gets its own copy.
    if (count < DIRECT_READ && whole.buffer.byteLength === READ_SLAB) return Buffer.from(whole.subarray(skip));
    return whole.subarray(skip);
  }

  /** Drops `skip` buffered bytes, then moves up to `target.length - at` more into `target` at `at`; returns how many moved. */
  #takeInto(skip: number, target: Buffer, at: number): number {
    let moved = 0;
    while (this.#chunks.length > 0 && (skip > 0 || at + moved < target.length)) {
      let chunk = this.#chunks[0]!;
      if (skip > 0) {
        const dropped = Math.min(skip, chunk.length);
        skip -= dropped;
        this.#buffered -= dropped;
        chunk = chunk.subarray(dropped);
        if (chunk.length === 0) {
          this.#chunks.shift();
          continue;
        }
        this.#chunks[0] = chunk;
        if (skip > 0) continue;
      }
      const n = Math.min(chunk.length, target.length - at - moved);
      chunk.copy(target, at + moved, 0, n);
      moved += n;
      this.#buffered -= n;
      if (n === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(n);
    }
    return moved;
  }

  /** The next message's header, if its bytes are buffered (checking `maxLength`). */
  #header(maxLength: number | undefined): Header | null {
    this.#owner.checkReadable();
    if (this.#buffered === 0) return null;
    const header = parseHeader(this.#peek(Math.min(12, this.#buffered)));
    if (header.kind !== 'header') return null;
    if (maxLength !== undefined && header.length > maxLength) this.#owner.badMessageLength();
    return header;
  }

  #checkEof(): void {
    if (this.#eof) {
      if (this.#buffered === 0) throw new EOFError('the other end of the connection was closed');
      throw new ProcessError('got end of file during message');
    }
  }

  /** Where the next whole message lies in the buffer, or null if more bytes are needed. */
  #frame(maxLength: number | undefined): Header | null {
    const header = this.#header(maxLength);
    if (header && this.#buffered >= header.headerSize + header.length) return header;
    this.#checkEof();
    return null;
  }

  /**
   * Reads a large message straight into one buffer: the bytes already here are copied once, the
   * rest is read from the kernel into place whenever it has some (the socket fills in otherwise).
   */
  #readLarge(header: Header, signal: AbortSignal | undefined): Promise<Buffer> {
    const target = messageBuffer(header.length);
    return this.#fillLarge(target, this.#takeInto(header.headerSize, target, 0), signal);
  }

  async #fillLarge(target: Buffer, filled: number, signal: AbortSignal | undefined): Promise<Buffer> {
    while (filled < target.length) {
      filled += this.#readDirect(target, filled, false);
      if (filled === target.length) break;
      if (this.#owner.isClosed()) throw closedError();
      if (this.#eof) throw new ProcessError('got end of file during message');
      await this.#more(signal, false);
      filled += this.#takeInto(0, target, filled);
      if (signal?.aborted && filled < target.length) {
        // Put the part read so far back, header first, so the next read gets the whole message.
        this.#unshiftBytes(Buffer.concat([encodeHeader(target.length), target.subarray(0, filled)]));
        throw abortError(signal);
      }
    }
    return target;
  }

  /**
   * With nothing buffered, reads the next message straight from the kernel as CPython does
   * (the header, then the body into a buffer of its size): no socket read, no extra copy.
   * Returns the message; or a large one's buffer and how much of it is filled; or null when
   * the kernel has no whole header yet (what was read is buffered for the usual path).
   */
  #tryDirect(maxLength: number | undefined, waitMs = 0): Buffer | { target: Buffer; filled: number } | null {
    const socket = this.#socket;
    if (this.#buffered !== 0 || this.#eof || socket.readableLength > 0) return null;
    const source = this.#source();
    if (source === null) return null;
    const head = (this.#headRoom ??= Buffer.allocUnsafeSlow(4));
    const n = this.#readNow(source, head, 0, 4, waitMs);
    this.#directMissed = n === 0;
    if (n <= 0) return null;
    const short = n === 4 ? head.readInt32BE(0) : -1;
    if (n < 4 || short === -1) {
      // A partial header, or the 12-byte form: the usual path takes it from here.
      this.#unshiftBytes(Buffer.from(head.subarray(0, n)));
      return null;
    }
    const length = short < 0 ? 0 : short;
    this.#lastSmall = length < DIRECT_READ;
    if (maxLength !== undefined && length > maxLength) {
      this.#unshiftBytes(Buffer.from(head));
      this.#owner.badMessageLength();
    }
    if (length === 0) return Buffer.alloc(0);
    if (length > DIRECT_READ_MAX) {
      // Past the direct range (or a bogus header): the usual path gathers the body as it comes,
      // so memory grows only with the bytes that really arrive.
      this.#unshiftBytes(Buffer.from(head));
      return null;
    }
    const large = length >= DIRECT_READ;
    let body: Buffer;
    try {
      body = messageBuffer(length);
    } catch (error) {
      this.#unshiftBytes(Buffer.from(head));
      throw error;
    }
    const got = Math.max(0, this.#readNow(source, body, 0, length, 0));
    if (got === length) return body;
    if (large) return { target: body, filled: got };
    this.#unshiftBytes(Buffer.concat([head, body.subarray(0, got)]));
    return null;
  }

  /** Puts bytes back at the front of the buffer. */
  #unshiftBytes(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks.unshift(bytes);
    this.#buffered += bytes.length;
  }

  /**
   * One read from the kernel (waiting up to `waitMs` for bytes; 0: not at all, < 0: as long as
   * it takes): the count, 0 if nothing is there yet, -1 at EOF (flagged).
   */
  #readNow(source: SyncByteSource, into: Buffer, at: number, count: number, waitMs: number): number {
    const n = source.readInto(into, at, count, waitMs);
    if (n === 0) {
      this.#eof = true;
      return -1;
    }
    return n < 0 ? 0 : n;
  }

  /**
   * Reads what the kernel holds (up to the end of `target`) into `target` at `at`, without
   * blocking unless `block`; returns the count (0 if nothing yet; EOF sets the flag).
   */
  #readDirect(target: Buffer, at: number, block: boolean): number {
    const socket = this.#socket;
    // Bytes the stream already holds come first.
    if (socket.readableLength > 0) {
      this.#drainStream();
      return this.#takeInto(0, target, at);
    }
    const source = this.#source();
    if (source === null) return 0;
    return Math.max(0, this.#readNow(source, target, at, target.length - at, block ? -1 : 0));
  }

  /** Where this connection's bytes can be read without the event loop: its fd, or its port. */
  #source(): SyncByteSource | null {
    const socket = this.#socket;
    if (socket instanceof PortSocket) return socket;
    const fd = nativeFd(socket);
    if (fd === undefined) return null;
    if (this.#fdSource?.fd !== fd) this.#fdSource = new FdSource(fd);
    return this.#fdSource;
  }

  /** Moves what the stream holds into the buffer (read() hands each chunk to the 'data' listener). */
  #drainStream(): void {
    const socket = this.#socket;
    while (socket.readableLength > 0 && socket.read() !== null);
    // read() may have asked the handle to read again: keep it reading only if someone waits.
    this.#pending(0);
  }

  // ---------------------------------------------------------------- blocking reads

  /** Blocks until the next whole message is here and returns its bytes (reading the fd directly). */
  readMessageSync(maxLength: number | undefined): Buffer {
    for (;;) {
      const header = this.#header(maxLength);
      if (header) {
        if (this.#buffered >= header.headerSize + header.length) return this.#take(header.headerSize, header.length);
        if (header.length >= DIRECT_READ && header.length <= DIRECT_READ_MAX) return this.#readLargeSync(header);
      }
      this.#checkEof();
      if (this.#buffered === 0 && this.#socket.readableLength === 0) {
        // Nothing here: wait in the kernel (after a bounded spin), then read the message straight from it.
        this.#spinReadable(this.#syncSource());
        const direct = this.#tryDirect(maxLength, -1);
        if (direct === null) continue;
        if (!('target' in direct)) return direct;
        return this.#fillLargeSync(direct.target, direct.filled);
      }
      this.#fillSync();
    }
  }

  #syncSource(): SyncByteSource {
    if (this.isBusy()) throw new ProcessError('an async recv or poll is pending on this connection; a blocking read would race it');
    const queued = this.#socket.writableLength;
    if (queued > 0) {
      // Those bytes are written by the event loop, which a blocking read stops: if the peer
      // waits for them before it answers, both would wait forever.
      throw new ProcessError(
        `a blocking read now could wait forever: ${queued} bytes sent on this connection are still queued for writing ` +
          '(more than the kernel took at once), and only the event loop writes them; use await recv()/recvBytes() here, ' +
          'or let the event loop run first',
      );
    }
    const source = this.#source();
    if (source === null) throw new ProcessError('this connection has no file descriptor to block on');
    return source;
  }

  /** Blocks until the kernel has bytes (or EOF) and buffers what one read gives. */
  #fillSync(): void {
    const source = this.#syncSource();
    // Bytes the stream already holds come first.
    if (this.#socket.readableLength > 0) {
      this.#drainStream();
      return;
    }
    const room = (this.#room ??= Buffer.allocUnsafeSlow(SYNC_READ_SIZE));
    this.#spinReadable(source);
    const n = this.#readNow(source, room, 0, room.length, -1);
    if (n <= 0) return;
    this.#push(Buffer.from(room.subarray(0, n)));
  }

  /** Looks for bytes (or EOF) for a bounded moment before a blocking read sleeps (see spin.ts). */
  #spinReadable(source: SyncByteSource): void {
    spinUntil(() => source.pollReadable(0));
  }

  /** The blocking form of #readLarge: the message's bytes go straight into one buffer. */
  #readLargeSync(header: Header): Buffer {
    this.#syncSource();
    const target = messageBuffer(header.length);
    return this.#fillLargeSync(target, this.#takeInto(header.headerSize, target, 0));
  }

  #fillLargeSync(target: Buffer, filled: number): Buffer {
    while (filled < target.length) {
      filled += this.#readDirect(target, filled, true);
      if (filled < target.length && this.#eof) throw new ProcessError('got end of file during message');
    }
    return target;
  }
}
