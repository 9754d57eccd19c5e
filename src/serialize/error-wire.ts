/**
 * Errors as data: structured clone keeps an error's built-in type, message and stack but drops
 * its subclass, `code` and other own properties. This wire form keeps all of them.
 */
import * as errors from '../errors.js';
import { isRegisteredClass } from './registry.js';
import type { ClassRef } from './class-ref.js';
import type { FunctionRef } from './function-ref.js';

export interface WireError {
  /** The nearest built-in or package error class to rebuild with. */
  base: string;
  name: string;
  message: string;
  stack: string | undefined;
  props: Record<string, unknown>;
  hasCause: boolean;
  cause: unknown;
  errors: unknown[] | undefined;
  cls: ClassRef | undefined;
  /** The error's class, exported from its module (when not registered). */
  exported?: FunctionRef;
}

const BUILTIN: Record<string, ErrorConstructor | AggregateErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
};

const PACKAGE: Record<string, Function> = Object.fromEntries(
  Object.entries(errors).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error),
);

function baseName(error: Error): string {
  for (let proto = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: Function }).constructor?.name;
    if (name && (PACKAGE[name] === proto.constructor || BUILTIN[name] === proto.constructor)) return name;
  }
  return 'Error';
}

export function errorToWire(
  error: Error,
  walk: (value: unknown) => unknown,
  refOf: (cls: Function) => ClassRef,
  exportedRefOf: (cls: Function) => FunctionRef | undefined,
): WireError {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key !== 'stack' && key !== 'message' && key !== 'cause') props[key] = walk((error as unknown as Record<string, unknown>)[key]);
  }
  const code = (error as { code?: unknown }).code;
  if (code !== undefined && !('code' in props)) props.code = walk(code);
  const ctor = (Object.getPrototypeOf(error) as { constructor?: Function } | null)?.constructor;
  const registered = ctor !== undefined && isRegisteredClass(ctor);
  // A class of its own (not a built-in's or this package's) may be found by its export, as pickle finds it.
  const own = ctor !== undefined && !registered && BUILTIN[ctor.name] !== ctor && PACKAGE[ctor.name] !== ctor;
  const exported = own ? exportedRefOf(ctor) : undefined;
  return {
    base: baseName(error),
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    props,
    hasCause: 'cause' in error,
    cause: 'cause' in error ? walk(error.cause) : undefined,
    errors: error instanceof AggregateError ? (walk(error.errors) as unknown[]) : undefined,
    cls: registered ? refOf(ctor) : undefined,
    ...(exported ? { exported } : {}),
  };
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

export function errorFromWire(
  wire: WireError,
  walk: (value: unknown) => unknown,
  resolveClass: (ref: ClassRef) => Function,
  resolveExported: (ref: FunctionRef) => Function,
): Error {
  const base = BUILTIN[wire.base] ?? Error;
  let target = wire.cls ? resolveClass(wire.cls) : (PACKAGE[wire.base] ?? base);
  if (wire.exported) {
    try {
      target = resolveExported(wire.exported);
    } catch {
      // The class cannot be found here: the error still arrives, as its nearest known class.
    }
  }
  // A real Error object (internal error slot, proper inspect output) whose prototype is the
  // target class, built without running that class's constructor (which may need arguments).
  const error: Error = Reflect.construct(base, wire.base === 'AggregateError' ? [[], wire.message] : [wire.message], target);
  if (error.name !== wire.name) define(error, 'name', wire.name);
  define(error, 'stack', wire.stack);
  if (wire.hasCause) define(error, 'cause', walk(wire.cause));
  if (wire.errors) define(error, 'errors', walk(wire.errors));
  for (const [key, value] of Object.entries(wire.props)) {
    Object.defineProperty(error, key, { value: walk(value), writable: true, configurable: true, enumerable: true });
  }
  return error;
}
