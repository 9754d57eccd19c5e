/**
 * `Listener`: accepts connections on a TCP or Unix socket (Linux abstract addresses included),
 * authenticating each with CPython's HMAC challenge when an authkey is given, so Python's
 * `multiprocessing.connection.Client` can connect to it. The socket is bound and listening by
 * the time the constructor returns, and `address` is the bound address (port 0 -> the real port).
 */
import { nodeNet } from '../internal/builtins.js';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as net from 'node:net';

import { abortError, AbortError, AuthenticationError, ProcessError, TimeoutError } from '../errors.js';
import { onAbort } from '../internal/abort.js';
import { atExit, ExitPriority } from '../internal/exit.js';
import { TIMED_OUT, withTimeout } from '../internal/timers.js';
import { refuseTimeout, validateDuration, validateSignal } from '../internal/validate.js';
import { native, nativeStatus, systemError } from '../internal/native.js';
import { answerChallenge, checkAuthkey, deliverChallenge } from './auth.js';
import { Connection, kQuietReads } from './connection.js';
import { socketFromFd } from './stream-reader.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { reduceFd, takeFd, type FdState } from '../serialize/fd-handle.js';

/**
 * A TCP address as `{ host, port }` or `[host, port]`, or a Unix socket path (leading '\0' = abstract).
 * @category Communication
 */
export type Address =
  | string
  | {
      /** A host name or an IP address. */
      host: string;
      /** The TCP port; 0 when listening: any free port. */
      port: number;
    }
  | readonly [string, number];
/**
 * The address of a bound TCP listener, or the path of a Unix one.
 * @category Communication
 */
export type BoundAddress =
  | string
  | {
      /** The IP address bound (or the peer's). */
      readonly host: string;
      /** The TCP port bound (or the peer's). */
      readonly port: number;
    };
/**
 * A socket family, named as CPython's: IPv4 TCP, IPv6 TCP, or a Unix socket.
 * @category Communication
 */
export type Family = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';

/**
 * Options of {@link Listener}.
 * @category Communication
 */
export interface ListenerOptions {
  /** The socket family; by default the address's (no address: 'AF_UNIX' with a fresh temporary path). */
  family?: Family;
  /** The kernel's queue of pending connections (default 1, as CPython). */
  backlog?: number;
  /** Accepted connections must pass the HMAC challenge with this key. */
  authkey?: Uint8Array | null;
  /**
   * Milliseconds a connecting client has to complete the handshake (default 20000, the value of
   * CPython's CONNECTION_TIMEOUT; null or Infinity: no bound). Past it, the connection is closed
   * and the oldest waiting accept() rejects with `TimeoutError` (not `AuthenticationError`, which
   * means a wrong key or a peer that does not speak the protocol); the listener keeps serving,
   * and other handshakes run meanwhile (see `maxHandshakes`). CPython's socket
   * `Listener.accept()` has no bound at all (CONNECTION_TIMEOUT only bounds Windows pipe clients
   * connecting): a silent client blocks it for good, and a timeout set on its socket would raise
   * `TimeoutError` (socket.timeout) out of the handshake, unwrapped, as here.
   */
  handshakeTimeout?: number | null;
  /**
   * How many handshakes run at once (default 32). Handshakes run side by side as connections
   * come, so a client that stays silent (or sends a byte now and then) delays nobody; when this
   * many are running and another connection comes, the oldest handshake is dropped (its
   * connection closed, no accept() told), so memory stays bounded whatever peers do.
   */
  maxHandshakes?: number;
}

/**
 * Options of {@link Listener.accept}.
 * @category Communication
 */
export interface AcceptOptions {
  /**
   * Cancels the accept: it rejects with AbortError. Once no accept waits, no more connections are
   * taken (a connection that comes later is left for the next accept, here or in a process the
   * listener was passed to); handshakes already running go on, and a connection that completes
   * its handshake waits for the next accept() here.
   */
  signal?: AbortSignal;
}

/** @internal CPython's CONNECTION_TIMEOUT, in milliseconds. */
export const HANDSHAKE_TIMEOUT = 20_000;
/** @internal Handshakes running at once by default. */
export const MAX_HANDSHAKES = 32;

