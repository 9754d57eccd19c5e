/**
 * CPython's typecodes and how values of each are stored in shared memory: TypedArray kinds,
 * conversions with their errors, and the argument checks shared by values and arrays.
 * (See sharedctypes.ts for what each typecode reads and accepts.)
 */
import type { Block } from './heap.js';

/** @internal */
export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** @internal */
export type AnyTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * A typecode of Python's `array` module, as `Value`, `Array`, `RawValue` and `RawArray` take it
 * (CPython's `multiprocessing.sharedctypes`): what each value or element holds.
 * - `'b'`/`'B'`: a signed/unsigned 8-bit integer; `'h'`/`'H'`: 16-bit; `'i'`/`'I'` and
 *   `'l'`/`'L'`: 32-bit (a C long is 32 bits here, as on Windows; Python's is 64 on Linux);
 * - `'q'`/`'Q'`: a signed/unsigned 64-bit integer, read as a bigint;
 * - `'f'`/`'d'`: a 32-/64-bit float;
 * - `'c'`: one byte, read as a one-character string (latin1);
 * - `'u'`: one code point (UTF-32), read as a one-character string.
 *
 * Integers outside a type's range wrap around, as ctypes' do.
 * @category Shared memory
 */
export type Typecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'f' | 'd' | 'c' | 'u';

/**
 * The typecodes whose values are plain numbers: all but the 64-bit integers (`'q'`, `'Q'`: bigints)
 * and the characters (`'c'`, `'u'`: strings). `Value`, `Array` and `RawValueObject` without a type
 * argument mean these: `function work(counter: Value) { counter.value += 1; }`.
 * @category Shared memory
 */
export type NumericTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'f' | 'd';

/** @internal */
export const TYPES = {
  b: { array: Int8Array, ctype: 'c_byte' },
  B: { array: Uint8Array, ctype: 'c_ubyte' },
  h: { array: Int16Array, ctype: 'c_short' },
  H: { array: Uint16Array, ctype: 'c_ushort' },
  i: { array: Int32Array, ctype: 'c_int' },
  I: { array: Uint32Array, ctype: 'c_uint' },
  l: { array: Int32Array, ctype: 'c_long' },
  L: { array: Uint32Array, ctype: 'c_ulong' },
  q: { array: BigInt64Array, ctype: 'c_longlong' },
  Q: { array: BigUint64Array, ctype: 'c_ulonglong' },
  f: { array: Float32Array, ctype: 'c_float' },
  d: { array: Float64Array, ctype: 'c_double' },
  c: { array: Uint8Array, ctype: 'c_char' },
  u: { array: Uint32Array, ctype: 'c_wchar' },
} as const satisfies Record<Typecode, { array: TypedArrayConstructor; ctype: string }>;

/**
 * The TypedArray a typecode's memory is viewed as (what `RawArray` returns): b Int8Array,
 * B and c Uint8Array, h Int16Array, H Uint16Array, i and l Int32Array, I, L and u Uint32Array,
 * q BigInt64Array, Q BigUint64Array, f Float32Array, d Float64Array. Its buffer is shared memory.
 * @category Shared memory
 */
export type TypedArrayFor<C extends Typecode> = C extends 'b'
  ? Int8Array
  : C extends 'B' | 'c'
    ? Uint8Array
    : C extends 'h'
      ? Int16Array
      : C extends 'H'
        ? Uint16Array
        : C extends 'i' | 'l'
          ? Int32Array
          : C extends 'I' | 'L' | 'u'
            ? Uint32Array
            : C extends 'q'
              ? BigInt64Array
              : C extends 'Q'
                ? BigUint64Array
                : C extends 'f'
                  ? Float32Array
                  : Float64Array;
/**
 * What reading a value or element of a typecode gives: a bigint for `'q'`/`'Q'`, a
 * one-character string for `'c'`/`'u'`, a number otherwise.
 * @category Shared memory
 */
export type ValueFor<C extends Typecode> = C extends 'q' | 'Q' ? bigint : C extends 'c' | 'u' ? string : number;
/**
 * What a value or element of a typecode accepts: `'q'`/`'Q'` also take safe-integer numbers,
 * `'c'` also a byte value 0-255 or a one-byte Uint8Array.
 * @category Shared memory
 */
export type InputFor<C extends Typecode> = C extends 'q' | 'Q'
  ? bigint | number
  : C extends 'c'
    ? string | number | Uint8Array
    : C extends 'u'
      ? string
      : number;

const TYPECODE_LIST = Object.keys(TYPES).join(', ');

/** @internal */
export function typeOf(typecode: unknown): (typeof TYPES)[Typecode] {
  if (typeof typecode === 'string' && Object.prototype.hasOwnProperty.call(TYPES, typecode)) return TYPES[typecode as Typecode];
  throw new TypeError(`bad typecode ${describe(typecode)}: must be one of ${TYPECODE_LIST}`);
}

/** @internal */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** @internal The stored form of `value` for `typecode`, or a TypeError saying what the typecode takes. */
export function toStored(typecode: Typecode, value: unknown): number | bigint {
  switch (typecode) {
    case 'q':
    case 'Q':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      throw new TypeError(`typecode '${typecode}' takes a bigint or a safe integer, not ${describe(value)}`);
    case 'f':
    case 'd':
      if (typeof value === 'number') return value;
      throw new TypeError(`typecode '${typecode}' takes a number, not ${describe(value)}`);
    case 'c':
      if (typeof value === 'string' && value.length === 1 && value.charCodeAt(0) <= 0xff) return value.charCodeAt(0);
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff) return value;
      if (value instanceof Uint8Array && value.length === 1) return value[0]!;
      throw new TypeError(
        `typecode 'c' takes one byte: a one-character string with a code of at most 255, a number 0-255 or a one-byte Uint8Array, not ${describe(value)}`,
      );
    case 'u': {
      const point = typeof value === 'string' ? value.codePointAt(0) : undefined;
      if (point !== undefined && String.fromCodePoint(point) === value) return point;
      throw new TypeError(`typecode 'u' takes a one-character string, not ${describe(value)}`);
    }
    default:
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw new TypeError(`typecode '${typecode}' takes an integer, not ${describe(value)}`);
  }
}

/** @internal */
export function fromStored(typecode: Typecode, stored: number | bigint): number | bigint | string {
  if (typecode === 'c') return String.fromCharCode(stored as number);
  if (typecode === 'u') {
    const point = stored as number;
    return point <= 0x10ffff ? String.fromCodePoint(point) : '\ufffd';
  }
  return stored;
}

/** @internal */
export function zeroOf(typecode: Typecode): number | bigint {
  return typecode === 'q' || typecode === 'Q' ? 0n : 0;
}

/** @internal */
export function viewOf(typecode: Typecode, block: Block, length: number): AnyTypedArray {
  const Ctor = TYPES[typecode].array as TypedArrayConstructor;
  return new Ctor(block.segment.buffer as unknown as ArrayBuffer, block.offset, length);
}

/** @internal The elements `sizeOrInit` stands for: a count of zeroes, or the items of a sequence. */
export function initialItems(typecode: Typecode, sizeOrInit: unknown): { length: number; items: Array<number | bigint> | null } {
  if (typeof sizeOrInit === 'number') {
    if (!Number.isInteger(sizeOrInit)) throw new TypeError(`an array size must be an integer, not ${sizeOrInit}`);
    if (sizeOrInit < 0) throw new RangeError(`an array size must not be negative, not ${sizeOrInit}`);
    if (sizeOrInit > 2 ** 32) throw new RangeError(`array size ${sizeOrInit} is too large`);
    return { length: sizeOrInit, items: null };
  }
  if (
    sizeOrInit !== null &&
    (typeof sizeOrInit === 'string' ||
      (typeof sizeOrInit === 'object' && typeof (sizeOrInit as Iterable<unknown>)[Symbol.iterator] === 'function'))
  ) {
    const items = Array.from(sizeOrInit as Iterable<unknown>, (item) => toStored(typecode, item));
    return { length: items.length, items };
  }
  throw new TypeError(`expected an array size or a sequence of initial items, not ${describe(sizeOrInit)}`);
}

/** @internal */
export function indexIn(index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`array indices must be integers, not ${describe(index)}`);
  const at = index < 0 ? index + length : index;
  if (at < 0 || at >= length) throw new RangeError(`invalid index ${index} for an array of length ${length}`);
  return at;
}
