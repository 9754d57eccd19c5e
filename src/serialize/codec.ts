/**
 * Values sent to other processes and threads are structured-cloneable data. This codec runs
 * before the clone and after it, to carry what the clone alone would lose or refuse:
 * functions (by reference), errors (class, code, own properties), instances of classes
 * (prototype, by a reference to their class: instances.ts), and the package's shareable objects
 * (as handles on the same resource). What cannot be sent is refused here, at the call site, with
 * a PicklingError naming where it sits in what was sent (`args[1].conn.socket`).
 */
import type { Transferable } from 'node:worker_threads';
import { PicklingError } from '../errors.js';
import { describeClass, describeFunction, loadModule, resolveLoadedFunction, syncModuleExports, type FunctionRef } from './function-ref.js';
import { classRef, resolveClass, type ClassRef } from './class-ref.js';
import { errorFromWire, errorToWire, type WireError } from './error-wire.js';
import { instanceClass } from './instances.js';
import { moduleRefusal, noteLoadedModule } from './module-trust.js';
import { placeRefusal, refusal, refusedSubject } from './refusal.js';
import { pathTo, type Label } from './value-path.js';

export type { Label } from './value-path.js';

/** @internal Key of the tag on encoded special values. Plain objects that carry it themselves are escaped. */
export const TAG = '__mp$';

/** Shareable objects implement this: they return the state from which the receiver rebuilds a handle. */
export const kReduce = Symbol.for('multiprocessing-ts.reduce');

/**
 * Where an encoded value goes. For a thread, `transfer` may collect objects that move to it with
 * the message (a MessagePort): they pass through the codec untouched and the sender lists them
 * as the postMessage transfer list.
 */
export type Destination =
  | {
      kind: 'process';
      /** The value is a child's start message (its target and arguments): it may carry secrets a child inherits. */
      child?: boolean;
    }
  | {
      kind: 'thread';
      /** As for a process. */
      child?: boolean;
      transfer?: Transferable[];
      /**
       * What a shareable that gives itself up to be sent (a Pipe end between threads moves) does
       * to take itself back if the encoding fails after it (nothing is sent then); set by encode.
       */
      undo?: Array<() => void>;
    };

/**
 * @internal
 * A state that names a file descriptor by number (`{ kind: 'fd', fd }`, as the state itself or as
 * one of its properties) is meant for a thread of the same process only: `decode` refuses it in a
 * value from another process, where the number would name one of the receiver's own files.
 */
export interface Reducible {
  [kReduce](destination: Destination): { type: string; state: unknown };
}

type Rebuild = (state: unknown) => unknown;
const rebuilders = new Map<string, Rebuild>();

/** @internal Declares how a shareable type's handles are rebuilt in the receiving process. */
export function registerShareable(type: string, rebuild: Rebuild): void {
  rebuilders.set(type, rebuild);
}

/** @internal Recognises views on shared memory that carry no class of their own (a RawArray is a plain typed array). */
export type SharedViewReducer = (view: ArrayBufferView, destination: Destination) => { type: string; state: unknown } | undefined;
const sharedViewReducers: SharedViewReducer[] = [];

/** @internal Lets typed arrays and DataViews over known shared memory travel as handles on it, not as copies. */
export function registerSharedViewReducer(reducer: SharedViewReducer): void {
  sharedViewReducers.push(reducer);
}

function reduceSharedView(view: ArrayBufferView, destination: Destination): { type: string; state: unknown } | undefined {
  if (!(view.buffer instanceof SharedArrayBuffer)) return undefined;
  for (const reducer of sharedViewReducers) {
    const reduced = reducer(view, destination);
    if (reduced) return reduced;
  }
  return undefined;
}

export interface ModuleNeed {
  url: string;
  format: 'module' | 'commonjs';
}

export interface Encoded {
  value: unknown;
  /** Modules the receiver imports before decoding (functions and classes live there). */
  modules: ModuleNeed[];
}

