/**
 * `Connection`: messages over a connected stream socket, framed as CPython frames them, so a
 * Python `multiprocessing.connection.Connection` on the other end reads and writes the same bytes.
 */
import { Socket } from 'node:net';
import * as v8 from 'node:v8';
import { readSync } from 'node:fs';
import { BufferTooShortError, EOFError, PicklingError, ProcessError } from '../errors.js';
import { decode, encode, kReduce, modulesReady, prepareDecode, registerShareable, type Destination, type ModuleNeed } from '../serialize/codec.js';
import { kWaitable, type Waitable } from '../process/sentinel.js';
import { validateTimeout } from '../internal/validate.js';
import { native } from '../internal/native.js';
import { encodeHeader, parseHeader } from './framing.js';

export interface ConnectionOptions {
  /** This end receives (default true). */
  readable?: boolean;
  /** This end sends (default true). */
  writable?: boolean;
}

/** Messages up to this size go out in one write with their header (as CPython does). */
const SMALL_MESSAGE = 16384;

type Notify = () => void;

/** A socket over fd that does not read until asked (so no byte is taken before a recv). */
export function socketFromFd(fd: number): Socket {
  const options = { fd, readable: true, writable: true, allowHalfOpen: true, pauseOnCreate: true };
  return new Socket(options as ConstructorParameters<typeof Socket>[0]);
}

interface StreamHandle {
  fd?: number;
  reading?: boolean;
  readStart?(): number;
  readStop?(): number;
}

function handleOf(socket: Socket): StreamHandle | undefined {
  return (socket as unknown as { _handle?: StreamHandle | null })._handle ?? undefined;
}

type ConnectionState =
  | { kind: 'fd'; fd: number; readable: boolean; writable: boolean }
  | { kind: 'shared'; address: string; id: number; readable: boolean; writable: boolean };

