/**
 * The message link between a pool and one of its workers: a Unix socket pair carrying
 * length-prefixed messages (v8-serialized, or JSON when that is exact: json-frame.ts). Unlike a public `Connection`, it reads as fast as
 * bytes arrive (a worker's results are never left in the kernel) and the pool decides when it
 * keeps the event loop alive: only while tasks are outstanding, so an idle pool never holds a
 * program open.
 */
import { Socket } from 'node:net';
import v8 from 'node:v8';
import { native } from '../internal/native.js';
import { isV8Payload, jsonExact } from './json-frame.js';
import { decode, kReduce, modulesReady, prepareDecode, registerShareable, type Destination, type Encoded, type ModuleNeed } from '../serialize/codec.js';

const HEADER = 4;
/** Messages up to this size are copied behind their header and written at once. */
const SINGLE_WRITE = 64 * 1024;

export interface LinkHandlers {
  message(value: unknown): void;
  /** The peer closed its end or the socket failed: no more messages will come. */
  closed(): void;
}

/** A value whose parts were encoded already (by `encode`), sent without walking it again. */
export interface Prepared {
  value: unknown;
  modules: readonly ModuleNeed[];
}

function socketOn(fd: number): Socket {
  return new Socket({ fd, readable: true, writable: true, allowHalfOpen: false } as ConstructorParameters<typeof Socket>[0]);
}

export class Link {
  readonly #socket: Socket;
  readonly #handlers: LinkHandlers;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Messages that wait for a module import (a registered class in an error, say), in arrival order. */
  #backlog: Array<[ModuleNeed[], unknown, true?]> = [];
  #importing = false;
  #closed = false;
  readonly whenClosed: Promise<void>;

  constructor(fd: number, handlers: LinkHandlers) {
    this.#handlers = handlers;
    this.#socket = socketOn(fd);
    let markClosed!: () => void;
    this.whenClosed = new Promise((resolve) => (markClosed = resolve));
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    const end = (): void => {
      if (this.#closed) return;
      this.#closed = true;
      markClosed();
      this.#handlers.closed();
    };
    this.#socket.on('error', end);
    this.#socket.on('close', end);
    this.#socket.on('end', () => this.#socket.destroy());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends parts already encoded with the codec. A `raw` message arrives as it was sent (after
   * the modules it names are imported): its receiver decodes the parts that need it.
   */
  send(prepared: Prepared, raw = false): void {
    if (this.#closed || this.#socket.destroyed) return;
    const message = raw ? [prepared.modules, prepared.value, true] : [prepared.modules, prepared.value];
    if (jsonExact(message)) {
      const text = JSON.stringify(message);
      const length = Buffer.byteLength(text);
      if (length <= SINGLE_WRITE) {
        const frame = Buffer.allocUnsafe(HEADER + length);
        frame.writeUInt32LE(length, 0);
        frame.write(text, HEADER);
        this.#socket.write(frame);
        return;
      }
    }
    const payload = v8.serialize(message);
    if (payload.length <= SINGLE_WRITE) {
      // One buffer, one syscall: small messages are the latency-critical ones.
      const frame = Buffer.allocUnsafe(HEADER + payload.length);
      frame.writeUInt32LE(payload.length, 0);
      payload.copy(frame, HEADER);
      this.#socket.write(frame);
      return;
    }
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    this.#socket.cork();
    this.#socket.write(header);
    this.#socket.write(payload);
    this.#socket.uncork();
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  close(): void {
    if (!this.#socket.destroyed) this.#socket.end(() => this.#socket.destroy());
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= HEADER) {
      let head = this.#chunks[0]!;
      if (head.length < HEADER) head = this.#merge();
      const length = head.readUInt32LE(0);
      if (this.#buffered < HEADER + length) return;
      if (head.length < HEADER + length) head = this.#merge();
      const payload = head.subarray(HEADER, HEADER + length);
      if (head.length === HEADER + length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(HEADER + length);
      this.#buffered -= HEADER + length;
      const message = isV8Payload(payload) ? v8.deserialize(payload) : JSON.parse(payload.toString('utf8'));
      this.#deliver(message as [ModuleNeed[], unknown, true?]);
    }
  }

  #merge(): Buffer {
    const merged = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [merged];
    return merged;
  }

  #deliver(message: [ModuleNeed[], unknown, true?]): void {
    if (this.#importing || !modulesReady(message[0])) {
      this.#backlog.push(message);
      if (!this.#importing) void this.#drainBacklog();
      return;
    }
    this.#handlers.message(message[2] === true ? message[1] : decode(message[1]));
  }

  async #drainBacklog(): Promise<void> {
    this.#importing = true;
    while (this.#backlog.length > 0) {
      const [modules, value] = this.#backlog[0]!;
      let decoded: unknown;
      try {
        await prepareDecode(modules);
        decoded = this.#backlog[0]![2] === true ? value : decode(value);
      } catch (error) {
        decoded = { undecodable: error };
      }
      this.#backlog.shift();
      this.#handlers.message(decoded);
    }
    this.#importing = false;
  }
}

/** The worker's end of a socket pair, as it travels to the worker (a Process argument). */
export class LinkEnd {
  readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
  }

  [kReduce](destination: Destination): { type: string; state: unknown } {
    if (destination.kind === 'thread') return { type: 'PoolLinkEnd', state: { kind: 'fd', fd: native().dupFd(this.fd) } };
    const [address, id] = native().shareFd(this.fd);
    return { type: 'PoolLinkEnd', state: { kind: 'shared', address, id } };
  }
}

registerShareable('PoolLinkEnd', (state) => {
  const s = state as { kind: 'fd'; fd: number } | { kind: 'shared'; address: string; id: number };
  return new LinkEnd(s.kind === 'fd' ? s.fd : native().takeSharedFd(s.address, s.id));
});

/** A connected pair: the pool's end (a Link) is made by the caller; the other end goes to the worker. */
export function linkPair(): [number, LinkEnd] {
  const [mine, theirs] = native().socketpair();
  return [mine, new LinkEnd(theirs)];
}

/** Joins encoded parts into one message, merging the modules they need. */
export function prepare(value: unknown, parts: readonly Encoded[]): Prepared {
  if (parts.length === 0) return { value, modules: [] };
  const modules = new Map<string, ModuleNeed>();
  for (const part of parts) for (const need of part.modules) modules.set(need.url, need);
  return { value, modules: [...modules.values()] };
}
