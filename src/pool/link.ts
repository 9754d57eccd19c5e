/**
 * The message link between a pool and one of its workers. To a worker process it is a Unix
 * socket pair carrying length-prefixed envelopes (serialize/envelope.ts); to a worker thread it
 * is a MessagePort (the structured clone runs in C++, no framing). Unlike a public
 * `Connection`, a link reads as fast as messages arrive (a worker's results never wait in the
 * kernel) and the pool decides when it keeps the event loop alive: only while tasks are
 * outstanding, so an idle pool never holds a program open.
 */
import { nodeNet } from '../internal/builtins.js';
import type { Socket } from 'node:net';
import type { MessagePort, Transferable } from 'node:worker_threads';
import { native } from '../internal/native.js';
import { spinUntilAsync } from '../internal/spin.js';
import { openEnvelope, rebuildValue, sealEncoded, type Envelope, type SealOptions } from '../serialize/envelope.js';
import { reduceFd, takeFd, type FdState } from '../serialize/fd-handle.js';
import { encode, kReduce, modulesReady, prepareDecode, registerShareable, type Destination, type Label, type ModuleNeed, type Sender } from '../serialize/codec.js';

/**
 * A message's header: its envelope's length, a u32 in little-endian order. Not CPython's
 * big-endian framing (connection/framing.ts): both ends are this library on one machine (a pool
 * and the children it started, over a socket pair no other program sees), so the order is the
 * machine's own (little-endian on every platform Node supports), as in the queues' headers.
 */
const HEADER = 4;
const NO_MODULES: ModuleNeed[] = [];
/**
 * JSON is tried for small messages only (the latency-critical ones): a value whose text would be
 * longer goes to v8 without the JSON attempt first.
 */
const SEAL: SealOptions = { headroom: HEADER, maxJson: 64 * 1024 };

export interface LinkHandlers {
  message(value: unknown): void;
  /**
   * A message that cannot be rebuilt here (a module it needs fails to import, a class in it is
   * not registered here): `raw` is the value as it came, still encoded, so the parts that can be
   * read still can, and what the message was about can be answered instead of dropped.
   */
  unreadable(error: unknown, raw: unknown): void;
  /** The peer closed its end or the link failed: no more messages will come. */
  closed(): void;
}

/** A value whose parts were encoded already (by `encode`), sent without walking it again. */
export interface Prepared {
  value: unknown;
  modules: readonly ModuleNeed[];
  /** What moves to a worker thread with the message (the MessagePorts of a Pipe end in it). */
  transfer?: readonly Transferable[];
}

export interface Link {
  /**
   * Sends parts already encoded with the codec. A `raw` message arrives as it was sent (after
   * the modules it names are imported): its receiver decodes the parts that need it. `replyDue`:
   * the sender knows the reply comes within microseconds (see expectReply).
   */
  send(prepared: Prepared, raw?: boolean, replyDue?: boolean): void;
  ref(): void;
  unref(): void;
  /** Ends the link once what was sent is written. */
  close(): void;
  destroy(): void;
  readonly closed: boolean;
  readonly whenClosed: Promise<void>;
}

/** What both transports share: delivery in arrival order, waiting for module imports when needed. */
abstract class Receiver {
  readonly #handlers: LinkHandlers;
  /** Messages that wait for a module import (a registered class in an error, say), in arrival order. */
  readonly #backlog: Envelope[] = [];
  #importing = false;
  #closed = false;
  #arrivals = 0;
  #sends = 0;
  /** The arrival count at the latest send: a reply is any arrival after it. */
  #awaited = 0;
  #due = false;
  #hot = false;
  readonly whenClosed: Promise<void>;
  #markClosed!: () => void;

  /** The worker trusts its pool (the program that started it); the pool takes its workers' results as a peer's values. */
  readonly #sender: Sender;
  readonly #from: 'process' | 'thread';

