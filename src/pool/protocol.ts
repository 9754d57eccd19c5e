/**
 * Messages between a pool and its workers. A chunk is the unit of work (CPython's task): some
 * items of one call, run one after another by one worker.
 */

/** How a chunk's items are applied: spread as arguments (starmap, apply) or passed as the one argument (map). */
export const enum Mode {
  Single = 0,
  Spread = 1,
}

/** [chunk id, function id, mode, items, whether the items were encoded (false: plain data, sent as is)] */
export type WireChunk = [number, number, Mode, unknown, boolean];

/** [chunk id, succeeded, results (or the error), milliseconds it took, whether the error is the pool's own (not the task's)] */
export type WireResult = [number, boolean, unknown, number, boolean?];

/** Sent raw: the worker decodes each function and each encoded chunk itself. */
export type ToWorker =
  /** `chunks`: WireChunks laid end to end (fewer objects to clone than an array of arrays). */
  | { t: 'run'; fns: Array<[number, unknown]>; chunks: unknown[] }
  /** Finish what was sent, then exit with code 0. */
  | { t: 'exit' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'init-error'; error: unknown }
  /** `results`: WireResults laid end to end, each padded to RESULT_FIELDS. */
  | { t: 'done'; results: unknown[] };

export const CHUNK_FIELDS = 5;
export const RESULT_FIELDS = 5;

/** Where a worker publishes the chunk it is running (0: none), so a crash is blamed on exactly that chunk. */
export const RUNNING = 0;
export const STATUS_WORDS = 1;

/** Chunk ids stay positive 31-bit integers, so they fit the status word. */
export const MAX_CHUNK_ID = 0x7fffffff;

export const IN_POOL_WORKER = Symbol.for('multiprocessing-ts.pool-worker');
