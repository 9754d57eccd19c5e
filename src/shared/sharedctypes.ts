/**
 * Shared values and arrays (CPython's `multiprocessing.sharedctypes`): numbers, bytes and characters
 * in shared memory that every process and thread they are sent to reads and writes in place.
 *
 * Typecodes map to TypedArrays as in Python's `array` module: b Int8, B Uint8, h Int16, H Uint16,
 * i/l Int32, I/L Uint32, q BigInt64, Q BigUint64, f Float32, d Float64, c one byte, u one UTF-32
 * code unit.
 * - Integer typecodes take integer numbers (`q`/`Q` also bigints, and read back as bigints);
 *   values outside the type's range wrap around, as ctypes' do.
 * - `c` holds one byte: it reads as a one-character string whose character code is the byte
 *   (latin1, so bytes 0-255 round-trip exactly), and takes such a string, a byte value 0-255 or a
 *   one-byte Uint8Array. Text beyond latin1 must be encoded first (`Buffer.from(text)`).
 * - `u` holds one code point: it reads and takes a one-character string.
 *
 * `Value` and `Array` take their lock for every access (`lock: true`, the default, makes a new
 * RLock); `lock: false` gives the raw object instead. `value += 1` is a read and a write, each
 * under the lock but not together: hold `getLock()` around it when other processes write too.
 *
 * `RawArray` is a plain TypedArray over shared memory; it (and any view on the same memory, such
 * as a subarray) travels to other processes and threads as the same memory, not as a copy.
 */
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { RLock } from '../synchronize/rlock.js';
import { allocate, attachBlock, blockHandle, type Block, type BlockHandle } from './heap.js';
import { viewHandle } from './shared-views.js';
import {
  describe,
  fromStored,
  indexIn,
  initialItems,
  toStored,
  typeOf,
  viewOf,
  zeroOf,
  TYPES,
  type AnyTypedArray,
  type InputFor,
  type NumericTypecode,
  type Typecode,
  type TypedArrayFor,
  type ValueFor,
} from './typecodes.js';

export type { InputFor, NumericTypecode, Typecode, TypedArrayFor, ValueFor };

/** The built-in Array: this module exports a class of the same name (CPython's). */
const JSArray = globalThis.Array;


/**
 * Anything with a blocking acquire and a release: a Lock, an RLock, or a lock of your own. What
 * a {@link Value} or {@link SharedArray | Array} takes around every access.
 * @category Shared memory
 */
export interface SyncLock {
  /** Takes the lock, blocking the calling thread until it is free. */
  acquireSync(): boolean;
  /** Releases the lock. */
  release(): void;
}

/**
 * Options of {@link Value} and {@link SharedArray | Array}.
 * @category Shared memory
 */
export interface SharedValueOptions {
  /** true (default): a new RLock guards every access; false: no lock (a raw object is returned); or the lock to use. */
  lock?: boolean | null | SyncLock;
}

function parseLock(options: SharedValueOptions | undefined): SyncLock | false {
  if (options === undefined || options === null) return new RLock();
  if (typeof options !== 'object') throw new TypeError('options must be an object like { lock }');
  const { lock = true } = options;
  if (lock === true || lock === null) return new RLock();
  if (lock === false) return false;
  if (
    typeof lock === 'object' &&
    typeof (lock as Partial<SyncLock>).acquireSync === 'function' &&
    typeof (lock as Partial<SyncLock>).release === 'function'
  ) {
    return lock;
  }
  throw new TypeError(`lock must be true, false, or a Lock or RLock (an object with acquireSync() and release()), not ${describe(lock)}`);
}

function withLock<T>(lock: SyncLock, body: () => T): T {
  lock.acquireSync();
  try {
    return body();
  } finally {
    lock.release();
  }
}

// ---- raw values ------------------------------------------------------------------------------

/**
 * What {@link RawValue} returns: `{ value }` over shared memory, with no lock (CPython's ctypes
 * object, such as `c_int`).
 * @typeParam C The typecode; without it, one of the {@link NumericTypecode}s.
 * @category Shared memory
 */
