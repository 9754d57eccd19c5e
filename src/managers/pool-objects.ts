/**
 * What a SyncManager's server holds for `manager.Pool()`: a Pool of the server's own, whose
 * `imap` iterators and `*Async` results are served as objects of their own (typeids `Iterator`
 * and `AsyncResult`), so a client iterates or waits through proxies, from any process.
 */
import { Pool, type PoolOptions } from '../pool/pool.js';
import type { AsyncResult } from '../pool/async-result.js';
import type { IterChunk } from './containers.js';

type Fn = (...args: never[]) => unknown;

/** @internal A pool iterator as the server holds it: one result per round trip. */
export class ManagedIterator {
  readonly #iterator: AsyncIterator<unknown>;

  constructor(iterator: AsyncIterator<unknown>) {
    this.#iterator = iterator;
  }

  /** The next result: `{ value, done }`, as an async iterator's. */
  next(): Promise<IteratorResult<unknown>> {
    return this.#iterator.next();
  }

  async _iterChunk(cursor: number): Promise<IterChunk> {
    const step = await this.#iterator.next();
    return step.done ? { items: [], next: null } : { items: [step.value], next: cursor + 1 };
  }

  /** Stops the iteration (the pool reads no more of its input). */
  async return(): Promise<void> {
    await this.#iterator.return?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/** @internal An AsyncResult as the server holds it. */
export class ManagedAsyncResult {
  readonly #result: AsyncResult<any>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result type
  constructor(result: AsyncResult<any>) {
    this.#result = result;
  }

  get(options?: { timeout?: number | null }): Promise<unknown> {
    return this.#result.get(options);
  }

  wait(options?: { timeout?: number | null }): Promise<void> {
    return this.#result.wait(options);
  }

  ready(): boolean {
    return this.#result.ready();
  }

  successful(): boolean {
    return this.#result.successful();
  }
}

/** @internal What `manager.Pool()` holds: a Pool in the server. */
export class ManagedPool {
  readonly #pool: Pool;

  constructor(processes?: number | Omit<PoolOptions, 'context'> | null) {
    this.#pool = new Pool(processes);
  }

  apply(fn: Fn, args?: unknown[], options?: object): Promise<unknown> {
    return this.#pool.apply(fn as (...a: unknown[]) => unknown, args, options);
  }

  map(fn: Fn, items: Iterable<unknown>, options?: object): Promise<unknown[]> {
    return this.#pool.map(fn as (item: unknown) => unknown, items, options);
  }

  starmap(fn: Fn, items: Iterable<unknown[]>, options?: object): Promise<unknown[]> {
    return this.#pool.starmap(fn as (...a: unknown[]) => unknown, items, options);
  }

  imap(fn: Fn, items: Iterable<unknown>, options?: object): ManagedIterator {
    return new ManagedIterator(this.#pool.imap(fn as (item: unknown) => unknown, items, options));
  }

  imapUnordered(fn: Fn, items: Iterable<unknown>, options?: object): ManagedIterator {
    return new ManagedIterator(this.#pool.imapUnordered(fn as (item: unknown) => unknown, items, options));
  }

  applyAsync(fn: Fn, args?: unknown[], options?: object): ManagedAsyncResult {
    return new ManagedAsyncResult(this.#pool.applyAsync(fn as (...a: unknown[]) => unknown, args, options));
  }

  mapAsync(fn: Fn, items: Iterable<unknown>, options?: object): ManagedAsyncResult {
    return new ManagedAsyncResult(this.#pool.mapAsync(fn as (item: unknown) => unknown, items, options));
  }

  starmapAsync(fn: Fn, items: Iterable<unknown[]>, options?: object): ManagedAsyncResult {
    return new ManagedAsyncResult(this.#pool.starmapAsync(fn as (...a: unknown[]) => unknown, items, options));
  }

  close(): void {
    this.#pool.close();
  }

  join(): Promise<void> {
    return this.#pool.join();
  }

  terminate(): Promise<void> {
    return this.#pool.terminate();
  }

  /** Nobody refers to it any more: its workers end once their tasks are done. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#pool[Symbol.asyncDispose]();
  }
}
