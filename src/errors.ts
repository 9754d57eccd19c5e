/**
 * The package's error classes. Each has a stable `code`, and `instanceof` works across
 * duplicate copies of the package (two versions in one node_modules tree, or one copy
 * loaded as CommonJS and one as ESM) through a brand on each class's prototype, keyed by its
 * code with `Symbol.for`: an error made by any copy carries the brands of its class and of
 * every package class above it, and nothing else does (a user class that merely shares a
 * name with one of these, or extends ProcessError, has only the brands it inherits).
 */

const BRAND_PREFIX = 'multiprocessing-ts.error.';
const brands = new WeakMap<Function, symbol>();

function brand(ctor: Function, code: string): void {
  const symbol = Symbol.for(BRAND_PREFIX + code);
  brands.set(ctor, symbol);
  Object.defineProperty(ctor.prototype, symbol, { value: true, enumerable: false });
}

/**
 * Base class of every error this package defines (CPython's `multiprocessing.ProcessError`),
 * also thrown itself for misuse such as starting a process twice or using a closed object.
 *
 * Each subclass has a distinct, stable {@link ProcessError.code | code} (`'ERR_MP_...'`), and
 * `instanceof` works across duplicate copies of the package in one program (two versions in
 * `node_modules`, or a CommonJS and an ESM copy).
 *
 * @category Errors
 * @example
 * ```ts
 * import { Queue, ProcessError, QueueEmptyError } from 'multiprocessing-ts';
 *
 * const queue = new Queue<number>();
 * try {
 *   queue.getNowait();
 * } catch (error) {
 *   if (error instanceof QueueEmptyError) console.log('empty:', error.code); // 'ERR_MP_QUEUE_EMPTY'
 *   else if (error instanceof ProcessError) throw error;
 * } finally {
 *   queue.close();
 * }
 * ```
 */
export class ProcessError extends Error {
  /** A stable identifier of the error's class, `'ERR_MP_'` and a name; match on it rather than on the message. */
  readonly code: string = 'ERR_MP_PROCESS';

  /**
   * Makes an error with a message and, optionally, the error it wraps.
   * @param message What happened and, where it helps, how to fix it.
   * @param options `cause`: the error this one wraps, as `Error`'s own option.
   */
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /** Makes `instanceof` recognise errors made by another copy of this package too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // Only the package's own classes answer for other copies: a user subclass is matched as usual.
    const symbol = brands.get(this);
    return symbol !== undefined && (value as Record<symbol, unknown>)[symbol] === true;
  }
}

function defineName(ctor: Function, name: string): void {
  // Non-enumerable on the prototype, so `name` does not show up among own properties.
  Object.defineProperty(ctor.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

/**
 * A blocking call ran out of time (CPython's `multiprocessing.TimeoutError`), for example
 * {@link AsyncResult.get} with a `timeout`. Code `'ERR_MP_TIMEOUT'`.
 * @category Errors
 */
export class TimeoutError extends ProcessError {
  /** `'ERR_MP_TIMEOUT'`. */
  override readonly code = 'ERR_MP_TIMEOUT' as const;
}

/**
 * The HMAC challenge of a {@link Listener} or {@link Client} connection failed: a wrong authkey,
 * or a peer that does not speak the protocol (CPython's `multiprocessing.AuthenticationError`).
 * Code `'ERR_MP_AUTHENTICATION'`.
 * @category Errors
 */
export class AuthenticationError extends ProcessError {
  /** `'ERR_MP_AUTHENTICATION'`. */
  override readonly code = 'ERR_MP_AUTHENTICATION' as const;
}

/**
 * {@link Connection.recvBytesInto} got a message larger than the buffer (CPython's
 * `multiprocessing.BufferTooShort`); {@link BufferTooShortError.data | data} holds the whole
 * message, so nothing is lost. Code `'ERR_MP_BUFFER_TOO_SHORT'`.
 * @category Errors
 */
export class BufferTooShortError extends ProcessError {
  /** `'ERR_MP_BUFFER_TOO_SHORT'`. */
  override readonly code = 'ERR_MP_BUFFER_TOO_SHORT' as const;
  /** The whole message that did not fit. */
  readonly data: Uint8Array;