function closedError(): ProcessError {
  return new ProcessError('handle is closed');
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
 * One end of a two-way (or one-way) message channel.
 *
 * Build one from a connected `net.Socket` (a Unix or TCP stream socket, or one made with
 * `new net.Socket({ fd })`): `new Connection(socket, { readable: true, writable: true })`.
 * The Connection takes the socket over: it pauses it, reads only while a `recv`/`poll` is
 * pending, and destroys it on `close()`. Nothing else should read from or write to the socket.
 */
export class Connection implements Waitable, AsyncIterable<unknown> {
  readonly #socket: Socket;
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

  constructor(socket: Socket, options: ConnectionOptions = {}) {
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

  get closed(): boolean {
    return this.#closed;
  }

  get readable(): boolean {
    return this.#readable;
  }

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
    const { value, modules } = encode(obj, { kind: 'process' });
    let payload: Buffer;
    try {
      payload = v8.serialize([modules, value]);
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
    if (this.#socket.destroyed || this.#socket.writableEnded) {
      const error = new ProcessError('the connection is broken: the other end was closed') as ProcessError & { code: string };
      throw error;
    }
    const header = encodeHeader(payload.byteLength);
    if (payload.byteLength <= SMALL_MESSAGE) {
      const frame = Buffer.allocUnsafe(header.length + payload.byteLength);
      header.copy(frame, 0);
      frame.set(payload, header.length);
      this.#socket.write(frame);
      return;
    }
    // The socket keeps the buffer until it is written: copy what the caller still owns.
    const body = copy ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.#socket.cork();
    this.#socket.write(header);
    this.#socket.write(body);
    this.#socket.uncork();
  }

  // ---------------------------------------------------------------- receiving

  /** Receives one message sent with `send` and rebuilds its value. */
  async recv(): Promise<unknown> {
    const payload = await this.#serial(() => this.#readMessage(undefined));
    let modules: ModuleNeed[];
    let value: unknown;
    try {
      [modules, value] = v8.deserialize(payload) as [ModuleNeed[], unknown];
    } catch (error) {
      throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
    }
    await prepareDecode(modules);
    return decode(value);
  }

  /** Receives one message's bytes. A message longer than `maxLength` makes the connection unreadable. */
  async recvBytes(maxLength?: number | null): Promise<Buffer> {
    if (maxLength !== undefined && maxLength !== null) {
      if (!isInteger(maxLength)) throw new TypeError('maxLength must be an integer');
      if (maxLength < 0) throw new RangeError('negative maxlength');
    }
    return this.#serial(() => this.#readMessage(maxLength ?? undefined));
  }

  /** Copies one message into `buf` at byte `offset`; resolves with its length in bytes. */
  async recvBytesInto(buf: ArrayBufferView | ArrayBufferLike, offset = 0): Promise<number> {
    const target = bytesOf(buf, 'buf');
    if (!isInteger(offset)) throw new TypeError('offset must be an integer');
    if (offset < 0) throw new RangeError('negative offset');
    if (offset > target.byteLength) throw new RangeError('offset too large');
    const message = await this.#serial(() => this.#readMessage(undefined));
    if (offset + message.length > target.byteLength) throw new BufferTooShortError(message);
    target.set(message, offset);
    return message.length;
  }

  /**
   * Whether a message (or EOF) is ready to read: waits up to `timeoutMs` (default 0: just
   * checks; null or Infinity: waits as long as it takes). True after the peer closed.
   */
  async poll(timeoutMs: number | null = 0): Promise<boolean> {
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    this.#checkClosed();
    this.#checkReadable();
    return this.#pollReady(timeout, undefined);
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

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---------------------------------------------------------------- wait() support

  [kWaitable](signal?: AbortSignal): Promise<void> {
    if (this.#closed || !this.#readable) return new Promise(() => {});
    return this.#pollReady(null, signal).then(() => undefined);
  }

  isReady(): boolean {
    if (this.#closed || !this.#readable) return false;
    if (this.#buffered > 0 || this.#eof || this.#socket.readableLength > 0) return true;
    // Bytes (or EOF) still in the kernel count too.
    const fd = handleOf(this.#socket)?.fd;
    if (typeof fd !== 'number' || fd < 0) return false;
    try {
      return native().pollReadable(fd, 0);
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- travelling to children

  /**
   * A Connection passed to a child (as a Process argument, or inside a message) arrives there as
   * a Connection on the same socket; both ends stay usable (as CPython's duplicated handles).
   * Bytes this end already read ahead stay here: hand a connection over before reading from it.
   */
  [kReduce](destination: Destination): { type: string; state: ConnectionState } {
    this.#checkClosed();
    const fd = this.fileno();
    if (fd < 0) throw new PicklingError('Cannot send this Connection: its socket has no file descriptor.');
    const readable = this.#readable;
    const writable = this.#writable;
    if (destination.kind === 'thread') return { type: 'Connection', state: { kind: 'fd', fd: native().dupFd(fd), readable, writable } };
    const [address, id] = native().shareFd(fd);
    return { type: 'Connection', state: { kind: 'shared', address, id, readable, writable } };
  }

  // ---------------------------------------------------------------- internals

  #checkClosed(): void {
    if (this.#closed) throw closedError();
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

  /** Resolves on the next arrival of bytes, EOF or close (the socket reads meanwhile). */
  #more(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#notify.delete(done);
        signal?.removeEventListener('abort', done);
        this.#pending(-1);
        resolve();
      };
      this.#notify.add(done);
      signal?.addEventListener('abort', done, { once: true });
      this.#pending(1);
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
      socket.ref();
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

  async #pollReady(timeout: number | null, signal: AbortSignal | undefined): Promise<boolean> {
    const ready = (): boolean => this.#closed || this.#buffered > 0 || this.#eof;
    if (ready()) return true;
    if (timeout === 0 && signal === undefined) return this.isReady();
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    if (timeout !== null) {
      if (timeout === 0) {
        // Give the socket one turn of the event loop to pick up what the kernel holds.
        setImmediate(() => setImmediate(onAbort));
      } else {
        timer = setTimeout(onAbort, timeout);
      }
    }
    try {
      while (!ready() && !stop.signal.aborted) await this.#more(stop.signal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (this.#closed && signal === undefined) throw closedError();
    return ready();
  }

  #queuedReads = 0;

  #serial<T>(read: () => Promise<T>): Promise<T> {
    this.#queuedReads += 1;
    const result = this.#readChain.then(read, read).finally(() => {
      this.#queuedReads -= 1;
    });
    this.#readChain = result.catch(() => undefined);
    return result;
  }

  /** The first `count` buffered bytes as one Buffer (merging chunks only as needed). */
  #peek(count: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= count) return first;
    const merged = Buffer.concat(this.#chunks);
    this.#chunks = [merged];
    return merged;
  }

  /** Removes and returns `count` bytes after skipping `skip` bytes. */
  #take(skip: number, count: number): Buffer {
    let total = skip + count;
    const parts: Buffer[] = [];
    while (total > 0) {
      const chunk = this.#chunks[0]!;
      if (chunk.length <= total) {
        parts.push(chunk);
        this.#chunks.shift();
        total -= chunk.length;
      } else {
        parts.push(chunk.subarray(0, total));
        this.#chunks[0] = chunk.subarray(total);
        total = 0;
      }
    }
    this.#buffered -= skip + count;
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, skip + count);
    return whole.subarray(skip);
  }

  /** Where the next whole message lies in the buffer, or null if more bytes are needed. */
  #frame(maxLength: number | undefined): { headerSize: number; length: number } | null {
    this.#checkClosed();
    this.#checkReadable();
    if (this.#buffered > 0) {
      const header = parseHeader(this.#peek(Math.min(12, this.#buffered)));
      if (header.kind === 'header') {
        if (maxLength !== undefined && header.length > maxLength) this.#badMessageLength();
        if (this.#buffered >= header.headerSize + header.length) return header;
      }
    }
    if (this.#eof) {
      if (this.#buffered === 0) throw new EOFError('the other end of the connection was closed');
      throw new ProcessError('got end of file during message');
    }
    return null;
  }

  async #readMessage(maxLength: number | undefined): Promise<Buffer> {
    for (;;) {
      const frame = this.#frame(maxLength);
      if (frame) return this.#take(frame.headerSize, frame.length);
      await this.#more();
    }
  }

  // ---------------------------------------------------------------- blocking twins

  /** Like poll(), blocking the calling thread (timeoutMs null or Infinity: as long as it takes). */
  pollSync(timeoutMs: number | null = 0): boolean {
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    this.#checkClosed();
    this.#checkReadable();
    if (this.isReady()) return true;
    const fd = this.fileno();
    if (fd < 0) throw new ProcessError('this connection has no file descriptor to block on');
    return native().pollReadable(fd, timeout === null ? -1 : timeout);
  }

  /** Like recvBytes(), blocking the calling thread. */
  recvBytesSync(maxLength?: number | null): Buffer {
    if (maxLength !== undefined && maxLength !== null) {
      if (!isInteger(maxLength)) throw new TypeError('maxLength must be an integer');
      if (maxLength < 0) throw new RangeError('negative maxlength');
    }
    const frame = this.#frameSync(maxLength ?? undefined);
    return this.#take(frame.headerSize, frame.length);
  }

  /**
   * Like recv(), blocking the calling thread. A value that needs modules not loaded here yet
   * (functions, registered classes) throws and stays unread: `await recv()` takes it.
   */
  recvSync(): unknown {
    const frame = this.#frameSync(undefined);
    const payload = this.#peek(frame.headerSize + frame.length).subarray(frame.headerSize, frame.headerSize + frame.length);
    let modules: ModuleNeed[];
    let value: unknown;
    try {
      [modules, value] = v8.deserialize(payload) as [ModuleNeed[], unknown];
    } catch (error) {
      this.#take(frame.headerSize, frame.length);
      throw new ProcessError(`received a message that is not a value sent with send(): ${(error as Error).message}`, { cause: error });
    }
    if (!modulesReady(modules)) {
      throw new ProcessError(
        `recvSync(): the next value needs modules this thread has not loaded (${modules.map((m) => m.url).join(', ')}); use await recv()`,
      );
    }
    this.#take(frame.headerSize, frame.length);
    return decode(value);
  }

  #syncFd(): number {
    if (this.#pendingCount > 0 || this.#queuedReads > 0) throw new ProcessError('an async recv or poll is pending on this connection; a blocking read would race it');
    const fd = this.fileno();
    if (fd < 0) throw new ProcessError('this connection has no file descriptor to block on');
    return fd;
  }

  /** Blocks until a whole message is buffered (reading the fd directly). */
  #frameSync(maxLength: number | undefined): { headerSize: number; length: number } {
    for (;;) {
      const frame = this.#frame(maxLength);
      if (frame) return frame;
      const fd = this.#syncFd();
      // Bytes the stream already holds come first.
      if (this.#socket.readableLength > 0) {
        let chunk: Buffer | null;
        while ((chunk = this.#socket.read() as Buffer | null) !== null) {
          this.#chunks.push(chunk);
          this.#buffered += chunk.length;
        }
        this.#pending(0);
        continue;
      }
      native().pollReadable(fd, -1);
      const room = Buffer.allocUnsafe(65536);
      let n: number;
      try {
        n = readSync(fd, room, 0, room.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') continue;
        if (code === 'ECONNRESET') {
          this.#eof = true;
          continue;
        }
        throw error;
      }
      if (n === 0) this.#eof = true;
      else {
        this.#chunks.push(room.subarray(0, n));
        this.#buffered += n;
      }
    }
  }

  #badMessageLength(): never {
    if (this.#writable) this.#readable = false;
    else this.close();
    throw new ProcessError('bad message length');
  }
}

registerShareable('Connection', (state) => {
  const s = state as ConnectionState;
  const fd = s.kind === 'fd' ? s.fd : native().takeSharedFd(s.address, s.id);
  return new Connection(socketFromFd(fd), { readable: s.readable, writable: s.writable });
});
