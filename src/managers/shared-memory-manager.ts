/**
 * `SharedMemoryManager`: shared memory blocks and shareable lists made in the caller and
 * unlinked by the manager's server when it shuts down (or when its owner's resource tracker
 * finds them left over), so a program need not unlink each one.
 */
import { SharedMemory } from '../shared/shared-memory.js';
import { ShareableList, type ShareableItem } from '../shared/shareable-list.js';
import { ProcessError } from '../errors.js';
import { BaseManager, type ManagerStartOptions } from './manager.js';
import type { BaseProxy } from './proxy.js';

/** @internal The server's list of the blocks it unlinks at shutdown. */
export class SegmentTracker {
  readonly #names = new Set<string>();

  track(name: string): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('a segment name is a non-empty string');
    this.#names.add(name);
  }

  release(name: string): void {
    if (this.#names.delete(name)) unlinkQuietly(name);
  }

  list(): string[] {
    return [...this.#names];
  }

  /** Unlinks every block still tracked (the server is shutting down). */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const name of this.#names) unlinkQuietly(name);
    this.#names.clear();
  }
}

function unlinkQuietly(name: string): void {
  try {
    const block = new SharedMemory({ name });
    block.close();
    block.unlink();
  } catch {
    // Already unlinked by its user.
  }
}

interface TrackerProxy extends BaseProxy {
  track(name: string): Promise<void>;
  list(): Promise<string[]>;
}

/**
 * A manager of shared memory (CPython's `SharedMemoryManager`): `SharedMemory(size)` and
 * `ShareableList(items)` make blocks in this process that the manager unlinks when it shuts down.
 * @category Managers
 * @example
 * ```ts
 * import { SharedMemoryManager } from 'multiprocessing-ts';
 *
 * await using smm = new SharedMemoryManager();
 * await smm.start();
 * const shm = await smm.SharedMemory(1024);
 * const list = await smm.ShareableList([1, 2, 3]);
 * shm.buf[0] = list.get(2) as number;
 * // both are unlinked when smm is disposed of
 * ```
 */
export class SharedMemoryManager extends BaseManager {
  #tracker: TrackerProxy | null = null;

  /** Starts the server (see BaseManager.start). */
  override async start(options?: ManagerStartOptions): Promise<void> {
    await super.start(options);
    this.#tracker = await this.create<TrackerProxy>('SegmentTracker');
  }

  #checkTracker(): TrackerProxy {
    if (!this.#tracker) throw new ProcessError('SharedMemoryManager not started: call start() first');
    return this.#tracker;
  }

  /** A new block of `size` bytes, unlinked when the manager shuts down. */
  async SharedMemory(size: number): Promise<SharedMemory> {
    const tracker = this.#checkTracker();
    const shm = new SharedMemory({ create: true, size });
    await this.#track(tracker, shm);
    return shm;
  }

  /** A new shareable list of `items`, unlinked when the manager shuts down. */
  async ShareableList(items?: Iterable<ShareableItem> | null): Promise<ShareableList> {
    const tracker = this.#checkTracker();
    const list = new ShareableList(items ?? []);
    await this.#track(tracker, list.shm);
    return list;
  }

  async #track(tracker: TrackerProxy, shm: SharedMemory): Promise<void> {
    try {
      await tracker.track(shm.name);
    } catch (error) {
      // Nobody would unlink it: the caller gets the error, not a block to leak.
      shm.close();
      shm.unlink();
      throw error;
    }
  }

  /** @internal The names of the blocks the server will unlink. */
  _segments(): Promise<string[]> {
    return this.#checkTracker().list();
  }
}

SharedMemoryManager.register('SegmentTracker', SegmentTracker, { exposed: ['track', 'release', 'list'], createMethod: false });
