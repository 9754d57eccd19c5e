/**
 * Proxies: a handle on an object a manager's server holds. Every method is a call to the server
 * and returns a Promise. A proxy holds one reference to its object for as long as it lives (or
 * until disposed of); sent elsewhere (a Process argument, a Queue item, a value stored in a
 * managed object) it sets aside one more reference for the copy that arrives, so the object
 * lives on even if the sender drops its proxy at once.
 */
import { abortError, AbortError, AuthenticationError, BrokenBarrierError, ProcessError, QueueEmptyError, QueueFullError, TimeoutError } from '../errors.js';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { selfInfo } from '../process/state.js';
import { remoteError } from '../serialize/remote-error.js';
import { clientFor, type ManagerClient } from './client.js';
import type { Reply, Token } from './protocol.js';
import { newId } from './ids.js';
import { onAbort } from '../internal/abort.js';

/** Errors a referent's method throws that arrive as themselves, as the local object's would. */
const PASSED_AS_IS = [QueueEmptyError, QueueFullError, TimeoutError, BrokenBarrierError, AbortError];

const authkeys = new Map<string, Uint8Array>();

/** @internal Remembers the key of a server this process reached, for proxies of it that arrive later. */
export function rememberAuthkey(server: string, authkey: Uint8Array): void {
  authkeys.set(server, authkey);
}

interface Held {
  readonly ready: Promise<ManagerClient>;
  readonly target: string;
  released: boolean;
}

/** Drops a proxy's reference once the proxy itself is garbage collected (CPython's finalizer). */
const dropped = new FinalizationRegistry<Held>((held) => {
  if (held.released) return;
  held.released = true;
  void held.ready.then((client) => client.post({ op: 'decref', target: held.target })).catch(() => {});
});

function isOptionsWithSignal(value: unknown): value is { signal?: AbortSignal } {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && 'signal' in value;
}

/**
 * A handle on an object held by a manager's server (CPython's `BaseProxy`). Made by a manager's
 * typeid methods and by `create()`; its methods come from the object's exposed methods (see
 * {@link AutoProxy}).
 * @category Managers
 */
export class BaseProxy {
  readonly #token: Token;
  readonly #exposed: ReadonlySet<string>;
  readonly #held: Held;
  readonly #authkey: Uint8Array;
  readonly #proxyTypes: ProxyTypes;
  /** The connection, once `ready` gave it. */
  #client: ManagerClient | undefined;
  /** Calls made before the connection was known, still waiting for it (later calls queue behind them). */
  #waiting = 0;

