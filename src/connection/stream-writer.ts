/**
 * The write side of a Connection's socket (CPython's `Connection._send_bytes`): one framed
 * message per write, straight to the kernel when nothing is queued, the rest queued on the socket.
 */
import type { Socket } from 'node:net';
import { ProcessError } from '../errors.js';
import { native } from '../internal/native.js';
import { MAX_SHORT_LENGTH, encodeHeader } from './framing.js';
import { PortSocket } from './port-socket.js';
import { nativeFd, socketFd } from './stream-reader.js';
import { writeSync } from 'node:fs';
import { atExit, ExitPriority } from '../internal/exit.js';

/** Messages up to this size go out in one write with their header (as CPython does). */
const SMALL_MESSAGE = 16384;
/** Room for the messages of one burst (see writeGathered); a full room is written at once. */
const GATHER_SIZE = 64 * 1024;

export function brokenError(cause?: unknown): ProcessError {
  return new ProcessError('the connection is broken: the other end was closed', cause === undefined ? undefined : { cause });
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

/** Writers holding gathered messages: written if the process exits before their burst ends. */
const gathering = new Set<StreamWriter>();
let flushAtExit = false;
let exiting = false;

function holdsGathered(writer: StreamWriter): void {
  gathering.add(writer);
  if (flushAtExit) return;
  flushAtExit = true;
  atExit(() => {
    // From here on nothing is gathered: a burst's end never comes during exit.
    exiting = true;
    for (const each of gathering) each.flush();
  }, ExitPriority.flush);
}

/** Writes framed messages to a socket (or a Pipe end between threads). */
export class StreamWriter {
  readonly #socket: Socket | PortSocket;
  /** The socket failed (or the peer is gone): every later write throws this. */
  #error: Error | null = null;
  /** Framed messages waiting for the end of this burst of JS (writeGathered), and their end. */
  #gathered: Buffer | undefined;
  #gatheredAt = 0;
  /** A message went out in this burst: the next ones are gathered until it ends. */
  #gathering = false;

  constructor(socket: Socket | PortSocket) {
    this.#socket = socket;
    socket.on('error', (error: Error) => {
      this.#error ??= error;
    });
  }

  /**
   * Writes `payload` as one message, as write() does, but a message that follows another in the
   * same burst of JS (until the next `process.nextTick`) is gathered with the others that follow
   * and all of them go out in one write when the burst ends: a hundred calls made together cost
   * two system calls instead of a hundred, and a lone message is not delayed at all.
   */
  writeGathered(payload: Uint8Array, borrowed: boolean): void {
    if (this.#error) throw this.#error;
    const socket = this.#socket;
    if (!this.#gathering || exiting || socket instanceof PortSocket) {
      this.write(payload, borrowed);
      if (!(socket instanceof PortSocket)) {
        this.#gathering = true;
        process.nextTick(this.#endBurst);
      }
      return;
    }
    if (socket.destroyed || socket.writableEnded) throw brokenError();
    const length = payload.byteLength;
    if (4 + length > GATHER_SIZE) {
      // Too big to gather: after what is gathered, on its own.
      this.flush();
      this.write(payload, borrowed);
      return;
    }
    if (this.#gathered === undefined || this.#gatheredAt + 4 + length > this.#gathered.length) {
      this.flush();
      this.#gathered ??= Buffer.allocUnsafeSlow(GATHER_SIZE);
    }
    const batch = this.#gathered;
    if (this.#gatheredAt === 0) holdsGathered(this);
    batch.writeInt32BE(length, this.#gatheredAt);
    batch.set(payload, this.#gatheredAt + 4);
    this.#gatheredAt += 4 + length;
  }

  /** Writes what writeGathered holds now (before the socket is ended, say). */
  flush(): void {
    const batch = this.#gathered;
    if (batch === undefined || this.#gatheredAt === 0) return;
    const bytes = batch.subarray(0, this.#gatheredAt);
    this.#gatheredAt = 0;
    gathering.delete(this);
    const socket = this.#socket;
    // A broken socket already failed, or will fail, the calls these messages belong to.
    if (this.#error || socket instanceof PortSocket || socket.destroyed || socket.writableEnded) return;
    let written = 0;
    const fd = socket.writableLength === 0 && !socket.connecting ? socketFd(socket) : -1;
    if (fd >= 0) {
      try {
        written = writeSync(fd, bytes);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          // Nobody to throw to at the end of a burst: the connection is broken, as a failed send
          // would make it; its reader sees the socket end, and every later send throws this.
          this.#error = code === 'EPIPE' || code === 'ECONNRESET' || code === 'ENOTCONN' ? brokenError(error) : (error as Error);
          socket.destroy();
          return;
        }
      }
    }
    // What the kernel did not take now is queued on the socket (a copy: the batch is reused).
    if (written < bytes.length) socket.write(Buffer.from(bytes.subarray(written)));
  }

  readonly #endBurst = (): void => {
    this.#gathering = false;
    this.flush();
  };

  /**
   * Writes `payload` as one message. `borrowed`: the caller still owns the bytes (they are
   * copied if the socket must keep them); otherwise the socket may keep `payload` itself.
   */
  write(payload: Uint8Array, borrowed: boolean): void {
    if (this.#error) throw this.#error;
    // Messages gathered earlier in this burst go first.
    if (this.#gatheredAt > 0) this.flush();
    const socket = this.#socket;
    if (socket instanceof PortSocket) {
      // As a socket whose peer is gone (EPIPE): this send fails, what already arrived stays readable.
      if (socket.peerClosed()) throw (this.#error = brokenError());
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
      if (n === -2) throw (this.#error = brokenError());
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
    if (!borrowed) {
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
}
