/**
 * Every type that travels between processes as a handle on the same resource. A child's runtime
 * imports this, so handles it receives can be rebuilt even when the target's module does not
 * import the package.
 */
export { Lock } from './synchronize/lock.js';
export { RLock } from './synchronize/rlock.js';
export { Semaphore, BoundedSemaphore } from './synchronize/semaphore.js';
export { Condition } from './synchronize/condition.js';
export { Event } from './synchronize/event.js';
export { Barrier } from './synchronize/barrier.js';
export { Value, SharedArray } from './shared/sharedctypes.js';
export { SharedMemory } from './shared/shared-memory.js';
export { ShareableList } from './shared/shareable-list.js';
export { Connection } from './connection/connection.js';
export { Listener } from './connection/listener.js';
export { Queue, SimpleQueue, JoinableQueue } from './queues/queue.js';
export { LinkEnd } from './pool/link.js';
export { BaseProxy } from './managers/proxy.js';
