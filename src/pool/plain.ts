/**
 * Most pool traffic is numbers, strings and small arrays or objects of them. Such values need
 * nothing the codec adds (no functions, errors, classes or shared handles), so they skip its walk
 * on both sides and go straight to the structured clone.
 */
import { isPlainData } from '../serialize/codec.js';

/**
 * Whether a chunk's items (or results) are plain data (codec's `isPlainData`: primitives, Dates,
 * arrays and plain objects of them), looking at no more than a few values per item: larger
 * items go through the codec, which is as fast for them.
 */
export function isPlainList(list: readonly unknown[]): boolean {
  return isPlainData(list, 16 * list.length + 64);
}

/**
 * A long list of numbers travels as one typed array: the clone copies its bytes instead of making
 * one heap number per element on arrival. Int32Array when every number is a 32-bit integer (half
 * the bytes to write and read), else Float64Array (every JS number, -0 and NaN included, is a
 * float64). Receivers index it like the array it stands for.
 */
export function packNumbers(list: readonly unknown[]): Int32Array | Float64Array | null {
  if (list.length < 16) return null;
  let int32 = true;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== 'number') return null;
    if (int32 && ((x | 0) !== x || Object.is(x, -0))) int32 = false;
  }
  return int32 ? Int32Array.from(list as number[]) : Float64Array.from(list as number[]);
}

/** Whether a chunk's results were packed by packNumbers. */
export function isPacked(value: unknown): value is Int32Array | Float64Array {
  return value instanceof Int32Array || value instanceof Float64Array;
}
