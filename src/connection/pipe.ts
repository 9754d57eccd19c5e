/**
 * `Pipe()`: a pair of connected `Connection`s over a Unix socket pair, or, where the native
 * addon is not available, over a MessagePort between threads.
 */
import type { Socket } from 'node:net';
import { hasNative, native } from '../internal/native.js';
import { Connection } from './connection.js';
import { socketFromFd } from './stream-reader.js';
import { PortSocket } from './port-socket.js';

/**
 * Options of {@link Pipe}.
 * @category Communication
 */
export interface PipeOptions {
  /** true (default): both ends send and receive. false: [readEnd, writeEnd]. */
  duplex?: boolean;
}

/**
 * Returns two connected ends: duplex by default; with `{ duplex: false }`, [readEnd, writeEnd]
 * (CPython's `multiprocessing.Pipe()`). Both ends are {@link Connection}s over a Unix socket
 * pair, and either can be sent to a child as a Process argument (or in a queue).
 * @category Communication
 * @example
 * ```ts
 * import { Pipe, Process, isMain, type Connection } from 'multiprocessing-ts';
 *
 * export async function echo(conn: Connection): Promise<void> {
 *   for await (const message of conn) conn.send(message); // until the other end closes
 *   conn.close();
 * }
 *
 * if (isMain(import.meta)) {
 *   const [here, there] = Pipe();
 *   const p = new Process({ target: echo, args: [there] });
 *   p.start();
 *   there.close(); // the child has its own handle now
 *   try {
 *     here.send({ hello: 'world' });
 *     console.log(await here.recv()); // { hello: 'world' }
 *   } finally {
 *     here.close();
 *     await p.join();
 *   }
 * }
 * ```
 */
export function Pipe(options: PipeOptions = {}): [Connection, Connection] {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object like { duplex }');
  const { duplex = true } = options;
  if (typeof duplex !== 'boolean') throw new TypeError('duplex must be a boolean');
  if (!hasNative()) return portPipe(duplex);
  const [a, b] = native().socketpair();
  let first: Socket;
  let second: Socket;
  try {
    first = socketFromFd(a);
  } catch (error) {
    native().closeFd(a);
    native().closeFd(b);
    throw error;
  }
  try {
    second = socketFromFd(b);
  } catch (error) {
    first.destroy();
    native().closeFd(b);
    throw error;
  }
  if (duplex) return [new Connection(first), new Connection(second)];
  return [new Connection(first, { readable: true, writable: false }), new Connection(second, { readable: false, writable: true })];
}

/**
 * A Pipe whose ends live in this process's threads only: MessagePorts and a shared doorbell
 * (`Pipe()` where the addon is missing). An end sent to a thread moves there.
 */
export function portPipe(duplex = true): [Connection, Connection] {
  const [first, second] = PortSocket.pair();
  if (duplex) return [new Connection(first), new Connection(second)];
  return [new Connection(first, { readable: true, writable: false }), new Connection(second, { readable: false, writable: true })];
}
