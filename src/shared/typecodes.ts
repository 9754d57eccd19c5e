/**
 * CPython's typecodes and how values of each are stored in shared memory: TypedArray kinds,
 * conversions with their errors, and the argument checks shared by values and arrays.
 * (See sharedctypes.ts for what each typecode reads and accepts.)
 */
import type { Block } from './heap.js';

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
} as const satisfies Record<string, { array: TypedArrayConstructor; ctype: string }>;

export type Typecode = keyof typeof TYPES;

/** The TypedArray a typecode's memory is viewed as. */
export type TypedArrayFor<C extends Typecode> = InstanceType<(typeof TYPES)[C]['array']>;
/** What reading an element of a typecode gives. */
export type ValueFor<C extends Typecode> = C extends 'q' | 'Q' ? bigint : C extends 'c' | 'u' ? string : number;
/** What an element of a typecode accepts. */
export type InputFor<C extends Typecode> = C extends 'q' | 'Q'
  ? bigint | number
  : C extends 'c'
    ? string | number | Uint8Array
    : C extends 'u'
      ? string
      : number;

const TYPECODE_LIST = Object.keys(TYPES).join(', ');

export function typeOf(typecode: unknown): (typeof TYPES)[Typecode] {
  if (typeof typecode === 'string' && Object.prototype.hasOwnProperty.call(TYPES, typecode)) return TYPES[typecode as Typecode];
  throw new TypeError(`bad typecode ${describe(typecode)}: must be one of ${TYPECODE_LIST}`);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/** The stored form of `value` for `typecode`, or a TypeError saying what the typecode takes. */
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

export function fromStored(typecode: Typecode, stored: number | bigint): number | bigint | string {
  if (typecode === 'c') return String.fromCharCode(stored as number);
  if (typecode === 'u') {
    const point = stored as number;
    return point <= 0x10ffff ? String.fromCodePoint(point) : '\ufffd';
  }
  return stored;
}

export function zeroOf(typecode: Typecode): number | bigint {
  return typecode === 'q' || typecode === 'Q' ? 0n : 0;
}

export function viewOf(typecode: Typecode, block: Block, length: number): AnyTypedArray {
  const Ctor = TYPES[typecode].array as TypedArrayConstructor;
  return new Ctor(block.segment.buffer as unknown as ArrayBuffer, block.offset, length);
}

/** The elements `sizeOrInit` stands for: a count of zeroes, or the items of a sequence. */
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

export function indexIn(index: unknown, length: number): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`array indices must be integers, not ${describe(index)}`);
  const at = index < 0 ? index + length : index;
  if (at < 0 || at >= length) throw new RangeError(`invalid index ${index} for an array of length ${length}`);
  return at;
}
