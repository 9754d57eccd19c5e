/**
 * A client of listener-kv-server.ts, run as its own program: it connects with the server's
 * authkey, counts itself in, leaves its name for the next client, and lists the keys.
 *
 *   KV_AUTHKEY=s3cret node out/examples/listener-kv-client.js 127.0.0.1:PORT [NAME]
 */
import { AuthenticationError, Client, isMain, type Connection } from 'multiprocessing-ts';
// Types only: erased from the compiled program, which does not load the server's module.
import type { Reply, Request } from './listener-kv-server.js';

/** One request, one reply: the server answers a connection's requests in the order they came. */
async function call(connection: Connection, request: Request): Promise<unknown> {
  connection.send(request);
  const reply = (await connection.recv()) as Reply;
  if (!reply.ok) throw new Error(`the server refused ${request.op}: ${reply.error}`);
  return reply.value;
}

if (isMain(import.meta)) {
  const [address = '', name = `client-${process.pid}`] = process.argv.slice(2);
  const match = /^(.+):(\d+)$/.exec(address);
  const key = process.env.KV_AUTHKEY;
  if (!match || !key) {
    console.error('usage: KV_AUTHKEY=<the server key> listener-kv-client HOST:PORT [NAME]');
    process.exit(2);
  }
  const [, host = '', port = ''] = match;

  let connection: Connection | undefined;
  try {
    connection = await Client({ host, port: Number(port) }, { authkey: Buffer.from(key) });
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    // Nothing but the handshake was exchanged: with a wrong key, not one message reaches the store.
    console.error(`${host}:${port} refused this client's key (${error.name}: ${error.message}); set KV_AUTHKEY to the server's key`);
    process.exitCode = 1;
  }
  if (connection !== undefined) {
    try {
      const run = await call(connection, { op: 'incr', key: 'runs' });
      const previous = await call(connection, { op: 'set', key: 'last-client', value: name });
      const keys = (await call(connection, { op: 'keys' })) as string[];
      console.log(`${name}: connected to ${host}:${port}, client run number ${run}`);
      console.log(`${name}: the client before me was ${previous ?? 'nobody'}; keys: ${keys.join(', ')}`);
    } finally {
      connection.close(); // the server sees EOF and stops serving this connection
    }
  }
}
