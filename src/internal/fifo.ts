/**
 * A first-in first-out list with constant-time removal at the front. Array#shift moves every
 * item left, so a queue of n items drained one by one costs n²/2 moves; here items are read at a
 * head index, and the consumed prefix is cut off only once it is both long (COMPACT_AT) and at
 * least half the array, which keeps the cost per item constant.
 */

/** Consumed items kept before the array is compacted: below this, cutting costs more than it frees. */
const COMPACT_AT = 1024;

export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The next item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the next item; undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    // Released now, not at the next compaction: an item can hold a large payload.
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Puts `items` back at the front, in their order: the first of them is the next to come out. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    if (items.length <= this.#head) {
      // Into the consumed prefix: nothing moves.
      this.#head -= items.length;
      for (let i = 0; i < items.length; i++) this.#items[this.#head + i] = items[i];
      return;
    }
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Keeps the items `keep` accepts, in their order; returns how many were dropped. */
  retain(keep: (item: T) => boolean): number {
    const kept: T[] = [];
    for (const item of this) if (keep(item)) kept.push(item);
    const dropped = this.length - kept.length;
    this.#items = kept;
    this.#head = 0;
    return dropped;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** The items from the next one on, without removing them. */
  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T;
  }
}
