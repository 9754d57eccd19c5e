/** The managers part of the package: servers holding objects, and proxies to them. */
export { BaseManager, type ManagerOptions, type ManagerStartOptions, type RegisterOptions } from './manager.js';
export { SyncManager, Manager } from './sync-manager.js';
export { SharedMemoryManager } from './shared-memory-manager.js';
export { BaseProxy } from './proxy.js';
export { Server } from './server.js';
export type { Token } from './protocol.js';
export type {
  AcquirerProxy,
  ArrayProxy,
  AutoProxy,
  BarrierProxy,
  ConditionProxy,
  DictProxy,
  EventProxy,
  JoinableQueueProxy,
  ListProxy,
  NamespaceProxy,
  PoolProxy,
  IteratorProxy,
  AsyncResultProxy,
  ProxyBlockingOptions,
  ProxyWaitOptions,
  QueueProxy,
  SetProxy,
  SortOptions,
  ValueProxy,
} from './proxies.js';
export type { ManagerBarrierOptions } from './sync-objects.js';
