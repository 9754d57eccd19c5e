/**
 * `SyncManager` and `Manager()`: a manager whose server makes lists, dicts, namespaces, values,
 * arrays, queues and synchronization objects, as CPython's.
 */
import type { Typecode } from '../shared/typecodes.js';
import { BaseManager, type ManagerOptions, type ManagerStartOptions } from './manager.js';
import { setClientMethods, setProxyName, type BaseProxy } from './proxy.js';
import { localServer } from './server.js';
import { Deadline } from '../internal/deadline.js';
import { validateTimeout } from '../internal/validate.js';
import { ManagedArray, ManagedDict, ManagedList, ManagedNamespace, ManagedSet, ManagedValue } from './containers.js';
import { ManagedBarrier, ManagedBoundedSemaphore, ManagedCondition, ManagedEvent, ManagedLock, ManagedRLock, ManagedSemaphore, type ManagerBarrierOptions } from './sync-objects.js';
import { ManagedQueue } from './queue-objects.js';
import { ManagedAsyncResult, ManagedIterator, ManagedPool } from './pool-objects.js';
import type { PoolOptions } from '../pool/pool.js';
import type {
  AcquirerProxy,
  ArrayProxy,
  BarrierProxy,
  ConditionProxy,
  DictProxy,
  EventProxy,
  JoinableQueueProxy,
  ListProxy,
  NamespaceProxy,
  PoolProxy,
  QueueProxy,
  SetProxy,
  ValueProxy,
} from './proxies.js';

const LIST = ['append', 'extend', 'insert', 'get', 'set', 'delete', 'len', 'includes', 'index', 'count', 'pop', 'remove', 'reverse', 'sort', 'clear', 'copy', '_getValue', '_iterChunk'];
const DICT = ['set', 'get', 'has', 'delete', 'len', 'keys', 'values', 'items', 'update', 'pop', 'popitem', 'setdefault', 'clear', 'copy', '_getValue', '_iterChunk'];
const QUEUE = ['put', 'get', 'putNowait', 'getNowait', 'qsize', 'empty', 'full'];
const ACQUIRER = ['acquire', 'release'];

/**
 * A manager whose server makes lists, dicts, namespaces, values, arrays, queues, locks,
 * conditions, events and barriers (CPython's `SyncManager`). `await Manager()` gives a started one.
 * @category Managers
 * @example
 * ```ts
 * import { Manager, Process, isMain, type ListProxy } from 'multiprocessing-ts';
 *
 * export async function fill(shared: ListProxy<number>, i: number): Promise<void> {
 *   await shared.append(i * i);
 * }
 *
 * if (isMain(import.meta)) {
 *   await using manager = await Manager();
 *   const shared = await manager.list<number>();
 *   const workers = [0, 1, 2, 3, 4].map((i) => new Process({ target: fill, args: [shared, i] }));
 *   for (const p of workers) p.start();
 *   for (const p of workers) await p.join();
 *   console.log((await shared.copy()).sort((a, b) => a - b)); // [0, 1, 4, 9, 16]
 * }
 * ```
 */
export class SyncManager extends BaseManager {
  /** A managed list, holding a copy of `items`. */
  list<T = unknown>(items: Iterable<T> = []): Promise<ListProxy<T>> {
    return this.create<ListProxy<T>>('list', [...items]);
  }

  /** A managed dict: from an object, a Map or entries. */
  dict<K = string, V = unknown>(init?: Record<string, V> | Map<K, V> | Iterable<readonly [K, V]> | null): Promise<DictProxy<K, V>> {
    const entries = init === undefined || init === null ? [] : init instanceof Map || Symbol.iterator in Object(init) ? [...(init as Iterable<readonly [K, V]>)] : Object.entries(init);
    return this.create<DictProxy<K, V>>('dict', entries);
  }

  /** A managed set (as Python 3.14's), holding `items`. */
  set<T = unknown>(items: Iterable<T> = []): Promise<SetProxy<T>> {
    return this.create<SetProxy<T>>('set', [...items]);
  }

  /** A managed namespace with these attributes. */
  Namespace<T extends Record<string, unknown> = Record<string, unknown>>(init: Partial<T> = {}): Promise<NamespaceProxy<T>> {
    return this.create<NamespaceProxy<T>>('Namespace', init);
  }

  /** A managed value (no lock: `get()` then `set()` is not atomic, as CPython's). */
  Value<T = number>(typecode: Typecode | string, value: T): Promise<ValueProxy<T>> {
    return this.create<ValueProxy<T>>('Value', typecode, value);
  }

  /** A managed array of the typecode (a size, or the initial items). */
  Array<T = number>(typecode: Typecode, items: Iterable<T> | number): Promise<ArrayProxy<T>> {
    return this.create<ArrayProxy<T>>('Array', typecode, typeof items === 'number' ? items : [...items]);
  }

