/**
 * A byte stream between two threads of one process over a MessagePort: what a `Pipe` runs on
 * where the native addon (and with it socket pairs) is not available. It offers the part of
 * `net.Socket` a `Connection` uses, plus blocking reads for the `...Sync` twins.
 *
 * Bytes travel as port messages, read only with `receiveMessageOnPort`, so nothing is taken
 * from the port until a read asks (what is unread can follow the end to another thread). A
 * shared doorbell word per direction counts the messages sent, so readers sleep on it: async
 * reads through `waitAsync`, blocking reads through `waitSync`. A second port, started but
 * never written to, reports a peer whose thread ended without closing (its 'close' event);
 * the end of file then reaches async reads (a blocking read can only see a `close()`).
 */
import { nodeWorkerThreads } from '../internal/builtins.js';
import { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import { waitAsync, waitSync, wake } from '../synchronize/futex.js';

/** Doorbell layout: per end, the count of messages sent to it and whether its peer closed. */
const SENT = 0;
const PEER_CLOSED = 2;

/** How an end travels to another thread (its ports go in the transfer list). */
export interface PortEndState {
  data: MessagePort;
  life: MessagePort;
  bell: Int32Array;
  /** 0 or 1: which of the doorbell's slots this end reads. */
  side: number;
  /** Bytes read from the port before the end moved, to be read first. */
  pending: Uint8Array | null;
}

/** Where blocking reads of a Connection take their bytes: a socket's fd, or a PortSocket. */
export interface SyncByteSource {
  /**
   * One read into into[offset, offset + length), as the addon's `readFd`: the count; 0 at end of
   * file; -1 when nothing came within timeoutMs (0: do not wait; < 0: as long as it takes).
   */
  readInto(into: Uint8Array, offset: number, length: number, timeoutMs: number): number;
  /** Whether bytes or end of file are there, waiting up to timeoutMs (< 0: as long as it takes). */
  pollReadable(timeoutMs: number): boolean;
}

/** One owned buffer of exactly these bytes (a view's message would clone its whole backing store). */
function joined(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const copy = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    copy.set(chunk, at);
    at += chunk.byteLength;
  }
  return copy;
}

/**
 * The ends this thread owns, closed when the thread finishes (see closeOwnedEnds): a peer
 * blocked in a read sleeps on the doorbell, which only a close() rings.
 */
const owned = new Set<PortSocket>();

/** Closes the ends this thread still owns: its peers' reads see end of file, blocking ones too. */
export function closeOwnedEnds(): void {
  for (const socket of [...owned]) socket.destroy();
}

export class PortSocket extends EventEmitter implements SyncByteSource {
  readonly #data: MessagePort;
  readonly #life: MessagePort;
  readonly #bell: Int32Array;
  readonly #side: number;
  /** Bytes taken from the port and not yet handed out. */
  #leftover: Buffer | null = null;
  #flowing = false;
  #watch: AbortController | null = null;
  #peerGone = false;
  #ended = false;
  /** Writes held by cork() until uncork(): sent as one message (a frame's header with its body). */
  #corked: Uint8Array[] | null = null;
  destroyed = false;
  writableEnded = false;
  readonly connecting = false;
  readonly writableLength = 0;

