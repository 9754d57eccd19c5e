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
  /** Adds `item` at the end. */
  append(item: T): Promise<void>;
  /** Adds every item of `items` at the end. */
  extend(items: Iterable<T>): Promise<void>;
  /** Inserts `item` before `index` (negative: from the end; past the end: appends). */
  insert(index: number, item: T): Promise<void>;
  /** Python's `l[i]`; RangeError past the end. */
  get(index: number): Promise<T>;
  /** Python's `l[i] = item`. */
  set(index: number, item: T): Promise<void>;
  /** Python's `del l[i]`. */
  delete(index: number): Promise<void>;
  /** The number of items (Python's `len(l)`). */
  len(): Promise<number>;
  /** Python's `item in l` (by value). */
  includes(item: T): Promise<boolean>;
  /** The index of the first item equal to `item` (between `start` and `stop`); RangeError if none. */
  index(item: T, start?: number, stop?: number): Promise<number>;
  /** How many items equal `item`. */
  count(item: T): Promise<number>;
  /** Removes and resolves the item at `index` (default: the last); RangeError on an empty list. */
  pop(index?: number): Promise<T>;
  /** Removes the first item equal to `item`; RangeError if none. */
  remove(item: T): Promise<void>;
  /** Reverses the list in place. */
  reverse(): Promise<void>;
  /** Sorts on the server; a `key` function must be exported from its module (it runs there). */
  sort(options?: SortOptions<T>): Promise<void>;
  /** Removes every item. */
  clear(): Promise<void>;
  /** A snapshot, as a plain array. */
  copy(): Promise<T[]>;
  /** Iterates over the items, 256 per round trip. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}

/**
 * A managed dict (`manager.dict()`): Map-like, with Python's dict methods.
 * @category Managers
 */
export interface DictProxy<K = unknown, V = unknown> extends BaseProxy, AsyncIterable<K> {
  /** Python's `d[key] = value`. */
  set(key: K, value: V): Promise<void>;
  /** The value of `key`, or `fallback` (default undefined), as Python's `dict.get`. */
  get(key: K): Promise<V | undefined>;
  /** The value of `key`, or `fallback` when it has none. */
  get<D>(key: K, fallback: D): Promise<V | D>;
  /** Python's `key in d`. */
  has(key: K): Promise<boolean>;
  /** Resolves whether the key was there. */
  delete(key: K): Promise<boolean>;
  /** The number of keys. */
  len(): Promise<number>;
  /** The keys, in insertion order. */
  keys(): Promise<K[]>;
  /** The values, in insertion order. */
  values(): Promise<V[]>;
  /** The `[key, value]` pairs, in insertion order. */
  items(): Promise<Array<[K, V]>>;
  /** Sets every key of `other` (an object, a Map or entries). */
  update(other: Record<string, V> | Map<K, V> | Iterable<readonly [K, V]>): Promise<void>;
  /** Removes `key` and resolves its value; RangeError if missing and no fallback is given. */
  pop(key: K): Promise<V>;
  /** Removes `key` and resolves its value, or `fallback` when it has none. */
  pop<D>(key: K, fallback: D): Promise<V | D>;
  /** Removes and resolves the last pair inserted; RangeError on an empty dict. */
  popitem(): Promise<[K, V]>;
  /** The value of `key`, after setting it to `fallback` if it had none. */
  setdefault(key: K, fallback?: V): Promise<V>;
  /** Removes every key. */
  clear(): Promise<void>;
  /** A snapshot, as a Map. */
  copy(): Promise<Map<K, V>>;
  /** Iterates over the keys, 256 per round trip. */
  [Symbol.asyncIterator](): AsyncGenerator<K, void, undefined>;
}

/**
 * A managed namespace (`manager.Namespace()`): named attributes.
 * @category Managers
 */
