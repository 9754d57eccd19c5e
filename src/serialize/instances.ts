/**
 * Instances of classes (objects whose prototype is not a plain object's). As pickle sends an
 * instance by a reference to its importable class, an instance travels as its own enumerable
 * properties plus a reference to its class: a class made sendable with `registerClass()`, or
 * one exported from its module (found as a function is: function-ref.ts). The receiver imports
 * that module and restores the prototype. Anything else is refused at the call site, rather
 * than arriving as a plain object that fails later (`p.norm is not a function`): Node.js objects
 * tied to this process (sockets, streams), built-ins whose state is not in properties (URL),
 * classes the receiver could not import, and instances whose state is in private members.
 * A Node.js object whose state is all in its own properties (an fs.Stats) is data: it travels
 * as those properties, as the structured clone would send it.
 */
import { EventEmitter } from 'node:events';
import { describeClass, type FunctionRef } from './function-ref.js';
import { locateFunction, privateMembers, type LocateResult } from './locate.js';
import { refusal } from './refusal.js';
import { isRegisteredClass } from './registry.js';

export type InstanceClass =
  /** A plain object (no class, or a plain object of another realm): sent as its own properties. */
  | { kind: 'plain' }
  /** A class made sendable with registerClass(): the receiver finds it among its registered classes. */
  | { kind: 'registered'; cls: Function }
  /** A class exported from its module: the receiver imports the module and takes it. */
  | { kind: 'exported'; ref: FunctionRef };

const PLAIN: InstanceClass = Object.freeze({ kind: 'plain' });
const refused = new Map<Function, { why: string; fix: string }>();
/** Classes found exported (and without private members), so later instances skip the search. */
const exported = new WeakMap<Function, InstanceClass>();
/** Where classes are defined, so later instances of a built-in class skip the inspector. */
const locatedClasses = new WeakMap<Function, LocateResult>();

/**
 * Declares that instances of `cls` (and its subclasses) cannot be sent, and why: objects of
 * this package that belong to the process that made them (a Pool, a Process).
 */
export function refuseInstances(cls: Function, why: string, fix: string): void {
  refused.set(cls, { why, fix });
}

/** How to send the data a few well-known built-ins hold. */
const BUILTIN_FIXES: Readonly<Record<string, string>> = {
  URL: 'send url.href and rebuild it with new URL(href) in the child',
  URLSearchParams: 'send params.toString() and rebuild it with new URLSearchParams(text) in the child',
  Blob: 'send the bytes (await blob.arrayBuffer()) instead',
  File: 'send the bytes (await file.arrayBuffer()) and its name instead',
  Headers: 'send Object.fromEntries(headers) instead',
};

/** 'an AsyncResult', 'a net.Socket'. */
function withArticle(name: string): string {
  return `${/^[AEIO]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/** 'net' for node:net, 'fs' for node:internal/fs/streams, 'stream' for node:internal/streams/readable. */
function builtinModule(url: string): string {
  const first = url.replace(/^node:/, '').replace(/^internal\//, '').replace(/^deps\//, '').split('/')[0] ?? '';
  return ({ streams: 'stream', event_target: 'events', abort_controller: 'events' } as Record<string, string>)[first] ?? first;
}

const privateByClass = new WeakMap<Function, string[]>();

/** The private members (`#state`) instances of `cls` have: looked at once per class (its constructor sets them all). */
function privateMembersOf(instance: object, cls: Function): string[] {
  let names = privateByClass.get(cls);
  if (names === undefined) privateByClass.set(cls, (names = privateMembers(instance)));
  return names;
}

/** Whether an object tied to an open resource of this process: an emitter (socket, stream, child) or a file descriptor. */
function holdsResource(instance: object): boolean {
  return instance instanceof EventEmitter || typeof (instance as { fd?: unknown }).fd === 'number';
}

/**
 * How an instance of a class built into Node.js (`url` its module, null for the engine's own)
 * travels: as its own properties when they are its whole state, else refused.
 */
function builtinInstance(instance: object, cls: Function, url: string | null): InstanceClass {
  if (url !== null && !holdsResource(instance) && Object.keys(instance).length > 0 && privateMembersOf(instance, cls).length === 0) {
    return PLAIN;
  }
  const name = cls.name || 'object';
  const global = (globalThis as Record<string, unknown>)[name] === cls;
  const subject = withArticle(url === null || global ? name : `${builtinModule(url)}.${name}`);
  if (holdsResource(instance)) {
    throw refusal(
      `${subject} (a Node.js object)`,
      'it is tied to an open resource of this process (a socket, file, stream or child): its state lives here and cannot be copied',
      'pass the data it carries, or what the child needs to open its own (a path, an address); to exchange messages with a child, use a Pipe, Queue or Connection',
    );
  }
  throw refusal(
    `${subject} (a built-in object)`,
    'its state is held inside the runtime, not in properties that could be copied',
    BUILTIN_FIXES[name] ?? 'send the data it holds (a string, array or plain object) and rebuild the object in the child',
  );
}

/** Refuses an instance that keeps state in private members: a copy of its properties would arrive without it. */
function checkNoPrivateMembers(instance: object, cls: Function): void {
  const names = privateMembersOf(instance, cls);
  if (names.length === 0) return;
  throw refusal(
    `an instance of class '${cls.name}'`,
    `it has private members (${names.join(', ')}), which exist only on instances its constructor made: a copy would arrive without them (private accessors and methods would throw there)`,
    'keep what must travel in ordinary properties, or send plain data and rebuild the object in the child',
  );
}

/**
 * How an object whose prototype is `proto` travels (see the module comment); throws a refusal
 * (a PicklingError) when it cannot.
 */
export function instanceClass(instance: object, proto: object): InstanceClass {
  const cls = (proto as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function' || cls === Object) return PLAIN;
  // A plain object made in another realm (vm): its prototype is that realm's Object.prototype.
  if (cls.name === 'Object' && Object.getPrototypeOf(proto) === null) return PLAIN;
  if (isRegisteredClass(cls)) return { kind: 'registered', cls };
  const known = exported.get(cls);
  if (known) return known;
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const reason = refused.get((p as { constructor?: Function }).constructor as Function);
    if (reason) throw refusal(`${withArticle(cls.name)} object`, reason.why, reason.fix);
  }
  let located = locatedClasses.get(cls);
  if (located === undefined) locatedClasses.set(cls, (located = locateFunction(cls)));
  if (located.kind === 'native') return builtinInstance(instance, cls, null);
  if (located.kind === 'located' && located.location.url !== '' && !/^(file|data):/.test(located.location.url)) {
    return builtinInstance(instance, cls, located.location.url);
  }
  const ref = describeClass(cls);
  checkNoPrivateMembers(instance, cls);
  const found: InstanceClass = { kind: 'exported', ref };
  exported.set(cls, found);
  return found;
}
