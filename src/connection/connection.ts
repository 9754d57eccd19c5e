/**
 * `Connection`: messages over a connected stream socket, framed as CPython frames them, so a
 * Python `multiprocessing.connection.Connection` on the other end reads and writes the same bytes.
 */
import { nodeNet, nodeV8 } from '../internal/builtins.js';
import type { Socket } from 'node:net';
import { BufferTooShortError, EOFError, PicklingError, ProcessError } from '../errors.js';
import { checkModulesAllowed, decode, encode, kReduce, modulesReady, prepareDecode, registerShareable, type Destination, type ModuleNeed } from '../serialize/codec.js';
import { jsonExact } from '../serialize/json-exact.js';
import { kWaitable, type Waitable } from '../process/sentinel.js';
import { validateSignal, validateTimeout } from '../internal/validate.js';
import { onAbort } from '../internal/abort.js';
import { abortError } from '../synchronize/futex.js';
import { hasNative, native } from '../internal/native.js';
import { spinUntil, spinUntilAsync } from '../internal/spin.js';
import { MAX_SHORT_LENGTH, encodeHeader, parseHeader } from './framing.js';
import { PortSocket, type PortEndState, type SyncByteSource } from './port-socket.js';

/** Options of the async receiving calls. */
export interface RecvOptions {
  /** Gives up the wait with an `AbortError`; a message partly received stays for the next read. */
  signal?: AbortSignal;
}

/**
 * Options of the {@link Connection} constructor.
 * @category Communication
 */
export interface ConnectionOptions {
  /** This end receives (default true). */
  readable?: boolean;
  /** This end sends (default true). */
  writable?: boolean;
}

/** Messages up to this size go out in one write with their header (as CPython does). */
const SMALL_MESSAGE = 16384;
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

/** The Connection reading a socket made here (bytes read before it took over wait in `early`). */
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

/** The socket's fd where the addon can use it directly (its fast and blocking paths), else undefined. */
function nativeFd(socket: Socket | PortSocket): number | undefined {
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

/**
 * @internal Sets a check that sees the first message before any read hands it out; an Error it
 * returns fails that read and every later use, and closes the connection (a keyless Client
 * meeting a listener's authentication challenge).
 */
export const kCheckFirstMessage = Symbol('mp.checkFirstMessage');

/**
 * @internal `connection[kQuietReads](true)`: reads waiting on this connection do not keep the
 * program alive (a Listener's handshake in the background; an accept() that waits for it keeps
 * the program alive by itself).
 */
export const kQuietReads = Symbol('mp.quietReads');

type ConnectionState =
  | { kind: 'fd'; fd: number; readable: boolean; writable: boolean }
  | { kind: 'shared'; address: string; id: number; readable: boolean; writable: boolean }
  | ({ kind: 'port'; readable: boolean; writable: boolean } & PortEndState);

function closedError(): ProcessError {
  return new ProcessError('handle is closed');
}

function brokenError(cause?: unknown): ProcessError {
  const error = new ProcessError('the connection is broken: the other end was closed', cause === undefined ? undefined : { cause });
  return error;
}

/**
 * Copies of large payloads the socket has finished writing, kept for reuse by size (a sender
 * that streams messages of one size copies into warm memory instead of fresh pages).
 */
const spareCopies = new Map<number, Buffer[]>();
let spareBytes = 0;
const SPARE_LIMIT = 32 * 1024 * 1024;

function recycle(copy: Buffer): void {
  if (spareBytes + copy.length > SPARE_LIMIT) return;
  let list = spareCopies.get(copy.length);
  if (list === undefined) spareCopies.set(copy.length, (list = []));
  list.push(copy);
  spareBytes += copy.length;
}

/** A Buffer with `bytes` copied in (reusing a spare of that size when there is one). */
function copyOf(bytes: Uint8Array): Buffer {
  const spare = spareCopies.get(bytes.byteLength)?.pop();
  let copy: Buffer;
  if (spare !== undefined) {
    spareBytes -= spare.length;
    copy = spare;
  } else {
    // allocUnsafe: the copy overwrites every byte, so no zero-filling first.
    copy = Buffer.allocUnsafe(bytes.byteLength);
  }
  copy.set(bytes);
  return copy;
}

/**
 * A send() payload is v8's serialization of [modules, value] (it starts with 0xFF); or, for a
 * value that JSON rebuilds exactly, 'j' + its JSON text (the value as the user gave it: no
 * encoding walk on either side), or 'J' + the JSON text of an encoded value that needs no
 * modules (decoded on arrival). JSON is several times cheaper to make and to read for the small
 * messages that dominate round trips.
 */
const JSON_PREFIX = 'J';
const JSON_TAG = 0x4a;
const PLAIN_JSON_TAG = 0x6a;
/** Room for making a small plain-JSON payload (reused: what a send does not write at once is copied). */
const SCRATCH_SIZE = 16384;
let scratch: Buffer | undefined;

const NO_MODULES: ModuleNeed[] = [];

/** [modules, value, plain] from a send() payload (any form); plain values need no decoding. */
function parsePayload(payload: Buffer): [ModuleNeed[], unknown, boolean] {
  const first = payload.length > 0 ? payload[0] : -1;
  if (first === PLAIN_JSON_TAG) return [NO_MODULES, JSON.parse(payload.toString('utf8', 1)), true];
  if (first === JSON_TAG) return [NO_MODULES, JSON.parse(payload.toString('utf8', 1)), false];
  const [modules, value] = nodeV8().deserialize(payload) as [ModuleNeed[], unknown];
  return [modules, value, false];
}

function signalOf(options: RecvOptions | undefined): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw new TypeError('options must be an object like { signal }');
  return validateSignal(options.signal);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** The bytes of a bytes-like value (multi-byte typed arrays give their bytes), without copying. */
function bytesOf(buf: unknown, what: string): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  const kind = buf === null ? 'null' : typeof buf === 'object' ? (buf.constructor?.name ?? 'object') : typeof buf;
  throw new TypeError(`${what} must be a Buffer, TypedArray, DataView or ArrayBuffer, not ${kind}`);
}

