/**
 * `ShareableList`: a fixed-length list in a named shared memory segment, with CPython's byte
 * layout, so a Python process can attach to the same list by name
 * (`multiprocessing.shared_memory.ShareableList(name=...)`) and the other way round.
 *
 * Layout (native byte order, every field 8-aligned): the item count (int64); N+1 int64 offsets of
 * the items from the start of the data area (the last one is the data's length); the items; N
 * 8-byte NUL-padded struct formats; N int8 codes saying how to read each item back.
 *
 * Items and how they are stored:
 * - a safe integer number or a bigint: 'q' (int64); read back as a number when it is a safe
 *   integer, else as a bigint;
 * - any other number (fractions, NaN, infinities, integers beyond 2^53): 'd' (float64);
 * - a boolean: 'xxxxxxx?'; null: 'xxxxxx?x';
 * - a string (UTF-8) or a Uint8Array: '<k>s' with k = 8 * (byteLength / 8 + 1), NUL-padded;
 *   trailing NULs are stripped on reading (as in CPython). Bytes read back as a Uint8Array.
 *   The slot is sized by the encoded length, as CPython's fix for gh-88336 does (CPython 3.11
 *   counts characters, and cuts multi-byte text); any version reads what the other wrote.
 * An item may be replaced by one of another type; a string or bytes longer than the slot it gets
 * throws RangeError('bytes/str item exceeds available storage').
 */
import { Buffer } from 'node:buffer';
import { kReduce, registerShareable, type Destination } from '../serialize/codec.js';
import { blockState, receiveBlock, SharedMemory, type BlockState } from './shared-memory.js';

/**
 * What a {@link ShareableList} holds: CPython's `int`, `float`, `bool`, `None`, `str` and `bytes`.
 * @category Shared memory
 */
export type ShareableItem = number | bigint | boolean | null | string | Uint8Array;

const ALIGN = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const BOOL_FORMAT = 'xxxxxxx?';
const NONE_FORMAT = 'xxxxxx?x';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// How an item is read back (CPython's _back_transforms_mapping).
const PLAIN = 0;
const STR = 1;
const BYTES = 2;
const NONE = 3;

interface Encoded {
  format: string;
  code: number;
  /** Encoded bytes of a str/bytes item. */
  bytes?: Uint8Array;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return typeof value;
}

