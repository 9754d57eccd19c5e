/**
 * What a manager's server process (or thread) runs: the initializer, then a Server, whose
 * address goes back to the manager through `writer`; then it serves until shut down.
 */
import type { Address } from '../connection/listener.js';
import type { Connection } from '../connection/connection.js';
import { Server, type ServedType } from './server.js';

export async function runServer(
  types: ServedType[],
  address: Address | null,
  authkey: Uint8Array,
  writer: Connection,
  name: string,
  initializer: ((...args: unknown[]) => unknown) | null,
  initargs: unknown[],
): Promise<void> {
  // Ctrl-C in a terminal reaches the whole process group: the server must outlive it as long as
  // its manager does (CPython's server ignores SIGINT too).
  process.on('SIGINT', () => {});
  if (initializer) await initializer(...initargs);
  const server = new Server(types, address, authkey, name);
  writer.send(server.address);
  writer.close();
  await server.serveForever();
}