/**
 * One end of a two-way (or one-way) message channel (CPython's
 * `multiprocessing.connection.Connection`), as {@link Pipe}, {@link Listener.accept} and
 * {@link Client} return them. Messages are framed as CPython frames them, so a Python
 * `Connection` on the other end reads and writes the same bytes (`sendBytes`/`recvBytes`).
 *
 * How it differs from CPython: receiving returns a Promise (`recvSync()` and the other `...Sync`
 * twins block the calling thread instead), `poll()` takes milliseconds, `send()` takes any
 * structured-cloneable value (plus exported functions and the package's shareable objects) rather
 * than a pickle, and `for await (const message of conn)` reads until the peer closes. Sent to a
 * child (as a Process argument, or inside a message), a Connection arrives there as a Connection
 * on the same socket; bytes this end already read ahead stay here, so hand a connection over
 * before reading from it.
 *
 * What a received value can make this process run: a function or class in it arrives by
 * reference, and `recv()` imports its module first. It imports only modules this program can
 * reach already: a module loaded here, or a `file:` module under the program's own folders (the
 * package of its main module, the `node_modules` folders packages resolve from there, this
 * library's package; a child uses the folders of the program that started it). A value naming any
 * other (a `data:` or `http:` URL, a file elsewhere) is refused with a {@link PicklingError}
 * before anything runs, and the next message reads as usual; so is a hand-made handle naming a
 * file descriptor of this process. To allow more folders, list them (absolute paths separated by
 * `path.delimiter`) in the `MULTIPROCESSING_TS_MODULE_ROOTS` environment variable. Queue items
 * and pool results follow the same rule.
 *
 * Build one from a connected `net.Socket` (a Unix or TCP stream socket, or one made with
 * `new net.Socket({ fd })`): `new Connection(socket, { readable: true, writable: true })`.
 * The Connection takes the socket over: it pauses it, reads only while a `recv`/`poll` is
 * pending, and destroys it on `close()`. Nothing else should read from or write to the socket.
 *
 * @category Communication
 * @example
 * ```ts
 * import { Pipe, Process, isMain, type Connection } from 'multiprocessing-ts';
 *
 * export function produce(conn: Connection): void {
 *   for (let i = 0; i < 3; i++) conn.send({ i, squared: i * i });
 *   conn.close();
 * }
 *
 * if (isMain(import.meta)) {
 *   const [reader, writer] = Pipe({ duplex: false });
 *   const p = new Process({ target: produce, args: [writer] });
 *   p.start();
 *   writer.close();
 *   try {
 *     for await (const message of reader) console.log(message); // until the child closes its end
 *   } finally {
 *     reader.close();
 *     await p.join();
 *   }
 * }
 * ```
 */