/** Whether a bound host is a loopback address (only this machine can connect). */
function isLoopback(host: string): boolean {
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return v4.startsWith('127.') || host === '::1' || host === 'localhost';
}

let warnedOpenListener = false;

/** Warns once per process: a listener anyone on the network can send messages to. */
function warnUnauthenticated(address: { host: string; port: number }): void {
  if (warnedOpenListener) return;
  warnedOpenListener = true;
  process.emitWarning(
    `a Listener on ${address.host}:${address.port} has no authkey: anyone who can reach this port can connect and send ` +
      'messages that recv() reads. Pass { authkey } to the Listener and to Client(), or listen on a loopback address.',
    { type: 'SecurityWarning', code: 'MPTS_LISTENER_NO_AUTHKEY' },
  );
}

type Parsed =
  | { family: 'AF_INET' | 'AF_INET6'; host: string; port: number }
  | { family: 'AF_UNIX'; path: string };

const FAMILIES: readonly Family[] = ['AF_INET', 'AF_INET6', 'AF_UNIX'];

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** @internal Checks an address and works out its family (CPython's address_type plus the family option). */
export function parseAddress(address: unknown, family: unknown): Parsed {
  if (family !== undefined && !FAMILIES.includes(family as Family)) {
    throw new TypeError(`family must be one of ${FAMILIES.map((f) => `'${f}'`).join(', ')}, not ${String(family)}`);
  }
  if (typeof address === 'string') {
    if (family !== undefined && family !== 'AF_UNIX') throw new TypeError(`a path address needs family 'AF_UNIX', not '${family}'`);
    if (address.length === 0) throw new TypeError('a Unix socket path must not be empty');
    return { family: 'AF_UNIX', path: address };
  }
  let host: unknown;
  let port: unknown;
  if (Array.isArray(address)) {
    if (address.length !== 2) throw new TypeError('a TCP address must be [host, port]');
    [host, port] = address;
  } else if (address !== null && typeof address === 'object') {
    ({ host, port } = address as { host?: unknown; port?: unknown });
  } else {
    throw new TypeError(`address must be { host, port }, [host, port] or a Unix socket path, not ${describeValue(address)}`);
  }
  if (typeof host !== 'string') throw new TypeError('host must be a string');
  if (typeof port !== 'number' || !Number.isInteger(port)) throw new TypeError('port must be an integer');
  if (port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, not ${port}`);
  const inferred = host.includes(':') ? 'AF_INET6' : 'AF_INET';
  if (family === 'AF_UNIX') throw new TypeError(`a [host, port] address cannot have family 'AF_UNIX'`);
  return { family: (family as 'AF_INET' | 'AF_INET6' | undefined) ?? inferred, host, port };
}

/** @internal The path bytes of a Unix address (a leading NUL makes it abstract). */
export function unixPathBytes(path: string): Buffer {
  return Buffer.from(path, 'utf8');
}

/** @internal */
export function isAbstract(path: string): boolean {
  return path.startsWith('\0');
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * @internal A Listener's greeting: sent to each client that proved the key, with this side's
 * answer to its challenge, so the client has it when its handshake ends (a manager's server
 * sends its id and address this way: no round trip after connecting).
 */
export const kGreeting = Symbol('mp.greeting');

/** This process's directory for default Unix listener paths (CPython's get_temp_dir), removed at exit. */
let tempDir: string | undefined;

function defaultUnixPath(): string {
  if (tempDir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'pymp-'));
    tempDir = made;
    atExit(() => rmSync(made, { recursive: true, force: true }), ExitPriority.tempDir);
  }
  // The directory is this process's own (mkdtemp: a random name, mode 0700): a counter makes the
  // names unique without loading node:crypto (milliseconds in a child that just started).
  return join(tempDir, `listener-${++listenerCount}`);
}

let listenerCount = 0;

/**
 * Runs a handshake on a new connection, bounded by `timeout` milliseconds (null: no bound) and
 * cancelled by `signal` (AbortError). Whatever fails, the connection is closed; errors that are
 * not already AuthenticationError (the peer hung up, an oversized or truncated frame) become
 * one, with the original as cause. `quiet`: its timer does not keep the program alive.
 * @internal
 */
export async function authenticate(
  connection: Connection,
  steps: () => Promise<void>,
  timeout: number | null,
  signal?: AbortSignal,
  quiet = false,
): Promise<void> {
  const running = steps();
  try {
    const outcome = await withTimeout(running, timeout, { signal, ref: !quiet });
    if (outcome === TIMED_OUT) throw new TimeoutError(`the peer did not complete the authentication handshake within ${timeout} ms`);
  } catch (error) {
    connection.close();
    running.catch(() => undefined);
    if (error instanceof AuthenticationError || error instanceof TimeoutError || error instanceof AbortError) throw error;
    throw new AuthenticationError(`authentication handshake failed: ${(error as Error).message}`, { cause: error });
  }
}


/** What a Listener handed to a child carries (the listening socket travels as an fd). */
type ListenerState = {
  socket: FdState;
  address: BoundAddress;
  family: Family;
  authkey: Uint8Array | null;
  handshakeTimeout: number | null;
  maxHandshakes: number;
  backlog: number;
};

/** A connection ready for accept() (authenticated when the listener has a key), and its peer's address. */
interface Accepted {
  connection: Connection;
  peer: BoundAddress;
}

/** A waiting accept() call. */
interface Waiter {
  resolve(accepted: Accepted): void;
  /** `peer`: the address of the connection that failed, if one did (it becomes lastAccepted, as CPython's). */
  reject(error: Error, peer?: BoundAddress): void;
}

/** Set while the constructor adopts a listening socket that came from another process. */
let adopting: { fd: number; address: BoundAddress; family: Family } | undefined;

/**
 * A server socket that accepts {@link Connection}s (CPython's
 * `multiprocessing.connection.Listener`), on TCP or a Unix socket, authenticating each with
 * CPython's HMAC challenge when an `authkey` is given, so Python's `Client` can connect to it and
 * the other way round.
 *
 * As CPython's, the socket is bound and listening once the constructor returns, and
 * {@link Listener.address | address} is the bound address (port 0 gives the real port). Unlike
 * CPython's, {@link Listener.accept | accept()} returns a Promise, a client has
 * `handshakeTimeout` ms to authenticate, and handshakes run side by side (a silent client holds
 * up no other). Sent to a child (as a Process argument), a Listener
 * arrives there listening on the same socket: the child's `accept()` takes connections too.
 *
 * @category Communication
 * @example
 * ```ts
 * import { Client, Listener } from 'multiprocessing-ts';
 *
 * const authkey = Buffer.from('secret');
 * const listener = new Listener(['127.0.0.1', 0], { authkey });
 * try {
 *   // accept() and Client() each wait for the other's side of the handshake.
 *   const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey })]);
 *   client.send('ping');
 *   console.log(await server.recv()); // 'ping'
 *   client.close();
 *   server.close();
 * } finally {
 *   await listener.close();
 * }
 * ```
 */
export class Listener implements AsyncDisposable {
  /** @internal See kGreeting. */
  [kGreeting]: ((connection: Connection) => void) | undefined;
  /** The listening socket (bound and listening since the constructor). */
  readonly #fd: number;
  /** Accepts from a duplicate of #fd, only while an accept() waits (so idle, it takes nothing). */
  #server: net.Server | null = null;
  readonly #backlog: number;
  readonly #address: BoundAddress;
  readonly #family: Family;
  readonly #authkey: Uint8Array | undefined;
  readonly #handshakeTimeout: number | null;
  readonly #maxHandshakes: number;
  /** A filesystem socket path to unlink on close (only the process that bound it does). */
  #unlinkPath: string | undefined;
  #forgetUnlinkAtExit: (() => void) | undefined;
  #closed = false;
  /** Handshakes running, oldest first (the first to go when the bound is reached). */
  readonly #handshaking = new Set<AbortController>();
  /** Connections ready (authenticated if there is a key) that no accept has taken yet, oldest first. */
  readonly #ready: Accepted[] = [];
  /** The accept() calls waiting, oldest first. */
  readonly #waiting: Waiter[] = [];
  #lastAccepted: BoundAddress | null = null;

  /**
   * Binds and listens at once.
   * @param address Where to listen: `{ host, port }` or `[host, port]` (port 0: any free port),
   *   or a Unix socket path. Omitted: a fresh path in a temporary directory (or, with
   *   `family: 'AF_INET'`, a free port on localhost).
   * @param options The family, the backlog, the authkey, the handshake timeout.
   */
  constructor(address?: Address | null, options: ListenerOptions = {}) {
    const adopted = adopting;
    adopting = undefined;
    if (typeof options === 'string') {
      throw new TypeError(`Listener options must be an object: for CPython's Listener(address, '${options}') pass { family: '${options}' }`);
    }
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { family, backlog = 1, handshakeTimeout = HANDSHAKE_TIMEOUT, maxHandshakes = MAX_HANDSHAKES } = options;
    if (typeof backlog !== 'number' || !Number.isInteger(backlog)) throw new TypeError('backlog must be an integer');
    if (typeof maxHandshakes !== 'number' || !Number.isInteger(maxHandshakes)) throw new TypeError('maxHandshakes must be an integer');
    if (maxHandshakes < 1) throw new RangeError('maxHandshakes must be at least 1');
    this.#maxHandshakes = maxHandshakes;
    this.#authkey = checkAuthkey(options.authkey);
    this.#handshakeTimeout = validateDuration(handshakeTimeout, 'handshakeTimeout');
    const queue = Math.max(0, backlog);
    this.#backlog = queue;

    if (adopted !== undefined) {
      this.#fd = adopted.fd;
      this.#address = adopted.address;
      this.#family = adopted.family;
      return;
    }

    const status = nativeStatus();
    if (!status.available) {
      // Binding at once (as CPython, so `address` is known on return) takes the addon's sockets.
      throw new ProcessError(
        `A Listener needs the native addon: ${status.reason}. Between threads of this program use Pipe() or a Queue; ` +
          "to serve other programs, listen with node:net and wrap each accepted socket: new Connection(socket) " +
          '(Client() connects to TCP and Unix socket addresses without the addon).',
        { cause: status.cause },
      );
    }

    let parsed: Parsed;
    if (address === undefined || address === null) {
      if (family !== undefined && !FAMILIES.includes(family)) {
        throw new TypeError(`family must be one of ${FAMILIES.map((f) => `'${f}'`).join(', ')}, not ${String(family)}`);
      }
      parsed =
        family === 'AF_INET' || family === 'AF_INET6'
          ? { family, host: family === 'AF_INET' ? 'localhost' : '::1', port: 0 }
          : { family: 'AF_UNIX', path: defaultUnixPath() };
    } else {
      parsed = parseAddress(address, family);
    }
    this.#family = parsed.family;

    if (parsed.family === 'AF_UNIX') {
      try {
        this.#fd = native().listenUnix(unixPathBytes(parsed.path), queue);
      } catch (error) {
        throw systemError(error, 'bind', JSON.stringify(parsed.path));
      }
      this.#address = parsed.path;
      if (!isAbstract(parsed.path)) {
        // The socket file goes at close, or at exit if the listener is never closed.
        const path = parsed.path;
        this.#unlinkPath = path;
        this.#forgetUnlinkAtExit = atExit(() => unlinkQuietly(path));
      }
    } else {
      let bound: { fd: number; host: string; port: number };
      try {
        bound = native().listenInet(parsed.host, parsed.port, queue, parsed.family === 'AF_INET6');
      } catch (error) {
        throw systemError(error, 'bind', `${parsed.host}:${parsed.port}`);
      }
      this.#fd = bound.fd;
      this.#address = Object.freeze({ host: bound.host, port: bound.port });
      if (this.#authkey === undefined && !isLoopback(bound.host)) warnUnauthenticated(this.#address);
    }
  }

  /** The bound address: `{ host, port }` for TCP, the path for a Unix socket. */
  get address(): BoundAddress {
    return this.#address;
  }

  /** The socket family. */
  get family(): Family {
    return this.#family;
  }

  /** The peer address of the last accepted connection (`{ host, port }` for TCP, '' for Unix), or null. */
  get lastAccepted(): BoundAddress | null {
    return this.#lastAccepted;
  }

  /** Whether {@link Listener.close | close()} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits for the next connection and, with an authkey, authenticates it (challenge, then
   * answer, as CPython's accept). While an accept() waits, connections are taken from the kernel
   * as they come and their handshakes run side by side (at most `maxHandshakes` at once, the
   * oldest dropped first): this call resolves with the first connection to complete its
   * handshake, so a silent or slow client holds up no other. A handshake that fails while an
   * accept() waits rejects the oldest waiting call (an AuthenticationError, or a TimeoutError
   * after `handshakeTimeout`) and its connection is closed; the listener keeps serving. One that
   * fails while no accept() waits is closed and not reported.
   */
  async accept(options?: AcceptOptions): Promise<Connection> {
    if (typeof options === 'number') {
      throw new TypeError(
        'Listener.accept() takes only { signal }, not a number: CPython\'s accept() has no timeout either. ' +
          'To bound the wait, pass { signal: AbortSignal.timeout(ms) }.',
      );
    }
    if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeError('Listener.accept() options must be an object like { signal }');
    refuseTimeout(options, 'Listener.accept()', "CPython's accept() has none either; pass { signal: AbortSignal.timeout(ms) } to bound the wait");
    const signal = validateSignal(options?.signal);
    if (this.#closed) throw new ProcessError('listener is closed');
    if (signal?.aborted) throw abortError(signal);
    const ready = this.#ready.shift();
    if (ready !== undefined) {
      this.#lastAccepted = ready.peer;
      return ready.connection;
    }
    return new Promise<Connection>((resolve, reject) => {
      let unwatch: (() => void) | undefined;
      const waiter: Waiter = {
        resolve: (accepted) => {
          unwatch?.();
          this.#lastAccepted = accepted.peer;
          resolve(accepted.connection);
        },
        reject: (error, peer) => {
          unwatch?.();
          if (peer !== undefined) this.#lastAccepted = peer;
          reject(error);
        },
      };
      this.#waiting.push(waiter);
      if (signal) {
        unwatch = onAbort(signal, () => {
          const at = this.#waiting.indexOf(waiter);
          if (at < 0) return;
          this.#waiting.splice(at, 1);
          // Nobody waits here any more: new connections stay in the kernel's queue.
          if (this.#waiting.length === 0) this.#stopAccepting();
          reject(abortError(signal));
        });
      }
      try {
        this.#startAccepting();
      } catch (error) {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        waiter.reject(error as Error);
      }
    });
  }

  /**
   * Stops listening (idempotent), rejects pending accepts, closes the connections still in their
   * handshake or not yet accepted, and removes a Unix socket file this process bound.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopAccepting();
    for (const handshake of [...this.#handshaking]) handshake.abort();
    this.#handshaking.clear();
    for (const ready of this.#ready.splice(0)) ready.connection.close();
    const error = new ProcessError('listener is closed');
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
    try {
      native().closeFd(this.#fd);
    } catch {
      // already closed
    }
    const path = this.#unlinkPath;
    if (path !== undefined) {
      this.#unlinkPath = undefined;
      this.#forgetUnlinkAtExit?.();
      unlinkQuietly(path);
    }
  }

  /** Closes the listener: `await using listener = new Listener()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * @internal
   * A Listener passed to a child (as a Process argument) arrives there listening on the same
   * socket (as CPython's does with a TCP listener): the child's accept() takes connections too.
   * This process takes connections only while its own accept() waits. The process that bound a
   * Unix path removes it when its listener closes; copies in children never do.
   */
  [kReduce](destination: Destination): { type: string; state: ListenerState } {
    if (this.#closed) throw new ProcessError('listener is closed');
    const socket = reduceFd(this.#fd, destination);
    return {
      type: 'Listener',
      state: {
        socket,
        address: this.#address,
        family: this.#family,
        authkey: this.#authkey === undefined ? null : Uint8Array.from(this.#authkey),
        handshakeTimeout: this.#handshakeTimeout,
        maxHandshakes: this.#maxHandshakes,
        backlog: this.#backlog,
      },
    };
  }

  #onConnection(socket: net.Socket): void {
    // A client that resets before being accepted must not bring the process down.
    socket.on('error', () => undefined);
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const peer: BoundAddress =
      this.#family === 'AF_UNIX' ? '' : Object.freeze({ host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    let connection: Connection;
    try {
      connection = new Connection(ownSocket(socket));
    } catch (error) {
      socket.destroy();
      this.#failOldest(error as Error, peer);
      return;
    }
    const authkey = this.#authkey;
    if (authkey === undefined) {
      this.#deliver({ connection, peer });
      return;
    }
    this.#handshake(connection, peer, authkey);
  }

  /** Authenticates a new connection in the background, dropping the oldest handshake at the bound. */
  #handshake(connection: Connection, peer: BoundAddress, authkey: Uint8Array): void {
    while (this.#handshaking.size >= this.#maxHandshakes) {
      const oldest = this.#handshaking.values().next().value as AbortController;
      this.#handshaking.delete(oldest);
      oldest.abort();
    }
    const stop = new AbortController();
    this.#handshaking.add(stop);
    // A waiting accept() keeps the program alive (its server is listening); a handshake that
    // no accept waits for does not.
    connection[kQuietReads](true);
    authenticate(
      connection,
      async () => {
        await deliverChallenge(connection, authkey);
        const greeting = this[kGreeting];
        await answerChallenge(connection, authkey, greeting && (() => greeting(connection)));
      },
      this.#handshakeTimeout,
      stop.signal,
      true,
    ).then(
      () => {
        this.#handshaking.delete(stop);
        connection[kQuietReads](false);
        if (this.#closed || stop.signal.aborted) connection.close();
        else this.#deliver({ connection, peer });
      },
      (error: unknown) => {
        this.#handshaking.delete(stop);
        // Dropped at the bound, or the listener closed: nobody is told.
        if (this.#closed || stop.signal.aborted) return;
        this.#failOldest(error as Error, peer);
      },
    );
  }

  /** Hands a ready connection to the oldest waiting accept, or keeps it for the next one. */
  #deliver(accepted: Accepted): void {
    const waiter = this.#waiting.shift();
    if (waiter === undefined) {
      this.#ready.push(accepted);
      return;
    }
    if (this.#waiting.length === 0) this.#stopAccepting();
    waiter.resolve(accepted);
  }

  /** A connection failed before it was ready: the oldest waiting accept says so (none waits: dropped). */
  #failOldest(error: Error, peer: BoundAddress): void {
    const waiter = this.#waiting.shift();
    if (waiter === undefined) return;
    if (this.#waiting.length === 0) this.#stopAccepting();
    waiter.reject(error, peer);
  }

  /** Takes connections from the kernel (a pending accept keeps the process alive, as a blocking accept does). */
  #startAccepting(): void {
    if (this.#server !== null) return;
    const server = nodeNet().createServer({ pauseOnConnect: true });
    server.on('connection', (socket) => this.#onConnection(socket));
    server.on('error', (error) => this.#fail(error));
    server.listen({ fd: native().dupFd(this.#fd), backlog: this.#backlog });
    this.#server = server;
  }

  /** Leaves new connections in the kernel's queue (for a later accept here, or a child's). */
  #stopAccepting(): void {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    server.close();
  }

  #fail(error: Error): void {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error, undefined);
    this.#stopAccepting();
  }

  /** `'Listener'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'Listener';
  }
}

/**
 * The accepted socket remade over a duplicate of its fd by socketFromFd (net.Server cannot make
 * sockets that read into the Connection's buffers); the server's socket has read nothing yet.
 */
function ownSocket(socket: net.Socket): net.Socket {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return socket;
  const copy = native().dupFd(fd);
  let own: net.Socket;
  try {
    own = socketFromFd(copy, socket.allowHalfOpen);
  } catch (error) {
    native().closeFd(copy);
    throw error;
  }
  socket.destroy();
  return own;
}

registerShareable('Listener', (state) => {
  const s = state as ListenerState;
  const fd = takeFd(s.socket);
  adopting = { fd, address: s.family === 'AF_UNIX' ? s.address : Object.freeze({ ...(s.address as { host: string; port: number }) }), family: s.family };
  try {
    return new Listener(null, {
      authkey: s.authkey === null ? null : Buffer.from(s.authkey),
      handshakeTimeout: s.handshakeTimeout ?? Infinity,
      maxHandshakes: s.maxHandshakes,
      backlog: s.backlog,
    });
  } finally {
    adopting = undefined;
  }
});
