/**
 * `Connection`: messages over a connected stream socket, framed as CPython frames them, so a
 * Python `multiprocessing.connection.Connection` on the other end reads and writes the same bytes.
 *
 * As CPython's `_ConnectionBase` over `Connection._send_bytes/_recv_bytes`, this module holds
 * the public API, its argument checks and the lifecycle; the transport lives in
 * stream-reader.ts and stream-writer.ts, the send()/recv() payload in payload.ts.
 */
import type { Socket } from 'node:net';
import { BufferTooShortError, EOFError, PicklingError, ProcessError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { kWaitable, type WaitableObject as Waitable } from '../internal/waitable.js';
import { validateSignal, validateTimeout } from '../internal/validate.js';
import { abortError } from '../errors.js';
import { reduceFd, takeFd, type FdState } from '../serialize/fd-handle.js';
import { PortSocket, type PortEndState } from './port-socket.js';
import { NOT_LOADED, loadPayload, loadPayloadNow, loadPayloadSync, writePayload } from './payload.js';
import { StreamReader, closedError, socketFd, socketFromFd } from './stream-reader.js';
import { StreamWriter } from './stream-writer.js';

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

/** @internal What `Connection.recvBuffered()` returns when no whole message is here yet. */
export const NOT_HERE: unique symbol = Symbol('mp.notHere');

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

type ConnectionState = (FdState | ({ kind: 'port' } & PortEndState)) & { readable: boolean; writable: boolean };

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

/** recvBytes' maxLength, checked (undefined: no limit). */
function maxLengthOf(maxLength: number | null | undefined): number | undefined {
  if (maxLength === undefined || maxLength === null) return undefined;
  if (!isInteger(maxLength)) throw new TypeError('maxLength must be an integer');
  if (maxLength < 0) throw new RangeError('negative maxlength');
  return maxLength;
}

/** recvBytesInto's target, checked with its offset. */
function intoTarget(buf: ArrayBufferView | ArrayBufferLike, offset: number): Uint8Array {
  const target = bytesOf(buf, 'buf');
  if (!isInteger(offset)) throw new TypeError('offset must be an integer');
  if (offset < 0) throw new RangeError('negative offset');
  if (offset > target.byteLength) throw new RangeError('offset too large');
  return target;
}

/** Copies a received message into recvBytesInto's target; returns its length. */
function copyInto(message: Buffer, target: Uint8Array, offset: number): number {
  if (offset + message.length > target.byteLength) throw new BufferTooShortError(message);
  target.set(message, offset);
  return message.length;
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
  readonly #reader: StreamReader;
  readonly #writer: StreamWriter;
  #readable: boolean;
  readonly #writable: boolean;
  #closed = false;
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
    // Messages are small and answered at once: Nagle's algorithm would hold a handshake's or a
    // call's last segment for the peer's delayed ACK (~40 ms on Linux). No-op on Unix sockets.
    (socket as Partial<Socket>).setNoDelay?.(true);
    this.#writer = new StreamWriter(socket);
    this.#reader = new StreamReader(socket, {
      isClosed: () => this.#closed,
      checkReadable: () => {
        this.#checkClosed();
        this.#checkReadable();
      },
      badMessageLength: () => this.#badMessageLength(),
    });
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
    return socketFd(this.#socket);
  }

  // ---------------------------------------------------------------- sending

  /** Sends a structured value as one message. Values that cannot be sent throw here, before anything is written. */
  send(obj: unknown): void {
    this.#checkClosed();
    this.#checkWritable();
    writePayload(this.#writer, obj);
  }

  /**
   * @internal Sends like send(), but a message that follows another in the same burst of JS goes
   * out with the others of that burst in one write when it ends (StreamWriter.writeGathered):
   * for request/reply traffic where many calls are made at once (managers).
   */
  sendGathered(obj: unknown): void {
    this.#checkClosed();
    this.#checkWritable();
    writePayload(this.#writer, obj, true);
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
    this.#writer.write(bytes.subarray(offset, offset + count), true);
  }

  // ---------------------------------------------------------------- receiving

  /** Receives one message sent with `send` and rebuilds its value. */
  async recv(options?: RecvOptions): Promise<unknown> {
    const signal = signalOf(options);
    return loadPayload(await this.#message(undefined, signal));
  }

  /**
   * @internal The next message's value if it is here whole already and needs no module imported
   * first (no wait, no turn of the event loop); otherwise `NOT_HERE`, and `await recv()` takes it.
   * For a reader that drains a burst of messages (managers).
   */
  recvBuffered(): unknown {
    if (this.#closed || !this.#readable || this.#firstCheck !== null) return NOT_HERE;
    const payload = this.#reader.nextBuffered();
    if (payload === null) return NOT_HERE;
    const value = loadPayloadNow(payload, () => this.#reader.unshiftMessage(payload));
    return value === NOT_LOADED ? NOT_HERE : value;
  }

  /** Receives one message's bytes. A message longer than `maxLength` makes the connection unreadable. */
  async recvBytes(maxLength?: number | null, options?: RecvOptions): Promise<Buffer> {
    const signal = signalOf(options);
    return this.#message(maxLengthOf(maxLength), signal);
  }

  /** Copies one message into `buf` at byte `offset`; resolves with its length in bytes. */
  async recvBytesInto(buf: ArrayBufferView | ArrayBufferLike, offset = 0, options?: RecvOptions): Promise<number> {
    const signal = signalOf(options);
    const target = intoTarget(buf, offset);
    return copyInto(await this.#message(undefined, signal), target, offset);
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
    const ready = await this.#reader.pollReady(timeout, signal);
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
    this.#writer.flush();
    const socket = this.#socket;
    if (socket.writableLength > 0 && !socket.destroyed && !socket.writableEnded) {
      socket.ref();
      socket.end(() => socket.destroy());
    } else {
      socket.destroy();
    }
    this.#reader.clear();
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
    return this.#reader.pollReady(null, signal, true).then(() => undefined);
  }

  /** Whether a message (or the end of the stream) can be read now, without waiting. */
  isReady(): boolean {
    if (this.#closed || !this.#readable) return false;
    return this.#reader.isReady();
  }

  // ---------------------------------------------------------------- blocking twins

  /** Like poll(), blocking the calling thread (timeoutMs null or Infinity: as long as it takes). */
  pollSync(timeoutMs: number | null = 0): boolean {
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    this.#checkClosed();
    this.#checkReadable();
    return this.#reader.pollSync(timeout);
  }

  /** Like recvBytes(), blocking the calling thread. */
  recvBytesSync(maxLength?: number | null): Buffer {
    return this.#messageSync(maxLengthOf(maxLength));
  }

  /** Like recvBytesInto(), blocking the calling thread: copies one message into `buf` at byte `offset` and returns its length. */
  recvBytesIntoSync(buf: ArrayBufferView | ArrayBufferLike, offset = 0): number {
    const target = intoTarget(buf, offset);
    return copyInto(this.#messageSync(undefined), target, offset);
  }

  /**
   * Like recv(), blocking the calling thread. A value that needs modules not loaded here yet
   * (functions, registered classes) throws and stays unread: `await recv()` takes it.
   */
  recvSync(): unknown {
    const payload = this.#messageSync(undefined);
    return loadPayloadSync(payload, () => this.#reader.unshiftMessage(payload));
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
      if (this.#reader.isBusy()) {
        throw new ProcessError('Cannot send this Pipe end while a recv or poll on it is pending: await or abort it first (the end moves to the receiving thread).');
      }
      // A port cannot be duplicated: the end moves to the receiving thread, with the bytes this
      // end has read ahead, and is closed here (taken back if the value is not sent after all).
      const socket = this.#socket;
      const state = socket.detach(this.#reader.takeBuffered());
      destination.transfer.push(state.data, state.life);
      this.#closed = true;
      this.#readable = false;
      destination.undo?.push(() => {
        socket.reattach(state);
        this.#closed = false;
        this.#readable = readable;
      });
      return { type: 'Connection', state: { kind: 'port', readable, writable, ...state } };
    }
    const fd = this.fileno();
    if (fd < 0) throw new PicklingError('Cannot send this Connection: its socket has no file descriptor.');
    return { type: 'Connection', state: { ...reduceFd(fd, destination), readable, writable } };
  }

  // ---------------------------------------------------------------- internals

  #checkClosed(): void {
    if (this.#closed) throw this.#refusal ?? closedError();
  }

  #checkWritable(): void {
    if (!this.#writable) throw new ProcessError('connection is read-only');
  }

  #checkReadable(): void {
    if (!this.#readable) throw new ProcessError('connection is write-only');
  }

  /** @internal See kQuietReads. */
  [kQuietReads](quiet: boolean): void {
    this.#reader.setQuiet(quiet);
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

  /** The next message's bytes, after the reads queued before this one. */
  #message(maxLength: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
    return this.#reader.serial(() => {
      const read = this.#reader.readMessage(maxLength, signal);
      return this.#firstCheck === null ? read : read.then((message) => this.#checked(message));
    }, signal);
  }

  /** Blocks until the next whole message is here and returns its bytes. */
  #messageSync(maxLength: number | undefined): Buffer {
    return this.#checked(this.#reader.readMessageSync(maxLength));
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
  return new Connection(socketFromFd(takeFd(s)), { readable: s.readable, writable: s.writable });
});
