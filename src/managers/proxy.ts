/**
 * Proxies: a handle on an object a manager's server holds. Every method is a call to the server
 * and returns a Promise. A proxy holds one reference to its object for as long as it lives (or
 * until disposed of); sent elsewhere (a Process argument, a Queue item, a value stored in a
 * managed object) it sets aside one more reference for the copy that arrives, so the object
 * lives on even if the sender drops its proxy at once.
 */
import { abortError, AbortError, BrokenBarrierError, ProcessError, QueueEmptyError, QueueFullError, TimeoutError } from '../errors.js';
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

  /** @internal */
  constructor(token: Token, exposed: readonly string[], ready: Promise<ManagerClient>) {
    this.#token = token;
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
  async _callMethod(method: string, args: unknown[] = []): Promise<unknown> {
    if (this.#held.released) throw new ProcessError(`${this.toString()} was disposed of`);
    const client = await this.#held.ready;
    const last = args[args.length - 1];
    let signal: AbortSignal | undefined;
    let sent = args;
    if (isOptionsWithSignal(last)) {
      signal = last.signal;
      const { signal: _omitted, ...rest } = last;
      sent = [...args.slice(0, -1), rest];
      if (signal?.aborted) throw abortError(signal);
    }
    const { id, reply } = client.send({ op: 'call', target: this.#token.id, method, args: sent, cancellable: signal !== undefined });
    if (signal) {
      // The call's own reply still settles it: a wait the server completed before the cancel
      // arrived is not lost, and one it cancelled rejects with AbortError.
      const stop = onAbort(signal, () => client.post({ op: 'cancel', call: id }));
      try {
        return this.#result(await reply, client);
      } finally {
        stop();
      }
    }
    return this.#result(await reply, client);
  }

  #result(reply: Reply, client: ManagerClient): unknown {
    switch (reply.kind) {
      case 'return':
        return reply.value;
      case 'proxy':
        return makeProxy(reply.token, reply.exposed, Promise.resolve(client));
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
  [kReduce](_destination: Destination): { type: string; state: unknown } {
    if (this.#held.released) throw new ProcessError(`${this.toString()} was disposed of: it cannot be sent`);
    const loan = newId();
    void this.#held.ready.then((client) => client.post({ op: 'lend', target: this.#token.id, loan })).catch(() => {});
    return { type: 'ManagerProxy', state: { token: this.#token, exposed: [...this.#exposed], loan } };
  }

  /** `<ListProxy object, typeid 'list' at 3>`, as CPython's repr. */
  toString(): string {
    return `<${this.constructor === BaseProxy ? 'AutoProxy' : this.constructor.name}[${this.#token.typeid}] object, typeid '${this.#token.typeid}' at ${this.#token.id}>`;
  }
}

/** Methods a typeid's proxies run on the client, on top of the object's (Condition.waitFor). */
type ClientMethod = (proxy: BaseProxy, ...args: never[]) => unknown;
const clientMethods = new Map<string, Readonly<Record<string, ClientMethod>>>();

/** @internal Gives the proxies of `typeid` methods that run on the client. */
export function setClientMethods(typeid: string, methods: Readonly<Record<string, ClientMethod>>): void {
  clientMethods.set(typeid, methods);
}

/** @internal Wraps a BaseProxy so that each exposed method of the object is a method of the proxy. */
export function makeProxy<T = BaseProxy>(token: Token, exposed: readonly string[], ready: Promise<ManagerClient>): T {
  const base = new BaseProxy(token, exposed, ready);
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
  const { token, exposed, loan } = state as { token: Token; exposed: string[]; loan: string };
  const authkey = authkeys.get(token.server) ?? selfInfo().authkey;
  const label = `manager at ${JSON.stringify(token.address)}`;
  const ready = clientFor(token.address, authkey, label, token.server).then(async (client) => {
    const reply = await client.request({ op: 'adopt', loan });
    if (reply.kind === 'error') throw remoteError(reply.error);
    return client;
  });
  return makeProxy(token, exposed, ready);
});