  constructor(state: PortEndState) {
    super();
    this.#data = state.data;
    this.#life = state.life;
    this.#bell = state.bell;
    this.#side = state.side;
    if (state.pending !== null && state.pending.byteLength > 0) {
      this.#leftover = Buffer.from(state.pending.buffer, state.pending.byteOffset, state.pending.byteLength);
    }
    this.#life.on('close', () => {
      this.#peerGone = true;
      this.#pump();
    });
    this.#life.start();
    this.#life.unref();
    owned.add(this);
  }

  /** Two connected ends. */
  static pair(): [PortSocket, PortSocket] {
    const data = new MessageChannel();
    const life = new MessageChannel();
    const bell = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
    return [
      new PortSocket({ data: data.port1, life: life.port1, bell, side: 0, pending: null }),
      new PortSocket({ data: data.port2, life: life.port2, bell, side: 1, pending: null }),
    ];
  }

  get readableLength(): number {
    return this.#leftover?.length ?? 0;
  }

  // ------------------------------------------------------------ writing

  /** Whether the other end was closed (or its thread ended): writes are pointless (the Connection says EPIPE). */
  peerClosed(): boolean {
    return this.#peerClosed();
  }

  /** One framed message as one port message: the header and its payload, copied once. */
  writeFrame(header: Uint8Array, payload: Uint8Array): void {
    this.#post([header, payload]);
  }

  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean {
    if (this.destroyed || this.writableEnded) {
      const error = new Error('write after end');
      if (callback) queueMicrotask(() => callback(error));
      return false;
    }
    // Held by reference until uncork(), which (as a socket's) comes before the caller goes on.
    if (this.#corked !== null) this.#corked.push(chunk);
    else this.#post([chunk]);
    if (callback) queueMicrotask(() => callback(null));
    return true;
  }

  cork(): void {
    this.#corked ??= [];
  }

  uncork(): void {
    const corked = this.#corked;
    this.#corked = null;
    if (corked !== null && corked.length > 0 && !this.destroyed) this.#post(corked);
  }

  #post(chunks: readonly Uint8Array[]): void {
    const copy = joined(chunks);
    this.#data.postMessage(copy, [copy.buffer as ArrayBuffer]);
    const peer = 1 - this.#side;
    Atomics.add(this.#bell, SENT + peer, 1);
    // Every waiter: only the peer's thread waits on this word, but maybe twice (an async read
    // still watching while a blocking one waits), and the one that can read must wake.
    wake(this.#bell, SENT + peer, Infinity);
  }

  end(callback?: () => void): this {
    this.#close();
    if (callback) queueMicrotask(callback);
    return this;
  }

  destroy(): this {
    this.#close();
    return this;
  }

  #close(): void {
    if (this.destroyed) return;
    owned.delete(this);
    this.destroyed = true;
    this.writableEnded = true;
    this.#stopWatching();
    this.#leftover = null;
    // Tell the peer first: its blocking reads sleep on the doorbell, not on the port.
    const peer = 1 - this.#side;
    Atomics.store(this.#bell, PEER_CLOSED + peer, 1);
    wake(this.#bell, SENT + peer, Infinity);
    this.#data.close();
    this.#life.close();
    queueMicrotask(() => this.emit('close'));
  }

  // ------------------------------------------------------------ async reading ('data' while flowing)

  pause(): this {
    this.#flowing = false;
    this.#stopWatching();
    return this;
  }

  resume(): this {
    if (this.destroyed) return this;
    this.#flowing = true;
    queueMicrotask(() => this.#pump());
    return this;
  }

  // A pending wait on the doorbell is what keeps the program alive while a read waits; a
  // paused end waits on nothing.
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** Hands out what a poll took ahead (to the 'data' listener, as a stream's read() does); null when there is nothing. */
  read(): Buffer | null {
    const leftover = this.#leftover;
    if (leftover === null) return null;
    this.#leftover = null;
    this.emit('data', leftover);
    return leftover;
  }

  #take(): Buffer | null {
    if (this.#leftover !== null) {
      const leftover = this.#leftover;
      this.#leftover = null;
      return leftover;
    }
    if (this.destroyed) return null;
    const received = nodeWorkerThreads().receiveMessageOnPort(this.#data);
    if (received === undefined) return null;
    const bytes = received.message as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #peerClosed(): boolean {
    return this.#peerGone || Atomics.load(this.#bell, PEER_CLOSED + this.#side) === 1;
  }

  #pump(): void {
    if (!this.#flowing || this.destroyed) return;
    // Read the count before draining: a message sent after the drain changes it, so the wait
    // below returns at once instead of sleeping past it. (A sender posts before it counts, and
    // a posted message is in this port's queue at once, so a counted one is never missed.)
    const count = Atomics.load(this.#bell, SENT + this.#side);
    for (let chunk = this.#take(); chunk !== null; chunk = this.#take()) {
      this.emit('data', chunk);
      if (!this.#flowing || this.destroyed) return;
    }
    if (this.#peerClosed()) {
      if (!this.#ended) {
        this.#ended = true;
        this.emit('end');
      }
      return;
    }
    this.#watchBell(count);
  }

  #watchBell(count: number): void {
    if (this.#watch !== null) return;
    const watch = new AbortController();
    this.#watch = watch;
    waitAsync(this.#bell, SENT + this.#side, count, null, watch.signal).then(
      () => {
        if (this.#watch === watch) this.#watch = null;
        this.#pump();
      },
      () => {
        // Stopped: paused or closed.
      },
    );
  }

  #stopWatching(): void {
    const watch = this.#watch;
    this.#watch = null;
    watch?.abort();
  }

  // ------------------------------------------------------------ blocking reads

  readInto(into: Uint8Array, offset: number, length: number, timeoutMs: number): number {
    if (!this.pollReadable(timeoutMs)) return -1;
    const chunk = this.#take();
    if (chunk === null) return 0;
    const n = Math.min(length, chunk.length);
    into.set(chunk.subarray(0, n), offset);
    if (n < chunk.length) this.#leftover = chunk.subarray(n);
    return n;
  }

  pollReadable(timeoutMs: number): boolean {
    const deadline = timeoutMs < 0 ? null : performance.now() + timeoutMs;
    for (;;) {
      if (this.#leftover !== null || this.destroyed) return true;
      const seen = Atomics.load(this.#bell, SENT + this.#side);
      const chunk = this.#take();
      if (chunk !== null) {
        this.#leftover = chunk;
        return true;
      }
      if (this.#peerClosed()) return true;
      const left = deadline === null ? null : deadline - performance.now();
      if (left !== null && left <= 0) return false;
      waitSync(this.#bell, SENT + this.#side, seen, left);
    }
  }

  // ------------------------------------------------------------ travelling

  /**
   * Gives up this end so another thread can own it, with the bytes read ahead (the Connection's,
   * then this socket's); this object is closed afterwards.
   */
  detach(readAhead: readonly Uint8Array[]): PortEndState {
    if (this.destroyed) throw new Error('this connection is closed');
    this.#stopWatching();
    owned.delete(this);
    this.destroyed = true;
    this.writableEnded = true;
    const unread = this.#leftover === null ? readAhead : [...readAhead, this.#leftover];
    this.#leftover = null;
    const pending = unread.length === 0 ? null : Buffer.concat(unread);
    return { data: this.#data, life: this.#life, bell: this.#bell, side: this.#side, pending };
  }

  /** Takes the end back after a detach() whose message was never sent (its ports never moved). */
  reattach(state: PortEndState): void {
    this.destroyed = false;
    this.writableEnded = false;
    if (state.pending !== null && state.pending.byteLength > 0) {
      this.#leftover = Buffer.from(state.pending.buffer, state.pending.byteOffset, state.pending.byteLength);
    }
    owned.add(this);
    if (this.#flowing) this.resume();
  }
}
