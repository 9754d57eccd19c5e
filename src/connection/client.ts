/**
 * `Client`: connects to a `Listener` (ours or CPython's `multiprocessing.connection.Listener`)
 * and, with an authkey, answers its challenge and then challenges it (as CPython's Client).
 */
import { nodeNet } from '../internal/builtins.js';
import type * as net from 'node:net';

import { onAbort } from '../internal/abort.js';
import { refuseTimeout, validateDuration, validateSignal } from '../internal/validate.js';
import { native, systemError } from '../internal/native.js';
import { abortError, AuthenticationError } from '../errors.js';
import { answerChallenge, checkAuthkey, deliverChallenge, isChallenge } from './auth.js';
import { Connection, kCheckFirstMessage } from './connection.js';
import { ownedReads, socketFromFd } from './stream-reader.js';
import { authenticate, isAbstract, parseAddress, type Address, type Family, unixPathBytes } from './listener.js';

/**
 * Options of {@link Client}.
 * @category Communication
 */
export interface ClientOptions {
  /** The socket family; by default the address's. */
  family?: Family;
  /**
   * Authenticate with the listener using this key (both directions). Without one, a listener
   * that requires a key is found out on the first read: it fails with AuthenticationError.
   */
  authkey?: Uint8Array | null;
  /** Milliseconds the handshake may take (default: no limit, as CPython). */
  handshakeTimeout?: number | null;
  /** Cancels connecting, or the handshake in progress: Client rejects with AbortError and closes the socket. */
  signal?: AbortSignal;
}

function connectSocket(options: net.NetConnectOpts, signal: AbortSignal | undefined): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const { onread, mark } = ownedReads();
    const socket = mark(nodeNet().connect({ ...options, onread } as net.NetConnectOpts));
    const fail = (error: Error): void => {
      unwatch?.();
      socket.destroy();
      reject(error);
    };
    const unwatch = signal && onAbort(signal, () => fail(abortError(signal)));
    socket.once('error', fail);
    socket.once('connect', () => {
      unwatch?.();
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

function authkeyRequired(): AuthenticationError {
  return new AuthenticationError(
    "the listener requires an authkey: its first message is the challenge of the authentication handshake (CPython's #CHALLENGE#). " +
      'Fix: pass the listener\'s key to the client, Client(address, { authkey })',
  );
}

/** Checks Client's options; CPython's positional family or authkey get the object form in the message. */
function checkOptions(options: unknown): ClientOptions {
  if (options instanceof Uint8Array) {
    throw new TypeError('Client options must be an object: pass the key as Client(address, { authkey })');
  }
  if (typeof options === 'string') {
    throw new TypeError(`Client options must be an object: for CPython's Client(address, '${options}') pass { family: '${options}' }`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  return options as ClientOptions;
}

/**
 * Connects to `address` and resolves with the (authenticated, if `authkey` is set) connection
 * (CPython's `multiprocessing.connection.Client()`, which is synchronous). The other end is a
 * {@link Listener}, of this package or of CPython: the wire format and the HMAC handshake are
 * CPython's (3.11 and 3.12+).
 * @param address `{ host, port }` or `[host, port]` for TCP, a path for a Unix socket (a path
 *   starting with NUL: Linux's abstract namespace).
 * @param options The socket family, the authkey, a handshake timeout.
 * @category Communication
 * @example
 * ```ts
 * import { Client } from 'multiprocessing-ts';
 *
 * // A Listener (of this package, or Python's) listens there with the same key.
 * const conn = await Client(['127.0.0.1', 6000], { authkey: Buffer.from('secret') });
 * try {
 *   conn.send(['sum', 1, 2]);
 *   console.log(await conn.recv());
 * } finally {
 *   conn.close();
 * }
 * ```
 */
export async function Client(address: Address, options: ClientOptions = {}): Promise<Connection> {
  const checked = checkOptions(options);
  refuseTimeout(checked, 'Client()', 'pass { signal: AbortSignal.timeout(ms) } to bound the connect and the handshake, or { handshakeTimeout } for the handshake alone');
  const { family, authkey: key, signal: given } = checked;
  const authkey = checkAuthkey(key);
  const handshakeTimeout = validateDuration(checked.handshakeTimeout, 'handshakeTimeout');
  const signal = validateSignal(given);
  const parsed = parseAddress(address, family);
  if (signal?.aborted) throw abortError(signal);

  let socket: net.Socket;
  if (parsed.family === 'AF_UNIX' && isAbstract(parsed.path)) {
    // Node's net.connect cannot reach abstract addresses: connect natively and adopt the fd.
    let fd: number;
    try {
      fd = native().connectUnix(unixPathBytes(parsed.path));
    } catch (error) {
      throw systemError(error, 'connect', JSON.stringify(parsed.path));
    }
    socket = socketFromFd(fd, false);
  } else if (parsed.family === 'AF_UNIX') {
    socket = await connectSocket({ path: parsed.path }, signal);
  } else {
    socket = await connectSocket({ host: parsed.host, port: parsed.port, family: parsed.family === 'AF_INET6' ? 6 : 4 }, signal);
  }

  const connection = new Connection(socket);
  if (authkey === undefined) {
    // A listener that requires a key speaks first, with its challenge; a keyless client would
    // otherwise read it as a broken message.
    connection[kCheckFirstMessage]((first) => (isChallenge(first) ? authkeyRequired() : null));
    return connection;
  }
  await authenticate(
    connection,
    async () => {
      await answerChallenge(connection, authkey);
      await deliverChallenge(connection, authkey);
    },
    handshakeTimeout,
    signal,
  );
  return connection;
}