  /**
   * Makes the error that {@link Connection.recvBytesInto} throws.
   * @param data The whole message that did not fit.
   * @param message What happened.
   */
  constructor(data: Uint8Array, message = 'buffer too small for the message') {
    super(message);
    this.data = data;
  }
}

/**
 * `get` on an empty queue without blocking, or after its timeout (CPython's `queue.Empty`).
 * Code `'ERR_MP_QUEUE_EMPTY'`.
 * @category Errors
 */
export class QueueEmptyError extends ProcessError {
  /** `'ERR_MP_QUEUE_EMPTY'`. */
  override readonly code = 'ERR_MP_QUEUE_EMPTY' as const;
}

/**
 * `put` on a full queue without blocking, or after its timeout (CPython's `queue.Full`).
 * Code `'ERR_MP_QUEUE_FULL'`.
 * @category Errors
 */
export class QueueFullError extends ProcessError {
  /** `'ERR_MP_QUEUE_FULL'`. */
  override readonly code = 'ERR_MP_QUEUE_FULL' as const;
}

/**
 * A {@link Barrier} was aborted, reset or timed out while parties were waiting, or is broken
 * (CPython's `threading.BrokenBarrierError`). Code `'ERR_MP_BROKEN_BARRIER'`.
 * @category Errors
 */
export class BrokenBarrierError extends ProcessError {
  /** `'ERR_MP_BROKEN_BARRIER'`. */
  override readonly code = 'ERR_MP_BROKEN_BARRIER' as const;
}

/**
 * The other end of a {@link Connection} was closed and no message is left to read (CPython
 * raises the built-in `EOFError`). Code `'ERR_MP_EOF'`.
 * @category Errors
 */
export class EOFError extends ProcessError {
  /** `'ERR_MP_EOF'`. */
  override readonly code = 'ERR_MP_EOF' as const;
}

/**
 * A failure inside another process or thread, such as a {@link Pool} task that threw (CPython
 * re-raises the original exception with a `RemoteTraceback` as its cause). The original `name`,
 * `message`, `code` and own enumerable properties are copied onto this error; the child's stack
 * is in {@link RemoteError.remoteStack | remoteStack}. Code `'ERR_MP_REMOTE'` unless the
 * original error had its own `code`.
 * @category Errors
 */
export class RemoteError extends ProcessError {
  /** `'ERR_MP_REMOTE'`, or the original error's own `code`. */
  override readonly code: string = 'ERR_MP_REMOTE';
  /** The stack of the original error, as printed where it was thrown. */
  remoteStack = '';
}

/**
 * A {@link Pool} worker died (exit, signal, crash) while it held a task; the pool replaces the
 * worker and keeps serving (CPython's pool would hang). Code `'ERR_MP_WORKER_LOST'`.
 * @category Errors
 */
export class WorkerLostError extends ProcessError {
  /** `'ERR_MP_WORKER_LOST'`. */
  override readonly code = 'ERR_MP_WORKER_LOST' as const;
  /** The worker's exit code, or null if a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended the worker (`'SIGKILL'`...), or null if it exited. */
  readonly signal: string | null;

  /**
   * Makes the error a pool rejects a lost worker's task with.
   * @param message What happened.
   * @param details How the worker ended.
   */
  constructor(message: string, details: { exitCode: number | null; signal: string | null }) {
    super(message);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
  }
}

/**
 * A value or function cannot be sent to another process (CPython's `pickle.PicklingError`): a
 * closure, a function that is not exported, a class instance that was not registered... The
 * message names the value, says where it is defined and how to fix it. Code `'ERR_MP_PICKLING'`.
 * @category Errors
 */
export class PicklingError extends ProcessError {
  /** `'ERR_MP_PICKLING'`. */
  override readonly code = 'ERR_MP_PICKLING' as const;
}

for (const [ctor, code] of [
  [ProcessError, 'ERR_MP_PROCESS'],
  [TimeoutError, 'ERR_MP_TIMEOUT'],
  [AuthenticationError, 'ERR_MP_AUTHENTICATION'],
  [BufferTooShortError, 'ERR_MP_BUFFER_TOO_SHORT'],
  [QueueEmptyError, 'ERR_MP_QUEUE_EMPTY'],
  [QueueFullError, 'ERR_MP_QUEUE_FULL'],
  [BrokenBarrierError, 'ERR_MP_BROKEN_BARRIER'],
  [EOFError, 'ERR_MP_EOF'],
  [RemoteError, 'ERR_MP_REMOTE'],
  [WorkerLostError, 'ERR_MP_WORKER_LOST'],
  [PicklingError, 'ERR_MP_PICKLING'],
] as const) {
  defineName(ctor, ctor.name);
  brand(ctor, code);
}

/**
 * A call cancelled through its `signal` option, in Node's convention: `name === 'AbortError'`,
 * `code === 'ABORT_ERR'`, and the signal's reason as `cause`.
 * @category Errors
 */
export class AbortError extends Error {
  /** `'ABORT_ERR'`, as Node's own aborted operations. */
  readonly code = 'ABORT_ERR';

  /**
   * Makes the error an aborted call rejects with.
   * @param message What was aborted.
   * @param options `cause`: the abort signal's reason.
   */
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}
defineName(AbortError, 'AbortError');

/**
 * The error a call cancelled through `signal` rejects with.
 * @internal
 */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason });
}
