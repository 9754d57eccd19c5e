/**
 * Small messages (one task, one result, one `send`) are mostly numbers, strings and arrays. For
 * those JSON is several times cheaper than v8's serializer on both ends; it may stand in only
 * where it gives back exactly what v8's serializer would.
 */
import { TAG } from './codec.js';

const MAX_NODES = 4096;
const MAX_DEPTH = 64;
const MAX_ARRAY = 1024;

/**
 * Whether JSON.parse(JSON.stringify(value)) gives back what v8's serializer would: only finite
 * numbers (not -0), strings, booleans, null, dense arrays without extra properties and plain
 * objects, no undefined, each object reached once (v8 keeps shared references; JSON would copy),
 * and small (larger values answer false: v8's serializer is as fast for them). Objects carrying
 * the codec's tag key answer false too, so a value sent as plain JSON can never be misread as an
 * encoded one. `maxChars`: a value whose strings and keys hold more characters answers false
 * too, so a caller with a size limit on the JSON text is spared stringifying what would not fit.
 */
export function jsonExact(value: unknown, maxChars = Infinity): boolean {
  return exact(value, { budget: MAX_NODES, chars: 0, maxChars, seen: [] }, 0);
}

interface Walk {
  budget: number;
  chars: number;
  readonly maxChars: number;
  /** Objects met so far (a short list: messages hold few objects; a Set past SEEN_LIST). */
  seen: object[] | Set<object>;
}

const SEEN_LIST = 16;

function metBefore(walk: Walk, v: object): boolean {
  const seen = walk.seen;
  if (Array.isArray(seen)) {
    if (seen.includes(v)) return true;
    if (seen.length < SEEN_LIST) seen.push(v);
    else walk.seen = new Set([...seen, v]);
    return false;
  }
  if (seen.has(v)) return true;
  seen.add(v);
  return false;
}

function exact(v: unknown, walk: Walk, depth: number): boolean {
  if (--walk.budget < 0) return false;
  switch (typeof v) {
    case 'string':
      walk.chars += v.length;
      return walk.chars <= walk.maxChars;
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object':
      return v === null || exactObject(v, walk, depth);
    default:
      return false;
  }
}

function exactObject(v: object, walk: Walk, depth: number): boolean {
  if (depth >= MAX_DEPTH || metBefore(walk, v)) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || v.length > MAX_ARRAY) return false;
    // Holes or extra properties make the key count differ from the length.
    if (Object.keys(v).length !== v.length) return false;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (item === undefined || !exact(item, walk, depth + 1)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(v).length > 0) return false;
  for (const key of Object.keys(v)) {
    if (key === '__proto__' || key === 'toJSON' || key === TAG) return false;
    walk.chars += key.length;
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined || !exact(item, walk, depth + 1)) return false;
  }
  return true;
}
