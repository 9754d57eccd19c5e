/**
 * The objects a SyncManager's server holds for `list()`, `dict()`, `Namespace()`, `Value()` and
 * `Array()`. Their public methods are what the proxies call. Items compare as Python's `==`
 * would for the copies that arrive here: by value (deep equality), not by identity.
 */
import { isDeepStrictEqual } from 'node:util';
import { typeOf, type AnyTypedArray, type Typecode } from '../shared/typecodes.js';

/** Items per round trip when a proxy is iterated with `for await`. */
export const ITER_CHUNK = 256;

/** One round trip of a `for await` over a proxy: the next items, and where to go on (null: done). */
export interface IterChunk {
  items: unknown[];
  next: number | null;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && a !== null && isDeepStrictEqual(a, b)) || (Number.isNaN(a) && Number.isNaN(b));
}

function show(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** Python's ordering for sort(): numbers by value, strings by code unit, else by string form. */
function pythonOrder(a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  const [x, y] = typeof a === 'string' && typeof b === 'string' ? [a, b] : [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function indexIn(length: number, index: unknown, what: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`${what} indices must be integers, not ${show(index)}`);
  const i = index < 0 ? length + index : index;
  if (i < 0 || i >= length) throw new RangeError(`${what} index out of range`);
  return i;
}

/** Options of `ListProxy.sort()`. */
export interface SortOptions<T = unknown> {
  /** Sorts by `key(item)` (an exported function: it runs in the server). */
  key?: ((item: T) => unknown) | null;
  /** Largest first. */
  reverse?: boolean;
}

/** @internal What a manager's `list()` holds. */
export class ManagedList {
  readonly #items: unknown[];

  constructor(items: Iterable<unknown> = []) {
    this.#items = [...items];
  }

  append(item: unknown): void {
    this.#items.push(item);
  }

  extend(items: Iterable<unknown>): void {
    for (const item of items) this.#items.push(item);
  }

  insert(index: number, item: unknown): void {
    const n = this.#items.length;
    const i = index < 0 ? Math.max(0, n + index) : Math.min(index, n);
    this.#items.splice(i, 0, item);
  }

  get(index: number): unknown {
    return this.#items[indexIn(this.#items.length, index, 'list')];
  }

  set(index: number, item: unknown): void {
    this.#items[indexIn(this.#items.length, index, 'list assignment')] = item;
  }

  delete(index: number): void {
    this.#items.splice(indexIn(this.#items.length, index, 'list assignment'), 1);
  }

  len(): number {
    return this.#items.length;
  }

  includes(item: unknown): boolean {
    return this.#items.some((each) => same(each, item));
  }

  index(item: unknown, start = 0, stop = this.#items.length): number {
    for (let i = Math.max(0, start < 0 ? this.#items.length + start : start); i < Math.min(stop, this.#items.length); i++) {
      if (same(this.#items[i], item)) return i;
    }
    throw new RangeError(`${show(item)} is not in list`);
  }

  count(item: unknown): number {
    return this.#items.filter((each) => same(each, item)).length;
  }

  pop(index = -1): unknown {
    if (this.#items.length === 0) throw new RangeError('pop from empty list');
    return this.#items.splice(indexIn(this.#items.length, index, 'pop'), 1)[0];
  }

  remove(item: unknown): void {
    const i = this.#items.findIndex((each) => same(each, item));
    if (i < 0) throw new RangeError(`list.remove(x): ${show(item)} not in list`);
    this.#items.splice(i, 1);
  }

  reverse(): void {
    this.#items.reverse();
  }

  sort(options: SortOptions = {}): void {
    const key = options.key ?? ((item: unknown) => item);
    const keyed = this.#items.map((item) => ({ item, key: key(item) }));
    keyed.sort((a, b) => pythonOrder(a.key, b.key) * (options.reverse ? -1 : 1));
    for (let i = 0; i < keyed.length; i++) this.#items[i] = keyed[i]!.item;
  }

  clear(): void {
    this.#items.length = 0;
  }

  copy(): unknown[] {
    return [...this.#items];
  }

  _getValue(): unknown[] {
    return this.copy();
  }

  _iterChunk(cursor: number): IterChunk {
    const items = this.#items.slice(cursor, cursor + ITER_CHUNK);
    const next = cursor + items.length;
    return { items, next: next < this.#items.length ? next : null };
  }
}

/** @internal What a manager's `dict()` holds: a Map, with Python's dict methods. */
export class ManagedDict {
  readonly #map: Map<unknown, unknown>;

  constructor(init?: object | Map<unknown, unknown> | Iterable<readonly [unknown, unknown]> | null) {
    this.#map = new Map();
    if (init !== undefined && init !== null) this.update(init);
  }

  set(key: unknown, value: unknown): void {
    this.#map.set(key, value);
  }

  /** The value of `key`, or `fallback` (default undefined) when it has none, as Python's `dict.get`. */
  get(key: unknown, fallback?: unknown): unknown {
    return this.#map.has(key) ? this.#map.get(key) : fallback;
  }

  has(key: unknown): boolean {
    return this.#map.has(key);
  }

  delete(key: unknown): boolean {
    return this.#map.delete(key);
  }

  len(): number {
    return this.#map.size;
  }

  keys(): unknown[] {
    return [...this.#map.keys()];
  }

  values(): unknown[] {
    return [...this.#map.values()];
  }

  items(): Array<[unknown, unknown]> {
    return [...this.#map.entries()];
  }

  update(other: object | Map<unknown, unknown> | Iterable<readonly [unknown, unknown]>): void {
    if (other instanceof Map || (typeof (other as Iterable<unknown>)[Symbol.iterator] === 'function' && !(typeof other === 'string'))) {
      for (const [key, value] of other as Iterable<readonly [unknown, unknown]>) this.#map.set(key, value);
      return;
    }
    for (const [key, value] of Object.entries(other)) this.#map.set(key, value);
  }

  pop(key: unknown, ...fallback: [unknown?]): unknown {
    if (this.#map.has(key)) {
      const value = this.#map.get(key);
      this.#map.delete(key);
      return value;
    }
    if (fallback.length > 0) return fallback[0];
    throw new RangeError(`key ${show(key)} not found`);
  }

  popitem(): [unknown, unknown] {
    const last = [...this.#map.entries()].pop();
    if (!last) throw new RangeError('popitem(): dictionary is empty');
    this.#map.delete(last[0]);
    return last;
  }

  setdefault(key: unknown, fallback?: unknown): unknown {
    if (!this.#map.has(key)) this.#map.set(key, fallback);
    return this.#map.get(key);
  }

  clear(): void {
    this.#map.clear();
  }

  copy(): Map<unknown, unknown> {
    return new Map(this.#map);
  }

  _getValue(): Map<unknown, unknown> {
    return this.copy();
  }

  _iterChunk(cursor: number): IterChunk {
    const keys = [...this.#map.keys()];
    const items = keys.slice(cursor, cursor + ITER_CHUNK);
    const next = cursor + items.length;
    return { items, next: next < keys.length ? next : null };
  }
}

/** @internal What a manager's `Namespace()` holds: named attributes. */
export class ManagedNamespace {
  readonly #attributes = new Map<string, unknown>();

  constructor(init: Record<string, unknown> = {}) {
    for (const [name, value] of Object.entries(init)) this.#attributes.set(name, value);
  }

  get(name: string): unknown {
    if (!this.#attributes.has(name)) throw new RangeError(`'Namespace' object has no attribute ${show(name)}`);
    return this.#attributes.get(name);
  }

  set(name: string, value: unknown): void {
    if (typeof name !== 'string') throw new TypeError('attribute names are strings');
    this.#attributes.set(name, value);
  }

  delete(name: string): void {
    if (!this.#attributes.delete(name)) throw new RangeError(`'Namespace' object has no attribute ${show(name)}`);
  }

  copy(): Record<string, unknown> {
    return Object.fromEntries(this.#attributes);
  }

  _getValue(): Record<string, unknown> {
    return this.copy();
  }

  /** CPython's repr: `Namespace(a=1, b='x')`, names sorted, private ones hidden. */
  toString(): string {
    const shown = [...this.#attributes].filter(([name]) => !name.startsWith('_')).sort(([a], [b]) => (a < b ? -1 : 1));
    return `Namespace(${shown.map(([name, value]) => `${name}=${show(value)}`).join(', ')})`;
  }
}

/** @internal What a manager's `Value()` holds (no lock, as CPython's). */
export class ManagedValue {
  readonly typecode: string;
  #value: unknown;

  constructor(typecode: string, value: unknown) {
    this.typecode = typecode;
    this.#value = value;
  }

  get(): unknown {
    return this.#value;
  }

  set(value: unknown): void {
    this.#value = value;
  }

  _getValue(): unknown {
    return this.#value;
  }
}

/** @internal What a manager's `Array()` holds: a typed array of the typecode (CPython's `array.array`). */
export class ManagedArray {
  readonly #items: AnyTypedArray;

  constructor(typecode: Typecode, items: Iterable<unknown> | number) {
    const { array } = typeOf(typecode);
    const from = typeof items === 'number' ? items : [...items];
    this.#items = new (array as unknown as new (from: unknown) => AnyTypedArray)(from);
  }

  get(index: number): unknown {
    return this.#items[indexIn(this.#items.length, index, 'array')];
  }

  set(index: number, value: unknown): void {
    (this.#items as unknown as unknown[])[indexIn(this.#items.length, index, 'array assignment')] = value;
  }

  len(): number {
    return this.#items.length;
  }

  copy(): unknown {
    return this.#items.slice();
  }

  _getValue(): unknown {
    return this.copy();
  }
}

/** @internal What a manager's `set()` holds (Python 3.14's managed set): items compared by value. */
export class ManagedSet {
  readonly #items: unknown[] = [];

  constructor(items: Iterable<unknown> = []) {
    for (const item of items) this.add(item);
  }

  #find(item: unknown): number {
    return this.#items.findIndex((each) => same(each, item));
  }

  add(item: unknown): void {
    if (this.#find(item) < 0) this.#items.push(item);
  }

  /** Removes `item`; RangeError if it is not there (Python's KeyError). */
  remove(item: unknown): void {
    const i = this.#find(item);
    if (i < 0) throw new RangeError(`${show(item)} is not in the set`);
    this.#items.splice(i, 1);
  }

  /** Removes `item` if it is there; resolves whether it was. */
  discard(item: unknown): boolean {
    const i = this.#find(item);
    if (i >= 0) this.#items.splice(i, 1);
    return i >= 0;
  }

  has(item: unknown): boolean {
    return this.#find(item) >= 0;
  }

  len(): number {
    return this.#items.length;
  }

  update(items: Iterable<unknown>): void {
    for (const item of items) this.add(item);
  }

  pop(): unknown {
    if (this.#items.length === 0) throw new RangeError('pop from an empty set');
    return this.#items.pop();
  }

  clear(): void {
    this.#items.length = 0;
  }

  copy(): Set<unknown> {
    return new Set(this.#items);
  }

  _getValue(): Set<unknown> {
    return this.copy();
  }

  _iterChunk(cursor: number): IterChunk {
    const items = this.#items.slice(cursor, cursor + ITER_CHUNK);
    const next = cursor + items.length;
    return { items, next: next < this.#items.length ? next : null };
  }
}
