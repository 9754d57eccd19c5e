/**
 * `BaseManager`: starts a server (in a child of the context's start method) or connects to one,
 * and makes proxies of the objects it holds. Subclasses register the types their server makes.
 */
import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { EOFError, ProcessError } from '../errors.js';
import { atExit, ExitPriority } from '../internal/exit.js';
import { nativeStatus } from '../internal/native.js';
import { Process, runInBackground } from '../process/process.js';
import { selfInfo } from '../process/state.js';
import { Pipe } from '../connection/pipe.js';
import { wait } from '../connection/wait.js';
import type { Address, BoundAddress } from '../connection/listener.js';
import { checkExposed, checkMethodToTypeid } from './exposed.js';
import { adoptClient, clientFor, dropClient, type ManagerClient } from './client.js';
import { BaseProxy, makeProxy, rememberAuthkey, type ProxyTypes } from './proxy.js';
import { runServer, type ServerHello } from './run-server.js';
import { Server, type ServedType } from './server.js';
import { remoteError } from '../serialize/remote-error.js';

/**
 * Options of {@link BaseManager.register}.
 * @category Managers
 */
export interface RegisterOptions {
  /** The methods proxies may call (default: the object's public methods). */
  exposed?: readonly string[] | null;
  /** Methods whose results are served as objects of another typeid, and come back as proxies. */
  methodToTypeid?: Readonly<Record<string, string>> | null;
  /** Whether the manager gets a method named after the typeid (default true), as `create(typeid)`. */
  createMethod?: boolean;
  /**
   * The class of this typeid's proxies: a subclass of {@link BaseProxy} whose own methods run on
   * the client (calling the object's with `this._callMethod(name, args)`); the object's exposed
   * methods are there too.
   */
  proxytype?: typeof BaseProxy | null;
}

/**
 * Options of a manager.
 * @category Managers
 */
export interface ManagerOptions {
  /** Where the server listens: a Unix socket path, or `[host, port]` (`''`: every interface; port 0: any). Default: a new Unix socket. */
  address?: Address | null;
  /** The key clients must hold (default: this program's `currentProcess().authkey`). */
  authkey?: Uint8Array | null;
  /** Starts the server with this context's Process (a context, or anything with a `Process` class). Default: the default context. */
  context?: {
    /** The Process class the server is started with. */
    readonly Process: typeof Process;
  } | null;
  /** How long `shutdown()` waits for the server to end at each step before stopping it harder (ms, default 1000). */
  shutdownTimeout?: number;
}

/**
 * Options of {@link BaseManager.start}.
 * @category Managers
 */
export interface ManagerStartOptions {
  /** Runs in the server before it serves (an exported function, as a Process target). */
  initializer?: ((...args: never[]) => unknown) | null;
  /** The initializer's arguments. */
  initargs?: readonly unknown[];
}

type Entry = ServedType & { readonly createMethod: boolean; readonly proxytype: typeof BaseProxy | null };

const registries = new WeakMap<Function, Map<string, Entry>>();
let managerCount = 0;

function registryOf(cls: Function): Map<string, Entry> {
  let own = registries.get(cls);
  if (!own) {
    // A subclass starts with a copy of its parent's types, as CPython's.
    const parent = Object.getPrototypeOf(cls) as Function | null;
    own = new Map(parent && parent !== Function.prototype ? registryOf(parent) : []);
    registries.set(cls, own);
  }
  return own;
}

function toAuthkey(value: unknown): Uint8Array {
  if (value === undefined || value === null) return selfInfo().authkey;
  if (typeof value === 'string') return Buffer.from(value);
  if (!(value instanceof Uint8Array)) throw new TypeError('authkey must be a Uint8Array (or a string)');
  return Buffer.from(value);
}

/**
 * A manager (CPython's `multiprocessing.managers.BaseManager`): a server process that holds
 * objects, and proxies that call their methods from any process that can reach it. Subclass it
 * and {@link BaseManager.register | register} the types its server makes; {@link SyncManager}
 * comes with lists, dicts, locks, queues and more.
 *
 * How it differs from CPython: every proxy method returns a Promise; one connection per process
 * per manager carries every call, many at once; references belong to the client that holds them
 * (a client that dies releases them, and the locks it held); when the server goes away, every
 * pending and later call rejects at once instead of hanging.
 *
 * @category Managers
 * @example
 * ```ts
 * import { BaseManager, isMain, type AutoProxy } from 'multiprocessing-ts';
 *
 * export class MathClass {
 *   add(x: number, y: number): number {
 *     return x + y;
 *   }
 * }
 *
 * class MathManager extends BaseManager {}
 * MathManager.register('Math', MathClass);
 *
 * if (isMain(import.meta)) {
 *   await using manager = new MathManager({ address: ['127.0.0.1', 0], authkey: Buffer.from('secret') });
 *   await manager.start();
 *   const math = await manager.create<AutoProxy<MathClass>>('Math');
 *   console.log(await math.add(4, 4)); // 8
 * }
 * ```
 */