export interface NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends BaseProxy {
  /** The attribute `name`; RangeError if it has none. */
  get<N extends keyof T & string>(name: N): Promise<T[N]>;
  /** Sets the attribute `name`. */
  set<N extends keyof T & string>(name: N, value: T[N]): Promise<void>;
  /** Removes the attribute `name`; RangeError if it has none. */
  delete(name: keyof T & string): Promise<void>;
  /** The attributes, as a plain object. */
  copy(): Promise<T>;
}

/**
 * A managed value (`manager.Value(typecode, value)`); no lock, as CPython's.
 * @category Managers
 */
export interface ValueProxy<T = unknown> extends BaseProxy {
  /** The value. */
  get(): Promise<T>;
  /** Replaces the value. */
  set(value: T): Promise<void>;
}

/**
 * A managed array (`manager.Array(typecode, items)`).
 * @category Managers
 */
export interface ArrayProxy<T = number> extends BaseProxy {
  /** The item at `index` (negative: from the end); RangeError past the end. */
  get(index: number): Promise<T>;
  /** Replaces the item at `index`. */
  set(index: number, value: T): Promise<void>;
  /** The number of items. */
  len(): Promise<number>;
  /** A snapshot, as a typed array of the typecode. */
  copy(): Promise<ArrayLike<T>>;
}

/**
 * A managed queue (`manager.Queue()`): QueueEmptyError and QueueFullError as a local Queue.
 * @category Managers
 */
export interface QueueProxy<T = unknown> extends BaseProxy {
  /** Puts `item`, waiting for room while the queue is full (QueueFullError at the timeout, or at once with `block: false`). */
  put(item: T, options?: ProxyBlockingOptions): Promise<void>;
  /** Takes an item, waiting while the queue is empty (QueueEmptyError at the timeout, or at once with `block: false`). */
  get(options?: ProxyBlockingOptions): Promise<T>;
  /** `put(item, { block: false })`. */
  putNowait(item: T): Promise<void>;
  /** `get({ block: false })`. */
  getNowait(): Promise<T>;
  /** The number of items in the queue now. */
  qsize(): Promise<number>;
  /** Whether the queue is empty now. */
  empty(): Promise<boolean>;
  /** Whether the queue is full now. */
  full(): Promise<boolean>;
}

/**
 * A managed joinable queue (`manager.JoinableQueue()`).
 * @category Managers
 */
export interface JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  /** Marks one item taken with `get()` as processed; RangeError if called more often than items were put. */
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
  /** Takes the lock (or a unit of the semaphore); resolves false at the timeout, or at once with `block: false`. */
  acquire(options?: ProxyBlockingOptions): Promise<boolean>;
  /** Releases it; RemoteError when it is not held (or, for an RLock, not held by this process). */
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
  /** Wakes at most `n` (default 1) waiters; the lock must be held. */
  notify(n?: number): Promise<void>;
  /** Wakes every waiter; the lock must be held. */
  notifyAll(): Promise<void>;
}

/**
 * A managed event (`manager.Event()`).
 * @category Managers
 */
export interface EventProxy extends BaseProxy {
  /** Whether the flag is set. */
  isSet(): Promise<boolean>;
  /** Sets the flag and wakes every waiter. */
  set(): Promise<void>;
  /** Clears the flag. */
  clear(): Promise<void>;
  /** Waits until the flag is set; resolves the flag (false at the timeout). */
  wait(options?: ProxyWaitOptions): Promise<boolean>;
}

/**
 * A managed barrier (`manager.Barrier(parties)`).
 * @category Managers
 */
export interface BarrierProxy extends BaseProxy {
  /** Resolves this wait's arrival index; BrokenBarrierError if the barrier breaks. */
  wait(options?: ProxyWaitOptions): Promise<number>;
  /** Breaks the barrier: waits in progress and later ones reject with BrokenBarrierError until `reset()`. */
  abort(): Promise<void>;
  /** Back to the initial state; waits in progress reject with BrokenBarrierError. */
  reset(): Promise<void>;
  /** How many waits pass the barrier together. */
  parties(): Promise<number>;
  /** How many waits are in progress. */
  nWaiting(): Promise<number>;
  /** Whether the barrier is broken. */
  broken(): Promise<boolean>;
}

