/**
 * The types of the proxies a {@link SyncManager} makes. Every method is a call to the server and
 * returns a Promise; values come back as copies.
 */
import type { BaseProxy } from './proxy.js';
import type { SortOptions } from './containers.js';

export type { SortOptions } from './containers.js';

/** Options of the waiting methods of managed objects. */
export interface ProxyWaitOptions {
  /** Milliseconds; omitted or null: no limit. */
  timeout?: number | null;
  /** Cancels the wait on the server: the call rejects with AbortError and takes nothing. */
  signal?: AbortSignal;
}

/** Options of the blocking methods of managed locks and queues. */
export interface ProxyBlockingOptions extends ProxyWaitOptions {
  /** False: answer at once (acquire: false; get: QueueEmptyError; put: QueueFullError). */
  block?: boolean;
}

/**
 * `T`'s methods as a proxy has them: each returns a Promise of what the method returns
 * (CPython's `AutoProxy`). Properties that are not methods are not reachable.
 * @category Managers
 */
export type AutoProxy<T> = BaseProxy & {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * A managed list (`manager.list()`): Python's list methods; negative indexes count from the end.
 * @category Managers
 */
export interface ListProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  append(item: T): Promise<void>;
  extend(items: Iterable<T>): Promise<void>;
  insert(index: number, item: T): Promise<void>;
  /** Python's `l[i]`; RangeError past the end. */
  get(index: number): Promise<T>;
  /** Python's `l[i] = item`. */
  set(index: number, item: T): Promise<void>;
  /** Python's `del l[i]`. */
  delete(index: number): Promise<void>;
  len(): Promise<number>;
  /** Python's `item in l` (by value). */
  includes(item: T): Promise<boolean>;
  index(item: T, start?: number, stop?: number): Promise<number>;
  count(item: T): Promise<number>;
  pop(index?: number): Promise<T>;
  remove(item: T): Promise<void>;
  reverse(): Promise<void>;
  /** Sorts on the server; a `key` function must be exported from its module (it runs there). */
  sort(options?: SortOptions<T>): Promise<void>;
  clear(): Promise<void>;
  /** A snapshot, as a plain array. */
  copy(): Promise<T[]>;
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}

/**
 * A managed dict (`manager.dict()`): Map-like, with Python's dict methods.
 * @category Managers
 */
export interface DictProxy<K = unknown, V = unknown> extends BaseProxy, AsyncIterable<K> {
  set(key: K, value: V): Promise<void>;
  /** The value of `key`, or `fallback` (default undefined), as Python's `dict.get`. */
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, fallback: D): Promise<V | D>;
  has(key: K): Promise<boolean>;
  /** Resolves whether the key was there. */
  delete(key: K): Promise<boolean>;
  len(): Promise<number>;
  keys(): Promise<K[]>;
  values(): Promise<V[]>;
  items(): Promise<Array<[K, V]>>;
  update(other: Record<string, V> | Map<K, V> | Iterable<readonly [K, V]>): Promise<void>;
  /** Removes `key` and resolves its value; RangeError if missing and no fallback is given. */
  pop(key: K): Promise<V>;
  pop<D>(key: K, fallback: D): Promise<V | D>;
  popitem(): Promise<[K, V]>;
  setdefault(key: K, fallback?: V): Promise<V>;
  clear(): Promise<void>;
  /** A snapshot, as a Map. */
  copy(): Promise<Map<K, V>>;
  [Symbol.asyncIterator](): AsyncGenerator<K, void, undefined>;
}

/**
 * A managed namespace (`manager.Namespace()`): named attributes.
 * @category Managers
 */
export interface NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends BaseProxy {
  get<N extends keyof T & string>(name: N): Promise<T[N]>;
  set<N extends keyof T & string>(name: N, value: T[N]): Promise<void>;
  delete(name: keyof T & string): Promise<void>;
  copy(): Promise<T>;
}

/**
 * A managed value (`manager.Value(typecode, value)`); no lock, as CPython's.
 * @category Managers
 */
export interface ValueProxy<T = unknown> extends BaseProxy {
  get(): Promise<T>;
  set(value: T): Promise<void>;
}

/**
 * A managed array (`manager.Array(typecode, items)`).
 * @category Managers
 */
export interface ArrayProxy<T = number> extends BaseProxy {
  get(index: number): Promise<T>;
  set(index: number, value: T): Promise<void>;
  len(): Promise<number>;
  copy(): Promise<ArrayLike<T>>;
}

/**
 * A managed queue (`manager.Queue()`): QueueEmptyError and QueueFullError as a local Queue.
 * @category Managers
 */
