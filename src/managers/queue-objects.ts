/**
 * The queues a SyncManager's server holds for `Queue()` and `JoinableQueue()`: CPython's
 * `queue.Queue` with the package's errors (QueueEmptyError, QueueFullError) and milliseconds.
 * A waiting `get()` is a Promise on the server's event loop; a cancelled one takes nothing.
 */
import { QueueEmptyError, QueueFullError } from '../errors.js';
import { WaitList, type WaitOptions } from './wait-list.js';
import { Deadline } from '../internal/deadline.js';
import { validateTimeout } from '../internal/validate.js';

/** @internal */
export class ManagedQueue {
  readonly #items: unknown[] = [];
  readonly #maxsize: number;
  readonly #notEmpty = new WaitList();
  readonly #notFull = new WaitList();
  #unfinished = 0;
  readonly #allDone = new WaitList();

  constructor(maxsize = 0) {
    if (typeof maxsize !== 'number' || !Number.isInteger(maxsize)) throw new TypeError('maxsize must be an integer');
    this.#maxsize = maxsize > 0 ? maxsize : 0;
  }

  #isFull(): boolean {
    return this.#maxsize > 0 && this.#items.length >= this.#maxsize;
  }

  async put(item: unknown, options?: WaitOptions): Promise<void> {
    const block = options?.block ?? true;
    const deadline = new Deadline(block ? validateTimeout(options?.timeout) : 0);
    while (this.#isFull()) {
      if (!(await this.#notFull.wait(deadline.remaining(), options?.signal))) throw new QueueFullError('the queue is full');
    }
    this.#items.push(item);
    this.#unfinished += 1;
    this.#notEmpty.wakeOne();
  }

  putNowait(item: unknown): Promise<void> {
    return this.put(item, { block: false });
  }

  async get(options?: WaitOptions): Promise<unknown> {
    const block = options?.block ?? true;
    const deadline = new Deadline(block ? validateTimeout(options?.timeout) : 0);
    while (this.#items.length === 0) {
      if (!(await this.#notEmpty.wait(deadline.remaining(), options?.signal))) throw new QueueEmptyError('the queue is empty');
    }
    const item = this.#items.shift();
    this.#notFull.wakeOne();
    // Another waiter may take what is left.
    if (this.#items.length > 0) this.#notEmpty.wakeOne();
    return item;
  }

  getNowait(): Promise<unknown> {
    return this.get({ block: false });
  }

  qsize(): number {
    return this.#items.length;
  }

  empty(): boolean {
    return this.#items.length === 0;
  }

  full(): boolean {
    return this.#isFull();
  }

  /** Marks one item taken with get() as processed (JoinableQueue). */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new RangeError('task_done() called too many times');
    this.#unfinished -= 1;
    if (this.#unfinished === 0) this.#allDone.wakeAll();
  }

  /** Resolves true once every item put has been marked done; false at the timeout. */
  async join(options?: Omit<WaitOptions, 'block'>): Promise<boolean> {
    const deadline = new Deadline(validateTimeout(options?.timeout));
    while (this.#unfinished > 0) {
      if (!(await this.#allDone.wait(deadline.remaining(), options?.signal))) return false;
    }
    return true;
  }
}
