/**
 * Most pool traffic is numbers, strings and small arrays of them. Such values need nothing the
 * codec adds (no functions, errors, classes or shared handles), so they skip its walk on both
 * sides and go straight to the structured clone.
 */

function primitive(value: unknown): boolean {
  const type = typeof value;
  return value === null || (type !== 'object' && type !== 'function' && type !== 'symbol');
}

/** Whether every element is a primitive or an array of primitives. */
export function isPlainList(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (primitive(item)) continue;
    if (!Array.isArray(item)) return false;
    for (let j = 0; j < item.length; j++) if (!primitive(item[j])) return false;
  }
  return true;
}

/**
 * A long list of numbers travels as one Float64Array: the clone copies its bytes instead of
 * making one heap number per element on arrival (every JS number, -0 and NaN included, is a
 * float64). Receivers index it like the array it stands for.
 */
export function packNumbers(list: readonly unknown[]): Float64Array | null {
  if (list.length < 16) return null;
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== 'number') return null;
  return Float64Array.from(list as number[]);
}
