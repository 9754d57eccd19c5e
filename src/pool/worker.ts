/**
 * The loop a pool worker runs (the target of each worker Process): take chunks from the pool,
 * run them one after another, send results back in batches. A task's error is its result, never
 * the worker's end; a result that cannot be sent fails that task only.
 */
import { nodeV8 } from '../internal/builtins.js';
import { Fifo } from '../internal/fifo.js';
import { PicklingError } from '../errors.js';
import { getLogger } from '../logging.js';
import { decode, encode, type Destination } from '../serialize/codec.js';
import { encodeForLink, openLink, prepare, type LinkEnd, type Prepared } from './link.js';
import { isPacked, isPlainList, packNumbers } from './plain.js';
import { CHUNK_FIELDS, FINISHED, IN_POOL_WORKER, Kind, Mode, RUN_HEADER, RUNNING, type ToWorker, type WireChunk, type WireResult } from './protocol.js';

/** Results are sent when this many are waiting, or this long after the last send, or when idle. */
const FLUSH_COUNT = 256;
const FLUSH_MS = 2;

type Task = (...args: unknown[]) => unknown;

/**
 * How many chunks this pool worker has received and not yet started (0 outside a pool worker):
 * how far ahead of the worker the pool has sent work, i.e. what it holds in memory besides the
 * chunk it runs. A diagnostic: the pool's tests read it to check that bound.
 */
let waiting = (): number => 0;

export function chunksWaiting(): number {
  return waiting();
}

function describe(value: unknown): string {
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Encodes a result, checking the clone too, so one bad result fails alone instead of its whole batch. */
function encodeChecked(value: WireResult, destination: Destination): Prepared {
  const encoded = encodeForLink(value, destination, [null, null, 'result']);
  // What moves with the message (a Pipe end's MessagePorts) is not cloned, and v8 cannot serialize it.
  if (!encoded.transfer) nodeV8().serialize(encoded.value);
  return encoded;
}

function sendableResult(result: WireResult, destination: Destination): Prepared {
  try {
    // Padded to RESULT_FIELDS as in the batch it joins: the pool reads results at fixed strides.
    return encodeChecked([result[0], result[1], result[2], result[3], result[4] ?? false], destination);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const failure = new PicklingError(`Error sending result: '${describe(result[2])}'. Reason: '${reason}'`);
    return encode([result[0], false, failure, result[3], true] satisfies WireResult, destination);
  }
}

export async function poolWorker(
  end: LinkEnd,
  status: Int32Array,
  initializer: Task | null,
  initargs: unknown[],
  toThread: boolean,
): Promise<void> {
  (globalThis as Record<symbol, unknown>)[IN_POOL_WORKER] = true;
  const destination: Destination = { kind: toThread ? 'thread' : 'process' };
  const functions = new Map<number, Task>();
  /** WireChunks laid end to end, as they arrive. */
  const queue = new Fifo<unknown>();
  waiting = () => queue.length / CHUNK_FIELDS;
  let running = false;
  let exitRequested = false;
  /** Chunks run, for the exit's log record (CPython counts tasks). */
  let completed = 0;
  /** The pool spins for the results of what it sent last (protocol.ts, Kind.Run): spin for its next message. */
  let quick = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const send = (message: unknown[]): void => link.send(encodeForLink(message, destination));

  const sendResults = (results: WireResult[]): void => {
    const flat: unknown[] = [Kind.Done, 0];
    let plain = true;
    for (const result of results) {
      flat.push(result[0], result[1], result[2], result[3], result[4] ?? false);
      if (plain && !(result[1] && (isPacked(result[2]) || isPlainList(result[2] as unknown[])))) plain = false;
    }
    if (plain) {
      link.send({ value: flat, modules: [] }, true, quick);
      return;
    }
    flat[1] = 1;
    try {
      // Encoding and the link's own serialization both fail before anything is written.
      link.send(encodeForLink(flat, destination), true, quick);
    } catch {
      const parts = results.map((result) => sendableResult(result, destination));
      link.send(prepare([Kind.Done, 1, ...parts.flatMap((part) => part.value as unknown[])], parts), true, quick);
    }
  };

  const stop = (): void => {
    getLogger().debug('worker exiting after %d tasks', completed);
    link.close();
    finish();
  };

  const drain = async (): Promise<void> => {
    running = true;
    let results: WireResult[] = [];
    let lastSend = performance.now();
    while (queue.length > 0) {
      const id = queue.shift() as WireChunk[0];
      const fnId = queue.shift() as WireChunk[1];
      const mode = queue.shift() as WireChunk[2];
      const items = queue.shift();
      const encoded = queue.shift() as WireChunk[4];
      const fn = functions.get(fnId)!;
      Atomics.store(status, RUNNING, id);
      const started = performance.now();
      let ok = true;
      let value: unknown;
      let list = items as unknown[];
      const out = new Array<unknown>(list.length);
      try {
        if (encoded) list = decode(list, destination.kind) as unknown[];
        for (let i = 0; i < list.length; i++) {
          let r = mode === Mode.Spread ? Reflect.apply(fn, undefined, list[i] as unknown[]) : fn(list[i]);
          if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') r = await r;
          out[i] = r;
        }
        value = packNumbers(out) ?? out;
      } catch (error) {
        ok = false;
        value = error;
      }
      const now = performance.now();
      // Published before RUNNING is cleared: a chunk is always either running or finished to the pool.
      Atomics.store(status, FINISHED, id);
      Atomics.store(status, RUNNING, 0);
      completed++;
      results.push([id, ok, value, now - started]);
      if (results.length >= FLUSH_COUNT || now - lastSend >= FLUSH_MS) {
        sendResults(results);
        results = [];
        lastSend = now;
      }
    }
    if (results.length > 0) sendResults(results);
    running = false;
    if (exitRequested) stop();
  };

  /** Queues a Run message's chunks; `unloadable`: why its modules could not be imported here. */
  const accept = (message: ToWorker, unloadable?: { error: unknown }): void => {
    if (message[0] === Kind.Exit) {
      exitRequested = true;
      if (!running) stop();
      return;
    }
    const fns = message[1] as Array<[number, unknown]> | 0;
    quick = message[2] === 1;
    if (fns !== 0) {
      for (const [id, fn] of fns) {
        // A function that cannot be had here fails each of its chunks with the reason, never drops them.
        try {
          functions.set(id, decode(fn, destination.kind) as Task);
        } catch (error) {
          const reason = unloadable?.error ?? error;
          functions.set(id, () => {
            throw reason;
          });
        }
      }
    }
    for (let i = RUN_HEADER; i < message.length; i++) queue.push(message[i]);
    if (!running) void drain();
  };

  const link = openLink(end, {
    message: (value) => accept(value as ToWorker),
    unreadable: (error, raw) => {
      if (Array.isArray(raw)) accept(raw, { error });
    },
    closed() {
      // The pool is gone: nothing will read what this worker would compute.
      finish();
    },
  });

  if (initializer) {
    try {
      await Reflect.apply(initializer, undefined, initargs);
    } catch (error) {
      send([Kind.InitError, error]);
      link.close();
      throw error;
    }
  }
  send([Kind.Ready]);
  await finished;
}
