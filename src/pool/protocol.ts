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

/**
 * Messages are flat arrays led by their kind: a task and its result are then a handful of values
 * to clone, not a tree of small objects (what a one-task round trip mostly costs).
 */
export const enum Kind {
  /**
   * [Run, functions ([id, encoded function][] or 0), quick (1 or 0), ...WireChunks laid end to end]
   * — sent raw: the worker decodes functions and encoded chunks itself. `quick`: the pool awaits
   * these results spinning (they are due within microseconds), so its next message is likely to
   * follow as fast: the worker spins for it after sending them (see Link.send's replyDue).
   */
  Run = 1,
  /** [Exit]: finish what was sent, then exit with code 0. */
  Exit = 2,
  /** [Ready] */
  Ready = 3,
  /** [InitError, error] */
  InitError = 4,
  /**
   * [Done, encoded (1: the result values are encoded, and the pool decodes each on its own, so
   * one it cannot rebuild fails only its task; 0: plain data), ...WireResults laid end to end,
   * each padded to RESULT_FIELDS] — sent raw.
   */
  Done = 5,
}

export type ToWorker = unknown[];
export type FromWorker = unknown[];

/** Fields before the first chunk of a Run message, and before the first result of a Done message. */
export const RUN_HEADER = 3;
export const DONE_HEADER = 2;
export const CHUNK_FIELDS = 5;
export const RESULT_FIELDS = 5;

/** Where a worker publishes the chunk it is running (0: none), so a crash is blamed on exactly that chunk. */
export const RUNNING = 0;
/**
 * Where a worker publishes the last chunk it finished (0: none yet). A worker runs its chunks in
 * the order they were sent, so after a crash every chunk sent before this one had finished too:
 * none of them may run again, even if its result never left the worker.
 */
export const FINISHED = 1;
export const STATUS_WORDS = 2;

/** Chunk ids stay positive 31-bit integers, so they fit the status word. */
export const MAX_CHUNK_ID = 0x7fffffff;

export const IN_POOL_WORKER = Symbol.for('multiprocessing-ts.pool-worker');
