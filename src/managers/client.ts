/**
 * A process's connection to one manager's server: one authenticated `Connection`, many calls in
 * flight, replies matched by id. It reads only while calls are pending, so an idle manager keeps
 * no program alive. When the server goes away (shut down, killed), every pending and later call
 * rejects at once with one error naming the manager.
 */
import { EOFError, PicklingError, ProcessError } from '../errors.js';
import { Client } from '../connection/client.js';
import { NOT_HERE, type Connection } from '../connection/connection.js';
import type { Address, BoundAddress } from '../connection/listener.js';
import type { Reply, Request, ServerHello } from './protocol.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void; settle: ((reply: Reply) => unknown) | undefined };

/** Spreads a request type over its union members, so `id` can be left out of each. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** @internal */
export class ManagerClient {
  readonly #connection: Connection;
  readonly #pending = new Map<number, Pending>();
  readonly #label: string;
  #next = 1;
  #reading = false;
  #broken: Error | null = null;
  /** The server's id, once it said it (its hello). */
  server = '';

  /** The key this client proved. */
  readonly authkey: Uint8Array;

  constructor(connection: Connection, label: string, authkey: Uint8Array) {
    this.#connection = connection;
    this.#label = label;
    this.authkey = authkey;
  }

  /** Whether the connection is gone (every call rejects). */
  get broken(): boolean {
    return this.#broken !== null;
  }

  /** Sends a request; resolves with its reply. Requests reach the server in the order they are made. */
  request(request: WithoutId<Request>): Promise<Reply> {
    return this.send(request).reply;
  }

  /** Sends a request: its id (to cancel it by) and its reply. */
  send(request: WithoutId<Request>): { id: number; reply: Promise<Reply> } {
    const id = this.#next++;
    if (this.#broken) return { id, reply: Promise.reject(this.#broken) };
    const reply = this.#sent({ ...request, id } as Request, undefined) as Promise<Reply>;
    return { id, reply };
  }

  /**
   * Calls method `method` of object `target` (a proxy's call: the fast path). Resolves with what
   * `settle` makes of the reply (a throw rejects), with no Promise in between.
   */
  call(target: string, method: string, args: unknown[], settle: (reply: Reply) => unknown): Promise<unknown> {
    const id = this.#next++;
    if (this.#broken) return Promise.reject(this.#broken);
    return this.#sent({ op: 'call', id, target, method, args }, settle);
  }

  #sent(request: Request, settle: ((reply: Reply) => unknown) | undefined): Promise<unknown> {
    const { id } = request;
    return new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, settle });
      try {
        this.#connection.sendGathered(request);
      } catch (error) {
        this.#pending.delete(id);
        // An argument that cannot be sent fails its call alone; a connection that fails fails all.
        if (error instanceof PicklingError || error instanceof TypeError || error instanceof RangeError) {
          reject(error);
        } else {
          this.destroy(this.#gone(error));
          reject(this.#broken!);
        }
        return;
      }
      this.#read();
    });
  }

  /** Sends a request whose answer nobody waits for (a reference dropped or lent). */
  post(request: WithoutId<Request>): void {
    this.request(request).catch(() => {
      // The server is gone: so is what the request was about.
    });
  }

  /** Reads replies while calls are pending. */
  #read(): void {
    if (this.#reading) return;
    this.#reading = true;
    void (async () => {
      try {
        while (this.#pending.size > 0) {
          // Replies already here are taken without a turn of the event loop each.
          let message = this.#connection.recvBuffered();
          if (message === NOT_HERE) message = await this.#connection.recv();
          const reply = message as Reply;
          const pending = this.#pending.get(reply?.id);
          if (!pending) continue;
          this.#pending.delete(reply.id);
          if (pending.settle === undefined) {
            pending.resolve(reply);
            continue;
          }
          try {
            pending.resolve(pending.settle(reply));
          } catch (error) {
            pending.reject(error);
          }
        }
      } catch (error) {
        this.destroy(this.#gone(error));
      } finally {
        this.#reading = false;
      }
      // A request may have come between the last reply and the loop's end.
      if (this.#pending.size > 0 && !this.#broken) this.#read();
    })();
  }

  #gone(cause: unknown): Error {
    if (cause instanceof EOFError) {
      return new EOFError(`${this.#label} is gone: its server shut down or died (the connection closed)`, { cause });
    }
    return new ProcessError(`${this.#label}: the connection to its server failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }

  /** Rejects every pending and later call with `error`, and closes the connection. */
  destroy(error: Error): void {
    if (!this.#broken) this.#broken = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const each of pending) each.reject(this.#broken);
    this.#connection.close();
  }
}

const clients = new Map<string, Promise<ManagerClient>>();

/** Where this process keeps its client of a server (by id or address) for one key. */
function clientKey(name: string, authkey: Uint8Array): string {
  return `${name}|${Buffer.from(authkey).toString('hex')}`;
}

function addressKey(address: Address | BoundAddress): string {
  if (typeof address === 'string') return address;
  if (Array.isArray(address)) return `${address[0]}:${address[1]}`;
  const { host, port } = address as { host: string; port: number };
  return `${host}:${port}`;
}

/**
 * @internal The client of this process for the server at `address` (one per server): connects
 * and authenticates on first use. `label` names the manager in errors.
 */
export function clientFor(address: Address | BoundAddress, authkey: Uint8Array, label: string, server?: string): Promise<ManagerClient> {
  // A client proved one key: another key gets its own connection (and its own handshake).
  const keyed = (name: string): string => clientKey(name, authkey);
  const key = keyed(server ?? addressKey(address));
  const known = clients.get(key);
  if (known) {
    return known.then((client) => (client.broken ? connectNew() : client));
  }
  return connectNew();

  function connectNew(): Promise<ManagerClient> {
    const made = (async () => {
      const connection = await Client(address as Address, { authkey });
      // The server's hello came inside the handshake (kGreeting): it is here already, or on its way.
      let hello: unknown;
      try {
        hello = connection.recvBuffered();
        if (hello === NOT_HERE) hello = await connection.recv();
      } catch (error) {
        connection.close();
        throw new ProcessError(`${label}: the server closed the connection before it said who it is`, { cause: error });
      }
      if (typeof (hello as Partial<ServerHello> | null)?.server !== 'string') {
        connection.close();
        throw new ProcessError(`${label}: the listener at this address is not a manager's server (its first message is not a manager's hello)`);
      }
      const client = new ManagerClient(connection, label, authkey);
      client.server = (hello as ServerHello).server;
      clients.set(keyed(client.server), Promise.resolve(client));
      return client;
    })();
    clients.set(key, made);
    made.catch(() => {
      if (clients.get(key) === made) clients.delete(key);
    });
    return made;
  }
}

/**
 * @internal Makes `connection` (a pipe to the server at `address` whose id is `server`, already
 * trusted) this process's client of that server.
 */
export function adoptClient(connection: Connection, address: Address | BoundAddress, server: string, authkey: Uint8Array, label: string): ManagerClient {
  const client = new ManagerClient(connection, label, authkey);
  client.server = server;
  const made = Promise.resolve(client);
  clients.set(clientKey(server, authkey), made);
  clients.set(clientKey(addressKey(address), authkey), made);
  return client;
}

/** @internal Forgets and closes this process's clients of a server (after its shutdown). */
export function dropClient(server: string, error: Error): void {
  for (const [key, known] of clients) {
    if (!key.startsWith(`${server}|`)) continue;
    clients.delete(key);
    void known.then((client) => client.destroy(error)).catch(() => {});
  }
}