/**
 * A pool held by a manager's server (`manager.Pool(n)`): the Pool API through the manager. The
 * functions it runs are sent by reference (exported from their modules), as to a local Pool.
 * @category Managers
 */
export interface PoolProxy extends BaseProxy {
  /** Runs `fn(...args)` in a worker; resolves its result. */
  apply<A extends unknown[], R>(fn: (...args: A) => R, args?: A, options?: { signal?: AbortSignal }): Promise<Awaited<R>>;
  /** `fn` of every item, in order. */
  map<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number; signal?: AbortSignal }): Promise<Awaited<R>[]>;
  /** `fn(...args)` of every argument list, in order. */
  starmap<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>, options?: { chunksize?: number; signal?: AbortSignal }): Promise<Awaited<R>[]>;
  /** Results in order, through a proxy iterated with `for await` (one result per round trip). */
  imap<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  /** As `imap`, in the order the results come. */
  imapUnordered<T, R>(fn: (item: T) => R, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  /** Starts `fn(...args)`; resolves a proxy of its result. */
  applyAsync<A extends unknown[], R>(fn: (...args: A) => R, args?: A): Promise<AsyncResultProxy<Awaited<R>>>;
  /** Starts a `map`; resolves a proxy of its result. */
  mapAsync<T, R>(fn: (item: T) => R, items: Iterable<T>): Promise<AsyncResultProxy<Awaited<R>[]>>;
  /** Starts a `starmap`; resolves a proxy of its result. */
  starmapAsync<A extends unknown[], R>(fn: (...args: A) => R, items: Iterable<A>): Promise<AsyncResultProxy<Awaited<R>[]>>;
  /** Takes no more tasks; the workers end once the submitted ones are done. */
  close(): Promise<void>;
  /** Waits for the workers to end (after `close()` or `terminate()`). */
  join(): Promise<void>;
  /** Stops the workers now; unfinished tasks reject. */
  terminate(): Promise<void>;
}

/**
 * The results of a managed pool's `imap`: iterate with `for await`, or call `next()`.
 * @category Managers
 */
export interface IteratorProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  /** The next result, as an async iterator's `{ value, done }`. */
  next(): Promise<IteratorResult<T>>;
  /** Stops the iteration on the server. */
  return(): Promise<void>;
  /** Iterates over the results. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}

/**
 * The result of a managed pool's `applyAsync` / `mapAsync`.
 * @category Managers
 */
export interface AsyncResultProxy<T = unknown> extends BaseProxy {
  /** The result, once ready (TimeoutError at the timeout; the task's error if it failed). */
  get(options?: { timeout?: number | null }): Promise<T>;
  /** Waits until the result is ready, or the timeout. */
  wait(options?: { timeout?: number | null }): Promise<void>;
  /** Whether the task has finished. */
  ready(): Promise<boolean>;
  /** Whether the task finished without error (only once ready). */
  successful(): Promise<boolean>;
}

/**
 * A managed set (`manager.set()`, as Python 3.14's): items compared by value.
 * @category Managers
 */
export interface SetProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  /** Adds `item` unless an equal one is there. */
  add(item: T): Promise<void>;
  /** RangeError if the item is not there (Python's KeyError). */
  remove(item: T): Promise<void>;
  /** Resolves whether the item was there. */
  discard(item: T): Promise<boolean>;
  /** Whether an item equal to `item` is there. */
  has(item: T): Promise<boolean>;
  /** The number of items. */
  len(): Promise<number>;
  /** Adds every item of `items`. */
  update(items: Iterable<T>): Promise<void>;
  /** Removes and resolves an item; RangeError on an empty set. */
  pop(): Promise<T>;
  /** Removes every item. */
  clear(): Promise<void>;
  /** A snapshot, as a Set. */
  copy(): Promise<Set<T>>;
  /** Iterates over the items, 256 per round trip. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined>;
}
