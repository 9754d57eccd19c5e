// Compile-time checks of the error classes: each package class's `code` is its literal, so a
// misspelt code is a type error, while ProcessError (the base of them all) keeps `string`.
import { ProcessError, QueueEmptyError, RemoteError, TimeoutError, WorkerLostError } from '../../dist/index.js';

export function codes(error: unknown): string {
  if (error instanceof TimeoutError) {
    const code: 'ERR_MP_TIMEOUT' = error.code;
    // @ts-expect-error a misspelt code cannot match
    if (error.code === 'ERR_MP_TIMOUT') return 'never';
    return code;
  }
  if (error instanceof QueueEmptyError) {
    const code: 'ERR_MP_QUEUE_EMPTY' = error.code;
    return code;
  }
  if (error instanceof WorkerLostError) return error.code satisfies 'ERR_MP_WORKER_LOST';
  // A remote error carries the original error's own code, whatever it is.
  if (error instanceof RemoteError) return error.code satisfies string;
  if (error instanceof ProcessError) return error.code satisfies string;
  return '';
}
