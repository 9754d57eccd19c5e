/**
 * A manager's server: holds objects and serves their methods to authenticated clients. One event
 * loop serves every client: each request runs as it arrives, and a method that waits (a
 * `Queue.get`, a `Lock.acquire`) holds back no other request. References belong to the client
 * (session) that holds them: when it disconnects, they are dropped and the locks it held are
 * released.
 */
import { EOFError, ProcessError } from '../errors.js';
import { Listener, kGreeting, type Address, type BoundAddress } from '../connection/listener.js';
import { NOT_HERE, type Connection } from '../connection/connection.js';
import { isRequest, type Reply, type Request, type ServerHello, type Token } from './protocol.js';
import { publicMethods } from './exposed.js';
import { isSessionAware, kCallAs, kCallerGone, type Caller } from './session-aware.js';
import { newId } from './ids.js';

/** What the server knows of a typeid: how to make its objects and what their proxies may call. */
export interface ServedType {
  readonly typeid: string;
  /** A class (called with `new`) or a function; none: objects of this typeid only come from methodToTypeid. */
  readonly callable?: Function | undefined;
  readonly exposed?: readonly string[] | undefined;
  readonly methodToTypeid?: Readonly<Record<string, string>> | undefined;
}

/** A reply before its id is put on. */
type Answer = Reply extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Held {
  readonly obj: object;
  readonly typeid: string;
  readonly exposed: ReadonlySet<string>;
  readonly methodToTypeid: Readonly<Record<string, string>> | undefined;
  refs: number;
}

interface Session extends Caller {
  readonly connection: Connection;
  /** References this client holds, by object id. */
  readonly refs: Map<string, number>;
  /** Calls that may be cancelled, by request id. */
  readonly waits: Map<number, AbortController>;
}

interface Loan {
  readonly target: string;
  readonly lender: Session | null;
}

/** How long an `adopt` waits for the `lend` it names (sent by another client, which may be slower). */
const LOAN_WAIT_MS = 60_000;

/** Servers running in this process (or thread), by id: proxies to their objects decoded here hold them directly. */
const localServers = new Map<string, Server>();