type Tagged =
  | { [TAG]: 'fn'; ref: FunctionRef }
  | { [TAG]: 'cls'; ref: ClassRef; props: Record<string, unknown> }
  /** An instance of a class exported from its module: the class travels as a function does. */
  | { [TAG]: 'inst'; ref: FunctionRef; props: Record<string, unknown> }
  | { [TAG]: 'error'; error: WireError }
  | { [TAG]: 'handle'; type: string; state: unknown }
  | { [TAG]: 'obj'; props: Record<string, unknown> };

/** [class, what it is, why it cannot go, the fix] */
const UNSENDABLE: Array<[Function, string, string, string]> = [
  [Promise, 'a Promise', 'it is a computation still running in this process', 'await it first and send the result'],
  [WeakMap, 'a WeakMap', 'its entries are held weakly and cannot be listed', 'send a Map of the entries instead'],
  [WeakSet, 'a WeakSet', 'its items are held weakly and cannot be listed', 'send a Set or an array of the items instead'],
  [WeakRef, 'a WeakRef', 'it refers weakly to an object of this process', 'send the object itself (deref() it first)'],
];

function isLeaf(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof SharedArrayBuffer ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Boolean ||
    value instanceof Number ||
    value instanceof String
  );
}

/**
 * Node's process channel delivers typed arrays and DataViews as windows on the whole message
 * buffer; the receiver gets a view with a buffer of its own (Buffers stay as Node makes them).
 */
function ownView(view: ArrayBufferView): ArrayBufferView {
  const { buffer, byteOffset, byteLength } = view;
  if (Buffer.isBuffer(view) || buffer instanceof SharedArrayBuffer) return view;
  if (byteOffset === 0 && byteLength === buffer.byteLength) return view;
  const bytes = buffer.slice(byteOffset, byteOffset + byteLength);
  if (view instanceof DataView) return new DataView(bytes);
  return new (view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView)(bytes);
}

const NOT_A_CONTAINER = Symbol('not a container');

/** Holes met walking an array index by index before the rest is walked by its own keys instead. */
const HOLES_BEFORE_KEYS = 1024;

/** Whether `key` is an array index (a canonical integer below 2^32 - 1), not a named property. */
function isIndexKey(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 - 1 && String(n) === key;
}

/**
 * Copies an array's items through `walk`, keeping holes as holes. A sparse array (one of length
 * 2^32 - 1 takes 25 bytes to send) is walked by its own keys, so the time taken follows the items
 * it holds, never its length.
 */
function copyArray(v: unknown[], out: unknown[], walk: (item: unknown) => unknown): void {
  let holes = 0;
  for (let i = 0; i < v.length; i++) {
    if (i in v) {
      out[i] = walk(v[i]);
    } else if (++holes > HOLES_BEFORE_KEYS) {
      // Own keys list indices in ascending order, before named properties.
      for (const key of Object.keys(v)) {
        if (!isIndexKey(key)) break;
        const index = Number(key);
        if (index > i) out[index] = walk(v[index]);
      }
      return;
    }
  }
}

/** Copies an Array, Map or Set through `walk` (in either direction), keeping holes and cycles. */
function copyContainer(v: object, seen: Map<object, unknown>, walk: (item: unknown) => unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    seen.set(v, out);
    copyArray(v, out, walk);
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [key, item] of v) out.set(walk(key), walk(item));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set();
    seen.set(v, out);
    for (const item of v) out.add(walk(item));
    return out;
  }
  return NOT_A_CONTAINER;
}

function isPlainPrimitive(v: unknown): boolean {
  const type = typeof v;
  return v === null || type === 'number' || type === 'string' || type === 'boolean' || type === 'undefined' || type === 'bigint';
}

/**
 * Whether `value` is plain data the structured clone alone carries exactly as `encode` + `decode`
 * would: primitives (not symbols), Dates, and arrays and plain objects of them (`visits` bounds
 * the values looked at, so cycles and large graphs answer false). Such a value needs neither walk: a sender
 * may clone it directly and the receiver use the clone as it is. Typed arrays and buffers answer
 * false (a receiver's clone may be a window on a larger buffer), and so does anything `encode`
 * treats specially (functions, errors, shareables, instances of classes).
 * @internal
 */
