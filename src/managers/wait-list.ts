/**
 * Waiters on a server-side object (a lock, an event, a queue): each wait resolves true when
 * woken, false at its timeout, and rejects with AbortError when its signal aborts (the client
 * cancelled it, or disconnected). Waking skips waits that ended, so nothing is handed to nobody.
 */
import { AbortError } from '../errors.js';
import { onAbort } from '../internal/abort.js';

interface Waiter {
  wake(): boolean;
}

/** The options every waiting method of a managed object takes. */
export interface WaitOptions {
  block?: boolean;
  timeout?: number | null;
  signal?: AbortSignal;
}

export class WaitList {
  readonly #waiters: Waiter[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** Waits until woken (true), `timeout` ms pass (false) or `signal` aborts (AbortError). */
  wait(timeout: number | null, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(new AbortError('The operation was aborted', { cause: signal.reason }));
    if (timeout === 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let stop: (() => void) | undefined;
      const waiter: Waiter = {
        wake: () => {
          if (!settle()) return false;
          resolve(true);
          return true;
        },
      };
      const settle = (): boolean => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return false;
        this.#waiters.splice(i, 1);
        if (timer) clearTimeout(timer);
        stop?.();
        return true;
      };
      this.#waiters.push(waiter);
      if (timeout !== null) {
        timer = setTimeout(() => {
          if (settle()) resolve(false);
        }, timeout);
      }
      if (signal) {
        stop = onAbort(signal, () => {
          if (settle()) reject(new AbortError('The operation was aborted', { cause: signal.reason }));
        });
      }
    });
  }

  /** Wakes the oldest wait still waiting; false if there is none. */
  wakeOne(): boolean {
    while (this.#waiters.length > 0) {
      if (this.#waiters[0]!.wake()) return true;
    }
    return false;
  }

  /** Wakes every wait. */
  wakeAll(): void {
    while (this.wakeOne());
  }
}
