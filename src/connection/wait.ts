/**
 * `wait(objects, timeoutMs)` or `wait(objects, { timeout, signal })`: the subset of connections,
 * process sentinels and other waitable objects that are ready, as CPython's
 * `multiprocessing.connection.wait`.
 */
import { onAbort } from '../internal/abort.js';
import { abortError } from '../errors.js';
import { withTimeout } from '../internal/timers.js';
import { validateSignal, validateTimeout } from '../internal/validate.js';
import { isWaitable, kWaitable, type WaitableObject } from '../internal/waitable.js';

/** Options of `wait()`. */
export interface WaitObjectsOptions {
  /** Milliseconds; omitted or null waits for as long as it takes. On timeout wait() resolves with []. */
  timeout?: number | null;
  /** Stops waiting: wait() rejects with AbortError (`cause`: the signal's reason). */
  signal?: AbortSignal;
}

/** The timeout and signal of either form of the call. */
function parseWaitArguments(second: unknown, third: unknown): { timeout: number | null; signal: AbortSignal | undefined } {
  let timeoutMs: unknown = second;
  let options: unknown = third;
  if (second !== null && typeof second === 'object') {
    if (third !== undefined) throw new TypeError('wait(objects, options) takes no third argument; use wait(objects, { timeout, signal })');
    options = second;
    timeoutMs = (second as WaitObjectsOptions).timeout;
  }
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new TypeError('wait() options must be an object like { signal }');
  }
  const signal = validateSignal((options as { signal?: unknown } | null | undefined)?.signal);
  return { timeout: validateTimeout(timeoutMs, second !== null && typeof second === 'object' ? 'timeout' : 'timeoutMs'), signal };
}

/**
 * Waits until at least one object is ready (or the timeout passes) and resolves with the ready
 * ones, in input order; `[]` on timeout. Omitted/null timeout waits as long as it takes.
 * CPython's `multiprocessing.connection.wait()`, with the timeout in milliseconds, positionally as
 * there or as `{ timeout }`; a `signal` stops the wait with AbortError.
 *
 * A {@link Connection} is ready when a message (or the end of the stream) can be read, a
 * {@link Queue} when an item can be got, a {@link Process.sentinel | sentinel} when its process
 * has ended; objects of your own can take part through {@link kWaitable}.
 * @param objects Connections, queues, sentinels or other {@link WaitableObject}s.
 * @param options `timeout`: how long to wait at most, in milliseconds; `signal`: gives up with AbortError.
 * @category Communication
 * @example
 * ```ts
 * import { Pipe, Process, isMain, wait, type Connection } from 'multiprocessing-ts';
 *
 * export function answer(conn: Connection): void {
 *   conn.send(42);
 *   conn.close();
 * }
 *
 * if (isMain(import.meta)) {
 *   const [reader, writer] = Pipe({ duplex: false });
 *   const p = new Process({ target: answer, args: [writer] });
 *   p.start();
 *   writer.close();
 *   // Whichever comes first: a message, or the child's end without one.
 *   const ready = await wait([reader, p.sentinel], 5_000);
 *   if (ready.includes(reader)) console.log(await reader.recv()); // 42
 *   await p.join();
 *   reader.close();
 * }
 * ```
 */
export function wait<T extends WaitableObject>(objects: Iterable<T>, options?: WaitObjectsOptions): Promise<T[]>;
/**
 * The positional form, as CPython's `wait(object_list, timeout)`.
 * @param objects Connections, queues, sentinels or other {@link WaitableObject}s.
 * @param timeoutMs How long to wait at most, in milliseconds (null: no limit).
 * @param options `signal`: gives up with AbortError.
 */
export function wait<T extends WaitableObject>(
  objects: Iterable<T>,
  timeoutMs?: number | null,
  options?: { signal?: AbortSignal },
): Promise<T[]>;
export async function wait<T extends WaitableObject>(objects: Iterable<T>, second?: unknown, third?: unknown): Promise<T[]> {
  if (objects === null || typeof objects !== 'object' || typeof (objects as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw new TypeError('wait() expects an array of connections, sentinels or other waitable objects');
  }
  const list = [...objects];
  list.forEach((object, index) => {
    if (!isWaitable(object)) {
      throw new TypeError(`wait(): item ${index} is not waitable (expected a Connection, a Process sentinel or an object with [kWaitable]() and isReady())`);
    }
  });
  const { timeout, signal } = parseWaitArguments(second, third);
  if (signal?.aborted) throw abortError(signal);
  const ready = (): T[] => list.filter((object) => object.isReady());

  const now = ready();
  if (now.length > 0) return now;
  if (list.length === 0 && timeout === null && signal === undefined) throw new RangeError('wait() on no objects without a timeout would never return');

  const stop = new AbortController();
  try {
    const woken = new Promise<void>((resolve, reject) => {
      onAbort(stop.signal, resolve);
      for (const object of list) {
        Promise.resolve(object[kWaitable](stop.signal)).then(() => resolve(), reject);
      }
      // A zero timeout still lets the objects answer what they know within this turn of the loop.
      if (timeout === 0) setImmediate(() => setImmediate(() => resolve()));
    });
    await withTimeout(woken, timeout === 0 ? null : timeout, { signal });
    // Let objects that became ready in the same turn of the event loop report it too.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw abortError(signal);
    return ready();
  } finally {
    stop.abort();
  }
}