export interface RawValueObject<C extends Typecode = NumericTypecode> {
  /** Reads the value. */
  get value(): ValueFor<C>;
  /** Writes the value (integers outside the type's range wrap around). */
  set value(value: InputFor<C>);
}

class SharedCValue {
  readonly #typecode: Typecode;
  readonly #block: Block;
  readonly #view: AnyTypedArray;

  constructor(typecode: Typecode, block: Block) {
    this.#typecode = typecode;
    this.#block = block;
    this.#view = viewOf(typecode, block, 1);
  }

  get value(): number | bigint | string {
    return fromStored(this.#typecode, this.#view[0]!);
  }

  set value(value: unknown) {
    (this.#view as { [i: number]: number | bigint })[0] = toStored(this.#typecode, value);
  }

  [kReduce](destination: Destination): { type: string; state: { typecode: Typecode; block: BlockHandle } } {
    return { type: 'RawValue', state: { typecode: this.#typecode, block: blockHandle(this.#block, destination) } };
  }

  toString(): string {
    return `${TYPES[this.#typecode].ctype}(${reprItem(this.value)})`;
  }
}

function reprItem(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
}

function newRawValue(typecode: Typecode, value: unknown): SharedCValue {
  const stored = value === undefined ? zeroOf(typecode) : toStored(typecode, value);
  const { array } = typeOf(typecode);
  const block = allocate(array.BYTES_PER_ELEMENT, array.BYTES_PER_ELEMENT);
  const object = new SharedCValue(typecode, block);
  (viewOf(typecode, block, 1) as { [i: number]: number | bigint })[0] = stored;
  return object;
}

/**
 * A `{ value }` object over zeroed (or `value`-initialised) shared memory; no lock (CPython's
 * `multiprocessing.sharedctypes.RawValue`). Sent to another process or thread, it arrives as
 * the same memory.
 * @param typecode What the value holds (see {@link Typecode}).
 * @param value The initial value; omitted: zero.
 * @category Shared memory
 * @example
 * ```ts
 * import { RawValue } from 'multiprocessing-ts';
 *
 * const total = RawValue('d', 1.5);
 * total.value *= 2; // no lock: only safe while one process writes
 * console.log(total.value); // 3
 * ```
 */
export function RawValue<C extends Typecode>(typecode: C, value?: InputFor<C>): RawValueObject<C> {
  typeOf(typecode);
  return newRawValue(typecode, value) as unknown as RawValueObject<C>;
}

/**
 * A TypedArray over shared memory: `size` zeroes, or the items of a sequence. No lock (CPython's
 * `multiprocessing.sharedctypes.RawArray`, a ctypes array; here a plain Float64Array, Int32Array...
 * of the typecode, see {@link TypedArrayFor}). It, and any view on the same memory such as a
 * subarray, travels to other processes and threads as the same memory, not as a copy.
 * @param typecode What each element holds (see {@link Typecode}).
 * @param sizeOrInit The number of elements (zeroed), or their initial values.
 * @category Shared memory
 * @example
 * ```ts
 * import { Pool, RawArray, isMain } from 'multiprocessing-ts';
 *
 * export function fillRow(data: Float64Array, row: number): void {
 *   for (let i = row * 4; i < row * 4 + 4; i++) data[i] = row;
 * }
 *
 * if (isMain(import.meta)) {
 *   const data = RawArray('d', 16); // a Float64Array over shared memory
 *   const pool = new Pool(2);
 *   try {
 *     await pool.starmap(fillRow, [0, 1, 2, 3].map((row): [Float64Array, number] => [data, row]));
 *     console.log(data.join(' ')); // 0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
 */
export function RawArray<C extends Typecode>(typecode: C, sizeOrInit: number | Iterable<InputFor<C>>): TypedArrayFor<C> {
  typeOf(typecode);
  const { length, items } = initialItems(typecode, sizeOrInit);
  const { array } = TYPES[typecode];
  const view = viewOf(typecode, allocate(length * array.BYTES_PER_ELEMENT, array.BYTES_PER_ELEMENT), length);
  if (items) (view as { set(items: ArrayLike<number | bigint>): void }).set(items);
  return view as TypedArrayFor<C>;
}

// ---- synchronized wrappers -------------------------------------------------------------------

let attachingValue: { typecode: Typecode; block: Block; lock: SyncLock } | null = null;
let attachingArray: { typecode: Typecode; block: Block; length: number; lock: SyncLock } | null = null;

/**
 * A value in shared memory whose every read and write takes its lock (CPython's
 * `multiprocessing.Value`): `new Value('i', 0)`. Send it to children as a Process argument (or in
 * a queue, a Pool task...): it arrives as the same memory and the same lock.
 *
 * `value` is read and written synchronously, each access under the lock; `value += 1` is a read
 * and a write, each locked but not together: hold {@link Value.getLock | getLock()} around it
 * when other processes write too. With `{ lock: false }` the constructor returns the raw
 * `{ value }` object ({@link RawValueObject}) instead, as CPython's.
 *
 * The type follows the typecode: `new Value('i', 0).value` is a number, `'q'` gives a bigint, `'c'`
 * a one-character string. Without a type argument, `Value` is a numeric value (see
 * {@link NumericTypecode}); write `Value<'q'>` or `Value<'c'>` for the others.
 *
 * @typeParam C The typecode (see {@link Typecode}).
 * @category Shared memory
 * @example
 * ```ts
 * import { Process, Value, isMain } from 'multiprocessing-ts';
 *
 * export function addOne(counter: Value): void {
 *   const lock = counter.getLock();
 *   lock.acquireSync(); // hold it around the read-modify-write
 *   try {
 *     counter.value += 1;
 *   } finally {
 *     lock.release();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const counter = new Value('i', 0);
 *   const workers = Array.from({ length: 4 }, () => new Process({ target: addOne, args: [counter] }));
 *   for (const p of workers) p.start();
 *   for (const p of workers) await p.join();
 *   console.log(counter.value); // 4
 * }
 * ```
 */
export class Value<C extends Typecode = NumericTypecode> {
  readonly #typecode!: Typecode;
  readonly #obj!: SharedCValue;
  readonly #lock!: SyncLock;

  /**
   * A new value in shared memory.
   * @param typecode What the value holds (see {@link Typecode}).
   * @param value The initial value; omitted: zero.
   * @param options `lock`: true (default) for a new {@link RLock}, a lock of yours, or false for
   *   no lock (the raw object is returned).
   */
  constructor(typecode: C, value?: InputFor<C>, options?: SharedValueOptions) {
    const from = attachingValue;
    attachingValue = null;
    if (from) {
      this.#typecode = from.typecode;
      this.#obj = new SharedCValue(from.typecode, from.block);
      this.#lock = from.lock;
      return;
    }
    typeOf(typecode);
    const lock = parseLock(options);
    const obj = newRawValue(typecode, value);
    if (lock === false) return obj as unknown as Value<C>;
    this.#typecode = typecode;
    this.#obj = obj;
    this.#lock = lock;
  }

  /** Reads the value, under the lock. */
  get value(): ValueFor<C> {
    return withLock(this.#lock, () => this.#obj.value) as ValueFor<C>;
  }

  /** Writes the value, under the lock (integers outside the type's range wrap around). */
  set value(value: InputFor<C>) {
    withLock(this.#lock, () => {
      this.#obj.value = value;
    });
  }

  /** The lock every access takes; hold it around read-modify-write sequences. */
  getLock(): SyncLock {
    return this.#lock;
  }

  /** The raw `{ value }` object on the same memory, without the lock. */
  getObj(): RawValueObject<C> {
    return this.#obj as unknown as RawValueObject<C>;
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: unknown } {
    return {
      type: 'Value',
      state: {
        typecode: this.#typecode,
        block: (this.#obj[kReduce](destination).state as { block: BlockHandle }).block,
        lock: this.#lock,
      },
    };
  }

  /** CPython's repr: `<Synchronized wrapper for c_int(3)>`. */
  toString(): string {
    return `<Synchronized wrapper for ${withLock(this.#lock, () => this.#obj.toString())}>`;
  }
}

/**
 * An array in shared memory whose every access takes its lock (CPython's `multiprocessing.Array`):
 * `new Array('i', [1, 2, 3])` or `new Array('d', 10)` (zeroed). Exported as `Array` (CPython's
 * name) and as `SharedArray` (for modules that need the built-in `Array` too). Send it to children
 * as a Process argument: it arrives as the same memory and the same lock.
 *
 * How it differs from CPython: elements are read with {@link SharedArray.get | get(i)} and
 * written with {@link SharedArray.set | set(i, value)} (no `[]` or slices; `toArray()` copies
 * them all). With `{ lock: false }` the constructor returns the raw TypedArray instead, as
 * CPython returns the raw ctypes array. Without a type argument, `Array` holds numbers (see
 * {@link NumericTypecode}).
 *
 * @typeParam C The typecode (see {@link Typecode}).
 * @category Shared memory
 * @example
 * ```ts
 * import { Process, SharedArray, isMain } from 'multiprocessing-ts';
 *
 * export function negate(numbers: SharedArray): void {
 *   for (let i = 0; i < numbers.length; i++) numbers.set(i, -numbers.get(i));
 * }
 *
 * if (isMain(import.meta)) {
 *   const numbers = new SharedArray('d', [1, 2, 3]);
 *   const p = new Process({ target: negate, args: [numbers] });
 *   p.start();
 *   await p.join();
 *   console.log(numbers.toArray()); // [-1, -2, -3]
 * }
 * ```
 */
export class SharedArray<C extends Typecode = NumericTypecode> {
  readonly #typecode!: Typecode;
  readonly #view!: AnyTypedArray;
  readonly #lock!: SyncLock;

  /**
   * A new array in shared memory.
   * @param typecode What each element holds (see {@link Typecode}).
   * @param sizeOrInit The number of elements (zeroed), or their initial values.
   * @param options `lock`: true (default) for a new {@link RLock}, a lock of yours, or false for
   *   no lock (the raw TypedArray is returned).
   */
  constructor(typecode: C, sizeOrInit: number | Iterable<InputFor<C>>, options?: SharedValueOptions) {
    const from = attachingArray;
    attachingArray = null;
    if (from) {
      this.#typecode = from.typecode;
      this.#view = viewOf(from.typecode, from.block, from.length);
      this.#lock = from.lock;
      return;
    }
    typeOf(typecode);
    const lock = parseLock(options);
    const view = RawArray(typecode, sizeOrInit) as AnyTypedArray;
    if (lock === false) return view as unknown as SharedArray<C>;
    this.#typecode = typecode;
    this.#view = view;
    this.#lock = lock;
  }

  /** The number of elements (fixed). */
  get length(): number {
    return this.#view.length;
  }

  /** The item at `index` (negative counts from the end); RangeError past either end. */
  get(index: number): ValueFor<C> {
    const at = indexIn(index, this.#view.length);
    return withLock(this.#lock, () => fromStored(this.#typecode, this.#view[at]!)) as ValueFor<C>;
  }

  /** Writes the element at `index` (negative counts from the end), under the lock; RangeError past either end. */
  set(index: number, value: InputFor<C>): void {
    const at = indexIn(index, this.#view.length);
    const stored = toStored(this.#typecode, value);
    withLock(this.#lock, () => {
      (this.#view as { [i: number]: number | bigint })[at] = stored;
    });
  }

  /** A copy of every item, read under the lock. */
  toArray(): Array<ValueFor<C>> {
    return withLock(this.#lock, () => JSArray.from(this.#view as ArrayLike<number | bigint>, (x) => fromStored(this.#typecode, x))) as Array<
      ValueFor<C>
    >;
  }

  /** Iterates over a copy of the elements (read at once, under the lock). */
  [Symbol.iterator](): IterableIterator<ValueFor<C>> {
    return this.toArray()[Symbol.iterator]();
  }

  /** The lock every access takes; hold it around sequences of accesses that must not interleave. */
  getLock(): SyncLock {
    return this.#lock;
  }

  /** The raw TypedArray on the same memory, without the lock. */
  getObj(): TypedArrayFor<C> {
    return this.#view as TypedArrayFor<C>;
  }

  #bytes(what: string): Uint8Array {
    if (this.#typecode !== 'c') throw new TypeError(`.${what} exists only on arrays of typecode 'c', not '${this.#typecode}'`);
    return this.#view as Uint8Array;
  }

  /** 'c' arrays: the bytes up to the first NUL, as a string (one character per byte, latin1). */
  get value(): string {
    const bytes = this.#bytes('value');
    return withLock(this.#lock, () => {
      const end = bytes.indexOf(0);
      return Buffer.from(bytes.buffer, bytes.byteOffset, end === -1 ? bytes.length : end).toString('latin1');
    });
  }

  /** 'c' arrays: stores the bytes, then a NUL if they are shorter than the array; RangeError if longer. */
  set value(value: string | Uint8Array) {
    const bytes = this.#bytes('value');
    const data = bytesOf(value, 'value');
    if (data.length > bytes.length) throw new RangeError('byte string too long');
    withLock(this.#lock, () => {
      bytes.set(data);
      if (data.length < bytes.length) bytes[data.length] = 0;
    });
  }

  /** 'c' arrays: a copy of every byte. */
  get raw(): Uint8Array {
    const bytes = this.#bytes('raw');
    return withLock(this.#lock, () => bytes.slice());
  }

  /** 'c' arrays: overwrites the first bytes (the rest stay); RangeError if longer than the array. */
  set raw(value: Uint8Array | string) {
    const bytes = this.#bytes('raw');
    const data = bytesOf(value, 'raw');
    if (data.length > bytes.length) throw new RangeError('byte string too long');
    withLock(this.#lock, () => bytes.set(data));
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: unknown } {
    const view = this.#view;
    return {
      type: 'Array',
      state: {
        typecode: this.#typecode,
        block: viewHandle(view, destination),
        length: view.length,
        lock: this.#lock,
      },
    };
  }

  /** CPython's repr: `<SynchronizedArray wrapper for c_int_Array_3(1, 2, 3)>`. */
  toString(): string {
    const ctype = `${TYPES[this.#typecode].ctype}_Array_${this.#view.length}`;
    return `<SynchronizedArray wrapper for ${ctype}(${this.toArray().map(reprItem).join(', ')})>`;
  }
}

function bytesOf(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0xff) {
        throw new TypeError(`.${what} takes bytes: a Uint8Array, or a string of characters with codes up to 255 (encode other text first)`);
      }
    }
    return Buffer.from(value, 'latin1');
  }
  throw new TypeError(`.${what} takes a Uint8Array or a string, not ${describe(value)}`);
}

registerShareable('RawValue', (state) => {
  const { typecode, block } = state as { typecode: Typecode; block: BlockHandle };
  return new SharedCValue(typecode, attachBlock(block));
});

registerShareable('Value', (state) => {
  const { typecode, block, lock } = state as { typecode: Typecode; block: BlockHandle; lock: SyncLock };
  attachingValue = { typecode, block: attachBlock(block), lock };
  return new Value(typecode);
});

registerShareable('Array', (state) => {
  const { typecode, block, length, lock } = state as { typecode: Typecode; block: BlockHandle; length: number; lock: SyncLock };
  attachingArray = { typecode, block: attachBlock(block), length, lock };
  return new SharedArray(typecode, 0);
});

export { SharedArray as Array };