  constructor(handlers: LinkHandlers, sender: Sender, from: 'process' | 'thread') {
    this.#handlers = handlers;
    this.#sender = sender;
    this.#from = from;
    this.whenClosed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  protected ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#markClosed();
    this.#handlers.closed();
  }

  /**
   * After a send, a reply often comes within microseconds (a worker answering a short task, the
   * pool's next task for a worker that just reported): for a bounded moment the event loop polls
   * instead of sleeping, so the reply is read without a wake-up of this thread (spin.ts; the loop
   * goes on meanwhile, and it stops spinning where replies do not come that soon).
   */
  protected expectReply(due: boolean): void {
    this.#sends++;
    this.#awaited = this.#arrivals;
    this.#due = due;
    if (!this.#hot && !this.#closed) this.#spin();
  }

  #spin(): void {
    this.#hot = true;
    const sends = this.#sends;
    const awaited = this.#awaited;
    void spinUntilAsync(() => this.#arrivals !== awaited || this.#closed, null, undefined, this.#due).then(() => {
      this.#hot = false;
      // A send made during this spin gets a window of its own, for the next arrival (replies do
      // not say which send they answer: the one that ended this spin may answer an older send).
      if (this.#sends !== sends && !this.#closed) {
        this.#awaited = this.#arrivals;
        this.#spin();
      }
    });
  }

  /** Hands a message on; an envelope taken `asIs` is delivered as it came (raw), not decoded. */
  protected deliver(message: Envelope): void {
    this.#arrivals++;
    if (this.#importing || !modulesReady(message.modules, this.#sender)) {
      this.#backlog.push(message);
      if (!this.#importing) void this.#drainBacklog();
      return;
    }
    this.#hand(message);
  }

  #hand(message: Envelope): void {
    let decoded: unknown;
    try {
      decoded = rebuildValue(message, this.#from);
    } catch (error) {
      this.#handlers.unreadable(error, message.value);
      return;
    }
    this.#handlers.message(decoded);
  }

  async #drainBacklog(): Promise<void> {
    this.#importing = true;
    while (this.#backlog.length > 0) {
      const message = this.#backlog[0]!;
      let failed: { error: unknown } | null = null;
      try {
        await prepareDecode(message.modules, this.#sender);
      } catch (error) {
        failed = { error };
      }
      this.#backlog.shift();
      if (failed) this.#handlers.unreadable(failed.error, message.value);
      else this.#hand(message);
    }
    this.#importing = false;
  }
}

class SocketLink extends Receiver implements Link {
  readonly #socket: Socket;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(fd: number, handlers: LinkHandlers, sender: Sender) {
    super(handlers, sender, 'process');
    this.#socket = new (nodeNet().Socket)({ fd, readable: true, writable: true, allowHalfOpen: false } as ConstructorParameters<typeof Socket>[0]);
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('error', () => this.ended());
    this.#socket.on('close', () => this.ended());
    this.#socket.on('end', () => this.#socket.destroy());
  }

  send(prepared: Prepared, raw = false, replyDue = false): void {
    if (this.closed || this.#socket.destroyed) return;
    this.expectReply(replyDue);
    // The envelope is made behind room for the header: one buffer, one write, no copy.
    const frame = sealEncoded(prepared.value, prepared.modules, raw, SEAL);
    frame.writeUInt32LE(frame.length - HEADER, 0);
    this.#socket.write(frame);
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
      this.deliver(openEnvelope(payload));
    }
  }

  #merge(): Buffer {
    const merged = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [merged];
    return merged;
  }
}

class PortLink extends Receiver implements Link {
  readonly #port: MessagePort;

  constructor(port: MessagePort, handlers: LinkHandlers, sender: Sender) {
    super(handlers, sender, 'thread');
    this.#port = port;
    // A raw message without modules is posted as the value itself (messages are arrays); anything
    // else as { modules, value, raw }.
    port.on('message', (message: unknown[] | { modules: ModuleNeed[]; value: unknown; raw?: true }) => {
      if (Array.isArray(message)) this.deliver({ value: message, modules: NO_MODULES, asIs: true });
      else this.deliver({ value: message.value, modules: message.modules, asIs: message.raw === true });
    });
    port.on('close', () => this.ended());
  }

