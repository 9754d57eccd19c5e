/**
 * `wait(objects, timeoutMs)`: the subset of connections, process sentinels and other waitable
 * objects that are ready, as CPython's `multiprocessing.connection.wait`.
 */
import { onAbort } from '../internal/abort.js';
import { validateTimeout } from '../internal/validate.js';
import { kWaitable, type Waitable as WaitableObject } from '../process/sentinel.js';

export { kWaitable, type WaitableObject };

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
 * CPython's `multiprocessing.connection.wait()`, with the timeout in milliseconds.
 *
 * A {@link Connection} is ready when a message (or the end of the stream) can be read, a
 * {@link Queue} when an item can be got, a {@link Process.sentinel | sentinel} when its process
 * has ended; objects of your own can take part through {@link kWaitable}.
 * @param objects Connections, queues, sentinels or other {@link WaitableObject}s.
 * @param timeoutMs How long to wait at most, in milliseconds.
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