export function isPlainData(value: unknown, visits = 1024): boolean {
  let budget = visits;
  const check = (v: unknown): boolean => {
    if (--budget < 0) return false;
    if (isPlainPrimitive(v)) return true;
    if (typeof v !== 'object') return false;
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return false;
      // Long arrays of primitives (a map's chunk) are checked in this loop, without a call per item.
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (isPlainPrimitive(item) ? --budget < 0 : !check(item)) return false;
      }
      return true;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === Date.prototype) return true;
    if (proto !== Object.prototype && proto !== null) return false;
    if (typeof (v as Partial<Reducible>)[kReduce] === 'function') return false;
    for (const key in v) {
      if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
      if (!check((v as Record<string, unknown>)[key])) return false;
    }
    return true;
  };
  return check(value);
}

/** Sets an own data property (an own '__proto__' key stays a key: assigning it would set the prototype). */
function setOwn(into: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

/**
 * @internal
 * Encodes `value` for `destination`. `label` names what is sent, for the messages of values that
 * cannot be (see value-path.ts): 'obj' gives `obj.conn.socket`; ['target', 'args'] for an
 * array of the two gives `args[1].conn.socket`.
 */
export function encode(value: unknown, given: Destination = { kind: 'process' }, label: Label = 'value'): Encoded {
  const undo: Array<() => void> = [];
  const destination: Destination = given.kind === 'thread' ? { ...given, undo } : given;
  const modules = new Map<string, ModuleNeed>();
  const seen = new Map<object, unknown>();
  /** The value refused first: the message names where it sits, found once encoding has failed. */
  let offender: { value: unknown } | null = null;
  const need = (url: string, format: 'module' | 'commonjs'): void => {
    if (modules.has(url)) return;
    modules.set(url, { url, format });
    // A function or class of it is here: values coming back may name it.
    noteLoadedModule(url);
  };
  const refused = (v: unknown, error: unknown): unknown => {
    offender ??= { value: v };
    return error;
  };

  const encodeProps = (source: object, into: Record<string, unknown>): void => {
    for (const key of Object.keys(source)) setOwn(into, key, walk((source as Record<string, unknown>)[key]));
  };

  /**
   * What an error carries besides its message is diagnostics: a property that cannot be sent (a
   * request object on an HTTP error, say) arrives as a note saying so, and the error still goes.
   */
  const walkErrorPart = (v: unknown): unknown => {
    const seenBefore = seen.size;
    const modulesBefore = modules.size;
    try {
      return walk(v);
    } catch (error) {
      const subject = refusedSubject(error);
      if (subject === null) throw error;
      offender = null;
      // What the failed part had half-encoded must not stand in for those objects elsewhere in
      // the value (Maps keep insertion order: the last entries are this part's).
      for (const key of [...seen.keys()].slice(seenBefore)) seen.delete(key);
      for (const key of [...modules.keys()].slice(modulesBefore)) modules.delete(key);
      return `[not sent: ${subject}]`;
    }
  };

  const walk = (v: unknown): unknown => {
    if (typeof v === 'symbol') {
      throw refused(v, refusal(String(v), 'symbols are local to one process', 'send a string instead'));
    }
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (typeof v === 'function') {
      let ref: FunctionRef;
      try {
        ref = describeFunction(v);
      } catch (error) {
        throw refused(v, error);
      }
      need(ref.url, ref.format);
      const out: Tagged = { [TAG]: 'fn', ref };
      seen.set(v, out);
      return out;
    }
    const reducible = (v as Partial<Reducible>)[kReduce];
    let reduced: { type: string; state: unknown } | undefined;
    try {
      reduced =
        typeof reducible === 'function'
          ? reducible.call(v, destination)
          : ArrayBuffer.isView(v)
            ? reduceSharedView(v, destination)
            : undefined;
    } catch (error) {
      throw refused(v, error);
    }
    if (reduced) {
      const out = { [TAG]: 'handle', type: reduced.type, state: undefined as unknown };
      seen.set(v, out);
      out.state = walk(reduced.state);
      return out;
    }
    if (isLeaf(v)) return v;
    if (destination.kind === 'thread' && destination.transfer?.includes(v as Transferable)) return v;
    if (v instanceof Error) {
      const out = { [TAG]: 'error', error: undefined as unknown as WireError };
      seen.set(v, out);
      out.error = errorToWire(
        v,
        walkErrorPart,
        (cls) => {
          const ref = classRef(cls);
          need(ref.url, ref.format);
          return ref;
        },
        (cls) => {
          const ref = exportedErrorClass(cls);
          if (ref !== null) need(ref.url, ref.format);
          return ref ?? undefined;
        },
      );
      return out;
    }
    const container = copyContainer(v, seen, walk);
    if (container !== NOT_A_CONTAINER) return container;
    for (const [ctor, what, why, fix] of UNSENDABLE) {
      if (v instanceof ctor) throw refused(v, refusal(what, why, fix));
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== null && proto !== Object.prototype) {
      let found;
      try {
        found = instanceClass(v, proto);
      } catch (error) {
        throw refused(v, error);
      }
      if (found.kind !== 'plain') {
        const ref = found.kind === 'registered' ? classRef(found.cls) : found.ref;
        need(ref.url, ref.format);
        const out = (found.kind === 'registered' ? { [TAG]: 'cls', ref, props: {} } : { [TAG]: 'inst', ref, props: {} }) as Tagged & {
          props: Record<string, unknown>;
        };
        seen.set(v, out);
        encodeProps(v, out.props);
        return out;
      }
    }
    // A plain object travels as its own enumerable properties, as structured clone does.
    const props: Record<string, unknown> = {};
    if (Object.prototype.hasOwnProperty.call(v, TAG)) {
      const out: Tagged = { [TAG]: 'obj', props };
      seen.set(v, out);
      encodeProps(v, props);
      return out;
    }
    seen.set(v, props);
    encodeProps(v, props);
    return props;
  };

  try {
    return { value: walk(value), modules: [...modules.values()] };
  } catch (error) {
    for (const step of undo.reverse()) step();
    if (offender !== null && error instanceof PicklingError) {
      const path = pathTo(value, (offender as { value: unknown }).value, label);
      if (path !== null && !placeRefusal(error, path)) error.message = `${error.message} (at ${path})`;
    }
    throw error;
  }
}

const moduleExports = new Map<string, unknown>();

/**
 * Who sent a value: the program that started this process or thread (its start message, a pool's
 * tasks), whose modules a child imports as they come, or a peer (a Connection, a Queue, a pool
 * worker's results), whose values may name only modules this program can reach (module-trust.ts).
 */
export type Sender = 'peer' | 'parent';

/**
 * @internal Throws the PicklingError saying why, if a value from a peer names a module it may not
 * make this process import. Called before any of them is imported, so a refused value runs nothing.
 */
export function checkModulesAllowed(modules: readonly ModuleNeed[]): void {
  for (const { url } of modules) {
    if (moduleExports.has(url)) continue;
    const refused = moduleRefusal(url);
    if (refused !== null) throw refused;
  }
}

/** @internal Imports every module an encoded value needs; afterwards `decode` runs synchronously. */
export async function prepareDecode(modules: readonly ModuleNeed[], sender: Sender = 'peer'): Promise<void> {
  if (sender === 'peer') checkModulesAllowed(modules);
  // Every import is let finish, so a failing one does not leave the others half loaded for a
  // caller that goes on to decode what it can.
  const outcomes = await Promise.allSettled(
    modules.map(async ({ url, format }) => {
      if (!moduleExports.has(url)) moduleExports.set(url, await loadModule(url, format));
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * @internal Whether every module an encoded value needs is loaded already, so `decode` can run
 * without `prepareDecode`. False for a module a peer may not name (prepareDecode says why).
 */
export function modulesReady(modules: readonly ModuleNeed[], sender: Sender = 'peer'): boolean {
  for (const { url } of modules) {
    if (moduleExports.has(url)) continue;
    // require() below would run a module not loaded yet.
    if (sender === 'peer' && moduleRefusal(url) !== null) return false;
    // Imported by the program itself (statically, say): no async load needed to use it.
    const exports = syncModuleExports(url);
    if (exports === undefined) return false;
    moduleExports.set(url, exports);
  }
  return true;
}

/** Error classes exported from their modules (as pickle sends an exception's class), or null. */
const errorClasses = new WeakMap<Function, FunctionRef | null>();

function exportedErrorClass(cls: Function): FunctionRef | null {
  let ref = errorClasses.get(cls);
  if (ref === undefined) {
    try {
      ref = describeClass(cls);
    } catch {
      // Not exported (or a built-in's): the error travels as its nearest built-in or package class.
      ref = null;
    }
    errorClasses.set(cls, ref);
  }
  return ref;
}

/**
 * The file descriptor a handle's state names by number (see Reducible), or undefined.
 * Listed: the state itself, and each of its properties (a Listener's `socket`).
 */
function localFdNamed(state: unknown): unknown {
  if (state === null || typeof state !== 'object') return undefined;
  const named = (part: unknown): boolean => part !== null && typeof part === 'object' && (part as { kind?: unknown }).kind === 'fd';
  if (named(state)) return (state as { fd?: unknown }).fd;
  for (const key of Object.keys(state)) {
    const part = (state as Record<string, unknown>)[key];
    if (named(part)) return (part as { fd?: unknown }).fd;
  }
  return undefined;
}

function refuseLocalFd(type: string, fd: unknown): PicklingError {
  return new PicklingError(
    `Refused a received ${type} naming file descriptor ${String(fd)} of this process: that form is sent only to a thread ` +
      'of the same process; from another process it would wrap one of this process\'s own files. The value was dropped ' +
      '(the next one reads as usual). Between processes, send() and put() pass a shareable object as a shared handle, never in this form.',
  );
}

/**
 * @internal
 * Rebuilds a value `encode` made. `from`: whether it came from a thread of this process (which
 * may hand over its file descriptors by number) or from another process (which may not).
 */
export function decode(value: unknown, from: 'process' | 'thread' = 'process'): unknown {
  const seen = new Map<object, unknown>();

  const decodeProps = (source: Record<string, unknown>, into: Record<string, unknown>): void => {
    for (const key of Object.keys(source)) setOwn(into, key, walk(source[key]));
  };

  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (ArrayBuffer.isView(v)) {
      const out = ownView(v);
      seen.set(v, out);
      return out;
    }
    if (isLeaf(v) || v instanceof MessagePort) return v;
    const container = copyContainer(v, seen, walk);
    if (container !== NOT_A_CONTAINER) return container;
    if (v instanceof Error) return v;
    const tagged = v as Tagged;
    switch (tagged[TAG]) {
      case undefined: {
        const out: Record<string, unknown> = {};
        seen.set(v, out);
        decodeProps(v as Record<string, unknown>, out);
        return out;
      }
      case 'fn': {
        const fn = resolveLoadedFunction(tagged.ref, moduleExports.get(tagged.ref.url));
        seen.set(v, fn);
        return fn;
      }
      case 'cls':
      case 'inst': {
        const cls = tagged[TAG] === 'cls' ? resolveClass(tagged.ref) : resolveLoadedFunction(tagged.ref, moduleExports.get(tagged.ref.url));
        const out = Object.create(cls.prototype as object) as Record<string, unknown>;
        seen.set(v, out);
        decodeProps(tagged.props, out);
        return out;
      }
      case 'error': {
        const out = errorFromWire(tagged.error, walk, resolveClass, (ref) => resolveLoadedFunction(ref, moduleExports.get(ref.url)));
        seen.set(v, out);
        return out;
      }
      case 'handle': {
        const rebuild = rebuilders.get(tagged.type);
        if (!rebuild) throw new PicklingError(`Cannot rebuild a shared ${tagged.type} here: its module is not loaded.`);
        const state = walk(tagged.state);
        if (from === 'process') {
          const fd = localFdNamed(state);
          if (fd !== undefined) throw refuseLocalFd(tagged.type, fd);
        }
        const out = rebuild(state);
        seen.set(v, out);
        return out;
      }
      case 'obj': {
        const out: Record<string, unknown> = {};
        seen.set(v, out);
        decodeProps(tagged.props, out);
        return out;
      }
      default:
        throw new PicklingError(`Unknown encoded value '${String((tagged as Record<string, unknown>)[TAG])}'`);
    }
  };

  return walk(value);
}
