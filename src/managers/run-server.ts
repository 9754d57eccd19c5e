/**
 * What a manager's server process (or thread) runs: the initializer, then a Server, whose
 * address and id go back to the manager through `link` (the manager's end of a pipe); then it
 * serves until shut down, the manager's own calls on that same pipe (no connect, no handshake:
 * the manager that started the server holds the key already).
 */
import type { Address } from '../connection/listener.js';
import type { Connection } from '../connection/connection.js';
import { Server, type ServedType } from './server.js';
import type { ServerHello } from './protocol.js';

export type { ServerHello } from './protocol.js';

export async function runServer(
  types: ServedType[],
  address: Address | null,
  authkey: Uint8Array,
  link: Connection,
  name: string,
  initializer: ((...args: unknown[]) => unknown) | null,
  initargs: unknown[],
): Promise<void> {
  // Ctrl-C in a terminal reaches the whole process group: the server must outlive it as long as
  // its manager does (CPython's server ignores SIGINT too).
  process.on('SIGINT', () => {});
  if (initializer) await initializer(...initargs);
  const server = new Server(types, address, authkey, name);
  link.send({ address: server.address, server: server.id } satisfies ServerHello);
  server.serveConnection(link);
  await server.serveForever();
}
