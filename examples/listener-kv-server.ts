/**
 * A tiny key-value server: a Listener on a TCP port that only talks to clients holding its
 * authkey. Any program that can reach the port can be a client: listener-kv-client.ts is one.
 *
 *   KV_AUTHKEY=s3cret node out/examples/listener-kv-server.js [PORT]   # PORT 0 (default): a free port, printed
 *   KV_AUTHKEY=s3cret node out/examples/listener-kv-client.js 127.0.0.1:PORT alice
 *
 * Without KV_AUTHKEY the server makes up a random key and prints it. It stops on Ctrl-C or SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { AuthenticationError, Listener, TimeoutError, isMain, type Connection } from 'multiprocessing-ts';

/** What a client sends; the client imports these types, so both programs agree on the protocol. */
export type Request =
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; value: unknown } // replies with the previous value
  | { op: 'incr'; key: string } // replies with the new count
  | { op: 'keys' };

export type Reply = { ok: true; value: unknown } | { ok: false; error: string };

const HOST = '127.0.0.1';

function handle(store: Map<string, unknown>, request: Request): Reply {
  switch (request?.op) {
    case 'get':
      return { ok: true, value: store.get(request.key) };
    case 'set': {
      const previous = store.get(request.key);
      store.set(request.key, request.value);
      return { ok: true, value: previous };
    }
    case 'incr': {
      const count = Number(store.get(request.key) ?? 0) + 1;
      store.set(request.key, count);
      return { ok: true, value: count };
    }
    case 'keys':
      return { ok: true, value: [...store.keys()].sort() };
    default:
      return { ok: false, error: `unknown request ${JSON.stringify(request)}: op must be get, set, incr or keys` };
  }
}

/**
 * Answers one client's requests until it hangs up. Each request is handled whole before the next
 * message is read, and the event loop runs one thing at a time, so an `incr` from two clients at
 * once can never lose a count: the store needs no lock.
 */
async function serve(connection: Connection, store: Map<string, unknown>, stats: { requests: number }): Promise<void> {
  try {
    // The loop ends when the client closes its end (EOF).
    for await (const request of connection) {
      stats.requests++;
      connection.send(handle(store, request as Request));
    }
  } finally {
    connection.close();
  }
}

if (isMain(import.meta)) {
  const port = Number(process.argv[2] ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: listener-kv-server [PORT]   (0 or none: any free port)');
    process.exit(2);
  }
  const key = process.env.KV_AUTHKEY || randomBytes(16).toString('hex');
  if (!process.env.KV_AUTHKEY) console.log(`No KV_AUTHKEY given: clients need KV_AUTHKEY=${key}`);

  // Bound and listening once the constructor returns; port 0 becomes the port the OS picked.
  // accept() returns a client that completed its handshake; handshakes run side by side, so a
  // client that connects and says nothing holds up no other, and the bound closes its connection.
  const listener = new Listener({ host: HOST, port }, { authkey: Buffer.from(key), handshakeTimeout: 5_000 });
  const store = new Map<string, unknown>();
  const stats = { requests: 0, clients: 0, refused: 0 };
  const open = new Set<Connection>();
  const stop = (): void => void listener.close(); // a pending accept() then rejects, ending the loop below
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const { port: bound } = listener.address as { host: string; port: number };
    console.log(`Listening on ${HOST}:${bound} (pid ${process.pid})`);
    while (!listener.closed) {
      let connection: Connection;
      try {
        connection = await listener.accept();
      } catch (error) {
        if (listener.closed) break;
        // A client with the wrong key (or one that never finishes the handshake) fails the
        // accept() waiting then; the listener itself is fine and keeps serving the others.
        if (error instanceof AuthenticationError || error instanceof TimeoutError) {
          stats.refused++;
          const { host, port: from } = listener.lastAccepted as { host: string; port: number };
          console.log(`Refused ${host}:${from}: ${error.name}: ${error.message}`);
          continue;
        }
        throw error;
      }
      stats.clients++;
      open.add(connection);
      serve(connection, store, stats)
        // Once stopping, the server closes the connections itself, failing their pending recv():
        // that is no client's fault, and nothing to report.
        .catch((error: Error) => listener.closed || console.log(`A client's connection failed: ${error.message}`))
        .finally(() => open.delete(connection));
    }
  } finally {
    await listener.close();
    for (const connection of open) connection.close();
  }
  console.log(`Stopped: ${stats.requests} requests from ${stats.clients} client${stats.clients === 1 ? '' : 's'}, ${stats.refused} refused`);
}