export interface QueueProxy<T = unknown> extends BaseProxy {
  put(item: T, options?: ProxyBlockingOptions): Promise<void>;
  get(options?: ProxyBlockingOptions): Promise<T>;
  putNowait(item: T): Promise<void>;
  getNowait(): Promise<T>;
  qsize(): Promise<number>;
  empty(): Promise<boolean>;
  full(): Promise<boolean>;
}

/**
 * A managed joinable queue (`manager.JoinableQueue()`).
 * @category Managers
 */
export interface JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  taskDone(): Promise<void>;
  /** Resolves true once every item put is done, false at the timeout. */
  join(options?: ProxyWaitOptions): Promise<boolean>;
}

/**
 * A managed lock (`Lock()`, `RLock()`, `Semaphore()`, `BoundedSemaphore()`). The owner of an
 * RLock is the client process; a lock a client holds is released if that client disconnects.
 * @category Managers
 */
export interface AcquirerProxy extends BaseProxy {
  acquire(options?: ProxyBlockingOptions): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A managed condition (`manager.Condition()`).
 * @category Managers
 */
export interface ConditionProxy extends AcquirerProxy {
  /** Gives the lock up, waits until notified (true) or the timeout (false), takes it back. */
  wait(options?: ProxyWaitOptions): Promise<boolean>;
  /** Waits until `predicate()` (run here, and may be async) is truthy; resolves its last value. */
  waitFor<R>(predicate: () => R | Promise<R>, options?: { timeout?: number | null }): Promise<R>;
  notify(n?: number): Promise<void>;
  notifyAll(): Promise<void>;
}

/**
 * A managed event (`manager.Event()`).
 * @category Managers
 */
export interface EventProxy extends BaseProxy {
  isSet(): Promise<boolean>;
  set(): Promise<void>;
  clear(): Promise<void>;
  wait(options?: ProxyWaitOptions): Promise<boolean>;
}

/**
 * A managed barrier (`manager.Barrier(parties)`).
 * @category Managers
 */
export interface BarrierProxy extends BaseProxy {
  /** Resolves this wait's arrival index; BrokenBarrierError if the barrier breaks. */
  wait(options?: ProxyWaitOptions): Promise<number>;
  abort(): Promise<void>;
  reset(): Promise<void>;
  parties(): Promise<number>;
  nWaiting(): Promise<number>;
  broken(): Promise<boolean>;
}

/**
 * A pool held by a manager's server (`manager.Pool(n)`): the Pool API through the manager. The
 * functions it runs are sent by reference (exported from their modules), as to a local Pool.
 * @category Managers
 */
export interface PoolProxy extends BaseProxy {
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: { signal?: AbortSignal }): Promise<Awaited<R>>;
  map<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number; signal?: AbortSignal }): Promise<Awaited<R>[]>;
  starmap<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>, options?: { chunksize?: number; signal?: AbortSignal }): Promise<Awaited<R>[]>;
  /** Results in order, through a proxy iterated with `for await` (one result per round trip). */
  imap<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  imapUnordered<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  applyAsync<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<AsyncResultProxy<Awaited<R>>>;
  mapAsync<T, R>(fn: (item: T) => R, items: Iterable<T>): Promise<AsyncResultProxy<Awaited<R>[]>>;
  starmapAsync<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>): Promise<AsyncResultProxy<Awaited<R>[]>>;
  close(): Promise<void>;
  join(): Promise<void>;
  terminate(): Promise<void>;
}

/**
 * The results of a managed pool's `imap`: iterate with `for await`, or call `next()`.
 * @category Managers
 */
export interface IteratorProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  next(): Promise<IteratorResult<T>>;
  /** Stops the iteration on the server. */
  return(): Promise<void>;
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}

/**
 * The result of a managed pool's `applyAsync` / `mapAsync`.
 * @category Managers
 */
export interface AsyncResultProxy<T = unknown> extends BaseProxy {
  get(options?: { timeout?: number | null }): Promise<T>;
  wait(options?: { timeout?: number | null }): Promise<void>;
  ready(): Promise<boolean>;
  successful(): Promise<boolean>;
}

/**
 * A managed set (`manager.set()`, as Python 3.14's): items compared by value.
 * @category Managers
 */
export interface SetProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  add(item: T): Promise<void>;
  /** RangeError if the item is not there (Python's KeyError). */
  remove(item: T): Promise<void>;
  /** Resolves whether the item was there. */
  discard(item: T): Promise<boolean>;
  has(item: T): Promise<boolean>;
  len(): Promise<number>;
  update(items: Iterable<T>): Promise<void>;
  pop(): Promise<T>;
  clear(): Promise<void>;
  /** A snapshot, as a Set. */
  copy(): Promise<Set<T>>;
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}
