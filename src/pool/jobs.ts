/**
 * What a pool call is while it runs: a list job (apply, map, starmap and their Async forms)
 * collects every chunk's results into one value; an imap job reads its input lazily and hands
 * results out one by one, keeping at most `bufferSize` chunks between its input and its reader.
 */
import { onAbort } from '../internal/abort.js';
import { abortError } from '../errors.js';
import { AsyncResult, settle } from './async-result.js';
import type { Chunk, Job, PoolCore } from './core.js';
import type { Mode } from './protocol.js';

/** @internal */
export type Progress = (done: number, total: number | undefined) => void;

function callProgress(progress: Progress | undefined, done: number, total: number | undefined): void {
  if (!progress) return;
  try {
    progress(done, total);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/** Watches an AbortSignal for a job; `stop()` removes the listener. */
function watch(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (!signal) return () => undefined;
  return onAbort(signal, listener);
}

/** @internal One `apply`: one chunk of one item. */
export class ApplyJob implements Job {
  live = true;
  readonly #result: AsyncResult<unknown>;
  readonly #unwatch: (() => void) | null;

  constructor(result: AsyncResult<unknown>, signal: AbortSignal | undefined) {
    this.#result = result;
    this.#unwatch = signal ? watch(signal, () => this.#finish(false, abortError(signal), true)) : null;
  }

  chunkDone(chunk: Chunk | null, ok: boolean, value: unknown): void {
    if (!this.live) return;
    this.#finish(ok && chunk !== null, ok && chunk !== null ? (value as unknown[])[0] : value, false);
  }

  #finish(ok: boolean, value: unknown, aborted: boolean): void {
    if (!this.live) return;
    this.live = false;
    this.#unwatch?.();
    if (aborted) this.#core?.sweep();
    settle(this.#result, ok, value);
  }

  /** Set when a signal may cancel the job while its chunk is queued. */
  #core: PoolCore | null = null;
  watchQueue(core: PoolCore): void {
    this.#core = core;
  }
}

/** @internal A list call (map, starmap and their Async forms): every chunk's results, gathered. */
export class ListJob implements Job {
  live = true;
  readonly #core: PoolCore;
  readonly #result: AsyncResult<unknown>;
  readonly #values: unknown[];
  readonly #chunksize: number;
  readonly #single: boolean;
  readonly #progress: Progress | undefined;
  #remaining: number;
  #done = 0;
  readonly #unwatch: () => void;

  constructor(
    core: PoolCore,
    result: AsyncResult<unknown>,
    options: { total: number; chunksize: number; chunks: number; single: boolean; progress?: Progress; signal?: AbortSignal },
  ) {
    this.#core = core;
    this.#result = result;
    this.#values = new Array<unknown>(options.total);
    this.#chunksize = options.chunksize;
    this.#remaining = options.chunks;
    this.#single = options.single;
    this.#progress = options.progress;
    this.#unwatch = watch(options.signal, () => this.#finish(false, abortError(options.signal!)));
    // An empty input is done at once, but callbacks still run after the call returns (as CPython's).
    if (options.chunks === 0) queueMicrotask(() => this.#finish(true, this.#values));
  }

  chunkDone(chunk: Chunk | null, ok: boolean, value: unknown): void {
    if (!this.live) return;
    if (!ok || chunk === null) {
      this.#finish(false, value);
      return;
    }
    const values = value as unknown[];
    const start = chunk.index * this.#chunksize;
    for (let i = 0; i < values.length; i++) this.#values[start + i] = values[i];
    this.#done += values.length;
    callProgress(this.#progress, this.#done, this.#values.length);
    if (--this.#remaining === 0) this.#finish(true, this.#single ? this.#values[0] : this.#values);
  }

  #finish(ok: boolean, value: unknown): void {
    if (!this.live) return;
    this.live = false;
    this.#unwatch();
    if (this.#remaining > 0) this.#core.sweep();
    settle(this.#result, ok, value);
  }
}

type Outcome = { ok: true; values: unknown[] } | { ok: false; error: unknown };

/** @internal */
export interface ImapSetup {
  fnId: number;
  mode: Mode;
  ordered: boolean;
  chunksize: number;
  bufferSize: number;
  progress?: Progress;
  signal?: AbortSignal;
}

/**
 * The iterator {@link Pool.imap} and {@link Pool.imapUnordered} return (CPython's `IMapIterator`,
 * here an async iterator: `for await (const result of pool.imap(fn, items))`). Breaking out of
 * `for await` stops reading the input and drops what was queued; an error (a task's, or the
 * input's own) is thrown at its position and ends the iteration.
 * @typeParam R The results' type.
 * @category Pools
 */
export class ImapIterator<R> implements AsyncIterableIterator<R> {
  /** @internal */
  live = true;
  readonly #core: PoolCore;
  readonly #setup: ImapSetup;
  readonly #source: Iterator<unknown> | AsyncIterator<unknown>;
  readonly #async: boolean;
  /** Chunks made so far (the next chunk's index). */
  #made = 0;
  /** Chunks handed to the reader (ordered: the next index to hand out). */
  #taken = 0;
  readonly #ready = new Map<number, Outcome>();
  readonly #arrivals: Outcome[] = [];
  #current: unknown[] = [];
  #position = 0;
  #exhausted = false;
  /** An input failure, at the chunk index where it happened. */
  #inputError: { index: number; error: unknown } | null = null;
  /** A failure of the whole job (abort, terminate, broken pool). */
  #failure: { error: unknown } | null = null;
  #finished = false;
  #items = 0;
  #doneItems = 0;
  #wakeReader: (() => void) | null = null;
  #wakeFeeder: (() => void) | null = null;
  /** An async input's next() is pending. */
  #pulling = false;
  /** Set once the pool is closed: the input is read to its end without waiting for the reader. */
  #unbounded = false;
  readonly #unbound = (): void => {
    this.#unbounded = true;
    this.#wakeFeeder?.();
  };
  readonly #unwatch: () => void;

  /** @internal Iterators come from {@link Pool.imap} and {@link Pool.imapUnordered}. */
  constructor(core: PoolCore, source: Iterable<unknown> | AsyncIterable<unknown>, setup: ImapSetup) {
    this.#core = core;
    this.#setup = setup;
    const asyncIterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator];
    this.#async = typeof asyncIterator === 'function';
    this.#source = this.#async ? asyncIterator.call(source) : (source as Iterable<unknown>)[Symbol.iterator]();
    this.#unwatch = watch(setup.signal, () => this.#fail(abortError(setup.signal!)));
    core.feedStarted(this.#unbound);
    void this.#feed();
  }

  /** The iterator itself, for `for await`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next result (in input order for `imap`, in finishing order for `imapUnordered`). */
  async next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#position < this.#current.length) {
        const value = this.#current[this.#position++] as R;
        return { value, done: false };
      }
      if (this.#finished) return { value: undefined, done: true };
      if (this.#failure) return this.#throw(this.#failure.error);
      const outcome = this.#setup.ordered ? this.#ready.get(this.#taken) : this.#arrivals.shift();
      if (outcome) {
        if (this.#setup.ordered) this.#ready.delete(this.#taken);
        this.#taken++;
        this.#wakeFeeder?.();
        if (!outcome.ok) return this.#throw(outcome.error);
        this.#current = outcome.values;
        this.#position = 0;
        continue;
      }
      if (this.#taken === this.#made) {
        if (this.#inputError) return this.#throw(this.#inputError.error);
        if (this.#exhausted) {
          this.#end();
          return { value: undefined, done: true };
        }
      }
      await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      this.#wakeReader = null;
    }
  }

  /**
   * Ends the iteration (`break` in `for await`): the input is closed, and its `finally` has run
   * when this resolves (unless the input is in the middle of producing an item: then closing it
   * waits for that item, and the iteration does not).
   */
  async return(): Promise<IteratorResult<R>> {
    const pulling = this.#pulling;
    const closing = this.#end();
    if (!pulling) await closing;
    return { value: undefined, done: true };
  }

  /** @internal */
  chunkDone(chunk: Chunk | null, ok: boolean, value: unknown): void {
    if (!this.live) return;
    if (chunk === null) {
      this.#fail(value);
      return;
    }
    const outcome: Outcome = ok ? { ok: true, values: value as unknown[] } : { ok: false, error: value };
    if (this.#setup.ordered) this.#ready.set(chunk.index, outcome);
    else this.#arrivals.push(outcome);
    if (ok) {
      this.#doneItems += chunk.size;
      callProgress(this.#setup.progress, this.#doneItems, this.#exhausted ? this.#items : undefined);
    }
    this.#wakeReader?.();
  }

  async #feed(): Promise<void> {
    const { chunksize, bufferSize, fnId, mode } = this.#setup;
    try {
      while (this.live && !this.#exhausted) {
        if (this.#made - this.#taken >= bufferSize && !this.#unbounded) {
          await new Promise<void>((resolve) => (this.#wakeFeeder = resolve));
          this.#wakeFeeder = null;
          continue;
        }
        const items: unknown[] = [];
        let inputError: { error: unknown } | null = null;
        try {
          while (items.length < chunksize) {
            let step: IteratorResult<unknown>;
            if (this.#async) {
              this.#pulling = true;
              try {
                step = await this.#source.next();
              } finally {
                this.#pulling = false;
              }
            } else step = this.#source.next() as IteratorResult<unknown>;
            if (step.done) {
              this.#exhausted = true;
              break;
            }
            items.push(step.value);
          }
        } catch (error) {
          inputError = { error };
          this.#exhausted = true;
        }
        if (!this.live) break;
        if (items.length > 0) {
          try {
            const chunk = this.#core.newChunk(this, this.#made, fnId, mode, items, this.#items);
            this.#core.submit([chunk]);
            this.#made++;
            this.#items += items.length;
          } catch (error) {
            inputError ??= { error };
            this.#exhausted = true;
          }
        }
        if (inputError) this.#inputError = { index: this.#made, error: inputError.error };
      }
    } finally {
      this.#core.feedEnded(this.#unbound);
      if (this.#exhausted) callProgress(this.#setup.progress, this.#doneItems, this.#items);
      this.#wakeReader?.();
    }
  }

  #throw(error: unknown): never {
    this.#end();
    throw error;
  }

  #fail(error: unknown): void {
    if (!this.live) return;
    this.#failure = { error };
    this.#stop();
    this.#wakeReader?.();
  }

  /** Stops the job: no more input is read, queued chunks are dropped. Resolves once the input is closed. */
  #stop(): Promise<unknown> | undefined {
    if (!this.live) return undefined;
    this.live = false;
    this.#unwatch();
    this.#core.sweep();
    this.#wakeFeeder?.();
    if (this.#exhausted) return undefined;
    this.#exhausted = true;
    try {
      const closing = this.#source.return?.();
      // The input's own cleanup may fail; the iteration is over either way.
      if (closing && typeof (closing as Promise<unknown>).then === 'function') return Promise.resolve(closing).catch(() => undefined);
    } catch {
      // As above.
    }
    return undefined;
  }

  #end(): Promise<unknown> | undefined {
    this.#finished = true;
    const closing = this.#stop();
    this.#current = [];
    this.#position = 0;
    this.#ready.clear();
    this.#arrivals.length = 0;
    return closing;
  }
}