  /** @internal */
  constructor(token: Token, exposed: readonly string[], ready: Promise<ManagerClient>, authkey: Uint8Array, proxyTypes: ProxyTypes = noProxyTypes) {
    this.#token = token;
    this.#authkey = authkey;
    this.#proxyTypes = proxyTypes;
    this.#exposed = new Set(exposed);
    this.#held = { ready, target: token.id, released: false };
    // A failed adoption surfaces at the first call; it must not be an unhandled rejection here.
    ready.catch(() => {});
    dropped.register(this, this.#held, this);
  }

  /** Which object this proxy stands for: its typeid, server address and id. */
  get _token(): Token {
    return this.#token;
  }

  /** @internal Whether the object exposes `method`. */
  _exposes(method: string): boolean {
    return this.#exposed.has(method);
  }

  /**
   * Calls `method` of the object on the server with `args`; resolves with a copy of what it
   * returns (a proxy, for a method served as another typeid). A last argument that is an options
   * object with a `signal` cancels the call's wait on the server when the signal aborts.
   */
  _callMethod(method: string, args: unknown[] = []): Promise<unknown> {
    if (this.#held.released) return Promise.reject(new ProcessError(`${this.toString()} was disposed of`));
    const client = this.#client;
    // Once connected, with no earlier call still waiting for the connection, a call is sent at
    // once (calls made together go out together). Calls reach the server in the order they are made.
    if (client !== undefined && this.#waiting === 0) return this.#send(client, method, args);
    this.#waiting += 1;
    // The waiting calls' reactions run in the order they were made, each sending at once.
    return this.#held.ready.then(
      (ready) => {
        this.#client = ready;
        this.#waiting -= 1;
        return this.#send(ready, method, args);
      },
      (error: unknown) => {
        this.#waiting -= 1;
        throw error;
      },
    );
  }

  /** Sends a call now; resolves with its result. */
  #send(client: ManagerClient, method: string, args: unknown[]): Promise<unknown> {
    const last = args[args.length - 1];
    if (!isOptionsWithSignal(last)) return client.call(this.#token.id, method, args, (reply) => this.#result(reply, client));
    const { signal, ...rest } = last;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const { id, reply } = client.send({ op: 'call', target: this.#token.id, method, args: [...args.slice(0, -1), rest], cancellable: signal !== undefined });
    if (!signal) return reply.then((answer) => this.#result(answer, client));
    // The call's own reply still settles it: a wait the server completed before the cancel
    // arrived is not lost, and one it cancelled rejects with AbortError.
    const stop = onAbort(signal, () => client.post({ op: 'cancel', call: id }));
    return reply.then(
      (answer) => {
        stop();
        return this.#result(answer, client);
      },
      (error: unknown) => {
        stop();
        throw error;
      },
    );
  }

  #result(reply: Reply, client: ManagerClient): unknown {
    switch (reply.kind) {
      case 'return':
        return reply.value;
      case 'proxy':
        return makeProxy(reply.token, reply.exposed, Promise.resolve(client), client.authkey, this.#proxyTypes);
      case 'error': {
        const error = reply.error;
        if (PASSED_AS_IS.some((cls) => error instanceof cls)) throw error;
        throw remoteError(error);
      }
    }
  }

  /**
   * Iterates over the object's items (a list's items, a dict's keys) with `for await`, fetched in
   * batches of 256 per round trip. For objects that can be iterated (lists, dicts).
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<unknown, void, undefined> {
    if (!this.#exposed.has('_iterChunk')) throw new TypeError(`${this.toString()} cannot be iterated`);
    let cursor: number | null = 0;
    while (cursor !== null) {
      const chunk = (await this._callMethod('_iterChunk', [cursor])) as { items: unknown[]; next: number | null };
      yield* chunk.items;
      cursor = chunk.next;
    }
  }

  /** A copy of the whole object (CPython's `_getvalue()`). */
  _getValue(): Promise<unknown> {
    return this._callMethod('_getValue');
  }

  /** Drops this proxy's reference now (the object is freed once no proxy refers to it). Idempotent. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#held.released) return;
    this.#held.released = true;
    dropped.unregister(this);
    try {
      const client = await this.#held.ready;
      await client.request({ op: 'decref', target: this.#token.id });
    } catch {
      // The server is gone: so is the object.
    }
  }

  /** @internal Travels with a reference of its own, set aside by this process. */
  [kReduce](destination: Destination): { type: string; state: unknown } {
    if (this.#held.released) throw new ProcessError(`${this.toString()} was disposed of: it cannot be sent`);
    const loan = newId();
    void this.#held.ready.then((client) => client.post({ op: 'lend', target: this.#token.id, loan })).catch(() => {});
    // The key goes only to a child being started (as CPython's, while spawning): never in a
    // message that could reach a process that does not already hold it.
    const authkey = destination.child ? this.#authkey : undefined;
    // A proxy of a registered proxytype arrives as one (the class travels by reference).
    const proxytype = this.constructor === BaseProxy ? undefined : this.constructor;
    return { type: 'ManagerProxy', state: { token: this.#token, exposed: [...this.#exposed], loan, ...(authkey ? { authkey } : {}), ...(proxytype ? { proxytype } : {}) } };
  }

  /** `<ListProxy object, typeid 'list' at 3>`, as CPython's repr (`AutoProxy[Math]` for registered types). */
  toString(): string {
    const { typeid, id } = this.#token;
    const name = proxyNames.get(typeid) ?? (this.constructor !== BaseProxy ? this.constructor.name : `AutoProxy[${typeid}]`);
    return `<${name} object, typeid '${typeid}' at ${id}>`;
  }
}

const proxyNames = new Map<string, string>();
/** @internal The proxy class a manager registered for a typeid (`register(..., { proxytype })`), if any. */
export type ProxyTypes = (typeid: string) => typeof BaseProxy | undefined;

const noProxyTypes: ProxyTypes = () => undefined;

/** @internal Names the proxies of a typeid in their repr (`ListProxy`), as CPython's proxy classes. */
export function setProxyName(typeid: string, name: string): void {
  proxyNames.set(typeid, name);
}

/** Methods a typeid's proxies run on the client, on top of the object's (Condition.waitFor). */
type ClientMethod = (proxy: BaseProxy, ...args: never[]) => unknown;
const clientMethods = new Map<string, Readonly<Record<string, ClientMethod>>>();

/** @internal Gives the proxies of `typeid` methods that run on the client. */
export function setClientMethods(typeid: string, methods: Readonly<Record<string, ClientMethod>>): void {
  clientMethods.set(typeid, methods);
}

/** @internal Wraps a BaseProxy so that each exposed method of the object is a method of the proxy. */
export function makeProxy<T = BaseProxy>(
  token: Token,
  exposed: readonly string[],
  ready: Promise<ManagerClient>,
  authkey: Uint8Array,
  proxyTypes: ProxyTypes = noProxyTypes,
  proxytype: typeof BaseProxy = proxyTypes(token.typeid) ?? BaseProxy,
): T {
  const base = new proxytype(token, exposed, ready, authkey, proxyTypes);
  const extras = clientMethods.get(token.typeid);
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const proxy = new Proxy(base, {
    get(target, property) {
      const extra = typeof property === 'string' && extras !== undefined && Object.hasOwn(extras, property) ? extras[property] : undefined;
      if (extra) return (...args: never[]) => extra(proxy as unknown as BaseProxy, ...args);
      if (typeof property === 'string' && !(property in target) && target._exposes(property)) {
        let method = methods.get(property);
        if (!method) {
          method = (...args: unknown[]) => target._callMethod(property, args);
          methods.set(property, method);
        }
        return method;
      }
      const value: unknown = Reflect.get(target, property, target);
      // Private fields need the real object as `this`.
      return typeof value === 'function' ? (value as Function).bind(target) : value;
    },
    has(target, property) {
      return property in target || (typeof property === 'string' && (target._exposes(property) || (extras !== undefined && Object.hasOwn(extras, property))));
    },
  });
  return proxy as unknown as T;
}

registerShareable('ManagerProxy', (state) => {
  const { token, exposed, loan, authkey: given, proxytype } = state as {
    token: Token;
    exposed: string[];
    loan: string;
    authkey?: Uint8Array;
    proxytype?: typeof BaseProxy;
  };
  const authkey = given ? Buffer.from(given) : (authkeys.get(token.server) ?? selfInfo().authkey);
  if (given) rememberAuthkey(token.server, authkey);
  const label = `manager at ${JSON.stringify(token.address)}`;
  const connected = clientFor(token.address, authkey, label, token.server).catch((error: unknown) => {
    if (!(error instanceof AuthenticationError)) throw error;
    throw new AuthenticationError(
      `${label} refused this process's key for a proxy it received. A child started with the proxy as an argument gets the key; ` +
        'elsewhere, connect a manager with the key in this process first: await new BaseManager({ address, authkey }).connect()',
      { cause: error },
    );
  });
  const ready = connected.then(async (client) => {
    const reply = await client.request({ op: 'adopt', loan });
    if (reply.kind === 'error') throw remoteError(reply.error);
    return client;
  });
  return makeProxy(token, exposed, ready, authkey, noProxyTypes, proxytype ?? BaseProxy);
});