  /** A managed queue (`maxsize` 0: unbounded). */
  Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create<QueueProxy<T>>('Queue', maxsize);
  }

  /** A managed joinable queue. */
  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.create<JoinableQueueProxy<T>>('JoinableQueue', maxsize);
  }

  /** A managed lock: any client may release it. */
  Lock(): Promise<AcquirerProxy> {
    return this.create<AcquirerProxy>('Lock');
  }

  /** A managed recursive lock, owned by the client process that acquired it. */
  RLock(): Promise<AcquirerProxy> {
    return this.create<AcquirerProxy>('RLock');
  }

  /** A managed semaphore. */
  Semaphore(value = 1): Promise<AcquirerProxy> {
    return this.create<AcquirerProxy>('Semaphore', value);
  }

  /** A managed semaphore that refuses to be released past its initial value. */
  BoundedSemaphore(value = 1): Promise<AcquirerProxy> {
    return this.create<AcquirerProxy>('BoundedSemaphore', value);
  }

  /** A managed condition over `lock` (a Lock or RLock of this manager), or a new RLock of its own. */
  Condition(lock?: AcquirerProxy | null): Promise<ConditionProxy> {
    return this.create<ConditionProxy>('Condition', lock ?? null);
  }

  /** A managed event. */
  Event(): Promise<EventProxy> {
    return this.create<EventProxy>('Event');
  }

  /** A Pool in the manager's server (its workers are the server's children). */
  Pool(processes?: number | Omit<PoolOptions, 'context'> | null): Promise<PoolProxy> {
    return this.create<PoolProxy>('Pool', processes ?? null);
  }

  /** A managed barrier for `parties` waits. */
  Barrier(parties: number, options: ManagerBarrierOptions = {}): Promise<BarrierProxy> {
    return this.create<BarrierProxy>('Barrier', parties, options);
  }
}

function register(typeid: string, callable: Function, exposed: readonly string[]): void {
  SyncManager.register(typeid, callable, { exposed, createMethod: false });
}

register('list', ManagedList, LIST);
register('dict', ManagedDict, DICT);
register('set', ManagedSet, ['add', 'remove', 'discard', 'has', 'len', 'update', 'pop', 'clear', 'copy', '_getValue', '_iterChunk']);
register('Namespace', ManagedNamespace, ['get', 'set', 'delete', 'copy', '_getValue', 'toString']);
register('Value', ManagedValue, ['get', 'set', '_getValue']);
register('Array', ManagedArray, ['get', 'set', 'len', 'copy', '_getValue']);
register('Queue', ManagedQueue, QUEUE);
register('JoinableQueue', ManagedQueue, [...QUEUE, 'taskDone', 'join']);
register('Lock', ManagedLock, [...ACQUIRER, 'locked']);
register('RLock', ManagedRLock, ACQUIRER);
register('Semaphore', ManagedSemaphore, [...ACQUIRER, 'getValue']);
register('BoundedSemaphore', ManagedBoundedSemaphore, [...ACQUIRER, 'getValue']);
register('Condition', makeCondition, [...ACQUIRER, 'wait', 'notify', 'notifyAll']);
register('Event', ManagedEvent, ['isSet', 'set', 'clear', 'wait']);
register('Barrier', ManagedBarrier, ['wait', 'abort', 'reset', 'parties', 'nWaiting', 'broken']);
SyncManager.register('Pool', ManagedPool, {
  exposed: ['apply', 'map', 'starmap', 'imap', 'imapUnordered', 'applyAsync', 'mapAsync', 'starmapAsync', 'close', 'join', 'terminate'],
  methodToTypeid: { imap: 'Iterator', imapUnordered: 'Iterator', applyAsync: 'AsyncResult', mapAsync: 'AsyncResult', starmapAsync: 'AsyncResult' },
  createMethod: false,
});
register('Iterator', ManagedIterator, ['next', 'return', '_iterChunk']);
register('AsyncResult', ManagedAsyncResult, ['get', 'wait', 'ready', 'successful']);

for (const [typeid, name] of Object.entries({
  list: 'ListProxy',
  dict: 'DictProxy',
  set: 'SetProxy',
  Namespace: 'NamespaceProxy',
  Value: 'ValueProxy',
  Array: 'ArrayProxy',
  Lock: 'AcquirerProxy',
  RLock: 'AcquirerProxy',
  Semaphore: 'AcquirerProxy',
  BoundedSemaphore: 'AcquirerProxy',
  Condition: 'ConditionProxy',
  Event: 'EventProxy',
  Barrier: 'BarrierProxy',
  Pool: 'PoolProxy',
  Iterator: 'IteratorProxy',
})) {
  setProxyName(typeid, name);
}

/** @internal Makes a Condition in the server over the lock a proxy stands for (one of this server's). */
export function makeCondition(lock: BaseProxy | null): ManagedCondition {
  if (lock === null || lock === undefined) return new ManagedCondition();
  const { server, id, typeid } = lock._token;
  const held = localServer(server)?.objectOf(id);
  if (!(held instanceof ManagedLock || held instanceof ManagedRLock)) {
    throw new TypeError(`Condition(lock): the lock must be a Lock or RLock of the same manager, not ${typeid}`);
  }
  return new ManagedCondition(held);
}

setClientMethods('Condition', {
  /** CPython's wait_for: the predicate runs here (it may read other proxies), between waits. */
  async waitFor(proxy: BaseProxy, predicate: () => unknown, options: { timeout?: number | null } = {}): Promise<unknown> {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function');
    const deadline = new Deadline(validateTimeout(options.timeout));
    let result = await predicate();
    while (!result && !deadline.passed()) {
      await proxy._callMethod('wait', [{ timeout: deadline.remaining() }]);
      result = await predicate();
    }
    return result;
  },
});

/**
 * Starts a {@link SyncManager} and resolves with it (CPython's `multiprocessing.Manager()`).
 * Dispose of it (`await using`) or call `shutdown()` when done.
 * @category Managers
 */
export async function Manager(options?: ManagerOptions & ManagerStartOptions): Promise<SyncManager> {
  const { initializer, initargs, ...rest } = options ?? {};
  const manager = new SyncManager(rest);
  await manager.start({ ...(initializer !== undefined ? { initializer } : {}), ...(initargs !== undefined ? { initargs } : {}) });
  return manager;
}