export class BaseManager {
  readonly #address: Address | null;
  readonly #authkey: Uint8Array;
  readonly #context: { readonly Process: typeof Process } | null;
  readonly #shutdownTimeout: number;
  #state: 'initial' | 'started' | 'shutdown' = 'initial';
  #bound: BoundAddress | null = null;
  #process: Process | null = null;
  #client: ManagerClient | null = null;
  #shuttingDown: Promise<void> | null = null;
  #afterShutdown: (() => void) | null = null;

  /**
   * A manager, not started yet: `start()` starts its server, `connect()` reaches one started
   * elsewhere, `getServer()` serves in this process.
   * @param options Where the server listens, its key, the context its process is started with.
   */
  constructor(options: ManagerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object like { address, authkey }');
    this.#address = options.address ?? null;
    this.#authkey = toAuthkey(options.authkey);
    this.#context = options.context ?? null;
    const timeout = options.shutdownTimeout ?? 1000;
    if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) throw new TypeError('shutdownTimeout must be a non-negative number of milliseconds');
    this.#shutdownTimeout = timeout;
  }

  /**
   * Registers a type this manager's server can make (CPython's `register()`), under `typeid`:
   * `callable` is a class (made with `new`) or a function returning the object; it must be
   * exported from its module when the server is another process. Adds a method named after the
   * typeid unless `createMethod` is false. A client of a server started elsewhere may register
   * a typeid without a callable.
   */
  static register(typeid: string, callable?: Function | null, options: RegisterOptions = {}): void {
    if (typeof typeid !== 'string' || typeid === '') throw new TypeError('register(): typeid must be a non-empty string');
    if (callable !== undefined && callable !== null && typeof callable !== 'function') {
      throw new TypeError(`register('${typeid}'): callable must be a class or a function`);
    }
    if (options === null || typeof options !== 'object') throw new TypeError(`register('${typeid}'): options must be an object`);
    const createMethod = options.createMethod ?? true;
    const proxytype = options.proxytype ?? null;
    if (proxytype !== null && !(typeof proxytype === 'function' && (proxytype === BaseProxy || proxytype.prototype instanceof BaseProxy))) {
      throw new TypeError(`register('${typeid}'): proxytype must be a subclass of BaseProxy`);
    }
    if (typeof createMethod !== 'boolean') throw new TypeError(`register('${typeid}'): createMethod must be a boolean`);
    const entry: Entry = {
      typeid,
      callable: callable ?? undefined,
      exposed: checkExposed(options.exposed, typeid),
      methodToTypeid: checkMethodToTypeid(options.methodToTypeid, typeid),
      createMethod,
      proxytype,
    };
    registryOf(this).set(typeid, entry);
    if (createMethod && !(typeid in BaseManager.prototype)) {
      Object.defineProperty(this.prototype, typeid, {
        configurable: true,
        writable: true,
        value(this: BaseManager, ...args: unknown[]) {
          return this.create(typeid, ...args);
        },
      });
    }
  }

  /** The proxy classes this manager's class registered, by typeid. */
  readonly #proxyTypes: ProxyTypes = (typeid) => registryOf(this.constructor).get(typeid)?.proxytype ?? undefined;

  #types(): ServedType[] {
    return [...registryOf(this.constructor)].map(([, { typeid, callable, exposed, methodToTypeid }]) => ({ typeid, callable, exposed, methodToTypeid }));
  }

  #label(): string {
    return `${this.constructor.name} at ${JSON.stringify(this.#bound ?? this.#address)}`;
  }

  #checkInitial(): void {
    if (this.#state === 'started') throw new ProcessError('Already started server');
    if (this.#state === 'shutdown') throw new ProcessError('Manager has shut down');
  }

  /** Where the server listens (after `start()` or `connect()`, the bound address: port 0 resolved). */
  get address(): BoundAddress | Address | null {
    return this.#bound ?? this.#address;
  }

  /**
   * Starts the server in a child process of the context's start method (a thread for the
   * `thread` context) and connects to it. Rejects if the server ends before it is ready.
   */
  async start(options: ManagerStartOptions = {}): Promise<void> {
    this.#checkInitial();
    const addon = nativeStatus();
    if (!addon.available) {
      // The server listens on a socket of the addon's: say so here, not as a child's failure.
      throw new ProcessError(
        `${this.constructor.name}.start() needs the native addon (its server listens on a socket): ${addon.reason}. ` +
          'connect() reaches a manager started where the addon loads',
      );
    }
    const { initializer = null, initargs = [] } = options;
    if (initializer !== null && typeof initializer !== 'function') throw new TypeError('initializer must be callable');
    if (!Array.isArray(initargs)) throw new TypeError('initargs must be an array');
    this.#state = 'started';
    const ProcessClass = this.#context?.Process ?? Process;
    // The manager's own connection: a pipe, whose other end the server serves (see run-server.ts).
    const [link, serverEnd] = Pipe();
    const name = `${this.constructor.name}-${++managerCount}`;
    const server = new ProcessClass({
      target: runServer,
      args: [this.#types(), this.#address, this.#authkey, serverEnd, name, initializer as ((...args: unknown[]) => unknown) | null, [...initargs]],
      name,
      // Not a daemon: its objects may start processes (a managed Pool). It runs in the background.
      daemon: false,
    });
    this.#process = server;
    let hello: ServerHello;
    try {
      server.start();
      runInBackground(server);
      serverEnd.close();
      const [ready] = await wait([link, server.sentinel] as const);
      if (ready !== link) throw new ProcessError(`${name}: the manager's server exited (exit code ${server.exitCode}) before it was ready`);
      try {
        hello = (await link.recv()) as ServerHello;
      } catch (error) {
        if (!(error instanceof EOFError)) throw error;
        // The pipe's end of file came first: the server is gone (its initializer failed, say).
        await server.join({ timeout: this.#shutdownTimeout });
        throw new ProcessError(`${name}: the manager's server exited (exit code ${server.exitCode}) before it was ready`, { cause: error });
      }
    } catch (error) {
      this.#state = 'shutdown';
      link.close();
      if (server.isAlive()) server.kill();
      throw error;
    }
    this.#bound = hello.address;
    if (this.#address === null) this.#removeSocketDirAtExit();
    this.#client = adoptClient(link, hello.address, hello.server, this.#authkey, this.#label());
    rememberAuthkey(this.#client.server, this.#authkey);
  }

  /**
   * The server listens on a Unix socket in a temporary folder of its own, which its process
   * removes when it exits by itself; a server ended with the program (a daemon child terminated,
   * a thread stopped) cannot, so the program removes that folder as it exits.
   */
  #removeSocketDirAtExit(): void {
    const path = this.#bound;
    if (typeof path !== 'string' || path.startsWith('\0')) return;
    const dir = dirname(path);
    if (!basename(dir).startsWith('pymp-')) return;
    const stop = atExit(() => rmSync(dir, { recursive: true, force: true }), ExitPriority.tempDir);
    this.#afterShutdown = () => {
      stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  /** Connects to a server started elsewhere (its `address` and `authkey`); rejects with AuthenticationError for a wrong key. */
  async connect(): Promise<void> {
    this.#checkInitial();
    if (this.#address === null) throw new ProcessError('connect(): the manager needs the address of the server');
    this.#state = 'started';
    try {
      this.#client = await clientFor(this.#address, this.#authkey, this.#label());
    } catch (error) {
      this.#state = 'initial';
      throw error;
    }
    this.#bound = this.#address as BoundAddress;
    rememberAuthkey(this.#client.server, this.#authkey);
  }

  /** A server to run in this process (CPython's `get_server()`): `await server.serveForever()`. */
  getServer(): Server {
    this.#checkInitial();
    const server = new Server(this.#types(), this.#address, this.#authkey, this.constructor.name);
    this.#bound = server.address;
    return server;
  }

  /** Makes an object of a registered typeid on the server; resolves with a proxy to it. */
  async create<T = unknown>(typeid: string, ...args: unknown[]): Promise<T> {
    const client = this.#checkStarted();
    const reply = await client.request({ op: 'create', typeid, args });
    if (reply.kind === 'proxy') return makeProxy<T>(reply.token, reply.exposed, Promise.resolve(client), this.#authkey, this.#proxyTypes);
    if (reply.kind === 'error') throw remoteError(reply.error);
    throw new ProcessError('create(): the server answered without a proxy');
  }

  #checkStarted(): ManagerClient {
    if (this.#state === 'shutdown') throw new ProcessError('Manager has shut down');
    if (this.#state === 'initial' || !this.#client) throw new ProcessError('Manager not started: call start() or connect() first');
    return this.#client;
  }

  /** @internal How many objects the server holds (CPython's `_number_of_objects()`). */
  async _numberOfObjects(): Promise<number> {
    const reply = await this.#checkStarted().request({ op: 'objects' });
    return reply.kind === 'return' ? (reply.value as number) : NaN;
  }

  /**
   * Shuts the server down (if this manager started it) and ends this manager's use of it: every
   * pending and later call of its proxies rejects. Waits `shutdownTimeout` for the server to exit,
   * then terminates it, then kills it. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shuttingDown ??= this.#shutdown();
    return this.#shuttingDown;
  }

  async #shutdown(): Promise<void> {
    const started = this.#state === 'started';
    this.#state = 'shutdown';
    if (!started) return;
    const client = this.#client;
    const server = this.#process;
    if (client && server) {
      try {
        await client.request({ op: 'shutdown' });
      } catch {
        // Already gone.
      }
    }
    // A manager that only connected leaves the server, and this process's connection to it
    // (which other managers and proxies of that server share), as they are.
    if (client && server) dropClient(client.server, new ProcessError(`${this.#label()} has shut down`));
    if (server) {
      await server.join({ timeout: this.#shutdownTimeout });
      if (server.exitCode === null) {
        server.terminate();
        await server.join({ timeout: this.#shutdownTimeout });
      }
      if (server.exitCode === null) server.kill();
      await server.join();
    }
    this.#afterShutdown?.();
  }

  /** Waits for the server this manager started to end. */
  async join(options?: { timeout?: number | null }): Promise<void> {
    if (!this.#process) throw new ProcessError('join(): this manager started no server');
    await this.#process.join(options);
  }

  /** `shutdown()`: `await using manager = ...`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
