/**
 * The PicklingError of a value that cannot be sent, in one shape: what it is, why it cannot go,
 * and the fix. The codec adds where the value sits in what was being sent (`args[1].conn.socket`)
 * once it has found that out, so each refusal is written without knowing it.
 */
import { PicklingError } from '../errors.js';

const kRefusal = Symbol('multiprocessing-ts.refusal');

interface Refusal {
  /** The value as the message names it: `a net.Socket`, `'helper' (defined at /app/x.mjs:3:1)`. */
  subject: string;
  why: string;
  fix: string;
}

function message({ subject, why, fix }: Refusal, path: string | null): string {
  const what = path === null ? subject : `${path}, ${subject},`;
  return `Cannot send ${what} to another process: ${why}. Fix: ${fix}.`;
}

/** A PicklingError refusing `subject`; `why` and `fix` are phrases (no final period). */
export function refusal(subject: string, why: string, fix: string): PicklingError {
  const parts: Refusal = { subject, why, fix };
  const error = new PicklingError(message(parts, null));
  // Not enumerable: an error sent on to another process does not carry it.
  Object.defineProperty(error, kRefusal, { value: parts, enumerable: false, configurable: true });
  return error;
}

/** Names where the refused value was found; returns false for errors not made by `refusal()`. */
export function placeRefusal(error: unknown, path: string): boolean {
  if (!(error instanceof PicklingError)) return false;
  const parts = (error as unknown as { [kRefusal]?: Refusal })[kRefusal];
  if (parts === undefined) return false;
  error.message = message(parts, path);
  const stack = error.stack;
  if (typeof stack === 'string') {
    const frames = stack.indexOf('\n');
    error.stack = `${error.name}: ${error.message}${frames >= 0 ? stack.slice(frames) : ''}`;
  }
  return true;
}

/** What a refusal names (`a net.Socket`), or null for errors not made by `refusal()`. */
export function refusedSubject(error: unknown): string | null {
  if (!(error instanceof PicklingError)) return null;
  return (error as unknown as { [kRefusal]?: Refusal })[kRefusal]?.subject ?? null;
}
