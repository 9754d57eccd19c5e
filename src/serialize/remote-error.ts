/**
 * How a failure in another process or thread reaches the caller (a pool task's, a shared object's
 * method's): a `RemoteError` carrying the original error's name, message, code, own properties
 * and the remote stack, with the rebuilt original as `cause`.
 */
import { RemoteError } from '../errors.js';

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });
}

function show(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** The RemoteError for what the other side threw (after decoding), an Error or any other value. */
export function remoteError(thrown: unknown): RemoteError {
  if (!(thrown instanceof Error)) {
    const error = new RemoteError(`a task threw a non-Error value: ${show(thrown)}`);
    define(error, 'value', thrown, true);
    return error;
  }
  const error = new RemoteError(thrown.message, { cause: thrown });
  define(error, 'name', thrown.name, false);
  const code = (thrown as { code?: unknown }).code;
  if (code !== undefined) define(error, 'code', code, true);
  for (const key of Object.keys(thrown)) {
    if (key !== 'stack' && key !== 'message' && key !== 'cause') define(error, key, (thrown as unknown as Record<string, unknown>)[key], true);
  }
  const stack = typeof thrown.stack === 'string' ? thrown.stack : '';
  error.remoteStack = stack;
  if (stack) define(error, 'stack', stack, false);
  return error;
}