  send(prepared: Prepared, raw = false, replyDue = false): void {
    if (this.closed) return;
    this.expectReply(replyDue);
    const { transfer } = prepared;
    if (raw && prepared.modules.length === 0 && Array.isArray(prepared.value)) this.#port.postMessage(prepared.value, transfer);
    else this.#port.postMessage(raw ? { modules: prepared.modules, value: prepared.value, raw: true } : { modules: prepared.modules, value: prepared.value }, transfer);
  }

  ref(): void {
    this.#port.ref();
  }

  unref(): void {
    this.#port.unref();
  }

  close(): void {
    // Messages already posted are delivered before the other side sees the close.
    this.#port.close();
  }

  destroy(): void {
    this.#port.close();
  }
}

/** The worker's end of a link, as it travels to the worker (a Process argument). */
export class LinkEnd {
  constructor(
    readonly fd: number | null,
    readonly port: MessagePort | null,
  ) {}

  [kReduce](destination: Destination): { type: string; state: unknown } {
    if (this.port) {
      if (destination.kind !== 'thread' || !destination.transfer) throw new TypeError('a pool thread link can only go to a thread');
      destination.transfer.push(this.port);
      return { type: 'PoolLinkEnd', state: { kind: 'port', port: this.port } };
    }
    return { type: 'PoolLinkEnd', state: reduceFd(this.fd!, destination) };
  }

  /** The parent's copy of what went to the worker (an fd) is released once the worker has started. */
  release(): void {
    if (this.fd !== null) native().closeFd(this.fd);
  }
}

registerShareable('PoolLinkEnd', (state) => {
  const s = state as FdState | { kind: 'port'; port: MessagePort };
  if (s.kind === 'port') return new LinkEnd(null, s.port);
  return new LinkEnd(takeFd(s), null);
});

/** Opens the worker's side of a link. */
export function openLink(end: LinkEnd, handlers: LinkHandlers): Link {
  return end.port ? new PortLink(end.port, handlers, 'parent') : new SocketLink(end.fd!, handlers, 'parent');
}

/** A new link to a worker: the pool's side, and the end that goes to the worker. */
export function linkPair(toThread: boolean, handlers: LinkHandlers): [Link, LinkEnd] {
  if (toThread) {
    const { port1, port2 } = new MessageChannel();
    return [new PortLink(port1, handlers, 'peer'), new LinkEnd(null, port2)];
  }
  const [mine, theirs] = native().socketpair();
  return [new SocketLink(mine, handlers, 'peer'), new LinkEnd(theirs, null)];
}

/**
 * Encodes `value` for the other end of a link. To a thread, objects that must move with the
 * message rather than be copied (a Pipe end between threads: its MessagePorts) are listed in
 * `transfer`.
 */
export function encodeForLink(value: unknown, destination: Destination, label?: Label): Prepared {
  if (destination.kind !== 'thread') return encode(value, destination, label);
  const transfer: Transferable[] = [];
  const encoded = encode(value, { kind: 'thread', transfer }, label);
  return transfer.length > 0 ? { ...encoded, transfer } : encoded;
}

/** Joins encoded parts into one message, merging the modules they need and what they transfer. */
export function prepare(value: unknown, parts: readonly Prepared[]): Prepared {
  if (parts.length === 0) return { value, modules: [] };
  const modules = new Map<string, ModuleNeed>();
  let transfer: Transferable[] | undefined;
  for (const part of parts) {
    for (const need of part.modules) modules.set(need.url, need);
    if (part.transfer) (transfer ??= []).push(...part.transfer);
  }
  return transfer ? { value, modules: [...modules.values()], transfer } : { value, modules: [...modules.values()] };
}