export class Connection implements Waitable, AsyncIterable<unknown> {
  readonly #socket: Socket | PortSocket;
  #readable: boolean;
  readonly #writable: boolean;
  #closed = false;

  /** Bytes received and not yet consumed, oldest first. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The peer closed its end (or the socket failed): no more bytes will come. */
  #eof = false;
  #writeError: Error | null = null;
  /** Callbacks waiting for bytes, EOF or close. */
  readonly #notify = new Set<Notify>();
  /** Reads run one after another, so concurrent `recv`s take messages in call order. */
  #readChain: Promise<unknown> = Promise.resolve();
  /** See kCheckFirstMessage. */
  #firstCheck: ((message: Buffer) => Error | null) | null = null;
  #refusal: Error | null = null;

  /**
   * Takes a connected stream socket over.
   * @param socket A connected Unix or TCP stream socket; nothing else may read or write it after.
   * @param options Whether this end reads, writes, or both.
   */
  constructor(socket: Socket, options?: ConnectionOptions);
  /** @internal A Pipe end between threads (no addon). */
  constructor(socket: PortSocket, options?: ConnectionOptions);
  constructor(socket: Socket | PortSocket, options: ConnectionOptions = {}) {
    if (socket === null || typeof socket !== 'object' || typeof (socket as Socket).write !== 'function') {
      throw new TypeError('Connection needs a connected net.Socket');
    }
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object like { readable, writable }');
    const { readable = true, writable = true } = options;
    if (typeof readable !== 'boolean' || typeof writable !== 'boolean') throw new TypeError('readable and writable must be booleans');
    if (!readable && !writable) throw new RangeError('at least one of readable and writable must be true');
    this.#socket = socket;
    this.#readable = readable;
    this.#writable = writable;

    socket.pause();
    socket.unref();
    const box = (socket as unknown as { [kReadBox]?: ReadBox })[kReadBox];
    if (box !== undefined) {
      for (const chunk of box.early.splice(0)) {
        this.#chunks.push(chunk);
        this.#buffered += chunk.length;
      }
      box.sink = { room: () => this.#readRoom(), received: (n, room) => this.#received(n, room) };
    }
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      this.#wake();
    });
    socket.on('end', () => {
      this.#eof = true;
      this.#wake();
    });
    socket.on('error', (error: Error) => {
      this.#writeError ??= error;
      this.#eof = true;
      this.#wake();
    });
    socket.on('close', () => {
      this.#eof = true;
      this.#wake();
    });
    this.#pending(0);
  }

  /** Whether {@link Connection.close | close()} was called on this end. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end receives. */
  get readable(): boolean {
    return this.#readable;
  }

  /** Whether this end sends. */
  get writable(): boolean {
    return this.#writable;
  }

  /** The socket's file descriptor, or -1 when it has none. */
  fileno(): number {
    this.#checkClosed();
    const fd = handleOf(this.#socket)?.fd;
    return typeof fd === 'number' ? fd : -1;
  }

  // ---------------------------------------------------------------- sending

  /** Sends a structured value as one message. Values that cannot be sent throw here, before anything is written. */
  send(obj: unknown): void {
    this.#checkClosed();
    this.#checkWritable();
    if (jsonExact(obj)) {
      // Plain JSON data: sent as it is, rebuilt as it is (encode and decode would only copy it).
      let json: string;
      try {
        json = JSON.stringify(obj);
      } catch (error) {
        throw new PicklingError(`Cannot send this value to another process: ${(error as Error).message}`, { cause: error });
      }
      if (json.length * 3 + 1 <= SCRATCH_SIZE) {
        const room = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
        room[0] = PLAIN_JSON_TAG;
        const n = room.write(json, 1);
        this.#write(room.subarray(0, n + 1), true);
      } else {
        this.#write(Buffer.from('j' + json), false);
      }
      return;
    }
    const { value, modules } = encode(obj, { kind: 'process' });
    let payload: Buffer;
    try {
      payload = modules.length === 0 && jsonExact(value) ? Buffer.from(JSON_PREFIX + JSON.stringify(value)) : nodeV8().serialize([modules, value]);
    } catch (error) {
      throw new PicklingError(`Cannot send this value to another process: ${(error as Error).message}`, { cause: error });
    }
    this.#write(payload, false);
  }

  /** Sends bytes (a view's bytes, from byte `offset`, `size` bytes) as one message. */
  sendBytes(buf: ArrayBufferView | ArrayBufferLike, offset = 0, size?: number): void {
    this.#checkClosed();
    this.#checkWritable();
    const bytes = bytesOf(buf, 'buf');
    if (!isInteger(offset)) throw new TypeError('offset must be an integer');
    if (size !== undefined && size !== null && !isInteger(size)) throw new TypeError('size must be an integer');
    const n = bytes.byteLength;
    if (offset < 0) throw new RangeError('offset is negative');
    if (n < offset) throw new RangeError('buffer length < offset');
    let count: number;
    if (size === undefined || size === null) count = n - offset;
    else if (size < 0) throw new RangeError('size is negative');
    else if (offset + size > n) throw new RangeError('buffer length < offset + size');
    else count = size;
    this.#write(bytes.subarray(offset, offset + count), true);
  }

  #write(payload: Uint8Array, copy: boolean): void {
    if (this.#writeError) throw this.#writeError;
    const socket = this.#socket;
    if (socket instanceof PortSocket) {
      // As a socket whose peer is gone (EPIPE): this send fails, what already arrived stays readable.
      if (socket.peerClosed()) throw (this.#writeError = brokenError());
      socket.writeFrame(encodeHeader(payload.byteLength), payload);
      return;
    }
    if (socket.destroyed || socket.writableEnded) throw brokenError();
    const headerSize = payload.byteLength <= MAX_SHORT_LENGTH ? 4 : 12;
    const total = headerSize + payload.byteLength;
    // Nothing queued: write straight to the kernel (header and payload in one writev, no copy).
    // Only what the kernel does not take now is queued on the socket.
    let written = 0;
    const fd = socket.writableLength === 0 && !socket.connecting ? nativeFd(socket) : undefined;
    if (fd !== undefined) {
      const n = native().writeFrame(fd, payload, 0, payload.byteLength);
      if (n === -2) {
        this.#writeError = brokenError();
        throw this.#writeError;
      }
      written = n < 0 ? 0 : n;
      if (written === total) return;
    }
    const header = encodeHeader(payload.byteLength);
    const rest = written < header.length ? header.subarray(written) : undefined;
    const body = payload.subarray(Math.max(0, written - header.length));
    if (rest !== undefined && payload.byteLength <= SMALL_MESSAGE) {
      const frame = Buffer.allocUnsafe(rest.length + payload.byteLength);
      rest.copy(frame, 0);
      frame.set(payload, rest.length);
      socket.write(frame);
      return;
    }
    if (rest !== undefined) socket.cork();
    if (rest !== undefined) socket.write(rest);
    if (!copy) {
      socket.write(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    } else if (body.byteLength < SMALL_MESSAGE) {
      socket.write(Buffer.from(body));
    } else {
      // The socket keeps the buffer until it is written: copy what the caller still owns.
      const owned = copyOf(body);
      socket.write(owned, (error) => {
        if (!error) recycle(owned);
      });
    }
    if (rest !== undefined) socket.uncork();
  }

  // ---------------------------------------------------------------- receiving

  /** Receives one message sent with `send` and rebuilds its value. */
  async recv(options?: RecvOptions): Promise<unknown> {
    const signal = signalOf(options);
    const payload = await this.#serial(() => this.#readChecked(undefined, signal), signal);
    let modules: ModuleNeed[];
    let value: unknown;
    let plain: boolean;
    try {
      [modules, value, plain] = parsePayload(payload);
    } catch (error) {
      throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
    }
    if (plain) return value;
    if (modules.length > 0 && !modulesReady(modules)) await prepareDecode(modules);
    return decode(value);
  }

  /** Receives one message's bytes. A message longer than `maxLength` makes the connection unreadable. */
  async recvBytes(maxLength?: number | null, options?: RecvOptions): Promise<Buffer> {
    const signal = signalOf(options);
    if (maxLength !== undefined && maxLength !== null) {
      if (!isInteger(maxLength)) throw new TypeError('maxLength must be an integer');
      if (maxLength < 0) throw new RangeError('negative maxlength');
    }
    return this.#serial(() => this.#readChecked(maxLength ?? undefined, signal), signal);
  }

  /** Copies one message into `buf` at byte `offset`; resolves with its length in bytes. */
  async recvBytesInto(buf: ArrayBufferView | ArrayBufferLike, offset = 0, options?: RecvOptions): Promise<number> {
    const signal = signalOf(options);
    const target = bytesOf(buf, 'buf');
    if (!isInteger(offset)) throw new TypeError('offset must be an integer');
    if (offset < 0) throw new RangeError('negative offset');
    if (offset > target.byteLength) throw new RangeError('offset too large');
    const message = await this.#serial(() => this.#readChecked(undefined, signal), signal);
    if (offset + message.length > target.byteLength) throw new BufferTooShortError(message);
    target.set(message, offset);
    return message.length;
  }

  /**
   * Whether a message (or EOF) is ready to read: waits up to `timeoutMs` (default 0: just
   * checks; null or Infinity: waits as long as it takes). True after the peer closed.
   */
  async poll(timeoutMs: number | null = 0, options?: RecvOptions): Promise<boolean> {
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    const signal = signalOf(options);
    this.#checkClosed();
    this.#checkReadable();
    if (signal?.aborted) throw abortError(signal);
    const ready = await this.#pollReady(timeout, signal);
    if (signal?.aborted && !ready) throw abortError(signal);
    return ready;
  }

  /** Iterates over received values until the peer closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      let value: unknown;
      try {
        value = await this.recv();
      } catch (error) {
        if (error instanceof EOFError) return;
        throw error;
      }
      yield value;
    }
  }

  /** Closes this end (idempotent). Messages already sent are still delivered. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readable = false;
    const socket = this.#socket;
    if (socket.writableLength > 0 && !socket.destroyed && !socket.writableEnded) {
      socket.ref();
      socket.end(() => socket.destroy());
    } else {
      socket.destroy();
    }
    this.#chunks = [];
    this.#buffered = 0;
    this.#wake();
  }

  /** Closes this end: `await using conn = ...`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Closes this end: `using conn = ...`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---------------------------------------------------------------- wait() support

  /** For {@link wait}: settles once a message (or the end of the stream) can be read. */
  [kWaitable](signal?: AbortSignal): Promise<void> {
    if (this.#closed || !this.#readable) return new Promise(() => {});
    return this.#pollReady(null, signal, true).then(() => undefined);
  }

  /** Whether a message (or the end of the stream) can be read now, without waiting. */
  isReady(): boolean {
    if (this.#closed || !this.#readable) return false;
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

  // ---------------------------------------------------------------- travelling to children

  /**
   * @internal
   * A Connection passed to a child (as a Process argument, or inside a message) arrives there as
   * a Connection on the same socket; both ends stay usable (as CPython's duplicated handles).
   * Bytes this end already read ahead stay here: hand a connection over before reading from it.
   * (A Pipe end between threads made without the native addon moves instead, with those bytes.)
   */
  [kReduce](destination: Destination): { type: string; state: ConnectionState } {
    this.#checkClosed();
    const readable = this.#readable;
    const writable = this.#writable;
    if (this.#socket instanceof PortSocket) {
      if (destination.kind !== 'thread' || !destination.transfer) {
        throw new PicklingError(
          'Cannot send this Connection: it is a Pipe end between threads (made without the native addon), which travels only as ' +
            'an argument of a thread Process or a ThreadPool call, not to a process nor inside a message.',
        );
      }
      this.#releaseNow();
      if (this.#pendingCount > 0 || this.#queuedReads > 0) {
        throw new ProcessError('Cannot send this Pipe end while a recv or poll on it is pending: await or abort it first (the end moves to the receiving thread).');
      }
      // A port cannot be duplicated: the end moves to the receiving thread, with the bytes this
      // end has read ahead, and is closed here (taken back if the value is not sent after all).
      const socket = this.#socket;
      const state = socket.detach(this.#chunks);
      destination.transfer.push(state.data, state.life);
      this.#closed = true;
      this.#readable = false;
      this.#chunks = [];
      this.#buffered = 0;
      destination.undo?.push(() => {
        socket.reattach(state);
        this.#closed = false;
        this.#readable = readable;
      });
      return { type: 'Connection', state: { kind: 'port', readable, writable, ...state } };
    }
    const fd = this.fileno();
    if (fd < 0) throw new PicklingError('Cannot send this Connection: its socket has no file descriptor.');
    if (destination.kind === 'thread') return { type: 'Connection', state: { kind: 'fd', fd: native().dupFd(fd), readable, writable } };
    const [address, id] = native().shareFd(fd);
    return { type: 'Connection', state: { kind: 'shared', address, id, readable, writable } };
  }

  // ---------------------------------------------------------------- internals

  #checkClosed(): void {
    if (this.#closed) throw this.#refusal ?? closedError();
  }

  #quietReads = false;

  /** @internal See kQuietReads. */
  [kQuietReads](quiet: boolean): void {
    this.#quietReads = quiet;
    if (quiet) this.#socket.unref();
    else if (this.#pendingCount > 0 && !this.#socket.destroyed) this.#socket.ref();
  }

  /** @internal See kCheckFirstMessage. */
  [kCheckFirstMessage](check: (message: Buffer) => Error | null): void {
    this.#firstCheck = check;
  }

  /** Runs the first-message check (once) on a message about to be handed out. */
  #checked(message: Buffer): Buffer {
    const check = this.#firstCheck;
    if (check === null) return message;
    this.#firstCheck = null;
    const refusal = check(message);
    if (refusal === null) return message;
    this.#refusal = refusal;
    this.close();
    throw refusal;
  }

  #readChecked(maxLength: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
    const read = this.#readMessage(maxLength, signal);
    return this.#firstCheck === null ? read : read.then((message) => this.#checked(message));
  }

  #checkWritable(): void {
    if (!this.#writable) throw new ProcessError('connection is read-only');
  }

  #checkReadable(): void {
    if (!this.#readable) throw new ProcessError('connection is write-only');
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

  #pendingCount = 0;

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

  /** Whether bytes or EOF are here within `timeout`; `forWait`: for wait(), which stops it with `signal` and never throws. */
  async #pollReady(timeout: number | null, signal: AbortSignal | undefined, forWait = false): Promise<boolean> {
    const ready = (): boolean => this.#closed || this.#buffered > 0 || this.#eof;
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
    if (this.#closed && !forWait) throw closedError();
    return ready();
  }

  #queuedReads = 0;

  #serial<T>(read: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
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
  #header(maxLength: number | undefined): { headerSize: number; length: number } | null {
    this.#checkClosed();
    this.#checkReadable();
    if (this.#buffered === 0) return null;
    const header = parseHeader(this.#peek(Math.min(12, this.#buffered)));
    if (header.kind !== 'header') return null;
    if (maxLength !== undefined && header.length > maxLength) this.#badMessageLength();
    return header;
  }

  #checkEof(): void {
    if (this.#eof) {
      if (this.#buffered === 0) throw new EOFError('the other end of the connection was closed');
      throw new ProcessError('got end of file during message');
    }
  }

  /** Where the next whole message lies in the buffer, or null if more bytes are needed. */
  #frame(maxLength: number | undefined): { headerSize: number; length: number } | null {
    const header = this.#header(maxLength);
    if (header && this.#buffered >= header.headerSize + header.length) return header;
    this.#checkEof();
    return null;
  }

  async #readMessage(maxLength: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
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

  /** The slab the socket reads into (a socket made here), and where its unread room starts. */
  #slab: Buffer | undefined;
  #slabAt = 0;

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
    this.#chunks.push(chunk);
    this.#buffered += n;
    this.#wake();
  }

  #releaseTimer: NodeJS.Immediate | undefined;

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

  /**
   * Reads a large message straight into one buffer: the bytes already here are copied once, the
   * rest is read from the kernel into place whenever it has some (the socket fills in otherwise).
   */
  #readLarge(header: { headerSize: number; length: number }, signal: AbortSignal | undefined): Promise<Buffer> {
    const target = messageBuffer(header.length);
    return this.#fillLarge(target, this.#takeInto(header.headerSize, target, 0), signal);
  }

  async #fillLarge(target: Buffer, filled: number, signal: AbortSignal | undefined): Promise<Buffer> {
    while (filled < target.length) {
      filled += this.#readDirect(target, filled, false);
      if (filled === target.length) break;
      if (this.#closed) throw closedError();
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

  /** The last direct read found nothing in the kernel. */
  #directMissed = false;
  /** The last message read was smaller than DIRECT_READ. */
  #lastSmall = false;

  /** Room for a header read straight from the kernel. */
  #headRoom: Buffer | undefined;

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
      this.#badMessageLength();
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

  #fdSource: FdSource | undefined;

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

  // ---------------------------------------------------------------- blocking twins

  /** Like poll(), blocking the calling thread (timeoutMs null or Infinity: as long as it takes). */
  pollSync(timeoutMs: number | null = 0): boolean {
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    this.#checkClosed();
    this.#checkReadable();
    // A read's hold, kept for a recv that follows at once, would leave its watch armed.
    this.#releaseNow();
    if (this.isReady()) return true;
    const source = this.#source();
    if (source === null) throw new ProcessError('this connection has no file descriptor to block on');
    return source.pollReadable(timeout === null ? -1 : timeout);
  }

  /** Like recvBytes(), blocking the calling thread. */
  recvBytesSync(maxLength?: number | null): Buffer {
    if (maxLength !== undefined && maxLength !== null) {
      if (!isInteger(maxLength)) throw new TypeError('maxLength must be an integer');
      if (maxLength < 0) throw new RangeError('negative maxlength');
    }
    return this.#messageSync(maxLength ?? undefined);
  }

  /** Like recvBytesInto(), blocking the calling thread: copies one message into `buf` at byte `offset` and returns its length. */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBufferLike, offset = 0): number {
    const target = bytesOf(buf, 'buf');
    if (!isInteger(offset)) throw new TypeError('offset must be an integer');
    if (offset < 0) throw new RangeError('negative offset');
    if (offset > target.byteLength) throw new RangeError('offset too large');
    const message = this.#messageSync(undefined);
    if (offset + message.length > target.byteLength) throw new BufferTooShortError(message);
    target.set(message, offset);
    return message.length;
  }

  /**
   * Like recv(), blocking the calling thread. A value that needs modules not loaded here yet
   * (functions, registered classes) throws and stays unread: `await recv()` takes it.
   */
  recvSync(): unknown {
    const payload = this.#messageSync(undefined);
    let modules: ModuleNeed[];
    let value: unknown;
    let plain: boolean;
    try {
      [modules, value, plain] = parsePayload(payload);
    } catch (error) {
      throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
    }
    if (plain) return value;
    // A value naming modules it may not make this process import is dropped, not put back.
    checkModulesAllowed(modules);
    if (!modulesReady(modules)) {
      // Put the message back, whole, for the next read.
      const header = encodeHeader(payload.length);
      this.#chunks.unshift(...(payload.length > 0 ? [header, payload] : [header]));
      this.#buffered += header.length + payload.length;
      throw new ProcessError(
        `recvSync(): the next value needs modules this thread has not loaded (${modules.map((m) => m.url).join(', ')}); use await recv()`,
      );
    }
    return decode(value);
  }

  #syncSource(): SyncByteSource {
    this.#releaseNow();
    if (this.#pendingCount > 0 || this.#queuedReads > 0) throw new ProcessError('an async recv or poll is pending on this connection; a blocking read would race it');
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

  /** Blocks until the next whole message is here and returns its bytes (reading the fd directly). */
  #messageSync(maxLength: number | undefined): Buffer {
    return this.#checked(this.#rawMessageSync(maxLength));
  }

  #rawMessageSync(maxLength: number | undefined): Buffer {
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

  /** Room for the blocking twins' reads, reused. */
  #room: Buffer | undefined;

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
    this.#chunks.push(Buffer.from(room.subarray(0, n)));
    this.#buffered += n;
  }

  /** Looks for bytes (or EOF) for a bounded moment before a blocking read sleeps (see spin.ts). */
  #spinReadable(source: SyncByteSource): void {
    spinUntil(() => source.pollReadable(0));
  }

  /** The blocking form of #readLarge: the message's bytes go straight into one buffer. */
  #readLargeSync(header: { headerSize: number; length: number }): Buffer {
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

  #badMessageLength(): never {
    if (this.#writable) this.#readable = false;
    else this.close();
    throw new ProcessError('bad message length');
  }
}

registerShareable('Connection', (state) => {
  const s = state as ConnectionState;
  if (s.kind === 'port') return new Connection(new PortSocket(s), { readable: s.readable, writable: s.writable });
  const fd = s.kind === 'fd' ? s.fd : native().takeSharedFd(s.address, s.id);
  return new Connection(socketFromFd(fd), { readable: s.readable, writable: s.writable });
});
