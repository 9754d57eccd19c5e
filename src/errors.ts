/**
 * The package's error classes. Each has a stable `code`, and `instanceof` works across
 * duplicate copies of the package (two versions in one node_modules tree, or one copy
 * loaded as CommonJS and one as ESM) through a brand registered with `Symbol.for`.
 */

const BRAND_PREFIX = 'multiprocessing-ts.error.';

function brandOf(ctor: Function): symbol {
  return Symbol.for(BRAND_PREFIX + ctor.name);
}

/** Brands an error with every class of its prototype chain, so a copy's `instanceof` finds it. */
export function brandError(error: Error): void {
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: Function }).constructor;
    if (ctor) Object.defineProperty(error, brandOf(ctor), { value: true, enumerable: false, configurable: true });
  }
}

/** Base class of every error this package defines. */
export class ProcessError extends Error {
  readonly code: string = 'ERR_MP_PROCESS';

  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    brandError(this);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return (value as Record<symbol, unknown>)[brandOf(this)] === true;
  }
}

function defineName(ctor: Function, name: string): void {
  // Non-enumerable on the prototype, so `name` does not show up among own properties.
  Object.defineProperty(ctor.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

/** A blocking call ran out of time (CPython's `multiprocessing.TimeoutError`). */
export class TimeoutError extends ProcessError {
  override readonly code: string = 'ERR_MP_TIMEOUT';
}

/** The HMAC challenge of a connection failed: wrong authkey or a peer that is not ours. */
export class AuthenticationError extends ProcessError {
  override readonly code: string = 'ERR_MP_AUTHENTICATION';
}

/** `recvBytesInto` got a message larger than the buffer; `.data` holds the whole message. */
export class BufferTooShortError extends ProcessError {
  override readonly code: string = 'ERR_MP_BUFFER_TOO_SHORT';
  readonly data: Uint8Array;

  constructor(data: Uint8Array, message = 'buffer too small for the message') {
    super(message);
    this.data = data;
  }
}

/** `get` on an empty queue without blocking, or after its timeout (CPython's `queue.Empty`). */
export class QueueEmptyError extends ProcessError {
  override readonly code: string = 'ERR_MP_QUEUE_EMPTY';
}

/** `put` on a full queue without blocking, or after its timeout (CPython's `queue.Full`). */
export class QueueFullError extends ProcessError {
  override readonly code: string = 'ERR_MP_QUEUE_FULL';
}

/** A `Barrier` was aborted, reset or timed out while parties were waiting. */
export class BrokenBarrierError extends ProcessError {
  override readonly code: string = 'ERR_MP_BROKEN_BARRIER';
}

/** The other end of a connection was closed and no message is left to read. */
export class EOFError extends ProcessError {
  override readonly code: string = 'ERR_MP_EOF';
}

/**
 * A failure inside another process or thread. The original `name`, `message`, `code` and own
 * enumerable properties are copied onto this error; the child's stack is in `remoteStack`.
 */
export class RemoteError extends ProcessError {
  override readonly code: string = 'ERR_MP_REMOTE';
  remoteStack = '';
}

/** A worker died (exit, signal, crash) while it held a task. */
export class WorkerLostError extends ProcessError {
  override readonly code: string = 'ERR_MP_WORKER_LOST';
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(message: string, details: { exitCode: number | null; signal: string | null }) {
    super(message);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
  }
}

/** A value or function cannot be sent to another process; the message says why and how to fix it. */
export class PicklingError extends ProcessError {
  override readonly code: string = 'ERR_MP_PICKLING';
}

for (const ctor of [
  ProcessError,
  TimeoutError,
  AuthenticationError,
  BufferTooShortError,
  QueueEmptyError,
  QueueFullError,
  BrokenBarrierError,
  EOFError,
  RemoteError,
  WorkerLostError,
  PicklingError,
]) {
  defineName(ctor, ctor.name);
}

/** Node's convention for cancelled operations: `name === 'AbortError'`, `code === 'ABORT_ERR'`. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}
defineName(AbortError, 'AbortError');