/** @internal The server of this process with this id, if any. */
export function localServer(id: string): Server | undefined {
  return localServers.get(id);
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/**
 * A manager's server (CPython's `managers.Server`): made by `BaseManager.getServer()`, or in the
 * child that `start()` launches. `serveForever()` serves until a client asks it to shut down or
 * `close()` is called.
 * @category Managers
 */
export class Server {
  /** The listener clients connect to. */
  readonly listener: Listener;
  readonly #id = newId();
  readonly #types = new Map<string, ServedType>();
  readonly #objects = new Map<string, Held>();
  readonly #loans = new Map<string, Loan>();
  readonly #loanWaiters = new Map<string, Array<() => void>>();
  readonly #sessions = new Set<Session>();
  readonly #name: string;
  #nextObject = 1;
  #nextSession = 1;
  #closed = false;
  #serving: Promise<void> | null = null;
  #stop!: () => void;
  readonly #stopped = new Promise<void>((resolve) => (this.#stop = resolve));

  /**
   * @internal Made by `BaseManager.getServer()` (and in the server process `start()` launches).
   * @param types What the server can make.
   * @param address Where to listen (default: a new Unix socket).
   * @param authkey The key clients must prove they hold.
   * @param name The manager's name, for messages.
   */
  constructor(types: readonly ServedType[], address: Address | null | undefined, authkey: Uint8Array, name = 'manager') {
    for (const type of types) this.#types.set(type.typeid, type);
    this.#name = name;
    this.listener = new Listener(address ?? null, { authkey, backlog: 128 });
    // Each client learns who this server is inside its handshake (see kGreeting).
    this.listener[kGreeting] = (connection) => connection.send({ server: this.#id, address: this.address } satisfies ServerHello);
    localServers.set(this.#id, this);
  }

  /** Where clients connect (port 0 resolved to the real port). */
  get address(): BoundAddress {
    return this.listener.address;
  }

  /** @internal The object this server holds under `id` (for a proxy of it that came back here). */
  objectOf(id: string): object | undefined {
    return this.#objects.get(id)?.obj;
  }

  /** @internal This server's id, as its tokens carry it. */
  get id(): string {
    return this.#id;
  }

  /** Serves clients; resolves once the server is shut down (by a client's `shutdown()` or `close()`). */
  serveForever(): Promise<void> {
    this.#serving ??= this.#acceptLoop();
    return this.#stopped;
  }

  /** Stops serving: closes the listener and every client connection (their pending calls reject). */
  async close(): Promise<void> {
    if (this.#closed) return this.#stopped;
    this.#closed = true;
    localServers.delete(this.#id);
    await this.listener.close();
    for (const session of this.#sessions) session.connection.close();
    this.#sessions.clear();
    for (const held of this.#objects.values()) release(held.obj);
    this.#objects.clear();
    this.#stop();
    return this.#stopped;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let connection: Connection;
      try {
        connection = await this.listener.accept();
      } catch (error) {
        if (this.#closed) return;
        // A client that failed the handshake (wrong key, silent) is dropped; others are served.
        if (error instanceof ProcessError && /listener is closed/.test(error.message)) return;
        continue;
      }
      this.serveConnection(connection);
    }
  }

  /**
   * @internal Serves a client on a connection made without the listener (its end of a pipe from
   * the process that started this server, which holds the key already): no connect, no handshake.
   */
  serveConnection(connection: Connection): void {
    const n = this.#nextSession++;
    const session: Session = { name: `client ${n}`, connection, refs: new Map(), waits: new Map() };
    this.#sessions.add(session);
    void this.#serve(session);
  }

  async #serve(session: Session): Promise<void> {
    const { connection } = session;
    try {
      for (;;) {
        let message: unknown;
        try {
          // A burst of requests already here is answered without a turn of the event loop each.
          message = connection.recvBuffered();
          if (message === NOT_HERE) message = await connection.recv();
        } catch (error) {
          if (connection.closed || error instanceof EOFError) break;
          // A request that cannot be decoded fails alone; the connection reads on.
          continue;
        }
        if (!isRequest(message)) continue;
        this.#handle(session, message);
      }
    } finally {
      this.#endSession(session);
    }
  }

  #handle(session: Session, request: Request): void {
    let answer: Answer | Promise<Answer>;
    try {
      answer = this.#answer(session, request);
    } catch (error) {
      answer = { kind: 'error', error };
    }
    // A method that returns at once is answered at once (most are): no turn of the event loop.
    if (answer instanceof Promise) {
      answer.then(
        (settled) => this.#reply(session, request.id, settled),
        (error: unknown) => this.#reply(session, request.id, { kind: 'error', error }),
      );
    } else {
      this.#reply(session, request.id, answer);
    }
  }

  #reply(session: Session, id: number, answer: Answer): void {
    if (session.connection.closed) return;
    // Most methods return nothing: a reply without `value` stays plain JSON (undefined would not).
    const reply: Reply =
      answer.kind !== 'return' ? { ...answer, id } : answer.value === undefined ? { id, kind: 'return' } : { id, kind: 'return', value: answer.value };
    try {
      session.connection.sendGathered(reply);
    } catch (error) {
      // The result cannot be sent (a closure, say): the call fails with the reason instead.
      try {
        session.connection.sendGathered({ id, kind: 'error', error } satisfies Reply);
      } catch {
        // The connection is gone.
      }
    }
  }

  /** What to answer: a value, an error, or a new object's token. Throws for a bad request. */
  #answer(session: Session, request: Request): Answer | Promise<Answer> {
    switch (request.op) {
      case 'call':
        return this.#call(session, request);
      case 'create':
        return this.#create(session, request.typeid, request.args);
      case 'incref':
        this.#incref(session, this.#held(request.target), request.target);
        return { kind: 'return', value: null };
      case 'decref':
        this.#decref(session, request.target);
        return { kind: 'return', value: null };
      case 'lend':
        this.#lend(session, request.target, request.loan);
        return { kind: 'return', value: null };
      case 'adopt':
        return this.#adopt(session, request.loan);
      case 'exposed':
        return { kind: 'return', value: [...this.#held(request.target).exposed] };
      case 'cancel':
        session.waits.get(request.call)?.abort(new ProcessError('the call was cancelled by its caller'));
        return { kind: 'return', value: null };
      case 'objects':
        return { kind: 'return', value: this.#objects.size };
      case 'shutdown':
        // Answer first, then stop: the caller learns its request arrived.
        setImmediate(() => void this.close());
        return { kind: 'return', value: null };
      default:
        throw new ProcessError(`unknown request '${String((request as { op: unknown }).op)}'`);
    }
  }

  #held(target: unknown): Held {
    const held = typeof target === 'string' ? this.#objects.get(target) : undefined;
    if (!held) throw new ProcessError(`${this.#name} holds no object with id ${JSON.stringify(target)} (it was released, or belongs to another manager)`);
    return held;
  }

  #call(session: Session, request: Extract<Request, { op: 'call' }>): Answer | Promise<Answer> {
    const held = this.#held(request.target);
    const { method } = request;
    if (typeof method !== 'string' || !held.exposed.has(method)) {
      throw new ProcessError(`method '${String(method)}' of ${held.typeid} is not exposed (exposed: ${[...held.exposed].join(', ') || 'none'})`);
    }
    const args = Array.isArray(request.args) ? (request.args as unknown[]) : [];
    let controller: AbortController | undefined;
    if (request.cancellable) {
      controller = new AbortController();
      session.waits.set(request.id, controller);
      const last = args.length - 1;
      const options = args[last];
      args[last] = { ...(typeof options === 'object' && options !== null ? options : {}), signal: controller.signal };
    }
    const done = (): void => {
      if (controller) session.waits.delete(request.id);
    };
    let returned: unknown;
    try {
      const obj = held.obj as Record<string, unknown>;
      returned = isSessionAware(obj) ? obj[kCallAs](session, method, args) : (obj[method] as Function).apply(obj, args);
    } catch (error) {
      done();
      throw error;
    }
    // A method's Promise is awaited; an object it returns is served as it is, even one with a
    // then() (a pool's AsyncResult is awaitable, and is served as an object of its own).
    if (returned instanceof Promise) {
      return returned.then(
        (result: unknown) => {
          done();
          return this.#result(session, held, method, result);
        },
        (error: unknown) => {
          done();
          throw error;
        },
      );
    }
    done();
    return this.#result(session, held, method, returned);
  }

  #result(session: Session, held: Held, method: string, result: unknown): Answer {
    const typeid = held.methodToTypeid?.[method];
    if (typeid !== undefined) return this.#serveAs(session, typeid, result);
    return { kind: 'return', value: result };
  }

  async #create(session: Session, typeid: unknown, args: unknown): Promise<Answer> {
    const type = typeof typeid === 'string' ? this.#types.get(typeid) : undefined;
    if (!type) throw new ProcessError(`${this.#name} has no typeid ${JSON.stringify(typeid)} registered (registered: ${[...this.#types.keys()].join(', ')})`);
    const callable = type.callable;
    if (typeof callable !== 'function') throw new ProcessError(`typeid '${type.typeid}' has no callable on the server: register it with one where the server runs`);
    const list = Array.isArray(args) ? (args as unknown[]) : [];
    const obj: unknown = isClass(callable) ? Reflect.construct(callable, list) : await (callable as (...a: unknown[]) => unknown)(...list);
    return this.#serveAs(session, type.typeid, obj);
  }

  /** Holds `obj` as an object of `typeid`, one reference for `session`, and answers with its token. */
  #serveAs(session: Session, typeid: string, obj: unknown): Answer {
    if (typeof obj !== 'object' && typeof obj !== 'function') {
      throw new ProcessError(`typeid '${typeid}' must make an object, not ${obj === null ? 'null' : typeof obj}`);
    }
    const target = obj as object;
    const type = this.#types.get(typeid);
    const exposed = new Set(type?.exposed ?? publicMethods(target));
    const id = `${this.#nextObject++}`;
    this.#objects.set(id, { obj: target, typeid, exposed, methodToTypeid: type?.methodToTypeid, refs: 0 });
    this.#incref(session, this.#objects.get(id)!, id);
    const token: Token = { typeid, address: this.address, server: this.#id, id };
    return { kind: 'proxy', token, exposed: [...exposed] };
  }

  #incref(session: Session | null, held: Held, id: string): void {
    held.refs += 1;
    if (session) session.refs.set(id, (session.refs.get(id) ?? 0) + 1);
  }

  #decref(session: Session | null, id: string): void {
    const held = this.#objects.get(id);
    if (!held) return;
    if (session) {
      const mine = session.refs.get(id) ?? 0;
      if (mine <= 0) return;
      if (mine === 1) session.refs.delete(id);
      else session.refs.set(id, mine - 1);
    }
    held.refs -= 1;
    if (held.refs <= 0) {
      this.#objects.delete(id);
      release(held.obj);
    }
  }

  #lend(session: Session | null, target: string, loan: string): void {
    const held = this.#held(target);
    if (typeof loan !== 'string' || this.#loans.has(loan)) throw new ProcessError('a loan needs a new id');
    this.#incref(null, held, target);
    this.#loans.set(loan, { target, lender: session });
    for (const wake of this.#loanWaiters.get(loan) ?? []) wake();
    this.#loanWaiters.delete(loan);
  }

  async #adopt(session: Session, loan: string): Promise<Answer> {
    if (!this.#loans.has(loan)) {
      // The lender's request may come after the borrower's: it was sent first, on another connection.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ProcessError(`${this.#name}: the reference this proxy was sent with never arrived (its sender died, or the proxy was sent to two places from a process that had not used it yet)`)), LOAN_WAIT_MS);
        timer.unref();
        const waiters = this.#loanWaiters.get(loan) ?? [];
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        this.#loanWaiters.set(loan, waiters);
      });
    }
    const { target } = this.#loans.get(loan)!;
    this.#loans.delete(loan);
    // The loan's reference becomes this client's.
    session.refs.set(target, (session.refs.get(target) ?? 0) + 1);
    return { kind: 'return', value: null };
  }

  #endSession(session: Session): void {
    if (!this.#sessions.delete(session)) return;
    for (const controller of session.waits.values()) controller.abort(new ProcessError('the client disconnected'));
    for (const held of this.#objects.values()) {
      const obj = held.obj as Partial<Record<typeof kCallerGone, (caller: Caller) => void>>;
      obj[kCallerGone]?.(session);
    }
    for (const [id, count] of session.refs) for (let i = 0; i < count; i++) this.#decref(session, id);
    // Loans it made that nobody adopted: nobody will now.
    for (const [loan, { target, lender }] of this.#loans) {
      if (lender === session) {
        this.#loans.delete(loan);
        this.#decref(null, target);
      }
    }
  }
}

/** Lets go of an object nobody refers to any more: a pool or queue the server made ends with it. */
function release(obj: object): void {
  const dispose = (obj as Partial<AsyncDisposable>)[Symbol.asyncDispose];
  if (typeof dispose === 'function') void Promise.resolve(dispose.call(obj)).catch(() => {});
}
