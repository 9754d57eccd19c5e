/**
 * `wait(objects, timeoutMs)`: the subset of connections, process sentinels and other waitable
 * objects that are ready, as CPython's `multiprocessing.connection.wait`.
 */
import { onAbort } from '../internal/abort.js';
import { validateTimeout } from '../internal/validate.js';
import { kWaitable } from '../process/sentinel.js';

/** Anything `wait()` accepts: it settles `[kWaitable]()` once ready and answers `isReady()` at once. */
export interface WaitableObject {
  /** Settles when the object becomes ready; an AbortSignal, when honoured, ends the wait early. */
  [kWaitable](signal?: AbortSignal): Promise<unknown>;
  isReady(): boolean;
}

function isWaitable(value: unknown): value is WaitableObject {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<WaitableObject>)[kWaitable] === 'function' &&
    typeof (value as Partial<WaitableObject>).isReady === 'function'
  );
}

/**
 * Waits until at least one object is ready (or `timeoutMs` passes) and resolves with the ready
 * ones, in input order; `[]` on timeout. Omitted/null timeout waits as long as it takes.
 */
export async function wait<T extends WaitableObject>(objects: Iterable<T>, timeoutMs?: number | null): Promise<T[]> {
  if (objects === null || typeof objects !== 'object' || typeof (objects as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw new TypeError('wait() expects an array of connections, sentinels or other waitable objects');
  }
  const list = [...objects];
  list.forEach((object, index) => {
    if (!isWaitable(object)) {
      throw new TypeError(`wait(): item ${index} is not waitable (expected a Connection, a Process sentinel or an object with [kWaitable]() and isReady())`);
    }
  });
  const timeout = validateTimeout(timeoutMs, 'timeoutMs');
  const ready = (): T[] => list.filter((object) => object.isReady());

  const now = ready();
  if (now.length > 0) return now;
  if (list.length === 0 && timeout === null) throw new RangeError('wait() on no objects without a timeout would never return');

  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const woken = new Promise<void>((resolve, reject) => {
      onAbort(stop.signal, resolve);
      for (const object of list) {
        Promise.resolve(object[kWaitable](stop.signal)).then(() => resolve(), reject);
      }
      if (timeout !== null) {
        if (timeout === 0) setImmediate(() => setImmediate(() => resolve()));
        else timer = setTimeout(resolve, timeout);
      }
    });
    await woken;
    // Let objects that became ready in the same turn of the event loop report it too.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return ready();
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
