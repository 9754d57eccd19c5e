/**
 * The two ways a thread can sleep on a word of shared memory, and the choice between them (made
 * once, on first use):
 *
 * - the addon's kernel futexes: waits that other processes' wakes end (the memory is a memfd or
 *   a named segment mapped by several processes);
 * - without the addon, V8's Atomics.wait / Atomics.notify / Atomics.waitAsync: their wait lists
 *   are process-local, which is all that is needed where only threads share memory.
 *
 * Both keep one contract: results 'ok' / 'not-equal' / 'timed-out', a null timeout waits for as
 * long as it takes, an async wait settles on this thread's event loop and keeps it alive while
 * pending, and a cancelled async wait never settles.
 */
import { hasNative, native } from '../internal/native.js';

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

export interface FutexBackend {
  /** Blocks this thread until the word is woken, differs from `expected`, or the timeout passes. */
  waitSync(view: Int32Array, index: number, expected: number, timeoutMs: number | null): WaitResult;
  /** Wakes up to `count` waiters on the word; returns how many were woken. */
  wake(view: Int32Array, index: number, count: number): number;
  /**
   * Calls `settle` once, later, on this thread, as waitSync would return; returns a cancel
   * function after which `settle` is never called.
   */
  waitAsync(view: Int32Array, index: number, expected: number, timeoutMs: number | null, settle: (result: WaitResult) => void): () => void;
}

const RESULTS: readonly WaitResult[] = ['ok', 'not-equal', 'timed-out'];

const kernelFutexes: FutexBackend = {
  waitSync: (view, index, expected, timeoutMs) => RESULTS[native().futexWaitSync(view, index, expected, timeoutMs ?? -1)]!,
  wake: (view, index, count) => native().futexWake(view, index, count),
  waitAsync(view, index, expected, timeoutMs, settle) {
    const id = native().futexWaitAsync(view, index, expected, timeoutMs ?? -1, (result) => settle(RESULTS[result]!));
    return () => native().futexCancel(id);
  },
};

// A pending Atomics.waitAsync does not keep the event loop alive (the addon's waits do): while
// any wait of this thread is pending, a timer that never fires holds the loop. No polling: the
// wait itself ends by V8 posting a task to this thread.
let pendingWaits = 0;
let keepAlive: NodeJS.Timeout | null = null;

function holdLoop(): void {
  if (pendingWaits++ === 0) (keepAlive ??= setInterval(() => {}, 2 ** 31 - 1)).ref();
}

function releaseLoop(): void {
  if (--pendingWaits === 0) keepAlive!.unref();
}

const atomicsWaits: FutexBackend = {
  waitSync: (view, index, expected, timeoutMs) => Atomics.wait(view, index, expected, timeoutMs ?? Infinity),
  wake: (view, index, count) => Atomics.notify(view, index, count),
  waitAsync(view, index, expected, timeoutMs, settle) {
    const outcome = Atomics.waitAsync(view, index, expected, timeoutMs ?? Infinity);
    let state: 'pending' | 'settled' | 'cancelled' = 'pending';
    if (!outcome.async) {
      // Settled already (the word differed, or a zero timeout): still reported later, as the addon does.
      queueMicrotask(() => {
        if (state === 'pending') settle(outcome.value);
      });
      return () => {
        state = 'cancelled';
      };
    }
    holdLoop();
    void outcome.value.then((result) => {
      if (state === 'cancelled') return;
      state = 'settled';
      releaseLoop();
      settle(result);
    });
    return () => {
      if (state !== 'pending') return;
      state = 'cancelled';
      releaseLoop();
      // V8 cannot take a wait back: listed, it would take a wake meant for a real waiter (which
      // could then sleep on a free lock, maybe for good if its thread blocks), and it holds its
      // memory until then. Waking every waiter of the word takes it off the list now, and hands
      // on any wake it had already taken; the others find the word unchanged and wait again.
      Atomics.notify(view, index, Infinity);
    };
  },
};

let chosen: FutexBackend | undefined;

/** The addon's futexes when it is here, else V8's Atomics (threads of this process only). */
export function futexBackend(): FutexBackend {
  return (chosen ??= hasNative() ? kernelFutexes : atomicsWaits);
}
