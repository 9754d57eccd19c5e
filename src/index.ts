/**
 * multiprocessing-ts: Python's `multiprocessing` for Node.js. The package root is the default
 * context; `getContext(method)` gives the same API bound to one start method.
 */
export {
  ProcessError,
  TimeoutError,
  AuthenticationError,
  BufferTooShortError,
  QueueEmptyError,
  QueueFullError,
  BrokenBarrierError,
  EOFError,
  RemoteError,
  WorkerLostError,
  PicklingError,
  AbortError,
} from './errors.js';
export {
  BaseContext,
  ConcreteContext,
  SpawnProcess,
  ForkServerProcess,
  ThreadProcess,
  cpuCount,
  getAllStartMethods,
  getContext,
  getStartMethod,
  setStartMethod,
  setForkserverPreload,
} from './context.js';
export { Process, currentProcess, activeChildren, type ProcessOptions, type JoinOptions, type Target } from './process/process.js';
export { ParentProcess, parentProcess } from './process/parent-process.js';
export { Sentinel } from './process/sentinel.js';
export { Connection, type ConnectionOptions, type RecvOptions } from './connection/connection.js';
export { Pipe, type PipeOptions } from './connection/pipe.js';
export { Listener, type ListenerOptions, type AcceptOptions, type Address, type BoundAddress, type Family } from './connection/listener.js';
export { Client, type ClientOptions } from './connection/client.js';
export { wait, type WaitObjectsOptions } from './connection/wait.js';
export { kWaitable, type WaitableObject } from './internal/waitable.js';
export { setExecutable } from './process/exec-options.js';
export { getAffinity, setAffinity } from './process/scheduling.js';
export type { StartMethod, ExitStatus } from './process/popen.js';
export { isMain } from './main-guard.js';
export { Lock } from './synchronize/lock.js';
export { RLock } from './synchronize/rlock.js';
export { Semaphore, BoundedSemaphore, SEM_VALUE_MAX } from './synchronize/semaphore.js';
export { Condition, type WaitOptions } from './synchronize/condition.js';
export { Event, type EventWaitOptions } from './synchronize/event.js';
export { Barrier, type BarrierOptions, type BarrierWaitOptions } from './synchronize/barrier.js';
export type { BlockingOptions, SyncBlockingOptions } from './synchronize/options.js';
export type { HeldLock, HoldOptions, SyncHoldOptions } from './synchronize/hold.js';
export {
  Value,
  SharedArray,
  SharedArray as Array,
  RawValue,
  RawArray,
  type Typecode,
  type NumericTypecode,
  type TypedArrayFor,
  type ValueFor,
  type InputFor,
  type SyncLock,
  type SharedValueOptions,
  type RawValueObject,
} from './shared/sharedctypes.js';
export { SharedMemory, type SharedMemoryOptions } from './shared/shared-memory.js';
export { ShareableList, type ShareableItem, type ShareableListOptions } from './shared/shareable-list.js';
export { Queue, SimpleQueue, JoinableQueue } from './queues/queue.js';
export type { JoinableQueueJoinOptions } from './queues/queue.js';
export {
  Pool,
  ThreadPool,
  type PoolOptions,
  type PoolContext,
  type CallOptions,
  type MapOptions,
  type ImapOptions,
  type ApplyAsyncOptions,
  type MapAsyncOptions,
} from './pool/pool.js';
export { AsyncResult, type ResultWaitOptions, type Callbacks } from './pool/async-result.js';
export { ImapIterator } from './pool/jobs.js';
export { register, registerClass } from './serialize/registry.js';
export {
  BaseManager,
  SyncManager,
  SharedMemoryManager,
  Manager,
  BaseProxy,
  Server,
  type ManagerOptions,
  type ManagerStartOptions,
  type RegisterOptions,
  type Token,
  type AcquirerProxy,
  type ArrayProxy,
  type AutoProxy,
  type BarrierProxy,
  type ManagerBarrierOptions,
  type ConditionProxy,
  type DictProxy,
  type EventProxy,
  type JoinableQueueProxy,
  type ListProxy,
  type NamespaceProxy,
  type PoolProxy,
  type IteratorProxy,
  type AsyncResultProxy,
  type ProxyBlockingOptions,
  type ProxyWaitOptions,
  type QueueProxy,
  type SetProxy,
  type SortOptions,
  type ValueProxy,
} from './managers/index.js';
export {
  getLogger,
  logToStderr,
  Logger,
  SUBDEBUG,
  DEBUG,
  INFO,
  SUBWARNING,
  WARNING,
  ERROR,
  CRITICAL,
  type LogLevel,
  type LogHandler,
} from './logging.js';

/**
 * A no-op kept for CPython parity (it matters only for frozen Windows executables).
 * @category Processes
 */
export function freezeSupport(): void {}