/** The item's format (for str/bytes: with its slot size), code and bytes; TypeError for other types. */
function encodeItem(value: unknown): Encoded {
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const format = `${ALIGN * (Math.floor(bytes.length / ALIGN) + 1)}s`;
    if (format.length > 8) throw new RangeError(`a ShareableList item may hold at most 99999991 bytes, not ${bytes.length}`);
    return { format, code: typeof value === 'string' ? STR : BYTES, bytes };
  }
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${value} does not fit in a 64-bit integer`);
    return { format: 'q', code: PLAIN };
  }
  if (typeof value === 'number') return { format: Number.isInteger(value) && Number.isSafeInteger(value) ? 'q' : 'd', code: PLAIN };
  if (typeof value === 'boolean') return { format: BOOL_FORMAT, code: PLAIN };
  if (value === null) return { format: NONE_FORMAT, code: NONE };
  throw new TypeError(
    `a ShareableList holds numbers, bigints, booleans, null, strings and Uint8Arrays, not ${describe(value)}`,
  );
}

function reprItem(item: ShareableItem): string {
  if (typeof item === 'string') return JSON.stringify(item);
  if (typeof item === 'bigint') return `${item}n`;
  if (item instanceof Uint8Array) return `Uint8Array [${item.join(', ')}]`;
  return String(item);
}

function slotSize(format: string): number {
  return format.endsWith('s') ? Number(format.slice(0, -1)) : ALIGN;
}

function sameItem(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (typeof a === 'bigint' && typeof b === 'number') return Number.isInteger(b) && a === BigInt(b);
  if (typeof a === 'number' && typeof b === 'bigint') return Number.isInteger(a) && BigInt(a) === b;
  return a === b;
}

function indexOf(index: unknown, length: number, message: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`list indices must be integers, not ${describe(index)}`);
  const at = index < 0 ? index + length : index;
  if (at < 0 || at >= length) throw new RangeError(message);
  return at;
}

/**
 * Options of {@link ShareableList}.
 * @category Shared memory
 */
export interface ShareableListOptions {
  /** With a sequence: the name of the new segment. Without one: the name of the list to attach to. */
  name?: string | null;
}

/**
 * A fixed-length list in a named shared memory segment (CPython's
 * `multiprocessing.shared_memory.ShareableList`), with CPython's byte layout: a Python process
 * can attach to the same list by name, and the other way round. Items are numbers, bigints,
 * booleans, null, strings and bytes ({@link ShareableItem}); an item may be replaced by one of
 * another type, but a string or bytes longer than its slot throws a RangeError.
 *
 * How it differs from CPython: items are read with {@link ShareableList.get | get(i)} and
 * written with {@link ShareableList.set | set(i, value)} (no `[]`), integers beyond 2^53 read
 * back as bigints, and bytes as Uint8Arrays. Sent to another process, it arrives attached to the
 * same segment. Close its {@link ShareableList.shm | shm} in every process, and unlink it once.
 *
 * @category Shared memory
 * @example
 * ```ts
 * import { Process, ShareableList, isMain } from 'multiprocessing-ts';
 *
 * export function double(list: ShareableList): void {
 *   try {
 *     for (let i = 0; i < list.length; i++) list.set(i, (list.get(i) as number) * 2);
 *   } finally {
 *     list.shm.close();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const list = new ShareableList([1, 2, 3]);
 *   try {
 *     const p = new Process({ target: double, args: [list] });
 *     p.start();
 *     await p.join();
 *     console.log(list.toArray()); // [2, 4, 6]
 *   } finally {
 *     list.shm.close();
 *     list.shm.unlink();
 *   }
 * }
 * ```
 */
export class ShareableList {
  /** The segment the list lives in (close and unlink it when done). */
  readonly shm: SharedMemory;
  readonly #length: number;
  readonly #offsets: number[];

  /**
   * `new ShareableList([1, 2.5, 'x', null])` makes a new list in a new segment;
   * `new ShareableList(null, { name })` attaches to an existing one.
   */
  constructor(sequence?: Iterable<ShareableItem> | null, options: ShareableListOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('ShareableList options must be an object like { name }');
    const name = options.name ?? null;
    if (name !== null && typeof name !== 'string') throw new TypeError(`name must be a string, not ${typeof name}`);
    if (name !== null && (sequence === undefined || sequence === null)) {
      this.shm = new SharedMemory({ name });
      const view = this.#view();
      const size = this.shm.size;
      const count = size >= 16 ? view.getBigInt64(0, LITTLE_ENDIAN) : -1n;
      const fits = count >= 0n && (count + 2n) * 8n <= BigInt(size);
      const offsets = fits ? Array.from({ length: Number(count) + 1 }, (_, i) => Number(view.getBigInt64(8 * (i + 1), LITTLE_ENDIAN))) : [];
      const end = fits ? (Number(count) + 2) * 8 + offsets[offsets.length - 1]! + 9 * Number(count) : Infinity;
      if (!fits || offsets.some((offset, i) => offset < (offsets[i - 1] ?? 0)) || end > size) {
        this.shm.close();
        throw new RangeError(`shared memory '${name}' does not hold a ShareableList`);
      }
      this.#length = Number(count);
      this.#offsets = offsets;
      return;
    }
    if (sequence !== undefined && sequence !== null && typeof (sequence as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ShareableList takes an iterable of items, not ${describe(sequence)}`);
    }
    const items: unknown[] = sequence ? [...sequence] : [];
    const encoded = items.map(encodeItem);
    const offsets = [0];
    for (const { format } of encoded) offsets.push(offsets[offsets.length - 1]! + slotSize(format));
    const n = items.length;
    const dataLength = offsets[n]!;
    const size = 8 + 8 * (n + 1) + dataLength + 8 * n + n;
    this.shm = new SharedMemory({ name, create: true, size });
    this.#length = n;
    this.#offsets = offsets;
    try {
      const view = this.#view();
      view.setBigInt64(0, BigInt(n), LITTLE_ENDIAN);
      offsets.forEach((offset, i) => view.setBigInt64(8 * (i + 1), BigInt(offset), LITTLE_ENDIAN));
      encoded.forEach((item, i) => {
        this.#writeValue(i, item, items[i]);
        this.#writeMeta(i, item);
      });
    } catch (error) {
      this.shm.close();
      this.shm.unlink();
      throw error;
    }
  }

  #view(): DataView {
    const buf = this.shm.buf;
    return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get #dataStart(): number {
    return (this.#length + 2) * 8;
  }

  get #formatsStart(): number {
    return this.#dataStart + this.#offsets[this.#length]!;
  }

  get #codesStart(): number {
    return this.#formatsStart + this.#length * 8;
  }

  #format(i: number): string {
    const buf = this.shm.buf;
    const start = this.#formatsStart + i * 8;
    const raw = buf.subarray(start, start + 8);
    const end = raw.indexOf(0);
    return Buffer.from(raw.buffer, raw.byteOffset, end === -1 ? 8 : end).toString('latin1');
  }

  #writeMeta(i: number, item: Encoded): void {
    const view = this.#view();
    const start = this.#formatsStart + i * 8;
    for (let k = 0; k < 8; k++) view.setUint8(start + k, k < item.format.length ? item.format.charCodeAt(k) : 0);
    view.setInt8(this.#codesStart + i, item.code);
  }

  #writeValue(i: number, item: Encoded, value: unknown): void {
    const view = this.#view();
    const at = this.#dataStart + this.#offsets[i]!;
    switch (item.format) {
      case 'q':
        view.setBigInt64(at, typeof value === 'bigint' ? value : BigInt(value as number), LITTLE_ENDIAN);
        return;
      case 'd':
        view.setFloat64(at, value as number, LITTLE_ENDIAN);
        return;
      case BOOL_FORMAT:
        for (let k = 0; k < 7; k++) view.setUint8(at + k, 0);
        view.setUint8(at + 7, value ? 1 : 0);
        return;
      case NONE_FORMAT:
        for (let k = 0; k < 8; k++) view.setUint8(at + k, 0);
        return;
      default: {
        const bytes = item.bytes!;
        const slot = slotSize(item.format);
        const target = new Uint8Array(view.buffer, view.byteOffset + at, slot);
        target.set(bytes);
        target.fill(0, bytes.length);
      }
    }
  }

  /** The number of items (fixed when the list was made). */
  get length(): number {
    return Number(this.#view().getBigInt64(0, LITTLE_ENDIAN));
  }

  /** The item at `index` (negative counts from the end); RangeError past either end. */
  get(index: number): ShareableItem {
    const i = indexOf(index, this.#length, 'index out of range');
    const format = this.#format(i);
    const view = this.#view();
    const at = this.#dataStart + this.#offsets[i]!;
    const code = view.getInt8(this.#codesStart + i);
    if (code === NONE) return null;
    switch (format) {
      case 'q': {
        const value = view.getBigInt64(at, LITTLE_ENDIAN);
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      case 'd':
        return view.getFloat64(at, LITTLE_ENDIAN);
      case BOOL_FORMAT:
        return view.getUint8(at + 7) !== 0;
      case NONE_FORMAT:
        return null;
      default: {
        if (!format.endsWith('s')) throw new TypeError(`item ${i} has a format this list cannot read: '${format}'`);
        let bytes = new Uint8Array(view.buffer, view.byteOffset + at, slotSize(format));
        let end = bytes.length;
        while (end > 0 && bytes[end - 1] === 0) end--;
        bytes = bytes.slice(0, end);
        return code === STR ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8') : bytes;
      }
    }
  }

  /** Replaces the item at `index`, with a value of any supported type that fits its slot. */
  set(index: number, value: ShareableItem): void {
    const i = indexOf(index, this.#length, 'assignment index out of range');
    let item = encodeItem(value);
    if (item.bytes) {
      const allocated = this.#offsets[i + 1]! - this.#offsets[i]!;
      if (item.bytes.length > allocated) throw new RangeError('bytes/str item exceeds available storage');
      const current = this.#format(i);
      item = { ...item, format: current.endsWith('s') ? current : `${allocated}s` };
    }
    this.#writeMeta(i, item);
    this.#writeValue(i, item, value);
  }

  /** How many items equal `value`. */
  count(value: ShareableItem): number {
    let n = 0;
    for (const item of this) if (sameItem(item, value)) n++;
    return n;
  }

  /** The position of the first item equal to `value`; RangeError if there is none. */
  index(value: ShareableItem): number {
    let i = 0;
    for (const item of this) {
      if (sameItem(item, value)) return i;
      i++;
    }
    throw new RangeError(`${typeof value === 'string' ? JSON.stringify(value) : String(value)} not in this container`);
  }

  /** The struct format of all items, as CPython's `format`. */
  get format(): string {
    let out = '';
    for (let i = 0; i < this.#length; i++) out += this.#format(i);
    return out;
  }

  /** Iterates over the items (each read when reached). */
  *[Symbol.iterator](): IterableIterator<ShareableItem> {
    for (let i = 0; i < this.#length; i++) yield this.get(i);
  }

  /** A copy of every item. */
  toArray(): ShareableItem[] {
    return [...this];
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockState } {
    return { type: 'ShareableList', state: blockState(this.shm, destination) };
  }

  /** CPython's repr: `ShareableList([1, 2.5, "x", null], name='psm_1a2b3c4d')`. */
  toString(): string {
    return `ShareableList([${this.toArray().map(reprItem).join(', ')}], name='${this.shm.name}')`;
  }
}

registerShareable('ShareableList', (state) => {
  receiveBlock(state as BlockState);
  return new ShareableList(null, { name: (state as BlockState).name });
});
